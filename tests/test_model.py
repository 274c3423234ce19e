"""The foundation's promises: conservation, determinism, hand-checkable geometry, face validity."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from sim.measure.results import measure
import sim
from sim.world.calendar import Calendar
from sim.measure.metrics import COMPONENTS
from helpers import ROOT, SCENARIOS, SMALL, TINY, run_small, run_tiny

SMALL_SCARCE = [*SMALL, "points.street.windows=1", "points.community.windows=1", "catalogue.demand_scale=30"]


def test_every_request_is_accounted_for(tiny_result):
    m = tiny_result.metrics["requests"]
    assert m["created"] > 100
    assert m["created"] == m["completed"] + m["open"]
    table = tiny_result.requests
    assert len(table) == m["created"] + m["outside_window"]


@pytest.mark.parametrize("model", ["centralised", "dingshan", "dachang", "xiaoding"])
def test_components_sum_to_latency_and_are_never_negative(model):
    table = run_small(model).requests
    done = table[table.completed]
    assert len(done) > 50
    parts = done[list(COMPONENTS)]
    assert (parts.to_numpy() >= -1e-9).all()
    np.testing.assert_allclose(parts.sum(axis=1), done.t_done - done.t_need, atol=1e-6)
    assert (done.t_done >= done.t_accept).all() and (done.t_accept >= done.t_need).all()


def test_same_seed_same_numbers_different_seed_different_numbers():
    a, b, c = run_tiny(seed=7), run_tiny(seed=7), run_tiny(seed=8)
    assert json.dumps(a.metrics, sort_keys=True) == json.dumps(b.metrics, sort_keys=True)
    assert a.requests.equals(b.requests)
    assert json.dumps(a.metrics, sort_keys=True) != json.dumps(c.metrics, sort_keys=True)


def test_same_seed_same_numbers_in_a_new_process():
    here = run_tiny(seed=3).metrics
    out = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(TINY), "--seed", "3", "--json", "--set", "catalogue.demand_scale=40"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    assert json.loads(out) == json.loads(json.dumps(here))


def test_hand_built_territory_gives_the_radii_and_travel_times_worked_out_by_hand(tiny_result):
    t = tiny_result.requests
    street = t[(t.channel == "street") & (t.turned_away == 0) & t.t_accept.notna()]
    # Building 0 at (2, 0.3): 2.0224 km to the centre at the origin, beyond walking range: ride at
    # 25 km/h plus 15 minutes' access.
    b0 = street[street.building == 0]
    assert len(b0) > 5
    km = math.hypot(2.0, 0.3)
    np.testing.assert_allclose(b0.service_radius_km, km)
    np.testing.assert_allclose(b0.travel, km / 25 * 60 + 15)
    # Building 2 at (0, 0.6): 0.6 km, walked at 1.24 m/s, or 1.0 m/s by residents over 60.
    b2 = street[street.building == 2]
    expected = np.where(b2.group == "elderly", 0.6 / 3.6 * 60, 0.6 / 4.46 * 60)
    np.testing.assert_allclose(b2.travel, expected)
    assert set(b2.group) >= {"elderly"}
    # Community items go to the own community station: building 1 at (9, 0.4) to (9, 0).
    b1 = t[(t.channel == "community") & (t.building == 1) & t.t_accept.notna()]
    np.testing.assert_allclose(b1.service_radius_km, 0.4)


def test_visits_happen_only_in_opening_hours(tiny_result):
    office = Calendar.from_specs(["Mon-Fri 08:30-12:00", "Mon-Fri 13:30-17:00"])
    t = tiny_result.requests
    visits = t[t.channel.isin(["street", "community"]) & (t.turned_away == 0) & (t.reworks == 0) & t.t_accept.notna()]
    arrivals = visits.t_accept - visits.service - visits.queue
    assert len(arrivals) > 20
    assert all(office.is_open(a) for a in arrivals)


def test_centralised_baseline_meets_the_published_facts():
    """Far residents' 40-minute trip and half-day errand, the online share and visitors per window
    (scenarios/data/facts.toml) are checked on a run of the baseline, each within its tolerance."""
    from sim.measure.facts import check_facts

    checks = check_facts(sim.run(sim.load(SCENARIOS / "centralised.toml"), seed=1).metrics)
    assert len(checks) == 4
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


def test_resident_hours_are_each_trip_both_ways_plus_queue_window_and_pick_up(tiny_result):
    t = tiny_result.requests
    once = t[t.channel.isin(["street", "community"]) & (t.trips == 1) & (t.turned_away == 0) & t.completed
             & (t.reworks == 0) & (t.collection == 0)]
    assert len(once) > 20
    np.testing.assert_allclose(once.resident_minutes, 2 * once.travel + once.queue + once.service)
    assert (t.loc[t.channel == "online", "resident_minutes"] == 0).all()
    again = t[t.trips > 1]
    assert len(again) > 5 and (again.resident_minutes > 2 * again.travel).all()


def test_the_default_step_is_not_a_minute_of_empty_events():
    model = sim.GovernanceModel(sim.load(TINY))
    model.step()
    assert model.time == model.scenario_values["run"]["step_minutes"]
    assert model.steps == 0 or model.steps == 1


def test_residents_and_staff_are_mesa_agents():
    from sim.world.agents import CommunityStation, GridWorker, Resident, StreetCentre

    model = sim.GovernanceModel(sim.load(TINY))
    types = model.agents_by_type
    assert len(types[StreetCentre]) == 1 and len(types[CommunityStation]) == 2
    assert len(types[GridWorker]) == len(model.territory.grid_xy)
    assert len(model.residents) == 1000 and Resident not in types  # arrays until one is asked for
    last = model.residents[-1]
    assert isinstance(last, Resident) and last.index == 999 and model.residents[999] is last
    assert list(types[Resident]) == [last] and last.unique_id is not None
    assert (last.home, last.elderly, last.employed) == (model.home[999], model.elderly[999], model.employed[999])
    assert [r.index for r in model.residents[10:13]] == [10, 11, 12]
    with pytest.raises(IndexError):
        model.residents[1000]


def test_a_live_view_changes_no_number():
    """The teaching app keeps completion events; batch runs settle requests without them."""
    scenario = sim.load(SCENARIOS / "xiaoding.toml", ["territory.scale=0.02", "run.weeks=2", "run.drain_weeks=3"])
    batch = sim.GovernanceModel(scenario, 5)
    live = sim.GovernanceModel(scenario, 5, live=True)
    batch.run()
    live.run()
    assert measure(live).requests.equals(measure(batch).requests)
    assert len(live.open) >= len(batch.open)


@pytest.mark.parametrize("model", ["centralised", "dingshan", "dachang", "xiaoding", "mixed"])
def test_requests_decided_on_the_spot_are_settled_in_bulk_with_the_same_numbers(model):
    """A live model sends every request through the event flow; a batch run books the on-the-spot
    ones in bulk. With one window per point some are turned away and join the flow mid-way."""
    scenario = sim.load(SCENARIOS / f"{model}.toml", [*SMALL_SCARCE, "run.drain_weeks=3"])
    bulk, live = sim.GovernanceModel(scenario, 3), sim.GovernanceModel(scenario, 3, live=True)
    assert bulk.on_the_spot.mask.mean() > 0.2 and not live.on_the_spot.mask.any()
    middle = bulk.warmup_end + 1.3 * 7 * 1440
    bulk.run_until(middle)
    live.run_until(middle)
    now, watched = (m.request_table().set_index("rid") for m in (bulk, live))
    now = now.loc[np.intersect1d(bulk.on_the_spot.rid, now.index)]
    now = now[now.channel != "online"]  # online requests are settled ahead too (some chose again, with memory)
    watched = watched.loc[now.index]
    ahead = now.t_done > middle  # settled already in a batch run; a live view shows it when it comes
    now.loc[ahead, "t_done"], now.loc[ahead, "completed"] = np.nan, False
    assert (now.step == "arrive").any() and now.equals(watched)
    bulk.run_until(bulk.stop)
    live.run_until(live.stop)
    assert bulk.on_the_spot.joined.any()
    assert bulk.request_table().equals(live.request_table())


def test_the_queue_check_scenario_is_all_on_the_spot():
    model = sim.GovernanceModel(sim.load(SCENARIOS / "queueing" / "mmc.toml", ["run.weeks=1"]))
    model.run()
    assert model.on_the_spot.mask.all() and not model.requests  # no request took the event flow
    assert len(model.request_table()) == len(model.needs) > 1000


def test_stepping_the_clock_gives_the_same_run_as_running_it_at_once():
    """Needs are taken in batches only up to where the clock is going."""
    scenario = sim.load(SCENARIOS / "dingshan.toml", ["territory.scale=0.02", "run.weeks=1", "run.drain_weeks=1",
                                                      "run.warmup_weeks=1", "run.step_minutes=45"])
    whole, stepped = sim.GovernanceModel(scenario, 2), sim.GovernanceModel(scenario, 2, live=True)
    whole.run()
    times = []
    while stepped.time < stepped.stop:
        stepped.step()
        times.append(stepped.time)
        assert all(r.t_need <= stepped.time for r in stepped.requests)
    assert times[0] == 45 and times[1] == 90
    assert measure(stepped).requests.equals(measure(whole).requests)


def test_every_request_is_at_a_named_stage():
    from sim.engine.requests import Stage

    model = sim.GovernanceModel(sim.load(TINY, ["catalogue.demand_scale=40"]), 1)
    model.run_until(model.end)
    stages = set(model.request_table().step)
    assert stages <= {s.value for s in Stage} and "done" in stages
    assert all(isinstance(r.stage, Stage) for r in model.requests)


def test_a_territory_is_built_once_per_process_for_the_values_that_shape_it(tmp_path):
    """Warm workers: replicate r of every policy shares one territory; any value or data file
    that shapes it (or, for a generated layout, the seed) gives a new one."""
    def territory(model="dingshan", *overrides, seed=1):
        return sim.GovernanceModel(sim.load(SCENARIOS / f"{model}.toml", [*SMALL, *overrides]), seed).territory

    first = territory()
    assert territory("dachang") is first and territory("centralised", "run.weeks=1") is first
    assert territory(seed=2) is not first and territory("dingshan", "territory.circuity=1.5") is not first
    assert sim.GovernanceModel(sim.load(TINY), 1).territory is sim.GovernanceModel(sim.load(TINY), 2).territory

    streets = tmp_path / "streets.csv"
    streets.write_text((SCENARIOS / "data" / "jiangbei_streets.csv").read_text(encoding="utf-8"), encoding="utf-8")
    edited = f"territory.streets_file={json.dumps(streets.as_posix())}"
    before = territory("dingshan", edited)
    streets.write_text(streets.read_text(encoding="utf-8").replace("62.8,220000", "62.8,110000"), encoding="utf-8")
    after = territory("dingshan", edited)
    assert after is not before and after.population < before.population


def test_a_finished_model_is_freed_once_the_next_model_collects(monkeypatch):
    """A finished batch model stays frozen (no collection scans it) until a later build collects
    in full; with the threshold at 0 every build does, so the next build frees it."""
    import gc
    import weakref

    import sim.engine.model as engine_model
    monkeypatch.setattr(engine_model, "FROZEN_GROWTH", 0)
    first = sim.GovernanceModel(sim.load(TINY, []), seed=1)
    first.run()
    ref = weakref.ref(first)
    del first
    gc.collect()
    assert ref() is not None  # frozen: an ordinary collection does not free it
    sim.GovernanceModel(sim.load(TINY, []), seed=2)
    assert ref() is None


def test_building_a_model_never_lists_the_collectors_objects(monkeypatch):
    """Listing them would hold a tuple that another thread (the teaching app's server builds the
    models of many pages at once) is still filling, and that thread fails with a SystemError."""
    import gc

    import sim.engine.model as engine_model
    monkeypatch.setattr(engine_model, "FROZEN_GROWTH", 0)  # every build collects in full and counts

    def listed(*args, **kwargs):
        raise AssertionError("gc.get_objects() called")

    monkeypatch.setattr(gc, "get_objects", listed)
    sim.GovernanceModel(sim.load(TINY, []), seed=1).run()
    sim.GovernanceModel(sim.load(TINY, []), seed=2)
    assert engine_model._collector.after_collection > 0
