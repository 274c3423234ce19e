"""Scenario paths and small, fast runs shared by the tests."""

from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TINY = ROOT / "tests" / "scenarios" / "tiny.toml"
# A cut-down Dingshan: 1/50 of the residents, short windows; runs in well under a second.
SMALL = ["territory.scale=0.02", "run.warmup_weeks=1", "run.weeks=3", "run.drain_weeks=6"]


def run_tiny(*overrides, seed=1):
    return sim.run(sim.load(TINY, ["catalogue.demand_scale=40", *overrides]), seed=seed)


def run_small(model="centralised", *overrides, seed=1):
    return sim.run(sim.load(SCENARIOS / f"{model}.toml", [*SMALL, *overrides]), seed=seed)
