"""The comparison's figures, PNG and SVG, drawn with matplotlib's object API (no pyplot state),
each with a title and a caption that tell a planner how to read it.

Every bar carries its 95% interval over replicates; each scenario keeps one colour throughout.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import matplotlib as mpl
import numpy as np
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.measure.distributions import pooled
from sim.present.fonts import rc
from sim.present.labels import METRICS, metric_label
from sim.present.text import section, text
from sim.clock import DAY
from sim.measure.metrics import BAND_LABELS, COMPONENTS, GROUPS, LIFE_CIRCLES_M
from sim.measure.survey import Z95
from sim.present.territory_map import OUTLINE, ROAD_STYLE, draw_geometry

DPI = 150


def colours(name: str) -> list:
    """The colours of one of matplotlib's qualitative colour maps."""
    cmap = mpl.colormaps[name]
    assert isinstance(cmap, ListedColormap)
    return list(cast(Sequence, cmap.colors))


PALETTE = colours("tab10")
STAFF_KINDS = ("street", "community", "specialist", "specialist_travel", "grid", "back_office")
LINE_STYLES = ("-", "--", ":", "-.")
RADIUS_TICKS = (0, 0.3, 0.5, 1, 2, 3, 5, 8, 12, 16, 20, 30, 50)
GROUP_METRICS = ("resident_hours", "in_person_radius_km_mean", "latency_days_mean", "trips_per_request")
# Pairs of bars in the headline figure: a figure that can mislead on its own beside its companion.
HEADLINE_PAIRS = (("service_radius_km.mean", "in_person_radius_km.mean"),
                  ("latency_days.mean", "latency_counting_open_days.restricted_mean"),
                  ("staff_hours_per_request", "staff.paid_hours_per_request"))
