"""Face validity checked by the program: the Centralised baseline against published facts.

The facts, their sources and their tolerances are data (`scenarios/data/facts.toml`); each
names the run figure it is compared with by its dotted key. `check_facts` takes one run's
metrics (nested, as `measure` returns them, or one flat row of a runs table) and says, fact by
fact, whether the figure falls inside the tolerance. A figure the run did not produce fails.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sim.paths import ROOT

FACTS_FILE = ROOT / "scenarios" / "data" / "facts.toml"


@dataclass(frozen=True)
class Fact:
    name: str
    label: str
    label_zh: str
    metric: str  # dotted key into a run's metrics
    unit: str
    target: float
    low: float
    high: float
    source: str
    tolerance: str


@dataclass(frozen=True)
class FactCheck:
    name: str
    value: float | None
    target: float
    low: float
    high: float
    passed: bool


@cache
def load_facts(path: Path = FACTS_FILE) -> tuple[Fact, ...]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return tuple(Fact(name=name, **entry) for name, entry in data.items())


def figure(metrics: dict, key: str) -> float | None:
    """The figure under a dotted key: a flat row's column, or a walk down nested sections
    (section names may hold dots and spaces, like '10+ km', so the longest match wins)."""
    if key in metrics:
        return _number(metrics[key])
    parts = key.split(".")
    for k in range(len(parts), 0, -1):
        head = ".".join(parts[:k])
        if isinstance(metrics, dict) and head in metrics:
            rest = ".".join(parts[k:])
            value = metrics[head]
            if not rest:
                return _number(value)
            if isinstance(value, dict):
                found = figure(value, rest)
                if found is not None:
                    return found
    return None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def check_facts(metrics: dict) -> list[FactCheck]:
    """Each published fact against this run's figure: inside [low, high] or not."""
    out = []
    for fact in load_facts():
        value = figure(metrics, fact.metric)
        out.append(FactCheck(fact.name, value, fact.target, fact.low, fact.high,
                             value is not None and fact.low <= value <= fact.high))
    return out
