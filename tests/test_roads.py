"""Roads: distances along a road graph are networkx's shortest paths, a river with one bridge
sends the far bank round by it, and without roads a trip is straight line x circuity."""

import itertools

import networkx as nx
import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.world.roads import ACCESS, RoadClass, RoadNetwork, segments_graph, strip_roads
from sim.world.territory import build_territory
from test_territory import BASE

CLASSES = {"main": RoadClass(1.0, 1.5), "lane": RoadClass(0.8, 0.5), ACCESS: RoadClass(1.0, 0.5)}


def hand_made() -> nx.Graph:
    """Seven junctions, a fast main road round the outside and slow lanes through the middle."""
    xy = {0: (0, 0), 1: (2, 0), 2: (4, 0), 3: (4, 2), 4: (2, 2), 5: (0, 2), 6: (2, 1)}
    g = nx.Graph()
    for n, (x, y) in xy.items():
        g.add_node(n, x=float(x), y=float(y))
    for a, b, cls in [(0, 1, "main"), (1, 2, "main"), (2, 3, "main"), (3, 4, "main"), (4, 5, "main"),
                      (5, 0, "main"), (0, 6, "lane"), (6, 3, "lane"), (1, 6, "lane"), (6, 4, "lane")]:
        g.add_edge(a, b, km=float(np.hypot(xy[a][0] - xy[b][0], xy[a][1] - xy[b][1])), cls=cls)
    return g


def test_distances_along_the_roads_are_networkx_shortest_paths():
    g = hand_made()
    roads = RoadNetwork(g, CLASSES, circuity=1.3)
    xy = np.array([(g.nodes[n]["x"], g.nodes[n]["y"]) for n in g.nodes])
    legs = roads.legs(xy, xy)
    for name, factor in (("km", lambda c: 1.0), ("walk_km", lambda c: CLASSES[c].walk),
                         ("ride_km", lambda c: CLASSES[c].ride)):
        for a, b, d in g.edges(data=True):
            d["w"] = d["km"] / factor(d["cls"])
        for i, j in itertools.product(range(len(xy)), repeat=2):
            assert getattr(legs, name)[i, j] == pytest.approx(nx.shortest_path_length(g, i, j, weight="w"))
    # riding prefers the main road round the outside; walking the diagonal lanes
    assert legs.km[0, 3] == pytest.approx(2 * np.hypot(2, 1))
    assert legs.ride_km[0, 3] == pytest.approx(6 / 1.5)
    paired = roads.legs_paired(xy, xy[::-1])
    assert paired.km == pytest.approx(legs.km[np.arange(len(xy)), np.arange(len(xy))[::-1]])


def test_a_point_off_the_road_walks_straight_to_the_nearest_road():
    roads = RoadNetwork(hand_made(), CLASSES, circuity=1.3)
    legs = roads.legs(np.array([[0.0, -0.3]]), np.array([[4.0, 0.4]]))
    # 0.3 km straight to junction 0, 4 km along the main road to junction 2, and 0.4 km on along
    # the main road from 2 to 3, which the point stands on
    assert legs.km[0, 0] == pytest.approx(0.3 * 1.3 + 4 + 0.4)
    assert legs.ride_km[0, 0] == pytest.approx(0.3 * 1.3 / 0.5 + 4.4 / 1.5)


