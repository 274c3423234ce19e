"""Stored key figures of every shipped policy: a small run's metrics and request-table totals.

`figures(path)` runs a scenario file cut down to seconds and flattens what it measured into
{"dotted.key": value}; the golden test compares that with `tests/golden/<name>.json`.
Refresh the stored figures on purpose with `./run.sh test tests/test_golden.py --refresh-golden`
(and say in the commit message why they moved).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

import sim
from helpers import ROOT, SMALL

GOLDEN = ROOT / "tests" / "golden"
REFRESH = "./run.sh test tests/test_golden.py --refresh-golden"
# A scenario of 1/20 of the residents, 3 measured weeks: a few hundred requests, under a second.
OVERRIDES = [*SMALL, "territory.scale=0.05"]
SEED = 1
# Same seed gives the same numbers; the tolerance only forgives the last bits of float
# arithmetic that another BLAS or CPU may round differently.
REL, ABS = 1e-9, 1e-9


def shipped() -> list[Path]:
    """Every scenario file shipped in scenarios/ (not the validity harness's)."""
    return sorted((ROOT / "scenarios").glob("*.toml"))


def flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out: dict = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, (list, tuple)):
        return flatten({str(i): v for i, v in enumerate(value)}, prefix)
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)  # JSON has no NaN or infinity
    return {prefix: value}


def table_totals(table: pd.DataFrame) -> dict:
    """Per column of the request table: the sum of a number column, the counts of a text one."""
    out: dict = {"rows": len(table)}
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out[f"{column}.sum"] = float(series.astype(float).sum())
            out[f"{column}.missing"] = int(series.isna().sum())
        else:
            for label, n in series.fillna("<missing>").value_counts().sort_index().items():
                out[f"{column}={label}"] = int(n)
    return out


def figures(path: Path) -> dict:
    result = sim.run(sim.load(path, OVERRIDES), seed=SEED)
    return {**flatten(result.metrics, "metrics"), **flatten(table_totals(result.requests), "requests")}


def stored_path(path: Path) -> Path:
    return GOLDEN / f"{path.stem}.json"


def write(path: Path, values: dict) -> None:
    GOLDEN.mkdir(exist_ok=True)
    stored_path(path).write_text(json.dumps({"scenario": f"scenarios/{path.name}", "overrides": OVERRIDES,
                                             "seed": SEED, "figures": values}, indent=1, sort_keys=True,
                                            ensure_ascii=False) + "\n", encoding="utf-8")


def read(path: Path) -> dict:
    return json.loads(stored_path(path).read_text(encoding="utf-8"))["figures"]


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)
    return a == b


def differences(stored: dict, now: dict) -> list[str]:
    """One line per figure that moved, appeared or disappeared."""
    lines = []
    for key in sorted(stored.keys() | now.keys()):
        if key not in now:
            lines.append(f"  {key}: {stored[key]!r} -> (gone)")
        elif key not in stored:
            lines.append(f"  {key}: (new) -> {now[key]!r}")
        elif not same(stored[key], now[key]):
            a, b = stored[key], now[key]
            change = ""
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a:
                change = f"  ({(b - a) / abs(a):+.3%})"
            lines.append(f"  {key}: {a!r} -> {b!r}{change}")
    return lines
