"""The teaching app's model logic, without a browser: what the page shows must follow the models."""

import gc
import json
import re
import weakref

import numpy as np
import pytest

from helpers import ROOT, SCENARIOS, held_by_browser
import sim
from sim import cli
from sim.teaching import app
from sim.present import labels
from sim.measure import metrics
from sim.teaching.live import (AS_FILE, NONE, ON, QUEUEING, SERVED, STATES, TRAVELLING, LiveModel, overrides, policies,
                               specialist_range)
from sim.scenario.files import territory_overrides
from sim.teaching.stream import (Frame, Orientation, Pager, Stream, _counters, combine, geometry, readouts, scene,
                                 settled_latency)
from sim.present.text import keys, text

TUESDAY_10 = 24 + 10  # steps of one hour from Monday 00:00


def live(policy="centralised", versus=NONE, steps=0, demand=50, **controls):
    """A teaching-scale model: 2% of Dingshan's residents, each with 50 times the needs."""
    m = LiveModel(policy=policy, versus=versus, scenario_dir=SCENARIOS, demand=demand, **controls)
    for _ in range(steps):
        m.step()
    return m


def test_policies_offer_the_presets_first_then_any_other_file():
    names = policies(SCENARIOS)
    assert names[:4] == ["centralised", "dingshan", "dachang", "xiaoding"]
    assert "mixed" in names and "base" not in names


def test_controls_move_from_the_policy_files_own_values():
    got = overrides(SCENARIOS / "mixed.toml", scale=0.02, demand=2, online=-0.5, specialists=2, weekend=AS_FILE,
                    terminals=ON)
    assert "staff.specialist.count=5" in got  # mixed.toml has 3
    assert "catalogue.demand_scale=2.0" in got
    online = sim.load(SCENARIOS / "mixed.toml").values["choice"]["constants"]["online"]
    assert f"choice.constants.online={online - 0.5}" in got  # the file's own constant, moved by -0.5
    assert "switches.terminals=true" in got
    assert not any(o.startswith("switches.weekend") for o in got)  # as the file says


def test_side_by_side_models_share_residents_and_needs():
    m = live("centralised", "xiaoding", steps=TUESDAY_10)
    a, b = (run.model for run in m.runs)
    assert np.array_equal(a.home, b.home) and np.array_equal(a.elderly, b.elderly)
    for field in ("t", "resident", "item"):
        assert np.array_equal(getattr(a.needs, field), getattr(b.needs, field))
    assert [(r.resident, r.item, r.t_need) for r in a.requests] == [(r.resident, r.item, r.t_need) for r in b.requests]
    assert a.time == b.time == TUESDAY_10 * 60


def test_switching_the_model_rebuilds_it():
    central, dingshan = live("centralised"), live("dingshan")
    assert [r.name for r in central.runs] == ["centralised"] and [r.name for r in dingshan.runs] == ["dingshan"]
    assert len(central.runs[0].model.specialists) == 0 and len(dingshan.runs[0].model.specialists) == 10
    assert len(live("dingshan", specialists=-2).runs[0].model.specialists) == 8


def test_a_policy_that_cannot_be_built_is_reported_not_raised():
    for m in (live("no-such-policy"), live(seed="one")):
        assert m.error and not m.runs and not m.running
        assert m.frame() == []


def test_snapshot_puts_every_open_request_somewhere_on_the_map():
    m = live("centralised", "dingshan", steps=TUESDAY_10)
    for run, view in zip(m.runs, m.frame()):
        model = run.model
        terr = model.territory
        assert len(view.resident) == len(model.open) == _counters(run, view)["open"]
        assert set(np.unique(view.state)) <= set(range(len(STATES)))
        lo, hi = terr.street_box[:, :2].min(axis=0), terr.street_box[:, 2:].max(axis=0)
        assert np.all((view.xy >= lo - 1e-9) & (view.xy <= hi + 1e-9))
        points = model.streets + model.communities
        assert list(view.queue) == [p.queue_length(model.time) for p in points]
        assert (view.state == QUEUEING).sum() <= view.queue.sum()
        at_point = (view.state == QUEUEING) | (view.state == SERVED)
        assert np.all(view.slot[at_point] >= 0) and np.all(view.slot[~at_point] == -1)
        assert len(view.worker_xy) == sum(len(ws) for ws in model.grid_workers)
        assert len(view.specialist_xy) == len(model.specialists)
    assert m.frame()[1].specialist_on.all()  # Tuesday 10:00: every specialist is on a visit


