"""The sensitivity study's figures, PNG and SVG (sim.present.figures.save), in English or Chinese:
per outcome a Morris mu*-sigma plot, Sobol' indices with their intervals and a tornado of the
most influential assumptions; per reform and outcome where it loses, its PRIM box.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.present.figures import PALETTE, STYLE, FigureFile, save
from sim.present.fonts import rc
from sim.present.labels import METRICS, metric_label, scenario_name
from sim.present.text import section
from sim.runs.robustness import judge

TOP = 8  # assumptions named per panel
MAX_BOXES = 8


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
    t = section("sensitivity_figures", r.lang)
    written = []
    with mpl.rc_context(STYLE | rc(r.lang)):
        for k, o in enumerate(r.study.outcomes):
            name = outcome_label(o.key, r.lang)
            for kind, draw in (("morris", _morris), ("sobol", _sobol), ("tornado", _tornado)):
                fig = draw(r, o.key, t)
                if fig is not None:
                    title, caption = t(f"{kind}.title"), t(f"{kind}.caption")
                    written.append(save(fig, folder, f"{kind}_{k}", title.format(outcome=name),
                                        caption.format(top=TOP)))
        for k, box in enumerate(r.boxes[:MAX_BOXES]):
            fig = _prim(r, box, t)
            if fig is not None:
                title, caption = t("prim.title"), t("prim.caption")
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


def _morris(r, outcome: str, t: Callable[..., str]) -> Figure | None:
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
        ax.set_xlabel(t("mu_star"))
        ax.set_ylabel(t("sigma"))
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    return fig


def _sobol(r, outcome: str, t: Callable[..., str]) -> Figure | None:
    table = r.sobol[r.sobol["outcome"] == outcome] if len(r.sobol) else r.sobol
    if not len(table) or table["ST"].isna().all():
        return None
    fig, axes = _panels(r, 1.4 + 0.45 * table["assumption"].nunique())
    for ax, reform in zip(axes, r.study.reforms):
        part = table[table["reform"] == reform].reset_index(drop=True)
        y = np.arange(len(part))
        for shift, index, colour in ((-0.18, "S1", PALETTE[0]), (0.18, "ST", PALETTE[1])):
            sure = part[f"{index}_resolved"].astype(bool).to_numpy()
            for keep, look in ((sure, {"label": index}),
                               (~sure, {"label": f"{index}, {t('unresolved')}", "alpha": 0.35, "hatch": "///"})):
                if keep.any():
                    ax.barh(y[keep] + shift, part[index][keep], 0.34, xerr=part[f"{index}_conf"][keep], color=colour,
                            capsize=2, **look)
        ax.set_yticks(y, [_short(a) for a in part["assumption"]], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(t("index"))
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


def _tornado(r, outcome: str, t: Callable[..., str]) -> Figure | None:
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
        ax.barh(y, rows["low"] * scale - mid, left=mid, color=PALETTE[9], label=t("low"))
        ax.barh(y, rows["high"] * scale - mid, left=mid, color=PALETTE[0], label=t("high"), alpha=0.85)
        ax.axvline(mid, color="#333", lw=1)
        ax.axvline(0, color="#c33", lw=0.8, ls=":")
        ax.set_yticks(y, [_short(a) for a in rows["assumption"]], fontsize=7)
        ax.invert_yaxis()
        ax.legend(fontsize=7, loc="best")
    fig.supxlabel(outcome_label(outcome, r.lang), fontsize=10)  # once: a panel's width cannot hold a long label
    return fig


def _prim(r, box, t: Callable[..., str]) -> Figure | None:
    """The losing worlds over the box's two first restricted assumptions (or one against the difference)."""
    if not box.limits:
        return None
    keys = list(box.limits)[:2]
    judged = r.differences[(r.differences["design"] == "verdicts") & (r.differences["reform"] == box.reform)
                           & (r.differences["outcome"] == box.outcome)].set_index("world")["diff"].dropna()
    worlds = r.worlds[r.worlds["design"] == "verdicts"].set_index("world").loc[judged.index]
    o = r.study.outcome(box.outcome)
    loses = judge(judged, o.better, o.margin) < 0
    fig = Figure(figsize=(6.2, 4.4), layout="constrained")
    ax = fig.subplots()
    x = _axis_values(worlds[keys[0]])
    y = _axis_values(worlds[keys[1]]) if len(keys) == 2 else judged.to_numpy() * outcome_scale(box.outcome)
    ax.scatter(x[~loses], y[~loses], s=12, color=PALETTE[7], alpha=0.6, label=t("wins"))
    ax.scatter(x[loses], y[loses], s=14, color=PALETTE[3], label=t("loses"))
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
