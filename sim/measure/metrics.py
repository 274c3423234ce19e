"""Per-run figures from the per-request table: the `--json` contract of docs/DESIGN.md §6.

Only requests whose need arose inside the measured window count, so a warm-up never leaks
into the numbers; empty subsets give None so that every result survives `json.dumps`.
"""

from collections.abc import Iterator
from math import inf

import numpy as np
import pandas as pd

from sim.clock import DAY
from sim.engine.requests import COMPONENTS
from sim.measure.survey import Z95

DISTANCE_BANDS_KM = (0, 3, 6, 10, inf)
LIFE_CIRCLES_M = (300, 500, 1000)
GROUPS = ("elderly", "employed", "other")

BAND_LABELS = tuple(
    f"{lo:g}+ km" if hi == inf else f"{lo:g}-{hi:g} km"
    for lo, hi in zip(DISTANCE_BANDS_KM[:-1], DISTANCE_BANDS_KM[1:])
)
_HEADLINE_SECTIONS = (
    "service_radius_km", "access_radius_km", "latency_days",
    "trips_per_request", "share_one_trip_or_less", "staff", "survey",
)
_SURVEY_LEAVES = ("estimate", "true")


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def _quantile(values: np.ndarray, q: float) -> float | None:
    return float(np.quantile(values, q)) if values.size else None


