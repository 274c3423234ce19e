"""The teaching app's pictures: the live map of each run and the running charts, drawn with
matplotlib's object API (no pyplot: the server draws figures for several sessions at once).

The map's territory does not change during a run, so it is drawn once and each frame redraws
only what moves on top of it (blitting): that is what keeps the page smooth while playing.
A street taller than wide is turned a quarter turn, so two maps stack and stay readable.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable
from contextlib import contextmanager

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from PIL import Image
from scipy.spatial import ConvexHull, QhullError

from sim.clock import DAY
from sim.present import fonts
from sim.present.labels import scenario_name
from sim.present.territory_map import draw_geometry
from sim.present.text import section
from sim.teaching.live import IN_PROGRESS, QUEUEING, SERVED, STATES, WAITING, LiveModel, View

STATE_COLOURS = np.array([
    matplotlib.colors.to_rgba(c) for c in ("#7f8fa6", "#44bd32", "#e67e22", "#e84118", "#8e44ad")
])  # indexed by the states in live.STATES
RUN_COLOURS = ("#0097e6", "#c23616")
ZONE_COLOURS = ("#dff3e4", "#e3ecfa", "#fdf1d6", "#f6e1ec", "#e6f4f1", "#efe6f8")
STREET_COLOUR, STATION_COLOUR, WORKER_COLOUR, SPECIALIST_COLOUR = "#c0392b", "#273c75", "#218c74", "#f5b700"
BUILDING_COLOUR, GRID_COLOUR, INK = "#b8b8b0", "#636e72", "#2f3640"
MAP_WIDTH_IN, DPI = 13.0, 80
_RENDER = threading.Lock()


@contextmanager
def _rendering():
    """Domain terms are in Chinese in both languages, so every render uses the CJK font.
    matplotlib's settings are process-wide: renders from several sessions take turns."""
    with _RENDER, matplotlib.rc_context(fonts.rc("zh")):
        yield


def png(fig: Figure) -> bytes:
    out = io.BytesIO()
    with _rendering():
        fig.savefig(out, format="png")
    return out.getvalue()


class Orientation:
    """Turns territory km into screen km: a street taller than wide is turned a quarter turn."""

    def __init__(self, territory):
        box = territory.street_box
        self.lo, self.hi = box[:, :2].min(axis=0), box[:, 2:].max(axis=0)
        w, h = self.hi - self.lo
        self.turn = h > w
        self.size = np.array([h, w] if self.turn else [w, h])

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2) - self.lo
        return np.column_stack([xy[:, 1], self.hi[0] - self.lo[0] - xy[:, 0]]) if self.turn else xy