def residents_in(m, states, check, wanted=5) -> int:
    """Step the first model until `wanted` residents were drawn in one of `states`; check each."""
    model = m.runs[0].model
    seen = 0
    while seen < wanted and model.time < 5 * 1440:
        m.step()
        view = m.frame()[0]
        reqs = list(model.open.values())
        for i in np.flatnonzero(np.isin(view.state, states)):
            check(model, reqs[i], view.xy[i])
            seen += 1
    return seen


def test_travelling_residents_are_on_their_way_from_home_to_the_point():
    def on_the_way(model, r, xy):
        home = model.territory.building_xy[model.home[r.resident]]
        point = model.point_of(r).xy
        assert np.hypot(*(xy - home)) + np.hypot(*(point - xy)) == pytest.approx(np.hypot(*(point - home)))

    assert residents_in(live("centralised"), [TRAVELLING], on_the_way) >= 5


def apply(state: dict | None, frame: Frame) -> dict:
    return held_by_browser(state, frame.full, frame.runs)


def test_frames_carry_only_what_changed_and_add_up_to_the_whole():
    m = live("centralised", "dingshan", steps=TUESDAY_10)
    stream = Stream(m)
    first = stream.frame()
    assert first.full  # a stream's first frame is complete
    state = apply(None, first)
    assert [len(r) for r in state["recs"]] == [len(run.model.open) for run in m.runs]
    again = stream.frame()
    assert not again.full and again.t == first.t
    assert all(run["upd"] == [] and run["del"] == [] and run["means"] == [] for run in again.runs)
    frames = [first, again]
    for _ in range(3):
        m.advance(25)
        frames.append(stream.frame())
        assert any(run["upd"] or run["del"] for run in frames[-1].runs)
        state = apply(state, frames[-1])
    whole = apply(None, Stream(m).frame())
    assert state["recs"] == whole["recs"] and state["cohorts"] == whole["cohorts"]
    assert [len(x) for x in state["means"]] == [len(run.history["day"]) for run in m.runs]
    combined = combine(frames)  # what a page joining late is sent: the same, in one complete frame
    assert combined.full and combined.t == m.clock and apply(None, combined) == state


def test_a_page_gets_numbered_packets_in_both_languages_with_the_table_only_when_it_changed():
    m = live("centralised", "dingshan", steps=TUESDAY_10)
    stream, pager = Stream(m), Pager()
    first = pager.packet(stream.frame())
    assert first["n"] == 1 and first["full"] and "counters" in first
    assert first["readout"]["zh"][0].startswith("事项授权专员") and "Dingshan" in first["readout"]["en"][0]
    quiet = pager.packet(stream.frame())
    assert quiet["n"] == 2 and "counters" not in quiet  # nothing moved: the table is not sent again
    m.advance(120)
    assert "counters" in pager.packet(stream.frame())  # requests were done meanwhile: the table moved


def test_planned_trips_go_from_home_to_the_point_in_screen_km():
    m = live("centralised", steps=TUESDAY_10 - 1)
    orient = Orientation(m.runs[0].model.territory)
    trips = 0
    for _ in range(12):
        m.advance(20)
        model = m.runs[0].model
        for rec in Stream(m).frame().runs[0]["upd"]:
            if len(rec) > 5:
                rid, x, y, state, t0, t1, hx, hy, tx, ty = rec
                r = model.open[rid] if rid in model.open else None
                assert t0 < t1 and t1 >= model.time - 1e-9
                if r is not None:
                    assert [tx, ty] == pytest.approx(orient(model.point_of(r).xy)[0], abs=1e-3)
                if state == TRAVELLING:
                    share = (model.time - t0) / (t1 - t0)
                    assert [x, y] == pytest.approx([hx + share * (tx - hx), hy + share * (ty - hy)], abs=0.01)
                trips += 1
    assert trips >= 5


