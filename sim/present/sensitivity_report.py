"""The sensitivity study written for people: the verdict table in the terminal, and report.md and
report.html (sim.present.report's renderer) that say, per reform and headline, how robust its
advantage is, which assumptions decide it and where in the assumption space it loses.
"""

from __future__ import annotations

import math
from pathlib import Path

from sim.present.labels import METRICS, value_text
from sim.present.report import text_table, write_documents
from sim.present.sensitivity_figures import outcome_label, outcome_scale, policy_names
from sim.scenario.ranges import value_at

TOP = 5

TEXT = {
    "en": {
        "title": "Which conclusions survive the uncertainty: {names}",
        "generated": "Generated {when} by `{command}`.",
        "studied": "What was studied", "verdicts": "Verdicts: how robust each reform's advantage is",
        "lose": "Where each reform loses (scenario discovery, PRIM)", "morris": "Which assumptions decide (Morris)",
        "sobol": "How much each chosen assumption explains (Sobol')", "figures": "Figures",
        "space": "The uncertainty space", "reproduce": "How to reproduce",
        "policies": ("Policy", "File", "Runs finished"),
        "method": ("Each sampled world gives every ranged assumption one value within its plausible range "
                   "(`[ranges]` in the scenario files, listed in docs/ODD.md §12). In every world each policy ran "
                   "{r} time(s) with the same seeds as in every other world and policy (common random numbers), so "
                   "reform − baseline is the policy's doing in that world. {k} assumptions were varied; fixed "
                   "settings of every run: {fixed}. Designs (SALib): Morris screening, {m} worlds "
                   "({t} trajectories, {levels} levels); Sobol', {s} worlds; Latin hypercube for verdicts and "
                   "PRIM, {v} worlds."),
        "verdict_cols": ("Reform", "Outcome", "Beats {base}: all plausible worlds", "Fact-consistent worlds",
                         "Median difference"),
        "share": "{share:.0%} ({low:.0%}–{high:.0%}, n={n})",
        "verdict_note": ("A reform beats the baseline in a world when its paired difference is on the better side "
                         "of 0 (a single seed's difference carries its own noise). Intervals: Wilson 95% for the "
                         "share of worlds."),
        "facts_on": ("Fact-consistent worlds are those whose baseline runs reproduce every published fact "
                     "within its tolerance (`sim.measure.facts.check_facts`): {ok} of {n} worlds."),
        "facts_off": "No facts filter: {why}.",
        "sentence": "{reform} beats {base} on {phrase} in {share:.0%} of plausible worlds (95% interval "
                    "{low:.0%}–{high:.0%}); {rest}",
        "loses_when": "it loses mainly when {cond} (this box holds {cov:.0%} of the {n} losing worlds, and "
                      "{dens:.0%} of the worlds in it lose).",
        "never": "it never loses in the sampled worlds.",
        "always": "it loses in every sampled world.",
        "ties": " It ties (exactly the same figure) in {k} of the worlds.",
        "no_box": "no box describes where it loses ({n} losing worlds).",
        "and": " and ", "or": " or ", "between": "{key} is from {low} to {high}", "above": "{key} ≥ {low}",
        "below": "{key} ≤ {high}", "is": "{key} is {levels}",
        "box_cols": ("Reform", "Outcome", "Where it loses", "Coverage", "Density", "Losing worlds"),
        "no_boxes": "No reform loses in enough sampled worlds for a box.",
        "morris_cols": ("Reform", "Outcome", "Most influential assumptions: μ* (± 95%), σ"),
        "sobol_cols": ("Reform", "Outcome", "Assumption", "S1 (95%)", "ST (95%)"),
        "space_cols": ("Assumption", "Default ({base})", "Range"),
        "files": ("`runs.csv` / `runs.parquet`: one row per run (design, world, policy, replicate, seed, "
                  "every metric). `worlds.csv`: each sampled world's assumption values (and whether it matches "
                  "the facts). `differences.csv`: reform − baseline per world and outcome. `morris.csv`, "
                  "`sobol.csv`, `verdicts.csv`, `boxes.csv`: the tables above. `manifest.json`: files, hashes, "
                  "ranges, designs, seeds, package versions, commit. `runs/<design><world>-<policy>__r<k>/`: "
                  "each run."),
        "seeds": "Seed {seed} (designs and runs); replicate seeds {seeds}.",
        "none": "none",
    },
    "zh": {
        "title": "哪些结论经得起不确定性检验：{names}",
        "generated": "生成于 {when}，命令：`{command}`。",
        "studied": "研究内容", "verdicts": "结论稳健性：各改革的优势有多稳", "lose": "各改革在何处落后（情景发现，PRIM）",
        "morris": "哪些假设起决定作用（Morris）", "sobol": "各选定假设解释了多少（Sobol）", "figures": "图表",
        "space": "不确定性空间", "reproduce": "如何复现",
        "policies": ("政策", "文件", "完成的模拟"),
        "method": ("每个抽样世界为每个有范围的假设在其合理范围内取一个值（情景文件中的`[ranges]`，见docs/ODD.md第12节）。"
                   "在每个世界中，每个政策模拟{r}次，所用随机种子与其他世界和政策相同（公共随机数），因此改革−基准的差异"
                   "来自该世界中的政策本身。共变动{k}个假设；每次模拟的固定设置：{fixed}。设计（SALib）：Morris筛选"
                   "{m}个世界（{t}条轨迹，{levels}个水平）；Sobol {s}个世界；用于结论与PRIM的拉丁超立方{v}个世界。"),
        "verdict_cols": ("改革", "指标", "优于{base}：全部合理世界", "符合事实的世界", "差异中位数"),
        "share": "{share:.0%}（{low:.0%}–{high:.0%}，n={n}）",
        "verdict_note": "某世界中改革的配对差异位于0的较优一侧即为优于基准（单个种子的差异含随机误差）。区间：世界占比的Wilson 95%区间。",
        "facts_on": "符合事实的世界指其基准模拟在容差内重现全部已公布事实的世界（`sim.measure.facts.check_facts`）：{n}个中有{ok}个。",
        "facts_off": "未按事实筛选：{why}。",
        "sentence": "{reform}在{phrase}上优于{base}的合理世界占{share:.0%}（95%区间{low:.0%}–{high:.0%}）；{rest}",
        "loses_when": "落后主要发生在{cond}时（该框包含{n}个落后世界中的{cov:.0%}，框内{dens:.0%}的世界落后）。",
        "never": "在抽样世界中从未落后。", "always": "在每个抽样世界中都落后。", "ties": "其中{k}个世界两者相同。",
        "no_box": "没有框能描述其落后之处（{n}个落后世界）。",
        "and": "且", "or": "或", "between": "{key}在{low}到{high}之间", "above": "{key} ≥ {low}",
        "below": "{key} ≤ {high}", "is": "{key}为{levels}",
        "box_cols": ("改革", "指标", "落后之处", "覆盖率", "密度", "落后世界数"),
        "no_boxes": "没有改革在足够多的抽样世界中落后，无法给出框。",
        "morris_cols": ("改革", "指标", "影响最大的假设：μ*（± 95%），σ"),
        "sobol_cols": ("改革", "指标", "假设", "S1（95%）", "ST（95%）"),
        "space_cols": ("假设", "默认值（{base}）", "范围"),
        "files": ("`runs.csv` / `runs.parquet`：每次模拟一行。`worlds.csv`：每个抽样世界的假设取值（及是否符合事实）。"
                  "`differences.csv`：每个世界、每个指标的改革−基准差异。`morris.csv`、`sobol.csv`、`verdicts.csv`、"
                  "`boxes.csv`：上列各表。`manifest.json`：文件、哈希、范围、设计、种子、软件包版本、提交。"),
        "seeds": "种子 {seed}（设计与模拟）；各次重复的种子 {seeds}。",
        "none": "无",
    },
}


