"""What the engine needs from Mesa's event scheduler beyond its public interface, in one place.

Mesa 3.5 keeps a default step event every time unit (with minutes as the unit, a year of empty
events) and keeps its event list as a heap in private attributes. The engine turns the former
off, peeks at the latter to take many due items in one event (`InTimeOrder`), and registers
many agents at once. Every reach into Mesa's private state is here and tested
(tests/test_scheduler.py), so a Mesa release that moves them fails in one place.
"""

from __future__ import annotations

import heapq
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


class InTimeOrder:
    """Items due at known, sorted times, taken one by one in time order with as few events as
    possible: every item due before anything else on the event list (and before the time the
    model is running to, `model.horizon`) is taken in the same event, each at its own time.
    Nothing can happen in between, and the event list stays short."""

    def __init__(self, model: mesa.Model, times: list[float], take: Callable[[int], None]):
        self.model, self.times, self.take = model, times, take
        self.next = 0  # the first item not yet taken

    def start(self) -> None:
        if self.times:
            self.model.schedule_event(self._due, at=self.times[0])

    def _due(self) -> None:
        m, times, k = self.model, self.times, self.next  # the event fires at times[k]
        while True:
            self.take(k)
            k += 1
            if k == len(times) or not times[k] < min(m.horizon, next_event_time(m)):
                break
            m.time = times[k]
        self.next = k
        if k < len(times):
            m.schedule_event(self._due, at=times[k])
