"""What the engine needs from Mesa's event scheduler beyond its public interface, in one place.

Mesa 3.5 keeps a default step event every time unit (with minutes as the unit, a year of empty
events) and keeps its event list as a heap in private attributes. The engine turns the former
off and peeks at the latter to take many due items in one event (`Agenda`). Every reach into Mesa's private state is here and tested
(tests/test_scheduler.py), so a Mesa release that moves them fails in one place.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable

import mesa


def make_event_driven(model: mesa.Model, step: Callable[[], None]) -> None:
    """Stop Mesa's default one-unit step event; `model.step()` then calls `step`."""
    model._default_schedule.stop()
    model.step = step  # Mesa replaced the class's step with its one-unit step when the model was made


def next_event_time(model: mesa.Model) -> float:
    """When the earliest queued event that will fire is due (inf when none is). Mesa leaves a
    cancelled event on its heap until it comes up; one at the top is dropped here."""
    events = model._event_list._events
    while events and events[0].CANCELED:
        heapq.heappop(events)
    return events[0].time if events else math.inf


class Agenda:
    """What the requests have planned, taken in time order with as few Mesa events as possible.

    Two kinds of items: callbacks planned at a time (`at`; ties in the order they were planned)
    and streams of items due at times known up front (`add_stream`: sorted times, each item taken
    by its index). The earliest item has a Mesa event; when it fires, every next item due before
    anything else on Mesa's event list (and before `model.horizon`, where the clock is running
    to) is taken in the same event, each with the clock at its own time. Nothing can happen in
    between, so the order is the one a Mesa event per item would give, at a small part of the
    cost (two weak references, an event object and a heap of Python comparisons per event)."""

    def __init__(self, model: mesa.Model):
        self.model = model
        self._planned: list[tuple[float, int, Callable[[], None]]] = []  # heap of (time, order, callback)
        self._order = itertools.count()
        self._streams: list[_Stream] = []
        self._event = None  # the Mesa event at the earliest item's time
        self._taking = False

    def at(self, t: float, callback: Callable[[], None]) -> None:
        """Call `callback` with the clock at t (held strongly until then)."""
        heapq.heappush(self._planned, (t, next(self._order), callback))
        if not self._taking and (self._event is None or t < self._event.time):
            self._schedule(t)

    def add_stream(self, times: list[float], take: Callable[[int], None]) -> _Stream:
        """Items due at sorted `times`; `take(k)` is called for the k-th with the clock at its time."""
        stream = _Stream(times, take)
        self._streams.append(stream)
        if times and not self._taking and (self._event is None or times[0] < self._event.time):
            self._schedule(times[0])
        return stream

    def _schedule(self, t: float) -> None:
        if self._event is not None:
            self._event.cancel()
        self._event = self.model.schedule_event(self._due, at=t)

    def _next(self) -> tuple[float, _Stream | None]:
        """The earliest item's time and its stream (None: a planned callback; inf: nothing left)."""
        t, source = (self._planned[0][0], None) if self._planned else (math.inf, None)
        for stream in self._streams:
            if stream.next < len(stream.times) and stream.times[stream.next] < t:
                t, source = stream.times[stream.next], stream
        return t, source

    def _due(self) -> None:
        m = self.model
        self._event, self._taking = None, True
        t, source = self._next()  # due now: this event was scheduled at its time
        try:
            while True:
                if source is None:
                    heapq.heappop(self._planned)[2]()
                else:
                    source.next += 1
                    source.take(source.next - 1)
                t, source = self._next()
                if t == math.inf or not t < min(m.horizon, next_event_time(m)):
                    break
                m.time = t
        finally:
            self._taking = False
        if t < math.inf:
            self._schedule(t)


class _Stream:
    def __init__(self, times: list[float], take: Callable[[int], None]):
        self.times, self.take = times, take
        self.next = 0  # the first item not yet taken
