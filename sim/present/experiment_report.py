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
from sim.present.labels import METRICS, Metric, metric_label, value_text, words
from sim.present.report import TEXT as REPORT_TEXT
from sim.present.report import diff_text, mean_text, text_table, write_documents
from sim.runs.stats import LEVEL
from sim.world.territory import build_territory

ALIASES = {"survey.satisfaction": "survey.satisfaction.estimate"}  # short names sim.measure.metrics.headline adds

TEXT = {
    "en": {
        "title": "Experiment {name}: {factors}",
        "generated": "Generated {when} by `{command}`.",
        "design": "The design", "reading": "The reading", "main": "Main effects", "interactions": "Interactions",
        "figures": "Figures", "reproduce": "How to reproduce",
        "design_columns": ("Factor", "Level", "What the level sets"),
        "scenario": "scenario `{file}`", "as_is": "nothing: the scenario as it is",
        "design_text": ("{combos} combinations of levels{excluded}, each run {r} times: {runs} runs, {ok} finished. "
                        "SweetPea synthesised the run order (seed {seed}){constraint}."),
        "excluded": " ({k} excluded: {rules})", "rule_sep": "; ",
        "constraint": ", with at most {k} consecutive runs at the same level of {factor}",
        "method": ("Territory: {territory}. {weeks}Replicate r of every combination uses the same seed (common "
                   "random numbers), so each effect is computed within each replicate, where the residents' luck "
                   "cancels, and its 95% interval is the Student-t interval over the replicates. A level's mean "
                   "averages over every combination that has it; two levels are compared only where the other "
                   "factors are at the same levels. An interaction contrast asks whether the effect of one factor "
                   "depends on another: for a level a of A and b of B it is (a,b − a,b₀) − (a₀,b − a₀,b₀), a₀ and "
                   "b₀ being their references (each factor's first level unless levels are nested); 0 means the two "
                   "effects simply add."),
        "weeks": ("Each run simulates {warmup:g} weeks of warm-up, {weeks:g} measured weeks and {drain:g} more weeks "
                  "for open requests to finish; the figures count requests whose need arose in the measured "
                  "window. "),
        "and": "; ",
        "failed": "{k} of {total} runs failed and are left out of the effects that need them: {names}. "
                  "See runs/<name>/error.json.",
        "one_replicate": "With a single replicate there are no intervals: set `replicates` to 2 or more.",
        "few": ("With {r} replicates each interval rests on {df} {freedom} (t = {t:.1f}): only large or very "
                "consistent effects show as real, and an interval from replicates that happen to agree can look "
                "narrower than it is. More replicates steady the intervals quickly (t = {t5:.1f} with 5, "
                "{t10:.1f} with 10)."),
        "freedom": ("degree of freedom", "degrees of freedom"),
        "missing": "No run produced {metric}.",
        "lead": "{metric}, {mean} over all runs:",
        "against": "{factor} (against {base}): {items}.",
        "item": "{level} {value} (95% CI {low} to {high})",
        "interaction": "{fa} × {fb}: the effect of {fb} {b0} → {b} beyond its effect under {fa} {a0}: {items}.",
        "unclear": "No clear difference between the levels of {factors}.",
        "apart": ("{factors}: no two levels were run with the other factors at the same levels, so they are not "
                  "compared (see the level means)."),
        "no_interaction": "No clear interaction.",
        "list_sep": ", ",
        "means_title": "{factor}: mean at each level over {r} replicates (± half-width of the 95% interval)",
        "diff_title": ("Difference from each level's reference, the first level of its factor run alongside it "
                       "(95% interval); * = real: the interval excludes 0"),
        "diff_head": "{factor}: {level} − {base}",
        "marks": "(real differences highlighted: green = better, red = worse)",
        "interaction_title": ("{fa} × {fb}: interaction contrast against {fa} {a0} and {fb} {b0} (95% interval); "
                              "* = real"),
        "interaction_head": "{a} × {b}",
        "interactions_title": ("{fa} × {fb}: interaction contrasts against each level's reference (95% interval); "
                               "* = real"),
        "interaction_head_vs": "{a} × {b} (against {a0} × {b0})",
        "files": ("`runs.csv` / `runs.parquet`: one row per run (run order, levels, replicate, seed, status, every "
                  "metric). `effects.csv`: every level mean, difference, cell mean and interaction contrast with its "
                  "95% interval. `manifest.json`: the experiment file and its hash, the design run by run, scenario "
                  "files and resolved values, seeds, package versions, git commit, start and end time. "
                  "`runs/<label>__r<k>/`: each run's metrics."),
        "seeds": "Seeds: design (SweetPea) and root {seed}; replicate seeds {seeds}.",
        "summary": "{ran} runs in {seconds:.0f} s ({skipped} already done, {failed} failed); report: {report}",
    },
    "zh": {
        "title": "实验 {name}：{factors}",
        "generated": "生成于 {when}，命令：`{command}`。",
        "design": "实验设计", "reading": "结论解读", "main": "主效应", "interactions": "交互作用",
        "figures": "图表", "reproduce": "如何复现",
        "design_columns": ("因素", "水平", "该水平的设置"),
        "scenario": "情景 `{file}`", "as_is": "无：情景文件原样",
        "design_text": ("共{combos}个水平组合{excluded}，每个组合模拟{r}次：共{runs}次模拟，已完成{ok}次。"
                        "运行顺序由 SweetPea 生成（种子 {seed}）{constraint}。"),
        "excluded": "（排除{k}个：{rules}）", "rule_sep": "；",
        "constraint": "，{factor}的同一水平最多连续{k}次",
        "method": ("区域：{territory}。{weeks}各组合的第r次重复使用同一随机种子（公共随机数），因此每个效应先在每次重复内"
                   "计算，居民的随机因素相互抵消，其95%置信区间为各次重复的t区间。某水平的均值为含该水平的全部组合的平均；"
                   "两个水平只在其他因素水平相同处比较。交互作用对比检验一个因素的效应是否取决于另一个因素：对A的水平a"
                   "和B的水平b，对比值为 (a,b − a,b₀) − (a₀,b − a₀,b₀)，a₀、b₀为其参照水平（除嵌套水平外即各因素的第一个水平）；为0表示两个效应"
                   "简单相加。"),
        "weeks": "每次模拟包括{warmup:g}周预热、{weeks:g}周测量期和{drain:g}周收尾；指标只统计需求产生于测量期内的事项。",
        "and": "；",
        "failed": "{total}次模拟中有{k}次失败，不计入需要它们的效应：{names}。详见 runs/<名称>/error.json。",
        "one_replicate": "只有一次重复，无法给出置信区间：请将 `replicates` 设为2或更多。",
        "few": ("只有{r}次重复，每个区间的{freedom}为{df}（t = {t:.1f}）：只有大或非常一致的效应才显著，而恰好一致的"
                "重复给出的区间可能显得过窄。增加重复可使区间迅速稳定（5次重复 t = {t5:.1f}，10次 t = {t10:.1f}）。"),
        "freedom": ("自由度", "自由度"),
        "missing": "没有模拟产生{metric}。",
        "lead": "{metric}，全部模拟平均 {mean}：",
        "against": "{factor}（与{base}相比）：{items}。",
        "item": "{level} {value}（95%置信区间 {low} 至 {high}）",
        "interaction": "{fa} × {fb}：{fb}从{b0}到{b}的效应，相对{fa} {a0}下的差别：{items}。",
        "unclear": "{factors}的各水平之间无明显差别。",
        "apart": "{factors}：没有两个水平在其他因素水平相同的条件下运行，因此不作比较（见各水平均值）。",
        "no_interaction": "无明显交互作用。",
        "list_sep": "、",
        "means_title": "{factor}：各水平{r}次重复的均值（± 95%置信区间半宽）",
        "diff_title": "与参照水平（同一因素中与之在相同条件下运行的第一个水平）之差（95%置信区间）；* = 显著：区间不含0",
        "diff_head": "{factor}：{level} − {base}",
        "marks": "（显著差异已标出：绿色 = 改善，红色 = 变差）",
        "interaction_title": "{fa} × {fb}：相对{fa} {a0}与{fb} {b0}的交互作用对比（95%置信区间）；* = 显著",
        "interaction_head": "{a} × {b}",
        "interactions_title": "{fa} × {fb}：相对各水平参照水平的交互作用对比（95%置信区间）；* = 显著",
        "interaction_head_vs": "{a} × {b}（相对{a0} × {b0}）",
        "files": ("`runs.csv` / `runs.parquet`：每次模拟一行（运行顺序、各因素水平、重复、种子、状态、全部指标）。"
                  "`effects.csv`：各水平均值、差异、组合均值与交互作用对比及其95%置信区间。"
                  "`manifest.json`：实验文件及其哈希、逐次运行的设计、情景文件与解析后的参数、种子、软件包版本、"
                  "git 提交、起止时间。`runs/<标签>__r<k>/`：每次模拟的指标。"),
        "seeds": "随机种子：设计（SweetPea）与根种子 {seed}；各次重复的种子 {seeds}。",
        "summary": "本次运行{ran}次，用时{seconds:.0f}秒（{skipped}次已完成，{failed}次失败）；报告：{report}",
    },
}


