"""Scenario paths and small, fast runs shared by the tests."""

from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TINY = ROOT / "tests" / "scenarios" / "tiny.toml"
# A cut-down Dingshan: 1/50 of the residents, short windows; runs in well under a second.
SMALL = ["territory.scale=0.02", "run.warmup_weeks=1", "run.weeks=3", "run.drain_weeks=6"]


def run_tiny(*overrides, seed=1):
    return sim.run(sim.load(TINY, ["catalogue.demand_scale=40", *overrides]), seed=seed)


def run_small(model="centralised", *overrides, seed=1):
    return sim.run(sim.load(SCENARIOS / f"{model}.toml", [*SMALL, *overrides]), seed=seed)


def kill_part_way(args, ready, timeout=90):
    """Start the command `args` and SIGKILL it (not its workers) once `ready()` holds, or after
    `timeout` seconds; returns the worker processes it had, so a test can see they left too."""
    import signal
    import subprocess
    import time

    import psutil

    job = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not ready() and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.02)
        workers = psutil.Process(job.pid).children(recursive=True)
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=10)
    finally:
        job.kill()
    return workers


def held_by_browser(state: dict | None, full: bool, runs: list[dict]) -> dict:
    """What live_view.vue holds after a packet (or frame) with `runs`: each run's residents by
    request, the charts' points and days. A complete one replaces what was held; `state` is
    left as it was."""
    if state is None or full:
        state = {"recs": [{} for _ in runs], "means": [[] for _ in runs], "cohorts": [{} for _ in runs]}
    state = {key: [type(part)(part) for part in state[key]] for key in ("recs", "means", "cohorts")}
    for recs, means, cohorts, run in zip(state["recs"], state["means"], state["cohorts"], runs):
        for rid in run["del"]:
            del recs[rid]
        recs.update({u[0]: u for u in run["upd"]})
        means.extend(run["means"])
        cohorts.update(run["cohorts"])
    return state
