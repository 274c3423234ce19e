"""Headline figures that cannot mislead, on hand-built request tables whose figures are known:
resident hours, in-person radius, latency counting open requests, per-1,000 counts, staffing,
satisfaction that feels errors and refusals, and the published facts."""

import numpy as np
import pandas as pd
import pytest

from sim.measure.facts import check_facts, figure, load_facts
from sim.measure.metrics import summarise
from sim.measure.staffing import staffing, visitors_per_window_day
from sim.measure.survey import run_survey
from sim.measure.survival import kaplan_meier
from test_metrics import DAY, SURVEY_CFG, row, table

WEEK = 7 * DAY


def online(**overrides) -> dict:
    return row(channel="online", decided_by="back_office", service_radius_km=0.0, trips=0, resident_minutes=0.0,
               **overrides)


def test_resident_hours_count_every_trip_and_online_requests_cost_no_trip():
    m = summarise(table(online(), row(resident_minutes=120.0), row(resident_minutes=240.0, trips=2)))
    assert m["resident_hours"]["mean"] == pytest.approx(2.0)
    assert m["resident_hours"]["in_person_mean"] == pytest.approx(3.0)
    assert m["resident_hours"]["p50"] == pytest.approx(2.0)


def test_in_person_radius_leaves_out_online_and_door_requests():
    """Online requests count as 0 km in the all-channel radius: moving residents from online to a
    station 2 km away raises it, while the in-person radius shows the station is nearer."""
    before = summarise(table(online(), online(), row(service_radius_km=6.0)))
    after = summarise(table(online(), row(channel="community", service_radius_km=2.0), row(service_radius_km=6.0)))
    assert after["service_radius_km"]["mean"] > before["service_radius_km"]["mean"]
    assert after["in_person_radius_km"]["mean"] < before["in_person_radius_km"]["mean"]
    assert before["in_person_radius_km"]["mean"] == 6.0 and after["in_person_radius_km"]["mean"] == 4.0
    assert before["share_without_trip"] == pytest.approx(2 / 3) and after["share_without_trip"] == pytest.approx(1 / 3)
    assert after["channel_share"]["online"] == pytest.approx(1 / 3)
    assert after["channel_share"]["community"] == pytest.approx(1 / 3)


def test_kaplan_meier_counts_open_requests_as_not_done_yet():
    """By hand: done at 1, 2, 4 days, open (censored) at 3 and 5: S = 0.8, 0.6, 0.6, 0.3."""
    out = kaplan_meier(np.array([1, 2, 3, 4, 5.0]), np.array([1, 1, 0, 1, 0], bool), horizon=5.0)
    assert out["median"] == 4.0 and out["p90"] is None
    assert out["restricted_mean"] == pytest.approx(1 + 0.8 + 0.6 * 2 + 0.3)
    assert out["unfinished_share"] == pytest.approx(0.4)


def test_latency_counting_open_is_longer_than_the_mean_of_finished_requests():
    stop = 10 * DAY
    df = table(row(t_done=DAY), row(t_done=2 * DAY),
               row(t_need=DAY, t_done=np.nan, completed=False, back_office=np.nan))
    m = summarise(df, stop)
    km = m["latency_counting_open_days"]
    assert m["latency_days"]["mean"] == pytest.approx(1.5)  # the open request is dropped here
    assert km["unfinished_share"] == pytest.approx(1 / 3)
    assert km["horizon"] == pytest.approx(9.0)  # the request needed on day 1 was followed for 9 days
    assert km["median"] == pytest.approx(2.0)
    assert km["restricted_mean"] == pytest.approx(1 + 2 / 3 + 1 / 3 * 7)  # S = 1, 2/3, then 1/3 up to day 9
    assert km["restricted_mean"] > m["latency_days"]["mean"]


def test_all_finished_gives_the_plain_mean():
    m = summarise(table(row(t_done=DAY), row(t_done=3 * DAY)), stop=30 * DAY)
    assert m["latency_counting_open_days"]["restricted_mean"] == pytest.approx(2.0)
    assert m["latency_counting_open_days"]["unfinished_share"] == 0.0


