"""Statistics over replicates: each scenario's mean with its 95% t-interval, and the paired
difference against the baseline with its 95% t-interval.

Replicate r of every scenario shares its seed (common random numbers), so differences are
taken pair by pair: the residents' luck cancels and the interval reflects the policy alone.
Also: how well the telephone survey of one run detects a difference the simulation knows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, t

from sim.measure.survey import Z95
from sim.runs.negligible import is_negligible

LEVEL = 0.95
POWER = 0.8
SUMMARY_COLUMNS = ("label", "name", "metric", "n", "mean", "half_width", "low", "high",
                   "diff_n", "diff", "diff_half_width", "diff_low", "diff_high", "real", "negligible")


@dataclass(frozen=True)
class Interval:
    """A mean over n values and the half-width of its 95% t-interval (NaN below two values)."""

    n: int
    mean: float
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    @property
    def excludes_zero(self) -> bool:
        """The difference is real at the 95% level: its interval lies on one side of zero."""
        return math.isfinite(self.half_width) and (self.low > 0 or self.high < 0)


def interval(values) -> Interval:
    """Mean with a Student-t interval; missing values (failed runs, empty groups) are left out."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Interval(0, math.nan, math.nan)
    if x.size == 1:
        return Interval(1, float(x[0]), math.nan)
    half = t.ppf(0.5 + LEVEL / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return Interval(int(x.size), float(x.mean()), float(half))


def paired_difference(values, baseline) -> Interval:
    """Interval of values[r] - baseline[r] over the replicates where both exist."""
    return interval(np.asarray(values, float) - np.asarray(baseline, float))


def summarise(runs: pd.DataFrame, metrics: list[str], labels: list[str]) -> pd.DataFrame:
    """Scenario × metric table of means and paired differences against labels[0] (the baseline):
    `real` when the difference's interval excludes 0, `negligible` when it is real but the whole
    interval lies within the metric's threshold (sim.runs.negligible).

    `runs` has one row per run with `label`, `name`, `replicate`, `status` and metric columns.
    """
    ok = runs[runs["status"] == "ok"]
    names = dict(zip(runs["label"], runs["name"]))
    by_replicate = ok.set_index(["replicate", "label"])[metrics].unstack("label")
    rows = []
    for metric in metrics:
        wide = by_replicate[metric].reindex(columns=labels)
        for label in labels:
            m = interval(wide[label])
            d = paired_difference(wide[label], wide[labels[0]]) if label != labels[0] else None
            rows.append((label, names.get(label, label), metric, m.n, m.mean, m.half_width, m.low, m.high)
                        + ((d.n, d.mean, d.half_width, d.low, d.high, d.excludes_zero,
                            d.excludes_zero and is_negligible(metric, d.low, d.high)) if d else
                           (0, math.nan, math.nan, math.nan, math.nan, False, False)))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def detection_power(delta: float, se: float) -> float:
    """Chance that a two-sided 5% test on one survey finds a true difference `delta` whose
    estimate has standard error `se`."""
    if not (math.isfinite(delta) and math.isfinite(se)) or se <= 0:
        return math.nan
    shift = abs(delta) / se
    return float(norm.cdf(shift - Z95) + norm.cdf(-shift - Z95))


def respondents_needed(p: float, delta: float) -> float:
    """Respondents per survey (each of two surveys) for 80% power to detect `delta` at share p."""
    if not (math.isfinite(p) and math.isfinite(delta)) or delta == 0:
        return math.nan
    return float((Z95 + norm.ppf(POWER)) ** 2 * 2 * p * (1 - p) / delta**2)


def survey_detection(runs: pd.DataFrame, labels: list[str], question: str = "satisfaction") -> pd.DataFrame:
    """Per scenario against the baseline: the true difference (over replicates), what one run's
    survey estimates, in how many replicates the survey alone would call it real, its power,
    and how many respondents 80% power would take."""
    ok = runs[runs["status"] == "ok"]
    cols = {k: f"survey.{question}.{k}" for k in ("estimate", "se", "true")}
    if not all(c in ok.columns for c in cols.values()):
        return pd.DataFrame()
    wide = {k: ok.pivot(index="replicate", columns="label", values=c).reindex(columns=labels) for k, c in cols.items()}
    n = ok.pivot(index="replicate", columns="label", values="survey.n").reindex(columns=labels)
    rows = []
    for label in labels[1:]:
        true = paired_difference(wide["true"][label], wide["true"][labels[0]])
        est = wide["estimate"][label] - wide["estimate"][labels[0]]
        se = np.sqrt(wide["se"][label] ** 2 + wide["se"][labels[0]] ** 2)
        both = est.notna() & se.notna()
        p = float(np.nanmean([wide["true"][label].mean(), wide["true"][labels[0]].mean()]))
        rows.append({
            "label": label, "true_diff": true.mean, "true_low": true.low, "true_high": true.high,
            "true_real": true.excludes_zero,
            "survey_diff": float(est[both].mean()) if both.any() else math.nan,
            "survey_margin": float(Z95 * se[both].mean()) if both.any() else math.nan,
            "detected": int((est[both].abs() > Z95 * se[both]).sum()), "replicates": int(both.sum()),
            "respondents": float(n[[label, labels[0]]].stack().mean()),
            "power": detection_power(true.mean, float(se[both].mean()) if both.any() else math.nan),
            "respondents_for_80": respondents_needed(p, true.mean),
        })
    return pd.DataFrame(rows)
