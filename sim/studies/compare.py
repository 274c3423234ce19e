"""The main job: run several scenarios R times with common random numbers and compare them
against the first (the baseline) with honest intervals, figures and a report.

    from sim.studies.compare import compare
    c = compare(["scenarios/centralised.toml", "scenarios/dingshan.toml"], replicates=5)
    c.summary  # scenario × metric: means, 95% intervals, paired differences

Everything is checked before anything is written: a missing or bad file (data files included), a
bad --set or an --out that is not this job's raises ScenarioError and leaves no folder behind.
The runs go to <out>/runs/ one by one (see sim.runs.runner), so the same call after an
interruption only runs what is missing; a changed input is refused unless `rerun`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

import pandas as pd

from sim.measure.access import AccessMap, access_map
from sim.errors import ScenarioError
from sim.present.labels import LANGS, scenario_name
from sim.engine.build import check
from sim.engine.model import GovernanceModel
from sim.runs.output import claim, manifest, publish, replace_files, run_key, write_json, write_tables
from sim.runs.runner import RUN_COLUMNS, RunLog, Task, default_workers, read_run, replicate_seeds, run_tasks, runs_table
from sim.scenario.files import Scenario, load, resolved_override
from sim.runs.stats import summarise, survey_detection

DEFAULT_REPLICATES = 5
RESULT_FILES = ("runs.csv", "runs.parquet", "summary.csv", "report.md", "report.html", "manifest.json")


@dataclass
class Comparison:
    """Everything the table, the figures and the report are made of."""

    out: Path
    lang: str
    labels: list[str]  # one per scenario, labels[0] is the baseline
    paths: dict[str, str]  # label -> scenario file as given
    scenarios: dict[str, Scenario]
    root_seed: int
    seeds: list[int]
    tasks: list[Task]
    log: RunLog
    started: datetime
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey: pd.DataFrame = field(default_factory=pd.DataFrame)
    distributions: dict[str, list[dict | None]] = field(default_factory=dict)
    maps: dict[str, AccessMap] = field(default_factory=dict)
    command: list[str] | None = None

    @property
    def names(self) -> dict[str, str]:
        return {k: scenario_name(s["meta"], self.lang) for k, s in self.scenarios.items()}

    @property
    def short(self) -> dict[str, str]:
        return {k: scenario_name(s["meta"], self.lang, short=True) for k, s in self.scenarios.items()}

    @property
    def replicates(self) -> int:
        return len(self.seeds)

    def cell(self, label: str, metric: str) -> pd.Series | None:
        """The summary row of one scenario and metric, or None when the metric was never produced."""
        try:
            return self._index.loc[(label, metric)]
        except KeyError:
            return None

    @cached_property
    def _index(self) -> pd.DataFrame:
        return self.summary.set_index(["label", "metric"]).sort_index()

    def failed(self) -> dict[str, str]:
        rows = self.runs[self.runs["status"] == "failed"]
        return dict(zip(rows["label"] + "__r" + rows["replicate"].astype(str), rows["error"]))


def labels_for(paths: list[Path]) -> list[str]:
    """File stems, made unique and safe as folder names: 'dingshan', 'dingshan-2'."""
    labels: list[str] = []
    for p in paths:
        stem = re.sub(r"[^\w.-]+", "_", Path(p).stem) or "scenario"
        label, k = stem, 1
        while label in labels:
            k += 1
            label = f"{stem}-{k}"
        labels.append(label)
    return labels


def default_out() -> Path:
    return Path("results") / f"compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def compare(paths: list[str | Path], *, replicates: int = DEFAULT_REPLICATES, seed: int | None = None,
            overrides: list[str] | None = None, out: str | Path | None = None, lang: str = "en",
            workers: int | None = None, dask: str | None = None, with_requests: bool = False,
            progress: bool = True, command: list[str] | None = None, rerun: bool = False) -> Comparison:
    """Run, summarise and write everything; returns the comparison for printing."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    if replicates < 1 or not paths:
        raise ValueError("compare needs at least one scenario and one replicate")
    started = datetime.now(timezone.utc)
    overrides = [resolved_override(o) for o in overrides or []]
    scenarios = [load(p, overrides) for p in paths]
    for sc in scenarios:
        check(sc)
    labels = labels_for([Path(p) for p in paths])
    seed = scenarios[0]["run"]["seed"] if seed is None else seed
    seeds = replicate_seeds(seed, replicates)
    prints = {label: sc.fingerprint() for label, sc in zip(labels, scenarios)}
    tasks = [Task(label, r, s, str(sc.path), tuple(overrides), run_key(prints[label]))
             for label, sc in zip(labels, scenarios) for r, s in enumerate(seeds)]
    out = Path(out) if out is not None else default_out()
    with claim(out, {"kind": "compare"}, prints, rerun):
        log = run_tasks(tasks, out, workers=workers, dask=dask, with_requests=with_requests, progress=progress)
        c = Comparison(out, lang, labels, {lb: str(p) for lb, p in zip(labels, paths)},
                       dict(zip(labels, scenarios)), seed, seeds, tasks, log, started, command=command)
        _collect(c)
        write_results(c, overrides=overrides, workers=workers, dask=dask)
    return c


