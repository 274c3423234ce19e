"""Quantile functions of service radius and latency, kept per run so that the distribution
figures need no per-request table (that stays optional: `--requests`).

Averaging the replicates' quantile functions gives a scenario's typical distribution without
letting one replicate's sample size weigh more than another's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.measure.metrics import populations

PROBABILITIES = np.linspace(0.0, 1.0, 201)


def quantile_functions(requests: pd.DataFrame) -> dict:
    """Quantiles of service radius (accepted requests) and latency (completed ones), measured
    requests only, over the same populations as the run's metrics; None when there are none."""
    radius, _, days = populations(requests[requests["measured"].astype(bool)])
    return {
        "probabilities": PROBABILITIES.tolist(),
        "service_radius_km": _quantiles(radius),
        "latency_days": _quantiles(days),
    }


def _quantiles(values: np.ndarray) -> list[float] | None:
    return np.quantile(values, PROBABILITIES).tolist() if values.size else None


def pooled(runs: list[dict], key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, probabilities) of the replicates' mean quantile function; None if no run has any."""
    present = [run for run in runs if run and run.get(key) is not None]
    if not present:
        return None
    return np.mean([run[key] for run in present], axis=0), np.asarray(present[0]["probabilities"])
