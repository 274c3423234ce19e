"""The Mesa model: residents, service points and staff of one world, and requests flowing through it.

Time is minutes since Monday 00:00 of week 1. The model is purely event-driven: Mesa's default
one-unit step event is stopped (with minutes as the unit it would cost a year of empty events),
and `step()` advances the clock by `run.step_minutes`, which is what the teaching app calls.
What the model is made of comes from `build.py`; trips from `travel.py`, arrival times from
`timing.py`, staff time from `staff.py`; requests move by `flow.py` and `on_the_spot.py`.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager

import mesa
import numpy as np
import pandas as pd

from sim.clock import DAY, WEEK
from sim.engine.build import build_world
from sim.engine.choice import choose_channels, choose_with_memory, plain_utilities
from sim.engine.memory import Memory
from sim.engine.network import acquaintances
from sim.engine.first_visit import plan_first_visits
from sim.engine.forms import pick
from sim.engine.flow import Flow
from sim.engine.needs import generate_draws, generate_needs
from sim.engine.on_the_spot import OnTheSpot
from sim.engine.requests import Request, text_column, to_frame
from sim.engine.scheduler import Agenda, make_event_driven
from sim.engine.staff import StaffLedger
from sim.engine.streams import spawn
from sim.engine.timing import Timing, errand_delay
from sim.engine.travel import Travel
from sim.scenario.files import CHANNELS, Scenario
from sim.world.agents import CommunityStation, GridWorker, Residents, Specialist, StreetCentre, WindowPool
from sim.world.policy import DOOR, PHYSICAL
from sim.world.rota import Rota


FROZEN_GROWTH = 4  # frozen objects, against those left after the last full collection, that start the next


class _Collector:
    """Python's cyclic garbage collector set aside while a model is built or run: nearly all that
    is made meanwhile (territory, residents, requests, what residents remember) lives as long as
    the model, so scanning it again and again is wasted (a sixth of a whole-area year). Afterwards
    it is frozen (`gc.freeze`) with all that was made before, so the collector scans only what is
    newer.

    A finished model is freed only by a full collection (its agents refer to it), and frozen
    objects by none: so building a model first unfreezes and collects in full once the frozen
    objects have quadrupled since the last full collection, about every tenth street-scale model.
    Left to Python, a worker running model after model grew by about 30 MB a street-scale run.
    A live model (the teaching app, where Reset must free the old one) is not kept frozen: it
    joins the collector's oldest generation unscanned instead."""

    def __init__(self):
        self.after_collection = 0

    @contextmanager
    def set_aside(self, live: bool, building: bool = False):
        collecting = gc.isenabled()
        if building and gc.get_freeze_count() > FROZEN_GROWTH * self.after_collection:
            gc.unfreeze()
            gc.collect()
            # counted frozen, not listed: gc.get_objects() would hold a tuple another thread (the
            # app's server builds a page's models in parallel) is still filling: a SystemError there
            gc.freeze()
            self.after_collection = gc.get_freeze_count()
            gc.unfreeze()
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()
            if live:
                gc.unfreeze()
            if collecting:
                gc.enable()


_collector = _Collector()


