"""The sensitivity study: which conclusions survive the uncertainty of the assumptions.

    from sim.studies.sensitivity import sensitivity
    s = sensitivity("experiments/sensitivity.toml")
    s.verdicts   # per reform and outcome: share of plausible worlds in which it beats the baseline
    s.morris, s.sobol, s.boxes

A world is one value of every ranged assumption (sim.scenario.ranges). Three SALib designs
sample worlds: a Morris design over every varied assumption (screening), a Sobol' design over
a chosen few (the others at their defaults) and a Latin hypercube for verdicts and scenario
discovery. In every world each policy runs under the same seeds (replicate r has the r-th
seed in every world and every policy: common random numbers), so the paired difference
reform - baseline is the policy's doing in that world. A policy whose own file sets an
assumption's value keeps it (its range does not apply to it: a lever, not a guess).

Runs go through sim.runs.runner (local processes or Dask, each run written at once), labelled
`<design><world>-<policy>` (`m00012-dingshan`), so the same command after a kill runs only what
is missing. Everything is checked before anything is written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from sim.errors import ScenarioError
from sim.measure.results import simulate
from sim.present.labels import LANGS
from sim.runs import global_sensitivity as gsa
from sim.engine.build import check
from sim.runs.output import claim, manifest, publish, replace_files, run_key, write_json, write_tables
from sim.runs.robustness import Box, judge, losing_box, verdicts
from sim.runs.runner import (RunLog, Task, default_workers, is_finished, read_run, replicate_seeds, run_folder,
                             run_tasks, runs_table)
from sim.scenario.files import Scenario, load
from sim.scenario.ranges import Range, value_at
from sim.studies.experiment_file import MAX_RUNS
from sim.studies.sensitivity_file import Study, load_study

DESIGNS = {"morris": "m", "sobol": "s", "verdicts": "v"}
RESULT_FILES = ("runs.csv", "runs.parquet", "worlds.csv", "differences.csv", "morris.csv", "sobol.csv",
                "verdicts.csv", "boxes.csv", "report.md", "report.html", "manifest.json")


@dataclass
class Plan:
    """What a study will run: its scenarios, ranges, designs and tasks."""

    study: Study
    scenarios: dict[str, Scenario]  # policy -> scenario with the fixed settings
    ranges: list[Range]  # every varied assumption, in file order
    sobol_ranges: list[Range]
    designs: dict[str, np.ndarray]  # design -> sampled numbers (worlds x its ranges)
    seeds: list[int]
    tasks: list[Task]

    def design_ranges(self, design: str) -> list[Range]:
        return self.sobol_ranges if design == "sobol" else self.ranges

    def worlds(self, design: str) -> int:
        return len(self.designs.get(design, ()))


@dataclass
class Results:
    """A finished (or partly failed) study and what it shows."""

    plan: Plan
    out: Path
    lang: str
    log: RunLog
    started: datetime
    runs: pd.DataFrame
    worlds: pd.DataFrame  # design, world, every varied assumption's value, facts_ok
    differences: pd.DataFrame  # design, world, reform, outcome, diff (mean over replicates)
    morris: pd.DataFrame
    sobol: pd.DataFrame
    verdicts: pd.DataFrame
    boxes: list[Box] = field(default_factory=list)
    facts: str | None = None  # why there is no facts filter, when there is none
    command: list[str] | None = None

    @property
    def study(self) -> Study:
        return self.plan.study

    def failed(self) -> dict[str, str]:
        rows = self.runs[self.runs["status"] == "failed"]
        return dict(zip(rows["label"] + "__r" + rows["replicate"].astype(str), rows["error"]))


def toml_value(value) -> str:
    """A value as --set reads it."""
    return tomli_w.dumps({"v": value})[4:].strip()


def build(path: str | Path, seed: int | None = None, max_runs: int = MAX_RUNS) -> Plan:
    """Read and check a study and lay out its designs and runs; nothing is run or written.
    A study of more than `max_runs` runs is refused before its designs are sampled."""
    study = load_study(path)
    if seed is not None:
        study = _with_seed(study, seed)
    fixed = [f"{k}={toml_value(v)}" for k, v in study.fixed.items()]
    scenarios = {p: _load(study, f, fixed) for p, f in study.policies.items()}
    every = _union(study, scenarios)
    ranges = every if study.vary is None else [_ranged(study, every, k, "sensitivity.vary") for k in study.vary]
    sobol_ranges = [_ranged(study, ranges, k, "sobol.assumptions") for k in study.sobol]
    if not ranges:
        raise ScenarioError(study.path, "sensitivity.vary", "at least one assumption with a range in the policies' "
                                                            "scenario files ([ranges])")
    worlds = study.trajectories * (len(ranges) + 1) + study.samples * (len(sobol_ranges) + 2) * bool(sobol_ranges) \
        + study.worlds
    runs = worlds * len(scenarios) * study.replicates
    if runs > max_runs:
        raise ScenarioError(study.path, "morris.trajectories", f"a study of at most {max_runs:,} runs (--max-runs); "
                                                               f"this one has {runs:,} ({worlds:,} worlds)")
    for sc in scenarios.values():
        check(sc)
    _facts_comparable(study, scenarios[study.baseline])
    designs = {"morris": gsa.morris_design(ranges, study.trajectories, study.levels, study.seed)}
    if sobol_ranges:
        designs["sobol"] = gsa.sobol_design(sobol_ranges, study.samples, study.seed + 1)
    if study.worlds:
        designs["verdicts"] = gsa.latin_design(ranges, study.worlds, study.seed + 2)
    seeds = replicate_seeds(study.seed, study.replicates)
    keys = {policy: run_key(sc.fingerprint()) for policy, sc in scenarios.items()}
    tasks = []
    for design, numbers in designs.items():
        rs = sobol_ranges if design == "sobol" else ranges
        for w, row in enumerate(numbers):
            for policy, sc in scenarios.items():
                own, key = {r.key for r in sc.ranges}, keys[policy]
                overrides = tuple(fixed + [r.override(x) for r, x in zip(rs, row) if r.key in own])
                tasks += [Task(world_label(design, w, policy), k, s, str(sc.path), overrides, key)
                          for k, s in enumerate(seeds)]
    first: dict = {}
    for t in tasks:
        first.setdefault((t.label[0], t.scenario), t)
    for t in first.values():
        load(t.scenario, list(t.overrides))  # each policy's first world of each design: a fault shows before any run
    return Plan(study, scenarios, ranges, sobol_ranges, designs, seeds, tasks)


def _facts_comparable(study: Study, baseline: Scenario) -> None:
    """A facts filter on a cut-down territory would be empty by construction: refuse it."""
    scale = value_at(baseline.values, "territory.scale")
    if study.facts and scale != 1:
        raise ScenarioError(study.path, "verdicts.facts", f"false when territory.scale is {scale:g}: the published "
                                                          "facts describe the whole street, and a scaled territory "
                                                          "keeps every window, so its queues, errands and visitors "
                                                          "per window cannot match them (run at scale 1 with fewer "
                                                          "weeks instead)")


def world_label(design: str, world: int, policy: str) -> str:
    return f"{DESIGNS[design]}{world:05d}-{policy}"


def _with_seed(study: Study, seed: int) -> Study:
    from dataclasses import replace

    return replace(study, seed=seed)


def _load(study: Study, path: Path, fixed: list[str]) -> Scenario:
    """A policy's scenario with the study's fixed settings; a bad setting is blamed on the study file."""
    try:
        return load(path, fixed)
    except ScenarioError as exc:
        if exc.where == "--set":
            raise ScenarioError(study.path, f"sensitivity.set.{exc.key}", exc.expected) from None
        raise


def _union(study: Study, scenarios: dict[str, Scenario]) -> list[Range]:
    """Every range of any policy, once; two policies may not give one assumption two ranges."""
    seen: dict[str, Range] = {}
    for policy, sc in scenarios.items():
        for r in sc.ranges:
            if r.key in seen and _form(seen[r.key]) != _form(r):
                raise ScenarioError(sc.path, f"ranges.{r.key}", f"the same range as the other policies "
                                                                f"({seen[r.key].describe()}): a study varies one world")
            seen.setdefault(r.key, r)
    return list(seen.values())


def _form(r: Range) -> tuple:
    return r.low, r.high, r.dist, r.levels, r.integer


def _ranged(study: Study, ranges: list[Range], key: str, where: str) -> Range:
    by_key = {r.key: r for r in ranges}
    if key not in by_key:
        raise ScenarioError(study.path, where, f"assumptions with a range in the policies' files; {key!r} has none "
                                               f"(known: {', '.join(list(by_key)[:6])}, ...)")
    return by_key[key]


# ---- the plan ----------------------------------------------------------------------------------------

def estimate_seconds(plan: Plan, out: Path | None) -> tuple[float, str]:
    """Mean seconds of one run: from runs already in `out`, else by timing each policy once here."""
    if out is not None:
        done = [_task_seconds(out, t) for t in plan.tasks[: 4 * len(plan.scenarios) * len(plan.seeds)]]
        finished = [s for s in done if s is not None]
        if finished:
            return float(np.mean(finished)), f"mean of {len(finished)} finished runs"
    times = []
    for sc in plan.scenarios.values():
        started = time.perf_counter()
        simulate(sc, seed=plan.seeds[0])
        times.append(time.perf_counter() - started)
    return float(np.mean(times)), "one run of each policy timed here"


def _task_seconds(out: Path, task: Task) -> float | None:
    import json

    try:
        return float(json.loads((run_folder(out, task) / "task.json").read_text())["seconds"])
    except (OSError, ValueError, KeyError):
        return None


def format_plan(plan: Plan, out: Path | None, workers: int) -> str:
    """What `--plan` prints: the designs' sizes and an estimate of the time."""
    s = plan.study
    per_world = len(plan.scenarios) * len(plan.seeds)
    lines = [f"sensitivity study {s.name} ({s.path})",
             f"policies: {', '.join(plan.scenarios)} (baseline {s.baseline}); {len(plan.seeds)} replicate(s) per world",
             f"assumptions varied: {len(plan.ranges)}; outcomes: {', '.join(o.key for o in s.outcomes)}"]
    for design, numbers in plan.designs.items():
        what = {"morris": f"Morris, {s.trajectories} trajectories x ({len(plan.ranges)} + 1), {s.levels} levels",
                "sobol": f"Sobol', N = {s.samples} x ({len(plan.sobol_ranges)} + 2): "
                         + ", ".join(r.key for r in plan.sobol_ranges),
                "verdicts": "Latin hypercube for verdicts and PRIM"}[design]
        lines.append(f"  {design:9} {len(numbers):6,} worlds  {len(numbers) * per_world:7,} runs  ({what})")
    pending = [t for t in plan.tasks if out is None or not is_finished(out, t)]
    seconds, how = estimate_seconds(plan, out)
    total = len(pending) * seconds / max(1, workers)
    lines.append(f"total: {len(plan.tasks):,} runs, {len(pending):,} to run; about {seconds:.2f} s a run "
                 f"({how}) on {workers} worker(s): about {_duration(total)}")
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min" if seconds >= 90 \
        else f"{seconds:.0f} s"


