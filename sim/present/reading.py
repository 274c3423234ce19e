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

FINDINGS = ("resident_hours.mean", "in_person_radius_km.mean", "share_without_trip", "access_radius_km.mean",
            "service_radius_km.mean", "latency_counting_open_days.restricted_mean", "trips_per_request",
            "per_1000.turned_away", "per_1000.abandoned", "per_1000.complaints", "per_1000.wrong_decisions",
            "staff.fte.total", "staff_hours_per_request", "survey.satisfaction.true")
UNFINISHED_FLAG = 0.005  # above this share of unfinished requests, a model's time to done is flagged
# A figure whose direction can flip for a reason a reader would not guess, its companion, and why
# (the reason's words are reading.why.<reason> in the text catalogue).
COMPANIONS = (
    ("service_radius_km.mean", "in_person_radius_km.mean", "online"),
    ("trips_per_request", "resident_hours.mean", "trips"),
    ("latency_days.mean", "latency_counting_open_days.restricted_mean", "open"),
    ("staff_hours_per_request", "staff.fte.total", "idle"),
)


def finding(cell) -> bool:
    """A difference worth reading as one: real (its interval excludes 0) and not negligible."""
    return bool(cell["real"]) and not bool(cell["negligible"])


def findings(c) -> list[tuple[str, list[str]]]:
    """Per scenario against the baseline: one sentence per real change, then what did not change and
    what changed by too little to matter (sim.runs.negligible)."""
    t, base = section("reading", c.lang), c.labels[0]
    out = []
    for label in c.labels[1:]:
        changes: list[str] = []
        unchanged: list[str] = []
        negligible: list[str] = []
        for key in FINDINGS:
            row, metric = c.cell(label, key), METRICS[key]
            if row is None or not math.isfinite(row["diff_half_width"]):
                continue
            if not row["real"] or row["negligible"]:
                (negligible if row["real"] else unchanged).append(metric.phrase(c.lang))
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
        if negligible:
            changes.append(t("negligible", phrases=t("and").join(negligible)))
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
    for label in c.labels:
        share = _mean(c, label, "latency_counting_open_days.unfinished_share")
        if math.isfinite(share) and share > UNFINISHED_FLAG:
            out.append(t("unfinished", name=c.names[label], share=value_text(share, "share", c.lang, with_unit=True)))
    return out


def companions(c) -> list[str]:
    """Where a figure and its companion move in opposite directions against the baseline (both
    real differences), say why, so the reader does not take the first at its word."""
    t, out = section("reading", c.lang), []
    for label in c.labels[1:]:
        for first, second, why in COMPANIONS:
            a, b = c.cell(label, first), c.cell(label, second)
            if a is None or b is None or not (finding(a) and finding(b)) or (a["diff"] > 0) == (b["diff"] > 0):
                continue
            out.append(t("flip", name=c.names[label], a=METRICS[first].phrase(c.lang),
                         b=METRICS[second].phrase(c.lang), a_dir=t("up" if a["diff"] > 0 else "down"),
                         b_dir=t("up" if b["diff"] > 0 else "down"), why=t(f"why.{why}")))
    return out


def _mean(c, label: str, metric: str) -> float:
    row = c.cell(label, metric)
    return math.nan if row is None else row["mean"]
