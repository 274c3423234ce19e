"""Command line: `python -m sim run|validate|compare|experiment|app`. Thin over the Python API;
bad input is one clear line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .errors import ScenarioError


def _scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, help="seed for every random draw (default: run.seed in the file)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value, e.g. --set staff.specialist.count=6 (repeatable)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--out", type=Path, help="folder to write the results to")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.split(";")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run one scenario and print its metrics")
    p.add_argument("scenario", type=Path)
    _scenario_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("scenarios", type=Path, nargs="+")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p = sub.add_parser("validity", help="check the model against queueing theory; writes docs/validation.md")
    p.add_argument("--replicates", type=int, default=10)
    p.add_argument("--weeks", type=float, default=20)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "validation.md")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_run(args) -> int:
    from .model import GovernanceModel
    from .metrics import format_summary
    from .output import write_run
    from .scenario import load

    scenario = load(args.scenario, args.overrides)
    started = time.perf_counter()
    model = GovernanceModel(scenario, args.seed)
    model.run()
    result = model.results()
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


def cmd_validate(args) -> int:
    from .model import check
    from .scenario import load

    for path in args.scenarios:
        check(load(path, args.overrides))
        print(f"ok: {path}")
    return 0


def cmd_validity(args) -> int:
    from .validation import validation_table

    table = validation_table(args.replicates, args.weeks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "validity": cmd_validity}
