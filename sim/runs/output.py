"""Writing results without ever destroying what the tool did not write.

An output folder is new, empty, or holds this tool's results for the same job: a marker file
(.sim-results.json) says which job and what shaped its runs (every scenario's resolved values
and data files, the code, the packages). One command at a time writes to it (an OS lock on
.sim-lock). Files and folders are written beside their place and renamed into it, so each
appears complete or not at all; what a killed job left half-written is cleared on the next claim.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import tomli_w

from sim.errors import UsageError
from sim.paths import ROOT

MARKER = ".sim-results.json"
LOCK = ".sim-lock"
STAGING = ".sim-staging-"  # prefix of what is being written, renamed into place when whole
OLD = ".sim-old-"  # prefix of what a rename just replaced, removed right after

PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "networkx", "scipy", "sweetpea", "matplotlib", "mplfonts", "dask",
            "distributed", "tqdm", "solara", "SALib", "ema_workbench", "statsmodels")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


# Source that reads finished runs but never shapes one: reports, figures, the app, the studies' designs
# and analyses (a run's values reach it through its scenario fingerprint), the command line. A change
# here is picked up by the next resume without running anything again; any other file counts.
NOT_RUN_CODE = ("present/", "teaching/", "studies/", "validity/", "cli.py", "__main__.py", "runs/effects.py",
                "runs/global_sensitivity.py", "runs/negligible.py", "runs/robustness.py", "runs/stats.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the source files that shape a run's numbers: a run made by other code is not reused."""
    h = hashlib.sha256()
    package = ROOT / "sim"
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if not name.startswith(NOT_RUN_CODE):
            h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def environment() -> dict[str, str]:
    """What besides the scenario shapes a run's numbers: the code and the package versions."""
    return {"code": code_version(), **package_versions()}


