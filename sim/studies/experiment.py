"""The experiment job: an experiment file's design run combination by combination with common
random numbers, then its main effects and two-way interactions written up as tables, figures and
a report.

    from sim.studies.experiment import experiment
    e = experiment("experiments/authorisation.toml")
    e.effects  # level means, differences, cell means and interaction contrasts, with 95% intervals

The experiment's seed (or --seed) seeds both SweetPea's run order and the runs: replicate r of
every combination gets the r-th of `replicate_seeds(seed, replicates)`. Each run is labelled by
its levels (`model=dingshan,demand=high`) and written to <out>/runs/<label>__r<k>/ as compare's
runs are (see sim.runner), so the same command after an interruption only runs what is missing.
Everything is checked before anything is written.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from sim.runs.effects import effects
from sim.errors import ScenarioError
from sim.studies.experiment_file import MAX_RUNS, Experiment, load_experiment
from sim.present.labels import LANGS, METRICS
from sim.engine.build import check
from sim.runs.output import claim, manifest, publish, replace_files, run_key, write_json, write_tables
from sim.runs.runner import RUN_COLUMNS, RunLog, Task, default_workers, replicate_seeds, run_tasks, runs_table
from sim.scenario.files import Scenario, load

RESULT_FILES = ("runs.csv", "runs.parquet", "effects.csv", "report.md", "report.html", "manifest.json")
TAKEN = ("run", *RUN_COLUMNS)  # columns of the runs table beside the factors and the metrics


@dataclass
class Results:
    """A finished (or partly failed) experiment: what was run and what it shows."""

    exp: Experiment  # with the seed actually used
    cells: list  # sim.studies.design.Cell, in run order
    tasks: list[Task]  # one per cell, same order
    scenarios: dict[str, Scenario]  # label -> the scenario its runs load
    seeds: list[int]
    out: Path
    lang: str
    log: RunLog
    started: datetime
    runs: pd.DataFrame
    effects: pd.DataFrame
    command: list[str] | None = None

    @property
    def factors(self) -> dict[str, list[str]]:
        return {f: list(levels) for f, levels in self.exp.factors.items()}

    def failed(self) -> dict[str, str]:
        rows = self.runs[self.runs["status"] == "failed"]
        return dict(zip(rows["label"] + "__r" + rows["replicate"].astype(str), rows["error"]))


def label(levels: dict[str, str]) -> str:
    """A run's name from its levels, also a folder name: 'model=dingshan,demand=high'."""
    return ",".join(f"{f}={level}" for f, level in levels.items())


def load_design(path: str | Path, seed: int | None = None, max_runs: int = MAX_RUNS) -> tuple[Experiment, list]:
    """The checked experiment (with `seed` in place of the file's) and its runs in order."""
    from sim.studies.design import synthesize  # SweetPea takes half a second to import

    exp = load_experiment(path, max_runs)
    exp = exp if seed is None else replace(exp, seed=seed)
    clash = [f for f in exp.factors if f in TAKEN or f in METRICS]
    if clash:
        raise ScenarioError(exp.path, f"factors.{clash[0]}", "a factor name that is not a column of the runs "
                                                              "table: not a metric nor " + ", ".join(TAKEN))
    return exp, synthesize(exp)


def plan(path: str | Path, seed: int | None = None, max_runs: int = MAX_RUNS) -> str:
    """The design as `--plan` prints it."""
    from sim.studies.design import format_plan

    exp, cells = load_design(path, seed, max_runs)
    check_levels(exp, cells)
    return format_plan(exp, cells)


def check_levels(exp: Experiment, cells: list) -> None:
    """Load the scenario of one run of every level, so that a value a level sets is checked
    against the schema (and blamed on that level) without loading every combination."""
    seen: set[tuple[str, str]] = set()
    for cell in cells:
        new = {(f, level) for f, level in cell.levels.items()} - seen
        if new:
            _load(exp, cell)
            seen |= new


def experiment(path: str | Path, *, seed: int | None = None, out: str | Path | None = None, lang: str = "en",
               workers: int | None = None, dask: str | None = None, progress: bool = True,
               command: list[str] | None = None, rerun: bool = False, max_runs: int = MAX_RUNS) -> Results:
    """Run every run of the design not yet in `out`, analyse them all and write the results."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    started = datetime.now(timezone.utc)
    exp, cells = load_design(path, seed, max_runs)
    seeds = replicate_seeds(exp.seed, exp.replicates)
    tasks, scenarios = tasks_for(exp, cells, seeds)
    prints = {name: sc.fingerprint() for name, sc in scenarios.items()}
    out = Path(out) if out is not None else Path("results") / exp.name
    with claim(out, {"kind": "experiment", "name": exp.name}, prints, rerun):
        log = run_tasks(tasks, out, workers=workers, dask=dask, progress=progress)
        runs = _runs(out, exp, cells, tasks)
        r = Results(exp, cells, tasks, scenarios, seeds, out, lang, log, started, runs,
                    effects(runs, {f: list(levels) for f, levels in exp.factors.items()}, exp.metrics), command)
        write_results(r, workers=workers, dask=dask)
    return r


def tasks_for(exp: Experiment, cells: list, seeds: list[int]) -> tuple[list[Task], dict[str, Scenario]]:
    """One task per run in run order, and each combination's scenario, loaded (and so checked) once."""
    scenarios: dict[str, Scenario] = {}
    tasks = []
    for cell in cells:
        name = label(cell.levels)
        if name not in scenarios:
            scenarios[name] = _load(exp, cell)
            check(scenarios[name])
        tasks.append(Task(name, cell.replicate, seeds[cell.replicate], str(cell.scenario), tuple(cell.overrides),
                          run_key(scenarios[name].fingerprint())))
    return tasks, scenarios


