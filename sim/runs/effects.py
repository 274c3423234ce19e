"""Main effects and two-way interactions of a factorial experiment, each with a 95% interval.

Replicate r of every combination of levels shares its random numbers (common random numbers),
so each effect is first computed within each replicate, where the residents' luck cancels, and
its interval is the Student-t interval of these per-replicate values (the paired approach for
simulated factorial designs; it does not assume that every combination varies as much). A
replicate in which a run an effect needs failed is left out of that effect, and `n` says how
many replicates remain.

Levels are compared only where the rest of the design is the same: the difference between two
levels of A averages over the combinations of the other factors run with both; the interaction
of A and B over those run with all four corners. Each level is compared with its reference: the
first level of its factor run alongside it, which is the factor's first level unless the design
excludes combinations. Where levels are nested in another factor's (staffing levels that exist
under one model only), each nest gets its own reference, and a factor none of whose levels meet
(the models the staffing levels are nested in) is not compared at all. Level and cell means
average over every combination that has them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sim.runs.negligible import is_negligible
from sim.runs.stats import Interval, interval

EFFECT_COLUMNS = ("metric", "kind", "factor", "level", "base", "factor_b", "level_b", "base_b",
                  "n", "estimate", "half_width", "low", "high", "real", "negligible")

Key = tuple[str, ...]


def effects(runs: pd.DataFrame, factors: dict[str, list[str]], metrics: Iterable[str]) -> pd.DataFrame:
    """The tidy effects table (EFFECT_COLUMNS) of every metric.

    `runs` has one row per run: a column per factor holding its level, `replicate`, `status`
    ('ok' for a finished run) and the metric columns; `factors` lists each factor's levels in
    order.
    """
    rows = []
    for metric in metrics:
        values = replicate_values(runs, list(factors), metric)
        refs = references(values.keys(), factors)
        rows += [(metric, *row, _negligible(metric, row)) for row in main_effects(values, factors, refs)]
        rows += [(metric, *row, _negligible(metric, row)) for row in interactions(values, factors, refs)]
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))


def references(combinations: Iterable[Key], factors: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Factor -> level -> its reference: the first level of the factor run with the other factors
    at the same levels at least once. A level that is its own reference is compared with none."""
    combinations = list(combinations)
    out = {}
    for i, (factor, levels) in enumerate(factors.items()):
        rests = {level: {key[:i] + key[i + 1:] for key in combinations if key[i] == level} for level in levels}
        out[factor] = {level: next(ref for ref in levels if rests[ref] & rests[level]) for level in levels}
    return out


def replicate_values(runs: pd.DataFrame, factors: list[str], metric: str) -> dict[Key, np.ndarray]:
    """Combination (levels in factor order) -> the metric in each replicate, NaN where the run
    failed or did not produce the figure. Every combination in `runs` is a key."""
    replicates = int(runs["replicate"].max()) + 1 if len(runs) else 0
    out: dict[Key, np.ndarray] = {}
    for row in runs[[*factors, "replicate", "status", metric]].itertuples(index=False):
        key = tuple(row[:len(factors)])
        values = out.setdefault(key, np.full(replicates, np.nan))
        if row[-2] == "ok":
            values[row[-3]] = row[-1]
    return out


def main_effects(values: dict[Key, np.ndarray], factors: dict[str, list[str]], refs: dict[str, dict[str, str]]):
    """Rows (kind, factor, level, base, '', '', '', *interval): each level's mean and, for every
    level but a reference, its difference from its reference."""
    for i, (factor, levels) in enumerate(factors.items()):
        for level in levels:
            yield ("mean", factor, level, "", "", "", "") + _figures(_mean(
                [v for key, v in values.items() if key[i] == level]), compared=False)
            base = refs[factor][level]
            if level == base:
                continue
            pairs = [(v, values[_swap(key, i, base)]) for key, v in values.items()
                     if key[i] == level and _swap(key, i, base) in values]
            yield ("difference", factor, level, base, "", "", "") + _figures(_mean([a - b for a, b in pairs]))


def interactions(values: dict[Key, np.ndarray], factors: dict[str, list[str]], refs: dict[str, dict[str, str]]):
    """Rows for each pair of factors A, B: the mean of every cell (a, b) over the other factors,
    and for a and b that are not references, with references a0 and b0, the interaction contrast
    (y[a,b] - y[a,b0]) - (y[a0,b] - y[a0,b0]): how much the effect of B differs at a from at a0."""
    names = list(factors)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            (fa, la), (fb, lb) = (names[i], factors[names[i]]), (names[j], factors[names[j]])
            for a in la:
                for b in lb:
                    yield ("cell", fa, a, "", fb, b, "") + _figures(_mean(
                        [v for key, v in values.items() if key[i] == a and key[j] == b]), compared=False)
            for a in la:
                for b in lb:
                    a0, b0 = refs[fa][a], refs[fb][b]
                    if a != a0 and b != b0:
                        yield ("interaction", fa, a, a0, fb, b, b0) + _figures(_mean(
                            list(_contrasts(values, i, j, a, a0, b, b0))))


def _contrasts(values: dict[Key, np.ndarray], i: int, j: int, a: str, a0: str, b: str, b0: str):
    """Per-replicate interaction contrasts at every setting of the other factors with all four corners."""
    for key, v in values.items():
        if key[i] != a or key[j] != b:
            continue
        corners = [_swap(_swap(key, i, x), j, y) for x, y in ((a, b0), (a0, b), (a0, b0))]
        if all(c in values for c in corners):
            ab0, a0b, a0b0 = (values[c] for c in corners)
            yield (v - ab0) - (a0b - a0b0)


def _swap(key: Key, i: int, level: str) -> Key:
    return key[:i] + (level,) + key[i + 1:]


def _mean(arrays: list[np.ndarray]) -> Interval:
    """Average the arrays replicate by replicate (NaN in a replicate where any is missing), then
    the interval over replicates; no arrays (nothing comparable) gives n = 0."""
    if not arrays:
        return interval([])
    return interval(np.mean(np.stack(arrays), axis=0))


def _negligible(metric: str, row: tuple) -> bool | None:
    """A real effect whose whole interval lies within the metric's threshold (sim.runs.negligible)."""
    *_, low, high, real = row
    return None if real is None else bool(real) and is_negligible(metric, low, high)


def _figures(i: Interval, compared: bool = True) -> tuple:
    """n, estimate, interval and `real` (the interval excludes 0): None for means, which compare nothing."""
    return i.n, i.mean, i.half_width, i.low, i.high, i.excludes_zero if compared else None


def lookup(table: pd.DataFrame, metric: str, kind: str, factor: str, level: str,
           factor_b: str = "", level_b: str = "") -> pd.Series | None:
    """One row of an effects table, or None when the table has no such row."""
    rows = table[(table["metric"] == metric) & (table["kind"] == kind) & (table["factor"] == factor)
                 & (table["level"] == level) & (table["factor_b"] == factor_b) & (table["level_b"] == level_b)]
    return None if rows.empty else rows.iloc[0]
