"""The sensitivity study's figures, PNG and SVG (sim.present.figures.save), in English or Chinese:
per outcome a Morris mu*-sigma plot, Sobol' indices with their intervals and a tornado of the
most influential assumptions; per reform and outcome where it loses, its PRIM box.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.present.figures import PALETTE, STYLE, FigureFile, save
from sim.present.fonts import rc
from sim.present.labels import METRICS, metric_label, scenario_name

TOP = 8  # assumptions named per panel
MAX_BOXES = 8

TEXT = {
    "en": {
        "morris": ("Which assumptions matter for {outcome}: Morris screening",
                   "Each dot is a ranged assumption: μ* (horizontal) is the mean absolute change of the paired "
                   "difference reform − baseline when the assumption moves across its whole range, one at a time; "
                   "σ (vertical) is how much that change varies with the other assumptions (interactions or "
                   "curvature). Assumptions far right decide the comparison; those near 0 can be fixed. "
                   "The {top} largest are named."),
        "sobol": ("How much of the uncertainty in {outcome} each chosen assumption explains: Sobol' indices",
                  "First order S1 (the share of the variance of reform − baseline explained by the assumption alone) "
                  "and total order ST (including its interactions), with 95% bootstrap intervals."),
        "tornado": ("What moves {outcome}: the most influential assumptions",
                    "For each assumption, the mean paired difference reform − baseline over the sampled worlds "
                    "in which it lies in the lowest third of its range (light) and in the highest third (dark); "
                    "the line is the median over all worlds. Longest bars first; a bar crossing 0 turns the "
                    "verdict."),
        "prim": ("Where {reform} loses on {outcome}: the PRIM box",
                 "Each dot is a sampled world (red: the reform does worse than the baseline). The rectangle is "
                 "the box PRIM found: it holds {coverage:.0%} of the losing worlds (coverage), and {density:.0%} "
                 "of the worlds inside it lose (density)."),
        "mu_star": "μ* (change across the range)", "sigma": "σ", "index": "Sobol' index",
        "diff": "Reform − baseline", "low": "lowest third", "high": "highest third",
        "loses": "loses", "wins": "does not lose",
    },
    "zh": {
        "morris": ("哪些假设对{outcome}重要：Morris筛选",
                   "每个点是一个有取值范围的假设：μ*（横轴）为该假设单独在整个范围内变动时，改革与基准的配对差异的"
                   "平均绝对变化；σ（纵轴）为该变化随其他假设而变的程度（交互或非线性）。越靠右的假设越决定比较结论，"
                   "接近0的可以固定。标出最大的{top}个。"),
        "sobol": ("各选定假设解释了{outcome}不确定性的多少：Sobol指数",
                  "一阶指数S1（单独由该假设解释的改革−基准差异方差占比）与总效应指数ST（含交互），附95%自助法区间。"),
        "tornado": ("什么在左右{outcome}：影响最大的假设",
                    "对每个假设，取其位于范围最低三分之一（浅色）和最高三分之一（深色）的抽样世界中，改革−基准配对差异的"
                    "均值；竖线为全部世界的中位数。条形越长越靠前；跨过0的条形会改变结论。"),
        "prim": ("{reform}在{outcome}上何处落后：PRIM框",
                 "每个点是一个抽样世界（红色：改革不如基准）。矩形为PRIM找到的框：包含{coverage:.0%}的落后世界"
                 "（覆盖率），框内{density:.0%}的世界落后（密度）。"),
        "mu_star": "μ*（整个范围内的变化）", "sigma": "σ", "index": "Sobol指数",
        "diff": "改革−基准", "low": "最低三分之一", "high": "最高三分之一",
        "loses": "落后", "wins": "不落后",
    },
}


def outcome_label(key: str, lang: str) -> str:
    m = METRICS.get(key)
    return metric_label(m, lang, diff=True) if m else key


def outcome_scale(key: str) -> float:
    """Shares are drawn in percentage points."""
    m = METRICS.get(key)
    return 100.0 if m is not None and m.unit == "share" else 1.0


def policy_names(r) -> dict[str, str]:
    return {p: scenario_name(sc["meta"], r.lang, short=True) for p, sc in r.plan.scenarios.items()}


def draw_all(folder: Path, r) -> list[FigureFile]:
    """Every figure of the study `r` (a sim.studies.sensitivity.Results) into `folder`."""
    text = TEXT[r.lang]
    written = []
    with mpl.rc_context(STYLE | rc(r.lang)):
        for k, o in enumerate(r.study.outcomes):
            name = outcome_label(o.key, r.lang)
            for kind, draw in (("morris", _morris), ("sobol", _sobol), ("tornado", _tornado)):
                fig = draw(r, o.key, text)
                if fig is not None:
                    title, caption = text[kind]
                    written.append(save(fig, folder, f"{kind}_{k}", title.format(outcome=name),
                                        caption.format(top=TOP)))
        for k, box in enumerate(r.boxes[:MAX_BOXES]):
            fig = _prim(r, box, text)
            if fig is not None:
                title, caption = text["prim"]
                written.append(save(fig, folder, f"prim_{k}", title.format(
                    reform=policy_names(r)[box.reform], outcome=outcome_label(box.outcome, r.lang)),
                    caption.format(coverage=box.coverage, density=box.density)))
    return written


def _panels(r, height: float = 4.2) -> tuple[Figure, list]:
    reforms = r.study.reforms
    fig = Figure(figsize=(4.6 * len(reforms), height), layout="constrained")
    axes = fig.subplots(1, len(reforms), squeeze=False)[0]
    for ax, reform in zip(axes, reforms):
        ax.set_title(policy_names(r)[reform], fontsize=10)
    return fig, list(axes)


def _morris(r, outcome: str, text: dict) -> Figure | None:
    table = r.morris[r.morris["outcome"] == outcome]
    if table["mu_star"].isna().all():
        return None
    fig, axes = _panels(r)
    scale = outcome_scale(outcome)
    for ax, reform in zip(axes, r.study.reforms):
        part = table[table["reform"] == reform]
        ax.scatter(part["mu_star"] * scale, part["sigma"] * scale, s=18, color=PALETTE[0])
        for _, row in part.nlargest(TOP, "mu_star").iterrows():
            ax.annotate(_short(row["assumption"]), (row["mu_star"] * scale, row["sigma"] * scale), fontsize=6.5,
                        xytext=(3, 2), textcoords="offset points")
        ax.set_xlabel(text["mu_star"])
        ax.set_ylabel(text["sigma"])
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    return fig


def _sobol(r, outcome: str, text: dict) -> Figure | None:
    table = r.sobol[r.sobol["outcome"] == outcome] if len(r.sobol) else r.sobol
    if not len(table) or table["ST"].isna().all():
        return None
    fig, axes = _panels(r, 1.4 + 0.45 * table["assumption"].nunique())
    for ax, reform in zip(axes, r.study.reforms):
        part = table[table["reform"] == reform].reset_index(drop=True)
        y = np.arange(len(part))
        ax.barh(y - 0.18, part["S1"], 0.34, xerr=part["S1_conf"], color=PALETTE[0], label="S1", capsize=2)
        ax.barh(y + 0.18, part["ST"], 0.34, xerr=part["ST_conf"], color=PALETTE[1], label="ST", capsize=2)
        ax.set_yticks(y, [_short(a) for a in part["assumption"]], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(text["index"])
        ax.legend(fontsize=7, loc="lower right")
    return fig


def thirds(worlds: pd.DataFrame, diffs: pd.Series, key: str) -> tuple[float, float]:
    """Mean difference in the worlds where `key` is in the lowest and in the highest third of the
    sampled values (first and last level for a choice)."""
    values = worlds[key]
    if not pd.api.types.is_numeric_dtype(values):
        levels = sorted(values.unique())
        return float(diffs[values == levels[0]].mean()), float(diffs[values == levels[-1]].mean())
    low, high = values.quantile([1 / 3, 2 / 3])
    return float(diffs[values <= low].mean()), float(diffs[values >= high].mean())


def tornado_rows(r, reform: str, outcome: str) -> pd.DataFrame:
    """The assumptions ordered by how far apart their low and high thirds put the difference."""
    judged = r.differences[(r.differences["design"] == "verdicts") & (r.differences["reform"] == reform)
                           & (r.differences["outcome"] == outcome)].set_index("world")["diff"].dropna()
    worlds = r.worlds[r.worlds["design"] == "verdicts"].set_index("world").loc[judged.index]
    rows = [(rg.key, *thirds(worlds, judged, rg.key)) for rg in r.plan.ranges]
    table = pd.DataFrame(rows, columns=["assumption", "low", "high"])
    table["span"] = (table["high"] - table["low"]).abs()
    return table.sort_values("span", ascending=False).head(TOP).assign(median=float(judged.median()))


def _tornado(r, outcome: str, text: dict) -> Figure | None:
    if "verdicts" not in r.plan.designs or r.differences.empty:
        return None
    fig, axes = _panels(r, 1.4 + 0.35 * min(TOP, len(r.plan.ranges)))
    scale = outcome_scale(outcome)
    for ax, reform in zip(axes, r.study.reforms):
        rows = tornado_rows(r, reform, outcome)
        if rows.empty or rows["span"].isna().all():
            continue
        mid = rows["median"].iloc[0] * scale
        y = np.arange(len(rows))
        ax.barh(y, rows["low"] * scale - mid, left=mid, color=PALETTE[9], label=text["low"])
        ax.barh(y, rows["high"] * scale - mid, left=mid, color=PALETTE[0], label=text["high"], alpha=0.85)
        ax.axvline(mid, color="#333", lw=1)
        ax.axvline(0, color="#c33", lw=0.8, ls=":")
        ax.set_yticks(y, [_short(a) for a in rows["assumption"]], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(outcome_label(outcome, r.lang))
        ax.legend(fontsize=7, loc="best")
    return fig


def _prim(r, box, text: dict) -> Figure | None:
    """The losing worlds over the box's two first restricted assumptions (or one against the difference)."""
    if not box.limits:
        return None
    keys = list(box.limits)[:2]
    judged = r.differences[(r.differences["design"] == "verdicts") & (r.differences["reform"] == box.reform)
                           & (r.differences["outcome"] == box.outcome)].set_index("world")["diff"].dropna()
    worlds = r.worlds[r.worlds["design"] == "verdicts"].set_index("world").loc[judged.index]
    better = next(o.better for o in r.study.outcomes if o.key == box.outcome)
    loses = (judged * better < 0).to_numpy()
    fig = Figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.subplots()
    x = _axis_values(worlds[keys[0]])
    y = _axis_values(worlds[keys[1]]) if len(keys) == 2 else judged.to_numpy() * outcome_scale(box.outcome)
    ax.scatter(x[~loses], y[~loses], s=12, color=PALETTE[7], alpha=0.6, label=text["wins"])
    ax.scatter(x[loses], y[loses], s=14, color=PALETTE[3], label=text["loses"])
    (x0, x1) = _span(box.limits[keys[0]], worlds[keys[0]])
    (y0, y1) = _span(box.limits[keys[1]], worlds[keys[1]]) if len(keys) == 2 else ax.get_ylim()
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=PALETTE[3], lw=1.6))
    ax.set_xlabel(keys[0])
    ax.set_ylabel(keys[1] if len(keys) == 2 else outcome_label(box.outcome, r.lang))
    ax.legend(fontsize=7)
    return fig


def _axis_values(values: pd.Series) -> np.ndarray:
    """Numbers to plot: a choice's levels as 0, 1, ... with a little jitter."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(float)
    levels = sorted(values.unique())
    return values.map(levels.index).to_numpy(float) + np.linspace(-0.2, 0.2, len(values))


def _span(limit: tuple, values: pd.Series) -> tuple[float, float]:
    if pd.api.types.is_numeric_dtype(values):
        low, high = limit
        return (values.min() if low is None else low), (values.max() if high is None else high)
    levels = sorted(values.unique())
    picked = [levels.index(v) for v in limit if v in levels]
    return min(picked) - 0.4, max(picked) + 0.4


def _short(key: str) -> str:
    """The last two parts of a dotted key: enough to tell assumptions apart on a crowded axis."""
    return ".".join(key.split(".")[-2:])