# ---- running and analysing ---------------------------------------------------------------------------

def sensitivity(path: str | Path, *, seed: int | None = None, out: str | Path | None = None, lang: str = "en",
                workers: int | None = None, dask: str | None = None, progress: bool = True,
                command: list[str] | None = None, rerun: bool = False, max_runs: int = MAX_RUNS) -> Results:
    """Run every run of the study not yet in `out`, analyse them all and write the results."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    started = datetime.now(timezone.utc)
    plan = build(path, seed, max_runs)
    out = Path(out) if out is not None else Path("results") / plan.study.name
    prints = {policy: sc.fingerprint() for policy, sc in plan.scenarios.items()}
    with claim(out, {"kind": "sensitivity", "name": plan.study.name}, prints, rerun):
        log = run_tasks(plan.tasks, out, workers=workers, dask=dask, progress=progress)
        r = analyse(plan, out, lang, log, started, command)
        write_results(r, workers=workers, dask=dask)
    return r


def analyse(plan: Plan, out: Path, lang: str, log: RunLog, started: datetime, command=None) -> Results:
    study = plan.study
    runs = runs_table(out, plan.tasks)
    parts = runs["label"].str.extract(r"^(?P<design>[a-z])(?P<world>\d+)-(?P<policy>\w+)$")
    parts["design"] = parts["design"].map({v: k for k, v in DESIGNS.items()})
    parts["world"] = parts["world"].astype(int)
    runs = pd.concat([runs[["label"]], parts, runs.drop(columns="label")], axis=1)
    for o in study.outcomes:
        if o.key not in runs:
            runs[o.key] = math.nan  # a key no run produced: every figure is missing (said in the report)
    worlds = _worlds(plan)
    facts, why = _facts(plan, out, worlds)
    worlds = pd.concat([worlds, facts], axis=1)
    diffs = _differences(runs, study)
    morris, sobol = _indices(plan, diffs)
    better = {o.key: o.better for o in study.outcomes}
    margins = {o.key: o.margin for o in study.outcomes}
    judged = diffs[diffs["design"] == "verdicts"]
    table = verdicts(judged, better, "all", margins)
    if why is None:
        ok = worlds.loc[(worlds["design"] == "verdicts") & worlds["facts_ok"].fillna(False).astype(bool), "world"]
        table = pd.concat([table, verdicts(judged[judged["world"].isin(ok)], better, "facts", margins)],
                          ignore_index=True)
    boxes = _boxes(plan, worlds, judged)
    return Results(plan, out, lang, log, started, runs, worlds, diffs, morris, sobol, table, boxes, why, command)


def _worlds(plan: Plan) -> pd.DataFrame:
    tables = []
    for design, numbers in plan.designs.items():
        values = gsa.world_values(plan.design_ranges(design), numbers)
        values.insert(0, "world", range(len(values)))
        values.insert(0, "design", design)
        tables.append(values)
    return pd.concat(tables, ignore_index=True)


def _facts(plan: Plan, out: Path, worlds: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Per world and published fact: the baseline's figure (mean over its replicates) and whether it
    lies within the fact's tolerance (`fact.<name>`, `fact.<name>.ok`; a figure the runs did not
    produce fails); `facts_ok` when every fact holds. None where a baseline run of the world is
    missing. With the reason when there is no filter."""
    if not plan.study.facts:
        return pd.DataFrame({"facts_ok": [None] * len(worlds)}, index=worlds.index, dtype=object), \
            "not asked for (verdicts.facts = true asks for it)"
    from sim.measure.facts import figure, load_facts

    base = plan.study.baseline
    by_label: dict[str, list] = {}
    for t in plan.tasks:
        if t.label.endswith(f"-{base}"):
            by_label.setdefault(t.label, []).append(t)
    facts = load_facts()
    rows = []
    for design, world in zip(worlds["design"], worlds["world"]):
        read = [read_run(out, t)[0] for t in by_label[world_label(design, world, base)]]
        ran = all(m is not None for m in read)
        row: dict = {}
        for f in facts:
            values = [figure(m, f.metric) for m in read if m is not None]
            found = [v for v in values if v is not None]
            value = float(np.mean(found)) if ran and len(found) == len(values) else None
            row[f"fact.{f.name}"] = value  # a figure the runs did not produce fails its fact (check_facts)
            row[f"fact.{f.name}.ok"] = None if not ran else value is not None and bool(f.low <= value <= f.high)
        oks = [row[f"fact.{f.name}.ok"] for f in facts]
        row["facts_ok"] = None if any(o is None for o in oks) else all(oks)
        rows.append(row)
    return pd.DataFrame(rows, index=worlds.index, dtype=object), None


