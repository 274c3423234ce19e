"""The territory: new area → street → community → grid → building, as a tree and as flat arrays.

The tree (networkx) carries names and populations for reports and maps; the arrays are what
the engine reads, vectorised. Node ids carry the arrays' global indices, so "S0/C3/G12/B5" is
building 5, in grid 12, in community 3, in street 0.

Generated layouts are synthetic but keep each street's published area and population
(DESIGN §2). Every assumed figure comes from the scenario's [territory] table, and each one
that fills a missing figure is written to `Territory.assumptions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np

from sim.errors import ScenarioError
from sim.scenario.tables import read_csv
from sim.world.roads import Legs, RoadNetwork, road_classes, segments_graph, strip_roads

# Layout assumption: Lloyd rounds used to place a community's grid workstations among its buildings.
GRID_PLACEMENT_ROUNDS = 8

AREA_NAME_EN, AREA_NAME_ZH = "Jiangbei New Area", "江北新区"
# Limits of what a run can hold: Jiangbei New Area has about 1.2 million residents in some 200
# communities; a territory many times larger is a mistake in the figures, refused before it is laid out.
MAX_RESIDENTS = 5_000_000
MAX_COMMUNITIES = 20_000
MAX_STREETS = 1_000
CSV_LIMITS = {"area_km2": 10_000, "population": 10_000_000, "communities": 10_000, "villages": 10_000}
CSV_COLUMNS = ("street_zh", "street_en", "district_part", "area_km2", "population", "communities", "villages")


@dataclass(frozen=True, eq=False)
class Territory:
    """Where residents live and where service points stand; positions in km, read-only arrays."""

    graph: nx.DiGraph
    street_names_en: list[str]
    street_names_zh: list[str]
    street_xy: np.ndarray  # (S,2) street service centre (街道为民服务中心)
    street_box: np.ndarray  # (S,4) xmin, ymin, xmax, ymax of the street's extent
    community_names_en: list[str]
    community_names_zh: list[str]
    community_xy: np.ndarray  # (C,2) community station
    community_street: np.ndarray  # (C,) index into streets
    grid_xy: np.ndarray  # (G,2) grid workstation
    grid_community: np.ndarray  # (G,) index into communities
    building_xy: np.ndarray  # (B,2)
    building_pop: np.ndarray  # (B,) residents, each >= 1
    building_grid: np.ndarray  # (B,) index into grids
    circuity: float
    assumptions: list[str]
    roads: RoadNetwork | None = None  # None: road distance is straight line x circuity
    street_windows: np.ndarray | None = None  # (S,) windows per street centre from data (NaN: scaled, below)
    street_capacity: np.ndarray | None = None  # (S,) where no figure: multiplier of points.street.windows
    community_windows: np.ndarray | None = None  # (C,) likewise per community station (NaN: the scenario's)
    building_elderly: np.ndarray | None = None  # (B,) 60+ share where the data knows it (NaN: the scenario's)
    community_shapes: list | None = None  # (C,) shapely polygons, when the district comes from files
    street_hours: tuple | None = None  # (S,) a street centre's own opening sessions (None: the scenario's)
    community_hours: tuple | None = None  # (C,) likewise per community station

    def __post_init__(self):
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @cached_property
    def building_community(self) -> np.ndarray:
        return self.grid_community[self.building_grid]

    @cached_property
    def building_street(self) -> np.ndarray:
        return self.community_street[self.building_community]

    @property
    def population(self) -> int:
        return int(self.building_pop.sum())

    def legs(self, a_xy: np.ndarray, b_xy: np.ndarray) -> Legs:
        """Trips from every point (N,2) to every point (M,2), (N,M): along the roads, or straight
        line x circuity (walking and riding on the same km) where there are none."""
        a, b = np.asarray(a_xy, float).reshape(-1, 2), np.asarray(b_xy, float).reshape(-1, 2)
        if self.roads is not None:
            return self.roads.legs(a, b)
        km = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) * self.circuity
        return Legs(km, km, km)

    def legs_paired(self, a_xy: np.ndarray, b_xy: np.ndarray) -> Legs:
        """Trips from a[i] to b[i], (N,)."""
        a, b = np.asarray(a_xy, float).reshape(-1, 2), np.asarray(b_xy, float).reshape(-1, 2)
        if self.roads is not None:
            return self.roads.legs_paired(a, b)
        km = np.hypot(*(a - b).T) * self.circuity
        return Legs(km, km, km)

    def road_km_pairs(self, a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
        """Road km between matching points of a_xy and b_xy (..., 2)."""
        a, b = np.asarray(a_xy, float), np.asarray(b_xy, float)
        if self.roads is None:
            return np.hypot(a[..., 0] - b[..., 0], a[..., 1] - b[..., 1]) * self.circuity
        a, b = np.broadcast_arrays(a, b)
        return self.roads.legs_paired(a.reshape(-1, 2), b.reshape(-1, 2)).km.reshape(a.shape[:-1])

    def road_km(self, a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
        """Road distance (N,M) between points (N,2) and (M,2)."""
        return self.legs(a_xy, b_xy).km

    def node_id(self, kind: str, index: int) -> str:
        """Graph id of the street, community, grid or building with this array index."""
        parts = []
        if kind == "building":
            parts.append(f"B{index}")
            kind, index = "grid", int(self.building_grid[index])
        if kind == "grid":
            parts.append(f"G{index}")
            kind, index = "community", int(self.grid_community[index])
        if kind == "community":
            parts.append(f"C{index}")
            kind, index = "street", int(self.community_street[index])
        if kind != "street":
            raise ValueError(f"kind must be street, community, grid or building, not {kind!r}")
        parts.append(f"S{index}")
        return "/".join(reversed(parts))

    def summary(self) -> str:
        lo, hi = self.street_box[:, :2].min(axis=0), self.street_box[:, 2:].max(axis=0)
        street_pop = np.bincount(self.building_street, self.building_pop, len(self.street_xy)).astype(int)
        street_comms = np.bincount(self.community_street, minlength=len(self.street_xy))
        street_grids = np.bincount(self.community_street[self.grid_community], minlength=len(self.street_xy))
        lines = [
            f"{len(self.street_xy)} street{'s' if len(self.street_xy) != 1 else ''}, {len(self.community_xy)} communities, {len(self.grid_xy)} grids, "
            f"{len(self.building_xy):,} buildings, {self.population:,} residents",
            f"bounding box x {lo[0]:.1f}..{hi[0]:.1f} km, y {lo[1]:.1f}..{hi[1]:.1f} km "
            f"({hi[0] - lo[0]:.1f} x {hi[1] - lo[1]:.1f} km); " + (
                f"roads: {self.roads.graph.number_of_nodes():,} nodes, {self.roads.km:,.0f} km"
                if self.roads is not None else f"road distance = straight line x {self.circuity:g}"),
        ]
        lines += [f"  {en} {zh}: {p:,} residents, {c} communities, {g} grids"
                  for en, zh, p, c, g in zip(self.street_names_en, self.street_names_zh,
                                             street_pop, street_comms, street_grids)]
        lines.append(f"{len(self.assumptions)} assumptions (see .assumptions)")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Street:
    """One street to lay out as a rectangle: published or filled-in figures, before `scale`."""

    name_en: str
    name_zh: str
    area_km2: float
    population: int
    communities: int
    length_km: float


def build_territory(cfg: dict, rng: np.random.Generator, where: str) -> Territory:
    """Build the territory that a scenario's [territory] table describes."""
    if cfg["preset"] == "explicit":
        return _with_roads(_explicit(cfg, where), cfg, where)
    if cfg["preset"] == "district":
        from sim.world.district import district_territory

        return district_territory(cfg, rng, where)
    streets, notes = {"dingshan": _dingshan_streets, "jiangbei": _jiangbei_streets,
                      "synthetic": _synthetic_streets}[cfg["preset"]](cfg, where)
    _check_size(streets, cfg, where)
    territory = _lay_out(streets, cfg, rng, notes)
    if cfg["preset"] == "jiangbei" and cfg.get("capacity_file"):
        territory = _street_capacity(territory, streets, cfg)
    return _with_roads(territory, cfg, where)