class MapPicture:
    """The live map of one LiveModel in one language: one panel per run, stacked when the
    territory is wide, side by side when it is not, with one legend."""

    def __init__(self, live: LiveModel, lang: str):
        self.lang = lang
        self.words = section("app", lang)
        runs = live.runs
        self.orient = Orientation(runs[0].model.territory)
        w, h = self.orient.size
        self.unit = max(w, h) / 160  # spacing of people lined up at a point, in screen km
        self.fig = Figure(dpi=DPI)
        self.axes = _panels(self.fig, len(runs), (w + 6 * self.unit) / (h + 6 * self.unit))
        self.canvas = FigureCanvasAgg(self.fig)
        self.layers = [self._draw_territory(ax, run) for ax, run in zip(self.axes, runs)]
        self.fig.legend(handles=_legend(self.words), loc="lower center", ncol=6, frameon=False, fontsize=9.5,
                        handletextpad=0.3, columnspacing=1.4)
        with _rendering():
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _draw_territory(self, ax, run) -> dict:
        """The static map, and the (animated) artists each frame moves."""
        terr, words, orient, unit = run.model.territory, self.words, self.orient, self.unit
        w, h = orient.size
        ax.set_xlim(-unit * 3, w + unit * 3)
        ax.set_ylim(-unit * 3, h + unit * 3)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(scenario_title(run.meta, self.lang), loc="left", fontsize=12, color=INK)
        frame = ax.add_patch(FancyBboxPatch((0, 0), w, h, boxstyle=f"round,pad={unit}", facecolor="#f7f7f2",
                                            edgecolor="#d0d0c8", linewidth=1))
        buildings = orient(terr.building_xy)
        stations, streets = orient(terr.community_xy), orient(terr.street_xy)
        for c in range(len(stations)):
            zone = _zone(np.vstack([buildings[terr.building_community == c], stations[c]]), unit * 2.5)
            if zone is not None:
                patch, = ax.fill(*zone.T, facecolor=ZONE_COLOURS[c % len(ZONE_COLOURS)], edgecolor="white",
                                 linewidth=1.5)
                patch.set_clip_path(frame)
        draw_geometry(ax, terr, orient, fill=None)  # a district's real outlines, and the roads
        ax.scatter(*buildings.T, s=6 + 18 * terr.building_pop / terr.building_pop.max(), marker="s",
                   color=BUILDING_COLOUR, linewidths=0)
        ax.scatter(*orient(terr.grid_xy).T, s=22, marker="D", facecolor="white", edgecolor=GRID_COLOUR, linewidths=1)
        ax.scatter(*stations.T, s=80, marker="s", color=STATION_COLOUR, edgecolor="white", linewidths=1, zorder=4)
        zh = self.lang == "zh"
        names = terr.community_names_zh if zh else terr.community_names_en
        street_names = terr.street_names_zh if zh else terr.street_names_en
        for (x, y), name, s in zip(stations, names, terr.community_street):
            ax.annotate(_short(name, street_names[s], zh), (x, y), xytext=(0, 7), textcoords="offset points",
                        ha="center", fontsize=8, color=STATION_COLOUR, zorder=8)
        ax.scatter(*streets.T, s=280, marker="H", color=STREET_COLOUR, edgecolor="white", linewidths=1.5, zorder=4)
        _scale_bar(ax, w, unit, words("km"))
        return {
            "people": ax.scatter(np.empty(0), np.empty(0), s=17, edgecolor="white", linewidths=0.4, animated=True),
            "workers_in": ax.scatter(np.empty(0), np.empty(0), s=34, marker="^", facecolor="white",
                                     edgecolor=WORKER_COLOUR, linewidths=1.2, animated=True),
            "workers_out": ax.scatter(np.empty(0), np.empty(0), s=50, marker="^", color=WORKER_COLOUR,
                                      edgecolor="white", linewidths=0.6, animated=True),
            "specialists": ax.scatter(np.empty(0), np.empty(0), s=180, marker="*", color=SPECIALIST_COLOUR,
                                      edgecolor="#7d6608", linewidths=0.8, animated=True),
            "points": np.vstack([streets, stations]),
            "stations": stations,
        }

    def png(self, views: list[View]) -> bytes:
        """One frame: the territory restored, then residents, staff and queue badges on top."""
        with _rendering():
            self.canvas.restore_region(self.background)
            for ax, layer, view in zip(self.axes, self.layers, views):
                self._draw_frame(ax, layer, view)
            image = Image.fromarray(np.asarray(self.canvas.buffer_rgba()))
        out = io.BytesIO()
        image.save(out, format="png", compress_level=1)
        return out.getvalue()

    def _draw_frame(self, ax, layer: dict, view: View) -> None:
        unit, words = self.unit, self.words
        people = layer["people"]
        people.set_offsets(_placed(view, self.orient, unit))
        people.set_facecolor(STATE_COLOURS[view.state])
        workers = self.orient(view.worker_xy)
        layer["workers_in"].set_offsets(workers[~view.worker_out] + [0, unit * 1.4])
        layer["workers_out"].set_offsets(workers[view.worker_out])
        layer["specialists"].set_offsets(self.orient(view.specialist_xy) - [unit * 2.6, 0])
        for key in ("people", "workers_in", "workers_out", "specialists"):
            ax.draw_artist(layer[key])
        badges = [_badge(ax, layer["points"][p], words("queue_badge", n=int(view.queue[p])), QUEUEING,
                         (0, -14)) for p in np.flatnonzero(view.queue)]
        badges += [_badge(ax, layer["stations"][c], words("held_badge", n=int(view.held[c])), IN_PROGRESS,
                          (0, -28)) for c in np.flatnonzero(view.held)]
        for badge in badges:
            ax.draw_artist(badge)
            badge.remove()


def _panels(fig: Figure, n: int, aspect: float) -> list:
    """n map panels of the given width/height, each under its title, above one legend: stacked
    when the maps are wide, side by side when they are not. Sizes in inches."""
    margin, title, gap, legend = 0.1, 0.32, 0.2, 0.62
    rows, cols = (n, 1) if aspect >= 1.6 else (1, n)
    panel_w = (MAP_WIDTH_IN - 2 * margin - (cols - 1) * gap) / cols
    panel_h = panel_w / aspect
    height = margin + rows * (title + panel_h) + (rows - 1) * gap + legend
    fig.set_size_inches(MAP_WIDTH_IN, height)
    axes = []
    for i in range(n):
        row, col = (i, 0) if rows > 1 else (0, i)
        left = margin + col * (panel_w + gap)
        top = height - margin - row * (title + panel_h + gap) - title
        axes.append(fig.add_axes((left / MAP_WIDTH_IN, (top - panel_h) / height,
                                  panel_w / MAP_WIDTH_IN, panel_h / height)))
    return axes