def test_a_station_by_the_river_joins_its_own_bank_not_the_junction_across():
    """A river between y = 0 (a lane with junctions at x = 0, 4 and 10) and y = 1 (junctions at
    x = 0, 2, 4 and 10), bridged only at x = 10. The station at (2, 0.45) is nearest to the far
    bank's junction (2, 1), but nearest to the near bank's lane, which it joins at (2, 0)."""
    segments = [((0, 0), (4, 0), "lane"), ((4, 0), (10, 0), "lane"), ((0, 1), (2, 1), "lane"),
                ((2, 1), (4, 1), "lane"), ((4, 1), (10, 1), "lane"), ((10, 0), (10, 1), "main")]
    graph = segments_graph(segments, CLASSES, "t")
    roads = RoadNetwork(graph, CLASSES, circuity=1.0)
    station = np.array([[2.0, 0.45]])
    junctions = np.array(list(graph.nodes))
    assert tuple(junctions[np.hypot(*(junctions - station).T).argmin()]) == (2, 1)
    homes = np.array([[1.0, -0.1], [6.0, 0.2], [3.0, 1.1]])
    legs = roads.legs(homes, station)
    # along the near bank (the first home on the station's own lane); the far bank round by the bridge
    expected = [0.1 + 1 + 0.45, 0.2 + 2 + 2 + 0.45, 0.1 + 7 + 1 + 8 + 0.45]
    assert legs.km[:, 0] == pytest.approx(expected)
    lane, main = 1 / CLASSES["lane"].walk, 1 / CLASSES["main"].walk
    assert legs.walk_km[:, 0] == pytest.approx([0.55 + 1 * lane, 0.65 + 4 * lane, 0.55 + 15 * lane + 1 * main])
    paired = roads.legs_paired(homes, np.repeat(station, 3, axis=0))
    for name in ("km", "walk_km", "ride_km"):
        assert getattr(paired, name) == pytest.approx(getattr(legs, name)[:, 0])


def lattice(bridges: tuple[float, ...] | None) -> RoadNetwork:
    """A 4 x 4 km lattice of lanes every km; a river between y = 1 and y = 2 crossed only at
    the x of each bridge (no river when bridges is None)."""
    segments = []
    for x in range(5):
        for y in range(4):
            if bridges is None or y != 1 or x in bridges:
                segments.append(((x, y), (x, y + 1), "lane"))
    for y in range(5):
        segments.extend(((x, y), (x + 1, y), "lane") for x in range(4))
    return RoadNetwork(segments_graph(segments, CLASSES, "test"), CLASSES, circuity=1.0)


def test_a_river_with_one_bridge_sends_the_far_bank_round_by_it():
    centre = np.array([[0.0, 0.0]])
    homes = np.array([[x, y] for x in range(5) for y in range(5)], float)
    open_land = lattice(None).legs(homes, centre).km[:, 0]
    river = lattice((4,)).legs(homes, centre).km[:, 0]
    near = homes[:, 1] <= 1
    assert open_land == pytest.approx(homes.sum(axis=1))  # city blocks: |dx| + |dy|
    assert river[near] == pytest.approx(open_land[near])
    # across the bridge at x = 4: over to it, across, and back along the near bank
    far = ~near
    detour = np.abs(homes[far, 0] - 4) + (homes[far, 1] - 1) + 1 + 4
    assert river[far] == pytest.approx(detour)
    assert (river[far] > open_land[far]).any()


def test_generated_roads_cross_the_river_only_at_the_bridges():
    cfg = {"lane_spacing_km": 0.5, "river_position": 0.52, "river_crossings": 1}  # between the lanes at 5 and 5.5
    boxes, centres = np.array([[0.0, 0.0, 3.0, 10.0]]), np.array([[1.5, 2.0]])
    g = segments_graph(strip_roads(boxes, centres, cfg, river_street=0), CLASSES, "t")
    crossing = [(a, b) for a, b in g.edges if min(a[1], b[1]) < 5.2 < max(a[1], b[1])]
    assert {a[0] for a, _ in crossing} == {1.5}
    assert {g.edges[e]["cls"] for e in crossing} == {"main"}
    assert nx.is_connected(g)


def test_without_roads_a_trip_is_the_straight_line_times_circuity():
    t = build_territory(BASE, np.random.default_rng(1), "test.toml")
    assert t.roads is None
    legs = t.legs_paired(t.building_xy, t.community_xy[t.building_community])
    straight = np.hypot(*(t.building_xy - t.community_xy[t.building_community]).T) * BASE["circuity"]
    assert np.array_equal(legs.km, straight) and legs.walk_km is legs.km and legs.ride_km is legs.km


