"""Maps of a territory's geometry: community polygons (or street rectangles of a generated
layout), roads by class, service points, and buildings coloured by a distance. Shared by
`python -m sim territory`, the comparison's access map and the teaching app's map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

ROAD_STYLE = {"main": ("#6d6d6d", 1.6), "street": ("#9a9a9a", 0.9), "lane": ("#b9b2a3", 0.6)}
OTHER_ROAD = ("#a0a0a0", 0.8)
OUTLINE = ("#3b3b3b", 1.4)  # community (or street) boundaries, drawn over the roads


def draw_geometry(ax, territory, transform=None, fill: str | None = "#f4f1ea") -> None:
    """Community outlines (street rectangles for a generated layout) and the roads, underneath
    whatever is drawn next; `transform` maps (N,2) km to the axes' coordinates; `fill` None
    draws the outlines only (over a map's own colouring)."""
    move = transform or (lambda xy: np.asarray(xy, float))
    if territory.community_shapes is not None:
        patches = [Polygon(move(np.asarray(ring.exterior.coords)[:, :2]), closed=True)
                   for shape in territory.community_shapes for ring in getattr(shape, "geoms", [shape])]
    else:
        patches = [_rectangle(move, box) for box in territory.street_box]
    if fill:
        ax.add_collection(PatchCollection(patches, facecolor=fill, edgecolor="none", zorder=0))
    ax.add_collection(PatchCollection(patches, facecolor="none", edgecolor=OUTLINE[0], linewidth=OUTLINE[1],
                                      zorder=1.5))
    if territory.roads is None:
        return
    graph = territory.roads.graph
    by_class: dict[str, list] = {}
    for a, b, data in graph.edges(data=True):
        by_class.setdefault(data["cls"], []).append(move([[graph.nodes[a]["x"], graph.nodes[a]["y"]],
                                                          [graph.nodes[b]["x"], graph.nodes[b]["y"]]]))
    for cls, lines in by_class.items():
        colour, width = ROAD_STYLE.get(cls, OTHER_ROAD)
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, zorder=1))


def label_communities(ax, territory) -> None:
    """Each community's name inside its polygon, near its top edge (a district from files)."""
    if territory.community_shapes is None:
        return
    for name, shape in zip(territory.community_names_en, territory.community_shapes):
        x = shape.representative_point().x
        top = shape.bounds[3] - 0.04 * (shape.bounds[3] - shape.bounds[1])
        ax.text(x, top, name, ha="center", va="top", fontsize=7, color="#222222", zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.75})


def _rectangle(move, box) -> Polygon:
    x0, y0, x1, y1 = box
    return Polygon(move([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), closed=True)


def territory_figure(territory, panels: dict[str, np.ndarray], title: str) -> Figure:
    """One panel per distance (title -> km per building): geometry, buildings coloured by the
    distance, community stations and street centres."""
    finite = np.concatenate([km[np.isfinite(km)] for km in panels.values()])
    norm = Normalize(0, float(np.quantile(finite, 0.99)) if finite.size else 1.0)
    lo, hi = territory.street_box[:, :2].min(axis=0), territory.street_box[:, 2:].max(axis=0)
    w, h = hi - lo
    wide = w >= h
    fig = Figure(figsize=(7.5, 5.5 * len(panels) * h / max(w, 1e-9) + 1.2) if wide else
                 (max(3.0 * len(panels) + 2.5, 6.5), 9), layout="constrained")
    axes = fig.subplots(len(panels) if wide else 1, 1 if wide else len(panels), squeeze=False).ravel()
    scatter = None
    for ax, (name, km) in zip(axes, panels.items()):
        draw_geometry(ax, territory)
        label_communities(ax, territory)
        size = 10 * territory.building_pop / max(1, np.median(territory.building_pop))
        scatter = ax.scatter(*territory.building_xy.T, c=np.where(np.isfinite(km), km, norm.vmax),
                             s=np.clip(size, 2, 25), cmap="YlOrRd", norm=norm, linewidths=0, zorder=2)
        ax.scatter(*territory.community_xy.T, marker="s", s=40, c="#08306b", edgecolors="white", linewidths=0.8,
                   zorder=3)
        ax.scatter(*territory.street_xy.T, marker="*", s=240, c="black", edgecolors="white", linewidths=0.8,
                   zorder=4)
        ax.set_title(f"{name}\nmean {np.average(km, weights=territory.building_pop):.2f} km (population-weighted)",
                     fontsize=9)
        ax.set_xlim(lo[0] - 0.02 * w, hi[0] + 0.02 * w)
        ax.set_ylim(lo[1] - 0.02 * h, hi[1] + 0.02 * h)
        ax.set_aspect("equal")
        ax.set_xlabel("km")
        ax.set_ylabel("km")
    fig.colorbar(scatter, ax=list(axes), label="road km from each building", shrink=0.7)
    handles = [Line2D([], [], marker="*", ls="", ms=13, mfc="black", mec="white", label="street centre"),
               Line2D([], [], marker="s", ls="", ms=7, mfc="#08306b", mec="white", label="community station"),
               Line2D([], [], color=OUTLINE[0], lw=OUTLINE[1],
                      label="community" if territory.community_shapes is not None else "street")]
    handles += [Line2D([], [], color=c, lw=w, label=f"road: {cls}") for cls, (c, w) in ROAD_STYLE.items()
                if territory.roads is not None and any(d["cls"] == cls for *_, d in
                                                       territory.roads.graph.edges(data=True))]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles) if wide else 3, frameon=False,
               fontsize=8)
    fig.suptitle(title, fontsize=12)
    return fig


def save_figure(fig: Figure, folder: Path, name: str) -> list[Path]:
    """PNG and SVG (the SVG without a date, so reruns match)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for suffix in ("png", "svg"):
        path = folder / f"{name}.{suffix}"
        fig.savefig(path, dpi=110, metadata={"Date": None} if suffix == "svg" else None)
        out.append(path)
    return out
