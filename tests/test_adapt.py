"""Residents who remember and choose again; no starvation at the specialist's window; Dingshan as
posted; door files passed on electronically; the delay before acting by the errand's cost."""

import math
import subprocess
import sys

import numpy as np
import pytest

import sim
from sim.clock import DAY
from sim.engine.network import acquaintances
from sim.scenario.files import CHANNELS
from sim.world.calendar import add_working_days
from helpers import ROOT, SCENARIOS, SMALL

SCARCE = [*SMALL, "points.street.windows=1", "points.community.windows=1", "catalogue.demand_scale=30"]


def run(model, *overrides, seed=1):
    m = sim.GovernanceModel(sim.load(SCENARIOS / f"{model}.toml", [*SCARCE, *overrides]), seed)
    m.run()
    return m, m.request_table()


@pytest.fixture(scope="module")
def scarce_centralised():
    return run("centralised")


def test_turned_away_residents_give_up_at_the_limit_and_some_choose_another_channel(scarce_centralised):
    m, t = scarce_centralised
    limit = m.scenario_values["adapt"]["refusal_limit"]
    assert t.turned_away.max() == limit and (t.turned_away <= limit).all()
    assert (t.abandoned == (t.turned_away == limit)).all() and t.abandoned.any()
    assert t.t_done[t.abandoned].isna().all() and (t.t_abandoned[t.abandoned] >= t.t_need[t.abandoned]).all()
    refused = t[t.turned_away > 0]
    first = m.chosen[refused.rid.to_numpy()]
    assert (refused.channel.to_numpy() != first).any(), "nobody turned away tried another channel"
    assert (refused.channel.to_numpy() == first).any(), "nobody tried the same channel another time"


def test_complaints_are_answered_within_the_working_days(scarce_centralised):
    m, t = scarce_centralised
    c = t[t.complaints > 0]
    assert len(c) > 3
    assert c.t_complaint.notna().all() and (c.t_answered >= c.t_complaint).all()
    days = m.scenario_values["complaints"]["answer_days"]
    assert all(a <= add_working_days(s, days) for s, a in zip(c.t_complaint, c.t_answered))
    assert t[t.complaints == 0].t_complaint.isna().all()


def test_turned_away_visits_draw_their_own_arrival_time_in_either_session(scarce_centralised):
    """Retries are not at the same early hour every time: mornings and afternoons both occur."""
    m, t = scarce_centralised
    assert m.draws.spread.shape[1] >= m.scenario_values["adapt"]["refusal_limit"] + m.scenario_values["catalogue"]["rework_limit"]
    retried = t[(t.turned_away > 0) & t.t_accept.notna()]
    hours = (retried.t_accept % DAY) / 60
    assert (hours < 12.5).any() and (hours > 13.5).any()


def test_learning_changes_later_choices_only_for_those_who_heard():
    """Residents who remember turn-aways at the community station go there less often afterwards."""
    m, t = run("dachang", "staff.community.proficiency=4", "adapt.hearsay_weight=1", "network.building_ties=30")
    learned = [r for r in m.requests if m.memory.knows(r.resident) and r.turned_away == 0
               and any(e[0] < r.t_need for e in m.memory.heard[r.resident])]
    assert learned, "no need arose after its resident had learned something"
    moved = sum(r.channel != str(m.chosen[r.rid]) for r in learned)
    assert moved > 0
    away = sum(r.channel == "community" for r in learned) / len(learned)
    before = np.mean(m.chosen[[r.rid for r in learned]] == "community")
    assert away < before