def test_per_1000_counts_refusals_errors_and_the_events_a_table_records():
    df = table(row(turned_away=2, error=True, sent_back=True), row(error=True), *(row() for _ in range(8)))
    m = summarise(df)["per_1000"]
    assert m["turned_away"] == 200.0 and m["wrong_decisions"] == 200.0 and m["sent_back"] == 100.0
    assert m["abandoned"] == 0.0 and m["complaints"] == 0.0  # this table records neither
    df["abandoned"] = [True] + [False] * 9
    df["complaints"] = [0, 3] + [0] * 8
    m = summarise(df)["per_1000"]
    assert m["abandoned"] == 100.0 and m["complaints"] == 300.0


def test_time_to_correct_wrong_decisions():
    assert summarise(table(row()))["correction_days"]["mean"] is None  # a table without the columns
    df = table(row(t_wrong=DAY, t_corrected=3 * DAY), row(t_wrong=DAY, t_corrected=7 * DAY),
               row(t_wrong=2 * DAY, t_corrected=np.nan), row(t_wrong=np.nan, t_corrected=np.nan))
    m = summarise(df)["correction_days"]
    assert m["mean"] == pytest.approx(4.0) and m["corrected_share"] == pytest.approx(2 / 3)


def _report(street_busy=10.0, street_paid=70.0, community_paid=0.0, grid_busy=2.0) -> dict:
    kinds = {"street": (street_busy, street_paid), "community": (0.0, community_paid), "specialist": (0.0, 0.0),
             "grid": (grid_busy, 400.0)}
    report = {k: {"hours": busy, "paid_hours": paid} for k, (busy, paid) in kinds.items()}
    report["street"]["window_days"] = 10
    report["community"]["window_days"] = 0
    return report


STAFFING_CFG = {"fte_hours_per_week": 40.0, "review_minutes": 30.0, "back_office_minutes": 60.0}


def test_staffing_counts_idle_window_time_and_the_back_office():
    measured = table(online(back_office=0.0), row(back_office=0.0), row(back_office=DAY), row(back_office=0.0))
    out = staffing(_report(), measured, STAFFING_CFG, minutes=2 * WEEK)
    assert out["back_office"]["hours"] == pytest.approx(0.5 + 1.0)  # one online review, one reviewed item
    assert out["hours_per_request_total"] == pytest.approx((10 + 2 + 1.5) / 4)
    assert out["paid_hours_per_request"] == pytest.approx((70 + 2 + 1.5) / 4)  # idle windows are paid too
    assert out["fte"]["street"] == pytest.approx(70 / 80)
    assert out["fte"]["grid"] == pytest.approx(2 / 80)  # grid workers: only their time on requests
    assert out["fte"]["total"] == pytest.approx(73.5 / 80)
    more_windows = staffing(_report(community_paid=700.0), measured, STAFFING_CFG, minutes=2 * WEEK)
    assert more_windows["hours_per_request_total"] == out["hours_per_request_total"]
    assert more_windows["fte"]["total"] == pytest.approx(out["fte"]["total"] + 700 / 80)


def test_visitors_per_window_day_count_every_trip_to_the_point():
    measured = table(row(trips=3), row(trips=1), online(), row(channel="community", trips=5))
    out = visitors_per_window_day(measured, _report())
    assert out == {"street": pytest.approx(0.4), "community": None}


def test_satisfaction_feels_wrong_decisions_and_refusals():
    cfg = SURVEY_CFG | {"satisfaction": SURVEY_CFG["satisfaction"] | {"per_refusal": -0.5, "per_error": -2.0}}
    base = [row(t_done=DAY * (1 + k / 100)) for k in range(50)]
    plain = run_survey(table(*base), cfg, np.random.default_rng(0), 0.0, 30 * DAY)
    wrong = run_survey(table(*(r | {"error": True} for r in base)), cfg, np.random.default_rng(0), 0.0, 30 * DAY)
    refused = run_survey(table(*(r | {"turned_away": 2} for r in base)), cfg, np.random.default_rng(0), 0.0, 30 * DAY)
    assert wrong["satisfaction"]["true"] < refused["satisfaction"]["true"] < plain["satisfaction"]["true"]


