"""Words shown to readers, in English and Chinese, and how each headline figure is written.

Tables, figures and the report share these labels and formats, so a metric is named, formatted
and judged (is more better?) the same way everywhere, in either language.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from sim.clock import DAY

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

    def verdict(self, difference: float, real: bool) -> str:
        """'better' or 'worse' for a real difference, '' otherwise."""
        if not real:
            return ""
        return "better" if (difference > 0) == (self.better > 0) else "worse"


HEADLINE = (
    Metric("resident_hours.mean", "Resident hours per request", "每件居民耗时",
           "the residents' own hours per request (every trip both ways, queue, window, pick-up)",
           "每件事项居民自身耗时（往返路途、排队、办理、领取）", "hours_r", -1),
    Metric("in_person_radius_km.mean", "Service radius in person, mean", "到场办理服务半径 均值",
           "the mean service radius of requests made in person", "到场办理事项的平均服务半径", "km", -1),
    Metric("service_radius_km.mean", "Service radius, all channels (online = 0 km), mean",
           "服务半径 全部渠道（网办=0公里）均值", "the mean service radius over all channels (online and door as 0 km)",
           "全部渠道的平均服务半径（网办和上门按0公里计）", "km", -1),
    Metric("service_radius_km.p90", "Service radius, all channels, 90th pct", "服务半径 全部渠道 90%分位",
           "the 90th-percentile service radius", "服务半径90%分位数", "km", -1),
    Metric("service_radius_km.within_m.1000", "Served within 1,000 m, all channels", "1000米内办理占比 全部渠道",
           "the share served within 1,000 m of home (online and door as 0 m)", "1000米内办理的占比", "share", +1),
    Metric("share_without_trip", "Served without a trip", "零跑动办理占比",
           "the share served without a trip (online or at the door)", "不跑腿办理的占比", "share", +1),
    Metric("access_radius_km.mean", "Access radius, mean", "可达半径 均值",
           "the mean distance to the nearest point that accepts street items", "到最近受理点的平均距离", "km", -1),
    Metric("latency_counting_open_days.restricted_mean", "Time to done counting open requests, restricted mean",
           "办结时长 含未办结 限制均值", "the time to done counting unfinished requests (restricted mean)",
           "计入未办结事项的办结时长（限制均值）", "days", -1),
    Metric("latency_counting_open_days.median", "Time to done counting open requests, median",
           "办结时长 含未办结 中位数", "the median time to done counting unfinished requests",
           "计入未办结事项的办结时长中位数", "days", -1),
    Metric("latency_counting_open_days.unfinished_share", "Unfinished at the end of the run", "运行结束时未办结占比",
           "the share still unfinished at the end of the run", "运行结束时仍未办结的占比", "share", -1),
    Metric("latency_days.mean", "Time to done, finished requests, mean", "办结时长 已办结 均值",
           "the mean time from need to done of finished requests", "已办结事项从需求到办结的平均时长", "days", -1),
    Metric("latency_days.p90", "Time to done, finished requests, 90th pct", "办结时长 已办结 90%分位",
           "the 90th-percentile time to done of finished requests", "已办结事项办结时长90%分位数", "days", -1),
    Metric("trips_per_request", "Trips per request", "每件跑动次数", "trips per request", "每件事项的跑动次数",
           "trips", -1),
    Metric("share_one_trip_or_less", "One trip or less", "最多跑一次占比", "the share done with one trip or less",
           "最多跑一次的占比", "share", +1),
    Metric("per_1000.turned_away", "Turned away, per 1,000 requests", "每千件被拒次数",
           "refusals at the window per 1,000 requests", "每千件事项在窗口被拒的次数", "per1000", -1),
    Metric("per_1000.abandoned", "Abandoned, per 1,000 requests", "每千件放弃办理数",
           "requests abandoned per 1,000", "每千件事项中放弃办理的件数", "per1000", -1),
    Metric("per_1000.complaints", "12345 complaints, per 1,000 requests", "每千件12345投诉数",
           "12345 hotline complaints per 1,000 requests", "每千件事项的12345热线投诉数", "per1000", -1),
    Metric("per_1000.wrong_decisions", "Wrong decisions, per 1,000 requests", "每千件错误决定数",
           "wrong decisions per 1,000 requests", "每千件事项中的错误决定数", "per1000", -1),
    Metric("correction_days.mean", "Days to correct a wrong decision, mean", "错误决定纠正天数 均值",
           "the mean days from a wrong decision to its correction", "从错误决定到纠正的平均天数", "days", -1),
    Metric("staff.fte.total", "Staff in full-time equivalents, idle window time included",
           "工作人员 全职当量（含窗口空闲时间）", "the staff needed in full-time equivalents, idle window time included",
           "所需工作人员全职当量（含窗口空闲时间）", "fte", -1),
    Metric("staff_hours_per_request", "Staff hours per request, busy (back office included)",
           "每件工作人员实际工时（含后台）", "busy staff hours per request, back office included",
           "每件事项的工作人员实际工时（含后台）", "hours", -1),
    Metric("staff.paid_hours_per_request", "Staff hours per request, paid", "每件工作人员计薪工时",
           "paid staff hours per request, idle window time included", "每件事项的计薪工时（含窗口空闲）", "hours", -1),
    Metric("survey.satisfaction.estimate", "Satisfaction, survey", "满意度 调查值",
           "satisfaction as the telephone survey measures it", "电话调查测得的满意度", "share", +1),
    Metric("survey.satisfaction.true", "Satisfaction, true", "满意度 真值",
           "satisfaction among all residents served", "全部服务对象的真实满意度", "share", +1),
)
METRICS = {m.key: m for m in HEADLINE}

UNITS = {  # unit: (en, zh, decimals); shares are written as percentages
    "km": ("km", "公里", 2),
    "days": ("days", "天", 2),
    "trips": ("", "", 2),
    "hours": ("h", "小时", 3),
    "hours_r": ("h", "小时", 2),  # a resident's hours
    "per1000": ("", "", 1),
    "fte": ("FTE", "人", 1),
    "share": ("%", "%", 1),
}

WORDS = {
    "en": {
        "means_title": "Mean over {n} replicates (± half-width of the 95% interval)",
        "diff_title": "Difference from {base} (95% interval); * = real: the interval excludes 0",
        "metric": "Metric", "pp": "pp", "na": "n/a",
        "groups": {"elderly": "Elderly (60+)", "employed": "Employed", "other": "Other"},
        "staff": {"street": "Street staff", "community": "Community staff", "specialist": "Specialists",
                  "specialist_travel": "Specialists' travel", "grid": "Grid workers", "back_office": "Back office"},
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
        "groups": {"elderly": "老年人（60岁以上）", "employed": "在职人员", "other": "其他居民"},
        "staff": {"street": "街道工作人员", "community": "社区工作人员", "specialist": "授权专员",
                  "specialist_travel": "授权专员路途", "grid": "网格员", "back_office": "后台审核"},
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


# ---- the teaching app ------------------------------------------------------------------------------
# Domain terms keep their Chinese name in English too, so a class learns the words it will meet;
# the page also lists them as a glossary.

TERMS = {  # key: (English, Chinese)
    "item": ("Public-service item", "政务服务事项"),
    "model": ("Authorisation model", "授权模式"),
    "new_area": ("New area", "新区"),
    "street": ("Street", "街道"),
    "street_centre": ("Street centre", "街道为民服务中心"),
    "community": ("Community", "社区"),
    "community_station": ("Community station", "社区便民服务站"),
    "grid": ("Grid", "网格"),
    "building": ("Building", "楼栋"),
    "specialist": ("Authorised specialist", "授权专员"),
    "grid_worker": ("Grid worker", "网格员"),
    "proxy": ("Proxy service at the door", "代办"),
    "service_radius": ("Service radius", "服务半径"),
    "latency": ("Time to done", "办结时长"),
    "trips": ("Trips", "跑动次数"),
    "online": ("Online", "掌上办"),
    "weekend": ("Weekend sessions", "5+2 周末延时服务"),
    "terminals": ("24-hour terminals", "白+黑 自助终端"),
    "held": ("Files held for a specialist", "待专员办理"),
    "queue": ("Queue", "排队"),
}


APP_WORDS = {
    "en": {
        "title": "Jiangbei service requests, live",
        "policy": "Authorisation model",
        "versus": "Side by side with",
        "demand": "Demand ×",
        "online": "Online 掌上办 ±",
        "specialists": "Specialists 授权专员 ±",
        "windows": "Community windows ±",
        "weekend": "5+2 weekend sessions",
        "terminals": "白+黑 24-hour terminals",
        "seed": "Seed: same seed, same residents and needs",
        "residents": "{n:,} residents ({scale:.0%} of the street), {b} buildings 楼栋, {g} grids 网格, "
                     "{c} communities 社区",
        "waiting": "Waiting to go",
        "travelling": "Travelling",
        "queueing": "Queueing 排队",
        "served": "At the window",
        "in_progress": "At home, file in progress",
        "worker": "Grid worker 网格员",
        "specialist": "Specialist 授权专员",
        "street_centre": "Street centre 街道中心",
        "community_station": "Community station 社区站",
        "grid": "Grid 网格",
        "building": "Building 楼栋",
        "queue_badge": "queue {n}",
        "held_badge": "held {n}",
        "km": "km",
        "day": "day of the run",
        "radius_axis": "Service radius 服务半径 (km)",
        "latency_axis": "Time to done 办结时长 (days)",
        "mean_so_far": "mean so far",
        "figures": "Figures",
        "glossary": "Glossary",
        "hint": "Change the controls, then press Reset. ± moves the policy file's own value; "
                "demand ×{demand} loads the windows of this cut-down street as the whole street's.",
        "created": "Requests",
        "done": "Done",
        "open": "Open",
        "trips": "Trips 跑动次数 per request",
        "radius_mean": "Service radius 服务半径, mean (km)",
        "latency_mean": "Time to done 办结时长, mean (days)",
        "online_share": "Online 掌上办 or at the door 代办",
        "queue_now": "Queueing now 排队",
        "windows_busy": "Windows busy now",
        "specialists_out": "Specialists 授权专员 on a visit",
        "workers_out": "Grid workers 网格员 at a door",
        "held_now": "Files held for a specialist 待专员办理",
        "week": "Week {w}",
        "days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        "error": "This model cannot be built",
    },
    "zh": {
        "title": "江北新区政务服务请求流转演示",
        "policy": "授权模式",
        "versus": "并排对比",
        "demand": "需求倍数",
        "online": "掌上办意愿 ±",
        "specialists": "授权专员 ±",
        "windows": "社区窗口 ±",
        "weekend": "5+2 周末延时服务",
        "terminals": "白+黑 自助终端",
        "seed": "随机种子：种子相同，居民与需求相同",
        "residents": "居民{n:,}人（全街道的{scale:.0%}），楼栋{b}栋，网格{g}个，社区{c}个",
        "waiting": "待出门",
        "travelling": "在路上",
        "queueing": "排队中",
        "served": "窗口办理中",
        "in_progress": "在家等待结果",
        "worker": "网格员",
        "specialist": "授权专员",
        "street_centre": "街道为民服务中心",
        "community_station": "社区便民服务站",
        "grid": "网格",
        "building": "楼栋",
        "queue_badge": "排队{n}",
        "held_badge": "待办{n}",
        "km": "公里",
        "day": "运行天数",
        "radius_axis": "服务半径（公里）",
        "latency_axis": "办结时长（天）",
        "mean_so_far": "累计均值",
        "figures": "指标",
        "glossary": "术语",
        "hint": "调整参数后按 RESET 生效。± 表示在政策文件原值上增减；"
                "需求×{demand}时，缩小后街道的窗口负荷与全街道相同。",
        "created": "请求数",
        "done": "已办结",
        "open": "办理中",
        "trips": "每件跑动次数",
        "radius_mean": "平均服务半径（公里）",
        "latency_mean": "平均办结时长（天）",
        "online_share": "掌上办或上门代办占比",
        "queue_now": "当前排队人数",
        "windows_busy": "当前忙碌窗口",
        "specialists_out": "驻点授权专员",
        "workers_out": "上门网格员",
        "held_now": "待专员办理件数",
        "week": "第{w}周",
        "days": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
        "error": "无法建立该模型",
    },
}


def app_words(lang: str) -> dict:
    return APP_WORDS["zh" if lang == "zh" else "en"]


def clock(minutes: float, lang: str) -> str:
    """Simulated time as a class reads it: 'Week 1 · Tue 09:00'."""
    w = app_words(lang)
    day, minute = divmod(int(minutes // 1), int(DAY))
    return f"{w['week'].format(w=day // 7 + 1)} · {w['days'][day % 7]} {minute // 60:02d}:{minute % 60:02d}"
