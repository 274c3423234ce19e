"""The uncertainty space: the plausible range of each assumption, kept in data beside its value.

A scenario's `[ranges]` table is keyed by dotted scenario key; each entry is one of

    "territory.circuity" = { low = 1.2, high = 1.5 }                        uniform
    "residents.go_delay_days" = { low = 0.5, high = 5, dist = "triangular", mode = 2 }
    "territory.core_density_ratio" = { low = 2, high = 8, dist = "loguniform" }
    "staff.specialist.when_absent" = { levels = ["hold", "send_to_street"] } one of named values

(a triangular range names its peak, `mode`). Policy files extend the
table like any other. A range belongs to the value it was written for: it applies while no later
file changes that value (a policy that sets its own value has made it a lever, not a guess, and
a study keeps it). `load` refuses an applying range that does not hold its default (a value set
in a file; --set values are not judged) and a range outside what the schema allows.
SALib samples the space in the form `Range.salib` gives; `Range.value` turns a sampled number
into the scenario value (rounded for whole numbers, a named level for choices).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DISTS = ("uniform", "triangular", "loguniform")
SALIB_DISTS = {"uniform": "unif", "triangular": "triang", "loguniform": "logunif"}
ENTRY_KEYS = {"low", "high", "dist", "mode", "levels"}


@dataclass(frozen=True)
class Range:
    """One ranged assumption. `levels` is set for a choice among named values; `integer` for a
    whole-number key (a sampled value is rounded)."""

    key: str
    low: float
    high: float
    dist: str = "uniform"
    mode: float | None = None
    levels: tuple[str, ...] = ()
    integer: bool = False

    def salib(self) -> tuple[list[float], str]:
        """(bounds, dist) in SALib's problem form; a choice is uniform over [0, number of levels)."""
        if self.levels:
            return [0.0, float(len(self.levels))], "unif"
        if self.dist == "triangular":
            assert self.mode is not None, "a triangular range has a mode"
            return [self.low, self.high, (self.mode - self.low) / (self.high - self.low)], "triang"
        return [self.low, self.high], SALIB_DISTS[self.dist]

    def value(self, x: float) -> Any:
        """The scenario value of a sampled number."""
        if self.levels:
            return self.levels[min(int(math.floor(x)), len(self.levels) - 1)]
        if self.integer:
            return int(min(max(round(x), math.ceil(self.low)), math.floor(self.high)))
        return float(x)

    def override(self, x: float) -> str:
        """The --set text that puts the sampled value in a scenario."""
        v = self.value(x)
        return f'{self.key}="{v}"' if isinstance(v, str) else f"{self.key}={v!r}"

    def describe(self) -> str:
        """'1.2 to 1.5, uniform' as docs and reports write it."""
        if self.levels:
            return "one of " + ", ".join(self.levels)
        text = f"{self.low:g} to {self.high:g}, {self.dist}"
        return text + (f" (peak {self.mode:g})" if self.dist == "triangular" else "")


def value_at(values: dict, key: str) -> Any:
    """The value under a dotted key, or None when there is none."""
    node: Any = values
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def parse_ranges(sc, spec_of: Callable[[str], Any]) -> list[Range]:
    """The checked ranges that apply to a resolved scenario `sc` (a sim.scenario.files.Scenario),
    in file order. `spec_of(key)` is the schema's Spec for a dotted key (or None)."""
    rank = {str(f): k for k, f in enumerate(sc.files)}
    out = []
    for key, entry in (sc.values.get("ranges") or {}).items():
        where = f"ranges.{key}"
        fail = sc.error
        spec = spec_of(key)
        value = value_at(sc.values, key)
        if spec is None or getattr(spec, "kind", None) not in ("number", "int", "enum") or value is None:
            raise fail(where, "the dotted key of a number or choice this scenario sets "
                              "(e.g. \"territory.circuity\")")
        if not isinstance(entry, dict) or not set(entry) <= ENTRY_KEYS:
            raise fail(where, "a table { low = ..., high = ..., dist = ... } or { levels = [...] }")
        set_by = sc.where(key)
        if set_by != "--set" and rank.get(set_by, -1) > rank.get(sc.where(where), -1):
            continue  # a later file set its own value: no longer this range's assumption
        is_default = set_by != "--set"
        if spec.kind == "enum":
            levels = entry.get("levels")
            if set(entry) != {"levels"} or not isinstance(levels, list) or len(levels) < 2 or \
                    len(set(levels)) != len(levels) or not all(v in spec.choices for v in levels):
                raise fail(where, "{ levels = [...] }: two or more of " + ", ".join(spec.choices))
            if is_default and value not in levels:
                raise fail(where, f"levels that include the scenario's own value {value!r}")
            out.append(Range(key, 0.0, float(len(levels)), levels=tuple(levels)))
            continue
        low, high = entry.get("low"), entry.get("high")
        dist = entry.get("dist", "uniform")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or "levels" in entry:
            raise fail(where, "numbers low and high (a choice of levels is for named values only)")
        assert isinstance(low, (int, float)) and isinstance(high, (int, float))
        if not low < high:
            raise fail(where, f"low below high; got {low!r} and {high!r}")
        if (spec.lo is not None and low < spec.lo) or (spec.hi is not None and high > spec.hi):
            raise fail(where, f"a range inside what {key} allows: {spec.expected()}")
        if dist not in DISTS:
            raise fail(where + ".dist", "one of " + ", ".join(DISTS))
        if dist == "loguniform" and low <= 0:
            raise fail(where, "low above 0 for a loguniform range")
        if is_default and not low <= value <= high:
            raise fail(where, f"a range that holds the scenario's own value {value!r}; got {low:g} to {high:g}")
        mode: Any = entry.get("mode")
        if (mode is not None) != (dist == "triangular") or (mode is not None and (
                isinstance(mode, bool) or not isinstance(mode, (int, float)) or not low <= mode < high)):
            raise fail(where + ".mode", "the peak of a triangular range (and only of one), from low to just below high")
        out.append(Range(key, float(low), float(high), dist, None if mode is None else float(mode),
                         integer=spec.kind == "int"))
    return out
