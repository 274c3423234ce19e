"""Roads: a networkx graph of road segments in km, and distances along it.

A trip leaves its start in a straight line to the nearest road node (straight line x circuity,
the short way from a door to the road), follows the shortest path along the roads, and leaves
the road at the node nearest its end. Each road class has a walking and a riding pace relative
to the resident's own speed, so three shortest paths are kept per trip: in km (the service
radius), in walking km (km / walk factor) and in riding km (km / ride factor); dividing the
latter two by a resident's speed gives minutes. One Dijkstra search per service point serves
every building at once (scipy's csgraph over the networkx graph), never one per resident.

Road graphs come from three places: generated for the synthetic layouts (a main road along
each street, village lanes in a lattice, a river crossed by few bridges), a line layer (a
district file's `roads`), or an OpenStreetMap extract on disk (.osm or .pbf, read by osmium).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sim.errors import ScenarioError

ACCESS = "access"  # the class of the straight leg between a door and the road
SOURCES_PER_SEARCH = 64  # Dijkstra sources searched together (bounds the memory of one block)
NODE_DIGITS = 6  # node positions are rounded to a millimetre so touching segments share a node


@dataclass(frozen=True)
class Legs:
    """Trips between points: road km, and km at walking and at riding pace (divide by a speed)."""

    km: np.ndarray
    walk_km: np.ndarray
    ride_km: np.ndarray


@dataclass(frozen=True)
class RoadClass:
    walk: float  # walking speed on this class relative to the resident's own
    ride: float  # riding speed relative to residents.ride_kmh
    osm: tuple[str, ...] = ()  # OpenStreetMap highway tags read as this class


def road_classes(cfg: dict) -> dict[str, RoadClass]:
    return {name: RoadClass(float(c["walk"]), float(c["ride"]), tuple(c.get("osm", ())))
            for name, c in cfg.items()}


class RoadNetwork:
    """A connected road graph (nodes with x, y in km; edges with km and class) and its searches."""

    def __init__(self, graph: nx.Graph, classes: dict[str, RoadClass], circuity: float):
        self.graph = graph
        self.classes = classes
        self.circuity = circuity
        nodes = list(graph.nodes)
        self.xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes], float).reshape(-1, 2)
        self._tree = cKDTree(self.xy)
        index = {n: i for i, n in enumerate(nodes)}
        u, v, km, cls = zip(*((index[a], index[b], d["km"], d["cls"]) for a, b, d in graph.edges(data=True))) \
            if graph.number_of_edges() else ((), (), (), ())
        km = np.array(km, float)
        walk = np.array([classes[c].walk for c in cls])
        ride = np.array([classes[c].ride for c in cls])
        self._weights = {name: self._matrix(np.array(u, int), np.array(v, int), w)
                         for name, w in (("km", km), ("walk_km", km / walk), ("ride_km", km / ride))}
        access = classes[ACCESS]
        self._access = {"km": 1.0, "walk_km": 1 / access.walk, "ride_km": 1 / access.ride}

    def _matrix(self, u: np.ndarray, v: np.ndarray, w: np.ndarray):
        n = len(self.xy)
        return coo_array((w, (u, v)), shape=(n, n)).tocsr()

    @property
    def components(self) -> int:
        return nx.number_connected_components(self.graph)

    @property
    def km(self) -> float:
        return float(sum(d["km"] for _, _, d in self.graph.edges(data=True)))

    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest road node of each point, and the straight leg to it x circuity, in km."""
        off, node = self._tree.query(np.asarray(xy, float).reshape(-1, 2))
        return node, off * self.circuity

    def legs(self, a_xy: np.ndarray, b_xy: np.ndarray) -> Legs:
        """Every a (N) to every b (M): (N, M) arrays; one search from each b's road node."""
        a_node, a_off = self.snap(a_xy)
        b_node, b_off = self.snap(b_xy)
        sources, which = np.unique(b_node, return_inverse=True)
        out = {}
        for name, matrix in self._weights.items():
            along = np.concatenate([block[:, a_node] for block in self._search(matrix, sources)])  # (U, N)
            out[name] = along[which].T + (a_off[:, None] + b_off[None, :]) * self._access[name]
        return Legs(**out)

    def legs_paired(self, a_xy: np.ndarray, b_xy: np.ndarray) -> Legs:
        """a[i] to b[i] for each i: (N,) arrays; one search from each distinct b's road node."""
        a_node, a_off = self.snap(a_xy)
        b_node, b_off = self.snap(b_xy)
        sources, which = np.unique(b_node, return_inverse=True)
        out = {}
        for name, matrix in self._weights.items():
            along = np.empty(len(a_node))
            start = 0
            for block in self._search(matrix, sources):
                mine = (which >= start) & (which < start + len(block))
                along[mine] = block[which[mine] - start, a_node[mine]]
                start += len(block)
            out[name] = along + (a_off + b_off) * self._access[name]
        return Legs(**out)

    def _search(self, matrix, sources: np.ndarray):
        for start in range(0, len(sources), SOURCES_PER_SEARCH):
            yield np.atleast_2d(dijkstra(matrix, directed=False, indices=sources[start:start + SOURCES_PER_SEARCH]))


