"""Write the example district: a made-up riverside street of six communities, 6 x 4 km, with a
river crossed by one bridge. Not a real place; it shows the layers a planner's own files need.

    python scenarios/districts/make_example.py    # writes example.gpkg and example.osm here

example.gpkg holds the layers communities, street_centres, stations, buildings and roads in
CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549, metres; the CRS of Nanjing's survey
maps); example.osm holds the same roads as an OpenStreetMap extract in lon/lat, the form a
planner downloads from OpenStreetMap. Points may carry their own `windows` and `hours`: here
Bridge Head's station opens on weekday mornings only. Same seed, same layers.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
from shapely.geometry import LineString, Point, box

HERE = Path(__file__).resolve().parent
CRS = "EPSG:4549"
ORIGIN = (368_000.0, 3_552_000.0)  # metres: south-west corner, about 118.6 E, 32.1 N (Pukou)
RIVER_Y, BRIDGE_X = 2.6, 3.0  # km: the river runs west-east at y = 2.6; the one bridge at x = 3
SEED = 17

# name, name_zh, (x0, y0, x1, y1) km, population, elderly share (empty where unknown)
COMMUNITIES = [
    ("Riverside", "滨江社区", (0.0, 0.0, 2.0, 2.6), 16_000, 0.17),
    ("Market", "集市社区", (2.0, 0.0, 4.0, 2.6), 14_000, 0.19),
    ("East Gate", "东门社区", (4.0, 0.0, 6.0, 2.6), 11_000, None),
    ("North Fields", "北田社区", (0.0, 2.6, 2.0, 4.0), 4_000, 0.31),
    ("Bridge Head", "桥头社区", (2.0, 2.6, 4.0, 4.0), 5_000, 0.27),
    ("Far Hill", "远山社区", (4.0, 2.6, 6.0, 4.0), 3_000, 0.34),
]
# x, y km, windows, opening hours (empty: the scenario's, points.community.hours)
STATIONS = [(1.0, 1.3, 2, ""), (3.2, 1.5, 2, ""), (5.0, 1.2, 2, ""), (1.0, 3.3, 1, ""),
            (3.2, 3.2, 1, "Mon-Fri 08:30-12:00"),  # Bridge Head: mornings only, a part-time station
            (5.2, 3.4, 1, "")]
CENTRE = ("Example Street", "示例街道", (2.4, 1.0), 4, "")


def km_to_m(x: float, y: float) -> tuple[float, float]:
    return ORIGIN[0] + x * 1000, ORIGIN[1] + y * 1000


def geo(shapes, **columns) -> gpd.GeoDataFrame:
    from shapely import affinity

    moved = [affinity.affine_transform(s, [1000, 0, 0, 1000, *ORIGIN]) for s in shapes]
    return gpd.GeoDataFrame(columns, geometry=moved, crs=CRS)


def roads() -> list[tuple[LineString, str]]:
    """A lattice of streets on the south bank (every 0.4 km), lanes on the north bank (every
    0.7 km), a main road west-east at y = 1 and north-south over the bridge at x = 3."""
    out = []
    for x in np.arange(0.0, 6.01, 0.4):
        out.append((LineString([(x, 0), (x, RIVER_Y - 0.1)]), "street"))
    for y in np.arange(0.2, RIVER_Y - 0.05, 0.4):
        out.append((LineString([(0, y), (6, y)]), "street"))
    for x in np.arange(0.3, 6.0, 0.7):
        out.append((LineString([(x, RIVER_Y + 0.1), (x, 4.0)]), "lane"))
    for y in (RIVER_Y + 0.1, 3.3, 3.9):
        out.append((LineString([(0.3, y), (5.9, y)]), "lane"))
    out.append((LineString([(0, 1.0), (6, 1.0)]), "main"))
    out.append((LineString([(BRIDGE_X, 0), (BRIDGE_X, 4.0)]), "main"))
    return [(_noded(line, out), cls) for line, cls in out]


def _noded(line: LineString, everything) -> LineString:
    """The line with a vertex wherever another line crosses it, so crossings are junctions."""
    from shapely.ops import split, unary_union

    others = unary_union([other for other, _ in everything if other is not line])
    pieces = split(line, others)
    coords = [pieces.geoms[0].coords[0]] + [g.coords[-1] for g in pieces.geoms]
    return LineString(coords)


def buildings(rng: np.random.Generator):
    """Building points on a jittered lattice, denser in the south; none in Far Hill, whose
    residents the model spreads over its polygon. Weights: residents of each building."""
    points, weights = [], []
    for (_, _, (x0, y0, x1, y1), _, _), step in zip(COMMUNITIES, (0.12, 0.12, 0.15, 0.25, 0.25, None)):
        if step is None:
            continue
        for x in np.arange(x0 + step / 2, x1, step):
            for y in np.arange(y0 + step / 2, y1, step):
                if abs(y - RIVER_Y) < 0.12:
                    continue
                points.append(Point(x + rng.uniform(-0.03, 0.03), y + rng.uniform(-0.03, 0.03)))
                weights.append(float(rng.integers(20, 200)))
    return points, weights


def write_osm(path: Path, lines: list[tuple[LineString, str]]) -> None:
    """The roads as an OpenStreetMap extract: shared nodes at junctions, highway tags."""
    lonlat = gpd.GeoSeries([line for line, _ in lines]).affine_transform([1000, 0, 0, 1000, *ORIGIN])
    lonlat = lonlat.set_crs(CRS).to_crs("EPSG:4326")
    tag = {"main": "primary", "street": "residential", "lane": "track"}
    ids: dict[tuple[float, float], int] = {}
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path)) as writer:
        ways = []
        for (line, cls), ll in zip(lines, lonlat):
            refs = []
            for (x, y), (lon, lat) in zip(line.coords, ll.coords):
                key = (round(x, 6), round(y, 6))
                if key not in ids:
                    ids[key] = len(ids) + 1
                    writer.add_node(osmium.osm.mutable.Node(id=ids[key], location=(lon, lat), version=1))
                refs.append(ids[key])
            ways.append(osmium.osm.mutable.Way(id=len(ways) + 1, nodes=refs, tags={"highway": tag[cls]}, version=1))
        for way in ways:
            writer.add_way(way)


def main() -> None:
    rng = np.random.default_rng(SEED)
    target = HERE / "example.gpkg"
    target.unlink(missing_ok=True)
    name, name_zh, bounds, pop, elderly = zip(*COMMUNITIES)
    geo([box(*b) for b in bounds], name=list(name), name_zh=list(name_zh), street=[CENTRE[0]] * len(name),
        population=list(pop), elderly_share=[np.nan if e is None else e for e in elderly]
        ).to_file(target, layer="communities", engine="pyogrio")
    geo([Point(*CENTRE[2])], name=[CENTRE[0]], name_zh=[CENTRE[1]], windows=[CENTRE[3]], hours=[CENTRE[4]]
        ).to_file(target, layer="street_centres", engine="pyogrio")
    x, y, windows, hours = zip(*STATIONS)
    geo([Point(*p) for p in zip(x, y)], community=list(name), windows=list(windows), hours=list(hours)
        ).to_file(target, layer="stations", engine="pyogrio")
    points, weights = buildings(rng)
    geo(points, population=weights).to_file(target, layer="buildings", engine="pyogrio")
    lines = roads()
    geo([line for line, _ in lines], **{"class": [cls for _, cls in lines]}
        ).to_file(target, layer="roads", engine="pyogrio")
    write_osm(HERE / "example.osm", lines)
    print(f"wrote {target} and {HERE / 'example.osm'}")


if __name__ == "__main__":
    main()
