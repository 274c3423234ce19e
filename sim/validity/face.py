"""Face validity: the Centralised baseline, run a few times, against the published facts of
`scenarios/data/facts.toml` (sim/measure/facts.py), as a table for docs/validity.md."""

from __future__ import annotations

import numpy as np

from sim.measure.facts import check_facts, load_facts
from sim.measure.results import simulate
from sim.paths import ROOT
from sim.runs.stats import interval

BASELINE = ROOT / "scenarios" / "centralised.toml"


def fact_runs(replicates: int, seed: int = 1) -> list[dict]:
    """The baseline's metrics for seeds seed .. seed + replicates - 1."""
    from sim.scenario.files import load

    scenario = load(BASELINE)
    return [simulate(scenario, seed + r).metrics for r in range(replicates)]


def fact_rows(runs: list[dict]) -> list[dict]:
    """Per fact: the mean figure over runs with its 95% interval, the tolerance, and whether the
    mean passes; `runs_passed` counts the single runs inside the tolerance."""
    checks = [check_facts(m) for m in runs]
    rows = []
    for k, fact in enumerate(load_facts()):
        values = [c[k].value for c in checks if c[k].value is not None]
        est = interval(values) if values else None
        mean = est.mean if est else None
        rows.append({"fact": fact, "mean": mean, "half_width": est.half_width if est else None,
                     "passed": mean is not None and fact.low <= mean <= fact.high,
                     "runs_passed": sum(c[k].passed for c in checks), "runs": len(runs)})
    return rows


def _value(x: float | None, unit: str) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{100 * x:.1f}%" if unit == "share" else f"{x:.2f}"


def facts_table(replicates: int = 5) -> str:
    """The markdown section: each fact, its source, the model's figure and pass or fail."""
    rows = fact_rows(fact_runs(replicates))
    lines = [
        "# Face validity: the Centralised baseline against published facts",
        "",
        f"`scenarios/centralised.toml`, {replicates} runs (seeds 1..{replicates}); mean and half-width of the 95%",
        "interval over runs. A fact passes when the mean lies inside its tolerance; the tolerances are",
        "fixed in `scenarios/data/facts.toml` from how exact each source is, never widened to let the",
        "model pass. Regenerate with `python -m sim validity --refresh-docs`.",
        "",
        "| fact | model | target | tolerance | result | runs inside | source | why this tolerance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        f = row["fact"]
        model = _value(row["mean"], f.unit)
        if row["half_width"] is not None and np.isfinite(row["half_width"]):
            model += f" ± {_value(row['half_width'], f.unit)}"
        lines.append(f"| {f.label} ({f.unit}) | {model} | {_value(f.target, f.unit)} | "
                     f"{_value(f.low, f.unit)} – {_value(f.high, f.unit)} | {'pass' if row['passed'] else 'FAIL'} | "
                     f"{row['runs_passed']} of {row['runs']} | {f.source} | {f.tolerance} |")
    return "\n".join(lines) + "\n"
