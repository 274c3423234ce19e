"""A plain-language reading of a comparison, generated from its numbers: what each model changes
against the baseline (only where the 95% interval says the change is real), who is left behind,
and whether the telephone survey could have told.
"""

from __future__ import annotations

import math

from .labels import METRICS, value_text

FINDINGS = ("service_radius_km.mean", "service_radius_km.within_m.1000", "latency_days.mean", "trips_per_request",
            "share_one_trip_or_less", "staff_hours_per_request", "survey.satisfaction.true")

TEXT = {
    "en": {
        "change": "{verb} {phrase} by {value} (95% CI {low}–{high}){judgement}",
        "cuts": "cuts", "raises": "raises", "better": "", "worse": " — worse",
        "cost": " — a cost",
        "none": "no clear difference in {phrases}",
        "scenario": "{name} against {base}: {findings}.",
        "join": "; ", "and": " or ",
        "elderly": "Elderly residents' mean service radius: {values} (all residents: {overall}).",
        "far": "Residents living {band} from the street centre wait {values} on average for an item to be done.",
        "pair": "{name} {value}",
        "survey_real": ("True satisfaction under {name} differs from {base} by {true} (95% CI {low} to {high}). "
                        "One run's telephone survey, about {n:,.0f} respondents per model, estimates "
                        "{survey} ± {margin} and calls the difference real in {detected} of {replicates} replicates "
                        "(power about {power:.0%}); about {needed} respondents per model would give 80% power."),
        "survey_none": ("Satisfaction under {name} is not clearly different from {base} (true difference {true}, "
                        "95% CI {low} to {high}); a survey of about {n:,.0f} respondents per model calls a "
                        "difference real in {detected} of {replicates} replicates, which is chance."),
        "failed": "{k} of {total} runs failed and are left out: {names}. See runs/<name>/error.json.",
        "one_replicate": "With a single replicate there are no intervals: rerun with --replicates 2 or more.",
    },
    "zh": {
        "change": "{phrase}{verb}{value}（95%置信区间 {low}–{high}）{judgement}",
        "cuts": "减少", "raises": "增加", "better": "", "worse": "，变差", "cost": "，成本增加",
        "none": "{phrases}无明显差别",
        "scenario": "{name}与{base}相比：{findings}。",
        "join": "；", "and": "、",
        "elderly": "老年人的平均服务半径：{values}（全体居民：{overall}）。",
        "far": "住处距街道中心{band}的居民，事项平均办结时长：{values}。",
        "pair": "{name} {value}",
        "survey_real": ("{name}的真实满意度与{base}相差{true}（95%置信区间 {low} 至 {high}）。单次模拟的电话调查"
                        "（每个模式约{n:,.0f}名受访者）估计为{survey} ± {margin}，在{replicates}次重复中有{detected}次"
                        "判定差异显著（检验功效约{power:.0%}）；每个模式约需{needed}名受访者才能达到80%功效。"),
        "survey_none": ("{name}的满意度与{base}无明显差别（真实差异{true}，95%置信区间 {low} 至 {high}）；"
                        "每个模式约{n:,.0f}名受访者的调查在{replicates}次重复中有{detected}次判定显著，属偶然。"),
        "failed": "{total}次模拟中有{k}次失败，未计入：{names}。详见 runs/<名称>/error.json。",
        "one_replicate": "只有一次重复，无法给出置信区间：请用 --replicates 2 或更多重新运行。",
    },
}


def findings(c) -> list[str]:
    """One sentence per scenario against the baseline, real changes first, then what did not change."""
    text, base = TEXT[c.lang], c.labels[0]
    out = []
    for label in c.labels[1:]:
        changes, unchanged = [], []
        for key in FINDINGS:
            row, metric = c.cell(label, key), METRICS[key]
            if row is None or not math.isfinite(row["diff"]):
                continue
            if not row["real"]:
                unchanged.append(metric.phrase(c.lang))
                continue
            lower = row["diff"] < 0
            low, high = (-row["diff_high"], -row["diff_low"]) if lower else (row["diff_low"], row["diff_high"])
            judgement = "better" if (row["diff"] > 0) == (metric.better > 0) else \
                ("cost" if metric.unit == "hours" else "worse")
            changes.append(text["change"].format(
                verb=text["cuts" if lower else "raises"], phrase=metric.phrase(c.lang),
                value=value_text(abs(row["diff"]), metric.unit, c.lang, diff=True, with_unit=True),
                low=value_text(low, metric.unit, c.lang, diff=True),
                high=value_text(high, metric.unit, c.lang, diff=True, with_unit=True), judgement=text[judgement]))
        if unchanged:
            changes.append(text["none"].format(phrases=text["and"].join(unchanged)))
        if changes:
            out.append(text["scenario"].format(name=c.names[label], base=c.names[base],
                                               findings=text["join"].join(changes)))
    return out


def left_behind(c, far_band: str) -> list[str]:
    """The elderly's service radius and the farthest residents' latency, scenario by scenario."""
    text = TEXT[c.lang]

    def values(metric: str, unit: str) -> str:
        return text["join"].join(
            text["pair"].format(name=c.short[lb], value=value_text(_mean(c, lb, metric), unit, c.lang, with_unit=True))
            for lb in c.labels)

    return [
        text["elderly"].format(values=values("by_group.elderly.service_radius_km_mean", "km"),
                               overall=values("service_radius_km.mean", "km")),
        text["far"].format(band=far_band, values=values(f"by_group.distance_band.{far_band}.latency_days_mean",
                                                        "days")),
    ]


def survey_notes(c) -> list[str]:
    """Whether one run's survey would see the satisfaction differences the simulation knows."""
    text, out = TEXT[c.lang], []
    for row in c.survey.to_dict("records"):
        if not math.isfinite(row["true_diff"]):
            continue
        real = math.isfinite(row["true_low"]) and (row["true_low"] > 0 or row["true_high"] < 0)
        needed = row["respondents_for_80"]
        out.append(text["survey_real" if real else "survey_none"].format(
            name=c.names[row["label"]], base=c.names[c.labels[0]],
            true=value_text(row["true_diff"], "share", c.lang, diff=True, signed=True, with_unit=True),
            low=value_text(row["true_low"], "share", c.lang, diff=True, signed=True),
            high=value_text(row["true_high"], "share", c.lang, diff=True, signed=True),
            n=row["respondents"], survey=value_text(row["survey_diff"], "share", c.lang, diff=True, signed=True),
            margin=value_text(row["survey_margin"], "share", c.lang, diff=True, with_unit=True),
            detected=row["detected"], replicates=row["replicates"],
            power=row["power"] if math.isfinite(row["power"]) else 0.0,
            needed=f"{needed:,.0f}" if math.isfinite(needed) else "n/a"))
    return out


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
