"""Jiangbei governance simulator: residents' service requests under different authorisation models.

    from sim import load, run
    result = run(load("scenarios/dingshan.toml"), seed=1)
    result.metrics["service_radius_km"]["mean"], result.requests.head()
"""

from .model import GovernanceModel, RunResult, simulate as run
from .scenario import load

__all__ = ["GovernanceModel", "RunResult", "load", "run"]
