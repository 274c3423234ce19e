"""An experiment written for people: the terminal tables, and report.md and report.html (figures
embedded) with the design, a plain reading, main effects and interactions.

Rendered from one list of blocks by sim.report, as the comparison's report is, so both documents
always say the same thing.
"""

from __future__ import annotations

import math
import os
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy.stats import t as student

from sim.runs.effects import lookup
from sim.present.labels import METRICS, Metric, metric_label, value_text
from sim.present.reading import finding
from sim.present.report import diff_text, mean_text, text_table, write_documents
from sim.present.text import columns, section, text
from sim.runs.stats import LEVEL
from sim.scenario.config import config
from sim.world.territory import build_territory

ALIASES = {"survey.satisfaction": "survey.satisfaction.estimate"}  # short names sim.measure.metrics.headline adds


def metric_of(key: str) -> Metric:
    """The headline metric of a runs-table column; other columns get a plain, unjudged label."""
    key = ALIASES.get(key, key)
    return METRICS.get(key) or Metric(key, "trips", 0, named=False)


def pairs(r) -> list[tuple[str, str]]:
    return list(combinations(r.factors, 2))


def compared(r, factor: str) -> list[tuple[str, str]]:
    """(level, reference) of each level of `factor` that is compared with another, in order."""
    rows = r.effects[(r.effects["kind"] == "difference") & (r.effects["factor"] == factor)]
    return list(dict.fromkeys(zip(rows["level"], rows["base"])))


def contrasted(r, fa: str, fb: str) -> list[tuple[str, str, str, str]]:
    """(a, a0, b, b0) of each interaction contrast of the pair, in order."""
    e = r.effects
    rows = e[(e["kind"] == "interaction") & (e["factor"] == fa) & (e["factor_b"] == fb)]
    return list(dict.fromkeys(zip(rows["level"], rows["base"], rows["level_b"], rows["base_b"])))


def _row(r, metric: str, kind: str, factor: str, level: str, factor_b: str = "", level_b: str = ""):
    return lookup(r.effects, metric, kind, factor, level, factor_b, level_b)


def _mean(row, metric: Metric, lang: str) -> str:
    return text("words.na", lang) if row is None else \
        mean_text(row["n"], row["estimate"], row["half_width"], metric.unit, lang)


def _diff(row, metric: Metric, lang: str) -> str:
    return text("words.na", lang) if row is None else \
        diff_text(row["n"], row["estimate"], row["half_width"], bool(row["real"]), metric.unit, lang,
                  negligible=bool(row["negligible"]))


# ---- tables ------------------------------------------------------------------------------------------

def means_table(r, factor: str) -> tuple[str, list[str], list[list[str]]]:
    """Title, header and rows: each level's mean ± half-width of its 95% interval, metric by metric."""
    t, levels = section("experiment", r.lang), r.factors[factor]
    rows = [[metric_label(metric_of(m), r.lang)] + [_mean(_row(r, m, "mean", factor, lv), metric_of(m), r.lang)
                                                     for lv in levels] for m in r.exp.metrics]
    return t("means_title", factor=factor, r=r.exp.replicates), [text("words.metric", r.lang), *levels], rows


def differences_table(r) -> tuple[str, list[str], list[list[str]], list[list[str]]]:
    """Title, header, rows and marks: every compared level's difference from its reference."""
    t = section("experiment", r.lang)
    columns = [(f, lv, base) for f in r.factors for lv, base in compared(r, f)]
    rows, marks = [], []
    for m in r.exp.metrics:
        metric = metric_of(m)
        cells = [_row(r, m, "difference", f, lv) for f, lv, _ in columns]
        rows.append([metric_label(metric, r.lang, diff=True)] + [_diff(c, metric, r.lang) for c in cells])
        marks.append([""] + ["" if c is None or not metric.better else metric.verdict(c["estimate"], finding(c))
                             for c in cells])
    header = [text("words.metric", r.lang)] + [t("diff_head", factor=f, level=lv, base=b) for f, lv, b in columns]
    return t("diff_title"), header, rows, marks


def interaction_table(r, fa: str, fb: str) -> tuple[str, list[str], list[list[str]]]:
    """Title, header and rows: the interaction contrasts of one pair of factors. The title names
    the references when every contrast shares them, the header otherwise."""
    t = section("experiment", r.lang)
    columns = contrasted(r, fa, fb)
    rows = [[metric_label(metric_of(m), r.lang, diff=True)]
            + [_diff(_row(r, m, "interaction", fa, a, fb, b), metric_of(m), r.lang) for a, _, b, _ in columns]
            for m in r.exp.metrics]
    bases = {(a0, b0) for _, a0, _, b0 in columns}
    if len(bases) == 1:
        (a0, b0), = bases
        title, head = t("interaction_title", fa=fa, fb=fb, a0=a0, b0=b0), t("interaction_head")
    else:
        title, head = t("interactions_title", fa=fa, fb=fb), t("interaction_head_vs")
    header = [text("words.metric", r.lang)] + [head.format(a=a, a0=a0, b=b, b0=b0) for a, a0, b, b0 in columns]
    return title, header, rows


