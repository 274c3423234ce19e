"""What staffing costs: busy hours with the back office's share, and full-time equivalents that
count paid window time whether anyone comes or not.

Busy hours per request alone reward a model that staffs many windows nobody visits: a community
station open all week for a few residents costs its staff's whole day. So beside busy hours the
run reports the paid hours (windows x opening hours, specialists' visit days, grid workers'
rounds) and the full-time equivalents they make; grid workers and the back office count only
their time on requests, since they are paid for other work too. The back office (online review and the working
days of review some items need) is not timed by the event flow; its hours are files x minutes per
file, both scenario assumptions under `[staffing]`.
"""

from __future__ import annotations

import pandas as pd

from sim.clock import WEEK

STAFFED = ("street", "community", "specialist", "grid")
WINDOWS = ("street", "community", "specialist")  # paid to be at a window (or on a visit day) whether anyone comes
# Grid workers are paid for the whole of grid governance; only their time on requests counts.


def back_office_hours(measured: pd.DataFrame, cfg: dict) -> float:
    """Reviews of files the back office decided (online submissions, reviewed items) and the
    working days of review that items with back-office days need, in hours."""
    reviews = int((measured["decided_by"] == "back_office").sum())
    reviewed = int((measured["back_office"] > 0).sum())
    return (reviews * cfg["review_minutes"] + reviewed * cfg["back_office_minutes"]) / 60


def staffing(report: dict, measured: pd.DataFrame, cfg: dict, minutes: float) -> dict:
    """The staff report with the back office added, busy and paid hours per request, and
    full-time equivalents over a measured window of `minutes`."""
    requests = len(measured)
    weeks = minutes / WEEK
    fte_hours = cfg["fte_hours_per_week"] * weeks
    back = back_office_hours(measured, cfg)
    out = dict(report)
    out["back_office"] = {"hours": back, "hours_per_request": back / requests if requests else None}
    busy = sum(report[k]["hours"] for k in STAFFED) + back
    paid = sum(report[k]["paid_hours"] for k in WINDOWS) + report["grid"]["hours"] + back
    out["hours_per_request_total"] = busy / requests if requests else None
    out["paid_hours_per_request"] = paid / requests if requests else None
    fte = {k: report[k]["paid_hours"] / fte_hours if fte_hours else None for k in WINDOWS}
    fte["grid"] = report["grid"]["hours"] / fte_hours if fte_hours else None
    fte["back_office"] = back / fte_hours if fte_hours else None
    fte["total"] = paid / fte_hours if fte_hours else None
    out["fte"] = fte
    return out


def visitors_per_window_day(measured: pd.DataFrame, report: dict) -> dict:
    """Trips to each kind of point (every visit: turned away, rework, collection) per resident-
    facing window per day it is open; None where a kind has no window days."""
    out = {}
    for kind in ("street", "community"):
        trips = float(measured.loc[measured["channel"] == kind, "trips"].sum())
        days = report[kind].get("window_days", 0)
        out[kind] = trips / days if days else None
    return out