def _num(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def condition(box, lang: str) -> str:
    t = TEXT[lang]
    parts = []
    for key, limit in box.limits.items():
        k = f"`{key}`"
        if limit and isinstance(limit[0], str):
            parts.append(t["is"].format(key=k, levels=t["or"].join(limit)))
        elif limit[0] is not None and limit[1] is not None:
            parts.append(t["between"].format(key=k, low=_num(limit[0]), high=_num(limit[1])))
        elif limit[0] is not None:
            parts.append(t["above"].format(key=k, low=_num(limit[0])))
        else:
            parts.append(t["below"].format(key=k, high=_num(limit[1])))
    return t["and"].join(parts)


def _phrase(key: str, lang: str) -> str:
    m = METRICS.get(key)
    return m.phrase(lang) if m else f"`{key}`"


def sentences(r) -> list[str]:
    t = TEXT[r.lang]
    names = policy_names(r)
    boxes = {(b.reform, b.outcome): b for b in r.boxes}
    out = []
    for row in r.verdicts[r.verdicts["group"] == "all"].itertuples():
        losing = row.worlds - row.wins - row.ties
        box = boxes.get((row.reform, row.outcome))
        if box is not None and box.limits:
            rest = t["loses_when"].format(cond=condition(box, r.lang), cov=box.coverage, n=box.losing,
                                          dens=box.density)
        elif losing == 0:
            rest = t["never"]
        elif losing == row.worlds:
            rest = t["always"]
        else:
            rest = t["no_box"].format(n=losing)
        if row.ties:
            rest += t["ties"].format(k=row.ties)
        out.append(t["sentence"].format(reform=names[row.reform], base=names[r.study.baseline],
                                        phrase=_phrase(row.outcome, r.lang), share=row.share, low=row.low,
                                        high=row.high, rest=rest))
    return out


def verdict_table(r) -> tuple[list[str], list[list[str]]]:
    t = TEXT[r.lang]
    names = policy_names(r)
    header = [c.format(base=names[r.study.baseline]) for c in t["verdict_cols"]]
    facts = r.verdicts[r.verdicts["group"] == "facts"].set_index(["reform", "outcome"])
    rows = []
    for row in r.verdicts[r.verdicts["group"] == "all"].itertuples():
        m = METRICS.get(row.outcome)
        other = facts.loc[(row.reform, row.outcome)] if (row.reform, row.outcome) in facts.index else None
        rows.append([names[row.reform], outcome_label(row.outcome, r.lang), _share(t, row.share, row.low, row.high,
                                                                                   row.worlds),
                     _share(t, other["share"], other["low"], other["high"], other["worlds"]) if other is not None
                     else "—",
                     value_text(row.median_diff, m.unit, r.lang, diff=True, signed=True) if m
                     else f"{row.median_diff:+.3g}"])
    return header, rows


def _share(t: dict, share, low, high, n) -> str:
    if not n or not math.isfinite(share):
        return "n/a"
    return t["share"].format(share=share, low=low, high=high, n=int(n))


def terminal(r) -> str:
    """What `python -m sim sensitivity` prints: the verdict table and its sentences."""
    header, rows = verdict_table(r)
    return text_table(TEXT[r.lang]["verdicts"], header, rows) + "\n\n" + "\n".join(f"- {s}" for s in sentences(r))


def blocks(r, figures: list) -> list[tuple]:
    t = TEXT[r.lang]
    s = r.study
    names = policy_names(r)
    command = " ".join(r.command) if r.command else "sim.studies.sensitivity.sensitivity(...)"
    ok = r.runs[r.runs["status"] == "ok"].groupby("policy").size()
    per_policy = len(r.runs) // max(1, len(names))
    out: list[tuple] = [
        ("h1", t["title"].format(names=", ".join(names.values()))),
        ("p", t["generated"].format(when=r.started.strftime("%Y-%m-%d %H:%M UTC"), command=command)),
        ("h2", t["studied"]),
        ("table", list(t["policies"]), [[names[p], f"`{f}`", f"{int(ok.get(p, 0))} / {per_policy}"]
                                        for p, f in s.policies.items()]),
        ("p", t["method"].format(r=s.replicates, k=len(r.plan.ranges),
                                 fixed=", ".join(f"`{k}` = {v}" for k, v in s.fixed.items()) or t["none"],
                                 m=r.plan.worlds("morris"), t=s.trajectories, levels=s.levels,
                                 s=r.plan.worlds("sobol"), v=r.plan.worlds("verdicts"))),
        ("h2", t["verdicts"]), ("table", *verdict_table(r)), ("p", t["verdict_note"]),
    ]
    if r.facts is None:
        judged = r.worlds[r.worlds["design"] == "verdicts"]["facts_ok"]
        out.append(("p", t["facts_on"].format(ok=int(judged.fillna(False).astype(bool).sum()), n=len(judged))))
    else:
        out.append(("p", t["facts_off"].format(why=r.facts)))
    out.append(("ul", sentences(r)))
    out.append(("h2", t["lose"]))
    rows = [[names[b.reform], outcome_label(b.outcome, r.lang), condition(b, r.lang) or "—", f"{b.coverage:.0%}",
             f"{b.density:.0%}", str(b.losing)] for b in r.boxes]
    out.append(("table", list(t["box_cols"]), rows) if rows else ("p", t["no_boxes"]))
    out += [("h2", t["morris"]), ("table", list(t["morris_cols"]), _morris_rows(r))]
    if len(r.sobol):
        out += [("h2", t["sobol"]), ("table", list(t["sobol_cols"]), [
            [names[x.reform], outcome_label(x.outcome, r.lang), f"`{x.assumption}`",
             f"{_num(x.S1)} ± {_num(x.S1_conf)}", f"{_num(x.ST)} ± {_num(x.ST_conf)}"] for x in r.sobol.itertuples()])]
    out += [("h2", t["figures"])] + [("figure", f) for f in figures]
    base = r.plan.scenarios[s.baseline]
    out += [("h2", t["space"]), ("table", [c.format(base=names[s.baseline]) for c in t["space_cols"]],
                                 [[f"`{rg.key}`", _num(value_at(base.values, rg.key)), rg.describe()]
                                  for rg in r.plan.ranges])]
    out += [("h2", t["reproduce"]), ("p", f"`{command}`"), ("p", t["files"]),
            ("p", t["seeds"].format(seed=s.seed, seeds=", ".join(map(str, r.plan.seeds))))]
    return out


def _morris_rows(r) -> list[list[str]]:
    names = policy_names(r)
    rows = []
    for (reform, outcome), part in r.morris.groupby(["reform", "outcome"], sort=False):
        top = part.nlargest(TOP, "mu_star")
        k = outcome_scale(outcome)  # in the outcome's own units (percentage points for a share)
        rows.append([names[reform], outcome_label(outcome, r.lang), "; ".join(
            f"`{x.assumption}` {_num(k * x.mu_star)} ± {_num(k * x.mu_star_conf)}, σ {_num(k * x.sigma)}"
            for x in top.itertuples()) or "n/a"])
    return rows


def write_report(folder: Path, r, figures: list, figure_folder: Path) -> None:
    write_documents(folder, blocks(r, figures), figure_folder, r.lang)
