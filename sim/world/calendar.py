"""Weekly opening-hours calendars and working-day arithmetic.

Time is minutes since Monday 00:00 of week 1. A calendar is a sorted list of disjoint weekly
intervals; opening hours, working hours and resident free time are all calendars, so "when may
this resident go" is an intersection, not a special case.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.clock import DAY, SPEC_FORMAT, WEEK, parse_spec


def _merge(intervals) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


@dataclass(frozen=True)
class Calendar:
    """A weekly pattern of open intervals, repeated every week."""

    intervals: tuple[tuple[float, float], ...]

    @classmethod
    def from_specs(cls, specs) -> Calendar:
        return cls(tuple(_merge(iv for s in specs for iv in parse_spec(s))))

    def union(self, other: Calendar) -> Calendar:
        return Calendar(tuple(_merge(self.intervals + other.intervals)))

    def complement(self) -> Calendar:
        out, t = [], 0.0
        for s, e in self.intervals:
            if s > t:
                out.append((t, s))
            t = e
        if t < WEEK:
            out.append((t, WEEK))
        return Calendar(tuple(out))

    def intersect(self, other: Calendar) -> Calendar:
        out = [
            (max(s1, s2), min(e1, e2))
            for s1, e1 in self.intervals
            for s2, e2 in other.intervals
            if max(s1, s2) < min(e1, e2)
        ]
        return Calendar(tuple(_merge(out)))

    @cached_property
    def _ends(self) -> list[float]:
        """Interval ends within the week, sorted: `session` is asked very often."""
        return [e for _, e in self.intervals]

    def session(self, t: float) -> tuple[float, float]:
        """The open interval containing t, or else the next one: (start, end) in absolute minutes;
        (inf, inf) for a calendar that is never open."""
        if not self.intervals:
            return math.inf, math.inf
        week = math.floor(t / WEEK)
        tw = t - week * WEEK
        i = bisect.bisect_right(self._ends, tw)
        if i == len(self.intervals):
            week, i = week + 1, 0
        s, e = self.intervals[i]
        base = week * WEEK
        start, end = base + s, base + e
        # An interval ending at the week's end joins one starting at the next week's start.
        if e == WEEK and self.intervals[0][0] == 0.0:
            end = base + WEEK + self.intervals[0][1]
        return max(start, t), end

    def sessions(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`session` for many times at once: arrays of starts and ends (inf where never open)."""
        t = np.asarray(t, dtype=float)
        if not self.intervals:
            return np.full(t.shape, np.inf), np.full(t.shape, np.inf)
        starts = np.array([s for s, _ in self.intervals])
        ends = np.array([e for _, e in self.intervals])
        week = np.floor(t / WEEK)
        i = np.searchsorted(ends, t - week * WEEK, side="right")
        wrap = i == len(ends)
        week, i = week + wrap, np.where(wrap, 0, i)
        base = week * WEEK
        end = base + ends[i]
        if self.intervals[-1][1] == WEEK and self.intervals[0][0] == 0.0:
            end = np.where(ends[i] == WEEK, base + WEEK + ends[0], end)
        return np.maximum(base + starts[i], t), end

    def is_open(self, t: float) -> bool:
        s = self.session(t)
        return s[0] == t and t < s[1]

    def minutes_open(self, t0: float, t1: float) -> float:
        """Open minutes in [t0, t1): the denominator of utilisation."""
        total, t = 0.0, t0
        while t < t1:
            s = self.session(t)
            if s[0] >= t1:
                break
            total += min(s[1], t1) - s[0]
            t = s[1]
        return total


def add_working_days(t: float, days: float) -> float:
    """t plus whole working days (Mon-Fri), keeping the time of day; a weekend start moves to Monday."""
    if days <= 0:
        return t
    day = math.floor(t / DAY)
    clock = t - day * DAY
    if day % 7 >= 5:
        day += 7 - day % 7
        clock = 0.0
    return _working_days_on(day, math.ceil(days)) * DAY + clock


def add_working_days_array(t: np.ndarray, days: np.ndarray) -> np.ndarray:
    """`add_working_days` for many times at once."""
    t, days = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(days, dtype=float))
    day = np.floor(t / DAY)
    clock = t - day * DAY
    weekend = day % 7 >= 5
    day = np.where(weekend, day + 7 - day % 7, day)
    clock = np.where(weekend, 0.0, clock)
    later = _working_days_on(day, np.ceil(days)) * DAY + clock
    return np.where(days > 0, later, t)


def _working_days_on(day, n):
    """The day n working days after a working day (Mon-Fri)."""
    weekday = day % 7
    weeks, rest = divmod(weekday + n, 5)
    return day - weekday + weeks * 7 + rest
