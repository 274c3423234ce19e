"""Words shown to readers, in English and Chinese, and how each headline figure is written.

Tables, figures and the report take every label from here, so `--lang zh` changes them all and
a metric is described, formatted and judged (is more better?) the same way everywhere.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Metric:
    """A headline figure: its key in the runs table, its words, its unit and which way is better."""

    key: str
    en: str
    zh: str
    phrase_en: str  # as it reads inside a sentence
    phrase_zh: str
    unit: str  # key of UNITS
    better: int  # +1 more is better, -1 less is better

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def phrase(self, lang: str) -> str:
        return self.phrase_zh if lang == "zh" else self.phrase_en


HEADLINE = (
    Metric("service_radius_km.mean", "Service radius, mean", "服务半径 均值", "the mean service radius",
           "平均服务半径", "km", -1),
    Metric("service_radius_km.p90", "Service radius, 90th pct", "服务半径 90%分位", "the 90th-percentile service radius",
           "服务半径90%分位数", "km", -1),
    Metric("service_radius_km.within_m.1000", "Served within 1,000 m", "1000米内办理占比",
           "the share served within 1,000 m of home", "1000米内办理的占比", "share", +1),
    Metric("access_radius_km.mean", "Access radius, mean", "可达半径 均值",
           "the mean distance to the nearest point that accepts street items", "到最近受理点的平均距离", "km", -1),
    Metric("latency_days.mean", "Latency, mean", "办结时长 均值", "the mean time from need to done",
           "从需求到办结的平均时长", "days", -1),
    Metric("latency_days.p90", "Latency, 90th pct", "办结时长 90%分位", "the 90th-percentile time to done",
           "办结时长90%分位数", "days", -1),
    Metric("trips_per_request", "Trips per request", "每件跑动次数", "trips per request", "每件事项的跑动次数",
           "trips", -1),
    Metric("share_one_trip_or_less", "One trip or less", "最多跑一次占比", "the share done with one trip or less",
           "最多跑一次的占比", "share", +1),
    Metric("staff_hours_per_request", "Staff hours per request", "每件工作人员工时",
           "staff hours per request", "每件事项的工作人员工时", "hours", -1),
    Metric("survey.satisfaction.estimate", "Satisfaction, survey", "满意度 调查值",
           "satisfaction as the telephone survey measures it", "电话调查测得的满意度", "share", +1),
    Metric("survey.satisfaction.true", "Satisfaction, true", "满意度 真值",
           "satisfaction among all residents served", "全部服务对象的真实满意度", "share", +1),
)
METRICS = {m.key: m for m in HEADLINE}

UNITS = {  # unit: (en, zh, decimals); shares are written as percentages
    "km": ("km", "公里", 2),
    "days": ("days", "天", 1),
    "trips": ("", "", 2),
    "hours": ("h", "小时", 2),
    "share": ("%", "%", 1),
}

WORDS = {
    "en": {
        "means_title": "Mean over {n} replicates (± half-width of the 95% interval)",
        "diff_title": "Difference from {base} (95% interval); * = real: the interval excludes 0",
        "metric": "Metric", "pp": "pp", "na": "n/a",
        "cuts": "cuts", "raises": "raises", "by": "by", "against": "against",
        "no_difference": "{name}: no clear difference in {phrase} against {base} (95% CI {low} to {high}).",
        "difference": "{name} {verb} {phrase} by {value} (95% CI {low}–{high}) against {base}.",
        "ci": "95% CI",
        "groups": {"elderly": "Elderly (60+)", "employed": "Employed", "other": "Other"},
        "staff": {"street": "Street staff", "community": "Community staff", "specialist": "Specialists",
                  "specialist_travel": "Specialists' travel", "grid": "Grid workers"},
        "components": {"wait_to_go": "Waiting to go", "travel": "Travel", "queue": "Queue", "service": "Service",
                       "handoff": "Hand-off", "back_office": "Back office", "rework": "Rework",
                       "collection": "Collecting the result"},
        "distance_band": "Distance from home to the street centre",
        "group": "Group of residents",
    },
    "zh": {
        "means_title": "{n}次重复的均值（± 95%置信区间半宽）",
        "diff_title": "与{base}之差（95%置信区间）；* = 显著：区间不含0",
        "metric": "指标", "pp": "个百分点", "na": "无",
        "cuts": "减少", "raises": "增加", "by": "", "against": "",
        "no_difference": "{name}：与{base}相比，{phrase}无明显差别（95%置信区间 {low} 至 {high}）。",
        "difference": "与{base}相比，{name}使{phrase}{verb}{value}（95%置信区间 {low}–{high}）。",
        "ci": "95%置信区间",
        "groups": {"elderly": "老年人（60岁以上）", "employed": "在职人员", "other": "其他居民"},
        "staff": {"street": "街道工作人员", "community": "社区工作人员", "specialist": "授权专员",
                  "specialist_travel": "授权专员路途", "grid": "网格员"},
        "components": {"wait_to_go": "等待出门", "travel": "路途", "queue": "排队", "service": "窗口办理",
                       "handoff": "流转", "back_office": "后台审批", "rework": "补正材料",
                       "collection": "领取结果"},
        "distance_band": "住处到街道中心的距离",
        "group": "居民群体",
    },
}


def words(lang: str) -> dict:
    return WORDS[lang]


def unit_text(unit: str, lang: str, diff: bool = False) -> str:
    """The unit's symbol; a difference of two shares is in percentage points."""
    if unit == "share" and diff:
        return words(lang)["pp"]
    return UNITS[unit][1 if lang == "zh" else 0]


def metric_label(metric: Metric, lang: str, diff: bool = False) -> str:
    """'Service radius, mean (km)': the label with its unit, for table rows and axes."""
    unit = unit_text(metric.unit, lang, diff)
    return f"{metric.label(lang)} ({unit})" if unit else metric.label(lang)


def value_text(value: float | None, unit: str, lang: str = "en", *, diff: bool = False, signed: bool = False,
               with_unit: bool = False) -> str:
    """A figure as readers expect it: shares as percentages, differences of shares in points."""
    if value is None or not math.isfinite(value):
        return words(lang)["na"]
    decimals = UNITS[unit][2]
    scaled = round(value * 100 if unit == "share" else value, decimals) + 0.0
    text = (f"{scaled:+.{decimals}f}" if signed else f"{scaled:.{decimals}f}").replace("-", "−")
    symbol = unit_text(unit, lang, diff)
    if not with_unit or not symbol:
        return text
    return text + ("" if symbol == "%" or lang == "zh" else " ") + symbol


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
