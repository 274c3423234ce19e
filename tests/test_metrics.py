"""Run metrics and the telephone survey on hand-built request tables whose figures are known."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.measure.metrics import BAND_LABELS, COMPONENTS, format_summary, headline, summarise
from sim.measure.survey import run_survey

DAY = 1440.0


def row(**overrides) -> dict:
    """A measured request completed in one day with one trip; override what a test is about."""
    base = {
        "rid": 0, "resident": 0, "item": "X01", "authority": "street", "group": "other",
        "building": 0, "community": 0, "street": 0, "home_to_centre_km": 1.0,
        "channel": "street", "decided_by": "street", "service_radius_km": 1.0,
        "t_need": 0.0, "t_accept": 60.0, "t_done": DAY,
        "measured": True, "completed": True, "trips": 1, "visits": 1, "reworks": 0, "turned_away": 0,
        **{c: 0.0 for c in COMPONENTS},
        "error": False, "audited": False, "sent_back": False, "abandoned": False,
    }
    base["back_office"] = DAY
    base.update(overrides)
    return base


def table(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows) or [row()])
    frame["rid"] = range(len(frame))
    return frame if rows else frame.iloc[:0]


def test_service_radius_figures():
    df = table(*(row(service_radius_km=r) for r in (0.0, 0.3, 0.5, 1.0, 2.0)))
    m = summarise(df)["service_radius_km"]
    assert m["mean"] == pytest.approx(3.8 / 5)
    assert m["p50"] == pytest.approx(0.5)
    assert m["p90"] == pytest.approx(1.0 + 0.6 * 1.0)
    assert m["max"] == 2.0
    assert m["within_m"] == {"300": pytest.approx(0.4), "500": pytest.approx(0.6), "1000": pytest.approx(0.8)}


def test_unaccepted_rows_have_no_radius():
    df = table(row(service_radius_km=2.0),
               row(service_radius_km=np.nan, t_accept=np.nan, t_done=np.nan, completed=False))
    assert summarise(df)["service_radius_km"]["mean"] == 2.0


def test_warmup_rows_are_excluded():
    df = table(row(service_radius_km=1.0, trips=1),
               row(service_radius_km=9.0, trips=5, measured=False, error=True))
    m = summarise(df)
    assert m["service_radius_km"]["max"] == 1.0
    assert m["trips_per_request"] == 1.0
    assert m["quality"]["errors"] == 0
    assert m["requests"] == {"created": 1, "completed": 1, "abandoned": 0, "open": 0, "outside_window": 1}


def test_open_rows_counted_and_left_out_of_latency():
    df = table(row(t_done=2 * DAY), row(t_done=4 * DAY),
               row(t_done=np.nan, completed=False, trips=3, back_office=np.nan),
               row(t_done=np.nan, completed=False, trips=3, back_office=np.nan, abandoned=True))
    m = summarise(df)
    assert m["requests"] == {"created": 4, "completed": 2, "abandoned": 1, "open": 1, "outside_window": 0}
    assert m["latency_days"]["mean"] == pytest.approx(3.0)
    assert m["latency_days"]["p50"] == pytest.approx(3.0)
    assert m["latency_days"]["p99"] == pytest.approx(2 + 0.99 * 2)
    assert m["trips_per_request"] == 1.0


def test_component_means():
    df = table(row(queue=10.0, travel=40.0, back_office=0.0, t_done=50.0),
               row(queue=30.0, travel=0.0, back_office=DAY, t_done=DAY + 30.0))
    comp = summarise(df)["latency_days"]["components"]
    assert list(comp) == list(COMPONENTS)
    assert comp["queue"] == 20.0
    assert comp["travel"] == 20.0
    assert comp["back_office"] == DAY / 2
    assert comp["rework"] == 0.0


def test_trips_and_one_trip_share():
    df = table(*(row(trips=t) for t in (0, 1, 1, 2, 3, 5)))
    m = summarise(df)
    assert m["trips_per_request"] == pytest.approx(2.0)
    assert m["share_one_trip_or_less"] == pytest.approx(0.5)


def test_by_group_and_distance_bands():
    df = table(
        row(group="elderly", home_to_centre_km=0.0, service_radius_km=2.0, trips=2, t_done=3 * DAY),
        row(group="elderly", home_to_centre_km=2.9, service_radius_km=4.0, trips=1, t_done=DAY),
        row(group="employed", home_to_centre_km=3.0, service_radius_km=0.0, trips=0, t_done=DAY),
        row(group="employed", home_to_centre_km=12.0, completed=False, t_done=np.nan, back_office=np.nan),
    )
    g = summarise(df)["by_group"]
    assert g["elderly"] == {
        "n": 2, "service_radius_km_mean": 3.0, "service_radius_km_p90": pytest.approx(3.8),
        "latency_days_mean": 2.0, "latency_days_p90": pytest.approx(2.8),
        "trips_per_request": 1.5, "share_one_trip_or_less": 0.5,
    }
    assert g["employed"]["n"] == 2
    assert g["employed"]["service_radius_km_mean"] == pytest.approx(0.5)
    assert g["employed"]["latency_days_mean"] == 1.0
    assert list(g["distance_band"]) == ["0-3 km", "3-6 km", "6-10 km", "10+ km"] == list(BAND_LABELS)
    assert g["distance_band"]["0-3 km"]["n"] == 2
    assert g["distance_band"]["3-6 km"]["n"] == 1
    assert g["distance_band"]["10+ km"]["n"] == 1
    assert g["distance_band"]["10+ km"]["latency_days_mean"] is None


def test_empty_groups_give_none():
    g = summarise(table(row(group="other")))["by_group"]
    assert g["elderly"] == {
        "n": 0, "service_radius_km_mean": None, "service_radius_km_p90": None,
        "latency_days_mean": None, "latency_days_p90": None,
        "trips_per_request": None, "share_one_trip_or_less": None,
    }
    assert g["distance_band"]["6-10 km"]["n"] == 0


def test_empty_table_gives_none_and_zero_counts():
    m = summarise(table())
    assert m["service_radius_km"]["mean"] is None
    assert m["service_radius_km"]["within_m"]["1000"] is None
    assert m["latency_days"]["components"]["queue"] is None
    assert m["trips_per_request"] is None
    assert m["requests"] == {"created": 0, "completed": 0, "abandoned": 0, "open": 0, "outside_window": 0}
    json.dumps(m, allow_nan=False)


def test_quality_counts_and_json():
    df = table(row(error=True, audited=True, sent_back=True), row(audited=True),
               row(error=True, measured=False))
    m = summarise(df)
    assert m["quality"] == {"errors": 1, "audited": 2, "sent_back": 1}
    text = json.dumps(m, allow_nan=False)
    assert json.loads(text)["requests"]["created"] == 2


def _with_extras(m: dict) -> dict:
    return m | {
        "access_radius_km": {"mean": 0.8, "p90": 1.5, "max": 3.0},
        "staff": {"hours_per_request_total": 2.5, "kinds": {"window": {"utilisation": 0.6}}, "names": ["a"]},
        "survey": {"months": 2, "n": 100,
                   "satisfaction": {"estimate": 0.8, "se": 0.04, "ci95": [0.72, 0.88], "true": 0.78},
                   "awareness": {"estimate": None, "se": None, "ci95": None, "true": 0.5}},
    }


def test_headline_flattens_with_dotted_keys():
    flat = headline(_with_extras(summarise(table(row(), row(trips=3)))))
    assert flat["service_radius_km.mean"] == 1.0
    assert flat["service_radius_km.within_m.1000"] == 1.0
    assert flat["access_radius_km.p90"] == 1.5
    assert flat["latency_days.components.queue"] == 0.0
    assert flat["trips_per_request"] == 2.0
    assert flat["share_one_trip_or_less"] == 0.5
    assert flat["staff.kinds.window.utilisation"] == 0.6
    assert flat["staff_hours_per_request"] == 2.5
    assert flat["survey.satisfaction.true"] == 0.78
    assert flat["survey.satisfaction"] == 0.8
    assert flat["survey.awareness.estimate"] is None
    assert not any(k.startswith(("by_group", "requests", "quality")) for k in flat)
    assert not any(k.endswith((".se", ".n", ".months", ".ci95", ".names")) for k in flat)


def test_headline_without_optional_sections_keeps_none():
    flat = headline(summarise(table()))
    assert flat["latency_days.mean"] is None
    assert not any(k.startswith(("staff", "survey", "access")) for k in flat)


def test_format_summary_with_and_without_sections():
    m = summarise(table(row(), row(travel=120.0, t_done=DAY + 120.0)))
    bare = format_summary(m, "baseline")
    assert bare.splitlines()[0] == "baseline"
    assert "back office 24.0 h, travel 1.0 h" in bare
    assert "created 2, completed 2, abandoned 0, open 0" in bare
    assert "staff" not in bare and "survey" not in bare
    full = format_summary(_with_extras(m), "baseline")
    assert "2.50 h per request" in full
    assert "satisfaction 80% ± 8% (true 78%)" in full and "awareness n/a" in full
    assert "n/a" in format_summary(summarise(table()), "empty")


SURVEY_CFG = {
    "per_month": 50,
    "satisfaction": {"intercept": 2.0, "per_day": -0.1, "per_trip": -0.5, "per_km": -0.2},
    "awareness": {"base": 0.3, "local": 0.4},
}


def survey_table(n: int, months: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    need = rng.uniform(0, months * 30 * DAY, n)
    latency = rng.exponential(5 * DAY, n)
    return table(*(
        row(t_need=t, t_done=t + lat, trips=int(k), service_radius_km=r)
        for t, lat, k, r in zip(need, latency, rng.integers(0, 4, n), rng.uniform(0, 3, n))
    ))


def test_survey_true_is_population_mean_probability():
    """Residents served within the window's months count, whenever their need arose."""
    df = table(row(trips=1, t_done=2 * DAY, service_radius_km=0.5),
               row(measured=False, t_need=-DAY, trips=2, t_done=DAY, service_radius_km=3.0),
               row(trips=9, t_done=31 * DAY), row(completed=False, t_done=np.nan))
    out = run_survey(df, SURVEY_CFG, np.random.default_rng(0), 0.0, 30 * DAY)
    s = SURVEY_CFG["satisfaction"]
    p1 = 1 / (1 + math.exp(-(s["intercept"] + s["per_day"] * 2 + s["per_trip"] * 1 + s["per_km"] * 0.5)))
    p2 = 1 / (1 + math.exp(-(s["intercept"] + s["per_day"] * 2 + s["per_trip"] * 2 + s["per_km"] * 3.0)))
    assert out["satisfaction"]["true"] == pytest.approx((p1 + p2) / 2)
    assert out["awareness"]["true"] == pytest.approx((0.7 + 0.3) / 2)
    assert out["n"] == 2 and out["months"] == 1


