"""The teaching app: a Solara page where a class watches service requests flow through a street.

The page holds the controls and the lesson (About); the maps, charts and figures are drawn in the
browser by `live_view.vue` from small packets (`stream.py`). The browser asks for the next packet
when it needs one, so a session that is paused or whose tab is closed costs the server nothing,
and stepping cannot flood the page. Started by `python -m sim app`, which passes its options in
the environment (SIM_APP_SCENARIOS, SIM_APP_SCALE); `solara run sim.teaching.app` works too.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path
from typing import Callable

import solara

from sim.clock import DAY
from sim.present.labels import app_words, scenario_name
from sim.present.text import keys, text
from sim.scenario.files import load
from sim.errors import ScenarioError
from sim.teaching.live import AS_FILE, NONE, OFF, ON, LiveModel, policies, specialist_range, specialists_for
from sim.teaching.feed import Cursor, Feeds
from sim.teaching.stream import SETTLED, geometry, scene

SCENARIO_DIR = Path(os.environ.get("SIM_APP_SCENARIOS", "scenarios")).resolve()
SCALE = float(os.environ.get("SIM_APP_SCALE", "0.02"))
TERRITORY = tuple(json.loads(os.environ.get("SIM_APP_TERRITORY", "[]")))  # overrides of `--territory FILE`
TEACHING_DEMAND = max(1, round(1 / SCALE))  # the cut-down street's windows then see the whole street's load
START = (7 * 24 + 8) * 60 + 40.0  # a run is shown from Monday of week 2 at 08:40: the weekend's needs set off
LOG = logging.getLogger(__name__)
MOST_MINUTES = 2 * DAY  # the most a packet may cover: live_view.vue asks for two days at 1 day/s
QUESTIONS = [(7 * 24 + 10) * 60, (8 * 24 + 11) * 60, (12 * 24 + 11) * 60, (28 * 24 + 12) * 60]  # moments to watch

lang = solara.reactive("en")

PAGE_CSS = """
html, body { overflow: hidden; }
.sim-page { display: flex; height: 100vh; font-size: 14px; }
.sim-sidebar { flex: 0 0 270px; padding: 6px 10px; overflow-y: auto; border-right: 1px solid #ddd; background: #fafafa; }
.sim-sidebar .v-label, .sim-sidebar .v-select__selection, .sim-sidebar input { font-size: 14px !important; }
.sim-sidebar .v-input { margin-top: 2px !important; padding-top: 14px !important; }
.sim-sidebar .v-input.v-input--is-label-active, .sim-sidebar .v-text-field { padding-top: 16px !important; }
.sim-sidebar .v-slider { margin: 0 !important; }
.sim-sidebar .v-label--active { transform: translateY(-20px) scale(1) !important; }
.sim-sidebar .v-input--range-slider, .sim-sidebar .v-input.v-input--hide-details.v-slider__container { padding-top: 0 !important; }
.sim-main { flex: 1 1 auto; min-width: 0; padding: 4px 10px 4px 10px; display: flex; flex-direction: column; }
.sim-title { font-size: 16px; font-weight: 600; line-height: 1.25; }
.sim-control-label { font-size: 14px; margin-top: 4px; }
.sim-changed { border-left: 4px solid #E69F00; padding-left: 6px; }
.sim-changed-note { color: #8a5a00; font-size: 14px; }
.sim-about p, .sim-about li { font-size: 15px; line-height: 1.45; }
.sim-about h3 { margin-top: 10px; }
.v-application .sim-btn { text-transform: none; font-size: 14px; }
"""


def controls_default() -> dict:
    names = policies(SCENARIO_DIR)
    return bounded({"policy": "centralised" if "centralised" in names else names[0],
                    "versus": "dingshan" if "dingshan" in names else NONE,
                    "load": 100, "online": 0.0, "specialists": 0, "weekend": AS_FILE, "terminals": AS_FILE, "seed": 1})


def build(controls: dict, until: float = START) -> LiveModel:
    """The model the controls describe, run on to minute `until` (the moment the page opens on)."""
    live = LiveModel(policy=controls["policy"], versus=controls["versus"],
                     demand=TEACHING_DEMAND * controls["load"] / 100, online=controls["online"],
                     specialists=controls["specialists"], weekend=controls["weekend"],
                     terminals=controls["terminals"], seed=controls["seed"], scenario_dir=SCENARIO_DIR, scale=SCALE,
                     territory=TERRITORY)
    while live.runs and live.clock < min(until, live.stop):  # hour by hour, for the charts' running means
        live.advance(min(60.0, until - live.clock))
    return live


FEEDS = Feeds()


def join(controls: dict, start: float) -> Cursor:
    """A place for a new page on the model the controls describe from minute `start`: the model
    other pages with the same controls opened at that moment play, while they are together. The
    key holds the policy files' version, so a file edited during a lesson is read again."""
    files = max((f.stat().st_mtime_ns for f in SCENARIO_DIR.rglob("*") if f.is_file()), default=0)
    return FEEDS.join((tuple(sorted(controls.items())), files), functools.partial(build, controls), start)


def specialist_control(names: list[str]) -> tuple[dict[str, int], int, int]:
    """The chosen policy files that have specialists, with their own number, and the change the
    control may make: down to none, up to what every one of them accepts. The control is shown
    only where it has an effect."""
    ranges = {}
    for name in names:
        try:
            ranges[name] = specialist_range(SCENARIO_DIR / f"{name}.toml", SCALE, TERRITORY)
        except (ScenarioError, OSError):  # a broken file is reported by the model itself
            continue
    own = {n: r[0] for n, r in ranges.items() if r[0] > 0}
    if not own:
        return {}, 0, 0
    return own, -max(own.values()), min(ranges[n][2] - c for n, c in own.items())


def chosen(controls: dict) -> list[str]:
    return [n for n in (controls["policy"], controls["versus"]) if n != NONE]


def bounded(controls: dict) -> dict:
    """The controls with the specialists' change kept within what the chosen policies accept."""
    _, low, high = specialist_control(chosen(controls))
    return {**controls, "specialists": min(max(controls["specialists"], low), high)}


class Sealed:
    """Data for the browser, handed to the live view as it is. On every render Solara (reacton)
    searches the props' dicts and lists for elements, down to each number of a packet; these
    hold none, and sealed they are not searched. Equal when their data are equal, so a prop
    is sent again only when its data changed, as before."""

    __slots__ = ("data",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, data):
        self.data = data

    def __eq__(self, other):
        return isinstance(other, Sealed) and self.data == other.data


def _unsealed(value, widget):
    return value.data if isinstance(value, Sealed) else value


@solara.component_vue("live_view.vue", to_json={name: _unsealed for name in ("scene", "geometry", "packet", "words")})
def LiveCanvas(scene: Sealed, geometry: Sealed, packet: Sealed, words: Sealed, lang: str,
               event_more: Callable[[dict], None]):
    pass


@solara.component
def LiveView(cursor: Cursor, gen: int, language: str):
    """The browser-drawn part. Each `more` message from the browser moves the page's cursor on a
    little and answers with what changed, as a message to the live view's widget: no render of
    the page (which walks all of its elements) per packet. A message from an older model (before
    a Reset) is ignored."""
    live = cursor.live
    static = solara.use_memo(lambda: {**scene(live, language), "settled": SETTLED}, [cursor, language])
    shapes = solara.use_memo(lambda: geometry(live), [cursor])  # once per model, whatever the language
    first = solara.use_memo(lambda: {**cursor.packet(0, full=True), "gen": gen, "seq": 0}, [cursor])
    canvas = solara.use_ref(None)

    def send(packet: dict) -> None:
        if canvas.current is not None:
            canvas.current.send({"method": "packet", "args": [packet]})

    def more(data):
        try:
            if not isinstance(data, dict) or data.get("gen") != gen or not live.runs:
                return
            minutes = min(max(float(data.get("minutes", 0)), 0.0), MOST_MINUTES)
            send({**cursor.packet(minutes, full=bool(data.get("full"))), "gen": gen, "seq": data.get("seq")})
        except Exception as exc:  # the page shows one line; the log keeps the detail
            LOG.exception("advancing the live model")
            send({"gen": gen, "seq": data.get("seq"), "error": f"{app_words(language)['error']}: {exc}"})

    view = LiveCanvas(scene=Sealed(static), geometry=Sealed(shapes), packet=Sealed(first),
                      words=Sealed(app_words(language)), lang=language, event_more=more)

    def find_widget():
        canvas.current = solara.get_widget(view)

    solara.use_effect(find_widget)


def _select(label: str, value, items: list[tuple], on_value, changed: bool, words: dict):
    with solara.Div(classes=["sim-changed"] if changed else []):
        solara.v.Select(label=label, v_model=value, items=[{"text": t, "value": v} for v, t in items],
                        on_v_model=on_value, dense=True, hide_details=True, attach=True)
        if changed:
            solara.Text(words["changed"], classes=["sim-changed-note"])


def _slider(label: str, value_text: str, value, low, high, step, on_value, changed: bool, words: dict):
    with solara.Div(classes=["sim-changed"] if changed else []):
        solara.Text(f"{label}: {value_text}", classes=["sim-control-label"])
        solara.v.Slider(v_model=value, min=low, max=high, step=step, on_v_model=on_value, dense=True,
                        hide_details=True, attributes={"aria-label": label})
        if changed:
            solara.Text(words["changed"], classes=["sim-changed-note"])


def _policy_lines(language: str) -> dict[str, tuple[str, str]]:
    """Each policy file's short name and one-line description, for the dropdowns and the About
    panel, read once per page and language: the page renders again with every packet. A file
    that cannot be read shows its stem and no description."""
    lines = {}
    for name in policies(SCENARIO_DIR):
        try:
            meta = load(SCENARIO_DIR / f"{name}.toml").values["meta"]
        except Exception:
            lines[name] = (name, "")
            continue
        lines[name] = (scenario_name(meta, language, short=True),
                       meta.get("description_zh" if language == "zh" else "description", ""))
    return lines


@solara.component
def Controls(pending: dict, set_pending, applied: dict, on_apply, on_about):
    w = app_words(lang.value)
    lines = solara.use_memo(lambda: _policy_lines(lang.value), [lang.value])
    names = list(lines)

    def setter(key):
        return lambda value: set_pending({**pending, key: value})

    def named(name):
        return lines[name][0] if name in lines else name

    def changed(key):
        return pending[key] != applied[key]

    seed_ok = isinstance(pending["seed"], int)

    def choose(key):  # picking a model applies at once, with every pending change
        return lambda value: (on_apply if seed_ok else set_pending)(bounded({**pending, key: value}))

    with solara.Div(classes=["sim-sidebar"]):
        solara.Text(w["title"], classes=["sim-title"])
        with solara.Row(style={"align-items": "center", "gap": "6px", "margin": "4px 0"}):
            with solara.ToggleButtonsSingle(value=lang, classes=["sim-lang"]):
                solara.Button("EN", value="en", text=True, classes=["sim-btn"])
                solara.Button("中文", value="zh", text=True, classes=["sim-btn"])
            solara.Button(w["about"], on_click=on_about, outlined=True, small=True, classes=["sim-btn", "sim-about-btn"])
        _select(w["policy"], pending["policy"], [(n, named(n)) for n in names], choose("policy"), False, w)
        _select(w["versus"], pending["versus"], [(NONE, w["none"])] + [(n, named(n)) for n in names],
                choose("versus"), False, w)
        _slider(w["load"], w["load_value"].format(pct=pending["load"]), pending["load"], 25, 200, 25,
                setter("load"), changed("load"), w)
        _slider(w["online"], w["online_value"].format(change=pending["online"]), pending["online"], -3, 3, 0.5,
                setter("online"), changed("online"), w)
        own, low, high = specialist_control(chosen(pending))
        if own and low < high:
            text = ", ".join(f"{named(n)} {c} → "
                             f"{specialists_for(SCENARIO_DIR / f'{n}.toml', SCALE, pending['specialists'], TERRITORY)}"
                             for n, c in own.items())
            _slider(w["specialists"], text, pending["specialists"], low, high, 1, setter("specialists"),
                    changed("specialists"), w)
        switch = [(AS_FILE, w["as_file"]), (ON, w["on"]), (OFF, w["off"])]
        _select(w["weekend"], pending["weekend"], switch, setter("weekend"), changed("weekend"), w)
        _select(w["terminals"], pending["terminals"], switch, setter("terminals"), changed("terminals"), w)
        solara.InputText(w["seed"], value=str(pending["seed"]), on_value=lambda text: set_pending(
            {**pending, "seed": int(text) if text.strip().isdigit() else text}), error=False if seed_ok else w["seed_error"],
            classes=["sim-changed"] if changed("seed") else [])
        waiting = sum(pending[k] != applied[k] for k in pending)
        solara.Button(w["reset_pending"] if waiting else w["reset"], on_click=lambda: on_apply(pending),
                      disabled=not seed_ok, color="primary" if waiting else None, block=True,
                      classes=["sim-btn", "sim-reset"])
        if waiting:
            solara.Text(w["pending"].format(n=waiting), classes=["sim-changed-note"])


@solara.component
def About(open_: bool, on_close, on_jump):
    w = app_words(lang.value)
    zh = lang.value == "zh"
    lines = solara.use_memo(lambda: _policy_lines(lang.value), [lang.value])
    with solara.v.Dialog(v_model=open_, on_v_model=lambda v: None if v else on_close(), max_width=980,
                         scrollable=True):
        with solara.v.Card(class_="sim-about"):
            if open_:  # made only while open: each packet's render walks every element of the page
                with solara.v.CardText():
                    for head, body in w["about_sections"]:
                        solara.HTML(tag="h3", unsafe_innerHTML=head)
                        solara.HTML(tag="p", unsafe_innerHTML=body)
                    solara.HTML(tag="h3", unsafe_innerHTML=w["policies_title"])
                    for title, line in lines.values():
                        solara.HTML(tag="p", unsafe_innerHTML=w["policy_line"].format(name=title, line=line))
                    solara.HTML(tag="h3", unsafe_innerHTML=w["questions_title"])
                    for t, question in zip(QUESTIONS, w["questions"]):
                        with solara.Row(style={"align-items": "center"}):
                            solara.Button(w["go_there"], on_click=lambda t=t: on_jump(t), small=True, outlined=True,
                                          classes=["sim-btn", "sim-go"])
                            solara.Text(question, style={"font-size": "15px"})
                    solara.HTML(tag="h3", unsafe_innerHTML=w["glossary"])
                    terms = "; ".join(text(f"term.{k}", "zh") + ("" if zh else " " + text(f"term.{k}", "en"))
                                      for k in keys("term"))
                    solara.HTML(tag="p", unsafe_innerHTML=terms)
            with solara.v.CardActions():
                solara.Button(w["close"], on_click=on_close, classes=["sim-btn", "sim-close"])


@solara.component
def Layout(children=[]):
    """The page fills the screen itself: no app bar, no Solara banner over the figures."""
    solara.Style(PAGE_CSS)
    solara.Div(children=children)


@solara.component
def Page():
    first = solara.use_memo(controls_default, [])
    applied, set_applied = solara.use_state(first)
    pending, set_pending = solara.use_state(first)
    gen, set_gen = solara.use_state(1)
    start, set_start = solara.use_state(START)
    about, set_about = solara.use_state(False)
    cursor = solara.use_memo(lambda: join(applied, start), [gen])
    w = app_words(lang.value)
    solara.Title(w["title"])

    def apply(controls: dict, until: float = START):
        set_pending(controls)
        set_applied(controls)
        set_start(until)
        set_gen(gen + 1)

    def go(t: float):  # a page of its own from that moment (shared by the pages that go there too)
        set_about(False)
        apply(pending, t)

    with solara.Div(classes=["sim-page"]):
        Controls(pending, set_pending, applied, apply, lambda: set_about(True))
        with solara.Div(classes=["sim-main"]):
            if cursor.live.error:
                solara.Error(f"{w['error']}: {cursor.live.error}", classes=["sim-error"])
            else:
                LiveView(cursor, gen, lang.value)
        About(about, lambda: set_about(False), go)