def test_advancing_in_any_chunks_gives_the_same_requests():
    hourly, odd = live("dingshan", steps=30), live("dingshan")
    for minutes in [7, 13, 95, 240, 3, 600, 842]:
        odd.advance(minutes)
    assert odd.clock == hourly.clock == 30 * 60
    a, b = hourly.runs[0], odd.runs[0]
    assert [(r.rid, r.t_need, r.t_done, r.stage) for r in a.model.requests] == \
        [(r.rid, r.t_need, r.t_done, r.stage) for r in b.model.requests]
    assert sorted(a.done_latency) == sorted(b.done_latency) and list(a.cohort_done) == list(b.cohort_done)


def test_readouts_compare_the_second_model_with_the_first():
    m = live("centralised", "dingshan", steps=24 * 21)
    central, dingshan = m.runs
    radius, hours, latency, abandoned = readouts(m, "en")
    change = dingshan.history["in_person_radius"][-1] / central.history["in_person_radius"][-1] - 1
    assert radius == f"Dingshan: in-person radius {change * 100:+.1f}% vs Centralised".replace(" -", " −")
    change = dingshan.figures["resident_hours"] / central.figures["resident_hours"] - 1
    assert hours == f"Dingshan: resident hours {change * 100:+.1f}% vs Centralised".replace(" -", " −")
    assert latency.startswith("Dingshan: time to done ") and latency.endswith("% vs Centralised")
    difference = dingshan.figures["abandoned"] - central.figures["abandoned"]  # per 1,000, often 0: a difference
    assert abandoned == f"Dingshan: abandoned per 1,000 {difference:+.1f} vs Centralised".replace(" -", " −")
    assert readouts(m, "zh")[0].startswith("事项授权专员：到场服务半径比街道集中办理")
    one = live("dachang", steps=24 * 21)
    assert readouts(one, "en")[0].startswith("Dachang: in-person radius ") and readouts(one, "en")[0].endswith(" km")
    assert readouts(one, "en")[1].endswith(" h")


@pytest.mark.parametrize("policy", ["centralised", "xiaoding"])
def test_headline_figures_are_the_reports_over_every_request_so_far(policy):
    m = live(policy, steps=24 * 10 + 7)
    run = m.runs[0]
    table = run.model.request_table().assign(measured=True)  # the app counts from the start, warm-up too
    report = metrics.summarise(table)
    assert run.figures["resident_hours"] == pytest.approx(report["resident_hours"]["mean"])
    assert run.figures["in_person_radius"] == pytest.approx(report["in_person_radius_km"]["mean"])
    assert run.figures["radius"] == pytest.approx(report["service_radius_km"]["mean"])
    assert run.figures["abandoned"] == pytest.approx(report["per_1000"]["abandoned"])
    assert run.history["in_person_radius"][-1] == run.figures["in_person_radius"]
    assert run.figures["in_person_radius"] > run.figures["radius"]  # online and door count as 0 km in the other


def test_headline_figures_count_the_abandoned():
    m = live("centralised", steps=24 * 9, demand=300)  # far beyond the street centre's windows
    run = m.runs[0]
    abandoned = sum(r.abandoned for r in run.model.requests)
    assert abandoned > 0
    assert run.figures["abandoned"] == pytest.approx(1000 * abandoned / len(run.model.requests))