def _placed(view: View, orient: Orientation, unit: float) -> np.ndarray:
    """Screen positions: residents of one building spread around it, a queue lined up to the right
    of its point, those at the windows in a ring around it."""
    xy = orient(view.xy)
    angle = view.resident * 2.39996  # the golden angle: neighbours in a building do not overlap
    radius = unit * (0.6 + 0.5 * (view.resident % 5))
    home = (view.state == WAITING) | (view.state == IN_PROGRESS)
    xy[home] += np.column_stack([np.cos(angle), np.sin(angle)])[home] * radius[home, None]
    queueing = view.state == QUEUEING
    row, col = np.divmod(view.slot[queueing], 20)
    xy[queueing] += np.column_stack([unit * (2.4 + 1.1 * col), -unit * 1.1 * row])
    served = view.state == SERVED
    turn = view.slot[served] * 2 * math.pi / 6 + math.pi / 2
    xy[served] += np.column_stack([np.cos(turn), np.sin(turn)]) * unit * 1.7
    return xy


def _zone(points: np.ndarray, pad: float) -> np.ndarray | None:
    """A community's area: the hull of its buildings and station, grown by `pad` and rounded."""
    ring = np.linspace(0, 2 * math.pi, 12, endpoint=False)
    grown = (points[:, None, :] + pad * np.stack([np.cos(ring), np.sin(ring)], axis=1)[None]).reshape(-1, 2)
    try:
        hull = ConvexHull(grown)
    except QhullError:
        return None
    return grown[hull.vertices]


def _short(name: str, street: str, zh: bool) -> str:
    """'Dingshan C1' -> 'C1', '顶山第1社区' -> '第1社区': the street is in the title already."""
    prefix = street.removesuffix("街道") if zh else street + " "
    return name.removeprefix(prefix) or name


def _badge(ax, xy, text: str, state: int, offset):
    return ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha="center", va="center", fontsize=8,
                       color="white", zorder=10, animated=True,
                       bbox={"boxstyle": "round,pad=0.25", "facecolor": STATE_COLOURS[state], "edgecolor": "none"})


def _scale_bar(ax, w: float, unit: float, km: str) -> None:
    length = 1 if w < 8 else 2
    x0, y0 = w - length - unit * 2, unit
    ax.plot([x0, x0 + length], [y0, y0], color=INK, linewidth=2.5, solid_capstyle="butt")
    ax.annotate(f"{length} {km}", (x0 + length / 2, y0), xytext=(0, 4), textcoords="offset points", ha="center",
                fontsize=8, color=INK)


def _legend(words: Callable[..., str]) -> list:
    def mark(marker, size, label, **kw):
        return Line2D([], [], marker=marker, linestyle="none", markersize=size, label=label, **kw)

    handles = [mark("o", 6.5, words(name), color=STATE_COLOURS[s], markeredgecolor="white")
               for s, name in enumerate(STATES)]
    return handles + [
        mark("H", 10, words("street_centre"), color=STREET_COLOUR),
        mark("s", 7, words("community_station"), color=STATION_COLOUR),
        mark("D", 5, words("grid"), markerfacecolor="white", markeredgecolor=GRID_COLOUR),
        mark("s", 5, words("building"), color=BUILDING_COLOUR),
        mark("^", 7, words("worker"), color=WORKER_COLOUR),
        mark("*", 12, words("specialist"), color=SPECIALIST_COLOUR, markeredgecolor="#7d6608"),
    ]


def scenario_title(meta: dict, lang: str) -> str:
    """'Dingshan 事项授权专员，派驻社区办理' in English, the Chinese name alone in Chinese."""
    zh = scenario_name(meta, "zh", short=True)
    return zh if lang == "zh" else f"{scenario_name(meta, 'en')}  {zh}"


def charts_figure(live: LiveModel, lang: str) -> Figure:
    """Service radius and time to done of the requests completed so far: each request a faint
    dot, the mean so far a line, one colour per run."""
    words = section("app", lang)
    fig = Figure(figsize=(8.0, 3.3), dpi=DPI)
    axes = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.8, bottom=0.16, wspace=0.22)
    series = live.series()
    for ax, key, label in zip(axes, ("radius", "latency"), (words("radius_axis"), words("latency_axis"))):
        for run, data, colour in zip(live.runs, series, RUN_COLOURS):
            ax.scatter(data["day"], data[key], s=6, color=colour, alpha=0.25, linewidths=0)
            ax.plot(data["mean_day"], data[f"mean_{key}"], color=colour, linewidth=2.4,
                    label=f"{scenario_name(run.meta, lang, short=True)} · {words('mean_so_far')}")
        ax.set_title(label, fontsize=10.5, loc="left", color=INK)
        ax.set_xlabel(words("day"), fontsize=9)
        ax.tick_params(labelsize=8.5)
        ax.set_xlim(0, max(1.0, live.clock / DAY))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper left", ncol=2, frameon=False, fontsize=9.5,
               bbox_to_anchor=(0.06, 1.0))
    return fig
