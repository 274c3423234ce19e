"""Running many simulations: in local worker processes or on a Dask cluster, each finished run
written at once to its own folder, so an interrupted job rerun with the same command skips what
is done and loses nothing, and a run that raises is recorded while the others go on.

Layout of an output folder (`compare` and `experiment` share it):

    <out>/runs/<label>__r<k>/task.json           what was run: scenario, overrides, seed, resume key,
                                                 and a checksum of every other file of the run
                             metrics.json        the run's metrics (DESIGN §6 contract)
                             distributions.json  quantile functions for the distribution figures
                             requests.parquet    the per-request table, only when asked for
                             error.json          instead of metrics.json when the run raised

Workers load the scenario themselves from its path, so only small task records travel; the
overrides they apply were resolved by the parent (file values made absolute), so a worker's own
working folder does not matter. The parent process alone writes, so results are the same
whichever way the runs are executed. A run is reused only when its task.json names the same
seed, overrides and resume key (scenario values, data files, code, packages: see
`sim.runs.output.run_key`) and every file still matches its checksum; otherwise it runs again.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as local_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.measure.distributions import quantile_functions
from sim.errors import ScenarioError, UsageError
from sim.measure.metrics import headline
from sim.measure.results import simulate
from sim.runs.output import file_sha, publish, read_json, write_json
from sim.scenario.files import load

RUN_COLUMNS = ("label", "replicate", "seed", "scenario", "name", "status", "error")  # then the metrics
DASK_TIMEOUT = "10s"


@dataclass(frozen=True)
class Task:
    """One run: a scenario file with overrides, under one seed. `digest` is the run's resume key
    (`sim.runs.output.run_key`), so a rerun after any input changed runs again instead of reusing
    stale numbers. Overrides are resolved (`sim.scenario.files.resolved_override`)."""

    label: str
    replicate: int
    seed: int
    scenario: str
    overrides: tuple[str, ...] = ()
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.label}__r{self.replicate}"

    def record(self) -> dict:
        return asdict(self) | {"overrides": list(self.overrides)}


@dataclass
class Outcome:
    """What a worker sends back: metrics and distributions, or the error it met."""

    task: Task
    seconds: float
    metrics: dict | None = None
    distributions: dict | None = None
    requests: pd.DataFrame | None = None
    error: str | None = None
    trace: str | None = None


@dataclass
class RunLog:
    """What one call of `run_tasks` did."""

    ran: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # run name -> error message


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seed of replicate r, the same for every scenario (common random numbers).

    Spawned from `seed` with numpy's SeedSequence: independent streams, and asking for more
    replicates later keeps the seeds of the first ones, so their runs are reused.
    """
    children = np.random.SeedSequence(seed).spawn(replicates)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


# Local worker processes are replaced after this many runs each, so whatever a worker keeps between
# runs (the engine frees finished models in bulk, `sim.engine.model._Collector`; libraries' caches)
# cannot build up over a long study, and a fresh process costs only its imports. A fresh pool per
# batch does it; the pool's own `max_tasks_per_child` stops scheduling once a worker has been
# replaced, on the Pythons this project supports (CPython gh-115634).
TASKS_PER_WORKER = 100


def run_folder(out: Path, task: Task) -> Path:
    return Path(out) / "runs" / task.name


KEYS = ("seed", "overrides", "digest")


def is_finished(out: Path, task: Task, with_requests: bool = False) -> bool:
    """A run is finished when its metrics are written for exactly this task, whole and unaltered."""
    folder = run_folder(out, task)
    done = read_json(folder / "task.json")
    if not isinstance(done, dict) or {k: done.get(k) for k in KEYS} != {k: task.record()[k] for k in KEYS}:
        return False
    files = done.get("files")
    needed = {"metrics.json", "distributions.json"} | ({"requests.parquet"} if with_requests else set())
    if not isinstance(files, dict) or not needed <= set(files):
        return False
    try:
        return all(file_sha(folder / name) == sha for name, sha in files.items())
    except OSError:
        return False


def execute(task: Task, with_requests: bool = False) -> Outcome:
    """Worker side: load the scenario from its path, run it, and return what is to be written."""
    started = time.perf_counter()
    try:
        result = simulate(load(task.scenario, list(task.overrides)), seed=task.seed)
    except Exception as exc:  # recorded in error.json; the other runs go on
        return Outcome(task, time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}",
                       trace=traceback.format_exc())
    return Outcome(task, time.perf_counter() - started, metrics=result.metrics,
                   distributions=quantile_functions(result.requests),
                   requests=result.requests if with_requests else None)


def write_outcome(out: Path, outcome: Outcome) -> None:
    """Write one run's folder atomically: it appears complete or not at all."""
    def fill(tmp: Path) -> None:
        if outcome.error is not None:
            write_json(tmp / "error.json", {"error": outcome.error, "traceback": outcome.trace})
        else:
            write_json(tmp / "metrics.json", outcome.metrics)
            write_json(tmp / "distributions.json", outcome.distributions)
            if outcome.requests is not None:
                outcome.requests.to_parquet(tmp / "requests.parquet", index=False)
        files = {p.name: file_sha(p) for p in sorted(tmp.iterdir())}
        write_json(tmp / "task.json", outcome.task.record() | {"seconds": round(outcome.seconds, 3), "files": files})

    publish(run_folder(out, outcome.task), fill)


