"""The queue reduction: a scenario's [queue_reduction] table rewritten as the scenario values that make
the model one M/M/c queue (or a two-stage network), so its outputs can be checked against theory."""

from __future__ import annotations

QUEUE_ITEM = "Q"


def reduce_to_queue(scenario) -> None:
    """Turn the [queue_reduction] table into the scenario values that make the model that queue."""
    v = scenario.values
    q = v["queue_reduction"]
    population = sum(b["population"] for b in v["territory"].get("buildings", []))
    if v["territory"]["preset"] != "explicit" or population == 0:
        raise scenario.error("territory", "an explicit territory with residents when [queue_reduction] is present")
    rate = q["arrivals_per_hour"] * 24 * 365 * 1000 / (population * v["territory"]["scale"])
    v["catalogue"].setdefault("items", {})[QUEUE_ITEM] = {
        "rate_under60": rate, "rate_elderly": rate, "service_minutes": q["service_minutes"],
        "service_dist": q["service"], "p_incomplete": 0.0, "back_office_days": 0.0,
    }
    v["points"]["community"]["windows"] = q["windows"]
    v["points"]["street"]["windows"] = q["street_windows"]
    v["handoff"]["referral_share"] = q["forward_share"]
    v["catalogue"]["demand_scale"] = 1.0
    v.pop("ranges", None)  # a theory check, not a world with uncertain assumptions