def _street_capacity(t: Territory, streets: list[_Street], cfg: dict) -> Territory:
    """Windows per street centre: the capacity file's figure where published, else the named
    street's points.street.windows scaled by population (a street twice as large, twice the windows)."""
    path = Path(cfg["capacity_file"])
    rows = {row["street_en"]: row for row in read_csv(path, ("street_en", "street_windows"), unique="street_en")}
    reference = next((s.population for s in streets if s.name_en == cfg["street"]), None)
    if reference is None:
        raise ScenarioError(str(path), "territory.street", "a street of the layout, to scale windows from")
    published = []
    for s in streets:
        row = rows.get(s.name_en, {"street_en": s.name_en, "street_windows": ""})
        published.append(_csv_number(row, "street_windows", path, integer=True, positive=True))
    scaled = [s.name_en for s, w in zip(streets, published) if w is None]
    note = (f"Street centre windows: {', '.join(scaled)} have no published count; points.street.windows is "
            f"{cfg['street']}'s, the others' scaled by population ({path.name})")
    return replace(t, street_windows=np.array([np.nan if w is None else w for w in published], float),
                   street_capacity=np.array([s.population / reference for s in streets]),
                   assumptions=t.assumptions + [note])


def _with_roads(t: Territory, cfg: dict, where: str) -> Territory:
    """The territory with the road network its [territory.roads] table asks for."""
    roads = cfg.get("roads") or {"source": "none"}
    if roads["source"] == "none" or (roads["source"] == "layout" and cfg["preset"] == "explicit"):
        return t  # an explicit layout has no roads of its own
    classes = road_classes(roads["classes"])
    if roads["source"] == "layout":
        named = [i for i, name in enumerate(t.street_names_en) if name == cfg.get("street")]
        segments = strip_roads(t.street_box, t.street_xy, roads, named[0] if named else None)
        notes = [f"Roads generated: a main road along each street through its centre and along y = 0, lanes "
                 f"every {roads['lane_spacing_km']:g} km (lane_spacing_km)" + (
                     f"; a river across {cfg['street']} at {roads['river_position']:g} of its length, crossed "
                     f"by {roads['river_crossings']} bridge(s) (river_position, river_crossings)" if named else "")]
    else:
        from sim.world.district import line_layer_segments

        segments, notes = line_layer_segments(roads, classes, None, where)
    return connected(t, segments_graph(segments, classes, where), classes, where, notes)