def _differences(runs: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Reform minus baseline in each world, each replicate paired by its seed, then averaged."""
    keys = [o.key for o in study.outcomes]
    table = runs.set_index(["design", "world", "replicate", "policy"])[keys]
    base = table.xs(study.baseline, level="policy")
    rows = []
    for reform in study.reforms:
        diff = (table.xs(reform, level="policy") - base).groupby(level=["design", "world"]).mean()
        long = diff.reset_index().melt(["design", "world"], var_name="outcome", value_name="diff")
        long.insert(2, "reform", reform)
        rows.append(long)
    return pd.concat(rows, ignore_index=True)


def _indices(plan: Plan, diffs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    study = plan.study
    morris: list = []
    sobol: list = []
    for reform in study.reforms:
        for o in study.outcomes:
            part = diffs[(diffs["reform"] == reform) & (diffs["outcome"] == o.key)]
            for design, analyse_ in (("morris", _morris), ("sobol", _sobol)):
                if design not in plan.designs:
                    continue
                y = part[part["design"] == design].set_index("world")["diff"] \
                    .reindex(range(plan.worlds(design))).to_numpy(float)
                found = analyse_(plan, y)
                found.insert(0, "outcome", o.key)
                found.insert(0, "reform", reform)
                (morris if design == "morris" else sobol).append(found)
    return (pd.concat(morris, ignore_index=True),
            pd.concat(sobol, ignore_index=True) if sobol else pd.DataFrame(
                columns=["reform", "outcome", "assumption", "S1", "S1_conf", "S1_resolved", "ST", "ST_conf",
                         "ST_resolved"]))


def _morris(plan: Plan, y: np.ndarray) -> pd.DataFrame:
    return gsa.morris_indices(plan.ranges, plan.designs["morris"], y, plan.study.levels, plan.study.seed)


def _sobol(plan: Plan, y: np.ndarray) -> pd.DataFrame:
    return gsa.sobol_indices(plan.sobol_ranges, y, plan.study.seed)


def _boxes(plan: Plan, worlds: pd.DataFrame, judged: pd.DataFrame) -> list[Box]:
    """A PRIM box per reform and outcome of the worlds where the reform does worse by more than the margin."""
    if "verdicts" not in plan.designs:
        return []
    x = worlds[worlds["design"] == "verdicts"].set_index("world")[[r.key for r in plan.ranges]]
    out = []
    for (reform, outcome), part in judged.groupby(["reform", "outcome"], sort=False):
        part = part.dropna(subset=["diff"]).set_index("world")
        o = plan.study.outcome(outcome)
        box = losing_box(x.loc[part.index], judge(part["diff"], o.better, o.margin) < 0, reform, outcome)
        if box is not None:
            out.append(box)
    return out


def boxes_table(boxes: list[Box]) -> pd.DataFrame:
    return pd.DataFrame([{"reform": b.reform, "outcome": b.outcome, "losing_worlds": b.losing,
                          "coverage": b.coverage, "density": b.density, "mass": b.mass,
                          "limits": "; ".join(f"{k} in {list(v)}" for k, v in b.limits.items())} for b in boxes],
                        columns=["reform", "outcome", "losing_worlds", "coverage", "density", "mass", "limits"])


def write_results(r: Results, workers: int | None, dask: str | None) -> None:
    """Tables, figures, report and manifest: each file replaced whole, the manifest last."""
    from sim.present.sensitivity_figures import draw_all
    from sim.present.sensitivity_report import write_report

    figures: list = []
    publish(r.out / "figures", lambda tmp: figures.extend(draw_all(tmp, r)))
    s = r.study

    def fill(staging: Path) -> None:
        write_tables(staging, r.runs, "worlds.csv", r.worlds)
        for name, table in (("differences.csv", r.differences), ("morris.csv", r.morris), ("sobol.csv", r.sobol),
                            ("verdicts.csv", r.verdicts), ("boxes.csv", boxes_table(r.boxes))):
            table.to_csv(staging / name, index=False)
        write_report(staging, r, figures, r.out / "figures")
        write_json(staging / "manifest.json", manifest(
            list(r.plan.scenarios.values()), {"root": s.seed, "replicates": r.plan.seeds}, r.started,
            study={"file": str(s.path), "name": s.name, "baseline": s.baseline,
                   "policies": {p: str(f) for p, f in s.policies.items()},
                   "outcomes": {o.key: {"better": o.better, "negligible": o.margin} for o in s.outcomes}, "set": s.fixed,
                   "morris": {"trajectories": s.trajectories, "levels": s.levels},
                   "sobol": {"assumptions": s.sobol, "samples": s.samples}, "verdicts": {"worlds": s.worlds},
                   "facts": r.facts or "fact-consistent worlds judged separately"},
            ranges={rg.key: {"low": rg.low, "high": rg.high, "dist": rg.dist, "mode": rg.mode,
                             "levels": list(rg.levels)} for rg in r.plan.ranges},
            designs={d: len(n) for d, n in r.plan.designs.items()}, sampler="SALib", lang=r.lang,
            executor={"dask": dask} if dask else {"workers": workers or default_workers()},
            runs={"ran": r.log.ran, "skipped": r.log.skipped, "failed": r.failed()}, command=r.command))

    replace_files(r.out, RESULT_FILES, fill)
