"""Where the project's own files are: the scenarios, docs and results next to the package."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
