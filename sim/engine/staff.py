"""The staff ledger: busy minutes of every kind of staff over the measured window, and the report
of utilisation and hours per request (ODD: staff time).

Window minutes are booked on the window pools; decisions taken away from a window, specialists'
travel and grid workers' door visits are added here. Clocks are zeroed when the warm-up ends and
read when the measured window ends, the same window as the requests'.
"""

from __future__ import annotations

import math
from functools import cache

from sim.clock import DAY

KINDS = ("street", "community", "specialist", "specialist_travel", "grid")


class StaffLedger:
    def __init__(self, streets: list, communities: list, grid_workers: list[list], specialists: list, policy,
                 visit_hours, window: tuple[float, float]):
        """`visit_hours`: when specialists may be at a station (its hours on visit days);
        `window`: the measured window (warm-up end, end)."""
        self.streets, self.communities, self.grid_workers = streets, communities, grid_workers
        self.specialists, self.policy, self.visit_hours, self.window = specialists, policy, visit_hours, window
        self.busy = dict.fromkeys(KINDS, 0.0)  # staff minutes away from the window pools
        self.at_end: dict[str, float] | None = None

    def add(self, kind: str, minutes: float) -> None:
        self.busy[kind] += minutes

    def door_visit(self, grid: int, rid: int, minutes: float) -> None:
        """A grid worker of the grid (one per request, in turn) spends `minutes` at a door and walking there and back."""
        workers = self.grid_workers[grid]
        workers[rid % len(workers)].busy += minutes

    def reset(self) -> None:
        """The warm-up ends: every clock starts from zero."""
        for key in self.busy:
            self.busy[key] = 0.0
        for point in self.streets + self.communities:
            for pool in point.pools.values():
                pool.busy = 0.0
        for workers in self.grid_workers:
            for w in workers:
                w.busy = 0.0

    def close(self) -> None:
        """The measured window ends: what staff did after it is not counted."""
        self.at_end = self.clocks()

    def clocks(self) -> dict[str, float]:
        return {
            "street": _pool_busy(self.streets, "street") + self.busy["street"],
            "community": _pool_busy(self.communities, "community") + self.busy["community"],
            "specialist": _pool_busy(self.communities, "specialist") + self.busy["specialist_travel"],
            "specialist_travel": self.busy["specialist_travel"],
            "grid": sum(w.busy for ws in self.grid_workers for w in ws),
        }

    def report(self, requests: int) -> dict:
        """Busy and paid hours, utilisation (busy over paid) and hours per request over the measured
        window; `window_days` (windows x days open) is the denominator of visitors per window a day."""
        t0, t1 = self.window
        busy = self.at_end if self.at_end is not None else self.clocks()
        open_minutes = cache(lambda cal: cal.minutes_open(t0, t1))  # points mostly share hours
        available = {
            "street": sum(s.pools["street"].windows * open_minutes(s.pools["street"].calendar) for s in self.streets),
            "community": sum(c.pools["community"].windows * open_minutes(c.pools["community"].calendar)
                             for c in self.communities),
            "specialist": len(self.specialists) * self.visit_hours.minutes_open(t0, t1),
            "grid": sum(len(ws) for ws in self.grid_workers) * self.policy.hours["grid"].minutes_open(t0, t1),
        }
        out: dict = {}
        for kind, avail in available.items():
            out[kind] = {
                "hours": busy[kind] / 60,
                "paid_hours": avail / 60,  # staffed window (or rota, or round) time, idle or not
                "utilisation": busy[kind] / avail if avail else None,
                "hours_per_request": busy[kind] / 60 / requests if requests else None,
            }
        days = range(math.floor(t0 / DAY), math.ceil(t1 / DAY))
        open_days = cache(lambda cal: sum(cal.minutes_open(d * DAY, (d + 1) * DAY) > 0 for d in days))
        for kind, points in (("street", self.streets), ("community", self.communities)):
            out[kind]["window_days"] = sum(p.pools[kind].windows * open_days(p.pools[kind].calendar) for p in points)
        out["specialist"]["travel_hours"] = busy["specialist_travel"] / 60
        total = sum(busy[k] for k in available) / 60
        out["hours_per_request_total"] = total / requests if requests else None
        return out


def _pool_busy(points, kind: str) -> float:
    return sum(p.pools[kind].busy for p in points)
