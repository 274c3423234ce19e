"""Write constraints.txt: the installed version of every package the project needs (its own
dependencies and the dev extra, with everything they pull in), so that a clean clone installs
the versions the tests passed with (`./run.sh` installs with `-c constraints.txt`).

Run after adding or upgrading a dependency, once the tests pass: `./run.sh lock`.
pip itself works out which packages are needed: a dry-run install of `.[dev]` constrained to
what this environment has installed reports every package it would take.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "constraints.txt"
PROJECT = "jiangbei-sim"
HEADER = """\
# The versions the tests passed with, used by ./run.sh's install step (pip install -c).
# Written by `./run.sh lock` (tools/lock.py) from the working environment; do not edit by hand.
"""


def pip(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"error: pip {' '.join(args[:2])} failed:\n{done.stderr.strip()}")
    return done.stdout


def needed() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        installed = Path(tmp) / "installed.txt"
        installed.write_text(pip("freeze", "--exclude-editable"))
        report = Path(tmp) / "report.json"
        pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
            "-c", str(installed), "-e", ".[dev]")
        packages = json.loads(report.read_text())["install"]
    pins = {p["metadata"]["name"].lower(): p["metadata"]["version"] for p in packages}
    pins.pop(PROJECT, None)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def main() -> None:
    pins = needed()
    OUT.write_text(HEADER + "".join(f"{pin}\n" for pin in pins))
    print(f"wrote {OUT.name}: {len(pins)} packages")


if __name__ == "__main__":
    main()
