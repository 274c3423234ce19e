"""Without roads (territory.roads.source = "none") every shipped scenario gives exactly the
figures of the model before roads: straight line x circuity stays the fallback. The stored
figures in tests/golden/straight_line/ were written by that model; refresh them like the golden
ones (`--refresh-golden`) only when a change moves the straight-line figures on purpose."""

import json

import pytest

import sim
from golden import GOLDEN, OVERRIDES, REFRESH, SEED, differences, flatten, shipped, table_totals

STRAIGHT = GOLDEN / "straight_line"
NO_ROADS = 'territory.roads.source="none"'


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.name)
def test_without_roads_the_figures_are_the_straight_line_ones(path, refresh_golden):
    result = sim.run(sim.load(path, [*OVERRIDES, NO_ROADS]), seed=SEED)
    now = {**flatten(result.metrics, "metrics"), **flatten(table_totals(result.requests), "requests")}
    stored = STRAIGHT / f"{path.stem}.json"
    if refresh_golden:
        stored.write_text(json.dumps({"scenario": f"scenarios/{path.name}", "overrides": [*OVERRIDES, NO_ROADS],
                                      "seed": SEED, "figures": now}, indent=1, sort_keys=True, ensure_ascii=False)
                          + "\n", encoding="utf-8")
        return
    moved = differences(json.loads(stored.read_text(encoding="utf-8"))["figures"], now)
    assert not moved, (f"{len(moved)} straight-line figures of scenarios/{path.name} moved:\n" + "\n".join(moved)
                       + f"\nrefresh on purpose with `{REFRESH}`")
