"""The teaching app's model: one authorisation model, or two side by side, stepping together.

Two models built from the same seed and the same controls share their residents and needs (the
engine's common random numbers), so whatever differs on screen comes from the policy. The live
state the page draws is read here from the models' own state, so the tests check what a class
sees without a browser.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

from sim.clock import DAY
from sim.errors import ScenarioError
from sim.engine.model import GovernanceModel
from sim.engine.build import build_world
from sim.measure.metrics import IN_PERSON
from sim.world.policy import DOOR
from sim.scenario.files import load

PRESETS = ("centralised", "dingshan", "dachang", "xiaoding")
NONE = "—"
AS_FILE, ON, OFF = "policy file", "on", "off"
SWITCH_VALUES = [AS_FILE, ON, OFF]

# Where a resident with an open request is, in the order the map draws them.
WAITING, IN_PROGRESS, TRAVELLING, QUEUEING, SERVED = range(5)
STATES = ("waiting", "in_progress", "travelling", "queueing", "served")


# What the page's controls may send: anything else (a value typed or forged in the browser) is
# refused with a message on the page, before any file is opened.
CONTROL_LIMITS = {"scale": (1e-6, 1.0), "demand": (0.0, 10_000.0), "online": (-10.0, 10.0),
                  "specialists": (-1_000, 1_000)}
WHOLE_CONTROLS = ("specialists",)
SEED_MAX = 2**63 - 1


def control_error(folder: Path, *, policy, versus, seed, weekend, terminals, **numbers) -> str | None:
    """What is wrong with the controls the browser sent, or None when every one is valid."""
    offered = policies(folder)
    if not isinstance(policy, str) or policy not in offered:
        return "policy: one of " + ", ".join(offered)
    if not isinstance(versus, str) or versus not in (NONE, *offered):
        return "versus: one of " + ", ".join((NONE, *offered))
    for key, value in numbers.items():
        lo, hi = CONTROL_LIMITS[key]
        whole = key in WHOLE_CONTROLS
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi
                or (whole and value != int(value))):
            return f"{key}: {'a whole number' if whole else 'a number'} from {lo:g} to {hi:g}"
    for key, value in (("weekend", weekend), ("terminals", terminals)):
        if value not in SWITCH_VALUES:
            return f"{key}: one of " + ", ".join(SWITCH_VALUES)
    text = str(seed).strip() if isinstance(seed, (int, str)) and not isinstance(seed, bool) else ""
    if not re.fullmatch(r"[0-9]{1,19}", text) or int(text) > SEED_MAX:
        return f"seed: a whole number from 0 to {SEED_MAX}, not {seed!r}"[:200]
    return None


def policies(folder: str | Path) -> list[str]:
    """Policy files a class can pick: the four presets first, then any other file in the folder."""
    stems = sorted(p.stem for p in Path(folder).glob("*.toml") if p.stem != "base")
    return [s for s in PRESETS if s in stems] + [s for s in stems if s not in PRESETS]


SPECIALISTS_MORE = 6  # the most specialists the control adds to a policy file's own


def specialist_range(path: Path, scale: float, territory: tuple[str, ...] = ()) -> tuple[int, int, int]:
    """How many specialists the policy file posts on the app's territory, and the fewest and most
    the control can give it with an effect, as the model itself builds them (of 0 to the file's
    own + SPECIALISTS_MORE): an automatic rota posts at most one per community, a listed rota
    exactly its entries, and a count the policy refuses is never offered."""
    return _specialist_range(path, path.stat().st_mtime_ns, scale, territory)


@functools.lru_cache(maxsize=64)
def _specialist_range(path: Path, _version: int, scale: float, territory: tuple[str, ...]) -> tuple[int, int, int]:
    asked = int(load(path).values["staff"]["specialist"]["count"])

    def posted(count: int) -> int | None:
        try:
            scenario = load(path, [*territory, f"territory.scale={scale}", f"staff.specialist.count={count}"])
            return len(build_world(scenario, 0).clusters)
        except ScenarioError:
            return None

    own = posted(asked) if asked else 0
    if not own:  # none to move, or a file the model refuses (the page reports it)
        return 0, 0, 0
    most = max(posted(asked + SPECIALISTS_MORE) or 0, own)  # the rota posts no more than it can
    fewest = next(k for k in range(own + 1) if k == own or posted(k) is not None)
    return own, fewest, most


def specialists_for(path: Path, scale: float, change: int, territory: tuple[str, ...] = ()) -> int:
    """The specialists a policy gets when the control moves its number by `change`: a file
    without specialists keeps none, and no file is asked for more or fewer than it can post."""
    own, fewest, most = specialist_range(path, scale, territory)
    return min(max(own + change, fewest), most) if own else 0


def overrides(path: Path, *, scale: float, demand: float, online: float, specialists: int, weekend: str,
              terminals: str, territory: tuple[str, ...] = ()) -> list[str]:
    """The app's controls as scenario overrides, after the territory's (`python -m sim app
    --territory FILE`). Demand, online adoption and staffing move from the file's own values,
    so a policy keeps what makes it that policy."""
    v = load(path).values
    out = [
        *territory,
        f"territory.scale={scale}",
        f"catalogue.demand_scale={v['catalogue']['demand_scale'] * demand}",
        f"choice.constants.online={v['choice']['constants'].get('online', 0.0) + online}",
        f"staff.specialist.count={specialists_for(path, scale, specialists, territory)}",
    ]
    for key, value in (("weekend", weekend), ("terminals", terminals)):
        if value != AS_FILE:
            out.append(f"switches.{key}={str(value == ON).lower()}")
    return out


@dataclass
class View:
    """One model at one moment, as the map shows it. Positions are territory km; `slot` orders the
    residents at a point (place in the queue, or window) so the map can line them up."""

    t: float
    rid: np.ndarray  # (n,) the open requests
    resident: np.ndarray  # (n,) whose they are
    xy: np.ndarray  # (n,2) where each is: home, on the road, or at a point
    home: np.ndarray  # (n,2) their building
    trip: np.ndarray  # (n,4) a trip to a point already planned: start, arrival (minutes), then the point's xy; nan if none
    state: np.ndarray  # (n,) index into STATES
    slot: np.ndarray  # (n,) rank among those at the same point, -1 elsewhere
    queue: np.ndarray  # (S+C,) waiting at each street centre, then community station (held files decided first count)
    held: np.ndarray  # (C,) files held for a specialist at each community station
    specialist_xy: np.ndarray  # (k,2)
    specialist_on: np.ndarray  # (k,) at a community on a visit now
    worker_xy: np.ndarray  # (w,2)
    worker_out: np.ndarray  # (w,) at a door or bringing files to the station now


# Sums over requests that make the headline figures, in the order `_sums` adds them up.
COUNT, MINUTES, ABANDONED, ACCEPTED, RADIUS, IN_PERSON_N, IN_PERSON_KM = range(7)


def _sums(requests) -> np.ndarray:
    """What sim.measure.metrics sums to make its headline figures, over `requests`: how many,
    the residents' own minutes, how many were abandoned, and the service radius over accepted
    requests, all channels and in person (street centre, community station, terminal)."""
    out = np.zeros(7)
    for r in requests:
        out[COUNT] += 1
        out[MINUTES] += r.resident_minutes
        out[ABANDONED] += r.abandoned
        if r.t_accept == r.t_accept:
            out[ACCEPTED] += 1
            out[RADIUS] += r.service_radius_km
            if r.channel in IN_PERSON:
                out[IN_PERSON_N] += 1
                out[IN_PERSON_KM] += r.service_radius_km
    return out


def headline(sums: np.ndarray) -> dict[str, float]:
    """The report's headline figures from `_sums`: resident hours per request, service radius
    (all channels, online as 0 km, and in person) and abandoned per 1,000; nan before any request."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"resident_hours": float(sums[MINUTES] / 60 / sums[COUNT]),
                "radius": float(sums[RADIUS] / sums[ACCEPTED]),
                "in_person_radius": float(sums[IN_PERSON_KM] / sums[IN_PERSON_N]),
                "abandoned": float(1000 * sums[ABANDONED] / sums[COUNT])}