def connected(t: Territory, graph: nx.Graph, classes, where: str, notes: list[str]) -> Territory:
    """`t` with these roads, which must be one connected network."""
    if graph.number_of_nodes() == 0:
        raise ScenarioError(where, "territory.roads", "at least one road segment")
    parts = nx.number_connected_components(graph)
    if parts > 1:
        raise ScenarioError(where, "territory.roads", f"one connected road network (it falls into {parts} parts)")
    return replace(t, roads=RoadNetwork(graph, classes, t.circuity), assumptions=t.assumptions + notes)


def _check_size(streets: list[_Street], cfg: dict, where: str) -> None:
    communities = sum(s.communities for s in streets)
    residents = sum(max(round(s.population * cfg["scale"]), s.communities) for s in streets)
    if communities > MAX_COMMUNITIES:
        raise ScenarioError(where, "territory", f"at most {MAX_COMMUNITIES:,} communities in all; "
                                                f"these figures give {communities:,}")
    if residents > MAX_RESIDENTS:
        raise ScenarioError(where, "territory.scale", f"at most {MAX_RESIDENTS:,} residents after scale; "
                                                      f"these figures give {residents:,}")


# --- street figures ---------------------------------------------------------------------------

def _read_streets_csv(path: Path, where: str) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(where, "territory.streets_file", f"an existing CSV file (not found: {path})")
    return [{
        "name_en": row["street_en"],
        "name_zh": row["street_zh"],
        "part": row["district_part"],
        "area_km2": _csv_number(row, "area_km2", path, integer=False, positive=True),
        "population": _csv_number(row, "population", path, integer=False, positive=True),
        "communities": _csv_number(row, "communities", path, integer=True, positive=True),
        "villages": _csv_number(row, "villages", path, integer=True, positive=False),
    } for row in read_csv(path, CSV_COLUMNS, unique="street_en", max_rows=MAX_STREETS)]


