"""Invariants under random small territories, catalogues and policies (hypothesis)."""

import math

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.measure.results import measure
import sim
from sim.world import agents
from sim.engine.memory import Memory
from sim.engine.network import Acquaintances
from sim.errors import ScenarioError
from sim.measure.metrics import COMPONENTS
from sim.scenario.files import CHANNELS
from helpers import SCENARIOS

ITEMS = ("DB", "YB", "SYDJ", "GTZZ", "JZZM", "CJR")
coords = st.floats(-6, 6, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def scenarios(draw):
    n_comm = draw(st.integers(1, 3))
    communities = [{"name": f"C{i}", "street": "S", "x": draw(coords), "y": draw(coords)} for i in range(n_comm)]
    buildings = [{"x": draw(coords), "y": draw(coords), "population": draw(st.integers(20, 300)),
                  "community": f"C{draw(st.integers(0, n_comm - 1))}"} for _ in range(draw(st.integers(1, 4)))]
    decide = draw(st.lists(st.sampled_from(["street", "specialist", "community", "back_office"]), min_size=1,
                           max_size=3, unique=True))
    accept = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=4, unique=True))
    items = {code: {"p_incomplete": draw(st.sampled_from([0.0, 0.2, 0.5])),
                    "back_office_days": draw(st.sampled_from([0.0, 1.0, 5.0]))} for code in ITEMS}
    values = {
        "extends": (SCENARIOS / "base.toml").as_posix(),
        "run": {"warmup_weeks": 1, "weeks": 2, "drain_weeks": 3},
        "territory": {"preset": "explicit", "streets": [{"name": "S", "x": 0.0, "y": 0.0}],
                      "communities": communities, "buildings": buildings},
        "catalogue": {"demand_scale": 30.0, "items": items},
        "points": {"street": {"windows": draw(st.integers(1, 3))}, "community": {"windows": draw(st.integers(1, 2))}},
        "staff": {"specialist": {"count": draw(st.integers(1, n_comm)),
                                 "when_absent": draw(st.sampled_from(["hold", "send_to_street"]))},
                  "community": {"error_rate": draw(st.sampled_from([0.0, 0.3]))}},
        "authority": {"street": {"accept": accept, "decide": decide},
                      "community": {"accept": ["community"], "decide": ["community"]}},
        "switches": {k: draw(st.booleans()) for k in ("weekend", "terminals", "online", "community_forwarding",
                                                      "proactive_elderly", "deliver_home", "electronic_pass_on")},
        "adapt": {"refusal_limit": draw(st.integers(1, 4)), "retry_days": draw(st.sampled_from([0.2, 1.0])),
                  "new_channels": draw(st.sampled_from([[], ["grid", "building"], ["online"]]))},
        "network": {"building_ties": draw(st.sampled_from([0.0, 20.0])), "long_ties": draw(st.sampled_from([0.0, 50.0]))},
        "handoff": {"referral_share": draw(st.sampled_from([0.0, 0.3]))},
        "audit": {"share": draw(st.sampled_from([0.0, 0.5]))},
    }
    return values


def load_values(tmp_path, values):
    path = tmp_path / "random.toml"
    path.write_text(tomli_w.dumps(values), encoding="utf-8")
    return sim.load(path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_for_random_scenarios(tmp_path, monkeypatch, values, seed):
    try:
        scenario = load_values(tmp_path, values)
        model = sim.GovernanceModel(scenario, seed)
    except ScenarioError:
        return  # an unstaffed policy is refused with a clear error: also a correct outcome
    closed = []
    book = agents.WindowPool.book

    def checked_book(self, t, minutes, session_end=None):
        session = self.calendar.session(t)
        if session is None or session[0] != t:
            closed.append((self.staff, t))
        return book(self, t, minutes, session_end)

    monkeypatch.setattr(agents.WindowPool, "book", checked_book)
    model.run()
    result = measure(model)
    table = result.requests

    counts = result.metrics["requests"]
    assert counts["created"] == counts["completed"] + counts["abandoned"] + counts["open"]
    assert (table.turned_away <= values["adapt"]["refusal_limit"]).all()
    assert (table.abandoned == (table.turned_away == values["adapt"]["refusal_limit"])).all()
    assert not (table.abandoned & table.completed).any()
    heard_from_the_table(model, table)
    assert len(table) == counts["created"] + counts["outside_window"]
    done = table[table.completed]
    parts = done[list(COMPONENTS)].to_numpy()
    assert (parts >= -1e-9).all()
    np.testing.assert_allclose(parts.sum(axis=1), (done.t_done - done.t_need).to_numpy(), atol=1e-6)
    assert not closed, f"served at a closed point: {closed[:3]}"
    codes = list(model.catalogue.code)
    for item, by, channel in zip(table.item, table.decided_by, table.channel):
        if by == "back_office":
            assert channel == "online" or by in model.policy.deciders[codes.index(item)], (item, by)
        elif by:
            assert by == "terminal" or by in model.policy.deciders[codes.index(item)], (item, by)

    again = sim.GovernanceModel(load_values(tmp_path, values), seed)
    again.run()
    assert measure(again).requests.equals(table)
    every_event = sim.GovernanceModel(load_values(tmp_path, values), seed, live=True)  # nothing settled in bulk
    every_event.run()
    assert measure(every_event).requests.equals(table)


def heard_from_the_table(model, table):
    """Everything a resident remembers was met by them or an acquaintance, by then, on a request the
    table shows went worse than promised at that channel."""
    worse = table[(table.turned_away > 0) | (table.handoff > 0) | table.sent_back | (table.channel == "street")]
    first_bad_need = worse.groupby("resident").t_need.min()
    accepted = set(zip(table.resident, table.channel, table.t_accept))
    for hearer, t, source, channel, days, _trips in model.memory.entries():
        assert hearer == source or model.network.knows(hearer, source)
        if days != days:  # heard of a new channel: the source was accepted by it then
            assert (source, CHANNELS[channel], t) in accepted
        else:
            assert source in first_bad_need.index and t >= first_bad_need[source]


experiences = st.lists(st.tuples(st.floats(0, 100), st.integers(0, 5), st.sampled_from(CHANNELS),
                                 st.floats(0, 10), st.sampled_from([0.0, 1.0])), max_size=30)


@settings(max_examples=60, deadline=None)
@given(edges=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=10), met=experiences,
       resident=st.integers(0, 5), now=st.floats(0, 100), weight=st.floats(0, 1))
