"""A district from GIS files: the example reads as written, residents live inside their own
community, the OSM extract gives the same roads as the line layer, and each kind of defect is
one clear line from `python -m sim territory`."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

import sim
from sim.cli import main
from sim.world.district import read_district
from helpers import ROOT

EXAMPLE = ROOT / "scenarios" / "districts" / "example.gpkg"
SCENARIO = ROOT / "scenarios" / "districts" / "example.toml"
LAYERS = ("communities", "street_centres", "stations", "buildings", "roads")


@pytest.fixture(scope="module")
def model():
    from sim.engine.model import GovernanceModel

    return GovernanceModel(sim.load(SCENARIO, ["territory.scale=0.1"]), seed=1)


def test_the_example_reads_as_written(model):
    t = model.territory
    communities = read_district(EXAMPLE)["communities"]
    assert t.community_names_en == list(communities["name"])
    pop = np.bincount(t.building_community, t.building_pop)
    assert pop.tolist() == np.round(communities["population"] * 0.1).astype(int).tolist()
    assert t.roads is not None and t.roads.components == 1
    assert t.street_windows.tolist() == [4] and t.community_windows.tolist() == [2, 2, 2, 1, 1, 1]
    # elderly share where the file knows it, NaN (the scenario's share) where it does not
    share = t.building_elderly[t.building_community == 0]
    assert np.all(share == communities["elderly_share"][0])
    assert np.isnan(t.building_elderly[t.building_community == 2]).all()


def test_residents_live_inside_their_own_community(model):
    t = model.territory
    inside = [t.community_shapes[c].covers(Point(xy)) for xy, c in zip(t.building_xy, t.building_community)]
    assert all(inside)
    # Far Hill has no buildings in the file: its residents are spread over its polygon
    far_hill = t.building_xy[t.building_community == t.community_names_en.index("Far Hill")]
    assert len(far_hill) > 1 and np.ptp(far_hill[:, 0]) > 1.0


def test_the_osm_extract_gives_the_same_roads_as_the_line_layer():
    from sim.world.territory import build_territory
    from sim.engine.build import _territory_cfg

    def territory(*extra):
        sc = sim.load(SCENARIO, ["territory.scale=0.02", *extra])
        return build_territory(_territory_cfg(sc["territory"]), np.random.default_rng(1), "x")

    layer = territory()
    osm = territory("territory.roads.source=\"file\"", f"territory.roads.file={EXAMPLE.with_suffix(".osm")}")
    assert osm.roads.graph.number_of_nodes() == layer.roads.graph.number_of_nodes()
    a = layer.legs(layer.building_xy, layer.street_xy).km
    b = osm.legs(osm.building_xy, osm.street_xy).km
    assert np.abs(a - b).max() < 0.01  # km: the projection round trip, not a different road


def defective(tmp_path, change):
    """A copy of the example with one layer changed by `change(name, frame) -> frame | None`."""
    path = tmp_path / "district.gpkg"
    for name in LAYERS:
        frame = change(name, gpd.read_file(EXAMPLE, layer=name))
        if frame is not None:
            frame.to_file(path, layer=name, engine="pyogrio")
    return path


def no_population(name, frame):
    if name == "communities":
        frame.loc[2, "population"] = None
    return frame


def station_outside(name, frame):
    if name == "stations":
        frame.loc[1, "geometry"] = shapely.affinity.translate(frame.geometry[1], 50_000, 0)
    return frame


def roads_in_pieces(name, frame):
    if name == "roads":
        far = gpd.GeoDataFrame({"class": ["lane"]}, geometry=[LineString([(0, 0), (100, 0)])], crs=frame.crs)
        far = far.set_geometry(far.geometry.translate(*frame.total_bounds[2:]).translate(5_000, 5_000))
        return gpd.pd.concat([frame, far], ignore_index=True)
    return frame


def missing_layer(name, frame):
    return None if name == "stations" else frame


def half_a_window(name, frame):
    if name == "street_centres":
        frame["windows"] = 2.5
    return frame


@pytest.mark.parametrize("change, says", [
    (no_population, "community East Gate: a population > 0 (it has none)"),
    (station_outside, "layer stations, feature 2: inside a community polygon (it is outside every one)"),
    (roads_in_pieces, "roads: one connected network (it falls into 2 parts"),
    (missing_layer, "layer stations: present"),
    (half_a_window, "layer street_centres, feature 1, column windows: a whole number >= 0 or empty; got 2.5"),
], ids=["no population", "station outside", "roads in pieces", "missing layer", "half a window"])
def test_each_defect_is_one_clear_line(tmp_path, capsys, change, says):
    path = defective(tmp_path, change)
    assert main(["territory", str(path), "--out", str(tmp_path / "maps")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}") and says in err[0], err
    assert not (tmp_path / "maps").exists()


def test_territory_command_checks_and_draws_the_example(tmp_path, capsys):
    assert main(["territory", str(EXAMPLE), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "6 communities" in out and "roads:" in out
    assert (tmp_path / "territory.png").stat().st_size > 10_000 and (tmp_path / "territory.svg").exists()


def bad_hours(name, frame):
    if name == "stations":
        frame.loc[4, "hours"] = "mornings"
    return frame


def test_bad_opening_hours_are_one_clear_line(tmp_path, capsys):
    path = defective(tmp_path, bad_hours)
    assert main(["territory", str(path), "--out", str(tmp_path / "maps")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {path}: layer stations, feature 5, column hours: opening sessions separated by ';', "
                   f"each 'Mon-Fri 08:30-12:00' (days, then HH:MM-HH:MM, end after start, at most 24:00), or empty "
                   f"for the scenario's hours; got 'mornings'"]


def test_a_station_with_shorter_hours_opens_and_serves_only_then(tmp_path):
    """Bridge Head's station opens on weekday mornings only in the example: its window pools keep
    those hours (the other stations the scenario's), nobody is served there in an afternoon, and
    its residents' requests take longer than with the scenario's hours, the others' no longer."""
    from sim.clock import DAY
    from sim.engine.model import GovernanceModel
    from sim.world.calendar import Calendar

    def run(district):
        sc = sim.load(SCENARIO, [f"territory.district={district}", "territory.scale=0.3", "run.weeks=8"])
        m = GovernanceModel(sc, seed=1)
        m.run()
        return m, m.request_table().query("channel == 'community'")

    own = run(EXAMPLE)
    scenario_hours = run(defective(tmp_path, lambda name, frame: frame.assign(hours="") if name == "stations" else frame))
    m = own[0]
    bridge_head = m.territory.community_names_en.index("Bridge Head")
    assert m.communities[bridge_head].pools["community"].calendar == Calendar.from_specs(["Mon-Fri 08:30-12:00"])
    assert m.communities[bridge_head].pools["specialist"].calendar == Calendar.from_specs(["Mon-Fri 08:30-12:00"])
    assert all(c.pools["community"].calendar == m.policy.hours["community"] for c in m.communities if c.index != bridge_head)

    def days(table, here):
        rows = table[(table.point == bridge_head) == here]
        return ((rows.t_done - rows.t_need) / DAY).mean(), rows

    (short, rows), (usual, usual_rows) = days(own[1], True), days(scenario_hours[1], True)
    assert len(rows) == len(usual_rows) > 10
    assert (rows.t_accept.dropna() % DAY <= 12 * 60).all() and (usual_rows.t_accept % DAY > 12 * 60).any()
    assert short > usual
    assert days(own[1], False)[0] == pytest.approx(days(scenario_hours[1], False)[0], rel=0.01)


def test_the_maps_of_a_district_draw_its_own_polygons_and_roads(model):
    """The `territory` drawing and the comparison's access map both draw the district's
    community polygons (not street rectangles) and every road segment."""
    from types import SimpleNamespace

    from matplotlib.collections import LineCollection, PatchCollection

    from sim.measure.access import access_map
    from sim.present.figures import _access_map
    from sim.present.territory_map import territory_figure
    from sim.present.text import section

    t = model.territory
    comparison = SimpleNamespace(labels=["a", "b"], maps={"a": access_map(model), "b": access_map(model)},
                                 short={"a": "A", "b": "B"}, cell=lambda label, metric: None)
    figures = [territory_figure(t, {"one": np.ones(len(t.building_xy)), "two": np.ones(len(t.building_xy))}, "t"),
               _access_map(comparison, section("figures", "en"))]
    polygons = [np.asarray(shape.exterior.coords) for shape in t.community_shapes]
    for fig in figures:
        maps = [ax for ax in fig.axes if any(isinstance(c, PatchCollection) for c in ax.collections)]
        assert len(maps) == 2
        for ax in maps:
            outlines = [c for c in ax.collections if isinstance(c, PatchCollection)][-1]
            drawn = [path.vertices for path in outlines.get_paths()]
            assert len(drawn) == len(polygons)
            assert all(np.allclose(d[:len(p)], p) for d, p in zip(drawn, polygons))
            segments = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))
            assert segments == t.roads.graph.number_of_edges()


