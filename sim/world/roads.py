"""Roads: a networkx graph of road segments in km, and distances along it.

A trip leaves its start in a straight line to the nearest point of the nearest road (straight
line x circuity, the short way from a door to the road), runs along that road to either of its
junctions, follows the shortest path along the roads, and leaves them likewise by the road
nearest its end. Joining the nearest road rather than the nearest junction keeps a station on
a river bank on its own bank's road when the nearest junction is across the water. Each road class has a walking and a riding pace relative
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
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import dijkstra

from sim.errors import ScenarioError

ACCESS = "access"  # the class of the straight leg between a door and the road
SOURCES_PER_SEARCH = 64  # Dijkstra sources searched together (bounds the memory of one block)
PAIRED_REACH = 3  # paired searches first reach this many times the farthest pair's straight line
NODE_DIGITS = 6  # node positions are rounded to a millimetre so touching segments share a node


@dataclass(frozen=True)
class Legs:
    """Trips between points: road km, and km at walking and at riding pace (divide by a speed)."""

    km: np.ndarray
    walk_km: np.ndarray
    ride_km: np.ndarray


@dataclass(frozen=True)
class Snap:
    """Where points join the road: their nearest edge, the km along it to each of its two
    junctions, and the straight leg to it (km x circuity)."""

    edge: np.ndarray
    u: np.ndarray  # node index of the edge's first end
    v: np.ndarray
    to_u: np.ndarray  # km along the edge from the joining point to u
    to_v: np.ndarray
    off: np.ndarray


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
        index = {n: i for i, n in enumerate(nodes)}
        u, v, km, cls = zip(*((index[a], index[b], d["km"], d["cls"]) for a, b, d in graph.edges(data=True))) \
            if graph.number_of_edges() else ((), (), (), ())
        self._u, self._v, self._km = np.array(u, int), np.array(v, int), np.array(km, float)
        self._edges = shapely.STRtree(shapely.linestrings(np.stack([self.xy[self._u], self.xy[self._v]], axis=1)))
        self._per_km = {"km": np.ones(len(cls)), "walk_km": 1 / np.array([classes[c].walk for c in cls]),
                        "ride_km": 1 / np.array([classes[c].ride for c in cls])}  # per edge
        self._weights = {name: self._matrix(self._u, self._v, self._km * f) for name, f in self._per_km.items()}
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

    def snap(self, xy: np.ndarray) -> Snap:
        """Where each point joins the road: the nearest point of the nearest edge."""
        xy = np.asarray(xy, float).reshape(-1, 2)
        which, nearest = self._edges.query_nearest(shapely.points(xy), all_matches=False)
        edge = np.empty(len(xy), int)
        edge[which] = nearest
        u, v = self._u[edge], self._v[edge]
        p, d = self.xy[u], self.xy[v] - self.xy[u]
        length2 = (d ** 2).sum(axis=1)
        t = np.clip(((xy - p) * d).sum(axis=1) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        off = np.hypot(*(xy - p - t[:, None] * d).T) * self.circuity
        to_u = t * self._km[edge]
        return Snap(edge, u, v, to_u, self._km[edge] - to_u, off)

    def legs(self, a_xy: np.ndarray, b_xy: np.ndarray) -> Legs:
        """Every a (N) to every b (M): (N, M) arrays; one search from each junction b joins by."""
        a, b = self.snap(a_xy), self.snap(b_xy)
        sources, which = np.unique(np.r_[b.u, b.v], return_inverse=True)
        by_u, by_v = which[:len(b.u)], which[len(b.u):]
        out = {}
        for name, matrix in self._weights.items():
            f_a, f_b = self._per_km[name][a.edge], self._per_km[name][b.edge]
            blocks = list(self._search(matrix, sources))
            to_a = np.minimum(np.concatenate([block[:, a.u] for block in blocks]) + a.to_u * f_a,
                              np.concatenate([block[:, a.v] for block in blocks]) + a.to_v * f_a)  # (U, N)
            along = np.minimum(to_a[by_u] + (b.to_u * f_b)[:, None], to_a[by_v] + (b.to_v * f_b)[:, None])
            same = b.edge[:, None] == a.edge[None, :]
            along = np.where(same, np.minimum(along, np.abs(b.to_u[:, None] - a.to_u[None, :]) * f_a[None, :]), along)
            out[name] = along.T + (a.off[:, None] + b.off[None, :]) * self._access[name]
        return Legs(**out)

    def legs_paired(self, a_xy: np.ndarray, b_xy: np.ndarray) -> Legs:
        """a[i] to b[i] for each i: (N,) arrays; one search from each junction the b join by.
        Paired trips are short beside the whole network (a home and its own station), so the
        searches first reach only `PAIRED_REACH` times the farthest pair's straight line: a trip
        no longer than that is found exactly (the paths they leave out are longer), and only the
        trips that are longer are searched again all the way."""
        a, b = self.snap(a_xy), self.snap(b_xy)
        reach = PAIRED_REACH * float(np.hypot(*(np.asarray(a_xy) - np.asarray(b_xy)).T).max(initial=0.0))
        out = {}
        for name, matrix in self._weights.items():
            f_a, f_b = self._per_km[name][a.edge], self._per_km[name][b.edge]
            limit = reach * float(self._per_km[name].max(initial=1.0))
            along = self._along(matrix, a, b, f_a, f_b, np.arange(len(a.u)), limit)
            far = np.flatnonzero(~(along <= limit))
            along[far] = self._along(matrix, a, b, f_a, f_b, far, np.inf)
            along = np.where(b.edge == a.edge, np.minimum(along, np.abs(b.to_u - a.to_u) * f_a), along)
            out[name] = along + (a.off + b.off) * self._access[name]
        return Legs(**out)

    def _along(self, matrix, a: Snap, b: Snap, f_a: np.ndarray, f_b: np.ndarray, pairs: np.ndarray,
               limit: float) -> np.ndarray:
        """Km along the roads between the joining points of b[pairs] and a[pairs], by either end of
        either edge, with searches from b's ends that stop at `limit` (inf beyond it)."""
        a_u, a_v, a_to_u, a_to_v, f_a = a.u[pairs], a.v[pairs], a.to_u[pairs], a.to_v[pairs], f_a[pairs]
        sources, which = np.unique(np.r_[b.u[pairs], b.v[pairs]], return_inverse=True)
        ends = ((which[:len(pairs)], b.to_u[pairs]), (which[len(pairs):], b.to_v[pairs]))
        from_end = [np.empty(len(pairs)), np.empty(len(pairs))]  # from b's ends u and v to a
        start = 0
        for block in self._search(matrix, sources, limit):
            for (source, _), found in zip(ends, from_end):
                mine = (source >= start) & (source < start + len(block))
                row = source[mine] - start
                found[mine] = np.minimum(block[row, a_u[mine]] + a_to_u[mine] * f_a[mine],
                                         block[row, a_v[mine]] + a_to_v[mine] * f_a[mine])
            start += len(block)
        return np.minimum(*(found + part * f_b[pairs] for (_, part), found in zip(ends, from_end)))

    def _search(self, matrix, sources: np.ndarray, limit: float = np.inf):
        for start in range(0, len(sources), SOURCES_PER_SEARCH):
            yield np.atleast_2d(dijkstra(matrix, directed=False, indices=sources[start:start + SOURCES_PER_SEARCH],
                                         limit=limit))


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
