"""Territory: published figures kept, layout geometry as specified, tree and arrays consistent."""

import math
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.world.territory import _place_grids, build_territory

CSV = Path(__file__).resolve().parents[1] / "scenarios" / "data" / "jiangbei_streets.csv"
WHERE = "test.toml"
BASE = {
    "preset": "dingshan", "streets_file": CSV, "scale": 1.0, "circuity": 1.3,
    "persons_per_household": 2.48, "households_per_grid": 400, "residents_per_building": 93,
    "residents_per_community": 20000, "missing_area_km2": 50.0, "total_population": 843400,
    "street": "Dingshan", "length_km": 20.0, "centre_position": 0.3, "core_density_ratio": 4.0,
    "streets_count": None, "communities_per_street": None, "area_km2": None, "population": None,
    "streets": [], "communities": [], "grids": [], "buildings": [],
}


def build(seed=1, **changes):
    return build_territory(BASE | changes, np.random.default_rng(seed), WHERE)


@pytest.fixture(scope="module")
def dingshan():
    return build()


@pytest.fixture(scope="module")
def jiangbei():
    return build(preset="jiangbei")


def explicit(**changes):
    cfg = {
        "preset": "explicit", "circuity": 1.5,
        "streets": [{"name": "S1", "name_zh": "一街道", "x": 0.0, "y": 0.0}, {"name": "S2", "x": 10.0, "y": 0.0}],
        "communities": [{"name": "C1", "street": "S1", "x": 1.0, "y": 2.0},
                        {"name": "C2", "street": "S2", "x": 11.0, "y": 3.0}],
        "grids": [],
        "buildings": [{"x": 1.5, "y": 2.5, "population": 40, "community": "C1"},
                      {"x": 0.5, "y": 1.0, "population": 7, "community": "C1"},
                      {"x": 12.0, "y": 4.0, "population": 100, "community": "C2"}],
    }
    return build(**(cfg | changes))


def test_dingshan_keeps_published_counts(dingshan):
    assert len(dingshan.community_xy) == 10
    assert dingshan.street_names_zh == ["顶山街道"]
    assert dingshan.population == 220_000  # exact: whole residents split without loss
    comm_pop = np.bincount(dingshan.building_community, dingshan.building_pop)
    assert comm_pop.max() - comm_pop.min() <= 1
    assert (dingshan.building_pop >= 1).all()
    per_comm = np.bincount(dingshan.grid_community)
    assert (per_comm == math.ceil(22_000 / (400 * 2.48))).all()
    assert (np.bincount(dingshan.building_community) == math.ceil(22_000 / 93)).all()
    assert (np.bincount(dingshan.building_grid, minlength=len(dingshan.grid_xy)) >= 1).all()


def test_dingshan_is_a_20km_strip_of_its_area(dingshan):
    xmin, ymin, xmax, ymax = dingshan.street_box[0]
    assert (xmax - xmin) * (ymax - ymin) == pytest.approx(62.8)
    lo, hi = dingshan.building_xy.min(axis=0), dingshan.building_xy.max(axis=0)
    assert 19.8 <= hi[1] - lo[1] <= 20.0
    assert (hi - lo).prod() == pytest.approx(62.8, rel=0.03)
    assert dingshan.street_xy[0] == pytest.approx([3.14 / 2, 0.3 * 20], rel=1e-3)


def test_dingshan_strips_are_narrower_at_the_dense_end(dingshan):
    y, comm = dingshan.building_xy[:, 1], dingshan.building_community
    extent = np.array([np.ptp(y[comm == c]) for c in range(10)])
    assert extent[0] < extent[-1] / 2
    assert np.all(np.diff(dingshan.community_xy[:, 1]) > 0)


def test_station_at_population_centroid_of_its_strip():
    t = build(preset="synthetic", streets_count=1, communities_per_street=1, area_km2=10.0, population=200_000,
              length_km=10.0)
    # density 4 -> 1 linearly over 10 km: centroid (4/2 - 3/3) / (4 - 3/2) of the length = 4 km
    assert t.community_xy[0] == pytest.approx([0.5, 4.0])
    mean_y = np.average(t.building_xy[:, 1], weights=t.building_pop)
    assert mean_y == pytest.approx(4.0, abs=0.15)


def test_dingshan_far_end_is_13_to_16_km_from_the_centre(dingshan):
    centre = dingshan.street_xy[0]
    far = dingshan.building_community == 9
    reach = np.hypot(*(dingshan.building_xy[far] - centre).T)
    assert 13.0 <= reach.max() <= 16.0
    station = np.hypot(*(dingshan.community_xy[9] - centre))
    assert 11.0 <= station <= reach.max()


