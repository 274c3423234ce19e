"""A monthly telephone survey of residents served, as Dingshan's third-party evaluation runs.

The simulation knows every resident's chance of being satisfied and aware; the survey sees only
a sample. Reporting both shows whether a survey of that size could detect the differences
between models that the simulation says exist.
"""

from statistics import NormalDist

import numpy as np
import pandas as pd

from sim.clock import DAY

DAYS_PER_MONTH = 30
LOCAL_KM = 1.0  # "served locally": within the 15-minute life circle, 800-1,000 m (GB 50180-2018, fact)
Z95 = NormalDist().inv_cdf(0.975)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _estimate(answers: np.ndarray, probability: np.ndarray) -> dict:
    """Sample share with its Wald interval, beside the census value it estimates."""
    true = float(probability.mean()) if probability.size else None
    if not answers.size:
        return {"estimate": None, "se": None, "ci95": None, "true": true}
    p = float(answers.mean())
    se = float(np.sqrt(p * (1 - p) / answers.size))
    ci95 = [max(0.0, p - Z95 * se), min(1.0, p + Z95 * se)]
    return {"estimate": p, "se": se, "ci95": ci95, "true": true}


def run_survey(
    requests: pd.DataFrame, cfg: dict, rng: np.random.Generator, start: float, end: float
) -> dict | None:
    """Survey residents served in the whole 30-day months of the measured window [start, end)
    (one month if the window is shorter); None when per_month is 0.

    The population is every request completed in those months, whenever its need arose, as a
    survey of "residents served this month" finds them; `true` is that population's mean
    probability, so estimate and truth describe the same people. Each month samples up to
    `per_month` of them without replacement; each respondent answers by a Bernoulli draw with
    their own probability:
    P(satisfied) = logistic(intercept + per_day*latency_days + per_trip*trips + per_km*radius_km
                            + per_refusal*times_turned_away + per_error*wrong_decision),
    P(aware) = base + local if accepted within 1 km of home, clipped to [0, 1].
    Months are pooled: se = sqrt(p(1-p)/n) treats all respondents as one simple random
    sample, ignoring the monthly strata. `true` is the population mean probability.
    """
    per_month = int(cfg["per_month"])
    if per_month == 0:
        return None
    sat, aware = cfg["satisfaction"], cfg["awareness"]
    month_length = DAYS_PER_MONTH * DAY
    months = max(1, int((end - start) // month_length))
    t_done = requests["t_done"].to_numpy(float)
    done = requests[(t_done >= start) & (t_done < start + months * month_length)]
    days = ((done["t_done"] - done["t_need"]) / DAY).to_numpy(float)
    radius = done["service_radius_km"].to_numpy(float)
    p_satisfied = _logistic(sat["intercept"] + sat["per_day"] * days
                            + sat["per_trip"] * done["trips"].to_numpy(float) + sat["per_km"] * radius
                            + sat["per_refusal"] * done["turned_away"].to_numpy(float)
                            + sat["per_error"] * done["error"].to_numpy(float))
    p_aware = np.clip(aware["base"] + aware["local"] * (radius <= LOCAL_KM), 0.0, 1.0)
    month = np.floor((done["t_done"].to_numpy(float) - start) / month_length)
    draw_order = pd.Series(rng.random(len(done))).groupby(month).rank(method="first").to_numpy()
    sampled = draw_order <= per_month
    n = int(sampled.sum())
    satisfied = rng.random(n) < p_satisfied[sampled]
    is_aware = rng.random(n) < p_aware[sampled]
    return {
        "months": int(np.unique(month).size),
        "n": n,
        "satisfaction": _estimate(satisfied, p_satisfied),
        "awareness": _estimate(is_aware, p_aware),
    }