def run_key(fingerprint: dict[str, str]) -> str:
    """The resume key of a run: its scenario's fingerprint and the environment, hashed."""
    text = json.dumps(fingerprint | environment(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return done.stdout.strip() + ("+dirty" if dirty else "") if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def scenario_record(scenario) -> dict:
    return {"files": [str(f) for f in scenario.files], "sha256": scenario.digest()}


def manifest(scenarios: list, seeds, started: datetime, **extra) -> dict:
    return {
        "scenarios": [scenario_record(s) for s in scenarios],
        "seeds": seeds,
        "packages": package_versions(),
        "commit": git_commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def write_json(path: Path, data) -> None:
    """Write a JSON file atomically (temporary file, then rename)."""
    tmp = path.with_name(STAGING + path.name)
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path):
    """A JSON file's content, or None when it is missing or not whole."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def publish(folder: Path, fill) -> None:
    """Fill a temporary folder beside `folder`, then rename it into place; a folder it replaces is
    renamed aside first and removed only once the new one stands in its place."""
    folder = Path(folder)
    tmp = Path(tempfile.mkdtemp(prefix=f"{STAGING}{folder.name}-", dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; results are for reading
    try:
        fill(tmp)
        old = folder.with_name(f"{OLD}{tmp.name[len(STAGING):]}")
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def replace_files(folder: Path, names: tuple[str, ...], fill) -> None:
    """`fill(tmp)` writes the named files into a staging folder inside `folder`; each is then moved
    into place whole, in the order named (put the manifest last)."""
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}results-", dir=folder))
    try:
        fill(staging)
        for name in names:
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_tables(folder: Path, runs, name: str, table) -> None:
    """The one-row-per-run table as CSV and Parquet, and one more table as CSV."""
    runs.to_csv(folder / "runs.csv", index=False)
    runs.to_parquet(folder / "runs.parquet", index=False)
    table.to_csv(folder / name, index=False)


RUN_FILES = ("metrics.json", "requests.parquet", "scenario.toml", "manifest.json")


def run_job(scenario) -> dict:
    return {"kind": "run", "scenario": str(scenario.path)}


def write_run(folder: Path, scenario, seed: int, result, started: datetime | None = None) -> None:
    """One run: metrics.json, requests.parquet, the resolved scenario.toml and manifest.json."""
    started = started or datetime.now(timezone.utc)

    def fill(tmp: Path) -> None:
        write_json(tmp / "metrics.json", result.metrics)
        result.requests.to_parquet(tmp / "requests.parquet", index=False)
        (tmp / "scenario.toml").write_text(tomli_w.dumps(scenario.values), encoding="utf-8")
        write_json(tmp / "manifest.json", manifest([scenario], [seed], started))

    with claim(folder, run_job(scenario)):
        replace_files(Path(folder), RUN_FILES, fill)


# --- output folders ---------------------------------------------------------------------------

def _describe(job: dict) -> str:
    return " ".join(f"{k} {v}" for k, v in job.items())


def check_folder(folder: Path, job: dict, scenarios: dict[str, dict] | None = None, rerun: bool = False) -> None:
    """Refuse, before anything runs, a folder this job may not write to: a file, a folder of
    someone else's files or of another job, or results that other inputs made (unless `rerun`)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError("--out", str(folder), "a folder (this is a file)")
    if not folder.exists():
        ancestor = next(p for p in [folder.absolute(), *folder.absolute().parents] if p.exists())
        if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
            raise UsageError("--out", str(folder), f"a folder that can be created ({ancestor} is not writable)")
        return
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError("--out", str(folder), "a folder this user can write to")
    if not [e for e in os.listdir(folder) if e != LOCK]:
        return
    marker = read_json(folder / MARKER)
    if not isinstance(marker, dict) or marker.get("tool") != "sim":
        raise UsageError("--out", str(folder), f"a new or empty folder, or one holding this tool's results "
                                                  f"(it has other files and no {MARKER}; nothing was written)")
    if marker.get("job") != job:
        raise UsageError("--out", str(folder), f"a folder for this job ({_describe(job)}); it holds the "
                                                  f"results of {_describe(marker.get('job') or {})}")
    change = None if rerun else changed(marker, scenarios or {})
    if change:
        raise UsageError("--out", str(folder), f"results made from the same inputs, but {change} since; "
                                                  f"--rerun runs them again")


def changed(marker: dict, scenarios: dict[str, dict]) -> str | None:
    """What differs between the inputs a folder's runs were made from and this job's, in words."""
    before = marker.get("environment") or {}
    for key, value in environment().items():
        if before.get(key) != value:
            return ("the simulator's code changed" if key == "code"
                    else f"{key} changed ({before.get(key)} -> {value})")
    for label, now in scenarios.items():
        then = (marker.get("scenarios") or {}).get(label)
        if then is None:
            continue
        for key in sorted(set(then) | set(now)):
            if then.get(key) != now.get(key):
                return (f"scenario {label}: its values changed" if key == "values"
                        else f"scenario {label}: data file {key} changed")
    return None


@contextmanager
def claim(folder: Path, job: dict, scenarios: dict[str, dict] | None = None, rerun: bool = False) -> Iterator[Path]:
    """Hold `folder` for this job: checked, created, locked against a second writer, cleared of
    what an interrupted job left half-written, and marked as this job's."""
    folder = Path(folder)
    check_folder(folder, job, scenarios, rerun)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError("--out", str(folder), "a folder no other command is writing to (one is, now); "
                                                      "wait for it to finish or choose another --out") from None
        check_folder(folder, job, scenarios, rerun)  # as it is now that no one else writes
        clear_staging(folder)
        marker = read_json(folder / MARKER) or {}
        write_json(folder / MARKER, {"tool": "sim", "job": job, "environment": environment(),
                                     "scenarios": (marker.get("scenarios") or {}) | (scenarios or {})})
        yield folder
    finally:
        os.close(fd)  # releases the lock


def clear_staging(folder: Path) -> None:
    """Remove what a killed job was writing (never finished, never in place)."""
    for where in (folder, folder / "runs"):
        for prefix in (STAGING, OLD):
            for stale in where.glob(prefix + "*"):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
