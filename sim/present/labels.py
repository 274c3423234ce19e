"""How each headline figure is named, written and judged, in English and Chinese.

Tables, figures and the report share these labels and formats, so a metric is named, formatted
and judged (is more better?) the same way everywhere, in either language; the words themselves
are in the text catalogue (sim.present.text).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import cache

from sim.clock import DAY, WEEKDAYS
from sim.present.text import LANGS, keys, text



@dataclass(frozen=True)
class Metric:
    """A headline figure: its key in the runs table, its unit and which way is better; its words are
    `metric.<key>.label` and `.phrase` in the text catalogue (a metric without them shows its key)."""

    key: str
    unit: str  # key of DECIMALS, and of `unit.<unit>` in the text catalogue
    better: int  # +1 more is better, -1 less is better, 0 neither
    named: bool = True

    def label(self, lang: str) -> str:
        return text(f"metric.{self.key}.label", lang) if self.named else self.key

    def phrase(self, lang: str) -> str:
        """The figure as it reads inside a sentence."""
        return text(f"metric.{self.key}.phrase", lang) if self.named else self.key

    def verdict(self, difference: float, real: bool) -> str:
        """'better' or 'worse' for a real difference, '' otherwise."""
        if not real:
            return ""
        return "better" if (difference > 0) == (self.better > 0) else "worse"


HEADLINE = (
    Metric("resident_hours.mean", "hours_r", -1),
    Metric("in_person_radius_km.mean", "km", -1),
    Metric("service_radius_km.mean", "km", -1),
    Metric("service_radius_km.p90", "km", -1),
    Metric("service_radius_km.within_m.1000", "share", +1),
    Metric("share_without_trip", "share", +1),
    Metric("access_radius_km.mean", "km", -1),
    Metric("latency_counting_open_days.restricted_mean", "days", -1),
    Metric("latency_counting_open_days.median", "days", -1),
    Metric("latency_counting_open_days.unfinished_share", "share", -1),
    Metric("latency_days.mean", "days", -1),
    Metric("latency_days.p90", "days", -1),
    Metric("trips_per_request", "trips", -1),
    Metric("share_one_trip_or_less", "share", +1),
    Metric("per_1000.turned_away", "per1000", -1),
    Metric("per_1000.abandoned", "per1000", -1),
    Metric("per_1000.complaints", "per1000", -1),
    Metric("per_1000.wrong_decisions", "per1000", -1),
    Metric("correction_days.mean", "days", -1),
    Metric("staff.fte.total", "fte", -1),
    Metric("staff_hours_per_request", "hours", -1),
    Metric("staff.paid_hours_per_request", "hours", -1),
    Metric("survey.satisfaction.estimate", "share", +1),
    Metric("survey.satisfaction.true", "share", +1),
)
METRICS = {m.key: m for m in HEADLINE}

MAX_DECIMALS = 6
DECIMALS = {"km": 2, "days": 2, "trips": 2, "hours": 3, "hours_r": 2, "per1000": 1, "fte": 1, "share": 1}  # shares are written as percentages


def unit_text(unit: str, lang: str, diff: bool = False) -> str:
    """The unit's symbol; a difference of two shares is in percentage points."""
    if unit == "share" and diff:
        return text("words.pp", lang)
    return text(f"unit.{unit}", lang)


def fact_label(fact, lang: str) -> str:
    """A published fact's name with its unit in the reader's language ('网上办理占比' has none: it shows %)."""
    name = fact.label_zh if lang == "zh" else fact.label
    return name if fact.unit == "share" else f"{name} ({unit_text(fact.unit, lang)})"


def metric_label(metric: Metric, lang: str, diff: bool = False) -> str:
    """'Service radius, mean (km)': the label with its unit, for table rows and axes."""
    unit = unit_text(metric.unit, lang, diff)
    return f"{metric.label(lang)} ({unit})" if unit else metric.label(lang)


def value_text(value: float | None, unit: str, lang: str = "en", *, diff: bool = False, signed: bool = False,
               with_unit: bool = False, decimals: int | None = None) -> str:
    """A figure as readers expect it: shares as percentages, differences of shares in points."""
    if value is None or not math.isfinite(value):
        return text("words.na", lang)
    decimals = DECIMALS[unit] if decimals is None else decimals
    scaled = round(value * 100 if unit == "share" else value, decimals) + 0.0
    number = (f"{scaled:+.{decimals}f}" if signed else f"{scaled:.{decimals}f}").replace("-", "−")
    symbol = unit_text(unit, lang, diff)
    if not with_unit or not symbol:
        return number
    return number + ("" if symbol == "%" or lang == "zh" else " ") + symbol


def decimals_for(unit: str, *values: float) -> int:
    """The unit's decimals, or more where a value would round to 0: every nonzero figure shows its
    first significant digit (so a tiny difference never reads +0.0)."""
    scale = 100 if unit == "share" else 1
    out = DECIMALS[unit]
    for v in values:
        v = abs(v * scale) if v is not None and math.isfinite(v) else 0.0
        if 0 < v and round(v, out) == 0:
            out = min(MAX_DECIMALS, max(out, -math.floor(math.log10(v))))
    return out


def scenario_name(meta: dict, lang: str, short: bool = False) -> str:
    """The scenario's name from its [meta] table; short Chinese names stop at the first comma."""
    if lang != "zh":
        return meta["name"]
    return meta["name_zh"].split("，")[0] if short else meta["name_zh"]


def width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    gap = " " * max(0, columns - width(text))
    return gap + text if right else text + gap


# ---- the teaching app ------------------------------------------------------------------------------

def clock(minutes: float, lang: str) -> str:
    """Simulated time as a class reads it: 'Week 1 · Tue 09:00'."""
    day, minute = divmod(int(minutes // 1), int(DAY))
    week, weekday = text("app.week", lang, w=day // 7 + 1), text(f"app.days.{WEEKDAYS[day % 7].lower()}", lang)
    return f"{week} · {weekday} {minute // 60:02d}:{minute % 60:02d}"


def app_words(lang: str) -> dict:
    """The teaching app's words as one dict, for the page and for the browser that draws with
    them: the strings of `app.*`, with the days, speeds, resident states, chart titles, About
    sections and guided questions gathered into lists. Made once per language and shared by
    every page and packet (a page's render and each packet read it), so never changed by its
    readers."""
    return _app_words("zh" if lang == "zh" else "en")


@cache
def _app_words(lang: str) -> dict:
    words: dict = {k: text(f"app.{k}", lang) for k in keys("app") if "." not in k}
    words["days"] = [text(f"app.days.{d.lower()}", lang) for d in WEEKDAYS]
    words["speeds"] = [text(f"app.speeds.{k}", lang) for k in keys("app.speeds") if "." not in k]
    words["states"] = [words[s] for s in ("waiting", "in_progress", "travelling", "queueing", "served")]
    for chart in ("in_person", "hours", "latency"):
        words[f"{chart}_title"] = [words[f"{chart}_title"], words.pop(f"{chart}_subtitle")]
    info = [k for k in keys("app.info") if not k.endswith("_head")]
    words["about_sections"] = [(text(f"app.info.{k}_head", lang), text(f"app.info.{k}", lang)) for k in info]
    words["questions"] = [text(f"app.questions.{k}", lang) for k in keys("app.questions")]
    return words