def metric_of(key: str) -> Metric:
    """The headline metric of a runs-table column; other columns get a plain, unjudged label."""
    key = ALIASES.get(key, key)
    return METRICS.get(key) or Metric(key, key, key, key, key, "trips", 0)


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
    return words(lang)["na"] if row is None else \
        mean_text(row["n"], row["estimate"], row["half_width"], metric.unit, lang)


def _diff(row, metric: Metric, lang: str) -> str:
    return words(lang)["na"] if row is None else \
        diff_text(row["n"], row["estimate"], row["half_width"], bool(row["real"]), metric.unit, lang)


# ---- tables ------------------------------------------------------------------------------------------

def means_table(r, factor: str) -> tuple[str, list[str], list[list[str]]]:
    """Title, header and rows: each level's mean ± half-width of its 95% interval, metric by metric."""
    t, levels = TEXT[r.lang], r.factors[factor]
    rows = [[metric_label(metric_of(m), r.lang)] + [_mean(_row(r, m, "mean", factor, lv), metric_of(m), r.lang)
                                                     for lv in levels] for m in r.exp.metrics]
    return t["means_title"].format(factor=factor, r=r.exp.replicates), [words(r.lang)["metric"], *levels], rows


def differences_table(r) -> tuple[str, list[str], list[list[str]], list[list[str]]]:
    """Title, header, rows and marks: every compared level's difference from its reference."""
    t = TEXT[r.lang]
    columns = [(f, lv, base) for f in r.factors for lv, base in compared(r, f)]
    rows, marks = [], []
    for m in r.exp.metrics:
        metric = metric_of(m)
        cells = [_row(r, m, "difference", f, lv) for f, lv, _ in columns]
        rows.append([metric_label(metric, r.lang, diff=True)] + [_diff(c, metric, r.lang) for c in cells])
        marks.append([""] + ["" if c is None or not metric.better else metric.verdict(c["estimate"], bool(c["real"]))
                             for c in cells])
    header = [words(r.lang)["metric"]] + [t["diff_head"].format(factor=f, level=lv, base=b) for f, lv, b in columns]
    return t["diff_title"], header, rows, marks


