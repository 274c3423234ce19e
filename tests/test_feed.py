"""Pages that play the same settings at the same pace share one simulation, and see exactly what
a model of their own would show them; a page that goes its own way gets a model of its own."""

import gc
import weakref

import pytest

from helpers import SCENARIOS, held_by_browser
from sim.teaching import feed as feeds
from sim.teaching.feed import Feed, Feeds
from sim.teaching.live import LiveModel, NONE

START = (7 * 24 + 8) * 60 + 40.0
HOUR = 60.0


def make(until: float, policy: str = "centralised", versus: str = "dingshan") -> LiveModel:
    """A teaching-scale model run on to minute `until`, as the app builds one."""
    live = LiveModel(policy=policy, versus=versus, scenario_dir=SCENARIOS, demand=50)
    while live.clock < until:
        live.advance(min(HOUR, until - live.clock))
    return live


builds: list[float] = []


def counted(until: float) -> LiveModel:
    builds.append(until)
    return make(until)


def browser(state: dict | None, packet: dict) -> dict:
    """What the page holds after a packet, with the moment, readouts and badges it shows."""
    held = held_by_browser(state, packet["full"], packet["runs"])
    return {**held, "t": packet["t"], "readout": packet["readout"], "badges": [r["badges"] for r in packet["runs"]]}


def play(cursor, steps: list[float]) -> list[dict]:
    """The browser's state after each packet, from the first (complete) one."""
    state = browser(None, cursor.packet(0, full=True))
    out = [state]
    for minutes in steps:
        state = browser(state, cursor.packet(minutes))
        out.append(state)
    return out


def alone(steps: list[float], start: float = START) -> list[dict]:
    """The same, from a model nobody else plays."""
    return play(Feeds().join("alone", make, start), steps)


def test_a_class_on_the_same_settings_shares_one_model_and_sees_what_its_own_would_show():
    builds.clear()
    class_ = Feeds()
    teacher, student = class_.join("default", counted, START), class_.join("default", counted, START)
    assert teacher.feed is student.feed and builds == [START]  # built once, by the first page
    steps = [2 * HOUR] * 6
    ahead = play(teacher, steps)
    assert teacher.live.clock == START + 12 * HOUR
    behind = play(student, steps)  # walks the frames the teacher's page made: the model does not move
    assert teacher.live.clock == START + 12 * HOUR and student.feed is teacher.feed
    assert behind == ahead == alone(steps)
    assert any(r for r in ahead[-1]["recs"][0]) and ahead[-1]["means"][0]


def test_a_page_that_chooses_another_speed_goes_on_with_a_branch_from_where_it_was():
    builds.clear()
    class_ = Feeds()
    fast, slow, also_slow = (class_.join("default", counted, START) for _ in range(3))
    play(fast, [24 * HOUR, 24 * HOUR])
    state = play(slow, [24 * HOUR])[-1]  # on the chain up to the first day
    packet = slow.packet(HOUR)  # another step where the chain went on: a branch from there
    assert slow.feed is not fast.feed and builds == [START, START + 24 * HOUR]
    play(also_slow, [24 * HOUR, HOUR])  # leaves at the same moment for the same step: the same branch
    assert also_slow.feed is slow.feed and builds == [START, START + 24 * HOUR]
    assert packet["full"] and packet["t"] == START + 25 * HOUR
    state = browser(state, packet)
    for _ in range(3):
        state = browser(state, slow.packet(HOUR))
    expected = alone([24 * HOUR] + [HOUR] * 4)[-1]
    assert state["recs"] == expected["recs"] and state["cohorts"] == expected["cohorts"]
    assert state["readout"] == expected["readout"] and state["badges"] == expected["badges"]