def default_workers() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(2, cpus)


def run_tasks(tasks: list[Task], out: Path, *, workers: int | None = None, dask: str | None = None,
              with_requests: bool = False, progress: bool = True) -> RunLog:
    """Run every task not yet finished in `out`; write each as it finishes.

    Local worker processes by default (`workers`, default min(2, cpus)); a Dask distributed
    cluster when `dask` gives its scheduler address (its workers must be able to import `sim`
    and read the scenario files at the same paths).
    """
    log = RunLog()
    pending = [t for t in tasks if not is_finished(out, t, with_requests)]
    log.skipped = len(tasks) - len(pending)
    if not pending:
        return log
    (Path(out) / "runs").mkdir(parents=True, exist_ok=True)
    workers = min(workers or default_workers(), len(pending))
    batch = len(pending) if dask else workers * TASKS_PER_WORKER
    with tqdm(total=len(pending), unit="run", desc="runs", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        bar.set_postfix(failed=0, skipped=log.skipped)
        for start in range(0, len(pending), batch):
            with _pool(workers, dask) as (submit, completed):
                futures = {submit(execute, t, with_requests): t for t in pending[start:start + batch]}
                for future in completed(futures):
                    outcome = _outcome(future, futures[future])
                    write_outcome(out, outcome)
                    log.ran += 1
                    if outcome.error is not None:
                        log.failed[outcome.task.name] = outcome.error
                    bar.set_postfix(failed=len(log.failed), skipped=log.skipped)
                    bar.update()
    return log


def _outcome(future, task: Task) -> Outcome:
    """The worker's outcome, or a failure when the worker itself died (out of memory, killed)."""
    try:
        return future.result()
    except Exception as exc:
        return Outcome(task, 0.0, error=f"worker lost: {type(exc).__name__}: {exc}", trace=traceback.format_exc())


@contextmanager
def _pool(workers: int, dask: str | None) -> Iterator[tuple[Callable, Callable]]:
    """`submit` and `as_completed` of a local process pool or of a Dask client."""
    if dask is None:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_exit_with,
                                   initargs=(os.getpid(),))
        try:
            yield pool.submit, local_completed
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    from distributed import Client, as_completed

    try:
        client = Client(dask, timeout=DASK_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError("--dask", dask, f"the address of a running Dask scheduler ({exc})") from None
    try:
        yield client.submit, as_completed
    finally:
        client.close()


def _exit_with(parent: int) -> None:
    """Worker start-up: leave when the parent process is gone. A killed parent otherwise leaves its
    workers behind, idle for ever, waiting for tasks that will never come."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def read_run(out: Path, task: Task) -> tuple[dict | None, dict | None, str | None]:
    """(metrics, distributions, error) of a written run; all None if it never ran."""
    folder = run_folder(out, task)
    error = read_json(folder / "error.json")
    return (read_json(folder / "metrics.json"), read_json(folder / "distributions.json"),
            error["error"] if error else None)


def runs_table(out: Path, tasks: list[Task], names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per run: label, replicate, seed, scenario, name, status, error, then every metric.

    Metric columns are the headline figures of sim.metrics under their dotted keys, plus
    `by_group.*`, `requests.*`, the survey's `survey.n` and `survey.<question>.se`, and the
    specialists' hours per request split into `..._window_` and `..._travel_hours_per_request`.
    """
    rows = []
    for t in tasks:
        metrics, _, error = read_run(out, t)
        if metrics is None and error is None:  # never summarise fewer replicates than asked without a word
            raise ScenarioError(str(out), f"runs/{t.name}", "a finished run (its files are missing or not "
                                                            "whole); the same command runs it again")
        row = {"label": t.label, "replicate": t.replicate, "seed": t.seed, "scenario": t.scenario,
               "name": (names or {}).get(t.label, t.label),
               "status": "ok" if metrics is not None else ("failed" if error else "missing"), "error": error}
        if metrics is not None:
            row |= _flat_metrics(metrics)
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.astype({c: float for c in table.columns[len(RUN_COLUMNS):]})


def _flat_metrics(metrics: dict) -> dict:
    survey = metrics.get("survey") or {}
    extra = {"by_group": metrics.get("by_group") or {}, "requests": metrics.get("requests") or {},
             "survey": {"n": survey["n"], **{q: {"se": survey[q]["se"]} for q in ("satisfaction", "awareness")}}
             if survey else {}}
    flat = headline(metrics) | pd.json_normalize(extra, sep=".").iloc[0].to_dict()
    if flat.get("staff.specialist.travel_hours") is not None and flat.get("requests.created"):
        travel = flat["staff.specialist.travel_hours"] / flat["requests.created"]
        flat["staff.specialist.travel_hours_per_request"] = travel
        flat["staff.specialist.window_hours_per_request"] = flat["staff.specialist.hours_per_request"] - travel
    return flat

