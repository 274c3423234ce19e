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