def terminal(r) -> str:
    """What `python -m sim experiment` prints: the differences, then each pair's interactions."""
    title, header, rows, _ = differences_table(r)
    tables = [text_table(title, header, rows)]
    tables += [text_table(*interaction_table(r, fa, fb)) for fa, fb in pairs(r) if contrasted(r, fa, fb)]
    return "\n\n".join(tables)


# ---- the reading -------------------------------------------------------------------------------------

def findings(r) -> list[tuple[str, list[str]]]:
    """Metric by metric: the real differences between levels, the real interactions, and what showed none."""
    t, lang = section("experiment", r.lang), r.lang
    ok = r.runs[r.runs["status"] == "ok"]
    out = []
    for m in r.exp.metrics:
        metric = metric_of(m)
        if ok[m].notna().sum() == 0:
            continue
        said, unclear = [], []
        for factor in r.factors:
            levels = compared(r, factor)
            found = [t("against", factor=factor, base=base, items=items)
                     for base in dict.fromkeys(b for _, b in levels)
                     if (items := _items(r, metric, {lv: _row(r, m, "difference", factor, lv)
                                                     for lv, b in levels if b == base}))]
            said += found
            if levels and not found:
                unclear.append(factor)
        if unclear:
            said.append(t("unclear", factors=t("list_sep").join(unclear)))
        interactions = []
        for fa, fb in pairs(r):
            columns = contrasted(r, fa, fb)
            for a0, b, b0 in dict.fromkeys((a0, b, b0) for _, a0, b, b0 in columns):
                items = _items(r, metric, {a: _row(r, m, "interaction", fa, a, fb, b)
                                           for a, ref, lv, ref_b in columns if (ref, lv, ref_b) == (a0, b, b0)})
                if items:
                    interactions.append(t("interaction", fa=fa, fb=fb, a0=a0, b=b, b0=b0, items=items))
        said += interactions or ([t("no_interaction")] if len(r.factors) > 1 else [])
        mean = value_text(float(ok[m].mean()), metric.unit, lang, with_unit=True)
        out.append((t("lead", metric=metric.label(lang), mean=mean), said))
    return out


def _items(r, metric: Metric, rows: dict) -> str:
    """'dingshan −0.75 km (95% CI −0.86 to −0.64 km), ...' for the levels whose effect is worth saying."""
    t = section("experiment", r.lang)
    return t("list_sep").join(t("item", level=level, **_figure(row, metric, r.lang))
                              for level, row in rows.items() if _worth_saying(row, metric))


def _worth_saying(row, metric: Metric) -> bool:
    """A real effect that does not round to nothing where it is written (the tables still show it)."""
    return row is not None and finding(row) and \
        float(value_text(abs(row["estimate"]), metric.unit, diff=True)) != 0


def _figure(row, metric: Metric, lang: str) -> dict:
    def signed(v: float, unit: bool = False) -> str:
        return value_text(v, metric.unit, lang, diff=True, signed=True, with_unit=unit)

    return {"value": signed(row["estimate"], True), "low": signed(row["low"]), "high": signed(row["high"], True)}


def caveats(r) -> list[str]:
    t, reps = section("experiment", r.lang), r.exp.replicates
    notes = []
    failed = r.failed()
    if failed:
        notes.append(t("failed", k=len(failed), total=len(r.tasks), names=", ".join(failed)))
    if reps == 1:
        notes.append(t("one_replicate"))
    elif reps < 4:
        quantile = 0.5 + LEVEL / 2
        notes.append(t("few", r=reps, df=reps - 1, freedom=t("freedom.many" if reps > 2 else "freedom.one"),
                       t=student.ppf(quantile, reps - 1), t5=student.ppf(quantile, 4), t10=student.ppf(quantile, 9)))
    apart = [factor for factor in r.factors if not compared(r, factor)]
    if apart:
        notes.append(t("apart", factors=t("list_sep").join(apart)))
    ok = r.runs[r.runs["status"] == "ok"]
    notes += [t("missing", metric=metric_label(metric_of(m), r.lang)) for m in r.exp.metrics
              if len(ok) and ok[m].notna().sum() == 0]
    return notes