def test_what_a_resident_expects_comes_only_from_what_they_or_their_acquaintances_met_before(
        edges, met, resident, now, weight):
    ties = np.array([e for e in edges if e[0] != e[1]], np.int64).reshape(-1, 2)
    network = Acquaintances(np.unique(np.sort(ties, axis=1), axis=0).reshape(-1, 2), 6)
    graph = network.graph()
    memory = Memory(network, weight)
    for t, source, channel, days, trips in sorted(met):
        memory.met(t, source, channel, days, trips)
    days, trips = map(np.array, memory.learned(resident, now))
    alone = Memory(network, weight)  # only what the resident or an acquaintance met by `now`
    for t, source, channel, d, k in sorted(met):
        if t <= now and (source == resident or graph.has_edge(source, resident)):
            alone.met(t, source, channel, d, k)
    np.testing.assert_array_equal(days, alone.learned(resident, now)[0])
    np.testing.assert_array_equal(trips, alone.learned(resident, now)[1])
    assert (days >= 0).all() and (trips >= 0).all() and (trips <= 1).all()
    if not any(t <= now and (s == resident or graph.has_edge(s, resident)) for t, s, *_ in met):
        assert not days.any() and not trips.any()


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_as_a_scenario_file_is_a_clear_error_or_a_scenario(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    try:
        sim.load(path)
    except ScenarioError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)


def leaf_keys():
    from sim.scenario.files import SCHEMA, MapOf, Spec, TableList

    def walk(node, prefix):
        for key, sub in node.items():
            if isinstance(sub, dict):
                yield from walk(sub, f"{prefix}{key}.")
            elif key != "extends":
                yield f"{prefix}{key}"

    return sorted(walk(SCHEMA, ""))


hostile_values = st.one_of(
    st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=40), st.sampled_from(["../../etc/passwd", "/dev/zero", "__import__('os')", "顶山", "", "nan"]),
    st.lists(st.integers(-5, 5), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(leaf_keys()), value=hostile_values)
def test_hostile_overrides_are_a_clear_error_or_a_valid_scenario(key, value):
    from sim.engine.build import check

    literal = tomli_w.dumps({"v": value})[4:].strip() if not (isinstance(value, float) and math.isnan(value)) else "nan"
    try:
        check(sim.load(SCENARIOS / "dingshan.toml", [f"{key}={literal}"]))
    except ScenarioError as exc:
        assert "\n" not in str(exc) and str(exc)


