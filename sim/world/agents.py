"""The Mesa agents: residents, service points with their windows, grid workers and specialists.

Behaviour that involves a single request lives in `flow.py`; agents hold state that requests
share (window queues, held files, rotas) and account their staff time.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections.abc import Sequence

import mesa
import numpy as np

from sim.clock import DAY
from sim.world.calendar import Calendar


class WindowPool:
    """c identical windows, first come first served, open by a calendar.

    Under FIFO no later arrival can change an earlier one's start, so the start is computed on
    arrival instead of scheduling every departure. Whoever has started by the session's end is
    served; whoever would start later is turned away to come back another day.
    """

    def __init__(self, windows: int, calendar: Calendar, staff: str, watched: bool = False):
        """`watched`: a live view shows the queue, so future service starts are kept for it."""
        self.free_at = [0.0] * windows
        self.calendar, self.staff, self.windows, self.watched = calendar, staff, windows, watched
        self.busy = 0.0  # staff minutes since the warm-up ended
        self.starts: list[float] = []  # heap of future service starts: the queue a visitor sees

    def book(self, t: float, minutes: float, session_end: float | None = None) -> tuple[float, float] | None:
        if session_end is None:
            session_end = self.calendar.session(t)[1]
            if session_end == math.inf:  # never open
                return None
        free = self.free_at[0]
        start = t if t > free else free
        if start > session_end:
            return None
        heapq.heapreplace(self.free_at, start + minutes)
        self.busy += minutes
        if self.watched:
            self._forget_started(t)
            if start > t:
                heapq.heappush(self.starts, start)
        return start, start + minutes

    def _forget_started(self, t: float) -> None:
        while self.starts and self.starts[0] <= t:
            heapq.heappop(self.starts)

    def queue_length(self, t: float) -> int:
        self._forget_started(t)
        return len(self.starts)


class ServicePoint(mesa.Agent):
    """A place a resident can go to: it has a position and window pools per staff kind."""

    kind = "point"

    def __init__(self, model, index: int, xy: np.ndarray, name_en: str, name_zh: str):
        super().__init__(model)
        self.index, self.xy, self.name_en, self.name_zh = index, xy, name_en, name_zh
        self.pools: dict[str, WindowPool] = {}

    def queue_length(self, t: float) -> int:
        return sum(p.queue_length(t) for p in self.pools.values())


class StreetCentre(ServicePoint):
    """街道为民服务中心: street staff at windows."""

    kind = "street"


class CommunityStation(ServicePoint):
    """社区便民服务站: community staff, a visiting specialist's window, a self-service terminal,
    and the files pre-accepted while no specialist was present."""

    kind = "community"

    def __init__(self, model, index, xy, name_en, name_zh, street: int):
        super().__init__(model, index, xy, name_en, name_zh)
        self.street = street
        self.held: list = []
        self.visits: list[tuple[int, int]] = []  # (cycle length, position) of each specialist's rota


class Resident(mesa.Agent):
    """A resident as a Mesa agent; attributes live in the model's arrays (indexed by `index`)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def home(self) -> int:
        return int(self.model.home[self.index])

    @property
    def elderly(self) -> bool:
        return bool(self.model.elderly[self.index])

    @property
    def employed(self) -> bool:
        return bool(self.model.employed[self.index])

    @property
    def literate(self) -> bool:
        return bool(self.model.literate[self.index])


class Residents(Sequence):
    """All residents of a model, kept as the model's arrays: making and registering 220,000 Mesa
    agents took most of a street run's set-up, and the engine reads residents by index, in bulk.
    `residents[i]` is resident i as a Mesa agent, made and registered with the model the first
    time it is asked for (the same agent every time after)."""

    def __init__(self, model, count: int):
        self.model, self._size = model, count
        self._agents: dict[int, Resident] = {}

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._size))]
        k = operator.index(i)
        if not -self._size <= k < self._size:
            raise IndexError(f"resident {i} of {self._size}")
        k %= self._size
        agent = self._agents.get(k)
        if agent is None:
            agent = self._agents[k] = Resident(self.model, k)
        return agent


class GridWorker(mesa.Agent):
    """网格员: accepts requests at the door, carries files on rounds, brings results home."""

    def __init__(self, model, grid: int):
        super().__init__(model)
        self.grid = grid
        self.busy = 0.0


class Specialist(mesa.Agent):
    """授权专员: employed by the street, visits the communities of a cluster on a weekly rota.

    On each visit day (weekdays, 0 = Monday) they are at one community for all its sessions; one
    posted to a single community (派驻) stays there, one with a cluster travels from the street
    centre and back, which is staff time. At the start of each session a bounded number of the
    files held meanwhile are decided first, then walk-ins.
    """

    def __init__(self, model, cluster: list[int], weekdays: tuple[int, ...]):
        super().__init__(model)
        self.cluster, self.weekdays = cluster, weekdays
        self.last_day = -1

    def community_on(self, day: int) -> int | None:
        """The community this specialist visits on a given day, or None on a day without visits."""
        if day % 7 not in self.weekdays:
            return None
        visit = (day // 7) * len(self.weekdays) + self.weekdays.index(day % 7)
        return self.cluster[visit % len(self.cluster)]

    def schedule_next_visit(self, after: float) -> None:
        """At the next session start, at or after `after` (not inside a session), on a visit day."""
        t = after
        while True:
            day = math.floor(t / DAY)
            c = self.community_on(day)
            if c is not None:
                session = self.model.communities[c].pools["specialist"].calendar.session(t)
                if session[0] < (day + 1) * DAY:
                    self.model.schedule_event(self.visit, at=session[0])
                    return
            t = (day + 1) * DAY

    def visit(self) -> None:
        t = self.model.time
        day = math.floor(t / DAY)
        station = self.model.communities[self.community_on(day)]
        self.model.flow.specialist_arrives(station, t, travels=len(self.cluster) > 1 and day != self.last_day)
        self.last_day = day
        self.schedule_next_visit(station.pools["specialist"].calendar.session(t)[1])