def populations(measured: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """Radii of accepted requests, completed rows and their latency in days.

    Every figure is taken over one of these three, so groups and the whole run agree.
    """
    radius = measured.loc[measured["t_accept"].notna(), "service_radius_km"].to_numpy(float)
    done = measured[measured["completed"]]
    days = ((done["t_done"] - done["t_need"]) / DAY).to_numpy(float)
    return radius, done, days


def _group_figures(measured: pd.DataFrame) -> dict:
    """The headline figures for one slice of residents, to show who is left behind."""
    radius, done, days = populations(measured)
    trips = done["trips"].to_numpy(float)
    return {
        "n": int(len(measured)),
        "service_radius_km_mean": _mean(radius),
        "service_radius_km_p90": _quantile(radius, 0.9),
        "latency_days_mean": _mean(days),
        "latency_days_p90": _quantile(days, 0.9),
        "trips_per_request": _mean(trips),
        "share_one_trip_or_less": _mean(trips <= 1),
    }


def summarise(requests: pd.DataFrame) -> dict:
    """Summarise one run's requests; only measured rows (need after warm-up) count.

    Radius is over accepted requests, latency, components and trips over completed ones;
    by_group's `n` counts the group's measured requests.
    """
    requests = requests.astype({"measured": bool, "completed": bool, "error": bool,
                                "audited": bool, "sent_back": bool})
    measured = requests[requests["measured"]]
    radius, done, days = populations(measured)
    trips = done["trips"].to_numpy(float)
    bands = pd.cut(measured["home_to_centre_km"], bins=DISTANCE_BANDS_KM, right=False, labels=BAND_LABELS)
    completed = int(len(done))
    return {
        "service_radius_km": {
            "mean": _mean(radius),
            "p50": _quantile(radius, 0.5),
            "p90": _quantile(radius, 0.9),
            "max": float(radius.max()) if radius.size else None,
            "within_m": {str(m): _mean(radius <= m / 1000) for m in LIFE_CIRCLES_M},
        },
        "latency_days": {
            "mean": _mean(days),
            "p50": _quantile(days, 0.5),
            "p90": _quantile(days, 0.9),
            "p99": _quantile(days, 0.99),
            "components": {c: _mean(done[c].to_numpy(float)) for c in COMPONENTS},
        },
        "trips_per_request": _mean(trips),
        "share_one_trip_or_less": _mean(trips <= 1),
        "by_group": {
            **{g: _group_figures(measured[measured["group"] == g]) for g in GROUPS},
            "distance_band": {b: _group_figures(measured[bands == b]) for b in BAND_LABELS},
        },
        "requests": {
            "created": int(len(measured)),
            "completed": completed,
            "abandoned": int(measured["abandoned"].sum()),
            "open": int(len(measured)) - completed - int(measured["abandoned"].sum()),
            "outside_window": int(len(requests) - len(measured)),
        },
        "quality": {
            "errors": int(measured["error"].sum()),
            "audited": int(measured["audited"].sum()),
            "sent_back": int(measured["sent_back"].sum()),
        },
    }


def _leaves(value: object, key: str) -> Iterator[tuple[str, float | None]]:
    """Numeric (or None) leaves under dotted keys; lists and text are not table figures."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{key}.{k}")
    elif value is None or (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)):
        yield key, None if value is None else float(value)


def headline(metrics: dict) -> dict[str, float | None]:
    """Flatten the headline sections into one row of a results table.

    Survey sampling details (se, n, ci95) are dropped: tables compare the estimate with the
    truth. `staff_hours_per_request` and `survey.satisfaction` are short names for the two
    figures most tables lead with.
    """
    flat = {
        key: value
        for section in _HEADLINE_SECTIONS
        if section in metrics
        for key, value in _leaves(metrics[section], section)
        if section != "survey" or key.rsplit(".", 1)[-1] in _SURVEY_LEAVES
    }
    if "staff.hours_per_request_total" in flat:
        flat["staff_hours_per_request"] = flat["staff.hours_per_request_total"]
    if "survey.satisfaction.estimate" in flat:
        flat["survey.satisfaction"] = flat["survey.satisfaction.estimate"]
    return flat


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _spread_km(figures: dict) -> str:
    return ", ".join(f"{k} {_num(figures.get(k), '.2f', ' km')}" for k in ("mean", "p90", "max"))


def _survey_figure(figure: dict) -> str:
    """Estimate ± 95% margin beside the truth, so the reader sees what the sample missed."""
    if figure["estimate"] is None:
        return "n/a"
    return f"{_pct(figure['estimate'])} ± {_pct(Z95 * figure['se'])} (true {_pct(figure['true'])})"


def format_summary(metrics: dict, title: str) -> str:
    """A dozen plain-text lines for the CLI; absent sections are left out, None shows as n/a."""
    radius, latency, counts = metrics["service_radius_km"], metrics["latency_days"], metrics["requests"]
    within = radius["within_m"]
    components = {k: v for k, v in latency["components"].items() if v is not None}
    biggest = sorted(components, key=lambda k: components[k], reverse=True)[:3]
    steps = ", ".join(f"{k.replace('_', ' ')} {components[k] / 60:.1f} h" for k in biggest) or "n/a"
    lines = [
        title,
        "=" * len(title),
        f"service radius  {_spread_km(radius)}",
        f"  within {' / '.join(within)} m: {' / '.join(_pct(v) for v in within.values())}",
    ]
    if (access := metrics.get("access_radius_km")) is not None:
        lines.append(f"access radius   {_spread_km(access)}")
    lines += [
        f"latency         mean {_num(latency['mean'], '.1f', ' days')}, "
        f"p90 {_num(latency['p90'], '.1f', ' days')}",
        f"  biggest steps: {steps}",
        f"trips           {_num(metrics['trips_per_request'], '.2f')} per request, "
        f"{_pct(metrics['share_one_trip_or_less'])} with one trip or less",
        f"requests        created {counts['created']}, completed {counts['completed']}, "
        f"abandoned {counts['abandoned']}, open {counts['open']} ({counts['outside_window']} more simulated outside the measured window)",
    ]
    if (staff := metrics.get("staff")) is not None:
        lines.append(f"staff           {_num(staff.get('hours_per_request_total'), '.2f', ' h')} per request")
    if (survey := metrics.get("survey")) is not None:
        answers = ", ".join(f"{k} {_survey_figure(survey[k])}" for k in ("satisfaction", "awareness"))
        lines.append(f"survey          {answers}; n={survey['n']} over {survey['months']} months")
    return "\n".join(lines)
