"""Timing: when a resident turns up at a point (ODD: arrival in a session, leave, rota awareness).

A resident goes at the first moment they are ready when the point is open (the session, or
the next one), turning up somewhere in its first `arrival_spread` part. Employed residents go
outside their job hours, unless no such time comes within `leave_after_days`: then they take
leave. Residents who know the rota come on a specialist's day when only a specialist may decide.
"""

from __future__ import annotations

import math

import numpy as np

from sim.clock import DAY
from sim.engine.forms import pick
from sim.world.policy import PHYSICAL


def arrival(t, session: tuple, free: tuple, employed, u, cfg: dict, where):
    """When a resident ready at t turns up: `session` is the point's session at t, `free` the one
    outside job hours (both (inf, inf) where there is none), `u` their arrival-spread draw."""
    use = employed & (free[0] <= t + cfg["leave_after_days"] * DAY)
    start, end = where(use, free[0], session[0]), where(use, free[1], session[1])
    return where(start == t, t, start + u * cfg["arrival_spread"] * (end - start))


def errand_delay(act, one_way_minutes, trip, leave, cfg: dict, where):
    """Minutes before a resident sets off: exponential (`act`, mean 1) with mean go_delay_days +
    go_delay_per_errand_hour * errand hours, where an errand in person costs the round trip and,
    for employed residents at a staffed point (`leave`), `leave_hours` of leave."""
    hours = where(trip, 2 * one_way_minutes / 60, 0.0) + where(leave, cfg["leave_hours"], 0.0)
    return act * (cfg["go_delay_days"] + cfg["go_delay_per_errand_hour"] * hours) * DAY


class Timing:
    """Arrival times of one model's residents, from the policy's calendars and each request's draws."""

    def __init__(self, policy, residents: dict, rota_awareness: float, employed: np.ndarray, draws, rota):
        self.policy, self.cfg, self.awareness = policy, residents, rota_awareness
        self.employed, self.draws, self.rota = employed, draws, rota

    def arrival(self, r, point, ready: float) -> float:
        """The first moment at or after `ready` when the point (or its self-service terminal, by
        that channel) is open and the resident free."""
        kind = r.channel if r.channel == "terminal" else point.kind
        ready = self._rota_aware(r, ready)
        employed = self.employed[r.resident]
        session = self.policy.calendar(kind, point=point.index).session(ready)
        free = self.policy.calendar(kind, True, point.index).session(ready) if employed else (math.inf, math.inf)
        return arrival(ready, session, free, employed, self.spread(r), self.cfg, pick)

    def arrivals(self, channel: np.ndarray, point: np.ndarray, res: np.ndarray, ready: np.ndarray,
                 u: np.ndarray) -> np.ndarray:
        """`arrival` for many trips at once, to points whose items need no specialist's day;
        `point` is each trip's point (of its channel's kind), `u` its arrival-spread draw."""
        out = np.empty(len(ready))
        for kind in PHYSICAL:
            sel = np.flatnonzero(channel == kind)
            if not sel.size:
                continue
            for hours, free, rows in self.policy.by_hours(kind, point[sel]):
                trips = sel[rows]
                t = ready[trips]
                out[trips] = arrival(t, hours.sessions(t), free.sessions(t), self.employed[res[trips]], u[trips],
                                     self.cfg, np.where)
        return out

    def spread(self, r) -> float:
        """The request's arrival-spread draw for this trip (or door visit): each has its own, and
        their number is bounded by the refusal and rework limits, so none repeats."""
        spread = self.draws.spread
        k = min(r.arrivals, spread.shape[1] - 1)
        r.arrivals += 1
        return float(spread[r.rid, k])

    def on_round(self, r, t: float) -> float:
        """The first moment from t when grid workers are on their rounds: at t within a round, else
        in the first `arrival_spread` part of the next one."""
        session = self.policy.hours["grid"].session(t)
        u = self.spread(r)
        return t if session[0] == t else session[0] + u * self.cfg["arrival_spread"] * (session[1] - session[0])

    def _rota_aware(self, r, ready: float) -> float:
        """Residents who know the rota come on a specialist's day, when only a specialist can decide."""
        deciders = self.policy.deciders[r.item]
        if r.channel != "community" or "community" in deciders or "specialist" not in deciders:
            return ready
        if self.draws.u_choice[r.rid, 2] >= self.awareness:
            return ready
        d = self.rota.next_visit(r.point, math.floor(ready / DAY))
        return ready if d is None else max(ready, d * DAY)

    def specialist_present(self, community: int, t: float) -> bool:
        return self.rota.is_present(community, math.floor(t / DAY))