def interaction_table(r, fa: str, fb: str) -> tuple[str, list[str], list[list[str]]]:
    """Title, header and rows: the interaction contrasts of one pair of factors. The title names
    the references when every contrast shares them, the header otherwise."""
    t = TEXT[r.lang]
    columns = contrasted(r, fa, fb)
    rows = [[metric_label(metric_of(m), r.lang, diff=True)]
            + [_diff(_row(r, m, "interaction", fa, a, fb, b), metric_of(m), r.lang) for a, _, b, _ in columns]
            for m in r.exp.metrics]
    bases = {(a0, b0) for _, a0, _, b0 in columns}
    if len(bases) == 1:
        (a0, b0), = bases
        title, head = t["interaction_title"].format(fa=fa, fb=fb, a0=a0, b0=b0), t["interaction_head"]
    else:
        title, head = t["interactions_title"].format(fa=fa, fb=fb), t["interaction_head_vs"]
    header = [words(r.lang)["metric"]] + [head.format(a=a, a0=a0, b=b, b0=b0) for a, a0, b, b0 in columns]
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
    t, lang = TEXT[r.lang], r.lang
    ok = r.runs[r.runs["status"] == "ok"]
    out = []
    for m in r.exp.metrics:
        metric = metric_of(m)
        if ok[m].notna().sum() == 0:
            continue
        said, unclear = [], []
        for factor in r.factors:
            levels = compared(r, factor)
            found = [t["against"].format(factor=factor, base=base, items=items)
                     for base in dict.fromkeys(b for _, b in levels)
                     if (items := _items(r, metric, {lv: _row(r, m, "difference", factor, lv)
                                                     for lv, b in levels if b == base}))]
            said += found
            if levels and not found:
                unclear.append(factor)
        if unclear:
            said.append(t["unclear"].format(factors=t["list_sep"].join(unclear)))
        interactions = []
        for fa, fb in pairs(r):
            columns = contrasted(r, fa, fb)
            for a0, b, b0 in dict.fromkeys((a0, b, b0) for _, a0, b, b0 in columns):
                items = _items(r, metric, {a: _row(r, m, "interaction", fa, a, fb, b)
                                           for a, ref, lv, ref_b in columns if (ref, lv, ref_b) == (a0, b, b0)})
                if items:
                    interactions.append(t["interaction"].format(fa=fa, fb=fb, a0=a0, b=b, b0=b0, items=items))
        said += interactions or ([t["no_interaction"]] if len(r.factors) > 1 else [])
        mean = value_text(float(ok[m].mean()), metric.unit, lang, with_unit=True)
        out.append((t["lead"].format(metric=metric.label(lang), mean=mean), said))
    return out


