"""A plain-language reading of a comparison, generated from its numbers: what each model changes
against the baseline (only where the 95% interval says the change is real), who is left behind,
and whether the telephone survey could have told.
"""

from __future__ import annotations

import math

from sim.present.labels import METRICS, value_text, words
from sim.runs.stats import interval
from sim.measure.survey import Z95

FINDINGS = ("resident_hours.mean", "in_person_radius_km.mean", "share_without_trip", "access_radius_km.mean",
            "service_radius_km.mean", "latency_counting_open_days.restricted_mean", "trips_per_request",
            "per_1000.turned_away", "per_1000.abandoned", "per_1000.complaints", "per_1000.wrong_decisions",
            "staff.fte.total", "staff_hours_per_request", "survey.satisfaction.true")
UNFINISHED_FLAG = 0.005  # above this share of unfinished requests, a model's time to done is flagged
# A figure whose direction can flip for a reason a reader would not guess, its companion, and why.
COMPANIONS = (
    ("service_radius_km.mean", "in_person_radius_km.mean", "online"),
    ("trips_per_request", "resident_hours.mean", "trips"),
    ("latency_days.mean", "latency_counting_open_days.restricted_mean", "open"),
    ("staff_hours_per_request", "staff.fte.total", "idle"),
)

TEXT = {
    "en": {
        "lead": "{name} against {base}:",
        "change": "{verb} {phrase} by {value} (95% CI {low}–{high}){judgement}.",
        "cuts": "Cuts", "raises": "Raises", "better": "", "worse": " — worse", "cost": " — a cost",
        "none": "No clear difference in {phrases}.",
        "and": ", ", "sep": "; ",
        "elderly": "Mean service radius of elderly residents: {values} (all residents: {overall}).",
        "far": "Mean time to done for residents living {band} from the street centre: {values}.",
        "pair": "{name} {value}",
        "survey_real": ("True satisfaction under {name} differs from {base} by {true} (95% CI {low} to {high}). "
                        "A single run's survey, about {n:,.0f} respondents per model, estimates the difference at "
                        "{survey} on average, each time ± {margin}, and calls it real in {detected} of {replicates} "
                        "replicates (power about {power:.0%}); 80% power would take about {needed} respondents "
                        "per model."),
        "survey_none": ("Satisfaction under {name} is not clearly different from {base} (true difference {true}, "
                        "95% CI {low} to {high}); a survey of about {n:,.0f} respondents per model calls a "
                        "difference real in {detected} of {replicates} replicates, which is chance."),
        "survey_bias": ("Over all runs the survey's estimate sits {bias} {side} the true satisfaction (95% CI "
                        "{low}–{high}), a bias of the order of a single survey's margin of ± {margin}: the survey's "
                        "design, not only its size, limits what it can see."),
        "below": "below", "above": "above",
        "failed": "{k} of {total} runs failed and are left out: {names}. See runs/<name>/error.json.",
        "one_replicate": "With a single replicate there are no intervals: rerun with --replicates 2 or more.",
        "unfinished": ("{name} leaves {share} of requests unfinished at the end of the run (above 0.5%): its mean "
                       "time to done of finished requests hides them; read the time to done counting open "
                       "requests instead."),
        "flip": "{name}: {a} {a_dir} while {b} {b_dir}. {why}",
        "up": "rises", "down": "falls",
        "why": {
            "online": "The all-channel radius counts online and door requests as 0 km, so moving residents from "
                      "online to a nearby station raises it although the station is nearer; the in-person radius "
                      "is the distance people actually go.",
            "trips": "Trips count visits, not their length: a short walk to a community station counts as much as "
                     "a 45-minute ride; resident hours weigh each trip by the time it takes.",
            "open": "The mean of finished requests leaves out those still open at the end; counting them "
                    "(Kaplan-Meier restricted mean) shows the time residents really wait.",
            "idle": "Busy hours count only time spent on requests; full-time equivalents also count the paid "
                    "window time when nobody comes, which grows with every station staffed.",
        },
    },
    "zh": {
        "lead": "{name}与{base}相比：",
        "change": "{phrase}{verb}{value}（95%置信区间 {low}–{high}）{judgement}。",
        "cuts": "减少", "raises": "增加", "better": "", "worse": "，变差", "cost": "，成本增加",
        "none": "{phrases}无明显差别。",
        "and": "、", "sep": "；",
        "elderly": "老年人的平均服务半径：{values}（全体居民：{overall}）。",
        "far": "住处距街道中心{band}的居民，事项平均办结时长：{values}。",
        "pair": "{name} {value}",
        "survey_real": ("{name}的真实满意度与{base}相差{true}（95%置信区间 {low} 至 {high}）。单次模拟的电话调查"
                        "（每个模式约{n:,.0f}名受访者）估计的差异平均为{survey}，每次误差 ± {margin}，在{replicates}次"
                        "重复中有{detected}次判定差异显著（检验功效约{power:.0%}）；每个模式约需{needed}名受访者才能"
                        "达到80%功效。"),
        "survey_none": ("{name}的满意度与{base}无明显差别（真实差异{true}，95%置信区间 {low} 至 {high}）；"
                        "每个模式约{n:,.0f}名受访者的调查在{replicates}次重复中有{detected}次判定显著，属偶然。"),
        "survey_bias": ("所有模拟中，调查估计值平均{side}真实满意度{bias}（95%置信区间 {low}–{high}），"
                        "与单次调查的误差 ± {margin} 相当：限制调查所见的不仅是样本量，还有调查设计。"),
        "below": "低于", "above": "高于",
        "failed": "{total}次模拟中有{k}次失败，未计入：{names}。详见 runs/<名称>/error.json。",
        "one_replicate": "只有一次重复，无法给出置信区间：请用 --replicates 2 或更多重新运行。",
        "unfinished": ("{name}在运行结束时仍有{share}的事项未办结（超过0.5%）：已办结事项的平均办结时长掩盖了它们；"
                       "请看计入未办结事项的办结时长。"),
        "flip": "{name}：{a}{a_dir}，而{b}{b_dir}。{why}",
        "up": "上升", "down": "下降",
        "why": {
            "online": "全部渠道的服务半径把网办和上门按0公里计，居民从网办转到附近站点办理时它反而上升，"
                      "尽管站点更近；到场办理的服务半径才是居民实际走的距离。",
            "trips": "跑动次数只数次数不计远近：步行到社区站与乘车45分钟去街道中心算同样一次；居民耗时按每次所花时间计。",
            "open": "已办结事项的均值不计运行结束时仍未办结的事项；计入它们（Kaplan-Meier 限制均值）才是居民实际等待的时间。",
            "idle": "实际工时只计办理事项的时间；全职当量还计入无人来办时的窗口计薪时间，每多设一个站点都会增加。",
        },
    },
}


