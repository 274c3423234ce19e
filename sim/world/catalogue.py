"""The service catalogue: one row per item, read from a CSV so planners can edit it.

Columns are documented in scenarios/data/catalogue.csv's header and in docs/ODD.md; every rate,
duration and probability is data with its source beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import ScenarioError
from sim.scenario.tables import read_csv

LEVELS = ("street", "community")
DISTRIBUTIONS = ("lognormal", "exponential", "deterministic")
_NUMERIC = {  # column: (lowest, highest)
    "rate_under60": (0, 1e6), "rate_elderly": (0, 1e6), "service_minutes": (0, 1e5),
    "service_cv": (0, 100), "p_incomplete": (0, 0.99), "back_office_days": (0, 3650),
}
_FLAGS = ("online", "collect", "terminal", "batch")
MAX_ITEMS = 10_000  # a city's whole service catalogue has a few thousand items
COLUMNS = ("code", "name_zh", "name_en", "authority", *_NUMERIC, "service_dist", *_FLAGS, "source")


@dataclass(frozen=True)
class Catalogue:
    """Items as parallel arrays, indexed by item number."""

    code: tuple[str, ...]
    name_zh: tuple[str, ...]
    name_en: tuple[str, ...]
    street_level: np.ndarray  # bool: authority level is the street
    rate: np.ndarray  # (items, 2) yearly requests per 1,000 residents: [under 60, 60+]
    service_minutes: np.ndarray
    service_cv: np.ndarray
    service_dist: tuple[str, ...]
    p_incomplete: np.ndarray
    back_office_days: np.ndarray
    online: np.ndarray
    collect: np.ndarray
    terminal: np.ndarray
    batch: np.ndarray

    def __len__(self) -> int:
        return len(self.code)


def load_catalogue(path: str | Path, items: dict | None = None, where: str = "") -> Catalogue:
    """Read and check the catalogue CSV, then apply the scenario's per-item overrides
    (`catalogue.items.CODE.column = value`); a bad cell is reported by file, row and column."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, "catalogue.file", "an existing CSV file")
    rows = read_csv(path, COLUMNS, unique="code", max_rows=MAX_ITEMS)
    if not rows:
        raise ScenarioError(path, "rows", "at least one service item")
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    for i, row in enumerate(rows, start=2):
        for c in COLUMNS:
            cols[c].append(_cell(path, f"row {i}, column {c}", c, row[c]))
    for code, changes in (items or {}).items():
        if code not in cols["code"]:
            raise ScenarioError(where, f"catalogue.items.{code}", "an item code in the catalogue: " + ", ".join(cols["code"]))
        i = cols["code"].index(code)
        for c, value in changes.items():
            if c not in COLUMNS or c == "code":
                raise ScenarioError(where, f"catalogue.items.{code}.{c}", "a catalogue column: " + ", ".join(COLUMNS[1:]))
            text = str(int(value)) if isinstance(value, bool) else str(value)
            cols[c][i] = _cell(where, f"catalogue.items.{code}.{c}", c, text)
    if len(set(cols["code"])) != len(rows):
        raise ScenarioError(path, "column code", "unique item codes")
    return Catalogue(
        code=tuple(cols["code"]), name_zh=tuple(cols["name_zh"]), name_en=tuple(cols["name_en"]),
        street_level=np.array([a == "street" for a in cols["authority"]]),
        rate=np.column_stack([cols["rate_under60"], cols["rate_elderly"]]).astype(float),
        service_minutes=np.array(cols["service_minutes"], float), service_cv=np.array(cols["service_cv"], float),
        service_dist=tuple(cols["service_dist"]), p_incomplete=np.array(cols["p_incomplete"], float),
        back_office_days=np.array(cols["back_office_days"], float),
        **{flag: np.array(cols[flag], bool) for flag in _FLAGS},
    )


def _cell(path, where: str, column: str, text: str):
    if column in _NUMERIC:
        lo, hi = _NUMERIC[column]
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not lo <= value <= hi:
            raise ScenarioError(path, where, f"a number from {lo:g} to {hi:g}; got {text!r}")
        return value
    if column in _FLAGS:
        if text not in ("0", "1"):
            raise ScenarioError(path, where, f"0 or 1; got {text!r}")
        return text == "1"
    if column == "authority" and text not in LEVELS:
        raise ScenarioError(path, where, f"one of {', '.join(LEVELS)}; got {text!r}")
    if column == "service_dist" and text not in DISTRIBUTIONS:
        raise ScenarioError(path, where, f"one of {', '.join(DISTRIBUTIONS)}; got {text!r}")
    if column == "code" and not text:
        raise ScenarioError(path, where, "a non-empty item code")
    return text
