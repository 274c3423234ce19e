"""Per-run figures from the per-request table: the `--json` contract of docs/DESIGN.md §6.

Only requests whose need arose inside the measured window count, so a warm-up never leaks
into the numbers; empty subsets give None so that every result survives `json.dumps`.

Figures a planner could misread have a companion beside them: the all-channel service radius
counts online and door requests as 0 km, so a reform that moves residents from going online
to a nearby station looks worse; `in_person_radius_km` and `share_without_trip` remove that
doubt. `latency_days` is over completed requests only; `latency_counting_open_days` counts the
unfinished too (Kaplan-Meier, sim/measure/survival.py).
"""

from collections.abc import Iterator
from math import inf

import numpy as np
import pandas as pd

from sim.clock import DAY
from sim.engine.requests import COMPONENTS
from sim.measure.survey import Z95
from sim.measure.survival import kaplan_meier
from sim.world.policy import PHYSICAL

DISTANCE_BANDS_KM = (0, 3, 6, 10, inf)
LIFE_CIRCLES_M = (300, 500, 1000)
GROUPS = ("elderly", "employed", "other")

BAND_LABELS = tuple(
    f"{lo:g}+ km" if hi == inf else f"{lo:g}-{hi:g} km"
    for lo, hi in zip(DISTANCE_BANDS_KM[:-1], DISTANCE_BANDS_KM[1:])
)
_HEADLINE_SECTIONS = (
    "resident_hours", "service_radius_km", "in_person_radius_km", "share_without_trip", "access_radius_km",
    "latency_days", "latency_counting_open_days", "trips_per_request", "share_one_trip_or_less", "per_1000",
    "correction_days",
    "channel_share", "visitors_per_window_day", "staff", "survey",
)
IN_PERSON = tuple(sorted(PHYSICAL))  # channels where the resident goes to a point
CHANNELS = ("street", "community", "terminal", "grid", "building", "online")
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


def in_person(measured: pd.DataFrame) -> pd.Series:
    """Requests taken to a point in person (street centre, community station, terminal)."""
    return measured["channel"].isin(IN_PERSON)


def resident_hours(measured: pd.DataFrame) -> np.ndarray:
    """The resident's own time per request: every trip's travel both ways, queue, window
    service and picking up the result (open requests: their time so far)."""
    return (measured["resident_minutes"] / 60).to_numpy(float)


def street_trip_minutes(measured: pd.DataFrame) -> np.ndarray:
    """One-way travel to the street centre on a first visit that went straight there: only
    then is the travel component exactly one trip from home."""
    straight = (measured["channel"] == "street") & (measured["trips"] >= 1) & (measured["turned_away"] == 0) \
        & (measured["reworks"] == 0) & ~measured["sent_back"].astype(bool) & (measured["decided_by"] == "street")
    return measured.loc[straight, "travel"].to_numpy(float)


# the columns `_group_figures` reads: slicing only these keeps the 21 group slices cheap
_GROUP_COLUMNS = ["t_accept", "service_radius_km", "completed", "t_done", "t_need", "trips", "channel",
                  "resident_minutes", "turned_away", "reworks", "sent_back", "decided_by", "travel"]


def _group_figures(measured: pd.DataFrame) -> dict:
    """The headline figures for one slice of residents, to show who is left behind."""
    radius, done, days = populations(measured)
    trips = done["trips"].to_numpy(float)
    person = measured[in_person(measured) & measured["t_accept"].notna()]
    return {
        "n": int(len(measured)),
        "resident_hours": _mean(resident_hours(measured)),
        "resident_hours_in_person": _mean(resident_hours(measured[in_person(measured)])),
        "street_errand_hours": _mean(resident_hours(measured[measured["channel"] == "street"])),
        "street_trip_minutes": _mean(street_trip_minutes(measured)),
        "service_radius_km_mean": _mean(radius),
        "service_radius_km_p90": _quantile(radius, 0.9),
        "in_person_radius_km_mean": _mean(person["service_radius_km"].to_numpy(float)),
        "latency_days_mean": _mean(days),
        "latency_days_p90": _quantile(days, 0.9),
        "trips_per_request": _mean(trips),
        "share_one_trip_or_less": _mean(trips <= 1),
    }