def _facts_metrics(**values) -> dict:
    """Nested metrics holding each fact's figure at its target, unless given."""
    out: dict = {}
    for fact in load_facts():
        node = out
        value = values.get(fact.name, fact.target)
        head, _, leaf = fact.metric.rpartition(".")
        for part in head.split(".") if head else []:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def test_facts_pass_at_target_and_fail_outside_the_tolerance_or_when_missing():
    facts = {f.name: f for f in load_facts()}
    assert set(facts) == {"far_trip_minutes", "far_errand_hours", "online_share", "visitors_per_window_day"}
    assert all(f.low < f.target < f.high and f.source for f in facts.values())
    assert all(c.passed for c in check_facts(_facts_metrics()))
    checks = {c.name: c for c in check_facts(_facts_metrics(far_errand_hours=2.0, online_share=None))}
    assert not checks["far_errand_hours"].passed and checks["far_errand_hours"].value == 2.0
    assert not checks["online_share"].passed and checks["online_share"].value is None
    assert checks["far_trip_minutes"].passed and checks["far_trip_minutes"].low == facts["far_trip_minutes"].low


def test_facts_read_a_flat_row_of_a_runs_table_too():
    nested = _facts_metrics(far_trip_minutes=44.0)
    flat = {f.metric: figure(nested, f.metric) for f in load_facts()}
    assert flat["by_group.distance_band.10+ km.street_trip_minutes"] == 44.0
    assert [c.passed for c in check_facts(flat)] == [c.passed for c in check_facts(nested)]


class Comparison:
    """Just what the reading needs: labels, names and one summary row per (label, metric)."""

    def __init__(self, cells: dict, lang: str = "en"):
        self.labels, self.lang, self._cells = ["base", "reform"], lang, cells
        self.names = {"base": "Centralised", "reform": "Dingshan"}

    def cell(self, label, metric):
        return self._cells.get((label, metric))


def diff(value: float, real: bool = True, negligible: bool = False) -> dict:
    return {"diff": value, "real": real, "negligible": negligible, "mean": value}


def test_a_companion_explains_a_figure_that_moves_the_other_way():
    from sim.present.reading import companions

    flip = Comparison({("reform", "service_radius_km.mean"): diff(+0.4),
                       ("reform", "in_person_radius_km.mean"): diff(-2.0)})
    notes = companions(flip)
    assert len(notes) == 1 and "counts online and door requests as 0 km" in notes[0]
    assert "rises" in notes[0] and "falls" in notes[0]
    same_way = Comparison({("reform", "service_radius_km.mean"): diff(-0.4),
                           ("reform", "in_person_radius_km.mean"): diff(-2.0)})
    unclear = Comparison({("reform", "service_radius_km.mean"): diff(+0.4, real=False),
                          ("reform", "in_person_radius_km.mean"): diff(-2.0)})
    negligible = Comparison({("reform", "service_radius_km.mean"): diff(+0.01, negligible=True),
                             ("reform", "in_person_radius_km.mean"): diff(-2.0)})
    assert companions(same_way) == [] and companions(unclear) == [] and companions(negligible) == []
    assert "网办" in companions(Comparison(flip._cells, lang="zh"))[0]


def test_unfinished_share_above_half_a_percent_is_flagged():
    from sim.present.reading import caveats

    class Flagged(Comparison):
        replicates, tasks = 3, []

        def failed(self):
            return {}

    key = "latency_counting_open_days.unfinished_share"
    notes = caveats(Flagged({("base", key): diff(0.004), ("reform", key): diff(0.012)}))
    assert len(notes) == 1 and "Dingshan" in notes[0] and "1.2%" in notes[0]