def findings(c) -> list[tuple[str, list[str]]]:
    """Per scenario against the baseline: one sentence per real change, then what did not change."""
    text, base = TEXT[c.lang], c.labels[0]
    out = []
    for label in c.labels[1:]:
        changes, unchanged = [], []
        for key in FINDINGS:
            row, metric = c.cell(label, key), METRICS[key]
            if row is None or not math.isfinite(row["diff_half_width"]):
                continue
            if not row["real"]:
                unchanged.append(metric.phrase(c.lang))
                continue
            lower = row["diff"] < 0
            low, high = (-row["diff_high"], -row["diff_low"]) if lower else (row["diff_low"], row["diff_high"])
            judgement = metric.verdict(row["diff"], True)
            judgement = "cost" if judgement == "worse" and metric.unit == "hours" else judgement
            changes.append(text["change"].format(
                verb=text["cuts" if lower else "raises"], phrase=metric.phrase(c.lang),
                value=value_text(abs(row["diff"]), metric.unit, c.lang, diff=True, with_unit=True),
                low=value_text(low, metric.unit, c.lang, diff=True),
                high=value_text(high, metric.unit, c.lang, diff=True, with_unit=True), judgement=text[judgement]))
        if unchanged:
            changes.append(text["none"].format(phrases=text["and"].join(unchanged)))
        if changes:
            out.append((text["lead"].format(name=c.names[label], base=c.names[base]), changes))
    return out