def test_awareness_probability_is_clipped():
    cfg = SURVEY_CFG | {"awareness": {"base": 0.8, "local": 0.5}}
    out = run_survey(table(row(service_radius_km=0.2)), cfg, np.random.default_rng(0), 0.0, 30 * DAY)
    assert out["awareness"]["true"] == 1.0
    assert out["awareness"]["estimate"] == 1.0


def test_large_survey_estimate_within_three_se():
    df = survey_table(6000, months=3)
    out = run_survey(df, SURVEY_CFG | {"per_month": 1000}, np.random.default_rng(7), 0.0, 120 * DAY)
    n = out["n"]
    assert n >= 3000
    for name in ("satisfaction", "awareness"):
        fig = out[name]
        assert abs(fig["estimate"] - fig["true"]) < 3 * fig["se"]
        assert fig["se"] == pytest.approx(math.sqrt(fig["estimate"] * (1 - fig["estimate"]) / n))
        assert fig["ci95"][0] < fig["estimate"] < fig["ci95"][1]


def test_survey_is_deterministic_for_a_seed():
    df = survey_table(500, months=4)
    first = run_survey(df, SURVEY_CFG, np.random.default_rng(42), 0.0, 120 * DAY)
    assert first == run_survey(df, SURVEY_CFG, np.random.default_rng(42), 0.0, 120 * DAY)
    json.dumps(first, allow_nan=False)


