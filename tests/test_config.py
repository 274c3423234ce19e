"""The typed views of the scenario schema are up to date and read every shipped scenario as it is."""

import dataclasses
import sys

import pytest

import sim
from helpers import ROOT, SCENARIOS
from sim.scenario.config import ScenarioConfig, config

sys.path.insert(0, str(ROOT / "tools"))
import config_views  # noqa: E402


def test_the_generated_views_match_the_schema():
    assert (ROOT / "sim" / "scenario" / "config.py").read_text(encoding="utf-8") == config_views.generate(), \
        "sim/scenario/config.py is out of date: run python tools/config_views.py"


@pytest.mark.parametrize("path", [*sorted(SCENARIOS.glob("*.toml")), SCENARIOS / "queueing" / "mmc.toml"],
                         ids=lambda p: p.name)
def test_views_read_every_shipped_scenario_as_its_values(path):
    scenario = sim.load(path)
    view = config(scenario)
    assert isinstance(view, ScenarioConfig)
    assert view.staff.specialist.count == scenario.values["staff"]["specialist"]["count"]
    assert view.run.weeks == scenario.values["run"]["weeks"]
    assert view.points.grid.hours == tuple(scenario.values["points"]["grid"]["hours"])
    assert set(view.calendars) == set(scenario.values["calendars"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.run.weeks = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.calendars["new"] = ()  # type: ignore[index]
