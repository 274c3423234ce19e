"""A planner's district from standard GIS files: a GeoPackage with named layers, or a folder of
GeoJSON files named after the layers. Read with geopandas (pyogrio), geometry by shapely.

Layers (columns in brackets are optional):
  communities     polygons: name, population, [name_zh, street, elderly_share]
  street_centres  points:   name, [name_zh, windows, hours]
  stations        points:   [community, windows, hours]   one community station per community
  buildings       points:   [community, population]   residents are placed here when given
  grids           polygons: [name]   a grid workstation at each polygon's representative point
  roads           lines:    [class]   the road network, unless an OSM extract is named

A point's `hours` are its own opening sessions, separated by ';', each in the scenario's
calendar form ("Mon-Fri 08:30-12:00; Sat 09:00-12:00"); an empty cell keeps the scenario's
hours for that kind of point. Its `windows` likewise replace the scenario's window count.

Positions become km from the south-west corner of the communities, in the file's projected
CRS or, for lon/lat, in the UTM zone geopandas estimates for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from sim.clock import SPEC_FORMAT, parse_spec
from sim.errors import ScenarioError

REQUIRED = {"communities": "Polygon", "street_centres": "Point", "stations": "Point"}
OPTIONAL = {"buildings": "Point", "grids": "Polygon", "roads": "LineString"}


@dataclass(frozen=True)
class District:
    """The layers of a district file, in km; optional layers are None when absent."""

    path: Path
    crs: object  # the projected CRS the km are measured in
    origin: tuple[float, float]  # metres in that CRS at km (0, 0)
    layers: dict[str, gpd.GeoDataFrame | None]

    def __getitem__(self, name: str) -> gpd.GeoDataFrame | None:
        return self.layers[name]

    def to_km(self, frame: gpd.GeoDataFrame | gpd.GeoSeries):
        """Geometry in another CRS (e.g. an OSM extract's lon/lat) into this district's km."""
        geo = frame.to_crs(self.crs)
        return geo.translate(-self.origin[0], -self.origin[1]).scale(1e-3, 1e-3, origin=(0, 0))


def layer_names(path: Path) -> list[str]:
    if path.is_dir():
        return sorted(p.stem for p in path.glob("*.geojson"))
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises its own DataSourceError for unreadable files
        raise ScenarioError(str(path), "file", f"a GeoPackage or GeoJSON file ({exc})") from None


def read_district(path: str | Path) -> District:
    """Read every layer; a file that cannot be read or lacks a required layer is an error."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(str(path), "file", "an existing GeoPackage, or a folder of GeoJSON layers")
    names = layer_names(path)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ScenarioError(str(path), f"layer {missing[0]}", f"present ({', '.join(REQUIRED)} are required; "
                                                              f"found: {', '.join(names) or 'none'})")
    raw = {name: _read_layer(path, name) if name in names else None for name in REQUIRED | OPTIONAL}
    communities = raw["communities"]
    if communities.crs is None:
        raise ScenarioError(str(path), "layer communities", "a coordinate reference system (lon/lat or metres)")
    crs = communities.estimate_utm_crs() if communities.crs.is_geographic else communities.crs
    x0, y0, _, _ = communities.to_crs(crs).total_bounds
    district = District(path, crs, (float(x0), float(y0)), {})
    for name, frame in raw.items():
        if frame is not None:
            frame = frame.set_crs(communities.crs) if frame.crs is None else frame
            frame = frame.set_geometry(district.to_km(frame))
        district.layers[name] = frame
    return district


def _read_layer(path: Path, name: str) -> gpd.GeoDataFrame:
    source = path / f"{name}.geojson" if path.is_dir() else path
    frame = gpd.read_file(source, engine="pyogrio", **({} if path.is_dir() else {"layer": name}))
    kind = (REQUIRED | OPTIONAL)[name]
    wrong = [i for i, g in enumerate(frame.geometry) if g is None or not g.geom_type.endswith(kind)]
    if wrong:
        raise ScenarioError(str(path), f"layer {name}, feature {wrong[0] + 1}", f"a {kind.lower()} geometry")
    return frame.reset_index(drop=True)


def problems(district: District) -> list[ScenarioError]:
    """Everything wrong with a district that would make a territory meaningless, one error each."""
    out: list[ScenarioError] = []
    where = str(district.path)
    comms = district["communities"]
    if "name" not in comms:
        return [ScenarioError(where, "layer communities", "a column 'name'")]
    if "population" not in comms:
        return [ScenarioError(where, "layer communities", "a column 'population'")]
    for name, pop in zip(comms["name"], comms["population"]):
        if not _positive(pop):
            out.append(ScenarioError(where, f"community {name}", "a population > 0 (it has none)"))
    for name, share in zip(comms["name"], column(comms, "elderly_share", None)):
        if share is not None and not (_number(share) is not None and 0 <= _number(share) <= 1):
            out.append(ScenarioError(where, f"community {name}", f"an elderly_share from 0 to 1 or empty, not {share!r}"))
    centres = district["street_centres"]
    for layer in ("street_centres", "stations"):
        for i, w in enumerate(column(district[layer], "windows", None)):
            if w is not None and not (_number(w) is not None and _number(w) >= 0 and float(w).is_integer()):
                out.append(ScenarioError(where, f"layer {layer}, feature {i + 1}, column windows",
                                         f"a whole number >= 0 or empty; got {w!r}"))
        for i, hours in enumerate(column(district[layer], "hours", None)):
            if _bad_hours(hours):
                out.append(ScenarioError(where, f"layer {layer}, feature {i + 1}, column hours",
                                         f"{HOURS_FORMAT}; got {hours!r}"[:300]))
    if "street" in comms and "name" in centres:
        for name, street in zip(comms["name"], comms["street"]):
            if street not in set(centres["name"]):
                out.append(ScenarioError(where, f"community {name}", f"a street centre's name as street, not {street!r}"))
    elif len(centres) > 1:
        out.append(ScenarioError(where, "layer communities", "a column 'street', with several street centres"))
    owner = station_communities(district)
    for i, c in enumerate(owner):
        if c < 0:
            out.append(ScenarioError(where, f"layer stations, feature {i + 1}", "inside a community polygon (it is outside every one)"))
    counts = np.bincount(owner[owner >= 0], minlength=len(comms))
    for name, n in zip(comms["name"], counts):
        if n > 1 or (n == 0 and (owner >= 0).all()):  # a station outside is reported once, above
            out.append(ScenarioError(where, f"community {name}", f"exactly one station (it has {n})"))
    if district["buildings"] is not None:
        outside = np.flatnonzero(building_communities(district) < 0)
        if outside.size:
            out.append(ScenarioError(where, "layer buildings", f"every building inside a community polygon "
                                                               f"({outside.size} outside, first: feature {outside[0] + 1})"))
    return out


def station_communities(district: District) -> np.ndarray:
    """The community polygon that holds each station (-1 where none does)."""
    return _containing(district["stations"], district["communities"])


def building_communities(district: District) -> np.ndarray:
    buildings, comms = district["buildings"], district["communities"]
    if "community" in buildings:
        index = {name: i for i, name in enumerate(comms["name"])}
        return np.array([index.get(name, -1) for name in buildings["community"]], int)
    return _containing(buildings, comms)


def _containing(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(points[["geometry"]], polygons[["geometry"]], how="left", predicate="within")
    first = joined[~joined.index.duplicated(keep="first")]
    return first["index_right"].fillna(-1).astype(int).to_numpy()


HOURS_FORMAT = f"opening sessions separated by ';', each {SPEC_FORMAT}, or empty for the scenario's hours"


def point_hours(frame: gpd.GeoDataFrame) -> list[tuple[str, ...] | None]:
    """Each point's own opening sessions from its `hours` column; None where it keeps the scenario's."""
    out: list[tuple[str, ...] | None] = []
    for value in column(frame, "hours", None):
        parts = tuple(p.strip() for p in str(value).split(";") if p.strip()) if value is not None else ()
        out.append(parts or None)
    return out


def _bad_hours(value) -> bool:
    if value is None:
        return False
    if not isinstance(value, str):
        return True
    try:
        for part in (p for p in value.split(";") if p.strip()):
            parse_spec(part)
    except ValueError:
        return True
    return False


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _positive(value) -> bool:
    number = _number(value)
    return number is not None and number > 0


def column(frame: gpd.GeoDataFrame, name: str, default) -> list:
    """A column's values with missing ones (absent column, empty cell) as `default`."""
    if name not in frame:
        return [default] * len(frame)
    return [default if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in frame[name]]


# --- the territory of a district ---------------------------------------------------------------

def district_territory(cfg: dict, rng: np.random.Generator, where: str):
    """The territory a district file describes: its communities, points and roads; residents in
    their buildings, or spread uniformly over their community where no building is given."""
    from sim.world.territory import _apportion, _assemble, _place_grids, connected

    district = read_district(cfg["district"])
    found = problems(district)
    if found:
        raise found[0]
    comms, centres, stations = district["communities"], district["street_centres"], district["stations"]
    street_en = [str(n) for n in centres["name"]] if "name" in centres else [f"Street {i + 1}" for i in range(len(centres))]
    street_index = {name: i for i, name in enumerate(street_en)}
    comm_street = np.array([street_index[s] for s in comms["street"]] if "street" in comms else [0] * len(comms), int)
    owner = station_communities(district)
    comm_xy = np.empty((len(comms), 2))
    comm_xy[owner] = _xy(stations)
    comm_windows = np.full(len(comms), np.nan)
    comm_windows[owner] = column(stations, "windows", np.nan)
    comm_hours: list[tuple[str, ...] | None] = [None] * len(comms)
    for c, hours in zip(owner.tolist(), point_hours(stations)):
        comm_hours[c] = hours
    population = np.maximum(1, np.round(comms["population"].astype(float).to_numpy() * cfg["scale"])).astype(int)
    notes = [f"District from {district.path.name}: {len(comms)} communities, {len(street_en)} street "
             f"centre{'s' if len(street_en) > 1 else ''}"]
    own = [f"{name}'s station {'; '.join(hours)}" for name, hours in zip(comms["name"], comm_hours) if hours]
    own += [f"{name} {'; '.join(hours)}" for name, hours in zip(street_en, point_hours(centres)) if hours]
    if own:
        notes.append(f"Own opening hours (column hours): {', '.join(own)}; the other points keep points.*.hours")

    b_xy, b_pop, b_comm = [], [], []
    given = building_communities(district) if district["buildings"] is not None else np.full(0, -1)
    weight = np.array(column(district["buildings"], "population", 1.0), float) if given.size else np.ones(0)
    for c, geometry in enumerate(comms.geometry):
        mine = np.flatnonzero(given == c)
        if mine.size:
            xy, pop = _xy(district["buildings"].iloc[mine]), _apportion(weight[mine], int(population[c]))
        else:
            n = math.ceil(population[c] / cfg["residents_per_building"])
            xy = _xy(gpd.GeoSeries([geometry]).sample_points(n, rng=rng).explode(index_parts=False))
            pop = _apportion(np.ones(len(xy)), int(population[c]))
        keep = pop > 0
        b_xy.append(xy[keep])
        b_pop.append(pop[keep])
        b_comm.append(np.full(keep.sum(), c))
    if given.size == 0:
        notes.append(f"No buildings layer: buildings of {cfg['residents_per_building']:g} residents spread "
                     f"uniformly over each community (residents_per_building)")
    b_comm_all = np.concatenate(b_comm)

    grid_xy, grid_comm, b_grid = _grids(district, cfg, comms, b_xy, b_pop, rng, _place_grids)
    elderly = np.array(column(comms, "elderly_share", np.nan), float)
    street_box = np.array([comms.geometry[comm_street == s].total_bounds for s in range(len(street_en))])
    territory = _assemble(
        street_en=street_en, street_zh=[str(z) for z in column(centres, "name_zh", None) if z] or street_en,
        street_xy=_xy(centres), street_box=street_box,
        comm_en=[str(n) for n in comms["name"]],
        comm_zh=[str(z or n) for n, z in zip(comms["name"], column(comms, "name_zh", None))],
        comm_xy=comm_xy, comm_street=comm_street,
        grid_en=[f"{comms['name'][c]} G{k + 1}" for c, k in _numbered(grid_comm)],
        grid_zh=[f"{comms['name'][c]}第{k + 1}网格" for c, k in _numbered(grid_comm)],
        grid_xy=grid_xy, grid_comm=grid_comm,
        b_xy=np.concatenate(b_xy), b_pop=np.concatenate(b_pop), b_grid=b_grid,
        circuity=cfg["circuity"], assumptions=notes)
    territory = replace(
        territory, street_windows=np.array(column(centres, "windows", np.nan), float),
        community_windows=comm_windows, building_elderly=elderly[b_comm_all],
        street_hours=tuple(point_hours(centres)), community_hours=tuple(comm_hours),
        community_shapes=list(comms.geometry))
    roads = cfg.get("roads") or {"source": "none"}
    if roads["source"] == "none" or (roads["source"] == "layout" and district["roads"] is None):
        return territory
    roads = roads | {"file": None} if roads["source"] == "layout" else roads
    from sim.world.roads import road_classes, segments_graph

    classes = road_classes(roads["classes"])
    segments, road_notes = line_layer_segments(roads, classes, district, where)
    return connected(territory, segments_graph(segments, classes, where), classes, where, road_notes)


def _grids(district, cfg, comms, b_xy, b_pop, rng, place):
    """Grid workstations: at the grids layer's polygons in each community, or placed among its
    buildings by population (as in generated layouts); each building joins its nearest."""
    stations = None
    if district["grids"] is not None:
        points = district["grids"].geometry.representative_point()
        stations = _containing(gpd.GeoDataFrame(geometry=points), comms)
    per_grid = cfg["households_per_grid"] * cfg["persons_per_household"]
    grid_xy, grid_comm, b_grid = [], [], []
    for c in range(len(comms)):
        mine = np.flatnonzero(stations == c) if stations is not None else np.zeros(0, int)
        if mine.size:
            centres = _xy(gpd.GeoDataFrame(geometry=points.iloc[mine]))
            label = ((b_xy[c][:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        else:
            k = min(math.ceil(b_pop[c].sum() / per_grid), len(b_xy[c]))
            centres, label = place(b_xy[c], b_pop[c], k, rng)
        b_grid.append(label + sum(len(g) for g in grid_xy))
        grid_xy.append(centres)
        grid_comm.append(np.full(len(centres), c))
    return np.concatenate(grid_xy), np.concatenate(grid_comm), np.concatenate(b_grid)


def _numbered(owner: np.ndarray):
    """(owner, rank within owner) for each entry."""
    seen: dict[int, int] = {}
    for o in owner.tolist():
        seen[o] = seen.get(o, -1) + 1
        yield o, seen[o]


def _xy(frame) -> np.ndarray:
    geometry = frame.geometry if hasattr(frame, "geometry") else frame
    return np.column_stack([geometry.x.to_numpy(), geometry.y.to_numpy()]).reshape(-1, 2)


OSM_SUFFIXES = (".osm", ".pbf", ".osm.pbf", ".osm.bz2", ".osm.gz")


def line_layer_segments(roads: dict, classes: dict, district: District | None, where: str) -> tuple[list, list[str]]:
    """Road segments in km from an OSM extract, a GIS line layer file, or the district's roads layer."""
    from sim.world.roads import line_segments, read_osm

    path = Path(roads["file"]) if roads.get("file") else None
    if path is not None and path.name.lower().endswith(OSM_SUFFIXES):
        if district is None:
            raise ScenarioError(where, "territory.roads.file", "a GIS line layer in km (an OSM extract needs a "
                                                               "district from files, to place it)")
        lines, kinds = read_osm(path, classes, where)
        geo = district.to_km(gpd.GeoSeries([shapely.LineString(line) for line in lines], crs="EPSG:4326"))
        return line_segments(geo, kinds), [f"Roads: {len(lines):,} highways read from {path.name}"]
    if path is not None:
        names = layer_names(path)
        name = "roads" if "roads" in names else names[0] if len(names) == 1 else None
        if name is None:
            raise ScenarioError(str(path), "layer roads", f"present (found: {', '.join(names)})")
        frame = gpd.read_file(path / f"{name}.geojson" if path.is_dir() else path, layer=None if path.is_dir() else name)
        if district is not None:
            frame = frame.set_geometry(district.to_km(frame if frame.crs else frame.set_crs(district.crs)))
    elif district is not None and district["roads"] is not None:
        frame, path = district["roads"], district.path
    else:
        raise ScenarioError(where, "territory.roads.file", "an OSM extract or a GIS line layer, when "
                                                           "roads.source = file")
    kinds = column(frame, "class", "street")
    return line_segments(frame.geometry, kinds), [f"Roads: {len(frame):,} lines read from {path.name}"]


def check_district(cfg: dict, where: str) -> list[ScenarioError]:
    """Every problem of the district a [territory] table names, one error each: the file and its
    layers, then the roads (which must form one connected network)."""
    import networkx as nx

    from sim.world.roads import road_classes, segments_graph

    try:
        district = read_district(cfg["district"])
    except ScenarioError as exc:
        return [exc]
    found = problems(district)
    roads = cfg.get("roads") or {"source": "none"}
    if roads["source"] == "none" or (roads["source"] == "layout" and district["roads"] is None):
        return found
    roads = roads | {"file": None} if roads["source"] == "layout" else roads
    try:
        classes = road_classes(roads["classes"])
        segments, _ = line_layer_segments(roads, classes, district, where)
        graph = segments_graph(segments, classes, where)
    except ScenarioError as exc:
        return found + [exc]
    parts = sorted((len(p) for p in nx.connected_components(graph)), reverse=True)
    if len(parts) > 1:
        found.append(ScenarioError(roads.get("file") or district.path, "roads",
                                   f"one connected network (it falls into {len(parts)} parts; the largest holds "
                                   f"{parts[0] / sum(parts):.0%} of the road nodes)"))
    return found