def _items(r, metric: Metric, rows: dict) -> str:
    """'dingshan −0.75 km (95% CI −0.86 to −0.64 km), ...' for the levels whose effect is worth saying."""
    t = TEXT[r.lang]
    return t["list_sep"].join(t["item"].format(level=level, **_figure(row, metric, r.lang))
                              for level, row in rows.items() if _worth_saying(row, metric))


def _worth_saying(row, metric: Metric) -> bool:
    """A real effect that does not round to nothing where it is written (the tables still show it)."""
    return row is not None and bool(row["real"]) and \
        float(value_text(abs(row["estimate"]), metric.unit, diff=True)) != 0


def _figure(row, metric: Metric, lang: str) -> dict:
    def text(v: float, unit: bool = False) -> str:
        return value_text(v, metric.unit, lang, diff=True, signed=True, with_unit=unit)

    return {"value": text(row["estimate"], True), "low": text(row["low"]), "high": text(row["high"], True)}


def caveats(r) -> list[str]:
    t, reps = TEXT[r.lang], r.exp.replicates
    notes = []
    failed = r.failed()
    if failed:
        notes.append(t["failed"].format(k=len(failed), total=len(r.tasks), names=", ".join(failed)))
    if reps == 1:
        notes.append(t["one_replicate"])
    elif reps < 4:
        quantile = 0.5 + LEVEL / 2
        notes.append(t["few"].format(r=reps, df=reps - 1, freedom=t["freedom"][reps > 2],
                                     t=student.ppf(quantile, reps - 1), t5=student.ppf(quantile, 4),
                                     t10=student.ppf(quantile, 9)))
    apart = [factor for factor in r.factors if not compared(r, factor)]
    if apart:
        notes.append(t["apart"].format(factors=t["list_sep"].join(apart)))
    ok = r.runs[r.runs["status"] == "ok"]
    notes += [t["missing"].format(metric=metric_label(metric_of(m), r.lang)) for m in r.exp.metrics
              if len(ok) and ok[m].notna().sum() == 0]
    return notes


# ---- the report --------------------------------------------------------------------------------------