def left_behind(c, far_band: str) -> list[str]:
    """The elderly's service radius and the farthest residents' latency, scenario by scenario."""
    text = TEXT[c.lang]

    def values(metric: str, unit: str) -> str:
        return text["sep"].join(
            text["pair"].format(name=c.short[lb], value=value_text(_mean(c, lb, metric), unit, c.lang, with_unit=True))
            for lb in c.labels)

    return [
        text["elderly"].format(values=values("by_group.elderly.service_radius_km_mean", "km"),
                               overall=values("service_radius_km.mean", "km")),
        text["far"].format(band=far_band, values=values(f"by_group.distance_band.{far_band}.latency_days_mean",
                                                        "days")),
    ]


def survey_notes(c) -> list[str]:
    """Whether one run's survey would see the satisfaction differences the simulation knows, and
    how far its estimate sits from the truth."""
    text, out = TEXT[c.lang], []
    for row in c.survey.to_dict("records"):
        if not math.isfinite(row["true_diff"]):
            continue
        out.append(text["survey_real" if row["true_real"] else "survey_none"].format(
            name=c.names[row["label"]], base=c.names[c.labels[0]],
            true=_share(row["true_diff"], c.lang, unit=True), low=_share(row["true_low"], c.lang),
            high=_share(row["true_high"], c.lang), n=row["respondents"],
            survey=_share(row["survey_diff"], c.lang, unit=True),
            margin=value_text(row["survey_margin"], "share", c.lang, diff=True, with_unit=True),
            detected=row["detected"], replicates=row["replicates"],
            power=row["power"] if math.isfinite(row["power"]) else 0.0, needed=_rounded(row["respondents_for_80"], c.lang)))
    ok = c.runs[c.runs["status"] == "ok"]
    if "survey.satisfaction.estimate" in ok:
        bias = interval(ok["survey.satisfaction.estimate"] - ok["survey.satisfaction.true"])
        margin = Z95 * ok["survey.satisfaction.se"].mean()
        if bias.excludes_zero and abs(bias.mean) > margin / 2:
            low, high = sorted((abs(bias.low), abs(bias.high)))
            out.append(text["survey_bias"].format(
                bias=value_text(abs(bias.mean), "share", c.lang, diff=True, with_unit=True),
                side=text["below" if bias.mean < 0 else "above"], low=value_text(low, "share", c.lang, diff=True),
                high=value_text(high, "share", c.lang, diff=True, with_unit=True),
                margin=value_text(margin, "share", c.lang, diff=True, with_unit=True)))
    return out


def _share(value: float, lang: str, unit: bool = False) -> str:
    return value_text(value, "share", lang, diff=True, signed=True, with_unit=unit)


def _rounded(n: float, lang: str) -> str:
    """A head count to two significant figures: planners need its size, not its last digit."""
    if not math.isfinite(n) or n <= 0:
        return words(lang)["na"]
    digits = max(0, math.floor(math.log10(n)) - 1)
    return f"{round(n, -digits):,.0f}"


def caveats(c) -> list[str]:
    text, out = TEXT[c.lang], []
    failed = c.failed()
    if failed:
        out.append(text["failed"].format(k=len(failed), total=len(c.tasks), names=", ".join(failed)))
    if c.replicates < 2:
        out.append(text["one_replicate"])
    for label in c.labels:
        share = _mean(c, label, "latency_counting_open_days.unfinished_share")
        if math.isfinite(share) and share > UNFINISHED_FLAG:
            out.append(text["unfinished"].format(name=c.names[label],
                                                 share=value_text(share, "share", c.lang, with_unit=True)))
    return out


def companions(c) -> list[str]:
    """Where a figure and its companion move in opposite directions against the baseline (both
    real differences), say why, so the reader does not take the first at its word."""
    text, out = TEXT[c.lang], []
    for label in c.labels[1:]:
        for first, second, why in COMPANIONS:
            a, b = c.cell(label, first), c.cell(label, second)
            if a is None or b is None or not (a["real"] and b["real"]) or (a["diff"] > 0) == (b["diff"] > 0):
                continue
            out.append(text["flip"].format(
                name=c.names[label], a=METRICS[first].phrase(c.lang), b=METRICS[second].phrase(c.lang),
                a_dir=text["up" if a["diff"] > 0 else "down"], b_dir=text["up" if b["diff"] > 0 else "down"],
                why=text["why"][why]))
    return out


def _mean(c, label: str, metric: str) -> float:
    row = c.cell(label, metric)
    return math.nan if row is None else row["mean"]