# ---- the report --------------------------------------------------------------------------------------

def blocks(r, figures: list) -> list[tuple]:
    """The report as blocks for sim.report (see its `blocks` for the kinds)."""
    t = section("experiment", r.lang)
    command = " ".join(r.command) if r.command else "sim.studies.experiment.experiment(...)"
    out: list[tuple] = [
        ("h1", t("title", name=r.exp.name, factors=" × ".join(r.factors))),
        ("p", t("generated", when=r.started.strftime("%Y-%m-%d %H:%M UTC"), command=command)),
        ("h2", t("design")),
        ("table", columns("experiment.design_columns", r.lang), _design_rows(r)),
        ("p", _design_text(r)),
        ("p", t("method", territory=_territory(r), weeks=_weeks(r))),
    ]
    notes = caveats(r)
    if notes:
        out.append(("ul", notes))
    out += [("h2", t("reading")), ("ul", findings(r) or ["—"]), ("h2", t("main"))]
    for factor in r.factors:
        title, header, rows = means_table(r, factor)
        out += [("p", f"**{title}**"), ("table", header, rows)]
    title, header, rows, marks = differences_table(r)
    out += [("p", f"**{title}** {t('marks')}"), ("table", header, rows, marks)]
    if len(r.factors) > 1:
        out.append(("h2", t("interactions")))
        for fa, fb in pairs(r):
            if contrasted(r, fa, fb):
                title, header, rows = interaction_table(r, fa, fb)
                out += [("p", f"**{title}**"), ("table", header, rows)]
    out += [("h2", t("figures"))] + [("figure", f) for f in figures]
    out += [("h2", t("reproduce")), ("p", f"`{command}`"), ("p", t("files")),
            ("p", t("seeds", seed=r.exp.seed, seeds=", ".join(map(str, r.seeds))))]
    return out


def _design_rows(r) -> list[list[str]]:
    t, folder = section("experiment", r.lang), r.exp.path.parent
    rows = []
    for factor, levels in r.exp.factors.items():
        for name, level in levels.items():
            sets = ([t("scenario", file=os.path.relpath(level.scenario, folder))] if level.scenario else []) \
                + [f"`{key} = {value}`" for key, value in level.set.items()]
            rows.append([factor, name, "; ".join(sets) or t("as_is")])
    return rows


def _design_text(r) -> str:
    t, exp = section("experiment", r.lang), r.exp
    combos = len(r.tasks) // exp.replicates
    crossed = math.prod(len(levels) for levels in exp.factors.values())
    rules = t("rule_sep").join(", ".join(f"{f} {'|'.join(levels)}" for f, levels in rule.items())
                               for rule in exp.excludes)
    limits = sorted(set(exp.max_in_a_row.values()))
    constraint = "".join(t("constraint", k=k, factor=t("list_sep").join(f for f, v in exp.max_in_a_row.items() if v == k))
                         for k in limits)
    excluded = t("excluded", k=crossed - combos, rules=rules) if exp.excludes else ""
    return t("design_text", combos=combos, excluded=excluded, r=exp.replicates, runs=len(r.tasks),
             ok=int((r.runs["status"] == "ok").sum()), seed=exp.seed, constraint=constraint)


def _territory(r) -> str:
    """'Dingshan street, 4,400 residents', worded as the comparison's report words it; each
    territory once, if a factor changes it."""
    t = section("report", r.lang)
    places: dict[str, str] = {}
    for scenario in r.scenarios.values():
        key = repr(scenario["territory"])
        if key in places:
            continue
        cfg = dict.fromkeys(("streets", "communities", "grids", "buildings"), []) | scenario["territory"]
        territory = build_territory(cfg, np.random.default_rng(0), scenario.where("territory"))
        names = territory.street_names_zh if r.lang == "zh" else territory.street_names_en
        streets = t("one_street", name=names[0]) if len(names) == 1 else \
            t("streets", k=len(names), names=t("sep").join(names))
        places[key] = t("territory", streets=streets, population=int(territory.building_pop.sum()))
    return text("experiment.and", r.lang).join(places.values())


def _weeks(r) -> str:
    """The run's weeks when every combination shares them (a factor may change them)."""
    spans = {(run.warmup_weeks, run.weeks, run.drain_weeks) for run in (config(s).run for s in r.scenarios.values())}
    if len(spans) != 1:
        return ""
    warmup, weeks, drain = spans.pop()
    return text("experiment.weeks", r.lang, warmup=warmup, weeks=weeks, drain=drain)


def write_report(folder: Path, r, figures: list, figure_folder: Path) -> None:
    write_documents(folder, blocks(r, figures), figure_folder, r.lang)