def test_jiangbei_seven_streets_sum_to_the_2019_total(jiangbei):
    assert jiangbei.street_names_en == ["Dingshan", "Taishan", "Yanjiang", "Pancheng", "Dachang", "Changlu",
                                        "Getang"]
    assert jiangbei.population == 843_400  # exact: largest-remainder rounding
    street_pop = np.bincount(jiangbei.building_street, jiangbei.building_pop)
    assert street_pop[6] == 843_400 - (220_000 + 165_706 + 66_329 + 69_815 + 100_000 + 32_000)
    communities = np.bincount(jiangbei.community_street)
    assert communities[0] == 10 and communities[4] == 15 and communities[5] == 7 + 6
    assert any("Getang" in note and "population" in note for note in jiangbei.assumptions)
    assert any("Getang" in note and "area" in note for note in jiangbei.assumptions)


def test_jiangbei_rescales_known_streets_to_the_total(tmp_path):
    csv = tmp_path / "streets.csv"
    csv.write_text(CSV.read_text(encoding="utf-8").replace("葛塘街道,Getang,direct,,", "葛塘街道,Getang,direct,,100000"),
                   encoding="utf-8")
    t = build(preset="jiangbei", streets_file=csv)
    assert t.population == 843_400
    factor = 843_400 / (653_850 + 100_000)
    street_pop = np.bincount(t.building_street, t.building_pop)
    assert street_pop[0] == pytest.approx(220_000 * factor, abs=1)
    assert any(f"x{factor:.4f}" in note for note in t.assumptions)
    assert not any("residual" in note for note in t.assumptions)


def test_jiangbei_streets_side_by_side_preserving_area(jiangbei):
    box = jiangbei.street_box
    assert np.allclose(box[1:, 0], box[:-1, 2])
    areas = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    assert areas == pytest.approx([62.8, 45, 30.9, 51.5, 40, 40, 50.0])
    inside = ((jiangbei.building_xy >= box[jiangbei.building_street, :2])
              & (jiangbei.building_xy <= box[jiangbei.building_street, 2:]))
    assert inside.all()


def test_scale_shrinks_people_not_communities(jiangbei):
    small = build(preset="jiangbei", scale=0.01)
    assert abs(small.population - 8_434) <= 7  # each of 7 streets rounds by at most half a resident
    assert np.array_equal(np.bincount(small.community_street), np.bincount(jiangbei.community_street))
    assert (small.building_pop >= 1).all()
    assert (np.bincount(small.building_grid, minlength=len(small.grid_xy)) >= 1).all()
    assert len(small.building_xy) < len(jiangbei.building_xy) / 10


def test_synthetic_streets_are_identical_and_adjacent():
    t = build(preset="synthetic", streets_count=3, communities_per_street=4, area_km2=12.0, population=30_000,
              length_km=6.0)
    assert np.array_equal(np.bincount(t.building_street, t.building_pop), [30_000] * 3)
    assert np.array_equal(np.bincount(t.community_street), [4] * 3)
    assert t.street_box[:, 0] == pytest.approx([0, 2, 4])
    assert t.street_box[:, 3] == pytest.approx([6, 6, 6])


def test_explicit_reproduces_the_given_territory():
    t = explicit()
    assert t.street_xy.tolist() == [[0.0, 0.0], [10.0, 0.0]]
    assert t.community_xy.tolist() == [[1.0, 2.0], [11.0, 3.0]]
    assert t.grid_xy.tolist() == t.community_xy.tolist()
    assert [t.graph.nodes[t.node_id("grid", g)]["name_en"] for g in range(2)] == ["C1-G", "C2-G"]
    assert t.building_xy.tolist() == [[1.5, 2.5], [0.5, 1.0], [12.0, 4.0]]
    assert t.building_pop.tolist() == [40, 7, 100]
    assert t.building_street.tolist() == [0, 0, 1]
    assert t.street_names_zh == ["一街道", "S2"]
    assert t.assumptions == []


def test_explicit_grid_reference_and_default():
    grids = [{"name": "G1", "community": "C1", "x": 1.0, "y": 2.0},
             {"name": "G2", "community": "C1", "x": 0.0, "y": 1.0},
             {"name": "G3", "community": "C2", "x": 11.0, "y": 3.0}]
    buildings = [{"x": 0.5, "y": 1.0, "population": 5, "community": "C1", "grid": "G2"},
                 {"x": 1.5, "y": 2.5, "population": 5, "community": "C1"}]
    t = explicit(grids=grids, buildings=buildings)
    assert t.building_grid.tolist() == [1, 0]
    assert t.graph.nodes[t.node_id("grid", 2)]["population"] == 0


