"""Jiangbei governance simulator: residents' service requests under different authorisation models.

    from sim import load, run
    result = run(load("scenarios/dingshan.toml"), seed=1)
    result.metrics["service_radius_km"]["mean"], result.requests.head()
"""

from sim.engine.model import GovernanceModel
from sim.measure.results import RunResult, measure, simulate as run
from sim.scenario.files import load

__all__ = ["GovernanceModel", "RunResult", "load", "measure", "run"]