def test_a_page_far_behind_gets_its_own_model_and_the_chain_stays_short(monkeypatch):
    monkeypatch.setattr(feeds, "KEEP", 8)
    builds.clear()
    class_ = Feeds()
    paused, playing = class_.join("default", counted, START), class_.join("default", counted, START)
    paused.packet(0, full=True)
    play(paused, [HOUR] * 2)
    play(playing, [HOUR] * 20)
    assert len(playing.feed.frames) <= 8 and not playing.feed.open
    assert class_.join("default", counted, START).feed is not playing.feed  # a late page starts a new one
    state = browser(None, paused.packet(HOUR))  # the paused page plays again, on a model of its own
    assert paused.feed is not playing.feed and state["t"] == START + 3 * HOUR
    assert state["recs"] == alone([HOUR] * 3)[-1]["recs"]


def test_every_packet_carries_the_readouts_and_table_in_both_languages():
    """A page that switches language reads the moment it shows in the other one, without asking."""
    cursor = Feeds().join("default", make, START)
    first = cursor.packet(0, full=True)
    later = cursor.packet(HOUR)
    for packet in (first, later):
        assert "Dingshan" in packet["readout"]["en"][0] and packet["readout"]["zh"][0].startswith("事项授权专员")
    assert set(first["counters"]) == {"en", "zh"} and first["counters"]["en"][0][1] == "Centralised"


def test_pages_apart_in_settings_or_moment_get_models_of_their_own():
    class_ = Feeds()
    base = class_.join("default", make, START)
    assert class_.join("other seed", make, START).feed is not base.feed
    assert class_.join("default", make, START + HOUR).feed is not base.feed  # a guided question's moment
    assert class_.join("default", make, START).feed is base.feed


def test_past_the_end_a_page_gets_the_last_moment_again():
    live = make(START)
    end = Feed(lambda until: live, START)
    cursor = feeds.Cursor(end)
    cursor.packet(0, full=True)
    last = cursor.packet(live.stop)
    again = cursor.packet(HOUR)
    assert last["finished"] and again["finished"] and again["t"] == last["t"] == live.stop
    assert all(r["upd"] == [] and r["del"] == [] and r["means"] == [] for r in again["runs"])


def test_a_feed_is_freed_when_its_pages_are():
    class_ = Feeds()
    cursor = class_.join("default", make, START)
    cursor.packet(HOUR)
    refs = [weakref.ref(cursor.feed), weakref.ref(cursor.live)]
    del cursor
    gc.collect()
    assert all(ref() is None for ref in refs)


@pytest.mark.parametrize("versus", [NONE, "xiaoding"])
def test_a_shared_page_reads_the_same_figures_as_a_model_of_its_own(versus):
    class_ = Feeds()
    first = class_.join(versus, lambda t: make(t, "dachang", versus), START)
    second = class_.join(versus, lambda t: make(t, "dachang", versus), START)
    steps = [3 * HOUR] * 4
    play(first, steps)
    shared = [second.packet(0, full=True)] + [second.packet(m) for m in steps]
    own = Feeds().join(versus, lambda t: make(t, "dachang", versus), START)
    mine = [own.packet(0, full=True)] + [own.packet(m) for m in steps]
    assert [(p["t"], p["readout"], p.get("counters")) for p in shared] == \
        [(p["t"], p["readout"], p.get("counters")) for p in mine]


def test_a_feed_takes_new_pages_only_while_a_class_opens_it_then_keeps_few_frames(monkeypatch):
    monkeypatch.setattr(feeds, "JOIN_SECONDS", 0.0)
    class_ = Feeds()
    page = class_.join("default", make, START)
    assert class_.join("default", make, START).feed is page.feed  # within the time: the same feed
    states = play(page, [HOUR] * (feeds.FOLD + 5))
    assert not page.feed.open and len(page.feed.frames) <= feeds.FOLD
    assert class_.join("default", make, START).feed is not page.feed  # a page opened later starts its own
    assert states[-1]["recs"] == alone([HOUR] * (feeds.FOLD + 5))[-1]["recs"]