def test_road_km_is_euclid_times_circuity():
    t = explicit()
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    b = np.array([[3.0, 4.0], [1.0, 1.0], [-2.0, 5.0]])
    euclid = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    assert t.road_km(a, b).shape == (2, 3)
    np.testing.assert_allclose(t.road_km(a, b), euclid * 1.5, rtol=1e-15)
    assert t.road_km(a, b)[0, 0] == pytest.approx(7.5)


def test_tree_structure_and_populations():
    t = build(preset="jiangbei", scale=0.05)
    g = t.graph
    assert g.number_of_nodes() == 1 + len(t.street_xy) + len(t.community_xy) + len(t.grid_xy) + len(t.building_xy)
    for b in range(0, len(t.building_xy), 37):
        node, kinds = t.node_id("building", b), []
        while node != "area":
            kinds.append(g.nodes[node]["kind"])
            (node,) = g.predecessors(node)
        assert kinds == ["building", "grid", "community", "street"]
        assert g.nodes[t.node_id("building", b)]["population"] == t.building_pop[b]
    for node, attrs in g.nodes(data=True):
        children = list(g.successors(node))
        if attrs["kind"] != "building":
            assert attrs["population"] == sum(g.nodes[c]["population"] for c in children)
        else:
            assert not children
    assert g.nodes["area"]["population"] == t.population
    street = g.nodes[t.node_id("street", 0)]
    assert (street["x"], street["y"]) == tuple(t.street_xy[0])


def test_same_seed_same_territory_other_seed_other_buildings():
    a, b, c = build(seed=7, preset="jiangbei", scale=0.05), build(seed=7, preset="jiangbei", scale=0.05), \
        build(seed=8, preset="jiangbei", scale=0.05)
    for name in ("street_xy", "community_xy", "grid_xy", "grid_community", "building_xy", "building_pop",
                 "building_grid"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.building_xy, c.building_xy)
    assert a.summary() == b.summary()


def test_every_grid_gets_a_building_when_clustering_leaves_one_empty():
    stacked = np.zeros((5, 2))  # all buildings at one point: k-means gives every building to one grid
    _, label = _place_grids(stacked, np.ones(5), 3, np.random.default_rng(0))
    assert (np.bincount(label, minlength=3) >= 1).all()


def test_arrays_are_read_only(dingshan):
    with pytest.raises(ValueError):
        dingshan.building_pop[0] = 5


def test_summary_names_the_counts(jiangbei):
    text = jiangbei.summary()
    assert "7 streets" in text and "843,400 residents" in text and "Getang" in text


@pytest.mark.parametrize("change, key, expected", [
    ({"buildings": [{"x": 0, "y": 0, "population": 1, "community": "C1"},
                    {"x": 0, "y": 0, "population": 1, "community": "C9"}]},
     "territory.buildings[1].community", "one of the communities: C1, C2"),
    ({"communities": [{"name": "C1", "street": "S7", "x": 0, "y": 0}]},
     "territory.communities[0].street", "one of the streets: S1, S2"),
    ({"buildings": [{"x": 0, "y": 0, "population": 1, "community": "C2", "grid": "C1-G"}]},
     "territory.buildings[0].grid", "C2-G"),
    ({"buildings": []}, "territory.buildings", "at least one"),
])
def test_explicit_bad_references_raise(change, key, expected):
    with pytest.raises(ScenarioError) as caught:
        explicit(**change)
    assert caught.value.key == key
    assert key in str(caught.value) and expected in str(caught.value) and WHERE in str(caught.value)


def test_missing_csv_raises(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(ScenarioError) as caught:
        build(streets_file=missing)
    assert caught.value.key == "territory.streets_file"
    assert "territory.streets_file" in str(caught.value) and str(missing) in str(caught.value)


def test_bad_csv_raises(tmp_path):
    lines = CSV.read_text(encoding="utf-8").splitlines()
    no_column = tmp_path / "no_column.csv"
    no_column.write_text("\n".join(line.replace("population", "pop", 1) if i == 0 else line
                                   for i, line in enumerate(lines)), encoding="utf-8")
    with pytest.raises(ScenarioError, match="column population"):
        build(streets_file=no_column)
    bad_number = tmp_path / "bad_number.csv"
    bad_number.write_text("\n".join([lines[0], lines[1].replace("62.8", "sixty")]), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"column area_km2 \(row Dingshan\)"):
        build(streets_file=bad_number)


def test_unknown_street_raises():
    with pytest.raises(ScenarioError, match="territory.street: one of the streets"):
        build(street="Atlantis")