def _radius_figures(radius: np.ndarray) -> dict:
    return {
        "mean": _mean(radius),
        "p50": _quantile(radius, 0.5),
        "p90": _quantile(radius, 0.9),
        "max": float(radius.max()) if radius.size else None,
        "within_m": {str(m): _mean(radius <= m / 1000) for m in LIFE_CIRCLES_M},
    }


def _counted(measured: pd.DataFrame, column: str) -> int:
    """A per-request count or flag summed; 0 where the table has no such column (no such event)."""
    return int(measured[column].sum()) if column in measured else 0


def correction_days(measured: pd.DataFrame) -> dict:
    """How long wrong decisions stay wrong: days from the wrong decision (`t_wrong`) to its
    correction (`t_corrected`) where the table records them; `corrected_share` of wrong ones."""
    if "t_wrong" not in measured or "t_corrected" not in measured:
        return {"mean": None, "p90": None, "corrected_share": None}
    wrong = measured[measured["t_wrong"].notna()]
    fixed = wrong[wrong["t_corrected"].notna()]
    days = ((fixed["t_corrected"] - fixed["t_wrong"]) / DAY).to_numpy(float)
    return {"mean": _mean(days), "p90": _quantile(days, 0.9),
            "corrected_share": len(fixed) / len(wrong) if len(wrong) else None}


def latency_counting_open(measured: pd.DataFrame, stop: float | None) -> dict:
    """Kaplan-Meier time to done in days, each open request censored at the run's end `stop`
    (default: the latest time in the table); the horizon is the shortest follow-up."""
    t_need = measured["t_need"].to_numpy(float)
    t_done = measured["t_done"].to_numpy(float)
    done = measured["completed"].to_numpy(bool)
    if stop is None:
        stop = float(np.nanmax(np.concatenate([t_need, t_done]))) if len(measured) else 0.0
    durations = np.where(done, t_done - t_need, stop - t_need) / DAY
    horizon = float((stop - t_need).min() / DAY) if len(measured) else 0.0
    return kaplan_meier(durations, done, horizon)


