"""The Mesa model: builds the world from a scenario and lets requests flow through it.

Time is minutes since Monday 00:00 of week 1. The model is purely event-driven: Mesa's default
one-unit step event is stopped (with minutes as the unit it would cost a year of empty events),
and `step()` advances the clock by `run.step_minutes`, which is what the teaching app calls.
"""

from __future__ import annotations

import gc
import math

import mesa
import numpy as np
import pandas as pd

from sim.world.agents import CommunityStation, GridWorker, Resident, Specialist, StreetCentre, WindowPool
from sim.clock import DAY, DAYS, WEEK
from sim.world.calendar import Calendar
from sim.world.catalogue import load_catalogue
from sim.engine.choice import choose_channels, choose_with_memory
from sim.engine.memory import Memory
from sim.engine.network import acquaintances
from sim.engine.flow import Flow
from sim.engine.needs import generate_draws, generate_needs
from sim.engine.on_the_spot import OnTheSpot
from sim.world.policy import DOOR, PHYSICAL, build_policy
from sim.engine.requests import Request, text_column, to_frame
from sim.world.rota import Rota
from sim.scenario.files import CHANNELS, Scenario
from sim.engine.streams import spawn
from sim.world.territory import build_territory



class GovernanceModel(mesa.Model):
    """Residents, service points and staff of one territory under one authorisation policy."""

    def __init__(self, scenario: Scenario, seed: int | None = None, live: bool = False):
        """`live`: a view watches the run (the teaching app), so every request stays in `open`
        until the clock reaches its end; otherwise a request leaves `open` once its end is settled."""
        seed = scenario["run"]["seed"] if seed is None else seed
        self.live = live
        super().__init__(rng=seed)
        self._default_schedule.stop()
        self.step = self.advance
        self.seed = seed
        self.scenario_values = v = scenario.values
        run = v["run"]
        self.warmup_end = run["warmup_weeks"] * WEEK
        self.end = self.warmup_end + run["weeks"] * WEEK
        self.stop = self.end + run["drain_weeks"] * WEEK
        streams = spawn(seed)

        self.territory = build_territory(_territory_cfg(v["territory"]), streams["territory"], scenario.where("territory"))
        self.catalogue = load_catalogue(v["catalogue"]["file"], v["catalogue"].get("items"), scenario.where("catalogue.items"))
        self.policy = build_policy(scenario, self.catalogue)
        self._build_residents(v["residents"], streams["residents"])
        self._build_points(scenario)
        self.flow = Flow(self)

        self.needs = generate_needs(self.catalogue, self.elderly, self.stop, v["catalogue"]["demand_scale"], streams["needs"])
        self.draws = generate_draws(self.needs, self.catalogue, streams, v["catalogue"]["rework_days"],
                                    v["catalogue"]["rework_limit"], v["adapt"]["refusal_limit"])
        self.allowed_channels = np.array([[ch in chans for ch in CHANNELS] for chans in self.policy.channels])
        self.chosen = choose_channels(self)
        t = self.territory
        self.network = acquaintances(self.needs.resident, self.home, t.building_grid[self.home], t.building_pop,
                                     np.bincount(t.building_grid, t.building_pop, len(t.grid_xy)), len(self.home),
                                     v["network"], streams["network"])
        self.memory = Memory(self.network, v["adapt"]["hearsay_weight"])
        self.survey_rng = streams["survey"]
        self.requests: list[Request] = []
        self.open: dict[int, Request] = {}
        self.staff_busy = {"street": 0.0, "community": 0.0, "specialist": 0.0, "specialist_travel": 0.0, "grid": 0.0}
        self.on_the_spot = OnTheSpot(self, enabled=not live)
        general = np.flatnonzero(~self.on_the_spot.mask)
        self._general_needs = list(zip(general.tolist(), self.needs.t[general].tolist(),
                                       self.needs.resident[general].tolist(), self.needs.item[general].tolist()))
        self._next_need = 0
        self._until = 0.0
        if self._general_needs:
            self.schedule_event(self._need_arises, at=self._general_needs[0][1])
        self.on_the_spot.start_booking()
        self.schedule_event(self._reset_staff_clocks, at=self.warmup_end)
        self.schedule_event(self._read_staff_clocks, at=self.end)
        self.staff_at_end: dict[str, float] | None = None
        for s in self.specialists:
            s.schedule_next_visit(0.0)

    # ---- construction -----------------------------------------------------------------------------
    def _build_residents(self, cfg: dict, rng: np.random.Generator) -> None:
        t = self.territory
        self.home = np.repeat(np.arange(len(t.building_pop)), t.building_pop)
        n = len(self.home)
        self.elderly = rng.random(n) < cfg["elderly_share"]
        self.employed = ~self.elderly & (rng.random(n) < cfg["employed_share"])
        literacy = np.where(self.elderly, cfg["digital_literacy"]["elderly"], cfg["digital_literacy"]["under60"])
        self.literate = rng.random(n) < literacy
        self.walk_kmh = np.where(self.elderly, cfg["elderly_walk_kmh"], cfg["walk_kmh"])
        self.residents = [Resident(self, i) for i in range(n)]

    def _build_points(self, sc: Scenario) -> None:
        t, v, pol = self.territory, sc.values, self.policy
        pts, staff = v["points"], v["staff"]
        self.streets = [StreetCentre(self, i, t.street_xy[i], t.street_names_en[i], t.street_names_zh[i])
                        for i in range(len(t.street_xy))]
        for s in self.streets:
            s.pools["street"] = WindowPool(pts["street"]["windows"], pol.hours["street"], "street", self.live)
        community_windows = pts["community"]["windows"]
        self.communities = []
        for i in range(len(t.community_xy)):
            c = CommunityStation(self, i, t.community_xy[i], t.community_names_en[i], t.community_names_zh[i],
                                 int(t.community_street[i]))
            c.pools["community"] = WindowPool(community_windows, pol.hours["community"], "community", self.live)
            c.pools["specialist"] = WindowPool(1, pol.hours["community"], "specialist", self.live)
            c.pools["terminal"] = WindowPool(1, pol.calendar("terminal"), "terminal", self.live)
            self.communities.append(c)
        self.grid_workers = [[GridWorker(self, g) for _ in range(pts["grid"]["workers_per_grid"])]
                             for g in range(len(t.grid_xy))]
        clusters = specialist_clusters(sc, t, pol)
        weekdays = specialist_weekdays(sc, pol) if clusters else ()
        self.specialists = [Specialist(self, cluster, weekdays) for cluster in clusters]
        self.rota = Rota(self.specialists, len(self.communities), math.ceil(self.stop / DAY) + 1)

        building_street = t.building_street
        bxy = t.building_xy
        self.km_community = np.hypot(*(bxy - t.community_xy[t.building_community]).T) * t.circuity
        self.km_street = np.hypot(*(bxy - t.street_xy[building_street]).T) * t.circuity
        to_streets = t.road_km(bxy, t.street_xy)
        self.nearest_street = np.argmin(to_streets, axis=1)
        self.km_nearest_street = to_streets[np.arange(len(bxy)), self.nearest_street]

    # ---- the clock ----------------------------------------------------------------------------------
    def advance(self) -> None:
        """One Mesa step: advance the clock by run.step_minutes, firing the events on the way."""
        self.run_for(self.scenario_values["run"]["step_minutes"])

    def run(self) -> None:
        """Run to the end. Everything built so far lives as long as the model, so it is set aside
        from Python's cyclic garbage collector meanwhile: rescanning residents and territory
        again and again took a fifth of a large run."""
        gc.freeze()
        try:
            self.run_until(self.stop)
        finally:
            gc.unfreeze()

    def run_until(self, end_time: float) -> None:
        self._until = end_time  # needs are taken in batches only up to where the clock is going
        super().run_until(end_time)

    def run_for(self, duration: float) -> None:
        self.run_until(self.time + duration)

    def _need_arises(self) -> None:
        """Turn needs into requests in time order (those decided on the spot are `on_the_spot`'s).
        The needs that fall due before anything else on the event list (and before the end of
        this run) are taken in the same event, each at its own time: nothing can happen in
        between, and the event list stays short."""
        needs = self._general_needs
        while True:
            j, t, resident, item = needs[self._next_need]
            r = Request(self.flow, j, resident, item, t)
            self.requests.append(r)
            self.open[j] = r
            self.flow.advance(r)
            self._next_need += 1
            if self._next_need == len(needs):
                return
            t_next = needs[self._next_need][1]
            if not t_next < min(self._until, self._next_event_time()):
                self.schedule_event(self._need_arises, at=t_next)
                return
            self.time = t_next

    def _next_event_time(self) -> float:
        """When the earliest queued event is due (Mesa keeps its event list as a heap)."""
        events = self._event_list._events
        return events[0].time if events else math.inf

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

    def act_delay(self, rid: int, column: int, channel: str, res: int) -> float:
        """Minutes before setting off: longer the more the errand costs this resident (`act_delays`)."""
        return float(self.act_delays(np.array([rid]), column, np.array([channel]), np.array([res]))[0])

    def act_delays(self, rid: np.ndarray, column: int, channel: np.ndarray, res: np.ndarray) -> np.ndarray:
        """Exponential delays with mean go_delay_days + go_delay_per_errand_hour * errand hours, where
        an errand in person costs the round trip and, for employed residents at a staffed point, leave."""
        cfg = self.scenario_values["residents"]
        km = np.zeros(len(rid))
        trip = np.isin(channel, PHYSICAL)
        if trip.any():
            km[trip] = self.radii_km(channel[trip], res[trip], self.points_for(channel[trip], res[trip]))
        hours = np.where(trip, 2 * self.minutes_for_km_array(km, res) / 60, 0.0)
        hours += np.where(trip & (channel != "terminal") & self.employed[res], cfg["leave_hours"], 0.0)
        return self.draws.act[rid, column] * (cfg["go_delay_days"] + cfg["go_delay_per_errand_hour"] * hours) * DAY

    def _reset_staff_clocks(self) -> None:
        for key in self.staff_busy:
            self.staff_busy[key] = 0.0
        for p in self.all_pools():
            p.busy = 0.0
        for workers in self.grid_workers:
            for w in workers:
                w.busy = 0.0

    def _read_staff_clocks(self) -> None:
        """Staff time is measured over the same window as requests: warm-up end to window end."""
        self.staff_at_end = self._staff_clocks()

    def _staff_clocks(self) -> dict[str, float]:
        return {
            "street": _pool_busy(self.streets, "street") + self.staff_busy["street"],
            "community": _pool_busy(self.communities, "community") + self.staff_busy["community"],
            "specialist": _pool_busy(self.communities, "specialist") + self.staff_busy["specialist_travel"],
            "specialist_travel": self.staff_busy["specialist_travel"],
            "grid": sum(w.busy for ws in self.grid_workers for w in ws),
        }

    def all_pools(self):
        for point in self.streets + self.communities:
            yield from point.pools.values()

    # ---- geometry and travel ------------------------------------------------------------------------
    def community_of(self, res: int) -> int:
        return int(self.territory.building_community[self.home[res]])

    def points_of(self, channel: str) -> list:
        return self.streets if channel == "street" else self.communities

    def point_for(self, channel: str, res: int) -> int:
        b = self.home[res]
        if channel == "street":
            if self.policy.switches["any_street_centre"]:
                return int(self.nearest_street[b])
            return int(self.territory.building_street[b])
        return int(self.territory.building_community[b])

    def points_for(self, channel: np.ndarray, res: np.ndarray) -> np.ndarray:
        """`point_for` for many requests at once."""
        b = self.home[res]
        centre = self.nearest_street if self.policy.switches["any_street_centre"] else self.territory.building_street
        return np.where(channel == "street", centre[b], self.territory.building_community[b])

    def point(self, r: Request):
        return self.points_of("street" if r.channel == "street" else "community")[r.point]

    def radius_km(self, res: int, station) -> float:
        b = self.home[res]
        if station.kind == "community":
            return float(self.km_community[b])
        if station.index == self.territory.building_street[b]:
            return float(self.km_street[b])
        return float(self.territory.road_km(self.territory.building_xy[b:b + 1], station.xy[None])[0, 0])

    def radii_km(self, channel: np.ndarray, res: np.ndarray, point: np.ndarray) -> np.ndarray:
        """`radius_km` for many requests at once, each to its `point` of its channel's kind."""
        t, b = self.territory, self.home[res]
        km = self.km_community[b]
        street = channel == "street"
        to, home = point[street], b[street]
        xy = t.building_xy[home] - t.street_xy[to]
        km[street] = np.where(to == t.building_street[home], self.km_street[home], np.hypot(xy[:, 0], xy[:, 1]) * t.circuity)
        return km

    def minutes_for_km(self, km: float, res: int) -> float:
        cfg = self.scenario_values["residents"]
        if km <= cfg["walk_max_km"]:
            return km / self.walk_kmh[res] * 60
        return km / cfg["ride_kmh"] * 60 + cfg["ride_access_minutes"]

    def minutes_for_km_array(self, km: np.ndarray, res: np.ndarray) -> np.ndarray:
        """`minutes_for_km` for many trips at once."""
        cfg = self.scenario_values["residents"]
        return np.where(km <= cfg["walk_max_km"], km / self.walk_kmh[res] * 60,
                        km / cfg["ride_kmh"] * 60 + cfg["ride_access_minutes"])

    def travel_minutes(self, res: int, station) -> float:
        return self.minutes_for_km(self.radius_km(res, station), res)

    def travel_between(self, a, b, res: int) -> float:
        return self.minutes_for_km(float(np.hypot(*(a.xy - b.xy)) * self.territory.circuity), res)

    def specialist_travel_minutes(self, station) -> float:
        street = self.streets[station.street]
        km = float(np.hypot(*(station.xy - street.xy)) * self.territory.circuity)
        return 2 * km / self.scenario_values["staff"]["specialist"]["travel_kmh"] * 60

    # ---- timing -------------------------------------------------------------------------------------
    def arrival_time(self, r: Request, station, ready: float) -> float:
        """The first moment at or after `ready` when the point is open and the resident free; working
        residents who find no such moment within leave_after_days take leave."""
        kind = r.channel if r.channel == "terminal" else station.kind
        ready = self._rota_aware(r, ready)
        session = self.policy.calendar(kind).session(ready)
        if self.employed[r.resident]:
            free = self.policy.calendar(kind, employed=True).session(ready)
            if free is not None and free[0] <= ready + self.scenario_values["residents"]["leave_after_days"] * DAY:
                session = free
        u = self._arrival_draw(r)
        return ready if session[0] == ready else self.within_session(session, u)

    def arrival_times(self, channel: np.ndarray, res: np.ndarray, ready: np.ndarray, u: np.ndarray) -> np.ndarray:
        """`arrival_time` for many trips at once, to points whose items need no specialist's day;
        `u` is each trip's arrival-spread draw."""
        cfg = self.scenario_values["residents"]
        out = np.empty(len(ready))
        for kind in PHYSICAL:
            sel = channel == kind
            if not sel.any():
                continue
            t = ready[sel]
            start, end = self.policy.calendar(kind).sessions(t)
            free_start, free_end = self.policy.calendar(kind, employed=True).sessions(t)
            use = self.employed[res[sel]] & (free_start <= t + cfg["leave_after_days"] * DAY)
            start, end = np.where(use, free_start, start), np.where(use, free_end, end)
            out[sel] = np.where(start == t, t, start + u[sel] * cfg["arrival_spread"] * (end - start))
        return out

    def _arrival_draw(self, r: Request) -> float:
        """Each trip (and each door visit) has its own arrival draw; their number is bounded by the
        refusal and rework limits, so they never repeat."""
        k = min(r.arrivals, self.draws.spread.shape[1] - 1)
        r.arrivals += 1
        return float(self.draws.spread[r.rid, k])

    def within_session(self, session: tuple[float, float], u: float) -> float:
        """Where in a session a resident turns up: uniform over its first `arrival_spread` part."""
        return session[0] + u * self.scenario_values["residents"]["arrival_spread"] * (session[1] - session[0])

    def on_round(self, r: Request, t: float) -> float:
        """The first moment from t when grid workers are on their rounds."""
        session = self.policy.hours["grid"].session(t)
        u = self._arrival_draw(r)
        return t if session[0] == t else self.within_session(session, u)

    def _rota_aware(self, r: Request, ready: float) -> float:
        """Residents who know the rota come on a specialist's day, when only a specialist can decide."""
        deciders = self.policy.deciders[r.item]
        if r.channel != "community" or "community" in deciders or "specialist" not in deciders:
            return ready
        if self.draws.u_choice[r.rid, 2] >= self.scenario_values["staff"]["specialist"]["rota_awareness"]:
            return ready
        d = self.rota.next_visit(r.point, math.floor(ready / DAY))
        return ready if d is None else max(ready, d * DAY)

    def specialist_present(self, station, t: float) -> bool:
        return self.rota.is_present(station.index, math.floor(t / DAY))

    # ---- staff time ---------------------------------------------------------------------------------
    def staff_minutes(self, kind: str, minutes: float) -> None:
        self.staff_busy[kind] += minutes

    def grid_door_visit(self, r: Request, minutes: float) -> None:
        b = self.home[r.resident]
        g = int(self.territory.building_grid[b])
        km = float(np.hypot(*(self.territory.building_xy[b] - self.territory.grid_xy[g])) * self.territory.circuity)
        workers = self.grid_workers[g]
        walk = 2 * km / self.scenario_values["residents"]["walk_kmh"] * 60
        workers[r.rid % len(workers)].busy += minutes + walk

    # ---- results ------------------------------------------------------------------------------------
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
        frame.insert(9, "home_to_centre_km", self.km_street[b])
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
                options.append(self.km_community)
            if "street" in ch:
                options.append(self.km_nearest_street if pol.switches["any_street_centre"] else self.km_street)
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

    def staff_report(self, requests: int) -> dict:
        """Utilisation (busy over open staff minutes) and hours per request, over the measured window."""
        t0, t1 = self.warmup_end, self.end
        busy = self.staff_at_end if self.staff_at_end is not None else self._staff_clocks()
        hours = self.policy.hours
        available = {
            "street": sum(s.pools["street"].windows for s in self.streets) * hours["street"].minutes_open(t0, t1),
            "community": sum(c.pools["community"].windows for c in self.communities)
            * hours["community"].minutes_open(t0, t1),
            "specialist": len(self.specialists) * hours["community"].intersect(visit_calendar(
                self.scenario_values["staff"]["specialist"]["visit_days"])).minutes_open(t0, t1),
            "grid": sum(len(ws) for ws in self.grid_workers) * hours["grid"].minutes_open(t0, t1),
        }
        out = {}
        for kind, avail in available.items():
            out[kind] = {
                "hours": busy[kind] / 60,
                "utilisation": busy[kind] / avail if avail else None,
                "hours_per_request": busy[kind] / 60 / requests if requests else None,
            }
        out["specialist"]["travel_hours"] = busy["specialist_travel"] / 60
        total = sum(busy[k] for k in available) / 60
        out["hours_per_request_total"] = total / requests if requests else None
        return out