def test_time_to_done_counts_only_days_whose_requests_are_nearly_all_done():
    m = live("centralised", steps=24 * 21)
    run = m.runs[0]
    by_day: dict[int, list] = {}
    for r in run.model.requests:
        by_day.setdefault(int(r.t_need // 1440), []).append(r)
    settled = [rs for rs in by_day.values() if sum(r.t_done == r.t_done for r in rs) >= 0.9 * len(rs)]
    assert 0 < len(settled) < len(by_day)  # the last days are still filling
    done = [(r.t_done - r.t_need) / 1440 for rs in settled for r in rs if r.t_done == r.t_done]
    assert settled_latency(run) == pytest.approx(np.mean(done))


def test_the_scene_draws_every_point_of_the_street_in_either_language():
    m = live("centralised", "dingshan")
    terr = m.runs[0].model.territory
    for lang in ("en", "zh"):
        s = scene(m, lang)
        assert len(s["maps"]) == 2 and s["w"] > s["h"]  # the street is turned to lie wide
        assert len(s["buildings"]) == len(terr.building_xy) and len(s["grids"]) == len(terr.grid_xy)
        assert len(s["stations"]) == len(terr.community_xy) and len(s["streets"]) == len(terr.street_xy)
        assert len(s["zones"]) == len(terr.community_xy)
        xy = np.array([b[:2] for b in s["buildings"]])
        assert np.all(xy >= -1e-3) and np.all(xy <= [s["w"] + 1e-3, s["h"] + 1e-3])
    assert scene(m, "zh")["maps"][1]["title"] == "事项授权专员"


def test_completed_requests_feed_the_charts():
    m = live("dachang", steps=TUESDAY_10 + 24)
    run = m.runs[0]
    done = [r for r in run.model.requests if r.t_done == r.t_done]
    assert len(run.done_day) == len(done) > 0
    assert all(r.t_done <= run.model.time for r in done)  # the view sees a request end when the clock gets there
    assert np.mean(run.done_latency) == pytest.approx(np.mean([(r.t_done - r.t_need) / 1440 for r in done]))
    assert _counters(run, run.view())["trips"] == pytest.approx(np.mean([r.trips for r in done]))


def test_the_model_is_garbage_collected_after_reset():
    old = live("centralised", "dingshan", steps=TUESDAY_10)
    stream = Stream(old)
    stream.frame()
    refs = [weakref.ref(old), weakref.ref(old.runs[0].model), weakref.ref(stream)]
    old = stream = live("centralised", "dingshan")  # what Reset does: a new model replaces the old
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_labels_are_complete_in_both_languages():
    words = {lang: [text(f"app.{k}", lang) for k in keys("app")] for lang in ("en", "zh")}
    assert all(words["en"]) and all(words["zh"])
    m = live("dingshan", steps=2)
    assert set(STATES) | set(_counters(m.runs[0], m.runs[0].view())) <= set(keys("app"))
    assert all(text(f"term.{k}", "en") and text(f"term.{k}", "zh") for k in keys("term"))
    for key in ("street", "community", "grid", "building", "specialist", "grid_worker", "proxy", "service_radius",
                "latency"):  # the words a class meets on the page, in both languages
        chinese = text(f"term.{key}", "zh")
        assert any(chinese in word for word in words["en"])
        assert any(chinese in word for word in words["zh"])
    latin = re.compile(r"[A-Za-z]{2,}")
    for key, word in zip(keys("app"), words["zh"]):  # Chinese has no English left in it (placeholders aside)
        assert latin.findall(re.sub(r"{[^}]*}", "", word)) == [], (key, word)
    page = labels.app_words("zh")
    assert len(page["days"]) == 7 and len(page["speeds"]) == 4 and len(page["states"]) == len(STATES)
    assert len(page["questions"]) == len(app.QUESTIONS) and all(len(pair) == 2 for pair in page["about_sections"])
    assert labels.clock(TUESDAY_10 * 60 + 7 * 1440, "en") == "Week 2 · Tue 10:00"
    assert labels.clock(TUESDAY_10 * 60, "zh") == "第1周 · 周二 10:00"


def test_the_first_screen_is_a_busy_monday_of_both_models():
    m = app.build(app.controls_default())
    assert not m.error and [r.name for r in m.runs] == ["centralised", "dingshan"]
    assert m.clock == app.START and labels.clock(m.clock, "en") == "Week 2 · Mon 08:40"
    assert all(len(run.history["day"]) > 100 for run in m.runs)  # the charts open with a week drawn
    m.advance(90)
    assert sum((view.state == TRAVELLING).sum() + (view.state == QUEUEING).sum() for view in m.frame()) >= 10
    m.step()
    assert m.steps == 1


def test_every_control_changes_the_model_it_names():
    base = app.controls_default()
    built = {k: app.build({**base, k: v}, until=0) for k, v in
             [("load", 50), ("online", 1.0), ("specialists", -2), ("weekend", ON), ("terminals", ON), ("seed", 2)]}
    ref = app.build(base, until=0)
    file_count = specialist_range(SCENARIOS / "dingshan.toml", 0.02)[0]
    assert built["specialists"].runs[1].model.scenario_values["staff"]["specialist"]["count"] == file_count - 2
    assert built["weekend"].runs[1].model.scenario_values["switches"]["weekend"] is True
    assert built["terminals"].runs[0].model.scenario_values["switches"]["terminals"] is True
    ref.advance(3 * 1440)
    for key, m in built.items():
        m.advance(3 * 1440)
        assert [len(r.model.requests) for r in m.runs] != [len(r.model.requests) for r in ref.runs] or \
            [r.done_latency for r in m.runs] != [r.done_latency for r in ref.runs], key


def test_the_specialists_control_asks_only_for_what_the_policies_accept(monkeypatch):
    monkeypatch.setattr(app, "SCENARIO_DIR", SCENARIOS)
    assert specialist_range(SCENARIOS / "dingshan.toml", 0.02) == (10, 0, 10)  # one posted in each of 10 communities
    assert specialist_range(SCENARIOS / "dingshan_rota.toml", 0.02) == (4, 0, 10)
    assert app.specialist_control(["centralised", "dachang"]) == ({}, 0, 0)  # nobody to add: no control
    own, low, high = app.specialist_control(["dingshan_rota", "mixed"])
    assert own == {"dingshan_rota": 4, "mixed": 3} and (low, high) == (-4, 6)
    assert app.specialist_control(["centralised", "dingshan"])[1:] == (-10, 0)
    # a change left over from a policy that took more is brought within the new one's range
    controls = {**app.controls_default(), "policy": "centralised", "versus": "dingshan_rota", "specialists": 5}
    assert app.bounded({**controls, "versus": "dingshan"})["specialists"] == 0
    for change in (-12, 1, 40):  # whatever arrives, every policy is built
        for name in ("dingshan", "dingshan_rota", "mixed"):
            m = LiveModel(policy=name, scenario_dir=SCENARIOS, specialists=change)
            assert m.error is None and m.runs, (name, change)


DISTRICT = ROOT / "scenarios" / "districts" / "example.toml"


def test_a_district_from_files_is_drawn_with_its_own_geometry():
    from shapely import LineString, Point, Polygon

    m = LiveModel(policy="centralised", versus="dingshan", scenario_dir=SCENARIOS, demand=50,
                  territory=tuple(territory_overrides(DISTRICT)))
    assert m.error is None  # Dingshan posts one specialist in each of the district's six communities
    terr = m.runs[0].model.territory
    assert len(m.runs[1].model.specialists) == len(terr.community_xy) == 6
    assert specialist_range(SCENARIOS / "dingshan.toml", 0.02, tuple(territory_overrides(DISTRICT))) == (6, 0, 6)
    shapes, s = geometry(m), scene(m, "en")
    assert len(shapes["areas"]) == 6 and s["zones"] == [] and "areas" not in s["maps"][0]  # sent once, not per map
    orient = Orientation(terr)
    areas = [Polygon(rings[0]).buffer(0.05) for rings in shapes["areas"]]
    for c, rings in enumerate(shapes["areas"]):
        assert Polygon(rings[0]).area == pytest.approx(terr.community_shapes[c].area, rel=0.02)
    for xy, c in zip(orient(terr.building_xy), terr.building_community):  # each building inside its community
        assert areas[c].contains(Point(xy))
    drawn = sum(LineString(line).length for _, line in shapes["roads"])
    assert drawn == pytest.approx(terr.roads.km, rel=0.02) and {kind for kind, _ in shapes["roads"]} == {0, 1, 2}
    lines = np.array([xy for _, line in shapes["roads"] for xy in line])
    assert np.all(lines >= -1e-3) and np.all(lines <= [s["w"] + 1e-3, s["h"] + 1e-3])
    view = m.runs[0].view()
    assert np.array_equal(view.home, terr.building_xy[m.runs[0].model.home[view.resident]])  # at their own building
    assert geometry(live("centralised")) == {}  # a generated street has no files to draw


def test_app_command_plays_on_a_district_or_refuses_it_in_one_line(monkeypatch, capsys, tmp_path):
    calls = []
    monkeypatch.setattr("os.execve", lambda path, argv, env: calls.append((argv, env)))
    assert cli.main(["app", "--port", "0", "--scenario-dir", str(SCENARIOS), "--territory", str(DISTRICT)]) is None
    assert tuple(json.loads(calls[0][1]["SIM_APP_TERRITORY"])) == tuple(territory_overrides(DISTRICT))
    broken = tmp_path / "broken.toml"
    broken.write_text('[territory]\npreset = "district"\ndistrict = "nowhere.gpkg"\n')
    assert cli.main(["app", "--scenario-dir", str(SCENARIOS), "--territory", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "district" in err[0]


def test_app_command_prints_the_address_and_serves_the_page(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr("os.execve", lambda path, argv, env: calls.append((argv, env)))
    cli.main(["app", "--port", "0", "--scale", "0.05", "--scenario-dir", str(SCENARIOS)])
    argv, env = calls[0]
    port = argv[argv.index("--port") + 1]
    assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out and int(port) > 0
    assert env["SOLARA_APP"] == "sim.teaching.app" and "sim.teaching.server:build" in argv
    assert env["SIM_APP_SCALE"] == "0.05" and env["SIM_APP_SCENARIOS"] == str(SCENARIOS)
    assert str(ROOT) in env["PYTHONPATH"]


def test_app_command_refuses_a_folder_without_policies(tmp_path, capsys):
    assert cli.main(["app", "--scenario-dir", str(tmp_path)]) == 2
    assert "policy files" in capsys.readouterr().err
    assert cli.main(["app", "--scale", "0"]) == 2


def test_residents_at_a_window_or_in_a_queue_are_drawn_at_the_point():
    def at_the_point(model, r, xy):
        assert r.at_point_until > model.time
        assert tuple(xy) == tuple(model.point_of(r).xy)

    assert residents_in(live("centralised"), [QUEUEING, SERVED], at_the_point) >= 5


def test_the_page_and_its_about_panel_render_in_both_languages():
    import solara

    for lang in ("en", "zh"):
        app.lang.set(lang)
        box, rc = solara.render(app.Page(), handle_error=False)
        rc.find(class_="sim-about").assert_single()  # the About panel is there, closed and empty
        assert rc.find(class_="sim-btn sim-go").widgets == []
        rc.find(class_="sim-btn sim-about-btn").widget.fire_event("click", None)
        assert len(rc.find(class_="sim-btn sim-go").widgets) == len(app.QUESTIONS)
        rc.find(class_="sim-btn sim-close").widget.fire_event("click", None)
        assert rc.find(class_="sim-btn sim-go").widgets == []  # emptied again when closed
        rc.close()
    app.lang.set("en")


def test_every_policy_has_a_name_of_its_own_in_both_languages():
    """The dropdowns and the About panel tell the models apart by their short names."""
    for lang in ("en", "zh"):
        names = [name for name, _ in app._policy_lines(lang).values()]
        assert len(set(names)) == len(names), (lang, names)