def summarise(requests: pd.DataFrame, stop: float | None = None) -> dict:
    """Summarise one run's requests; only measured rows (need after warm-up) count.

    Radius is over accepted requests, latency, components and trips over completed ones;
    resident hours and per-1,000 counts over every measured request; `stop` is when the run
    ended, where requests still open are censored. by_group's `n` counts the group's measured
    requests.
    """
    requests = requests.astype({"measured": bool, "completed": bool, "error": bool,
                                "audited": bool, "sent_back": bool})
    measured = requests[requests["measured"]]
    radius, done, days = populations(measured)
    trips = done["trips"].to_numpy(float)
    bands = pd.cut(measured["home_to_centre_km"], bins=DISTANCE_BANDS_KM, right=False, labels=BAND_LABELS)
    completed = int(len(done))
    created = int(len(measured))
    person = measured[in_person(measured) & measured["t_accept"].notna()]
    hours = resident_hours(measured)
    per_1000 = (lambda k: 1000 * k / created if created else None)
    slim, group = measured[_GROUP_COLUMNS], measured["group"].to_numpy()
    return {
        "resident_hours": {
            "mean": _mean(hours),
            "p50": _quantile(hours, 0.5),
            "p90": _quantile(hours, 0.9),
            "in_person_mean": _mean(resident_hours(measured[in_person(measured)])),
        },
        "service_radius_km": _radius_figures(radius),
        "in_person_radius_km": _radius_figures(person["service_radius_km"].to_numpy(float)),
        "share_without_trip": _mean(measured["trips"].to_numpy(float) == 0),
        "channel_share": {ch: _mean((measured["channel"] == ch).to_numpy()) for ch in CHANNELS},
        "latency_counting_open_days": latency_counting_open(measured, stop),
        "correction_days": correction_days(measured),
        "per_1000": {
            "turned_away": per_1000(_counted(measured, "turned_away")),
            "abandoned": per_1000(_counted(measured, "abandoned")),
            "complaints": per_1000(_counted(measured, "complaints")),
            "wrong_decisions": per_1000(_counted(measured, "error")),
            "sent_back": per_1000(_counted(measured, "sent_back")),
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
            **{g: _group_figures(slim[group == g]) for g in GROUPS},
            "distance_band": {b: _group_figures(slim[bands == b]) for b in BAND_LABELS},
        },
        "requests": {
            "created": created,
            "completed": completed,
            "abandoned": _counted(measured, "abandoned"),
            "open": created - completed - _counted(measured, "abandoned"),
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


def _open_latency(metrics: dict) -> list[str]:
    """The Kaplan-Meier line: the latency figures above leave unfinished requests out."""
    km = metrics.get("latency_counting_open_days")
    if km is None:
        return []
    return [f"  counting open requests: median {_num(km['median'], '.1f', ' days')}, restricted mean "
            f"{_num(km['restricted_mean'], '.1f', ' days')} (to {_num(km['horizon'], '.0f', ' days')}); "
            f"{_pct(km['unfinished_share'])} unfinished"]


def format_summary(metrics: dict, title: str) -> str:
    """A dozen plain-text lines for the CLI; absent sections are left out, None shows as n/a."""
    radius, latency, counts = metrics["service_radius_km"], metrics["latency_days"], metrics["requests"]
    within = radius["within_m"]
    components = {k: v for k, v in latency["components"].items() if v is not None}
    biggest = sorted(components, key=lambda k: components[k], reverse=True)[:3]
    steps = ", ".join(f"{k.replace('_', ' ')} {components[k] / 60:.1f} h" for k in biggest) or "n/a"
    lines = [title, "=" * len(title)]
    if (hours := metrics.get("resident_hours")) is not None:
        lines.append(f"resident hours  {_num(hours['mean'], '.2f', ' h')} per request, "
                     f"{_num(hours['in_person_mean'], '.2f', ' h')} per request made in person")
    lines += [
        f"service radius  {_spread_km(radius)}",
        f"  within {' / '.join(within)} m: {' / '.join(_pct(v) for v in within.values())}",
    ]
    if (person := metrics.get("in_person_radius_km")) is not None:
        lines.append(f"  in person     {_spread_km(person)}; "
                     f"{_pct(metrics.get('share_without_trip'))} served without a trip")
    if (access := metrics.get("access_radius_km")) is not None:
        lines.append(f"access radius   {_spread_km(access)}")
    lines += [
        f"latency         mean {_num(latency['mean'], '.1f', ' days')}, "
        f"p90 {_num(latency['p90'], '.1f', ' days')}",
        f"  biggest steps: {steps}",
        *_open_latency(metrics),
        f"trips           {_num(metrics['trips_per_request'], '.2f')} per request, "
        f"{_pct(metrics['share_one_trip_or_less'])} with one trip or less",
        f"requests        created {counts['created']}, completed {counts['completed']}, "
        f"abandoned {counts['abandoned']}, open {counts['open']} ({counts['outside_window']} more simulated outside the measured window)",
    ]
    if (per := metrics.get("per_1000")) is not None:
        lines.append("per 1,000       " + ", ".join(f"{k.replace('_', ' ')} {_num(v, '.1f')}" for k, v in per.items()))
    if (staff := metrics.get("staff")) is not None:
        line = f"staff           {_num(staff.get('hours_per_request_total'), '.2f', ' h')} per request"
        if "fte" in staff:
            line += (f" busy, {_num(staff['paid_hours_per_request'], '.2f', ' h')} paid; "
                     f"{_num(staff['fte']['total'], '.1f')} full-time equivalents")
        lines.append(line)
    if (survey := metrics.get("survey")) is not None:
        answers = ", ".join(f"{k} {_survey_figure(survey[k])}" for k in ("satisfaction", "awareness"))
        lines.append(f"survey          {answers}; n={survey['n']} over {survey['months']} months")
    return "\n".join(lines)