def _collect(c: Comparison) -> None:
    c.runs = runs = runs_table(c.out, c.tasks, {lb: scenario_name(s["meta"], "en") for lb, s in c.scenarios.items()})
    c.summary = summarise(runs, list(runs.columns[len(RUN_COLUMNS):]), c.labels)
    c.survey = survey_detection(runs, c.labels) if "survey.n" in runs else pd.DataFrame()
    c.distributions = {lb: [read_run(c.out, t)[1] for t in c.tasks if t.label == lb] for lb in c.labels}
    ok = runs[runs["status"] == "ok"].drop_duplicates("label").set_index("label")["seed"]
    c.maps = {lb: access_map(GovernanceModel(c.scenarios[lb], int(ok[lb]))) for lb in c.labels if lb in ok.index}


def write_results(c: Comparison, overrides: list[str], workers, dask) -> None:
    """Tables, figures, report and manifest: each file replaced whole, the manifest last."""
    from sim.present.figures import draw_all
    from sim.present.report import write_report

    figures = []
    publish(c.out / "figures", lambda tmp: figures.extend(draw_all(tmp, c)))

    def fill(staging: Path) -> None:
        write_tables(staging, c.runs, "summary.csv", c.summary)
        write_report(staging, c, figures, c.out / "figures")
        write_json(staging / "manifest.json", manifest(
            list(c.scenarios.values()), {"root": c.root_seed, "replicates": c.seeds}, c.started,
            labels={lb: {"file": c.paths[lb], "resolved": c.scenarios[lb].values} for lb in c.labels},
            overrides=overrides, replicates=c.replicates, lang=c.lang,
            executor={"dask": dask} if dask else {"workers": workers or default_workers()},
            runs={"ran": c.log.ran, "skipped": c.log.skipped, "failed": c.failed()},
            command=c.command))

    replace_files(c.out, RESULT_FILES, fill)


def summary_json(c: Comparison) -> dict:
    """The --json output: per metric and scenario, mean and interval, and the paired difference."""
    def clean(v):
        return None if isinstance(v, float) and not math.isfinite(v) else v

    out: dict = {}
    for row in c.summary.to_dict("records"):
        cell = {k: clean(row[k]) for k in ("n", "mean", "half_width", "low", "high")}
        if row["label"] != c.labels[0]:
            cell["difference"] = {"n": row["diff_n"], "mean": clean(row["diff"]),
                                  "half_width": clean(row["diff_half_width"]), "low": clean(row["diff_low"]),
                                  "high": clean(row["diff_high"]), "real": bool(row["real"]),
                                  "negligible": bool(row["negligible"])}
        out.setdefault(row["metric"], {})[row["label"]] = cell
    return {
        "out": str(c.out), "baseline": c.labels[0], "replicates": c.replicates, "seeds": c.seeds,
        "scenarios": {lb: {"file": c.paths[lb], "name": c.names[lb]} for lb in c.labels},
        "runs": {"ran": c.log.ran, "skipped": c.log.skipped, "failed": len(c.failed())},
        "failed": c.failed(),
        "survey": [{k: clean(v) for k, v in row.items()} for row in c.survey.to_dict("records")],
        "metrics": out,
    }