class Run:
    """One governance model in the app, and the requests it has completed so far (for the charts).

    The headline figures are sim.measure.metrics' definitions over every request whose need has
    arisen so far (open ones with their time so far), where the report leaves out the warm-up
    weeks: requests that are done or abandoned can no longer change, so they are summed once.
    """

    def __init__(self, name: str, scenario, seed: int):
        self.name = name
        self.meta = scenario["meta"]
        self.model = GovernanceModel(scenario, seed, live=True)
        self.step_minutes = scenario["run"]["step_minutes"]
        self._seen = 0
        self._pending: list = []
        days = math.ceil(self.model.stop / DAY) + 1
        self.cohort_needed = np.zeros(days, dtype=int)  # requests by the day their need arose
        self.cohort_done = np.zeros(days, dtype=int)
        self.cohort_latency = np.zeros(days)  # summed over the done ones, days
        self.done_day: list[float] = []
        self.done_latency: list[float] = []
        self.done_trips = 0
        self.done_remote = 0  # online or at the door: nobody went anywhere
        self._settled = np.zeros(7)  # `_sums` of the requests done or abandoned
        self.figures = headline(self._settled)
        # the running headline figures, a point per advance: day, in-person radius, resident hours
        self.history: dict[str, list[float]] = {"day": [], "in_person_radius": [], "resident_hours": []}

    @property
    def finished(self) -> bool:
        return self.model.time >= self.model.stop

    def advance_to(self, t: float) -> None:
        """Run the model's events up to minute `t` (at most its end) and collect the requests
        completed on the way; only open ones are looked at."""
        m = self.model
        m.run_until(min(t, m.stop))
        new = m.requests[self._seen:]
        np.add.at(self.cohort_needed, [int(r.t_need // DAY) for r in new], 1)
        self._pending.extend(new)
        self._seen = len(m.requests)
        still, settled = [], []
        for r in self._pending:
            if r.abandoned:
                settled.append(r)
                continue
            if r.t_done != r.t_done:
                still.append(r)
                continue
            settled.append(r)
            latency = (r.t_done - r.t_need) / DAY
            self.done_day.append(r.t_done / DAY)
            self.done_latency.append(latency)
            self.cohort_done[int(r.t_need // DAY)] += 1
            self.cohort_latency[int(r.t_need // DAY)] += latency
            self.done_trips += r.trips
            self.done_remote += r.channel in DOOR or r.channel == "online"
        self._pending = still
        self._settled += _sums(settled)
        self.figures = headline(self._settled + _sums(r for r in still if r.t_need <= m.time))
        if self._settled[COUNT] or still:
            self.history["day"].append(m.time / DAY)
            for key in ("in_person_radius", "resident_hours"):
                self.history[key].append(self.figures[key])

    def view(self) -> View:
        m = self.model
        t = m.time
        reqs = list(m.open.values())
        n = len(reqs)
        resident = np.fromiter((r.resident for r in reqs), np.int64, n)
        due = np.fromiter((r.t_mark for r in reqs), float, n)
        accepted = np.fromiter((r.t_accept == r.t_accept for r in reqs), bool, n)
        rid = np.fromiter((r.rid for r in reqs), np.int64, n)
        steps = np.array([r.stage for r in reqs], dtype=object)
        at_point_until = np.fromiter((r.at_point_until for r in reqs), float, n)
        home = m.territory.building_xy[m.home[resident]].astype(float)
        xy = home.copy()
        state = np.where(accepted, IN_PROGRESS, WAITING)
        slot = np.full(n, -1)
        trip = np.full((n, 4), np.nan)

        going = np.flatnonzero(steps == "arrive")  # on the way, or about to set off: all at once
        if len(going):
            channel = np.array([reqs[i].channel for i in going.tolist()], dtype=object)
            point = np.fromiter((reqs[i].point for i in going.tolist()), np.int64, len(going))
            minutes = m.travel.trips_to_points(channel, resident[going], point)[1]
            street = channel == "street"
            to = np.empty((len(going), 2))
            to[street] = np.reshape([m.streets[p].xy for p in point[street].tolist()], (-1, 2))
            to[~street] = np.reshape([m.communities[p].xy for p in point[~street].tolist()], (-1, 2))
            trip[going] = np.column_stack([due[going] - minutes, due[going], to])
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(minutes > 0, 1.0 - (due[going] - t) / minutes, 1.0)
            on_way = share > 0
            moving = going[on_way]
            state[moving] = TRAVELLING
            xy[moving] += np.minimum(share[on_way], 1.0)[:, None] * (to[on_way] - xy[moving])

        points = m.streets + m.communities
        queue = np.array([p.queue_length(t) for p in points])
        at_point: dict[int, list[int]] = {}
        for i in np.flatnonzero(at_point_until > t).tolist():
            station = m.point_of(reqs[i])
            at_point.setdefault(station.index + (0 if station.kind == "street" else len(m.streets)), []).append(i)
        for p, members in at_point.items():
            members.sort(key=lambda i: -at_point_until[i])  # the last to finish are the ones still queueing
            for rank, i in enumerate(members):
                state[i] = QUEUEING if rank < queue[p] else SERVED
                slot[i] = rank if rank < queue[p] else rank - queue[p]
                xy[i] = points[p].xy

        specialist_xy, specialist_on = self._specialists(t)
        worker_xy, worker_out = self._workers(t, reqs, steps, due)
        return View(
            t=t, rid=rid, resident=resident, xy=xy, home=home, trip=trip, state=state, slot=slot, queue=queue,
            held=np.array([len(c.held) for c in m.communities]),
            specialist_xy=specialist_xy, specialist_on=specialist_on,
            worker_xy=worker_xy, worker_out=worker_out,
        )

    def _specialists(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """At the community of the day while its session is open, else at their street centre."""
        m = self.model
        day = math.floor(t / DAY)
        xy, on = [], []
        for s in m.specialists:
            c = s.community_on(day)
            visiting = c is not None and m.communities[c].pools["specialist"].calendar.is_open(t)
            home = m.streets[m.communities[s.cluster[0]].street]
            xy.append(m.communities[c].xy if visiting and c is not None else home.xy)
            on.append(visiting)
        return np.reshape(np.array(xy, dtype=float), (-1, 2)), np.array(on, dtype=bool)

    def _workers(self, t: float, reqs: list, steps: np.ndarray, due: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A grid worker with a door visit in the coming step is at that door; one carrying files
        to the community station is there; the others are at their grid's workstation."""
        m = self.model
        terr = m.territory
        sizes = [len(ws) for ws in m.grid_workers]
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        xy = terr.grid_xy[np.repeat(np.arange(len(sizes)), sizes)].astype(float)
        out = np.zeros(len(xy), dtype=bool)
        soon = np.flatnonzero((due >= t) & (due < t + self.step_minutes) & ((steps == "door") | (steps == "carried")))
        for i in soon[np.argsort(due[soon])]:
            r = reqs[i]
            b = m.home[r.resident]
            g = int(terr.building_grid[b])
            w = first[g] + r.rid % sizes[g]
            if not out[w]:
                out[w] = True
                xy[w] = terr.building_xy[b] if steps[i] == "door" else terr.community_xy[terr.grid_community[g]]
        return xy, out


class LiveModel(mesa.Model):
    """What the page runs: one governance model, or two on the same residents and needs.

    Built from keyword controls so that SolaraViz can rebuild it on Reset. A policy file that
    cannot be read leaves the model empty with `error` set, for the page to show, since a
    planner's own file in scenarios/ may have a mistake in it. `territory` holds the overrides
    of a territory every policy runs on (a district's, from the server's command line).
    """

    def __init__(self, policy: str = "centralised", versus: str = NONE, demand: float = 1.0,
                 online: float = 0.0, specialists: int = 0, weekend: str = AS_FILE,
                 terminals: str = AS_FILE, seed: int | str = 1, scenario_dir: str | Path = "scenarios",
                 scale: float = 0.02, territory: tuple[str, ...] = ()):
        folder = Path(scenario_dir)
        error = control_error(folder, policy=policy, versus=versus, seed=seed, scale=scale, demand=demand,
                              online=online, specialists=specialists, weekend=weekend,
                              terminals=terminals)
        seed = 1 if error else int(seed)
        super().__init__(rng=seed)
        self.lock = threading.Lock()
        self.error: str | None = error
        self.runs: list[Run] = []
        for name in [] if error else [policy] if versus == NONE else [policy, versus]:
            path = folder / f"{name}.toml"
            try:
                controls = overrides(path, scale=scale, demand=demand, online=online, specialists=specialists,
                                     weekend=weekend, terminals=terminals, territory=territory)
                self.runs.append(Run(name, load(path, controls), seed))
            except (ScenarioError, OSError) as exc:
                self.error, self.runs = str(exc), []
                break
        self.running = bool(self.runs)

    def step(self) -> None:
        """One Mesa step: an hour, as the policy files' run.step_minutes say."""
        self.advance(self.runs[0].step_minutes if self.runs else 60)

    def advance(self, minutes: float) -> None:
        """Move every run on by `minutes` of simulated time (the page asks for a little at a time)."""
        with self.lock:
            end = self.clock + minutes
            for run in self.runs:
                run.advance_to(end)
            self.running = not all(run.finished for run in self.runs)

    @property
    def stop(self) -> float:
        return self.runs[0].model.stop if self.runs else 0.0

    @property
    def clock(self) -> float:
        """Simulated minutes since Monday 00:00 of week 1."""
        return self.runs[0].model.time if self.runs else 0.0

    def frame(self) -> list[View]:
        """Every run's live state, read under the lock so that a stepping thread cannot change
        the models halfway through."""
        with self.lock:
            return [run.view() for run in self.runs]
