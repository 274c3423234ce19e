"""Command line: `python -m sim run|check|validity|compare|experiment|sensitivity|app`. Thin over the Python API;
bad input is one clear line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
import time
from pathlib import Path

from sim.paths import ROOT
from sim.measure.results import measure
from sim.errors import InputError, ScenarioError, UsageError


SEED_MAX = 2**63 - 1
HOST_NAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


class Parser(argparse.ArgumentParser):
    """argparse with a bad argument reported as one line, like every other bad input."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message}\n")


def whole(lo: int, hi: int = SEED_MAX):
    """An argparse type: a whole number from lo to hi."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"a whole number from {lo} to {hi}; got {text!r}")
        return value

    return parse


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"a number above 0 (and below 1e6); got {text!r}")
    return value


def host(text: str) -> str:
    """A host the app can listen on: an IP address or a host name."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if not HOST_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"an IP address or a host name, e.g. 127.0.0.1 or 0.0.0.0; got {text!r}")
    return text


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=whole(0), help="seed for every random draw (default: run.seed in the file)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value, e.g. --set staff.specialist.count=6 (repeatable)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--out", type=Path, help="folder to write the results to")
    p.add_argument("--territory", type=Path, metavar="FILE",
                   help="take the [territory] table of this scenario file (e.g. a district's) for every scenario")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m sim", description=__doc__.split(";")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = sub.add_parser("run", help="run one scenario and print its metrics")
    p.add_argument("scenario", type=Path)
    _scenario_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress line")
    # `check` was called `validate`; the old name still works.
    p = sub.add_parser("check", aliases=["validate"], help="check scenario files without running them")
    p.add_argument("scenarios", type=Path, nargs="+")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p = sub.add_parser("territory", help="check a district (GeoPackage, GeoJSON folder, or a scenario file) and "
                                         "draw it: communities, points, roads, each building's access radius")
    p.add_argument("file", type=Path, help="a district file or folder, or a scenario .toml whose territory to draw")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path, help="folder for the maps (default results/territory-<name>)")
    p = sub.add_parser("validity", help="check the model against queueing theory and the Centralised baseline "
                                        "against published facts; writes results/validity.md")
    p.add_argument("--replicates", type=whole(1, 10_000), default=10, help="runs per queueing case (default 10)")
    p.add_argument("--weeks", type=positive, default=20.0, help="measured weeks per queueing run (default 20)")
    p.add_argument("--fact-runs", type=whole(1, 10_000), default=5, help="runs of the baseline for the facts (default 5)")
    p.add_argument("--facts-only", action="store_true", help="only print the published facts (under a minute)")
    p.add_argument("--out", type=Path, help="file to write the tables to (default results/validity.md)")
    p.add_argument("--refresh-docs", action="store_true", help="write docs/validity.md, the tables the docs cite")
    p = sub.add_parser("compare", help="compare scenarios against the first, with common random numbers, "
                                       "95%% intervals, figures and a report")
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario files; the first is the baseline")
    _scenario_args(p)
    p.add_argument("--replicates", type=whole(1, 100_000), default=5, metavar="R", help="runs per scenario (default 5)")
    p.add_argument("--requests", action="store_true", help="also keep each run's per-request table (Parquet)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of tables, figures and report")
    p.add_argument("--workers", type=whole(1, 1024), metavar="N", help="local worker processes (default min(2, cpus))")
    p.add_argument("--dask", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--rerun", action="store_true", help="run again the runs in --out that other inputs made")
    p = sub.add_parser("experiment", help="run a designed experiment (factors, levels, replicates) and report its "
                                          "main effects and interactions with 95%% intervals")
    p.add_argument("file", type=Path, help="experiment file, e.g. experiments/authorisation.toml")
    p.add_argument("--plan", action="store_true", help="print the synthesised design and run nothing")
    p.add_argument("--out", type=Path, help="results folder (default results/<experiment name>)")
    p.add_argument("--seed", type=whole(0), help="seed of the run order and the runs (default: the file's)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of tables, figures and report")
    p.add_argument("--json", action="store_true", help="print the effects as JSON")
    p.add_argument("--workers", type=whole(1, 1024), metavar="N", help="local worker processes (default min(2, cpus))")
    p.add_argument("--dask", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--rerun", action="store_true", help="run again the runs in --out that other inputs made")
    p.add_argument("--max-runs", type=whole(1), default=10_000, metavar="N",
                   help="refuse a design of more runs than this (default 10,000)")
    p = sub.add_parser("sensitivity", help="which conclusions survive the uncertainty: Morris and Sobol' indices, "
                                           "verdict robustness and PRIM boxes over the ranged assumptions")
    p.add_argument("file", type=Path, help="sensitivity file, e.g. experiments/sensitivity.toml")
    p.add_argument("--plan", action="store_true", help="print the designs' sizes and a time estimate; run nothing")
    p.add_argument("--rerun", action="store_true", help="run again the runs in --out that other inputs made")
    p.add_argument("--max-runs", type=whole(1), default=10_000, metavar="N",
                   help="refuse a study of more runs than this (default 10,000)")
    p.add_argument("--out", type=Path, help="results folder (default results/<study name>)")
    p.add_argument("--seed", type=whole(0), help="seed of the designs and the runs (default: the file's)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of tables, figures and report")
    p.add_argument("--workers", type=whole(1, 1024), metavar="N", help="local worker processes (default min(2, cpus))")
    p.add_argument("--dask", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p = sub.add_parser("app", help="start the teaching app (a live map in the browser) and print its address")
    p.add_argument("--port", type=whole(0, 65535), default=8765, help="port to serve on (default 8765; 0 picks a free one)")
    p.add_argument("--host", type=host, default="127.0.0.1", help="address to listen on (0.0.0.0 lets a class connect)")
    p.add_argument("--scenario-dir", type=Path, default=Path("scenarios"), help="folder of the policy files to offer")
    p.add_argument("--scale", type=positive, default=0.02, help="population scale of the street (default 0.02)")
    p.add_argument("--territory", type=Path, metavar="FILE",
                   help="play every policy on the [territory] of this scenario file (e.g. a district's)")
    p.set_defaults(overrides=[])
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a bad argument already reported in one line
        return int(exc.code or 0)
    # the command as given, for reports' "how to reproduce" (from Python, main's own arguments)
    args.command_line = ["python -m sim", *(sys.argv[1:] if argv is None else [str(a) for a in argv])]
    try:
        if getattr(args, "territory", None) is not None:
            from sim.scenario.files import territory_overrides

            args.overrides = territory_overrides(args.territory) + args.overrides
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be written: read-only, full, or not a folder
        print(f"error: {exc.filename or args.command}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_run(args) -> int:
    from sim.engine.model import GovernanceModel
    from sim.measure.metrics import format_summary
    from sim.runs.output import check_folder, run_job, write_run
    from sim.scenario.files import load

    scenario = load(args.scenario, args.overrides)
    if args.out:
        check_folder(args.out, run_job(scenario))
    started = time.perf_counter()
    model = GovernanceModel(scenario, args.seed)
    model.run()
    result = measure(model)
    wall = time.perf_counter() - started
    if args.out:
        write_run(args.out, scenario, model.seed, result)
    if args.json:
        print(json.dumps(result.metrics, indent=2, ensure_ascii=False))
    else:
        title = f"{scenario['meta']['name']} ({scenario['meta']['name_zh']}), seed {model.seed}"
        print(format_summary(result.metrics, title))
        print(f"{len(result.requests):,} requests simulated in {wall:.1f} s"
              + (f"; written to {args.out}" if args.out else ""))
    return 0


def cmd_check(args) -> int:
    from sim.engine.build import check
    from sim.scenario.files import load

    for path in args.scenarios:
        check(load(path, args.overrides))
        print(f"ok: {path}")
    return 0


def cmd_territory(args) -> int:
    """Check a district and draw it; each problem is one line, and nothing is drawn if there is one."""
    from sim.engine.build import _territory_cfg
    from sim.engine.streams import spawn
    from sim.present.territory_map import save_figure, territory_figure
    from sim.scenario.files import load
    from sim.world.district import check_district
    from sim.world.territory import build_territory

    if args.file.suffix == ".toml":
        scenario = load(args.file, args.overrides)
    else:
        if not args.file.exists():
            raise ScenarioError(str(args.file), "file", "an existing GeoPackage, or a folder of GeoJSON layers")
        scenario = load(ROOT / "scenarios" / "base.toml", [
            "territory.preset=district", f"territory.district={args.file.resolve()}", *args.overrides])
    cfg = _territory_cfg(scenario["territory"])
    where = scenario.where("territory")
    found = check_district(cfg, where) if cfg["preset"] == "district" else []
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        return 2
    territory = build_territory(cfg, spawn(scenario["run"]["seed"])["territory"], where)
    print(territory.summary())
    for note in territory.assumptions:
        print(f"  - {note}")
    if territory.roads is None:
        print("no roads: distances are straight lines x circuity")
    t = territory
    panels = {"to its community station": t.legs_paired(t.building_xy, t.community_xy[t.building_community]).km,
              "to its street centre": t.legs_paired(t.building_xy, t.street_xy[t.building_street]).km}
    name = args.file.stem
    out = args.out or ROOT / "results" / f"territory-{name}"
    for path in save_figure(territory_figure(t, panels, f"{name}: access radius along the roads"), out, "territory"):
        print(f"wrote {path}")
    return 0


def cmd_validity(args) -> int:
    """Exit status 1 when a published fact is missed, so a script can tell."""
    from sim.validity.face import facts_table
    from sim.validity.queueing import validity_table

    out = args.out or (ROOT / "docs" / "validity.md" if args.refresh_docs else Path("results") / "validity.md")
    if out.is_dir():
        raise UsageError("--out", str(out), "a file to write the table to (this is a folder)")
    facts = facts_table(args.fact_runs)
    failed = 1 if "| FAIL |" in facts else 0
    if args.facts_only:  # printed only: the file keeps both tables together
        print(facts)
        return failed
    text = facts + "\n" + validity_table(args.replicates, args.weeks)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return failed


def cmd_compare(args) -> int:
    from sim.studies.compare import compare, default_out, summary_json
    from sim.present.report import terminal

    out = args.out or default_out()
    started = time.perf_counter()
    try:
        c = compare(args.scenarios, replicates=args.replicates, seed=args.seed, overrides=args.overrides, out=out,
                    lang=args.lang, workers=args.workers, dask=args.dask, with_requests=args.requests,
                    command=args.command_line, rerun=args.rerun)
    except KeyboardInterrupt:
        if out.exists():
            print(f"finished runs are kept in {out}; the same command with --out {out} resumes", file=sys.stderr)
        raise
    if args.json:
        print(json.dumps(summary_json(c), indent=2, ensure_ascii=False))
    else:
        print(terminal(c))
        print(f"\n{c.log.ran} runs in {time.perf_counter() - started:.0f} s ({c.log.skipped} already done); "
              f"report: {out / 'report.html'}")
    for name, error in c.failed().items():
        print(f"failed: {name}: {error}", file=sys.stderr)
    return 1 if c.failed() else 0


def cmd_experiment(args) -> int:
    from sim.studies.experiment import experiment, plan, summary_json
    from sim.present.experiment_report import terminal
    from sim.present.text import text

    if args.plan:
        print(plan(args.file, args.seed, args.max_runs), end="")
        return 0
    started = time.perf_counter()
    try:
        r = experiment(args.file, seed=args.seed, out=args.out, lang=args.lang, workers=args.workers, dask=args.dask,
                       command=args.command_line, rerun=args.rerun, max_runs=args.max_runs)
    except KeyboardInterrupt:
        print("finished runs are kept; the same command resumes", file=sys.stderr)
        raise
    if args.json:
        print(json.dumps(summary_json(r), indent=2, ensure_ascii=False))
    else:
        print(terminal(r))
        print("\n" + text("experiment.summary", r.lang, ran=r.log.ran, seconds=time.perf_counter() - started,
                           skipped=r.log.skipped, failed=len(r.failed()), report=r.out / "report.html"))
    for name, error in r.failed().items():
        print(f"failed: {name}: {error}", file=sys.stderr)
    return 1 if r.failed() else 0


def cmd_sensitivity(args) -> int:
    from sim.present.sensitivity_report import terminal
    from sim.runs.runner import default_workers
    from sim.studies.sensitivity import build, format_plan, sensitivity

    if args.plan:
        plan = build(args.file, args.seed, args.max_runs)
        out = args.out or Path("results") / plan.study.name
        print(format_plan(plan, out if out.is_dir() else None, args.workers or default_workers()), end="")
        return 0
    started = time.perf_counter()
    try:
        r = sensitivity(args.file, seed=args.seed, out=args.out, lang=args.lang, workers=args.workers,
                        dask=args.dask, command=args.command_line, rerun=args.rerun,
                        max_runs=args.max_runs)
    except KeyboardInterrupt:
        print("finished runs are kept; the same command resumes", file=sys.stderr)
        raise
    print(terminal(r))
    print(f"\n{r.log.ran} runs in {time.perf_counter() - started:.0f} s ({r.log.skipped} already done, "
          f"{len(r.failed())} failed); report: {r.out / 'report.html'}")
    for name, error in list(r.failed().items())[:10]:
        print(f"failed: {name}: {error}", file=sys.stderr)
    return 1 if r.failed() else 0


def cmd_app(args) -> int:
    """Serve sim/teaching/app.py with Solara in place of this process, so stopping it stops the
    server; sim/teaching/server.py turns away requests not addressed to it."""
    import os
    import socket

    from sim.teaching.live import policies

    if not policies(args.scenario_dir):
        raise UsageError("python -m sim app", "--scenario-dir", f"a folder with policy files (*.toml); "
                            f"{args.scenario_dir} has none")
    if not 0 < args.scale <= 1:
        raise UsageError("python -m sim app", "--scale", "a population scale above 0 and at most 1")
    if args.overrides:  # a territory of its own: refused here in one line, not on the page
        from sim.engine.build import check
        from sim.scenario.files import load

        first = policies(args.scenario_dir)[0]
        check(load(args.scenario_dir / f"{first}.toml", [*args.overrides, f"territory.scale={args.scale}"]))
    port = args.port
    if port == 0:
        with socket.socket() as s:
            s.bind((args.host, 0))
            port = s.getsockname()[1]
    root = str(ROOT)
    env = {**os.environ, "SIM_APP_SCENARIOS": str(args.scenario_dir.resolve()), "SIM_APP_SCALE": str(args.scale),
           "SIM_APP_TERRITORY": json.dumps(args.overrides, ensure_ascii=False),
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "MPLBACKEND": "Agg",
           "PYTHONWARNINGS": "ignore::UserWarning:solara.server.starlette",
           # a session whose tab was closed is freed after two minutes (Solara's default is a day),
           # and no banner covers the figures
           "SOLARA_KERNEL_CULL_TIMEOUT": "2m", "SOLARA_THEME_SHOW_BANNER": "False"}
    print(f"Teaching app: http://{args.host}:{port}/  (Ctrl+C stops it)", flush=True)
    env |= {"SOLARA_APP": "sim.teaching.app", "SOLARA_MODE": "production", "SIM_APP_HOST": args.host,
            "SIM_APP_PORT": str(port), "SERVER_NAME": args.host, "SERVER_PORT": str(port)}
    argv = [sys.executable, "-m", "uvicorn", "--factory", "sim.teaching.server:build", "--host", args.host,
            "--port", str(port), "--log-level", "warning", "--no-access-log"]
    os.execve(sys.executable, argv, env)


COMMANDS = {"run": cmd_run, "check": cmd_check, "validate": cmd_check, "validity": cmd_validity, "compare": cmd_compare,
            "experiment": cmd_experiment, "sensitivity": cmd_sensitivity, "app": cmd_app,
            "territory": cmd_territory}
