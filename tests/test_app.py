"""The teaching app's model logic, without a browser: what the page shows must follow the models."""

import gc
import inspect
import weakref

import numpy as np
import pytest

from helpers import ROOT, SCENARIOS
from sim import cli
from sim.teaching import app
from sim.present import labels
from sim.present.text import keys, text
from sim.teaching.live import (AS_FILE, NONE, ON, QUEUEING, SERVED, STATES, TRAVELLING, LiveModel, _counters, overrides,
                      policies)
from sim.teaching.live_figures import MapPicture, charts_figure, png

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
    got = overrides(SCENARIOS / "mixed.toml", scale=0.02, demand=2, online=-0.5, specialists=2, windows=1,
                    weekend=AS_FILE, terminals=ON)
    assert "staff.specialist.count=5" in got  # mixed.toml has 3
    assert "points.community.windows=3" in got
    assert "catalogue.demand_scale=2.0" in got
    assert "choice.constants.online=-1.5" in got
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
    for run, (view, counters) in zip(m.runs, m.frame()):
        model = run.model
        terr = model.territory
        assert len(view.resident) == len(model.open) == counters["open"]
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
    assert m.frame()[1][0].specialist_on.all()  # Tuesday 10:00: every specialist is on a visit


def residents_in(m, states, check, wanted=5) -> int:
    """Step the first model until `wanted` residents were drawn in one of `states`; check each."""
    model = m.runs[0].model
    seen = 0
    while seen < wanted and model.time < 5 * 1440:
        m.step()
        view = m.frame()[0][0]
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


def test_stepping_changes_the_figures():
    m = live("centralised", "dingshan", steps=TUESDAY_10)
    picture = MapPicture(m, "en")
    before = m.frame()
    map_before, charts_before = picture.png([v for v, _ in before]), png(charts_figure(m, "en"))
    for _ in range(6):
        m.step()
    after = m.frame()
    assert after[0][1]["created"] > before[0][1]["created"]
    assert after[0][1]["done"] > before[0][1]["done"]
    assert picture.png([v for v, _ in after]) != map_before
    assert png(charts_figure(m, "en")) != charts_before
    assert map_before[:8] == b"\x89PNG\r\n\x1a\n"


def test_completed_requests_feed_the_charts():
    m = live("dachang", steps=TUESDAY_10 + 24)
    run = m.runs[0]
    done = [r for r in run.model.requests if r.t_done == r.t_done]
    assert len(run.done_day) == len(done) > 0
    assert all(r.t_done <= run.model.time for r in done)  # the view sees a request end when the clock gets there
    assert run.history["latency"][-1] == pytest.approx(np.mean([(r.t_done - r.t_need) / 1440 for r in done]))
    assert run.history["radius"][-1] == pytest.approx(np.mean([r.service_radius_km for r in done]))
    assert _counters(run, run.view())["trips"] == pytest.approx(np.mean([r.trips for r in done]))


def test_the_model_is_garbage_collected_after_reset():
    old = live("centralised", "dingshan", steps=TUESDAY_10)
    picture = MapPicture(old, "zh")
    picture.png([v for v, _ in old.frame()])
    refs = [weakref.ref(old), weakref.ref(old.runs[0].model), weakref.ref(picture)]
    old = picture = live("centralised", "dingshan")  # what Reset does: a new model replaces the old
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
    for lang in ("en", "zh"):
        controls = {v["label"] for v in app.model_params(lang).values() if isinstance(v, dict)}
        assert controls <= set(words[lang])
    assert labels.clock(TUESDAY_10 * 60 + 7 * 1440, "en") == "Week 2 · Tue 10:00"
    assert labels.clock(TUESDAY_10 * 60, "zh") == "第1周 · 周二 10:00"


def test_the_page_controls_fit_the_model():
    params = app.model_params("en")
    accepted = inspect.signature(LiveModel).parameters
    assert params.keys() <= accepted.keys()
    defaults = {k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}
    m = LiveModel(**defaults)
    assert not m.error and [r.name for r in m.runs] == ["centralised", "dingshan"]
    m.step()
    assert m.steps == 1 and m.clock == 60


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