def specialist_clusters(sc: Scenario, territory, policy) -> list[list[int]]:
    """Clusters of communities per specialist: listed in the scenario, or split evenly per street.
    Where specialists are the only staff who may decide an item, every community needs a visit."""
    clusters = _clusters(sc, territory)
    covered = {c for cluster in clusters for c in cluster}
    staffed = {"street": sc["points"]["street"]["windows"] > 0, "community": sc["points"]["community"]["windows"] > 0,
               "back_office": True, "specialist": False}
    for deciders in policy.deciders:
        if "specialist" in deciders and not any(staffed[d] for d in deciders if d != "specialist"):
            missing = [territory.community_names_en[c] for c in range(len(territory.community_xy)) if c not in covered]
            if missing:
                raise sc.error("staff.specialist.rota", "a visit to every community where only specialists may "
                                                        f"decide; not visited: {', '.join(missing[:5])}")
    return clusters


def visit_calendar(days: list[str]) -> Calendar:
    """The whole of each specialist visit day, as a weekly calendar."""
    return Calendar.from_specs([f"{d} 00:00-24:00" for d in days])


def specialist_weekdays(sc: Scenario, policy) -> tuple[int, ...]:
    """The weekdays of specialists' visits (0 = Monday); a visit needs the community stations open."""
    days = sc["staff"]["specialist"]["visit_days"]
    if policy.hours["community"].intersect(visit_calendar(days)).intervals:
        return tuple(sorted({DAYS.index(d) for d in days}))
    raise sc.error("staff.specialist.visit_days", "at least one weekday on which community stations are open")