class GovernanceModel(mesa.Model):
    """Residents, service points and staff of one territory under one authorisation policy."""

    def __init__(self, scenario: Scenario, seed: int | None = None, live: bool = False):
        """`live`: a view watches the run (the teaching app), so every request stays in `open`
        until the clock reaches its end; otherwise a request leaves `open` once its end is settled."""
        with _collector.set_aside(live, building=True):
            self._build(scenario, seed, live)

    # ---- construction -----------------------------------------------------------------------------
    def _build(self, scenario: Scenario, seed: int | None, live: bool) -> None:
        seed = scenario["run"]["seed"] if seed is None else seed
        self.live = live
        super().__init__(rng=seed)
        make_event_driven(self, self.run_step)
        self.seed = seed
        self.scenario_values = v = scenario.values
        run = v["run"]
        self.warmup_end = run["warmup_weeks"] * WEEK
        self.end = self.warmup_end + run["weeks"] * WEEK
        self.stop = self.end + run["drain_weeks"] * WEEK
        self.horizon = 0.0  # the time the clock is running to
        streams = spawn(seed)

        world = build_world(scenario, seed)
        self.territory, self.catalogue, self.policy = world.territory, world.catalogue, world.policy
        self.home_km = world.home_km
        self._build_residents(v["residents"], streams["residents"])
        self._build_points(world)
        self.travel = Travel(self.territory, self.home_km, self.home, self.walk_kmh, v["residents"],
                             self.policy.switches["any_street_centre"], v["staff"]["specialist"]["travel_kmh"])
        self.staff = StaffLedger(self.streets, self.communities, self.grid_workers, self.specialists, self.policy,
                                 world.visit_hours, (self.warmup_end, self.end))
        self.flow = Flow(self)

        self.needs = generate_needs(self.catalogue, self.elderly, self.stop, v["catalogue"]["demand_scale"], streams["needs"])
        self.draws = generate_draws(self.needs, self.catalogue, streams, v["catalogue"]["rework_days"],
                                    v["catalogue"]["rework_limit"], v["adapt"]["refusal_limit"])
        self.allowed_channels = np.array([[ch in chans for ch in CHANNELS] for chans in self.policy.channels])
        t = self.territory
        self.network = acquaintances(self.needs.resident, self.home, t.building_grid[self.home], t.building_pop,
                                     np.bincount(t.building_grid, t.building_pop, len(t.grid_xy)), len(self.home),
                                     v["network"], streams["network"])
        self.memory = Memory(self.network, v["adapt"]["hearsay_weight"])
        self.aware_at_start = self._awareness(v["adapt"], streams["network"])
        self.plain_utilities = plain_utilities(self)
        self.chosen = choose_channels(self)
        self.first_visits = plan_first_visits(self.travel, self.needs.resident, self.chosen)
        self.timing = Timing(self.policy, v["residents"], v["staff"]["specialist"]["rota_awareness"], self.employed,
                             self.draws, self.rota)
        self.survey_rng = streams["survey"]
        self.requests: list[Request] = []
        self.open: dict[int, Request] = {}
        self.agenda = Agenda(self)
        self.on_the_spot = OnTheSpot(self, enabled=not live)
        general = np.flatnonzero(~self.on_the_spot.mask)
        self._general = (general.tolist(), self.needs.resident[general].tolist(), self.needs.item[general].tolist())
        self.arising = self.agenda.add_stream(self.needs.t[general].tolist(), self._need_arises)
        self.on_the_spot.start_booking()
        self.schedule_event(self.staff.reset, at=self.warmup_end)
        self.schedule_event(self.staff.close, at=self.end)
        for s in self.specialists:
            s.schedule_next_visit(0.0)

    def _build_residents(self, cfg: dict, rng: np.random.Generator) -> None:
        t = self.territory
        self.home = np.repeat(np.arange(len(t.building_pop)), t.building_pop)
        n = len(self.home)
        share = cfg["elderly_share"]
        if t.building_elderly is not None:  # a district's own figures where it has them
            share = np.where(np.isnan(t.building_elderly), share, t.building_elderly)[self.home]
        self.elderly = rng.random(n) < share
        self.employed = ~self.elderly & (rng.random(n) < cfg["employed_share"])
        literacy = np.where(self.elderly, cfg["digital_literacy"]["elderly"], cfg["digital_literacy"]["under60"])
        self.literate = rng.random(n) < literacy
        self.walk_kmh = np.where(self.elderly, cfg["elderly_walk_kmh"], cfg["walk_kmh"])
        self.residents = Residents(self, n)

    def _build_points(self, world) -> None:
        t, pol = self.territory, world.policy
        self.streets = [StreetCentre(self, i, t.street_xy[i], t.street_names_en[i], t.street_names_zh[i])
                        for i in range(len(t.street_xy))]
        for s in self.streets:
            s.pools["street"] = WindowPool(int(world.street_windows[s.index]), pol.calendar("street", point=s.index),
                                           "street", self.live)
        self.communities = []
        for i in range(len(t.community_xy)):
            c = CommunityStation(self, i, t.community_xy[i], t.community_names_en[i], t.community_names_zh[i],
                                 int(t.community_street[i]))
            hours = pol.calendar("community", point=i)
            c.pools["community"] = WindowPool(int(world.community_windows[i]), hours, "community", self.live)
            c.pools["specialist"] = WindowPool(1, hours, "specialist", self.live)
            c.pools["terminal"] = WindowPool(1, pol.calendar("terminal", point=i), "terminal", self.live)
            self.communities.append(c)
        workers = self.scenario_values["points"]["grid"]["workers_per_grid"]
        self.grid_workers = [[GridWorker(self, g) for _ in range(workers)] for g in range(len(t.grid_xy))]
        self.specialists = [Specialist(self, cluster, world.weekdays) for cluster in world.clusters]
        self.rota = Rota(self.specialists, len(self.communities), math.ceil(self.stop / DAY) + 1)

    # ---- the clock ----------------------------------------------------------------------------------
    def run_step(self) -> None:
        """One Mesa step: advance the clock by run.step_minutes, firing the events on the way."""
        self.run_for(self.scenario_values["run"]["step_minutes"])

    def run(self) -> None:
        """Run to the end."""
        with _collector.set_aside(self.live):
            self.run_until(self.stop)

    def run_until(self, end_time: float) -> None:
        self.horizon = end_time  # due items are taken in batches only up to where the clock is going
        super().run_until(end_time)

    def run_for(self, duration: float) -> None:
        self.run_until(self.time + duration)

    def _need_arises(self, k: int) -> None:
        """The k-th need not decided on the spot (those are `on_the_spot`'s) becomes a request."""
        rids, residents, items = self._general
        r = Request(self.flow, rids[k], residents[k], items[k], self.time)
        self.requests.append(r)
        self.open[r.rid] = r
        self.flow.proceed(r)

    def finish(self, r: Request) -> None:
        del self.open[r.rid]

    # ---- residents' memory ----------------------------------------------------------------------------
    def choose(self, r: Request) -> str:
        """The channel for a new need: chosen up front, unless the resident has learned something."""
        if self.memory.knows(r.resident):
            return choose_with_memory(self, r.rid, float(self.draws.u_choice[r.rid, 0]))
        return str(self.chosen[r.rid])

    def met(self, r: Request, channel: str, days: float, trips: float) -> None:
        """A resident met something worse than promised; they and their acquaintances remember it,
        so their needs arising from now on are chosen with it (taken out of the bulk plan)."""
        told = self.memory.met(self.time, r.resident, channel, days, trips)
        self.on_the_spot.learned(told, self.time)

    def used(self, r: Request, t: float) -> None:
        """A request was accepted by a new channel at t: the resident's acquaintances hear of it."""
        if r.channel in self.scenario_values["adapt"]["new_channels"]:
            self.on_the_spot.learned(self.memory.used(t, r.resident, r.channel), t)

    def _awareness(self, cfg: dict, rng: np.random.Generator) -> np.ndarray:
        """(residents, channels): who knows of each channel at the start; a new channel is known to a
        share `adapt.aware_of_new` of the residents with needs (one draw each, for every channel)."""
        aware = np.ones((len(self.home), len(CHANNELS)), bool)
        people = np.unique(self.needs.resident)
        u = rng.random((len(people), len(CHANNELS)))
        for ch in cfg["new_channels"]:
            j = CHANNELS.index(ch)
            aware[people, j] = u[:, j] < cfg["aware_of_new"]
        return aware

    def act_delay(self, rid: int, column: int, channel: str, res: int) -> float:
        """Minutes before setting off: longer the more the errand costs this resident (`act_delays`)."""
        trip = channel in PHYSICAL
        minutes = self.travel.minutes_by(channel, res) if trip else 0.0
        leave = trip and channel != "terminal" and bool(self.employed[res])
        return float(errand_delay(self.draws.act[rid, column], minutes, trip, leave, self.scenario_values["residents"], pick))

    def act_delays(self, rid: np.ndarray, column: int, channel: np.ndarray, res: np.ndarray) -> np.ndarray:
        """`act_delay` for many needs at once. Column 0 is for acting on the need, 1 for the collection trip."""
        minutes = np.zeros(len(rid))
        trip = np.isin(channel, PHYSICAL)
        if trip.any():
            to = channel[trip]
            minutes[trip] = self.travel.trips_to_points(to, res[trip], self.travel.point_indices(to, res[trip]))[1]
        leave = trip & (channel != "terminal") & self.employed[res]
        return errand_delay(self.draws.act[rid, column], minutes, trip, leave, self.scenario_values["residents"], np.where)

    # ---- points -------------------------------------------------------------------------------------
    def community_of(self, res: int) -> int:
        return int(self.territory.building_community[self.home[res]])

    def service_points(self, kind: str) -> list:
        """The street centres, or else the community stations (where terminals stand too)."""
        return self.streets if kind == "street" else self.communities

    def point_of(self, r: Request):
        """The service point a request is at or on its way to."""
        return self.service_points(r.channel)[r.point]

    def all_pools(self):
        for point in self.streets + self.communities:
            yield from point.pools.values()

    # ---- results ------------------------------------------------------------------------------------
    def staff_report(self, requests: int) -> dict:
        return self.staff.report(requests)

    def request_table(self) -> pd.DataFrame:
        arisen = [r for r in self.requests if r.t_need <= self.time]  # a need taken out of the bulk plan waits
        frame = pd.concat([to_frame(arisen), self.on_the_spot.frame()])
        frame = frame.sort_values("rid", kind="stable").reset_index(drop=True)
        t = self.territory
        cat = self.catalogue
        res = frame["resident"].to_numpy()
        b = self.home[res]
        item = frame.pop("item_index").to_numpy()
        frame.insert(2, "item", text_column(cat.code, item))
        frame.insert(3, "authority", text_column(("community", "street"), cat.street_level[item].astype(np.int8)))
        frame.insert(4, "group", text_column(("other", "employed", "elderly"),
                                             np.where(self.elderly[res], 2, self.employed[res].astype(np.int8))))
        frame.insert(5, "building", b)
        frame.insert(6, "grid", t.building_grid[b])
        frame.insert(7, "community", t.building_community[b])
        frame.insert(8, "street", t.building_street[b])
        frame.insert(9, "home_to_centre_km", self.home_km.street.km[b])
        frame.loc[frame["t_done"] > self.stop, "t_done"] = np.nan  # settled, but not done within the run
        frame["measured"] = (frame["t_need"] >= self.warmup_end) & (frame["t_need"] < self.end)
        frame["completed"] = frame["t_done"].notna() & (frame["t_done"] <= self.stop)
        return frame

    def building_access_km(self) -> np.ndarray:
        """Supply side, per building: road km to the nearest point that may accept a street item
        (0 where it is accepted at the door), averaged over street items by their demand; inf
        where no street item can be taken physically (online only)."""
        cat, pol, n = self.catalogue, self.policy, len(self.home_pop)
        dists, weights = [], []
        for i in np.flatnonzero(cat.street_level):
            ch = pol.channels[i]
            options = [np.full(n, np.inf)]
            if any(c in DOOR for c in ch):
                options.append(np.zeros(n))
            if "community" in ch or "terminal" in ch:
                options.append(self.home_km.community.km)
            if "street" in ch:
                options.append(self.travel.street_km)
            dists.append(np.min(options, axis=0))
            weights.append(cat.rate[i].sum())
        if not dists:
            return np.full(n, np.inf)
        return np.average(np.array(dists), axis=0, weights=np.array(weights) if sum(weights) else None)

    def access_radius(self) -> dict:
        """Population-weighted summary of `building_access_km`."""
        d, pop = self.building_access_km(), self.home_pop
        finite = np.isfinite(d)
        if not finite.any():
            return {"mean": None, "p90": None, "max": None}
        d, pop = d[finite], pop[finite]
        order = np.argsort(d)
        cum = np.cumsum(pop[order]) / pop.sum()
        return {"mean": float(np.average(d, weights=pop)), "p90": float(d[order][np.searchsorted(cum, 0.9)]),
                "max": float(d.max())}

    @property
    def home_pop(self) -> np.ndarray:
        return self.territory.building_pop
