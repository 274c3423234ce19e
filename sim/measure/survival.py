"""Time to done that counts unfinished requests: a Kaplan-Meier curve (scipy.stats.ecdf on
right-censored data) and the restricted mean under it.

Dropping requests still open at the end of a run hides the worst cases, and the more a model
leaves unfinished the better its mean of finished requests looks. Here an open request counts
as "not done after at least this long" (censored at the run's end). The restricted mean is the
area under the survival curve up to the horizon every request was followed for (the shortest
follow-up in the table), so it is defined even when the curve never drops to a half.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def kaplan_meier(durations: np.ndarray, done: np.ndarray, horizon: float) -> dict:
    """Median, 90th percentile and restricted mean of `durations` (done or censored), in the
    durations' unit; the median or p90 is None when the curve stays above 0.5 or 0.1."""
    empty = {"median": None, "p90": None, "restricted_mean": None, "horizon": None,
             "unfinished_share": None}
    if not durations.size:
        return empty
    durations = np.maximum(durations.astype(float), 0.0)
    done = done.astype(bool)
    unfinished = float((~done).mean())
    if not done.any():
        return empty | {"restricted_mean": float(horizon), "horizon": float(horizon), "unfinished_share": unfinished}
    sf = stats.ecdf(stats.CensoredData(uncensored=durations[done], right=durations[~done])).sf
    times, surviving = sf.quantiles, sf.probabilities  # S(t) just after each time something ended

    def quantile(p: float) -> float | None:
        below = np.flatnonzero(surviving <= 1 - p + 1e-12)
        return float(times[below[0]]) if below.size else None

    steps = np.concatenate(([0.0], times[times < horizon], [horizon]))
    levels = np.concatenate(([1.0], surviving[times < horizon]))
    return {"median": quantile(0.5), "p90": quantile(0.9),
            "restricted_mean": float(np.sum(np.diff(steps) * levels)), "horizon": float(horizon),
            "unfinished_share": unfinished}
