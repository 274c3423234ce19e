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
    Metric("service_radius_km.mean", "Service radius, mean", "服务半径 均值", "the mean service radius",
           "平均服务半径", "km", -1),
    Metric("service_radius_km.p90", "Service radius, 90th pct", "服务半径 90%分位",
           "the 90th-percentile service radius", "服务半径90%分位数", "km", -1),
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
    "days": ("days", "天", 2),
    "trips": ("", "", 2),
    "hours": ("h", "小时", 3),
    "share": ("%", "%", 1),
}

WORDS = {
    "en": {
        "means_title": "Mean over {n} replicates (± half-width of the 95% interval)",
        "diff_title": "Difference from {base} (95% interval); * = real: the interval excludes 0",
        "metric": "Metric", "pp": "pp", "na": "n/a",
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
        "about": "About",
        "close": "Close",
        "policy": "Authorisation model 授权模式",
        "versus": "Side by side with",
        "none": "nothing (one model)",
        "load": "Load",
        "load_value": "{pct}% of a real street's requests",
        "online": "Online 掌上办 preference",
        "online_value": "{change:+.1f} on the policy file's value",
        "specialists": "Specialists 授权专员",
        "specialists_value": "{counts}",
        "weekend": "5+2 weekend sessions",
        "terminals": "白+黑 24-hour terminals",
        "as_file": "as the policy file says",
        "on": "on",
        "off": "off",
        "seed": "Seed (same seed: same needs)",
        "seed_error": "the seed is a whole number",
        "reset": "Reset",
        "reset_pending": "Apply and restart",
        "pending": "{n} change(s) not applied yet: press Apply and restart",
        "changed": "changed, not applied",
        "play": "Play",
        "pause": "Pause",
        "speed": "Speed",
        "speeds": ["1 h/s", "3 h/s", "8 h/s", "1 day/s"],
        "finished": "Run finished: every week of the policy file simulated. Press Reset to run again.",
        "map_alt": "Live map of the street: residents with an open request are dots shaped by state; queues and "
                   "held files are badges at the points",
        "charts_alt": "Charts: mean service radius so far, and time to done by the day the need arose",
        "legend": "Legend",
        "states": ["Waiting to go", "At home, file in progress", "Travelling", "Queueing 排队", "At the window"],
        "waiting": "Waiting to go",
        "travelling": "Travelling",
        "queueing": "Queueing 排队",
        "served": "At the window",
        "in_progress": "At home, file in progress",
        "worker": "Grid worker 网格员",
        "specialist": "Specialist 授权专员",
        "street_centre": "Street centre 街道中心",
        "community_station": "Community station 社区站",
        "queue_badge": "in the queue 排队",
        "held_badge": "files held for a specialist 待专员办理",
        "km": "km",
        "radius_title": ["Service radius 服务半径 (km)", "mean of the requests done so far"],
        "latency_title": ["Time to done 办结时长 (days)", "mean, by the day the need arose"],
        "day": "day of the run",
        "need_day": "day the need arose",
        "filling": "still filling: long requests not done yet",
        "readout_radius": "radius",
        "readout_latency": "time to done",
        "readout_radius_wait": "Radius: waiting for the first requests to be done",
        "readout_latency_wait": "Time to done: waiting for the first days to settle",
        "readout_one": "{name}: {what} {value}",
        "readout_two": "{name}: {what} {change} vs {base}",
        "residents": "{n:,} residents ({scale:.0%} of the street), {b} buildings 楼栋, {g} grids 网格, "
                     "{c} communities 社区",
        "created": "Requests",
        "done": "Done",
        "open": "Open",
        "trips": "Trips 跑动次数 per request",
        "online_share": "Online 掌上办 or door 代办",
        "queue_now": "Queueing now 排队",
        "held_now": "Held files 待专员办理",
        "specialists_out": "Specialists on a visit",
        "workers_out": "Grid workers at a door",
        "week": "Week {w}",
        "days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        "error": "This model cannot be built",
        "go_there": "Go to this moment",
        "about_sections": [
            ("What is it?", "A street of Jiangbei New Area, cut down to a few thousand residents, where each "
             "resident's needs for public-service items 政务服务事项 become requests. Two authorisation models run "
             "side by side on the same residents and the same needs, so every difference on screen comes from the "
             "policy."),
            ("How it works", "A resident with a need waits until going is worth it, travels to the point the "
             "policy sends them to, queues, is served at a window, and waits at home while the file is decided; "
             "grid workers 网格员 call at doors, specialists 授权专员 visit communities on a rota."),
            ("How to use it", "Pick the models, press Play and choose a speed. The other controls change the "
             "policy file's values; they are marked until you press Apply and restart."),
            ("What a dot means", "One resident with an open request. Circle: waiting to go; ring: at home, "
             "file in progress; triangle: travelling; square: queueing; diamond: at the window. Black plus: a grid "
             "worker; star: a specialist (filled when on a visit)."),
            ("Things to notice", "The service radius is how far a resident went for a request; time to done is "
             "from need to result. Time to done is drawn by the day the need arose: the last days are still "
             "filling, so their dip is not better service."),
        ],
        "policies_title": "The models",
        "questions_title": "Questions to explore",
        "questions": [
            ((7 * 24 + 10) * 60, "Monday of week 2 at 10:00: look at the street centre on both maps. Where do "
             "the queues form, and who is travelling furthest?"),
            ((8 * 24 + 11) * 60, "Tuesday of week 2 at 11:00: find the stars. What happens at a community "
             "while its specialist is there, and to the held files when they are not?"),
            ((12 * 24 + 11) * 60, "Saturday of week 2 at 11:00: which points are open at the weekend? Turn 5+2 "
             "on, apply and come back."),
            ((28 * 24 + 12) * 60, "Week 5: read the two readouts. Which model shortens the radius, and does "
             "that make requests done sooner?"),
        ],
    },
    "zh": {
        "title": "江北新区政务服务请求流转演示",
        "about": "说明",
        "close": "关闭",
        "policy": "授权模式",
        "versus": "并排对比",
        "none": "不对比（只看一种模式）",
        "load": "需求量",
        "load_value": "相当于真实街道需求的{pct}%",
        "online": "掌上办意愿",
        "online_value": "在政策文件原值上{change:+.1f}",
        "specialists": "授权专员",
        "specialists_value": "{counts}",
        "weekend": "5+2 周末延时服务",
        "terminals": "白+黑 自助终端",
        "as_file": "按政策文件",
        "on": "开启",
        "off": "关闭",
        "seed": "随机种子（种子相同，居民与需求相同）",
        "seed_error": "随机种子须为整数",
        "reset": "重置",
        "reset_pending": "应用并重新开始",
        "pending": "有{n}项改动尚未生效：请按“应用并重新开始”",
        "changed": "已改动，未生效",
        "play": "播放",
        "pause": "暂停",
        "speed": "速度",
        "speeds": ["每秒1小时", "每秒3小时", "每秒8小时", "每秒1天"],
        "finished": "运行结束：政策文件规定的各周均已模拟。按“重置”可重新运行。",
        "map_alt": "街道实时地图：有在办请求的居民以不同形状的点表示其状态；各服务点标出排队人数和待办件数",
        "charts_alt": "图表：累计平均服务半径，以及按需求产生日期统计的办结时长",
        "legend": "图例",
        "states": ["待出门", "在家等待结果", "在路上", "排队中", "窗口办理中"],
        "waiting": "待出门",
        "travelling": "在路上",
        "queueing": "排队中",
        "served": "窗口办理中",
        "in_progress": "在家等待结果",
        "worker": "网格员",
        "specialist": "授权专员",
        "street_centre": "街道为民服务中心",
        "community_station": "社区便民服务站",
        "queue_badge": "排队人数",
        "held_badge": "待专员办理件数",
        "km": "公里",
        "radius_title": ["服务半径（公里）", "已办结请求的累计均值"],
        "latency_title": ["办结时长（天）", "按需求产生日统计的均值"],
        "day": "运行天数",
        "need_day": "需求产生日",
        "filling": "尚在累积：耗时长的请求还未办结",
        "readout_radius": "服务半径",
        "readout_latency": "办结时长",
        "readout_radius_wait": "服务半径：等待首批请求办结",
        "readout_latency_wait": "办结时长：等待最初几天的请求基本办结",
        "readout_one": "{name}：{what}{value}",
        "readout_two": "{name}：{what}比{base}{change}",
        "residents": "居民{n:,}人（全街道的{scale:.0%}），楼栋{b}栋，网格{g}个，社区{c}个",
        "created": "请求数",
        "done": "已办结",
        "open": "办理中",
        "trips": "每件跑动次数",
        "online_share": "掌上办或上门代办占比",
        "queue_now": "当前排队人数",
        "held_now": "待专员办理件数",
        "specialists_out": "驻点授权专员",
        "workers_out": "上门网格员",
        "week": "第{w}周",
        "days": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
        "error": "无法建立该模型",
        "go_there": "跳到这一时刻",
        "about_sections": [
            ("这是什么？", "江北新区的一条街道，缩小为几千名居民；每位居民对政务服务事项的需求变成一件件请求。"
             "两种授权模式在相同的居民、相同的需求上并排运行，屏幕上的差别都来自政策本身。"),
            ("如何运作", "有需求的居民等到值得出门时，前往政策指定的服务点，排队，在窗口办理，"
             "然后在家等待审批结果；网格员上门服务，授权专员按轮值表驻点社区。"),
            ("如何使用", "选择要比较的模式，按“播放”并选择速度。其余参数在政策文件原值上调整，"
             "改动会被标出，按“应用并重新开始”后生效。"),
            ("一个点代表什么", "一位有在办请求的居民。圆点：待出门；圆环：在家等待结果；三角：在路上；"
             "方块：排队中；菱形：窗口办理中。黑色十字：网格员；星形：授权专员（驻点时为实心）。"),
            ("值得注意", "服务半径是居民为办一件事走了多远；办结时长是从需求产生到拿到结果。"
             "办结时长按需求产生日绘制：最近几天尚在累积，那里的下降并不代表服务变好。"),
        ],
        "policies_title": "各种模式",
        "questions_title": "探究问题",
        "questions": [
            ((7 * 24 + 10) * 60, "第2周周一10:00：看两张地图上的街道中心。队伍排在哪里？谁走得最远？"),
            ((8 * 24 + 11) * 60, "第2周周二11:00：找到星形。授权专员驻点时社区里发生了什么？"
             "专员不在时，待办件数如何变化？"),
            ((12 * 24 + 11) * 60, "第2周周六11:00：周末哪些服务点开放？开启“5+2”，应用后再回到这一时刻。"),
            ((28 * 24 + 12) * 60, "第5周：读一读两行对比结果。哪种模式缩短了服务半径？请求是否因此更快办结？"),
        ],
    },
}


def app_words(lang: str) -> dict:
    return APP_WORDS["zh" if lang == "zh" else "en"]


def clock(minutes: float, lang: str) -> str:
    """Simulated time as a class reads it: 'Week 1 · Tue 09:00'."""
    w = app_words(lang)
    day, minute = divmod(int(minutes // 1), int(DAY))
    return f"{w['week'].format(w=day // 7 + 1)} · {w['days'][day % 7]} {minute // 60:02d}:{minute % 60:02d}"
