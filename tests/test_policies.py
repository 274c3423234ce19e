"""Each authorisation mechanism on a small territory where its effect can be predicted."""

import math

import numpy as np
import pytest

from sim.measure.results import measure
import sim
from sim.clock import DAY
from sim.world.calendar import Calendar
from sim.errors import ScenarioError
from helpers import SCENARIOS, TINY, run_small, run_tiny

DINGSHAN = ['authority.street.accept=["street", "community"]', 'authority.street.decide=["street", "specialist"]']
DACHANG = ['authority.street.accept=["street", "community"]', 'authority.street.decide=["street", "community"]']
WORK = Calendar.from_specs(["Mon-Fri 08:00-18:00"])


def workday(day: int) -> int | None:
    return None if day % 7 >= 5 else (day // 7) * 5 + day % 7


@pytest.mark.parametrize("cycle", [2, 3])
def test_rota_visit_every_n_days_delays_held_files_to_the_next_visit(cycle):
    """One specialist; the Near community is visited every `cycle` working days. A file held there
    is decided on the first visit day after it was pre-accepted, or later the same day when it was
    pre-accepted because the specialist's window was full (with no limit on held files a session)."""
    rota = ", ".join(['"Near"'] + ['"Far"'] * (cycle - 1))
    result = run_tiny(*DINGSHAN, "staff.specialist.rota=[{communities = [" + rota + "]}]",
                      "staff.specialist.rota_awareness=0.0", "staff.specialist.held_per_session=10000")
    t = result.requests
    held = t[(t.decided_by == "specialist") & (t.channel == "community") & (t.community == 0) & (t.handoff > 0)]
    assert len(held) > 10
    for accepted, decided in zip(held.t_accept, held.t_decided):
        day = math.floor(accepted / DAY)
        if math.floor(decided / DAY) == day:
            assert workday(day) is not None and workday(day) % cycle == 0 and decided > accepted
            continue
        day += 1
        while workday(day) is None or workday(day) % cycle != 0:
            day += 1
        assert math.floor(decided / DAY) == day
    # Held files wait on average longer when visits are rarer.
    assert held.handoff.mean() / DAY > (cycle - 1) / 2


def test_the_rota_table_answers_as_the_rota_itself():
    """Who is in on a day, and the next visit a rota-aware resident waits for, past the table too."""
    model = sim.GovernanceModel(sim.load(SCENARIOS / "dingshan.toml", ["territory.scale=0.02", "run.weeks=2"]))
    rota = model.rota
    for c in range(len(model.communities)):
        visiting = [s for s in model.specialists if c in s.cluster]
        days = [d for d in range(rota.present.shape[1] + 40) if any(s.community_on(d) == c for s in visiting)]
        assert days, "every Dingshan community has a specialist's day"
        for day in range(rota.present.shape[1] + 20):
            assert rota.is_present(c, day) == (day in days)
            ahead = [d for d in days if day <= d < day + rota.horizon[c]]
            assert rota.next_visit(c, day) == (ahead[0] if ahead else None)


@pytest.mark.parametrize("limit", [0, 2])
def test_missing_documents_come_back_at_most_rework_limit_times(limit):
    codes = sim.GovernanceModel(sim.load(TINY)).catalogue.code
    t = run_tiny(f"catalogue.rework_limit={limit}", *[f"catalogue.items.{c}.p_incomplete=0.99" for c in codes]).requests
    for_documents = t.reworks - t.sent_back  # an audit send-back is a rework too
    assert for_documents.max() == limit and (for_documents == limit).mean() > 0.8


def test_proficiency_k_slows_community_service_by_k():
    """Common random numbers: the same request has the same expert minutes in both runs."""
    base = run_tiny(*DACHANG, "staff.community.proficiency=1.0").requests
    slow = run_tiny(*DACHANG, "staff.community.proficiency=2.5").requests

    def community_decided(t):
        rows = t[(t.decided_by == "community") & (t.channel == "community") & (t.reworks == 0) & (t.turned_away == 0)]
        return rows.set_index("rid").service

    a, b = community_decided(base), community_decided(slow)
    common = a.index.intersection(b.index)
    assert len(common) > 50
    np.testing.assert_allclose(b[common], 2.5 * a[common])


def test_door_step_acceptance_has_zero_service_radius_and_no_trip():
    t = run_small("xiaoding").requests
    door = t[t.channel.isin(["grid", "building"]) & t.t_accept.notna()]
    assert len(door) > 20
    assert (door.service_radius_km == 0).all()
    assert (door[door.completed].trips == 0).all()


def arrivals(t):
    rows = t[t.channel.isin(["street", "community"]) & (t.turned_away == 0) & (t.reworks == 0) & t.t_accept.notna()]
    return rows.group, (rows.t_accept - rows.service - rows.queue).to_numpy()


@pytest.mark.parametrize("weekend, in_work_hours", [(False, 1.0), (True, 0.0)])
def test_weekend_opening_lets_employed_residents_come_without_leave(weekend, in_work_hours):
    group, arrive = arrivals(run_tiny(f"switches.weekend={str(weekend).lower()}").requests)
    employed = arrive[(group == "employed").to_numpy()]
    assert len(employed) > 20
    share = np.mean([WORK.is_open(a) for a in employed])
    assert share == in_work_hours
    if weekend:
        assert any((math.floor(a / DAY) % 7) >= 5 for a in employed)


def test_audit_sends_back_the_expected_share():
    t = run_tiny(*DACHANG, "staff.community.error_rate=0.5", "audit.share=0.4", "audit.detect=1.0",
                 "catalogue.demand_scale=150").requests
    decided = t[t.decided_by.isin(["community"]) | t.sent_back]
    decided = decided[decided.t_decided.notna()]
    n = len(decided)
    assert n > 500
    se = math.sqrt(0.2 * 0.8 / n)
    assert abs(decided.sent_back.mean() - 0.2) < 4 * se
    assert abs(decided.audited.mean() - 0.4) < 4 * math.sqrt(0.24 / n)
    # A sent-back case costs the resident another trip.
    back = decided[decided.sent_back & decided.completed & (decided.channel == "community")]
    assert (back.trips >= 2).all()


def test_community_forwarding_hands_street_items_to_the_street_by_courier():
    t = run_tiny("switches.community_forwarding=true", "switches.online=false").requests
    fwd = t[(t.authority == "street") & (t.channel == "community") & t.t_decided.notna()]
    assert len(fwd) > 20
    assert (fwd.decided_by == "street").all()
    assert (fwd.handoff >= 2 * DAY - 1e-6).all()  # two working days at least


def test_specialists_decide_only_on_their_visit_days():
    t = run_tiny(*DINGSHAN, "staff.specialist.count=1", 'staff.specialist.visit_days=["Mon", "Wed"]').requests
    by_specialist = t[t.decided_by == "specialist"]
    assert len(by_specialist) > 20
    assert set((by_specialist.t_decided // DAY % 7).astype(int)) == {0, 2}


def test_send_to_street_when_no_specialist_is_present():
    t = run_tiny(*DINGSHAN, "staff.specialist.count=1", 'staff.specialist.when_absent="send_to_street"',
                 "staff.specialist.rota_awareness=0.0", "switches.online=false").requests
    street_items = t[(t.authority == "street") & t.t_decided.notna()]
    assert set(street_items.decided_by) == {"street", "specialist"}
    assert (street_items[street_items.decided_by == "specialist"].handoff == 0).all()


def test_reform_models_shrink_the_service_radius():
    """Street items come closer to home; community items and online requests do not change."""
    runs = {m: run_small(m) for m in ("centralised", "dingshan", "dachang", "xiaoding")}
    overall = {m: r.metrics["service_radius_km"]["mean"] for m, r in runs.items()}
    street = {m: r.requests.query("measured and authority == 'street'").service_radius_km.mean() for m, r in runs.items()}
    for reform in ("dingshan", "dachang", "xiaoding"):
        assert overall[reform] < overall["centralised"], overall
        assert street[reform] < 0.75 * street["centralised"], street


@pytest.mark.parametrize("override, words", [
    ("switches.teleport=true", ["switches.teleport", "not a known key"]),
    ('staff.specialist.rota=[{communities = ["Nowhere"]}]', ["staff.specialist.rota[0].communities", "Nowhere"]),
    ("staff.specialist.count=0", ["staff.specialist.count", "authorised staff"]),
    ("points.community.windows=0", ["points.community.windows", "at least 1"]),
])
def test_policy_errors_are_one_clear_line(override, words):
    overrides = ['authority.street.accept=["community"]', 'authority.street.decide=["specialist"]',
                 "staff.specialist.count=1", override]
    with pytest.raises(ScenarioError) as err:
        from sim.engine.build import check
        check(sim.load(TINY, overrides))
    for w in words:
        assert w in str(err.value)


def test_an_unknown_switch_in_a_policy_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(f'extends = "{(SCENARIOS / "dingshan.toml").as_posix()}"\n[switches]\nteleport = true\n')
    with pytest.raises(ScenarioError, match=r"policy.toml: switches.teleport: not a known key"):
        sim.load(path)


def test_every_shipped_policy_passes_the_checks():
    from sim.engine.build import check

    for path in SCENARIOS.glob("*.toml"):
        check(sim.load(path))


def test_proactive_visits_take_a_need_only_before_the_resident_would_act():
    model = sim.GovernanceModel(sim.load(TINY, ["catalogue.demand_scale=40", "switches.proactive_elderly=true",
                                                "proactive.reach=1.0", "proactive.visit_interval_days=5",
                                                "switches.online=false"]), 1)
    model.run()
    t = measure(model).requests
    door = t[(t.channel == "grid") & (t.reworks == 0) & t.t_accept.notna()]
    assert len(door) > 10 and (door.group == "elderly").all()
    door = door[[not model.memory.knows(res) for res in door.resident]]  # they chose up front, knowing nothing
    visit = door.t_accept - model.scenario_values["points"]["grid"]["door_minutes"]
    rid = door.rid.to_numpy()
    acted = door.t_need + model.act_delays(rid, 0, model.chosen[rid], door.resident.to_numpy())
    assert (visit <= acted + 1e-9).all()
    assert ((t.group == "elderly") & (t.channel == "street")).any()  # the others still go themselves