def _csv_number(row: dict, column: str, path: Path, integer: bool, positive: bool):
    """A cell as a number, or None when empty; a bad cell names its column and row."""
    text = row[column]
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    valid = math.isfinite(value) and (value > 0 if positive else value >= 0) and value <= CSV_LIMITS[column]
    if not valid or (integer and not value.is_integer()):
        kind = "whole number" if integer else "number"
        bound = "above 0" if positive else "from 0"
        raise ScenarioError(str(path), f"column {column} (row {row['street_en']})",
                            f"a {kind} {bound} to {CSV_LIMITS[column]:,}, or empty; got {text!r}"[:200])
    return int(value) if integer else value


def _dingshan_streets(cfg: dict, where: str) -> tuple[list[_Street], list[str]]:
    path = Path(cfg["streets_file"])
    rows = {row["name_en"]: row for row in _read_streets_csv(path, where)}
    row = rows.get(cfg["street"])
    if row is None:
        raise ScenarioError(where, "territory.street", f"one of the streets in {path.name}: {', '.join(rows)}")
    if row["population"] is None:
        raise ScenarioError(str(path), f"column population (row {row['name_en']})",
                            "a population, to build that street alone")
    notes: list[str] = []
    return [_fill_street(row, round(row["population"]), cfg, notes)], notes


def _jiangbei_streets(cfg: dict, where: str) -> tuple[list[_Street], list[str]]:
    path = Path(cfg["streets_file"])
    rows = [row for row in _read_streets_csv(path, where) if row["part"] == "direct"]
    if not rows:
        raise ScenarioError(str(path), "column district_part", "at least one row marked direct")
    total = int(cfg["total_population"])
    known = sum(row["population"] for row in rows if row["population"] is not None)
    missing = [row["name_en"] for row in rows if row["population"] is None]
    notes = []
    residual = total - known
    if missing:
        if residual <= 0:
            raise ScenarioError(where, "territory.total_population",
                                f"more than the known streets' sum {known:,.0f}, leaving a residual for "
                                f"{', '.join(missing)}")
        split = f", split equally among {len(missing)} streets" if len(missing) > 1 else ""
        notes.append(f"{', '.join(missing)}: population missing; filled with the residual: total_population "
                     f"{total:,} - known streets {known:,.0f} = {residual:,.0f}{split}")
    filled = np.array([row["population"] if row["population"] is not None else residual / len(missing)
                       for row in rows])
    notes.append(f"Street populations come from different years; rescaled x{total / filled.sum():.4f} "
                 f"so they sum to total_population {total:,}")
    populations = _apportion(filled, total)
    streets = [_fill_street(row, int(p), cfg, notes) for row, p in zip(rows, populations)]
    notes.append(f"Streets other than {cfg['street']}: squares of their area")
    return streets, notes


def _synthetic_streets(cfg: dict, where: str) -> tuple[list[_Street], list[str]]:
    for key in ("streets_count", "communities_per_street", "area_km2", "population"):
        if cfg.get(key) is None:
            raise ScenarioError(where, f"territory.{key}", "a value, for the synthetic preset")
    width = cfg["area_km2"] / cfg["length_km"]
    note = f"Each street {cfg['length_km']:g} km long (length_km), {width:.2f} km wide"
    return [_Street(f"Street {i + 1}", f"街道{i + 1}", cfg["area_km2"], int(cfg["population"]),
                    int(cfg["communities_per_street"]), cfg["length_km"])
            for i in range(cfg["streets_count"])], [note]