ROADS = {"source": "layout", "lane_spacing_km": 0.5, "river_position": 0.55, "river_crossings": 1,
         "classes": {"main": {"walk": 1.0, "ride": 1.2}, "lane": {"walk": 0.9, "ride": 0.6},
                     "access": {"walk": 1.0, "ride": 0.6}}}


def test_the_generated_default_uses_its_roads_and_keeps_its_layout():
    plain = build_territory(BASE, np.random.default_rng(1), "test.toml")
    roads = build_territory(BASE | {"roads": ROADS}, np.random.default_rng(1), "test.toml")
    assert np.array_equal(plain.building_xy, roads.building_xy)
    assert roads.roads.components == 1
    km = roads.legs_paired(roads.building_xy, roads.street_xy[roads.building_street]).km
    straight = np.hypot(*(roads.building_xy - roads.street_xy[roads.building_street]).T)
    assert (km >= straight - 1e-9).all()
    beyond = roads.building_xy[:, 1] > 0.55 * BASE["length_km"] + 0.5
    assert km[beyond].mean() > km[~beyond].mean()


def test_a_road_network_in_pieces_is_refused_in_one_line(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString

    path = tmp_path / "roads.geojson"
    gpd.GeoDataFrame({"class": ["lane", "lane"]}, geometry=[LineString([(0, 0), (1, 0)]),
                                                             LineString([(5, 5), (6, 5)])]).to_file(path)
    cfg = _explicit_with(path)
    with pytest.raises(ScenarioError, match="one connected road network .it falls into 2 parts"):
        build_territory(cfg, np.random.default_rng(1), "test.toml")


def _explicit_with(path) -> dict:
    return BASE | {
        "preset": "explicit", "scale": 1.0,
        "streets": [{"name": "S", "x": 0.0, "y": 0.0}],
        "communities": [{"name": "C", "street": "S", "x": 1.0, "y": 0.0}],
        "buildings": [{"x": 1.0, "y": 0.1, "population": 10, "community": "C"}],
        "roads": ROADS | {"source": "file", "file": str(path)},
    }


def test_in_the_model_the_far_bank_goes_round_by_the_bridge(tmp_path):
    """tests/scenarios/tiny.toml (street centre at 0,0; Near station at 2,0; Far at 9,0) on a road
    along the x axis with a river at x = 5 crossed only by a bridge 3 km up: the far bank's trip
    to the street centre grows from 9.4 km to 15.4 km, the near bank's stays 2.3 km."""
    import geopandas as gpd
    from shapely.geometry import LineString

    import sim
    from helpers import TINY

    def roads(bridge_y: float):
        lines = [LineString([(x, 0) for x in range(5)]), LineString([(x, 0) for x in range(6, 11)])]
        lines += [LineString([(4, 0), (4, bridge_y), (6, bridge_y), (6, 0)])] if bridge_y else \
            [LineString([(4, 0), (5, 0), (6, 0)])]
        path = tmp_path / f"roads-{bridge_y}.geojson"
        gpd.GeoDataFrame({"class": ["street"] * 3}, geometry=lines).to_file(path)
        return path

    def access(bridge_y: float):
        sc = sim.load(TINY, ['territory.roads.source="file"', f"territory.roads.file={roads(bridge_y)}"])
        return sim.GovernanceModel(sc, seed=1).building_access_km()

    # buildings: (2, 0.3) in Near, (9, 0.4) in Far, (0, 0.6) in Near; the tiny scenario's circuity is 1
    assert access(0) == pytest.approx([0.3 + 2, 0.4 + 9, 0.6])
    assert access(3) == pytest.approx([0.3 + 2, 0.4 + 3 + 3 + 2 + 3 + 4, 0.6])
