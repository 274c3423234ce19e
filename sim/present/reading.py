"""A plain-language reading of a comparison, generated from its numbers: what each model changes
against the baseline (only where the 95% interval says the change is real), who is left behind,
and whether the telephone survey could have told.
"""

from __future__ import annotations

import math

from sim.present.labels import METRICS, value_text, words
from sim.runs.stats import interval
from sim.measure.survey import Z95

FINDINGS = ("access_radius_km.mean", "service_radius_km.mean", "service_radius_km.within_m.1000", "latency_days.mean",
            "trips_per_request", "share_one_trip_or_less", "staff_hours_per_request", "survey.satisfaction.true")

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
    return out


def _mean(c, label: str, metric: str) -> float:
    row = c.cell(label, metric)
    return math.nan if row is None else row["mean"]
