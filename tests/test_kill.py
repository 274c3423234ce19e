"""A compare killed (SIGKILL, no chance to clean up) at random moments, the figures included,
then resumed: every run is made once, the tables equal an uninterrupted run's, and nothing
half-written is left behind."""

import random
import signal
import subprocess
import sys
import time

import pandas as pd
import psutil

from helpers import ROOT, TINY
from sim.runs.output import OLD, STAGING

FAST = ["run.weeks=1", "run.warmup_weeks=0", "run.drain_weeks=1"]
REPLICATES = 3


def command(out):
    return [sys.executable, "-m", "sim", "compare", str(TINY), "--replicates", str(REPLICATES), "--workers", "1",
            "--out", str(out), *[a for s in FAST for a in ("--set", s)]]


def kill_when(out, ready, seconds=90):
    """Start the compare, wait until `ready()` (or the job ends), then kill it and its workers."""
    job = subprocess.Popen(command(out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    try:
        while job.poll() is None and not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = psutil.Process(job.pid).children(recursive=True) if job.poll() is None else []
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=10)
    finally:
        job.kill()
    psutil.wait_procs(workers, timeout=10)


def run_stamps(out):
    return {p.parent.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*/task.json")}


def litter(out):
    return [p for p in out.rglob("*") if p.name.startswith((STAGING, OLD))]


def test_a_compare_killed_at_random_moments_resumes_to_the_uninterrupted_tables(tmp_path):
    whole = tmp_path / "whole"
    assert subprocess.run(command(whole), cwd=ROOT, capture_output=True, timeout=300).returncode == 0

    out = tmp_path / "killed"
    pick = random.Random(15)
    started = time.monotonic()
    moments = {
        "a run written": lambda: len(run_stamps(out)) >= 1,
        "figures being drawn": lambda: any(out.glob(f"{STAGING}figures-*")),
        "at random": lambda: time.monotonic() - started > pick.uniform(2, 8),
    }
    seen: dict[str, int] = {}
    for name, ready in moments.items():
        started = time.monotonic()
        kill_when(out, ready)
        now = run_stamps(out)
        assert {k: now[k] for k in seen} == seen, f"a finished run was made again (after: {name})"
        seen = now
        for run in now:  # a run's folder is there complete or not at all
            assert {"task.json", "metrics.json", "distributions.json"} <= {p.name for p in (out / "runs" / run).iterdir()}

    done = subprocess.run(command(out), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {k: v for k, v in run_stamps(out).items() if k in seen} == seen
    assert len(run_stamps(out)) == REPLICATES
    for name in ("runs.csv", "summary.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(out / name), pd.read_csv(whole / name))
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(p.name for p in (whole / "figures").iterdir())
    assert litter(out) == []