PER_1000 = ("turned_away", "abandoned", "complaints", "wrong_decisions")  # per_1000.<event>; words figures.events.*
STYLE = {"figure.titleweight": "bold", "svg.hashsalt": "jiangbei-sim", "svg.fonttype": "path", "axes.spines.top": False,
         "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3}


@dataclass(frozen=True)
class FigureFile:
    """A written figure: file stem (PNG and SVG beside each other), title and caption."""

    name: str
    title: str
    caption: str


def draw_all(folder: Path, c) -> list[FigureFile]:
    """Draw every figure of the comparison `c` (a `sim.studies.compare.Comparison`) into `folder`."""
    t = section("figures", c.lang)
    drawers = [("headline", "headline", _headline), ("access_map", "map", _access_map), ("service_radius_ecdf", "ecdf", _service_radius),
               ("latency", "latency", _latency), ("latency_components", "components", _components),
               ("trips", "trips", _trips), ("by_group", "groups", _by_group), ("staff", "staff", _staff),
               ("survey", "survey", _survey)]
    written = []
    with mpl.rc_context(STYLE | rc(c.lang)):
        for name, key, draw in drawers:
            fig = draw(c, t)
            if fig is not None:
                written.append(save(fig, folder, name, t(f"{key}.title"), t(f"{key}.caption")))
    return written


TITLE_SIZE = 12
_TOKEN = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+")


def fitted_title(title: str, width_in: float, fontsize: float = TITLE_SIZE) -> str:
    """The title broken into lines that fit the figure's width (a Chinese character is about one em,
    a Latin one about half), between words or between Chinese characters: a long title is not cut off."""
    room = width_in * 72 / fontsize * 0.92  # ems per line
    lines, line, used = [], "", 0.0
    for token in _TOKEN.findall(title):
        ems = sum(1.0 if ord(ch) >= 0x2E80 else 0.56 for ch in token)
        if line and used + ems > room and not token.isspace():
            lines.append(line.rstrip())
            line, used = "", 0.0
        if line or not token.isspace():
            line, used = line + token, used + ems
    return "\n".join(lines + [line.rstrip()])


def save(fig: Figure, folder: Path, name: str, title: str, caption: str) -> FigureFile:
    """Title the figure and write it as PNG and SVG (the SVG without a date, so reruns match)."""
    fig.suptitle(fitted_title(title, fig.get_figwidth()), fontsize=TITLE_SIZE)
    fig.savefig(folder / f"{name}.png", dpi=DPI)
    fig.set_layout_engine("none")  # the SVG keeps the layout the PNG's drawing worked out
    fig.savefig(folder / f"{name}.svg", dpi=DPI, metadata={"Date": None})
    return FigureFile(name, title, caption)


def _colour(c, label: str):
    return PALETTE[c.labels.index(label) % len(PALETTE)]


def _cell(c, label: str, metric: str) -> tuple[float, float]:
    """(mean, 95% half-width) of a metric for a scenario; NaN where not available."""
    row = c.cell(label, metric)
    return (math.nan, math.nan) if row is None else (row["mean"], row["half_width"])


def _access_map(c, t: Callable[..., str]) -> Figure | None:
    maps = {label: c.maps[label] for label in c.labels if label in c.maps}
    if not maps:
        return None
    finite = np.concatenate([m.access_km[np.isfinite(m.access_km)] for m in maps.values()])
    norm = Normalize(0, float(np.quantile(finite, 0.99)) if finite.size else 1.0)
    territory = next(iter(maps.values())).territory
    box = territory.street_box
    aspect = float(np.ptp(box[:, [1, 3]]) / max(np.ptp(box[:, [0, 2]]), 1e-9))  # height / width
    panel = 2.1 if aspect > 1 else 3.2
    fig = Figure(figsize=(panel * len(maps) + 2.2, min(8.5, panel * aspect + 2.8)), layout="constrained")
    axes = fig.subplots(1, len(maps), sharex=True, sharey=True, squeeze=False)[0]
    scatter = None
    for ax, (label, m) in zip(axes, maps.items()):
        draw_geometry(ax, m.territory)
        size = 12 * m.building_pop / max(1, np.median(m.building_pop))
        scatter = ax.scatter(*m.building_xy.T, c=np.where(np.isfinite(m.access_km), m.access_km, norm.vmax),
                             s=np.clip(size, 2, 30), cmap="YlOrRd", norm=norm, linewidths=0,
                             rasterized=True)  # thousands of buildings: an image inside the SVG
        if m.door_accepts:
            ax.scatter(*m.grid_xy.T, marker="^", s=10, c="#2c7fb8", linewidths=0)
        ax.scatter(*m.community_xy.T, marker="s", s=45, edgecolors="#08306b", linewidths=1.2,
                   c="#08306b" if m.community_accepts else "white")
        ax.scatter(*m.street_xy.T, marker="*", s=260, c="black", edgecolors="white", linewidths=0.8, zorder=5)
        mean, _ = _cell(c, label, "access_radius_km.mean")
        ax.set_title(f"{c.short[label]}\n{t('mean')} {mean:.2f} {t('km')}", fontsize=10)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_xlabel(t("km"))
    axes[0].set_ylabel(t("km"))
    assert scatter is not None
    fig.colorbar(scatter, ax=list(axes), label=t("map_bar"), shrink=0.6)
    handles = [
        Line2D([], [], marker="*", ls="", ms=14, mfc="black", mec="white", label=t("street_centre")),
        Line2D([], [], marker="s", ls="", ms=7, mfc="#08306b", mec="#08306b", label=t("station_accepts")),
        Line2D([], [], marker="s", ls="", ms=7, mfc="white", mec="#08306b", label=t("station_not")),
        Line2D([], [], marker="^", ls="", ms=6, mfc="#2c7fb8", mec="#2c7fb8", label=t("grid_point")),
        Line2D([], [], color=OUTLINE[0], lw=OUTLINE[1],
               label=t("boundary_community" if territory.community_shapes is not None else "boundary_street")),
    ]
    if territory.roads is not None:
        handles.append(Line2D([], [], color=ROAD_STYLE["street"][0], lw=ROAD_STYLE["street"][1], label=t("road")))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=9)
    return fig


def _distribution_lines(c, ax, key: str) -> float:
    """One curve per scenario (mean quantile function over replicates); returns a sensible x limit.

    Each scenario also has its own line style, so that identical curves stay visible."""
    limit = 0.0
    for label in c.labels:
        curve = pooled(c.distributions.get(label, []), key)
        if curve is None:
            continue
        values, probabilities = curve
        ax.plot(values, probabilities, color=_colour(c, label), lw=2, label=c.names[label], drawstyle="steps-post",
                ls=LINE_STYLES[c.labels.index(label) % len(LINE_STYLES)])
        limit = max(limit, float(np.interp(0.98, probabilities, values)))
    return limit


