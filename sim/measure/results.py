"""A run measured: the per-request table and the metrics of the `--json` contract."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.engine.model import GovernanceModel
from sim.measure import metrics, staffing, survey
from sim.scenario.files import Scenario


@dataclass
class RunResult:
    requests: pd.DataFrame
    metrics: dict


def measure(model: GovernanceModel) -> RunResult:
    """The request table of a finished (or stopped) model and every metric computed from it."""
    table = model.request_table()
    summary = metrics.summarise(table, model.stop)
    summary["access_radius_km"] = model.access_radius()
    measured = table[table["measured"]]
    report = model.staff_report(summary["requests"]["created"])
    summary["visitors_per_window_day"] = staffing.visitors_per_window_day(measured, report)
    summary["staff"] = staffing.staffing(report, measured, model.scenario_values["staffing"], model.end - model.warmup_end)
    summary["survey"] = survey.run_survey(table, model.scenario_values["survey"], model.survey_rng,
                                          model.warmup_end, model.end)
    return RunResult(table, summary)


def simulate(scenario: Scenario, seed: int | None = None) -> RunResult:
    """Build the model, run it to the end, and return the per-request table and the metrics."""
    model = GovernanceModel(scenario, seed)
    model.run()
    return measure(model)