def test_survey_disabled_returns_none():
    off = SURVEY_CFG | {"per_month": 0}
    assert run_survey(survey_table(10, months=1), off, np.random.default_rng(0), 0.0, 30 * DAY) is None


def test_survey_respects_monthly_caps():
    start = 5 * DAY
    per_month_done = [3, 80, 50, 0, 120]
    df = table(*(
        row(t_need=start + (30 * m + 1) * DAY, t_done=start + (30 * m + 2 + i / 1000) * DAY)
        for m, count in enumerate(per_month_done) for i in range(count)
    ))
    out = run_survey(df, SURVEY_CFG, np.random.default_rng(3), start, start + 170 * DAY)  # 5 whole months
    assert out["n"] == sum(min(50, c) for c in per_month_done)
    assert out["months"] == 4
    shorter = run_survey(df, SURVEY_CFG, np.random.default_rng(3), start, start + 100 * DAY)  # 3 whole months
    assert shorter["n"] == sum(min(50, c) for c in per_month_done[:3])


def test_survey_of_nobody_gives_none_estimates():
    out = run_survey(table(row(completed=False, t_done=np.nan)), SURVEY_CFG, np.random.default_rng(0), 0.0, 30 * DAY)
    assert out["n"] == 0 and out["months"] == 0
    assert out["satisfaction"] == {"estimate": None, "se": None, "ci95": None, "true": None}
