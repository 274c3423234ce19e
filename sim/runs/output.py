"""Writing results: atomically (a folder appears complete or not at all) with a manifest that
says how to get the same numbers again."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import tomli_w

from sim.paths import ROOT

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
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def publish(folder: Path, fill) -> None:
    """Fill a temporary folder beside `folder`, then move it into place in one step."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; results are for reading
    try:
        fill(tmp)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def replace_files(folder: Path, names: tuple[str, ...], fill) -> None:
    """`fill(tmp)` writes the named files into a staging folder inside `folder`; each is then moved
    into place whole, in the order named (put the manifest last)."""
    staging = Path(tempfile.mkdtemp(prefix=".results.", dir=folder))
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


def write_run(folder: Path, scenario, seed: int, result, started: datetime | None = None) -> None:
    """One run: metrics.json, requests.parquet, the resolved scenario.toml and manifest.json."""
    started = started or datetime.now(timezone.utc)

    def fill(tmp: Path) -> None:
        write_json(tmp / "metrics.json", result.metrics)
        result.requests.to_parquet(tmp / "requests.parquet", index=False)
        (tmp / "scenario.toml").write_text(tomli_w.dumps(scenario.values), encoding="utf-8")
        write_json(tmp / "manifest.json", manifest([scenario], [seed], started))

    publish(folder, fill)