experiment_values = st.recursive(
    st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False), st.booleans(),
              st.text(max_size=20), st.sampled_from(["../scenarios/dingshan.toml", "/etc/passwd", "model", "顶山"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["experiment", "factors", "exclude", "name", "base", "replicates", "seed", "metrics", "max_in_a_row",
         "model", "scenario", "set", "x", "level"]), inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(doc=st.dictionaries(st.sampled_from(["experiment", "factors", "exclude", "other"]), experiment_values, max_size=3))
def test_hostile_experiment_files_are_a_clear_error_or_an_experiment(tmp_path_factory, doc):
    """Whatever the file holds, loading it gives an experiment or one clear line, and writes nothing."""
    from sim.studies.experiment_file import load_experiment

    folder = tmp_path_factory.mktemp("exp")
    path = folder / "fuzz.toml"
    try:
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    except (TypeError, ValueError):
        return  # not expressible in TOML
    try:
        load_experiment(path)
    except ScenarioError as exc:
        message = str(exc)
        assert "\n" not in message and message.count(": ") >= 2, message  # file: key: what was expected
    assert [p.name for p in folder.iterdir()] == ["fuzz.toml"]


CALENDARS = [["Mon-Fri 08:30-12:00", "Mon-Fri 13:30-17:00"], ["Mon-Sun 00:00-24:00"],
             ["Sun 20:00-24:00", "Mon 00:00-08:00"], ["Sat-Sun 09:00-17:00", "Wed 18:00-20:30"], []]


@settings(max_examples=40, deadline=None)
@given(times=st.lists(st.one_of(st.floats(0, 30 * 1440), st.integers(0, 30 * 24).map(lambda h: h * 60.0)),
                      min_size=1, max_size=50),
       specs=st.sampled_from(CALENDARS), days=st.sampled_from([0, 0.5, 1, 3, 5, 6.5, 12]))
def test_calendar_arithmetic_for_many_times_matches_one_at_a_time(times, specs, days):
    """The bulk-settled requests use the array forms; the event flow the scalar ones."""
    from sim.world.calendar import Calendar, add_working_days, add_working_days_array

    calendar = Calendar.from_specs(specs)
    starts, ends = calendar.sessions(np.array(times))
    assert [calendar.session(t) for t in times] == list(zip(starts.tolist(), ends.tolist()))
    assert [add_working_days(t, days) for t in times] == add_working_days_array(np.array(times), days).tolist()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=scenarios(), seed=st.integers(0, 1000), data=st.data())
def test_one_request_and_array_forms_of_travel_and_timing_agree(tmp_path, values, seed, data):
    """The event flow plans one trip at a time, the first-visit plan and the bulk path many at
    once: point, road km (also to a street centre not the resident's own), minutes, arrival."""
    from sim.engine.requests import Request
    from sim.world.policy import PHYSICAL

    try:
        model = sim.GovernanceModel(load_values(tmp_path, values), seed)
    except ScenarioError:
        return  # a policy refused with a clear error has no trips to plan
    travel, timing, needs = model.travel, model.timing, model.needs
    if not len(needs):
        return
    k = data.draw(st.integers(1, 12))
    rid = np.array(data.draw(st.lists(st.integers(0, len(needs) - 1), min_size=k, max_size=k)))
    res = needs.resident[rid]
    channel = np.array(data.draw(st.lists(st.sampled_from(PHYSICAL), min_size=k, max_size=k)))
    point = travel.point_indices(channel, res)
    assert point.tolist() == [travel.point_index(c, r) for c, r in zip(channel, res)]
    point = np.where(channel == "street", np.array(data.draw(
        st.lists(st.integers(0, len(model.streets) - 1), min_size=k, max_size=k))), point)
    km, minutes = travel.trips_to_points(channel, res, point)
    assert km.tolist() == [travel.km_to(r, model.service_points(c)[p]) for c, r, p in zip(channel, res, point)]
    assert minutes.tolist() == [travel.minutes_to(r, model.service_points(c)[p]) for c, r, p in zip(channel, res, point)]

    ready = np.array(data.draw(st.lists(st.floats(0, 30 * 1440), min_size=k, max_size=k)))
    arrivals = timing.arrivals(channel, point, res, ready, model.draws.spread[rid, 0])
    for j in range(k):
        r = Request(model.flow, int(rid[j]), int(res[j]), int(needs.item[rid[j]]), 0.0)
        r.channel, r.point = str(channel[j]), int(point[j])
        deciders = model.policy.deciders[r.item]
        if r.channel == "community" and "community" not in deciders and "specialist" in deciders:
            continue  # residents who know the rota: the one-request form only (no such request is bulk)
        assert timing.arrival(r, model.point_of(r), float(ready[j])) == arrivals[j]

    any_channel = np.array(data.draw(st.lists(st.sampled_from(CHANNELS), min_size=k, max_size=k)))
    column = data.draw(st.integers(0, 1))
    delays = model.act_delays(rid, column, any_channel, res)
    assert delays.tolist() == [model.act_delay(int(q), column, str(c), int(r)) for q, c, r in zip(rid, any_channel, res)]


@settings(max_examples=200, deadline=None)
@given(v=st.lists(st.one_of(st.floats(-30, 5), st.just(-math.inf)), min_size=len(CHANNELS), max_size=len(CHANNELS)),
       u=st.floats(0, 1, exclude_max=True), lam=st.floats(0.05, 1.0))
def test_one_need_and_array_forms_of_the_nested_logit_pick_the_same_channel(v, u, lam):
    """A resident who has learned something chooses alone (`pick_one`), first choices in bulk (`pick`)."""
    from types import SimpleNamespace

    from sim.engine.choice import pick, pick_one

    if all(x == -math.inf for x in v):
        return  # no channel allowed: the policy check refuses such an item
    m = SimpleNamespace(scenario_values={"choice": {"door_nest": lam}})
    bulk = int(pick(m, np.array([v]), np.array([u]))[0])
    assert pick_one(m, v, u) == bulk
