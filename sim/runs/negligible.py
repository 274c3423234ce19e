"""Negligible differences: a real difference (its 95% interval excludes 0) whose whole interval
lies within ± the figure's threshold is too small to matter, and is not starred as a finding.

The thresholds are data (`scenarios/data/negligible.toml`), one per headline figure in its own
unit, each an assumption with its reason; a figure without one has no threshold. Checking that
the whole interval, not only the estimate, lies inside is an equivalence test at the 95% level:
the models are shown to differ by less than the threshold.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path

from sim.errors import ScenarioError
from sim.paths import ROOT

NEGLIGIBLE_FILE = ROOT / "scenarios" / "data" / "negligible.toml"


@cache
def thresholds(path: Path = NEGLIGIBLE_FILE) -> dict[str, float]:
    """Metric key -> threshold, read and checked; a bad entry is one ScenarioError naming it."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(path, "file", f"a readable TOML file of thresholds ({exc})") from None
    table = data.get("thresholds")
    if not isinstance(table, dict) or set(data) != {"thresholds"}:
        raise ScenarioError(path, "thresholds", "one table [thresholds] of metric = { threshold, why }")
    out = {}
    for key, entry in table.items():
        value = entry.get("threshold") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or set(entry) != {"threshold", "why"} or not isinstance(entry["why"], str) \
                or isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ScenarioError(path, f"thresholds.{key}", "{ threshold = a number >= 0 in the figure's unit, "
                                                           "why = \"the reason\" }")
        out[key] = float(value)
    return out


def is_negligible(metric: str, low: float, high: float) -> bool:
    """Both ends of the interval lie within ± the metric's threshold (False without one)."""
    limit = thresholds().get(metric)
    return limit is not None and math.isfinite(low) and math.isfinite(high) and -limit <= low and high <= limit
