"""The experiment's figures, PNG and SVG, in the comparison's style: a main-effects plot and an
interaction plot for each pair of factors, every panel one metric.

Main-effect bars show the interval of each level's paired difference from the first level,
drawn around the level's mean: the runs share their random numbers, so a difference is known
far better than either mean, and a bar that misses the first level's line is a real difference.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from sim.present.experiment_report import compared, metric_of, pairs
from sim.runs.effects import lookup
from sim.present.figures import LINE_STYLES, PALETTE, STYLE, FigureFile, save
from sim.present.fonts import rc
from sim.present.labels import metric_label
from sim.present.reading import finding
from sim.present.text import section

COLUMNS = 4  # panels per row of an interaction plot
VERDICT = {"better": "#2e7d32", "worse": "#c62828", "": "#616161"}


def draw_all(folder: Path, r) -> list[FigureFile]:
    """Draw the experiment `r` (a `sim.studies.experiment.Results`) into `folder`."""
    t = section("experiment_figures", r.lang)
    with mpl.rc_context(STYLE | rc(r.lang)):
        written = [save(_main_effects(r), folder, "main_effects", t("main.title"), t("main.caption"))]
        for fa, fb in pairs(r):
            x, lines = (fa, fb) if len(r.factors[fa]) >= len(r.factors[fb]) else (fb, fa)
            title, caption = (t(f"interaction.{part}", a=x, b=lines) for part in ("title", "caption"))
            written.append(save(_interaction(r, fa, fb, x), folder, f"interaction_{fa}_{fb}", title, caption))
    return written


def _scale(metric: str) -> float:
    return 100.0 if metric_of(metric).unit == "share" else 1.0


def _value(row, key: str) -> float:
    return math.nan if row is None or row["n"] == 0 else float(row[key])


def _main_effects(r) -> Figure:
    metrics, factors = r.exp.metrics, r.factors
    fig = Figure(figsize=(2.2 + 2.6 * len(factors), 0.8 + 2.1 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), len(factors), sharey="row", squeeze=False)
    for row, metric in zip(axes, metrics):
        info, scale = metric_of(metric), _scale(metric)
        for ax, (factor, levels) in zip(row, factors.items()):
            x = np.arange(len(levels))
            means = [_value(lookup(r.effects, metric, "mean", factor, lv), "estimate") * scale for lv in levels]
            bases = dict(compared(r, factor))
            for base in [lv for lv in levels if lv not in bases]:  # a reference and the levels compared with it
                group = [k for k, lv in enumerate(levels) if lv == base or bases.get(lv) == base]
                ax.plot(group, [means[k] for k in group], color="#9e9e9e", lw=1, zorder=1)
                ax.hlines(means[group[0]], min(group) - 0.3, max(group) + 0.3, color="black", ls="--", lw=0.8)
                ax.plot(group[0], means[group[0]], "o", color="black", zorder=3)
            for level, base in bases.items():
                k = levels.index(level)
                diff = lookup(r.effects, metric, "difference", factor, level)
                verdict = "" if diff is None or not info.better else info.verdict(diff["estimate"], finding(diff))
                half = _value(diff, "half_width") * scale
                ax.errorbar(k, means[k], yerr=half if math.isfinite(half) else None, fmt="o", capsize=4,
                            color=VERDICT[verdict], zorder=3)
            ax.set_xticks(x, levels, fontsize=8, rotation=30 if sum(map(len, levels)) > 28 else 0)
            ax.set_xlim(-0.5, len(levels) - 0.5)
            ax.grid(axis="x", visible=False)
        _within_shares(row[0], metric)
        row[0].set_ylabel(metric_label(info, r.lang), fontsize=9)
    for ax, factor in zip(axes[0], factors):
        ax.set_title(factor, fontsize=11, fontweight=mpl.rcParams["figure.titleweight"])  # no bold CJK font
    return fig


def _interaction(r, fa: str, fb: str, x_factor: str) -> Figure:
    """Cell means of the pair (fa, fb), the factor with more levels along the x axis."""
    line_factor = fb if x_factor == fa else fa
    xs, lines = r.factors[x_factor], r.factors[line_factor]
    metrics = r.exp.metrics
    cols = min(COLUMNS, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig = Figure(figsize=(0.6 + 3.3 * cols, 0.9 + 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    width = 0.12 * (len(lines) - 1)
    for ax, metric in zip(axes, metrics):
        scale = _scale(metric)
        for k, line in enumerate(lines):
            cells = [_cell(r, metric, fa, fb, x_factor, x, line) for x in xs]
            offset = (k / max(1, len(lines) - 1) - 0.5) * width
            colour = PALETTE[k % len(PALETTE)]
            x = np.arange(len(xs)) + offset
            ax.errorbar(x, [_value(c, "estimate") * scale for c in cells], fmt="none", ecolor=colour, alpha=0.35,
                        yerr=[np.nan_to_num(_value(c, "half_width")) * scale for c in cells], elinewidth=3)
            ax.plot(x, [_value(c, "estimate") * scale for c in cells], color=colour, marker="o", ms=5,
                    ls=LINE_STYLES[k % len(LINE_STYLES)], lw=2, label=f"{line_factor} {line}")
        ax.set_xticks(np.arange(len(xs)), xs, fontsize=8, rotation=30 if sum(map(len, xs)) > 28 else 0)
        ax.set_xlabel(x_factor, fontsize=9)
        ax.set_title(metric_label(metric_of(metric), r.lang), fontsize=9)
        ax.grid(axis="x", visible=False)
        _within_shares(ax, metric)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(lines), frameon=False)
    return fig


def _within_shares(ax, metric: str) -> None:
    """A share's axis stays within 0-100%, where an interval's normal approximation may not."""
    if metric_of(metric).unit == "share":
        low, high = ax.get_ylim()
        ax.set_ylim(max(low, 0.0), min(high, 100.0))


def _cell(r, metric: str, fa: str, fb: str, x_factor: str, x: str, line: str):
    a, b = (x, line) if x_factor == fa else (line, x)
    return lookup(r.effects, metric, "cell", fa, a, fb, b)
