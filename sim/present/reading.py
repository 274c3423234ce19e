"""A plain-language reading of a comparison, generated from its numbers: what each model changes
against the baseline (only where the 95% interval says the change is real), who is left behind,
and whether the telephone survey could have told.
"""

from __future__ import annotations

import math

from sim.present.labels import METRICS, value_text
from sim.present.text import section, text
from sim.runs.stats import interval
from sim.measure.survey import Z95

FINDINGS = ("access_radius_km.mean", "service_radius_km.mean", "service_radius_km.within_m.1000", "latency_days.mean",
            "trips_per_request", "share_one_trip_or_less", "staff_hours_per_request", "survey.satisfaction.true")


def findings(c) -> list[tuple[str, list[str]]]:
    """Per scenario against the baseline: one sentence per real change, then what did not change."""
    t, base = section("reading", c.lang), c.labels[0]
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
            changes.append(t("change",
                verb=t("cuts" if lower else "raises"), phrase=metric.phrase(c.lang),
                value=value_text(abs(row["diff"]), metric.unit, c.lang, diff=True, with_unit=True),
                low=value_text(low, metric.unit, c.lang, diff=True),
                high=value_text(high, metric.unit, c.lang, diff=True, with_unit=True), judgement=t(judgement)))
        if unchanged:
            changes.append(t("none", phrases=t("and").join(unchanged)))
        if changes:
            out.append((t("lead", name=c.names[label], base=c.names[base]), changes))
    return out


def left_behind(c, far_band: str) -> list[str]:
    """The elderly's service radius and the farthest residents' latency, scenario by scenario."""
    t = section("reading", c.lang)

    def values(metric: str, unit: str) -> str:
        return t("sep").join(
            t("pair", name=c.short[lb], value=value_text(_mean(c, lb, metric), unit, c.lang, with_unit=True))
            for lb in c.labels)

    return [
        t("elderly", values=values("by_group.elderly.service_radius_km_mean", "km"),
                               overall=values("service_radius_km.mean", "km")),
        t("far", band=far_band, values=values(f"by_group.distance_band.{far_band}.latency_days_mean",
                                                        "days")),
    ]


def survey_notes(c) -> list[str]:
    """Whether one run's survey would see the satisfaction differences the simulation knows, and
    how far its estimate sits from the truth."""
    t, out = section("reading", c.lang), []
    for row in c.survey.to_dict("records"):
        if not math.isfinite(row["true_diff"]):
            continue
        out.append(t("survey_real" if row["true_real"] else "survey_none",
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
            out.append(t("survey_bias",
                bias=value_text(abs(bias.mean), "share", c.lang, diff=True, with_unit=True),
                side=t("below" if bias.mean < 0 else "above"), low=value_text(low, "share", c.lang, diff=True),
                high=value_text(high, "share", c.lang, diff=True, with_unit=True),
                margin=value_text(margin, "share", c.lang, diff=True, with_unit=True)))
    return out


def _share(value: float, lang: str, unit: bool = False) -> str:
    return value_text(value, "share", lang, diff=True, signed=True, with_unit=unit)


def _rounded(n: float, lang: str) -> str:
    """A head count to two significant figures: planners need its size, not its last digit."""
    if not math.isfinite(n) or n <= 0:
        return text("words.na", lang)
    digits = max(0, math.floor(math.log10(n)) - 1)
    return f"{round(n, -digits):,.0f}"


def caveats(c) -> list[str]:
    t, out = section("reading", c.lang), []
    failed = c.failed()
    if failed:
        out.append(t("failed", k=len(failed), total=len(c.tasks), names=", ".join(failed)))
    if c.replicates < 2:
        out.append(t("one_replicate"))
    return out


def _mean(c, label: str, metric: str) -> float:
    row = c.cell(label, metric)
    return math.nan if row is None else row["mean"]
