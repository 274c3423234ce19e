"""The teaching app: a Solara page where a class watches service requests flow through a street.

SolaraViz gives the controls (the model's parameters, play, pause, step, reset); the page body
is the live map, the running charts and the counters, re-drawn on Mesa's update counter. Started
by `python -m sim app`, which passes its options in the environment (SIM_APP_SCENARIOS,
SIM_APP_SCALE); `solara run sim.app` works too.
"""

from __future__ import annotations

import math
import os
from html import escape
from pathlib import Path

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.present.labels import clock, scenario_name, value_text
from sim.present.text import keys, section, text
from sim.teaching.live import AS_FILE, NONE, SWITCH_VALUES, LiveModel, policies
from sim.teaching.live_figures import MapPicture, charts_figure, png

SCENARIO_DIR = Path(os.environ.get("SIM_APP_SCENARIOS", "scenarios")).resolve()
SCALE = float(os.environ.get("SIM_APP_SCALE", "0.02"))
COUNTERS_CSS = """<style>
.sim-counters table { border-collapse: collapse; font-size: 13.5px; width: 100%; }
.sim-counters th, .sim-counters td { padding: 4px 8px; border-bottom: 1px solid #e5e5e5; }
.sim-counters th { text-align: right; font-weight: 500; white-space: nowrap; }
.sim-counters td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sim-counters th:first-child, .sim-counters td:first-child { text-align: left; color: #444; white-space: normal; }
.sim-glossary td, .sim-glossary td:first-child { text-align: left; white-space: normal; color: #444; }
.sim-glossary td:nth-child(odd) { color: #222; font-weight: 500; }
</style>"""
TEACHING_DEMAND = max(1, round(1 / SCALE))  # the cut-down street's windows then see the whole street's load
PLAY_MS = 50  # pause between steps while playing; a frame takes about as long again to draw
CHART_MINUTES = 180  # the charts are redrawn every three simulated hours: they move slowly

lang = solara.reactive("en")


def model_params(language: str) -> dict:
    """SolaraViz's controls; the first screen compares the baseline with the Dingshan reform."""
    w = section("app", language)
    names = policies(SCENARIO_DIR)
    first = "centralised" if "centralised" in names else names[0]
    second = "dingshan" if "dingshan" in names else NONE

    def slider(kind, value, low, high, step, key):
        return {"type": kind, "value": value, "min": low, "max": high, "step": step, "label": w(key)}

    return {
        "policy": {"type": "Select", "value": first, "values": names, "label": w("policy")},
        "versus": {"type": "Select", "value": second, "values": [NONE, *names], "label": w("versus")},
        "demand": slider("SliderInt", TEACHING_DEMAND, 1, 2 * TEACHING_DEMAND, 1, "demand"),
        "online": slider("SliderFloat", 0.0, -3.0, 3.0, 0.5, "online"),
        "specialists": slider("SliderInt", 0, -4, 6, 1, "specialists"),
        "windows": slider("SliderInt", 0, -1, 4, 1, "windows"),
        "weekend": {"type": "Select", "value": AS_FILE, "values": SWITCH_VALUES, "label": w("weekend")},
        "terminals": {"type": "Select", "value": AS_FILE, "values": SWITCH_VALUES, "label": w("terminals")},
        "seed": {"type": "InputText", "value": "1", "label": w("seed")},
        "scenario_dir": str(SCENARIO_DIR),
        "scale": SCALE,
    }


def first_model() -> LiveModel:
    params = model_params("en")
    return LiveModel(**{k: v["value"] if isinstance(v, dict) else v for k, v in params.items()})


@solara.component
def LanguageSwitch():
    with solara.ToggleButtonsSingle(value=lang, classes=["sim-lang"], style={"background": "transparent"}):
        solara.Button("EN", value="en", text=True, color="white")
        solara.Button("中文", value="zh", text=True, color="white")


@solara.component
def MapView(live: LiveModel, views: list, counter: int, language: str):
    picture = solara.use_memo(lambda: MapPicture(live, language), [live, language])
    image = solara.use_memo(lambda: picture.png(views), [picture, counter])
    solara.Image(image, width="100%", classes=["sim-map"])


@solara.component
def ChartsView(live: LiveModel, language: str, period: int):
    image = solara.use_memo(lambda: png(charts_figure(live, language)), [live, language, period])
    solara.Image(image, width="100%", classes=["sim-charts"])


def _cell(key: str, value, language: str) -> str:
    if isinstance(value, tuple):
        return f"{value[0]} / {value[1]}"
    if isinstance(value, float):
        unit = {"radius_mean": "km", "latency_mean": "days", "online_share": "share"}.get(key, "trips")
        return value_text(None if math.isnan(value) else value, unit, language, with_unit=unit == "share")
    return f"{value:,}"


@solara.component
def CountersView(live: LiveModel, counters: list[dict], language: str):
    w = section("app", language)
    head = "".join(f"<th>{escape(scenario_name(run.meta, language, short=True))}</th>" for run in live.runs)
    body = "".join(f"<tr><td>{escape(w(key))}</td>" + "".join(f"<td>{_cell(key, c[key], language)}</td>"
                                                              for c in counters) + "</tr>"
                   for key in counters[0])
    solara.HTML(tag="div", classes=["sim-counters"],
                unsafe_innerHTML=COUNTERS_CSS + f"<table><tr><th>{escape(w('figures'))}</th>{head}</tr>{body}</table>")


@solara.component
def GlossaryView(language: str):
    cells = [f"<td>{escape(text(key, 'zh'))}</td><td>{escape(text(key, 'en'))}</td>"
             for key in (f"term.{k}" for k in keys("term"))]
    rows = "".join(f"<tr>{''.join(cells[i:i + 3])}</tr>" for i in range(0, len(cells), 3))
    solara.HTML(tag="div", classes=["sim-counters", "sim-glossary"], unsafe_innerHTML=COUNTERS_CSS
                + f"<table><tr><th colspan=6>{escape(text('app.glossary', language))}</th></tr>{rows}</table>")


@solara.component
def Dashboard(live: LiveModel):
    counter = update_counter.get()
    language = lang.value
    w = section("app", language)
    frame = solara.use_memo(live.frame, [live, counter])
    if live.error:
        solara.Error(f"{w('error')}: {live.error}", classes=["sim-error"])
        return
    terr = live.runs[0].model.territory
    with solara.Column(style={"padding": "8px 16px", "gap": "6px"}):
        with solara.Row(style={"align-items": "baseline", "gap": "24px"}):
            solara.Text(clock(live.clock, language), classes=["sim-clock"],
                        style={"font-size": "1.6rem", "font-weight": "500", "white-space": "nowrap"})
            solara.Text(w("residents", n=terr.population, b=len(terr.building_pop), g=len(terr.grid_xy),
                                              c=len(terr.community_xy), scale=SCALE), style={"color": "#555"})
        solara.Text(w("hint", demand=TEACHING_DEMAND), style={"color": "#888", "font-style": "italic",
                                                                     "font-size": "0.85rem"})
        MapView(live, [view for view, _ in frame], counter, language)
        with solara.Columns([3, 2], gutters_dense=True):
            ChartsView(live, language, int(live.clock // CHART_MINUTES))
            CountersView(live, [c for _, c in frame], language)
        GlossaryView(language)


@solara.component
def Page():
    live = solara.use_memo(lambda: solara.reactive(first_model()), [])
    w = section("app", lang.value)
    with solara.AppBar():
        LanguageSwitch()
    SolaraViz(live, components=[], model_params=model_params(lang.value), name=w("title"), play_interval=PLAY_MS)
    Dashboard(live.value)
