"""The flow of one request (DESIGN §3), as a chain of events on Mesa's scheduler.

need → channel and time → travel → queue → service (incomplete materials: come back) → decided
on the spot or handed off (held for a specialist, courier, back-office review) → back-office
working days → result collected (a trip) or delivered → done.

Each request's next action is its `stage`; `proceed` dispatches on it. Time that nothing can
change (travel, working days, courier) is computed, not waited for event by event, and every
interval is attributed to one latency component as it is planned. Where a resident goes first,
how far and for how long is read from the model's first-visit plan (`first_visit.py`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.clock import DAY
from sim.world.calendar import add_working_days
from sim.world.policy import DOOR, PHYSICAL
from sim.engine.choice import choose_with_memory
from sim.engine.requests import (BACK_OFFICE, COLLECTION, HANDOFF, QUEUE, REWORK, SERVICE, TRAVEL, WAIT, Request,
                                 Stage)

class Flow:
    """Moves requests along; reads the policy, the residents' arrays and the per-request draws."""

    def __init__(self, model):
        self.m = model
        sc = model.scenario_values
        self.res = sc["residents"]
        self.cat = sc["catalogue"]
        self.staff = sc["staff"]
        self.handoff = sc["handoff"]
        self.audit = sc["audit"]
        self.points = sc["points"]
        self.proactive = sc["proactive"]
        self.adapt = sc["adapt"]
        self.complaints = sc["complaints"]
        self._at = {Stage.NEED: self._need, Stage.ARRIVE: self._arrive, Stage.HOLD: self._hold,
                    Stage.DOOR: self._door, Stage.CARRIED: self._carried, Stage.ONLINE: self._online,
                    Stage.DONE: self._done}

    # ---- dispatch -------------------------------------------------------------------------
    def proceed(self, r: Request) -> None:
        """Take the request on from its stage."""
        self._at[r.stage](r)

    def _need(self, r: Request) -> None:
        m = self.m
        channel = m.choose(r)
        t_from = r.t_need + m.act_delay(r.rid, 0, channel, r.resident)
        visit = self._proactive_visit_time(r)
        if visit <= t_from:
            # 代办: the grid worker takes the file at the door and carries it to whoever may decide
            r.channel = "grid"
            r.account(WAIT, visit)
            return self._schedule(r, Stage.DOOR, visit)
        self._go(r, channel, t_from)

    def _go(self, r: Request, channel: str, t_from: float) -> None:
        """Set off by a channel from t_from: to a point, by the door, or online. A first choice made
        up front reads the first-visit plan."""
        m = self.m
        planned = r.trips == 0 and channel == m.chosen[r.rid]
        r.channel = channel
        if channel in PHYSICAL:
            r.point = int(m.first_visits.point[r.rid]) if planned else m.travel.point_index(channel, r.resident)
            self._plan_visit(r, t_from, WAIT, TRAVEL, float(m.first_visits.minutes[r.rid]) if planned else None)
        elif channel in DOOR:
            self._plan_door(r, t_from, WAIT)
        else:
            r.account(WAIT, t_from)
            self._online_at(r, t_from)

    def _schedule(self, r: Request, stage: Stage, at: float) -> None:
        r.stage = stage
        self.m.agenda.at(at, r.proceed)

    # ---- visits to a point ------------------------------------------------------------------
    def _plan_visit(self, r: Request, t_from: float, wait_component: int, travel_component: int,
                    travel: float | None = None) -> None:
        """Go to the request's point at the resident's next feasible time; `travel`: the trip's
        minutes where already planned."""
        m = self.m
        station = m.point_of(r)
        if travel is None:
            travel = m.travel.minutes_to(r.resident, station)
        arrival = m.timing.arrival(r, station, t_from + travel)
        r.account(wait_component, arrival - travel)
        r.account(travel_component, arrival)
        r.trips += 1
        if arrival == m.time:
            return self._arrive(r)
        self._schedule(r, Stage.ARRIVE, arrival)

    def _arrive(self, r: Request) -> None:
        """At the point: take a place in the window queue. Under FIFO nothing later can change
        this request's start, so what follows the service is settled now, and events are
        scheduled only where shared state is touched again (another visit, a held file)."""
        m = self.m
        t = m.time
        station = m.point_of(r)
        staff = self._acceptor(r, station, t)
        if staff == "send_to_street":
            return self._refer_to_street(r, t)
        booking = station.pools[staff].book(t, self._service_minutes(r, staff))
        if booking is None and staff == "specialist":  # the specialist's window is full: as if absent
            if self.staff["specialist"]["when_absent"] == "send_to_street":
                return self._refer_to_street(r, t)
            staff = "community"  # pre-accept and hold for the next session
            booking = station.pools[staff].book(t, self._service_minutes(r, staff))
        if booking is None:
            return self._turned_away(r, t)
        start, end = booking
        r.visits += 1
        r.at_point_until = end
        r.account(QUEUE, start)
        r.account(SERVICE, end)
        if r.t_accept != r.t_accept:  # first acceptance fixes the service radius
            r.service_radius_km = m.travel.km_to(r.resident, station)
        self._served(r, end, staff)

    def _turned_away(self, r: Request, t: float) -> None:
        """Nobody could see the resident before the session ended: a wasted trip they remember and
        tell. They may call 12345; after `adapt.refusal_limit` refusals they give up, otherwise they
        choose again, knowing what they learned, and try another time (any session of any day)."""
        m = self.m
        r.turned_away += 1
        m.met(r, r.channel, self.adapt["retry_days"], 1.0)
        choose, retry, complain = m.draws.refused[r.rid, r.turned_away - 1]
        self._maybe_complain(r, t, complain, self.complaints["after_refusal"])
        if r.turned_away >= self.adapt["refusal_limit"]:
            return self._abandon(r, t, choose)
        r.account(WAIT, t)
        channel = choose_with_memory(m, r.rid, float(choose))
        self._go(r, channel, t - math.log1p(-retry) * self.adapt["retry_days"] * DAY)

    def _maybe_complain(self, r: Request, t: float, u: float, share: float) -> None:
        """A call to the 12345 hotline; the street answers within `complaints.answer_days` working days
        (the draw, given that it falls below the share, is uniform again and says when)."""
        if u >= share:
            return
        r.complaints += 1
        if r.t_complaint != r.t_complaint:
            r.t_complaint = t
            r.t_answered = add_working_days(t, u / share * self.complaints["answer_days"])

    def _abandon(self, r: Request, t: float, u: float) -> None:
        self._maybe_complain(r, t, u, self.complaints["after_abandoning"])
        r.account(WAIT, t)
        r.abandoned = True
        r.t_abandoned = t
        r.stage = Stage.ABANDONED
        self.m.finish(r)

    def _acceptor(self, r: Request, station, t: float) -> str:
        """Which staff at this point takes the request: the one authorised, else who pre-accepts."""
        if r.channel == "terminal":
            return "terminal"
        if station.kind == "street":
            return "street"
        deciders = self.m.policy.deciders[r.item]
        if "community" in deciders:
            return "community"
        if "specialist" in deciders and self.m.timing.specialist_present(station.index, t):
            return "specialist"
        if "specialist" in deciders and self.staff["specialist"]["when_absent"] == "send_to_street":
            return "send_to_street"
        return "community"  # pre-accept and hand off (代收代转 or hold for the specialist)

    def _service_minutes(self, r: Request, staff: str) -> float:
        m = self.m
        if staff == "community" and staff not in m.policy.deciders[r.item]:
            return self.staff["specialist"]["preaccept_minutes"]
        return m.draws.service[r.rid, r.visits % m.draws.service.shape[1]] * self.service_factor(staff)

    def service_factor(self, staff: str) -> float:
        """Window minutes relative to the catalogue's expert minutes, for staff who decide."""
        if staff == "terminal":
            return self.points["terminal"]["minutes_factor"]
        return self.staff[staff]["proficiency"] if staff in self.staff else 1.0

    def _served(self, r: Request, t: float, staff: str) -> None:
        """What follows a service that ends at t (t may still be ahead of the clock)."""
        if self._incomplete(r):
            return self._plan_visit(r, t + self.m.draws.rework_delay(r), REWORK, REWORK)
        if self._referred(r, staff):
            return self._refer_to_street(r, t)
        self._accepted(r, t)
        deciders = self.m.policy.deciders[r.item]
        if staff in deciders or staff == "terminal":
            return self._decided(r, t, staff)
        self._hand_off(r, t, at_street=(r.channel == "street"))

    def _referred(self, r: Request, staff: str) -> bool:
        """At a first visit, community staff send on a share of the requests street staff may decide."""
        return (staff == "community" and r.visits == 1 and "street" in self.m.policy.deciders[r.item]
                and self.m.draws.referral[r.rid] < self.handoff["referral_share"])

    def _refer_to_street(self, r: Request, t: float) -> None:
        """Community staff send the resident on, in person, to the street centre (在哪办、找谁办);
        if it is closed when they get there, they wait for it to open."""
        m = self.m
        station = m.point_of(r)
        street = m.streets[station.street]
        m.met(r, "community", 0.0, 1.0)
        r.channel, r.point = "street", street.index
        r.account(TRAVEL, t + m.travel.minutes_between(station, street, r.resident))
        r.account(WAIT, m.timing.arrival(r, street, r.t_mark))
        self._schedule(r, Stage.ARRIVE, r.t_mark)

    def _incomplete(self, r: Request) -> bool:
        """Materials are missing at this visit by the request's own draw, until `catalogue.rework_limit`
        rounds of missing documents: by then the resident has been told often enough."""
        m = self.m
        k = r.reworks
        if k < m.draws.materials.shape[1] and m.draws.materials[r.rid, k] < m.catalogue.p_incomplete[r.item] \
                and not r.sent_back:
            r.reworks += 1
            return True
        return False

    def _accepted(self, r: Request, t: float) -> None:
        if r.t_accept != r.t_accept:
            r.t_accept = t

    # ---- hand-offs ------------------------------------------------------------------------------
    def _hand_off(self, r: Request, t: float, at_street: bool) -> None:
        """The acceptor may not decide: the file goes to the nearest authorised staff, in this
        order: a specialist's next visit or community staff at the resident's station, the back
        office's review, street staff by courier."""
        m = self.m
        deciders = m.policy.deciders[r.item]
        community = m.community_of(r.resident)
        specialist = "specialist" in deciders and bool(m.rota.at[community])
        if at_street and (specialist or "community" in deciders) and "back_office" not in deciders:
            r.account(HANDOFF, add_working_days(t, self.handoff["courier_days"]))
            return self._schedule(r, Stage.CARRIED, r.t_mark)
        if specialist and not at_street:
            if t > m.time:  # the file reaches the holding tray when the service ends
                return self._schedule(r, Stage.HOLD, t)
            return self._hold(r)
        if "community" in deciders and not at_street:
            m.staff.add("community", self._decision_minutes(r, "community"))
            return self._decided(r, t, "community")
        if "back_office" in deciders:
            t_dec = add_working_days(t, self.points["online"]["review_days"])
            r.account(HANDOFF, t_dec)
            return self._decided(r, t_dec, "back_office")
        t_dec = t if at_street else add_working_days(t, self.handoff["courier_days"])
        m.staff.add("street", self._decision_minutes(r, "street"))
        r.account(HANDOFF, t_dec)
        self._decided(r, t_dec, "street")

    def _hold(self, r: Request) -> None:
        """The file waits in the station's tray for a specialist; `t_mark` is when it was left."""
        r.stage = Stage.HELD
        self.m.communities[self.m.community_of(r.resident)].held.append(r)

    def _decision_minutes(self, r: Request, staff: str) -> float:
        m = self.m
        return m.draws.service[r.rid, 0] * self.staff[staff]["proficiency"]

    def specialist_arrives(self, station, t: float, travels: bool) -> None:
        """A session of a visit: travel (once a day, for a specialist who moves between communities)
        is staff time. Held files are decided first, in the order they came, up to
        `staff.specialist.held_per_session`, so walk-ins wait behind a bounded number; the rest
        wait for the next session."""
        m = self.m
        if travels:
            m.staff.add("specialist_travel", m.travel.specialist_round_trip(station, m.streets[station.street]))
        limit = self.staff["specialist"]["held_per_session"]
        held, station.held = station.held[:limit], station.held[limit:]
        pool = station.pools["specialist"]
        for r in held:
            _, end = pool.book(t, self._decision_minutes(r, "specialist"), session_end=math.inf)
            m.met(r, r.channel, (end - r.t_mark) / DAY, 0.0)
            r.account(HANDOFF, end)
            self._decided(r, end, "specialist")

    # ---- decision, audit, back office, result ---------------------------------------------------
    def _decided(self, r: Request, t: float, by: str) -> None:
        m = self.m
        if r.sent_back and r.t_corrected != r.t_corrected:
            r.t_corrected = t
        r.decided_by = by
        r.t_decided = t
        k = (r.reworks + int(r.sent_back)) % m.draws.errors.shape[1]
        rate = self.staff[by]["error_rate"] if by in self.staff else 0.0
        wrong = m.draws.errors[r.rid, k] < rate
        r.error = r.error or wrong
        if by == "community" and m.draws.audit[r.rid, 0] < self.audit["share"]:
            r.audited = True
            if wrong and m.draws.audit[r.rid, 1] < self.audit["detect"] and not r.sent_back:
                return self._send_back(r, t)
        t_ready = add_working_days(t, m.catalogue.back_office_days[r.item])
        r.account(BACK_OFFICE, t_ready)
        self._deliver(r, t_ready)

    def _send_back(self, r: Request, t: float) -> None:
        """The street's audit found the decision wrong: the resident must come again."""
        r.sent_back = True
        r.t_wrong = r.t_decided
        r.reworks += 1
        t_notice = add_working_days(t, self.audit["days"])
        self.m.met(r, r.channel, self.audit["days"], 1.0 if r.channel in PHYSICAL else 0.0)
        r.account(HANDOFF, t_notice)
        if r.channel in PHYSICAL:
            return self._plan_visit(r, t_notice, REWORK, REWORK)
        self._plan_door(r, t_notice, REWORK)

    def _deliver(self, r: Request, t_ready: float) -> None:
        m = self.m
        if not m.catalogue.collect[r.item]:
            r.account(COLLECTION, t_ready)
            return self._finish(r, t_ready)
        if r.channel in DOOR or r.channel == "online" or m.policy.switches["deliver_home"]:
            t_done = add_working_days(t_ready, self.handoff["deliver_days"])
            r.account(COLLECTION, t_done)
            return self._finish(r, t_done)
        station = m.point_of(r)
        travel = m.travel.minutes_to(r.resident, station)
        arrival = m.timing.arrival(r, station, t_ready + m.act_delay(r.rid, 1, r.channel, r.resident) + travel)
        r.trips += 1
        t_done = arrival + self.cat["pickup_minutes"]
        r.account(COLLECTION, t_done)
        self._finish(r, t_done)

    def _finish(self, r: Request, t_done: float) -> None:
        """The request's end is settled. A live view sees it end when the clock gets there;
        otherwise no event is needed, since nothing can change it any more."""
        if self.m.live and t_done > self.m.time:
            return self._schedule(r, Stage.DONE, t_done)
        r.t_done = t_done
        r.stage = Stage.DONE
        self.m.finish(r)

    def _done(self, r: Request) -> None:
        self._finish(r, self.m.time)

    # ---- at the door and online ---------------------------------------------------------------------
    def _plan_door(self, r: Request, t_from: float, wait_component: int) -> None:
        """A grid worker (or building head) comes to the door after the response time."""
        days = self.points["building"]["response_days"] if r.channel == "building" else self.points["grid"]["response_days"]
        arrival = self.m.timing.on_round(r, add_working_days(t_from, days))
        r.account(wait_component, arrival)
        self._schedule(r, Stage.DOOR, arrival)

    def _proactive_visit_time(self, r: Request) -> float:
        """When a grid worker's regular visit would pick an elderly resident's need up at the door;
        inf when there is no such visit (switch off, not elderly, not reached). The need is taken
        at the visit only if the visit comes before the resident would act on their own."""
        m = self.m
        if not (m.policy.switches["proactive_elderly"] and m.elderly[r.resident]
                and m.draws.u_choice[r.rid, 1] < self.proactive["reach"]):
            return math.inf
        interval = self.proactive["visit_interval_days"] * DAY
        phase = (r.resident * 0.6180339887) % 1.0 * interval  # residents' visits spread over the interval
        return self.m.timing.on_round(r, max(math.ceil((r.t_need - phase) / interval) * interval + phase, r.t_need))

    def _door(self, r: Request) -> None:
        m = self.m
        t = m.time
        minutes = self.points["grid"]["door_minutes"]
        m.staff.door_visit(int(m.territory.building_grid[m.home[r.resident]]), r.rid,
                           minutes + m.travel.worker_round_trip(r.resident))
        r.visits += 1
        r.account(SERVICE, t + minutes)
        t += minutes
        if self._incomplete(r):
            return self._plan_door(r, t + m.draws.rework_delay(r), REWORK)
        if r.t_accept != r.t_accept:
            r.t_accept = t
            r.service_radius_km = 0.0
            m.used(r, t)
        r.point = m.community_of(r.resident)
        if m.policy.switches["electronic_pass_on"] and "street" in m.policy.deciders[r.item]:
            # 同标准办理: the file is scanned at the door and decided by street staff, no visit awaited
            t_dec = add_working_days(t, self.handoff["electronic_days"])
            m.staff.add("street", self._decision_minutes(r, "street"))
            r.account(HANDOFF, t_dec)
            return self._decided(r, t_dec, "street")
        t_round = add_working_days(t, self.handoff["round_days"])
        r.account(HANDOFF, t_round)
        self._schedule(r, Stage.CARRIED, t_round)

    def _carried(self, r: Request) -> None:
        """The grid worker's round brings the file to the community station."""
        self._hand_off(r, self.m.time, at_street=False)

    def _online_at(self, r: Request, t: float) -> None:
        """An online submission touches nothing shared, so it is reviewed at once, unless a live
        view watches the request wait for its moment or the moment is after the run's end."""
        if (self.m.live and t > self.m.time) or t > self.m.stop:
            return self._schedule(r, Stage.ONLINE, t)
        self._review_online(r, t)

    def _online(self, r: Request) -> None:
        self._review_online(r, self.m.time)

    def _review_online(self, r: Request, t: float) -> None:
        r.visits += 1
        if self._incomplete(r):
            t_again = t + self.m.draws.rework_delay(r)
            r.account(REWORK, t_again)
            return self._online_at(r, t_again)
        if r.t_accept != r.t_accept:
            r.t_accept = t
            r.service_radius_km = 0.0
            self.m.used(r, t)
        t_dec = add_working_days(t, self.points["online"]["review_days"])
        r.account(HANDOFF, t_dec)
        self._decided(r, t_dec, "back_office")  # online submissions are reviewed by the back office