def blocks(r, figures: list) -> list[tuple]:
    """The report as blocks for sim.report (see its `blocks` for the kinds)."""
    t = TEXT[r.lang]
    command = " ".join(r.command) if r.command else "sim.studies.experiment.experiment(...)"
    out: list[tuple] = [
        ("h1", t["title"].format(name=r.exp.name, factors=" × ".join(r.factors))),
        ("p", t["generated"].format(when=r.started.strftime("%Y-%m-%d %H:%M UTC"), command=command)),
        ("h2", t["design"]),
        ("table", list(t["design_columns"]), _design_rows(r)),
        ("p", _design_text(r)),
        ("p", t["method"].format(territory=_territory(r), weeks=_weeks(r))),
    ]
    notes = caveats(r)
    if notes:
        out.append(("ul", notes))
    out += [("h2", t["reading"]), ("ul", findings(r) or ["—"]), ("h2", t["main"])]
    for factor in r.factors:
        title, header, rows = means_table(r, factor)
        out += [("p", f"**{title}**"), ("table", header, rows)]
    title, header, rows, marks = differences_table(r)
    out += [("p", f"**{title}** {t['marks']}"), ("table", header, rows, marks)]
    if len(r.factors) > 1:
        out.append(("h2", t["interactions"]))
        for fa, fb in pairs(r):
            if contrasted(r, fa, fb):
                title, header, rows = interaction_table(r, fa, fb)
                out += [("p", f"**{title}**"), ("table", header, rows)]
    out += [("h2", t["figures"])] + [("figure", f) for f in figures]
    out += [("h2", t["reproduce"]), ("p", f"`{command}`"), ("p", t["files"]),
            ("p", t["seeds"].format(seed=r.exp.seed, seeds=", ".join(map(str, r.seeds))))]
    return out


def _design_rows(r) -> list[list[str]]:
    t, folder = TEXT[r.lang], r.exp.path.parent
    rows = []
    for factor, levels in r.exp.factors.items():
        for name, level in levels.items():
            sets = ([t["scenario"].format(file=os.path.relpath(level.scenario, folder))] if level.scenario else []) \
                + [f"`{key} = {value}`" for key, value in level.set.items()]
            rows.append([factor, name, "; ".join(sets) or t["as_is"]])
    return rows


def _design_text(r) -> str:
    t, exp = TEXT[r.lang], r.exp
    combos = len(r.tasks) // exp.replicates
    crossed = math.prod(len(levels) for levels in exp.factors.values())
    rules = t["rule_sep"].join(", ".join(f"{f} {'|'.join(levels)}" for f, levels in rule.items())
                               for rule in exp.excludes)
    limits = sorted(set(exp.max_in_a_row.values()))
    constraint = "".join(t["constraint"].format(
        k=k, factor=t["list_sep"].join(f for f, v in exp.max_in_a_row.items() if v == k)) for k in limits)
    return t["design_text"].format(
        combos=combos, excluded=t["excluded"].format(k=crossed - combos, rules=rules) if exp.excludes else "",
        r=exp.replicates, runs=len(r.tasks), ok=int((r.runs["status"] == "ok").sum()), seed=exp.seed,
        constraint=constraint)


def _territory(r) -> str:
    """'Dingshan street, 4,400 residents', worded as the comparison's report words it; each
    territory once, if a factor changes it."""
    t = REPORT_TEXT[r.lang]
    places: dict[str, str] = {}
    for scenario in r.scenarios.values():
        key = repr(scenario["territory"])
        if key in places:
            continue
        cfg = dict.fromkeys(("streets", "communities", "grids", "buildings"), []) | scenario["territory"]
        territory = build_territory(cfg, np.random.default_rng(0), scenario.where("territory"))
        names = territory.street_names_zh if r.lang == "zh" else territory.street_names_en
        streets = t["one_street"].format(name=names[0]) if len(names) == 1 else \
            t["streets"].format(k=len(names), names=t["sep"].join(names))
        places[key] = t["territory"].format(streets=streets, population=int(territory.building_pop.sum()))
    return TEXT[r.lang]["and"].join(places.values())


def _weeks(r) -> str:
    """The run's weeks when every combination shares them (a factor may change them)."""
    spans = {(s["run"]["warmup_weeks"], s["run"]["weeks"], s["run"]["drain_weeks"]) for s in r.scenarios.values()}
    if len(spans) != 1:
        return ""
    warmup, weeks, drain = spans.pop()
    return TEXT[r.lang]["weeks"].format(warmup=warmup, weeks=weeks, drain=drain)


def write_report(folder: Path, r, figures: list, figure_folder: Path) -> None:
    write_documents(folder, blocks(r, figures), figure_folder, r.lang)