def _load(exp: Experiment, cell) -> Scenario:
    """The scenario of a combination; a bad value set by a level is blamed on that level."""
    try:
        return load(cell.scenario, cell.overrides)
    except ScenarioError as exc:
        if exc.where != "--set":
            raise
        for factor, level in cell.levels.items():
            if exc.key in exp.factors[factor][level].set:
                raise ScenarioError(exp.path, f"factors.{factor}.{level}.set.{exc.key}", exc.expected) from None
        raise


def _runs(out: Path, exp: Experiment, cells: list, tasks: list[Task]) -> pd.DataFrame:
    """One row per run in run order: run, label, the levels, replicate, seed, scenario, status,
    error, then every metric. A metric the file asks for must be among them."""
    runs = runs_table(out, tasks).drop(columns="name")
    levels = pd.DataFrame([{"run": c.run, **c.levels} for c in cells])
    table = pd.concat([levels[["run"]], runs[["label"]], levels[list(exp.factors)], runs.iloc[:, 1:]], axis=1)
    produced = list(table.columns[table.columns.get_loc("error") + 1:])
    for metric in exp.metrics:
        if metric in table:
            continue
        if produced:
            close = difflib.get_close_matches(metric, produced, n=3, cutoff=0.6)
            raise ScenarioError(exp.path, "experiment.metrics", f"headline keys the runs produce; {metric!r} is not "
                                "one" + (" (did you mean " + ", ".join(close) + "?)" if close else "")
                                + "; the finished runs are kept, so a rerun after fixing the file runs nothing again")
        table[metric] = math.nan  # no run finished: every figure is missing
    return table


def write_results(r: Results, workers: int | None, dask: str | None) -> None:
    """Tables, figures, report and manifest: each file replaced whole, the manifest last."""
    from sim.present.experiment_figures import draw_all
    from sim.present.experiment_report import write_report

    figures: list = []
    publish(r.out / "figures", lambda tmp: figures.extend(draw_all(tmp, r)))

    def fill(staging: Path) -> None:
        write_tables(staging, r.runs, "effects.csv", r.effects)
        write_report(staging, r, figures, r.out / "figures")
        write_json(staging / "manifest.json", manifest(
            list({s.digest(): s for s in r.scenarios.values()}.values()),
            {"design": r.exp.seed, "root": r.exp.seed, "replicates": r.seeds}, r.started,
            experiment=experiment_record(r.exp), design=design_record(r), lang=r.lang,
            labels={name: {"file": str(s.path), "resolved": s.values} for name, s in r.scenarios.items()},
            executor={"dask": dask} if dask else {"workers": workers or default_workers()},
            runs={"ran": r.log.ran, "skipped": r.log.skipped, "failed": r.failed()}, command=r.command))

    replace_files(r.out, RESULT_FILES, fill)


def experiment_record(exp: Experiment) -> dict:
    """The experiment file as read: its hash and every factor, level, exclusion and constraint."""
    return {
        "file": str(exp.path), "sha256": hashlib.sha256(exp.path.read_bytes()).hexdigest()[:16], "name": exp.name,
        "replicates": exp.replicates, "metrics": exp.metrics, "max_in_a_row": exp.max_in_a_row,
        "exclude": [{f: list(levels) for f, levels in rule.items()} for rule in exp.excludes],
        "factors": {f: {name: {"scenario": str(lvl.scenario) if lvl.scenario else None, "set": lvl.set}
                        for name, lvl in levels.items()} for f, levels in exp.factors.items()},
    }


def design_record(r: Results) -> dict:
    """The synthesised design: SweetPea's sampler and seed, then every run in run order."""
    return {"sampler": "sweetpea RandomGen", "seed": r.exp.seed, "runs": [
        {"run": c.run, "label": t.label, "levels": c.levels, "replicate": c.replicate, "seed": t.seed,
         "scenario": t.scenario, "overrides": list(t.overrides)} for c, t in zip(r.cells, r.tasks)]}


def summary_json(r: Results) -> dict:
    """The --json output: what ran, and every row of the effects table."""
    def clean(v):
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return {
        "out": str(r.out), "experiment": r.exp.name, "file": str(r.exp.path), "replicates": r.exp.replicates,
        "seeds": {"design": r.exp.seed, "replicates": r.seeds}, "factors": r.factors,
        "runs": {"total": len(r.tasks), "ran": r.log.ran, "skipped": r.log.skipped, "failed": len(r.failed())},
        "failed": r.failed(),
        "effects": [{k: clean(v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                    for row in r.effects.to_dict("records")],
    }