def test_dingshan_posts_one_specialist_in_each_of_a_smaller_districts_communities():
    from sim.engine.build import build_world
    from sim.scenario.files import territory_overrides

    sc = sim.load(ROOT / "scenarios" / "dingshan.toml", territory_overrides(SCENARIO) + ["territory.scale=0.02"])
    assert sc["staff"]["specialist"]["count"] == 10
    assert build_world(sc, 1).clusters == [[c] for c in range(6)]


def test_a_points_own_hours_take_the_weekend_sessions_when_5_plus_2_is_on():
    from sim.world.calendar import Calendar
    from sim.world.catalogue import load_catalogue
    from sim.world.policy import build_policy

    sc = sim.load(ROOT / "scenarios" / "centralised.toml", ["switches.weekend=true"])
    catalogue = load_catalogue(sc["catalogue"]["file"], None, "x")
    policy = build_policy(sc, catalogue, {"street": None, "community": [None, ("Mon 09:00-10:00",), None]})
    weekend = Calendar.from_specs(sc["calendars"]["weekend"])
    own = policy.calendar("community", point=1)
    assert own == Calendar.from_specs(["Mon 09:00-10:00"]).union(weekend)
    assert policy.calendar("community", True, 1) == own.intersect(policy.work.complement())
    assert policy.calendar("community", point=0) == policy.calendar("community", point=2) == policy.hours["community"]
    assert policy.calendar("street", point=0) == policy.hours["street"]
    groups = [(hours, rows.tolist()) for hours, _, rows in policy.by_hours("community", np.array([2, 1, 0, 1]))]
    assert groups == [(policy.hours["community"], [0, 2]), (own, [1, 3])]


def test_live_and_bulk_runs_agree_on_a_district_with_its_own_hours():
    """The bulk path's arrivals at Bridge Head's mornings-only station are the event flow's."""
    from sim.measure.results import measure

    sc = sim.load(ROOT / "scenarios" / "dachang.toml", [f"territory.district={EXAMPLE}", 'territory.preset="district"',
                                                        "territory.scale=0.2", "run.weeks=4", "run.drain_weeks=3"])
    bulk, live = sim.GovernanceModel(sc, 3), sim.GovernanceModel(sc, 3, live=True)
    assert bulk.on_the_spot.mask.any()
    bulk.run()
    live.run()
    assert measure(live).requests.equals(measure(bulk).requests)
