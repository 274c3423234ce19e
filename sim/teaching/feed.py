"""One simulation for every page that plays the same settings at the same pace.

A class opens the app together: thirty pages on the same settings, playing at the same speed
from the same moment, would have the server build and run thirty copies of one run and cut the
same frames thirty times. A `Feed` runs the model once and keeps the frames it made as a chain;
each page (a `Cursor`) walks the chain at its own pace, and only a page at its head moves the
model on. A page that asks for another step where the chain already went on (it chose another
speed), or falls too far behind, goes on with a branch: a model built to the moment it has
reached, which pages leaving at that moment for the same step share. A run's numbers do not
depend on how its time is cut (tests/test_app.py), so the page sees the same run go on.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Callable, Hashable

from sim.teaching.live import LiveModel
from sim.teaching.stream import Frame, Pager, Stream, combine

JOIN_SECONDS = 120.0  # a new page joins a feed at its start for this long (a class opening the app together)
KEEP = 240  # ... or until it holds this many frames (2 minutes at 1 hour/s); a page further behind takes a branch
FOLD = 16  # a feed nobody can join any more folds the frames its pages have passed once it holds this many
SAME_MOMENT = 1e-6  # minutes: a frame at this distance from the moment asked for is that moment


class Feed:
    """One LiveModel and the frames made from it. Frame i of the chain is `frames[i - first]`:
    frames every page has passed are folded into the oldest one kept, which is complete."""

    def __init__(self, make: Callable[[float], LiveModel], start: float):
        self.make = make
        self.live = make(start)
        self.stream = Stream(self.live) if self.live.runs else None
        self.frames: list[Frame] = [self.stream.frame()] if self.stream else []
        self.first = 0
        self.open = True  # new pages may join at its start
        self.born = time.monotonic()
        self.lock = threading.Lock()
        self.cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()
        self.branches: weakref.WeakValueDictionary[tuple[float, float], Feed] = weakref.WeakValueDictionary()
        self.branching = threading.Lock()

    def move(self, cursor: Cursor, minutes: float, full: bool) -> Frame | None:
        """The frame for a page that asks to move `minutes` on (0: the same moment again), complete
        if `full`; None when the page must go on with a model of its own."""
        with self.lock:
            if cursor.detached:
                return None
            k = cursor.index
            now = self.frames[k - self.first]
            target = min(now.t + minutes, self.live.stop)
            moved = target > now.t
            if moved:
                if k + 1 < self.first + len(self.frames):
                    if abs(self.frames[k + 1 - self.first].t - target) > SAME_MOMENT:
                        return None
                else:
                    self.live.advance(target - self.live.clock)
                    self.frames.append(self.stream.frame())  # type: ignore[union-attr]
                k = cursor.index = k + 1
            cursor.t = self.frames[k - self.first].t
            frame = (combine(self.frames[:k - self.first + 1]) if full
                     else self.frames[k - self.first] if moved else now.quiet())
            self._trim()
            return frame

    def _trim(self) -> None:
        """Once no more pages may join: a page far behind is detached (it will take a branch), and
        the frames every remaining page has passed are folded into one."""
        if self.open and (len(self.frames) > KEEP or time.monotonic() - self.born > JOIN_SECONDS):
            self.open = False
        if self.open or len(self.frames) <= FOLD:
            return
        head = self.first + len(self.frames) - 1
        cursors = list(self.cursors)
        for cursor in cursors:
            if cursor.index < head - KEEP // 2:
                cursor.detached = True
        cut = min((c.index for c in cursors if not c.detached), default=head)
        if cut > self.first:
            keep_from = cut - self.first
            self.frames = [combine(self.frames[:keep_from + 1]), *self.frames[keep_from + 1:]]
            self.first = cut

    def branch(self, t: float, minutes: float) -> Feed:
        """The feed that goes on from minute `t` in steps of `minutes`, for pages that leave this one
        there: the first builds its model, the others that leave at that moment for that step join it."""
        with self.branching:
            feed = self.branches.get((t, minutes))
            if feed is None or not feed.open:
                feed = self.branches[(t, minutes)] = Feed(self.make, t)
            return feed


class Cursor:
    """One page's place on a feed, and its numbered packets."""

    def __init__(self, feed: Feed):
        self.pager = Pager()
        self._join(feed)

    def _join(self, feed: Feed) -> None:
        """Take a place at the start of `feed`."""
        with feed.lock:
            self.feed, self.index, self.detached = feed, feed.first, False
            self.t = feed.frames[0].t if feed.frames else 0.0
            feed.cursors.add(self)

    @property
    def live(self) -> LiveModel:
        return self.feed.live

    def packet(self, minutes: float, full: bool = False) -> dict:
        """The next packet for the page: `minutes` on from its last one (0: the same moment again)."""
        frame = self.feed.move(self, minutes, full)
        if frame is None:  # the chain went another way, or on without the page: a branch from where it is
            branch = self.feed.branch(self.t, minutes)
            with self.feed.lock:
                self.feed.cursors.discard(self)
            self._join(branch)
            frame = branch.move(self, minutes, full=True)
            assert frame is not None
        return self.pager.packet(frame)


class Feeds:
    """The feeds a new page may join, by its settings and the moment it starts from: the first
    page builds the model, the others of its class join it at its start."""

    def __init__(self):
        self._open: weakref.WeakValueDictionary[Hashable, Feed] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    def join(self, key: Hashable, make: Callable[[float], LiveModel], start: float) -> Cursor:
        with self._lock:
            feed = self._open.get((key, start))
            if feed is None or not feed.open:
                feed = self._open[(key, start)] = Feed(make, start)
            return Cursor(feed)
