"""Requests decided on the spot at their first visit (即办), planned and settled in bulk.

Most requests need one visit, to a point where the staff who take them may also decide them;
after that only the back office's working days and, for some items, collecting the result
remain. Every step of such a request but one depends only on its own draws, the residents'
arrays and the calendars, so numpy computes it for all of them at once. The exception is the
window: a FIFO queue shared with every other request. So these first arrivals are booked one
by one, in time order, interleaved with the rest of the event list, and a request turned away
at the window joins the general event flow (`flow.py`) from there.

Whether a request qualifies is known from draws made up front: it is not picked up on a grid
worker's visit, it goes to a point in person, no specialist is involved, its materials are
complete, it is not sent on to the street centre and the audit does not send it back. The
teaching app watches every request move, so a live model sends them all through the general
flow; both ways give the same request table (tests/test_model.py, tests/test_properties.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.world.calendar import add_working_days_array
from sim.world.policy import PHYSICAL
from sim.engine.requests import (BACK_OFFICE, COLLECTION, COMPONENTS, QUEUE, SERVICE, TABLE_COLUMNS, TRAVEL, WAIT, Request,
                                 Stage, text_column)

PHYSICAL_SORTED = tuple(sorted(PHYSICAL))
FIRST_VISIT, COLLECTION_TRIP = 0, 1  # columns of the arrival-spread draws: one per trip


class OnTheSpot:
    """The on-the-spot requests of one model: their plan, their window bookings, their rows."""

    def __init__(self, model, enabled: bool = True):
        self.m = m = model
        self.mask = self._qualifies() if enabled else np.zeros(len(m.needs), bool)
        rid = np.flatnonzero(self.mask)
        res = m.needs.resident[rid]
        channel = m.chosen[rid]  # the staff who take it at this channel decide it
        plan = m.first_visits
        point, km, travel = plan.point[rid], plan.km[rid], plan.minutes[rid]
        arrival = m.timing.arrivals(channel, point, res, m.needs.t[rid] + m.act_delays(rid, 0, channel, res) + travel,
                                    m.draws.spread[rid, FIRST_VISIT])
        order = np.argsort(arrival, kind="stable")
        self.rid, self.res, self.channel, self.point = rid[order], res[order], channel[order], point[order]
        self.km, self.travel, self.arrival = km[order], travel[order], arrival[order]
        pool, session_end = self._windows()
        minutes = m.draws.service[self.rid, FIRST_VISIT] * self._per_staff(m.flow.service_factor)
        self._queue = list(zip(pool.tolist(), minutes.tolist(), session_end.tolist()))
        self.start = np.full(len(order), np.nan)
        self.end = np.full(len(order), np.nan)
        self.joined = np.zeros(len(order), bool)  # turned away, or chosen with memory: now in the general flow
        self._plan_of: dict[int, list[tuple[int, int, int, float]]] = {}  # resident -> (k, rid, item, t_need)
        for k, q, res, item, t_need in zip(range(len(order)), self.rid.tolist(), self.res.tolist(),
                                           m.needs.item[self.rid].tolist(), m.needs.t[self.rid].tolist()):
            self._plan_of.setdefault(res, []).append((k, q, item, t_need))
        self._learned_at: dict[int, float] = {}  # the earliest time each resident's later needs left the plan

    def _windows(self) -> tuple[np.ndarray, np.ndarray]:
        """Each arrival's window pool (an index into `_pools`) and the end of its open session."""
        m = self.m
        span = len(m.streets) + len(m.communities)
        kind = np.searchsorted(PHYSICAL_SORTED, self.channel)
        keys, pool = np.unique(kind * span + self.point, return_inverse=True)
        session_end = np.empty(len(pool))
        by_pool = np.argsort(pool, kind="stable")
        self._pools = []
        for key, rows in zip(keys.tolist(), np.split(by_pool, np.cumsum(np.bincount(pool, minlength=len(keys)))[:-1])):
            channel, point = PHYSICAL_SORTED[key // span], key % span
            window = (m.streets[point] if channel == "street" else m.communities[point]).pools[channel]
            cal = window.calendar
            session_end[rows] = cal.sessions(self.arrival[rows])[1] if cal.intervals else -np.inf
            self._pools.append(window)
        return pool, session_end

    def _per_staff(self, value) -> np.ndarray:
        """value(staff) for each request's deciding staff."""
        return np.array([value(s) for s in PHYSICAL_SORTED])[np.searchsorted(PHYSICAL_SORTED, self.channel)]

    def _qualifies(self) -> np.ndarray:
        """Which needs are decided on the spot at their first visit, from their up-front draws."""
        m = self.m
        d, item, cat = m.draws, m.needs.item, m.catalogue
        channel = m.chosen
        deciders = m.policy.deciders
        decides = {ch: np.array([ch == "terminal" or ch in dec for dec in deciders], bool) for ch in PHYSICAL}
        ok = np.zeros(len(item), bool)
        for ch, table in decides.items():
            ok |= (channel == ch) & table[item]
        if m.policy.switches["proactive_elderly"]:
            ok &= ~(m.elderly[m.needs.resident] & (d.u_choice[:, 1] < m.scenario_values["proactive"]["reach"]))
        if d.materials.shape[1]:
            ok &= ~(d.materials[:, 0] < cat.p_incomplete[item])
        street_may = np.array(["street" in dec for dec in deciders], bool)[item]
        ok &= ~((channel == "community") & street_may & (d.referral < m.scenario_values["handoff"]["referral_share"]))
        staff, audit = m.scenario_values["staff"], m.scenario_values["audit"]
        wrong = d.errors[:, 0] < staff["community"]["error_rate"]
        ok &= ~((channel == "community") & (d.audit[:, 0] < audit["share"]) & wrong & (d.audit[:, 1] < audit["detect"]))
        return ok

    def start_booking(self) -> None:
        """The arrivals join the model's agenda, each booked at its time."""
        self.arrivals = self.m.agenda.add_stream(self.arrival.tolist(), self._book)

    def _book(self, k: int) -> None:
        """The k-th arrival takes its place at the window, in time order (FIFO: nothing later
        can change a start once booked)."""
        if self.joined[k]:
            return
        pool, minutes, session_end = self._queue[k]
        booking = self._pools[pool].book(self.m.time, minutes, session_end)
        if booking is None:
            return self._join_flow(k)
        self.start[k], self.end[k] = booking

    def _join_flow(self, k: int) -> None:
        """Turned away at the window: from here on the request is an ordinary one."""
        m = self.m
        rid, t = int(self.rid[k]), float(self.arrival[k])
        r = Request(m.flow, rid, int(self.res[k]), int(m.needs.item[rid]), float(m.needs.t[rid]))
        r.channel, r.point, r.stage = str(self.channel[k]), int(self.point[k]), Stage.ARRIVE
        r.account(WAIT, t - float(self.travel[k]))
        r.account(TRAVEL, t)
        r.trips = r.arrivals = 1
        r.resident_minutes = 2 * float(self.travel[k])
        m.requests.append(r)
        m.open[rid] = r
        self.joined[k] = True
        m.flow.proceed(r)

    def learned(self, residents: list[int], t: float) -> None:
        """These residents learned something at t: their needs arising later are chosen with it,
        so those leave the bulk plan and arise as ordinary requests (once: a resident's needs after
        the earliest such t have all left it). Plain Python: it is called for a handful of
        residents at a time, many thousands of times a run."""
        m = self.m
        for res in dict.fromkeys(residents):
            plan = self._plan_of.get(res)
            if plan is None or self._learned_at.get(res, math.inf) <= t:
                continue
            self._learned_at[res] = t
            for k, q, item, t_need in plan:
                if t_need > t and not self.joined[k]:
                    self.joined[k] = True
                    r = Request(m.flow, q, res, item, t_need)
                    m.requests.append(r)
                    m.open[q] = r
                    m.agenda.at(t_need, r.proceed)

    def frame(self) -> pd.DataFrame:
        """Their rows of the request table, as the general flow would have left them by now."""
        m = self.m
        now = m.time
        rid = self.rid
        keep = ~self.joined & (m.needs.t[rid] <= now)
        booked = keep & ~np.isnan(self.end)
        item = m.needs.item[rid]
        n = len(rid)
        end, start, arrival, travel, t_need = self.end, self.start, self.arrival, self.travel, m.needs.t[rid]
        staff_cfg, audit = m.scenario_values["staff"], m.scenario_values["audit"]
        rate = self._per_staff(lambda s: staff_cfg[s]["error_rate"] if s in staff_cfg else 0.0)
        error = (m.draws.errors[rid, 0] < rate) & booked
        audited = (self.channel == "community") & (m.draws.audit[rid, 0] < audit["share"]) & booked

        t_ready = add_working_days_array(np.where(booked, end, 0.0), m.catalogue.back_office_days[item])
        t_done = self._done(rid, item, t_ready)
        comps = np.zeros((n, len(COMPONENTS)))
        comps[:, WAIT] = (arrival - travel) - t_need  # as `Request.account` adds them up, step by step
        comps[:, TRAVEL] = arrival - (arrival - travel)
        for component, until, since in ((QUEUE, start, arrival), (SERVICE, end, start), (BACK_OFFICE, t_ready, end),
                                        (COLLECTION, t_done, t_ready)):
            comps[:, component] = np.where(booked, until - since, 0.0)
        collected = booked & m.catalogue.collect[item] & (not m.policy.switches["deliver_home"])
        resident = np.where(booked, 2 * travel + (end - arrival), 2 * travel)  # summed as the flow adds them
        resident = np.where(collected, resident + (2 * travel + m.scenario_values["catalogue"]["pickup_minutes"]),
                            resident)
        kind = np.searchsorted(PHYSICAL_SORTED, self.channel)[keep]
        text = {
            "stage": text_column((Stage.ARRIVE, Stage.DONE), booked[keep].astype(np.int8)),
            "channel": text_column(PHYSICAL_SORTED, kind),
            "decided_by": text_column(PHYSICAL_SORTED + ("",), np.where(booked[keep], kind, len(PHYSICAL_SORTED))),
        }
        values = {
            "rid": rid, "resident": self.res, "item": item, "t_need": t_need, "t_accept": end, "t_decided": end,
            "t_done": np.where(booked, t_done, np.nan), "point": self.point,
            "service_radius_km": np.where(booked, self.km, np.nan), "trips": np.where(collected, 2, 1), "visits": booked,
            "reworks": np.zeros(n), "turned_away": np.zeros(n), "error": error, "audited": audited,
            "sent_back": np.zeros(n, bool), "resident_minutes": resident, "abandoned": np.zeros(n, bool), "complaints": np.zeros(n),
            **{name: np.full(n, np.nan) for name in ("t_abandoned", "t_complaint", "t_answered", "t_wrong", "t_corrected")},
        }
        frame = pd.DataFrame({column: text[attribute] if attribute in text else np.asarray(values[attribute], dtype)[keep]
                              for column, attribute, dtype in TABLE_COLUMNS})
        for j, name in enumerate(COMPONENTS):
            frame[name] = comps[keep, j]
        return frame

    def _done(self, rid: np.ndarray, item: np.ndarray, t_ready: np.ndarray) -> np.ndarray:
        """When the result is in hand: at once, brought home, or collected on a second trip."""
        m = self.m
        if m.policy.switches["deliver_home"]:
            delivered = add_working_days_array(t_ready, m.scenario_values["handoff"]["deliver_days"])
            return np.where(m.catalogue.collect[item], delivered, t_ready)
        again = m.timing.arrivals(self.channel, self.point, self.res, t_ready + m.act_delays(rid, 1, self.channel, self.res)
                                  + self.travel, m.draws.spread[rid, COLLECTION_TRIP])
        collected = again + m.scenario_values["catalogue"]["pickup_minutes"]
        return np.where(m.catalogue.collect[item], collected, t_ready)