def _clusters(sc: Scenario, territory) -> list[list[int]]:
    cfg = sc["staff"]["specialist"]
    names = {n: i for i, n in enumerate(territory.community_names_en)}
    if cfg.get("rota"):
        clusters = []
        for k, entry in enumerate(cfg["rota"]):
            for name in entry["communities"]:
                if name not in names:
                    raise sc.error(f"staff.specialist.rota[{k}].communities",
                                   f"names of communities in the territory; {name!r} is not one")
            clusters.append([names[n] for n in entry["communities"]])
        if any(not c for c in clusters):
            raise sc.error("staff.specialist.rota", "each rota entry lists at least one community")
        return clusters
    count = cfg["count"]
    if count == 0:
        return []
    by_street = [np.flatnonzero(territory.community_street == s) for s in range(len(territory.street_xy))]
    per_street = np.array_split(np.arange(count), len(by_street)) if count >= len(by_street) else \
        [[k] if k < count else [] for k in range(len(by_street))]
    clusters = []
    for comms, staff in zip(by_street, per_street):
        if len(staff) == 0:
            continue
        for part in np.array_split(comms, min(len(staff), len(comms))):
            clusters.append([int(c) for c in part])
    if count > len(clusters):
        raise sc.error("staff.specialist.count", f"at most {len(clusters)} (one per community) with an automatic rota")
    return clusters


def check(scenario: Scenario) -> None:
    """Everything `validate` can check without running: data files, territory, policy, rota."""
    territory = build_territory(_territory_cfg(scenario["territory"]), spawn(0)["territory"], scenario.where("territory"))
    policy = build_policy(scenario, load_catalogue(scenario["catalogue"]["file"], scenario["catalogue"].get("items"),
                                                   scenario.where("catalogue.items")))
    if specialist_clusters(scenario, territory, policy):
        specialist_weekdays(scenario, policy)


def _pool_busy(points, kind: str) -> float:
    return sum(p.pools[kind].busy for p in points)


def _territory_cfg(cfg: dict) -> dict:
    """The territory builder expects every list key present."""
    out = dict(cfg)
    for key in ("streets", "communities", "grids", "buildings"):
        out.setdefault(key, [])
    return out