def _fill_street(row: dict, population: int, cfg: dict, notes: list[str]) -> _Street:
    """A CSV row completed with the configured assumptions, each use noted."""
    name = row["name_en"]
    area = row["area_km2"]
    if area is None:
        area = cfg["missing_area_km2"]
        notes.append(f"{name}: area missing; assumed {area:g} km2 (missing_area_km2)")
    communities = row["communities"]
    if communities is None:
        communities = max(1, round(population / cfg["residents_per_community"]))
        notes.append(f"{name}: community count missing; assumed {communities} = {population:,} residents / "
                     f"{cfg['residents_per_community']:,} per community (residents_per_community)")
    elif row["villages"]:
        notes.append(f"{name}: {communities} communities + {row['villages']} villages, "
                     f"each village counted as a community")
        communities += row["villages"]
    length = math.sqrt(area)
    if name == cfg["street"]:
        length = cfg["length_km"]
        notes.append(f"{name}: {length:g} km long (length_km), {area / length:.2f} km wide")
    return _Street(name, row["name_zh"] or name, area, population, communities, length)


def _apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers proportional to `weights` that sum to `total` exactly (largest remainder)."""
    exact = weights / weights.sum() * total
    whole = np.floor(exact).astype(int)
    whole[np.argsort(whole - exact, kind="stable")[: total - whole.sum()]] += 1
    return whole


def _split(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Split each total into its number of near-equal whole parts, concatenated."""
    first = np.repeat(np.cumsum(parts) - parts, parts)
    rank = np.arange(first.size) - first
    return np.repeat(total // parts, parts) + (rank < np.repeat(total % parts, parts))


# --- generated layout -------------------------------------------------------------------------

def _lay_out(streets: list[_Street], cfg: dict, rng: np.random.Generator, notes: list[str]) -> Territory:
    """Streets as rectangles side by side along the river (x axis), dense end on the river (y = 0)."""
    per_grid = cfg["households_per_grid"] * cfg["persons_per_household"]
    notes = notes + [
        f"Layout: each street a rectangle of its area, side by side along the x axis; density falls "
        f"linearly from y = 0 to the far end, {cfg['core_density_ratio']:g} times denser at y = 0 "
        f"(core_density_ratio)",
        f"Street service centre at {cfg['centre_position']:g} of the street's length from the dense end "
        f"(centre_position)",
        f"Grids of {cfg['households_per_grid']:g} households x {cfg['persons_per_household']:g} persons = "
        f"{per_grid:g} residents (households_per_grid, persons_per_household)",
        f"Buildings of {cfg['residents_per_building']:g} residents (residents_per_building)",
    ]
    parts, x0 = [], 0.0
    for street in streets:
        parts.append(_strip_street(street, x0, cfg, rng))
        x0 = parts[-1]["box"][2]
    comm_offset = np.cumsum([0] + [len(p["comm_xy"]) for p in parts])
    grid_offset = np.cumsum([0] + [len(p["grid_xy"]) for p in parts])
    joined = {key: np.concatenate([p[key] for p in parts])
              for key in ("comm_xy", "grid_xy", "b_xy", "b_pop")}
    names = {key: [name for p in parts for name in p[key]] for key in ("comm_en", "comm_zh", "grid_en", "grid_zh")}
    return _assemble(
        street_en=[s.name_en for s in streets], street_zh=[s.name_zh for s in streets],
        street_xy=np.array([p["centre"] for p in parts]), street_box=np.array([p["box"] for p in parts]),
        comm_en=names["comm_en"], comm_zh=names["comm_zh"], comm_xy=joined["comm_xy"],
        comm_street=np.repeat(np.arange(len(streets)), np.diff(comm_offset)),
        grid_en=names["grid_en"], grid_zh=names["grid_zh"], grid_xy=joined["grid_xy"],
        grid_comm=np.concatenate([p["grid_comm"] + comm_offset[i] for i, p in enumerate(parts)]),
        b_xy=joined["b_xy"], b_pop=joined["b_pop"],
        b_grid=np.concatenate([p["b_grid"] + grid_offset[i] for i, p in enumerate(parts)]),
        circuity=cfg["circuity"], assumptions=notes)


def _strip_street(street: _Street, x0: float, cfg: dict, rng: np.random.Generator) -> dict:
    """One street: communities are strips across its long axis holding equal populations."""
    length, n = street.length_km, street.communities
    width = street.area_km2 / length
    ratio = cfg["core_density_ratio"]
    population = max(round(street.population * cfg["scale"]), n)
    comm_pop = _split(np.array([population]), np.array([n]))
    edges = _axis_position(np.arange(n + 1) / n, ratio)
    comm_xy = np.column_stack([np.full(n, x0 + width / 2), _strip_centroid(edges[:-1], edges[1:], ratio) * length])

    n_build = np.ceil(comm_pop / cfg["residents_per_building"]).astype(int)
    per_grid = cfg["households_per_grid"] * cfg["persons_per_household"]
    n_grid = np.minimum(np.ceil(comm_pop / per_grid).astype(int), n_build)
    b_comm = np.repeat(np.arange(n), n_build)
    share = (b_comm + rng.random(b_comm.size)) / n
    b_xy = np.column_stack([x0 + width * rng.random(b_comm.size), _axis_position(share, ratio) * length])
    b_pop = _split(comm_pop, n_build)

    grid_first = np.cumsum(n_grid) - n_grid
    b_grid = np.empty(b_comm.size, int)
    grid_xy = []
    for c, (start, stop) in enumerate(zip(np.cumsum(n_build) - n_build, np.cumsum(n_build))):
        centres, label = _place_grids(b_xy[start:stop], b_pop[start:stop], n_grid[c], rng)
        grid_xy.append(centres)
        b_grid[start:stop] = label + grid_first[c]
    order = np.argsort(b_grid, kind="stable")

    prefix = street.name_zh.removesuffix("街道")
    comm_en = [f"{street.name_en} C{c + 1}" for c in range(n)]
    comm_zh = [f"{prefix}第{c + 1}社区" for c in range(n)]
    return {
        "centre": (x0 + width / 2, cfg["centre_position"] * length),
        "box": (x0, 0.0, x0 + width, length),
        "comm_xy": comm_xy, "comm_en": comm_en, "comm_zh": comm_zh,
        "grid_xy": np.concatenate(grid_xy), "grid_comm": np.repeat(np.arange(n), n_grid),
        "grid_en": [f"{comm_en[c]} G{g + 1}" for c in range(n) for g in range(n_grid[c])],
        "grid_zh": [f"{comm_zh[c]}第{g + 1}网格" for c in range(n) for g in range(n_grid[c])],
        "b_xy": b_xy[order], "b_pop": b_pop[order], "b_grid": b_grid[order],
    }


def _axis_position(share: np.ndarray, ratio: float) -> np.ndarray:
    """Position t in [0,1] along the axis below which `share` of the people live.

    Density falls linearly from `ratio` at t = 0 to 1 at t = 1 (the inverse of its cumulative share).
    """
    if math.isclose(ratio, 1.0):
        return np.asarray(share, float)
    return (ratio - np.sqrt(ratio**2 - (ratio**2 - 1) * share)) / (ratio - 1)


def _strip_centroid(a: np.ndarray, b: np.ndarray, ratio: float) -> np.ndarray:
    """Population centroid along the axis of strips [a, b] under the same linear density."""
    mass = ratio * (b - a) - (ratio - 1) * (b**2 - a**2) / 2
    moment = ratio * (b**2 - a**2) / 2 - (ratio - 1) * (b**3 - a**3) / 3
    return moment / mass


def _place_grids(xy: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator):
    """Grid workstations as population-weighted k-means centres; each building joins the nearest.

    A grid left without buildings takes the nearest building from a grid that has several.
    """
    centres = xy[rng.choice(len(xy), size=k, replace=False)].copy()
    for _ in range(GRID_PLACEMENT_ROUNDS):
        label = _nearest(xy, centres)
        mass = np.bincount(label, weight, k)
        held = mass > 0
        centres[held, 0] = np.bincount(label, weight * xy[:, 0], k)[held] / mass[held]
        centres[held, 1] = np.bincount(label, weight * xy[:, 1], k)[held] / mass[held]
    label = _nearest(xy, centres)
    for g in np.flatnonzero(np.bincount(label, minlength=k) == 0):
        spare = np.bincount(label, minlength=k)[label] > 1
        gap = np.where(spare, ((xy - centres[g]) ** 2).sum(axis=1), np.inf)
        label[np.argmin(gap)] = g
    return centres, label


def _nearest(xy: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return (((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)).argmin(axis=1)


# --- explicit territories ---------------------------------------------------------------------

def _explicit(cfg: dict, where: str) -> Territory:
    """A hand-built territory: every position given, every reference checked; populations times `scale`."""
    streets = _listed(cfg, "streets", where)
    communities = _listed(cfg, "communities", where)
    buildings = _listed(cfg, "buildings", where)
    residents = sum(max(1, round(item["population"] * cfg["scale"])) for item in buildings)
    if residents > MAX_RESIDENTS:
        raise ScenarioError(where, "territory.buildings", f"at most {MAX_RESIDENTS:,} residents after scale; "
                                                          f"these buildings hold {residents:,}")
    street_en = _unique_names(streets, "streets", where)
    comm_en = _unique_names(communities, "communities", where)
    comm_street = _refs(communities, "communities", "street", street_en, where)

    grids = cfg.get("grids") or [{"name": f"{name}-G", "community": name, "x": item["x"], "y": item["y"]}
                                 for name, item in zip(comm_en, communities)]
    grid_en = _unique_names(grids, "grids", where)
    grid_comm = _refs(grids, "grids", "community", comm_en, where)

    b_comm = _refs(buildings, "buildings", "community", comm_en, where)
    b_grid = np.empty(len(buildings), int)
    for i, (item, c) in enumerate(zip(buildings, b_comm)):
        own = np.flatnonzero(grid_comm == c)
        own_names = [grid_en[g] for g in own]
        key = f"territory.buildings[{i}].grid"
        if len(own) == 0:
            raise ScenarioError(where, key, f"a grid of community {comm_en[c]}, which has none")
        name = item.get("grid")
        if name is None:
            b_grid[i] = own[0]
        elif name in own_names:
            b_grid[i] = own[own_names.index(name)]
        else:
            raise ScenarioError(where, key, f"one of the grids of community {comm_en[c]}: {', '.join(own_names)}")

    b_xy = _points(buildings)
    b_pop = np.array([max(1, round(item["population"] * cfg["scale"])) for item in buildings])
    street_xy, comm_xy, grid_xy = _points(streets), _points(communities), _points(grids)
    owner = np.concatenate([np.arange(len(streets)), comm_street, comm_street[grid_comm],
                            comm_street[grid_comm[b_grid]]])
    everything = np.concatenate([street_xy, comm_xy, grid_xy, b_xy])
    box = np.full((len(streets), 4), [np.inf, np.inf, -np.inf, -np.inf])
    np.minimum.at(box[:, :2], owner, everything)
    np.maximum.at(box[:, 2:], owner, everything)
    return _assemble(
        street_en=street_en, street_zh=[item.get("name_zh") or item["name"] for item in streets],
        street_xy=street_xy, street_box=box,
        comm_en=comm_en, comm_zh=[item.get("name_zh") or item["name"] for item in communities],
        comm_xy=comm_xy, comm_street=comm_street,
        grid_en=grid_en, grid_zh=grid_en, grid_xy=grid_xy, grid_comm=grid_comm,
        b_xy=b_xy, b_pop=b_pop, b_grid=b_grid, circuity=cfg["circuity"], assumptions=[])


def _listed(cfg: dict, key: str, where: str) -> list[dict]:
    items = cfg.get(key) or []
    if not items:
        raise ScenarioError(where, f"territory.{key}", "at least one entry, for the explicit preset")
    return items


def _unique_names(items: list[dict], key: str, where: str) -> list[str]:
    names = [item["name"] for item in items]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ScenarioError(where, f"territory.{key}[{i}].name", f"a name not used by another entry of {key}")
    return names


def _refs(items: list[dict], key: str, field: str, names: list[str], where: str) -> np.ndarray:
    """Indices of the entries that each item names in `field`; an unknown name is an error."""
    index = {name: i for i, name in enumerate(names)}
    for i, item in enumerate(items):
        if item[field] not in index:
            plural = {"street": "streets", "community": "communities"}[field]
            raise ScenarioError(where, f"territory.{key}[{i}].{field}", f"one of the {plural}: {', '.join(names)}")
    return np.array([index[item[field]] for item in items], int)


def _points(items: list[dict]) -> np.ndarray:
    return np.array([(float(item["x"]), float(item["y"])) for item in items]).reshape(-1, 2)


# --- the tree ---------------------------------------------------------------------------------

def _assemble(*, street_en, street_zh, street_xy, street_box, comm_en, comm_zh, comm_xy, comm_street,
              grid_en, grid_zh, grid_xy, grid_comm, b_xy, b_pop, b_grid, circuity, assumptions) -> Territory:
    """The tree over the arrays; each node's population is the sum of its buildings."""
    n_s, n_c, n_g = len(street_xy), len(comm_xy), len(grid_xy)
    b_pop = b_pop.astype(np.int64)
    g_pop = np.bincount(b_grid, b_pop, n_g).astype(np.int64)
    c_pop = np.bincount(grid_comm, g_pop, n_c).astype(np.int64)
    s_pop = np.bincount(comm_street, c_pop, n_s).astype(np.int64)

    order = np.argsort(b_grid, kind="stable")
    first = np.searchsorted(b_grid[order], np.arange(n_g))
    number = np.empty(len(b_grid), int)
    number[order] = np.arange(len(b_grid)) - first[b_grid[order]] + 1

    s_id = [f"S{s}" for s in range(n_s)]
    c_id = [f"{s_id[s]}/C{c}" for c, s in enumerate(comm_street.tolist())]
    g_id = [f"{c_id[c]}/G{g}" for g, c in enumerate(grid_comm.tolist())]
    b_id = [f"{g_id[g]}/B{b}" for b, g in enumerate(b_grid.tolist())]

    def nodes(ids, kind, en, zh, xy, pop):
        return ((i, {"kind": kind, "name_en": e, "name_zh": z, "x": x, "y": y, "population": p})
                for i, e, z, (x, y), p in zip(ids, en, zh, xy.tolist(), pop.tolist()))

    graph = nx.DiGraph()
    lo, hi = street_box[:, :2].min(axis=0), street_box[:, 2:].max(axis=0)
    graph.add_node("area", kind="area", name_en=AREA_NAME_EN, name_zh=AREA_NAME_ZH,
                   x=float(lo[0] + hi[0]) / 2, y=float(lo[1] + hi[1]) / 2, population=int(s_pop.sum()))
    graph.add_nodes_from(nodes(s_id, "street", street_en, street_zh, street_xy, s_pop))
    graph.add_nodes_from(nodes(c_id, "community", comm_en, comm_zh, comm_xy, c_pop))
    graph.add_nodes_from(nodes(g_id, "grid", grid_en, grid_zh, grid_xy, g_pop))
    graph.add_nodes_from(nodes(b_id, "building", [f"B{k}" for k in number.tolist()],
                               [f"{k}栋" for k in number.tolist()], b_xy, b_pop))
    graph.add_edges_from(("area", s) for s in s_id)
    graph.add_edges_from(zip((s_id[s] for s in comm_street.tolist()), c_id))
    graph.add_edges_from(zip((c_id[c] for c in grid_comm.tolist()), g_id))
    graph.add_edges_from(zip((g_id[g] for g in b_grid.tolist()), b_id))

    return Territory(
        graph=graph, street_names_en=list(street_en), street_names_zh=list(street_zh),
        street_xy=np.asarray(street_xy, float), street_box=np.asarray(street_box, float),
        community_names_en=list(comm_en), community_names_zh=list(comm_zh),
        community_xy=np.asarray(comm_xy, float), community_street=np.asarray(comm_street, np.int64),
        grid_xy=np.asarray(grid_xy, float), grid_community=np.asarray(grid_comm, np.int64),
        building_xy=np.asarray(b_xy, float), building_pop=b_pop, building_grid=np.asarray(b_grid, np.int64),
        circuity=float(circuity), assumptions=list(assumptions))