def _legend_or_nothing(ax, t: Callable[..., str]) -> None:
    """The curves' legend, or a line saying there is nothing to draw, where no scenario has a finished
    request (an empty panel would read as a drawing error)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    else:
        ax.text(0.5, 0.5, t("nothing_finished"), transform=ax.transAxes, ha="center", va="center", color="dimgrey")


def _service_radius(c, t: Callable[..., str]) -> Figure:
    """Square-root distance axis: the life circles within 1 km get room, the long tail still shows."""
    fig = Figure(figsize=(9, 5.2), layout="constrained")
    ax = fig.subplots()
    limit = max(_distribution_lines(c, ax, "service_radius_km"), 1.2)
    ax.set_xscale("function", functions=(np.sqrt, np.square))
    ticks = [t for t in RADIUS_TICKS if t <= limit]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    for metres in LIFE_CIRCLES_M:
        ax.axvline(metres / 1000, color="grey", ls=":", lw=1.2)
        ax.text(metres / 1000, 0.02, " " + t("circle", m=metres), rotation=90, ha="right", va="bottom",
                fontsize=8, color="dimgrey")
    ax.set_xlim(0, limit)
    ax.set_ylim(0, 1.0)
    ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    ax.set_xlabel(t("radius_axis"))
    ax.set_ylabel(t("share_axis"))
    _legend_or_nothing(ax, t)
    return fig


def _latency(c, t: Callable[..., str]) -> Figure:
    fig = Figure(figsize=(11, 5), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    limit = _distribution_lines(c, left, "latency_days")
    left.set_xlim(0, max(limit, 1.0))
    left.set_ylim(0, 1.0)
    left.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))
    left.set_xlabel(t("latency_axis"))
    left.set_ylabel(t("share_axis"))
    _legend_or_nothing(left, t)
    boxes, colours = [], []
    for label in c.labels:
        curve = pooled(c.distributions.get(label, []), "latency_days")
        if curve is None:
            continue
        values, probabilities = curve
        q = {p: float(np.interp(p, probabilities, values)) for p in (0.1, 0.25, 0.5, 0.75, 0.9)}
        boxes.append({"label": c.short[label], "whislo": q[0.1], "q1": q[0.25], "med": q[0.5], "q3": q[0.75],
                      "whishi": q[0.9], "mean": _cell(c, label, "latency_days.mean")[0], "fliers": []})
        colours.append(_colour(c, label))
    if boxes:
        art = right.bxp(boxes, orientation="horizontal", showmeans=True, patch_artist=True,
                        meanprops={"marker": "o", "markerfacecolor": "black", "markeredgecolor": "black"},
                        medianprops={"color": "black"})
        for patch, colour in zip(art["boxes"], colours):
            patch.set_facecolor(colour)
            patch.set_alpha(0.7)
        right.invert_yaxis()
    right.set_xlabel(t("latency_axis"))
    return fig


def _components(c, t: Callable[..., str]) -> Figure:
    fig = Figure(figsize=(10, 1.1 * len(c.labels) + 2.2), layout="constrained")
    ax = fig.subplots()
    palette = colours("tab20")
    y = np.arange(len(c.labels))
    left = np.zeros(len(c.labels))
    for k, component in enumerate(COMPONENTS):
        days = np.array([_cell(c, label, f"latency_days.components.{component}")[0] for label in c.labels])
        days = np.nan_to_num(days) / DAY
        ax.barh(y, days, left=left, color=palette[k * 2 % len(palette)], height=0.6,
                label=text(f"words.components.{component}", c.lang))
        for yi, (x0, w) in enumerate(zip(left, days)):
            if w > 0.06 * max(left.max() + days.max(), 1e-9):
                ax.text(x0 + w / 2, yi, f"{w:.1f}", ha="center", va="center", fontsize=8)
        left += days
    for yi, total in enumerate(left):
        ax.text(total, yi, f"  {total:.1f}", va="center", fontsize=9)
    ax.set_yticks(y, [c.short[label] for label in c.labels])
    ax.invert_yaxis()
    ax.set_xlabel(t("days_axis"))
    ax.set_xlim(0, left.max() * 1.12 if left.max() > 0 else 1)
    fig.legend(loc="outside lower center", ncol=4, frameon=False, fontsize=9)
    ax.grid(axis="y", visible=False)
    return fig


def _scenario_bars(c, ax, metric: str, percent: bool = False) -> None:
    """One bar per scenario with its 95% interval."""
    scale = 100 if percent else 1
    cells = [_cell(c, label, metric) for label in c.labels]
    x = np.arange(len(c.labels))
    ax.bar(x, [m * scale for m, _ in cells], yerr=[np.nan_to_num(h) * scale for _, h in cells], capsize=4,
           color=[_colour(c, label) for label in c.labels])
    ax.set_xticks(x, [c.short[label] for label in c.labels], fontsize=9)
    ax.set_ylabel(metric_label(METRICS[metric], c.lang))
    ax.grid(axis="x", visible=False)


def _pair_bars(c, ax, first: str, second: str) -> None:
    """Two bars per scenario: the figure (light) and its companion (dark), each with its interval."""
    x = np.arange(len(c.labels))
    for k, (metric, alpha) in enumerate(((first, 0.4), (second, 1.0))):
        cells = [_cell(c, label, metric) for label in c.labels]
        ax.bar(x + (k - 0.5) * 0.38, [m for m, _ in cells], 0.38, yerr=[np.nan_to_num(h) for _, h in cells],
               capsize=3, color=[_colour(c, label) for label in c.labels], alpha=alpha,
               label=metric_label(METRICS[metric], c.lang))
    ax.set_xticks(x, [c.short[label] for label in c.labels], fontsize=9)
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(0, 1.22))
    ax.grid(axis="x", visible=False)


def _headline(c, t: Callable[..., str]) -> Figure:
    fig = Figure(figsize=(15, 8.5), layout="constrained")
    (hours, radius, events), (latency, staff, fte) = fig.subplots(2, 3)
    _scenario_bars(c, hours, "resident_hours.mean")
    for ax, (first, second) in zip((radius, latency, staff), HEADLINE_PAIRS):
        _pair_bars(c, ax, first, second)
    width = 0.8 / len(c.labels)
    x = np.arange(len(PER_1000))
    for k, label in enumerate(c.labels):
        cells = [_cell(c, label, f"per_1000.{event}") for event in PER_1000]
        events.bar(x + (k - (len(c.labels) - 1) / 2) * width, [m for m, _ in cells], width,
                   yerr=[np.nan_to_num(h) for _, h in cells], capsize=2, color=_colour(c, label), label=c.short[label])
    events.set_xticks(x, [t(f"events.{event}") for event in PER_1000], fontsize=8, rotation=12)
    events.set_ylabel(t("per_1000_axis"))
    events.legend(frameon=False, fontsize=8)
    events.grid(axis="x", visible=False)
    _scenario_bars(c, fte, "staff.fte.total")
    fte.set_ylabel(t("fte_axis"), fontsize=9)
    return fig


def _trips(c, t: Callable[..., str]) -> Figure:
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    _scenario_bars(c, left, "trips_per_request")
    _scenario_bars(c, right, "share_one_trip_or_less", percent=True)
    right.set_ylim(0, 100)
    return fig


def _by_group(c, t: Callable[..., str]) -> Figure:
    w = section("words", c.lang)
    rows = [(list(GROUPS), [w(f"groups.{g}") for g in GROUPS], "by_group.{}", w("group")),
            (list(BAND_LABELS), list(BAND_LABELS), "by_group.distance_band.{}", w("distance_band"))]
    heads = {"resident_hours": "resident_hours.mean", "in_person_radius_km_mean": "in_person_radius_km.mean",
             "service_radius_km_mean": "service_radius_km.mean", "latency_days_mean": "latency_days.mean",
             "trips_per_request": "trips_per_request"}
    fig = Figure(figsize=(16, 8), layout="constrained")
    axes = fig.subplots(2, len(GROUP_METRICS))
    width = 0.8 / len(c.labels)
    for (keys, names, pattern, title), row in zip(rows, axes):
        x = np.arange(len(keys))
        for ax, figure in zip(row, GROUP_METRICS):
            for k, label in enumerate(c.labels):
                cells = [_cell(c, label, f"{pattern.format(key)}.{figure}") for key in keys]
                ax.bar(x + (k - (len(c.labels) - 1) / 2) * width, [m for m, _ in cells], width,
                       yerr=[np.nan_to_num(h) for _, h in cells], capsize=2, color=_colour(c, label),
                       label=c.names[label])
            ax.set_xticks(x, names, fontsize=9)
            ax.set_ylabel(metric_label(METRICS[heads[figure]], c.lang))
            ax.set_xlabel(title)
            ax.grid(axis="x", visible=False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(c.labels), frameon=False)
    return fig


def _staff(c, t: Callable[..., str]) -> Figure:
    per_request = {
        "street": "staff.street.hours_per_request", "community": "staff.community.hours_per_request",
        "specialist": "staff.specialist.window_hours_per_request",
        "specialist_travel": "staff.specialist.travel_hours_per_request", "grid": "staff.grid.hours_per_request",
        "back_office": "staff.back_office.hours_per_request",
    }
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(c.labels))
    bottom = np.zeros(len(c.labels))
    palette = colours("Set2")
    for k, kind in enumerate(STAFF_KINDS):
        hours = np.nan_to_num([_cell(c, label, per_request[kind])[0] for label in c.labels])
        ax.bar(x, hours, 0.6, bottom=bottom, color=palette[k], label=text(f"words.staff.{kind}", c.lang),
               hatch="//" if kind == "specialist_travel" else None, edgecolor="white")
        bottom += hours
    totals = [_cell(c, label, "staff_hours_per_request") for label in c.labels]
    ax.errorbar(x, [m for m, _ in totals], yerr=[np.nan_to_num(h) for _, h in totals], fmt="none", ecolor="black",
                capsize=4)
    ax.set_xticks(x, [c.short[label] for label in c.labels])
    ax.set_ylabel(t("hours_axis"))
    ax.legend(frameon=False, fontsize=9)
    ax.grid(axis="x", visible=False)
    return fig


def _survey(c, t: Callable[..., str]) -> Figure | None:
    if c.survey.empty and all(c.cell(label, "survey.satisfaction.estimate") is None for label in c.labels):
        return None
    fig = Figure(figsize=(11 if len(c.survey) else 6, 4.8), layout="constrained")
    axes = fig.subplots(1, 2 if len(c.survey) else 1, squeeze=False)[0]
    left = axes[0]
    x = np.arange(len(c.labels))
    for k, label in enumerate(c.labels):
        est, _ = _cell(c, label, "survey.satisfaction.estimate")
        se, _ = _cell(c, label, "survey.satisfaction.se")
        true, _ = _cell(c, label, "survey.satisfaction.true")
        left.errorbar(k - 0.1, est * 100, yerr=Z95 * se * 100, fmt="o", color=_colour(c, label), capsize=4,
                      label=t("survey_est") if k == 0 else None)
        left.plot(k + 0.1, true * 100, "D", color="black", label=t("survey_true") if k == 0 else None)
    left.set_xticks(x, [c.short[label] for label in c.labels], fontsize=9)
    left.set_xlim(-0.6, len(c.labels) - 0.4)
    left.set_ylabel(t("sat_axis"))
    left.legend(frameon=False, fontsize=9)
    left.grid(axis="x", visible=False)
    if len(c.survey):
        _survey_differences(c, axes[1], t)
    return fig


def _survey_differences(c, right, t: Callable[..., str]) -> None:
    for k, row in enumerate(c.survey.itertuples()):
        colour = _colour(c, row.label)
        right.errorbar(k - 0.1, row.true_diff * 100, yerr=np.nan_to_num(row.true_high - row.true_diff) * 100,
                       fmt="D", color="black", capsize=4, label=t("true_diff") if k == 0 else None)
        right.errorbar(k + 0.1, row.survey_diff * 100, yerr=np.nan_to_num(row.survey_margin) * 100, fmt="o",
                       color=colour, capsize=4, label=t("survey_diff") if k == 0 else None)
    right.axhline(0, color="grey", lw=1)
    right.set_xticks(np.arange(len(c.survey)), [c.short[label] for label in c.survey["label"]], fontsize=9)
    right.set_xlim(-0.6, len(c.survey) - 0.4)
    right.set_ylabel(t("diff_axis", base=c.short[c.labels[0]]))
    right.legend(frameon=False, fontsize=9)
    right.grid(axis="x", visible=False)