def test_acquaintances_have_about_the_ties_asked_for():
    rng = np.random.default_rng(0)
    n_buildings, per_building = 200, 50
    building = np.repeat(np.arange(n_buildings), per_building)
    grid = building // 10
    cfg = {"building_ties": 6.0, "grid_ties": 6.0, "long_ties": 0.0}
    ties = acquaintances(np.arange(len(building)), building, grid, np.full(n_buildings, per_building),
                         np.full(n_buildings // 10, 10 * per_building), len(building), cfg, rng)
    degree = 2 * len(ties.edges) / len(building)
    assert 10 < degree < 13  # 6 + 6 asked; pairs proposed from both ends are merged
    same = building[ties.edges[:, 0]] == building[ties.edges[:, 1]]
    assert 0.35 < same.mean() < 0.65
    assert (grid[ties.edges[:, 0]] == grid[ties.edges[:, 1]]).all()
    graph = ties.graph()
    assert graph.number_of_edges() == len(ties.edges)
    for resident in range(0, len(building), 97):
        assert sorted(ties.of(resident)) == sorted(graph.adj[resident] if resident in graph else [])


def test_held_files_are_decided_a_bounded_number_per_session_and_walk_ins_still_get_in():
    m, t = run("dingshan_rota", "staff.specialist.held_per_session=2")
    by = t[(t.decided_by == "specialist") & (t.handoff > 0)]
    assert len(by) > 10
    walk_ins = t[(t.decided_by == "specialist") & (t.handoff == 0)]
    assert len(walk_ins) > 10
    assert (t.turned_away <= m.scenario_values["adapt"]["refusal_limit"]).all()
    held_first = by.sort_values("t_decided")
    sessions = held_first.groupby(["community", held_first.t_decided // DAY, held_first.t_decided % DAY > 13 * 60])
    assert sessions.size().max() <= 2


def test_a_full_specialist_window_pre_accepts_and_holds_instead_of_turning_away():
    m, t = run("dingshan", "staff.specialist.proficiency=6", "staff.specialist.rota_awareness=1")
    street_items = t[(t.authority == "street") & (t.channel == "community")]
    held = street_items[(street_items.decided_by == "specialist") & (street_items.handoff > 0)]
    assert len(held) > 0, "nobody was held although the specialist's window filled up"
    assert street_items.turned_away.sum() < len(held)


def test_dingshan_posts_a_specialist_in_every_community_and_the_rota_file_keeps_four():
    posted = sim.GovernanceModel(sim.load(SCENARIOS / "dingshan.toml", SMALL))
    rota = sim.GovernanceModel(sim.load(SCENARIOS / "dingshan_rota.toml", SMALL))
    assert sorted(len(s.cluster) for s in posted.specialists) == [1] * len(posted.communities)
    assert len(rota.specialists) == 4 and sum(len(s.cluster) for s in rota.specialists) == len(rota.communities)
    assert posted.rota.present[:, :5].all()  # a specialist in every community on every weekday


def test_xiaoding_passes_door_files_on_electronically():
    m, t = run("xiaoding")
    door = t[t.channel.isin(["grid", "building"]) & (t.decided_by == "street") & (t.reworks == 0)]
    assert len(door) > 20
    assert (door.decided_by == "street").all()
    assert not t[t.channel.isin(["grid", "building"])].decided_by.eq("specialist").any()
    off = run("xiaoding", "switches.electronic_pass_on=false")[1]
    assert off[off.channel.isin(["grid", "building"])].decided_by.eq("specialist").any()


def test_the_delay_before_acting_grows_with_what_the_errand_costs():
    m = sim.GovernanceModel(sim.load(SCENARIOS / "centralised.toml", SMALL))
    rid = np.arange(len(m.needs))
    res = m.needs.resident
    street = m.act_delays(rid, 0, np.full(len(rid), "street"), res) / DAY
    online = m.act_delays(rid, 0, np.full(len(rid), "online"), res) / DAY
    assert (street >= online).all()
    cfg = m.scenario_values["residents"]
    mean = street / m.draws.act[rid, 0]  # the mean delay this resident has for this errand
    assert np.allclose(online / m.draws.act[rid, 0], cfg["go_delay_days"])
    to = np.full(len(rid), "street")
    km, minutes = m.travel.trips_to_points(to, res, m.travel.point_indices(to, res))
    hours = 2 * minutes / 60 + np.where(m.employed[res], cfg["leave_hours"], 0)
    assert np.allclose(mean, cfg["go_delay_days"] + cfg["go_delay_per_errand_hour"] * hours)
    assert mean[km > 8].mean() > mean[km < 2].mean() + 0.5
    collect = m.act_delays(rid, 1, np.full(len(rid), "street"), res)
    assert not np.allclose(collect, street * DAY)  # the collection trip has its own draw


def test_first_choices_up_front_match_the_one_at_a_time_choice_with_nothing_learned():
    from sim.engine.choice import choose_with_memory

    m = sim.GovernanceModel(sim.load(SCENARIOS / "xiaoding.toml", SMALL))
    rid = np.arange(0, len(m.needs), 97)
    one = [choose_with_memory(m, int(j), float(m.draws.u_choice[j, 0])) for j in rid]
    assert one == m.chosen[rid].tolist()
    door = np.isin(m.chosen, ["grid", "building"]).mean()
    assert 0.05 < door < 0.7


@pytest.mark.parametrize("args, words", [
    (["run", "scenarios/xiaoding.toml", "--set", "choice.constants.grid=1", "--set", "territory.scale=0.01",
      "--set", "run.weeks=1", "--set", "run.drain_weeks=1", "--quiet"], None),
    (["validate", "scenarios/base.toml", "--set", "calendars.office=[]"], "calendars.office: at least one opening"),
])
def test_the_two_crashes_are_gone(args, words):
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True)
    if words is None:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and words in done.stderr


def test_a_new_channel_is_used_only_by_those_who_knew_of_it_or_heard_of_it_first():
    m, t = run("xiaoding", "adapt.aware_of_new=0.3", "network.building_ties=40")
    j = CHANNELS.index("grid")
    assert 0.2 < m.aware_at_start[np.unique(m.needs.resident), j].mean() < 0.4
    door = t[(t.channel == "grid") & (t.group != "elderly") & t.t_accept.notna()]  # elderly may be visited unasked
    late = [(res, t_accept) for res, t_accept in zip(door.resident, door.t_accept) if not m.aware_at_start[res, j]]
    assert late, "nobody learned of the door channel during the run"
    for res, t_accept in late:
        assert any(ch == j and when <= t_accept for when, _source, ch in m.memory.told_of[res])
    unaware = ~m.aware_at_start[t.resident.to_numpy(), j] & (t.group != "elderly").to_numpy()
    assert (t[unaware].channel == "grid").mean() < (t[~unaware].channel == "grid").mean()