def segments_graph(segments, classes: dict[str, RoadClass], where: str) -> nx.Graph:
    """A graph from segments ((x0, y0), (x1, y1), class) in km; touching ends share a node, the
    shorter of two parallel segments is kept, and zero-length segments are dropped."""
    graph = nx.Graph()
    for a, b, cls in segments:
        if cls not in classes:
            raise ScenarioError(where, "road class", f"one of {', '.join(c for c in classes if c != ACCESS)}; "
                                                     f"got {cls!r}")
        a, b = (tuple(round(float(c), NODE_DIGITS) for c in p) for p in (a, b))
        km = float(np.hypot(b[0] - a[0], b[1] - a[1]))
        if km == 0 or (graph.has_edge(a, b) and graph.edges[a, b]["km"] <= km):
            continue
        graph.add_node(a, x=a[0], y=a[1])
        graph.add_node(b, x=b[0], y=b[1])
        graph.add_edge(a, b, km=km, cls=cls)
    return graph


def line_segments(lines, classes_of) -> list:
    """Segments between consecutive vertices of (multi)line geometries with their classes."""
    out = []
    for geom, cls in zip(lines, classes_of):
        for part in getattr(geom, "geoms", [geom]):
            xy = np.asarray(part.coords)[:, :2]
            out.extend((p, q, cls) for p, q in zip(xy[:-1].tolist(), xy[1:].tolist()))
    return out


def read_osm(path: Path, classes: dict[str, RoadClass], where: str) -> tuple[list, list[str]]:
    """The highways of an OpenStreetMap extract as lon/lat polylines with their classes; ways
    whose highway tag no class lists (e.g. footways where no class says `footway`) are left out."""
    import osmium

    tag_class = {tag: name for name, c in classes.items() for tag in c.osm}
    lines, kinds = [], []
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for way in processor:
            if not way.is_way():
                continue
            cls = tag_class.get(way.tags.get("highway", ""))
            if cls is None:
                continue
            try:
                line = [(n.lon, n.lat) for n in way.nodes]
            except osmium.InvalidLocationError:  # a node outside the extract
                continue
            if len(line) > 1:
                lines.append(line)
                kinds.append(cls)
    except RuntimeError as exc:
        raise ScenarioError(str(path), "file", f"an OpenStreetMap extract (.osm or .pbf) ({exc})") from None
    if not lines:
        raise ScenarioError(str(path), "ways", "at least one highway of a class listed under territory.roads.classes")
    return lines, kinds


def strip_roads(boxes: np.ndarray, centres: np.ndarray, cfg: dict, river_street: int | None) -> list:
    """Generated roads of streets laid out as rectangles side by side (`boxes`: x0, y0, x1, y1):
    a main road along each street through its centre, a main road along y = 0 joining the
    streets, village lanes every `lane_spacing_km` both ways, and in `river_street` a river
    across it at `river_position` of its length, crossed only by the main road and the
    `river_crossings` - 1 lanes nearest it."""
    s = cfg["lane_spacing_km"]
    segments = []
    for k, ((x0, y0, x1, y1), (cx, _)) in enumerate(zip(boxes.tolist(), centres.tolist())):
        xs = np.unique(np.round(np.r_[np.arange(x0, x1, s), x1, cx], NODE_DIGITS))
        ys = np.unique(np.round(np.r_[np.arange(y0, y1, s), y1], NODE_DIGITS))
        river = None
        if k == river_street:
            at = y0 + cfg["river_position"] * (y1 - y0)
            below = np.searchsorted(ys, at)
            river = (ys[max(below - 1, 0)] + ys[min(below, len(ys) - 1)]) / 2
            bridges = set(xs[np.argsort(np.abs(xs - cx), kind="stable")[:cfg["river_crossings"]]].tolist())
        for x in xs.tolist():
            cls = "main" if x == round(cx, NODE_DIGITS) else "lane"
            for ya, yb in zip(ys[:-1].tolist(), ys[1:].tolist()):
                if river is not None and ya < river < yb and x not in bridges:
                    continue
                segments.append(((x, ya), (x, yb), cls))
        for y in ys.tolist():
            cls = "main" if y == y0 else "lane"
            segments.extend(((xa, y), (xb, y), cls) for xa, xb in zip(xs[:-1].tolist(), xs[1:].tolist()))
    return segments
