"""One simulation for every page that plays the same settings at the same pace.

A class opens the app together: thirty pages on the same settings, playing at the same speed
from the same moment, would have the server build and run thirty copies of one run and cut the
same frames thirty times. A `Feed` runs the model once and keeps the frames it made as a chain;
each page (a `Cursor`) walks the chain at its own pace, and only a page at its head moves the
model on. A page that asks for another step where the chain already went on (it chose another
speed), or falls too far behind, goes on with a model of its own built to the moment it has
reached: a run's numbers do not depend on how its time is cut (tests/test_app.py), so the page
sees the same run go on.
"""

from __future__ import annotations

import threading
import weakref
from typing import Callable, Hashable

from sim.teaching.live import LiveModel
from sim.teaching.stream import Frame, Pager, Stream, combine

KEEP = 600  # frames a shared chain holds: 5 minutes at 1 hour/s; a page further behind gets a model of its own
KEEP_OWN = 16  # frames a page's own model holds before they are folded into one
SAME_MOMENT = 1e-6  # minutes: a frame at this distance from the moment asked for is that moment


class Feed:
    """One LiveModel and the frames made from it. Frame i of the chain is `frames[i - first]`:
    frames every page has passed are folded into the oldest one kept, which is complete."""

    def __init__(self, make: Callable[[float], LiveModel], start: float, shared: bool):
        self.make = make
        self.live = make(start)
        self.stream = Stream(self.live) if self.live.runs else None
        self.frames: list[Frame] = [self.stream.frame(full=True)] if self.stream else []
        self.first = 0
        self.open = shared  # new pages may join at its start
        self.keep = KEEP if shared else KEEP_OWN
        self.lock = threading.Lock()
        self.cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()

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
        """Past `keep` frames: no more pages join, a page far behind is detached (it will go on with
        a model of its own), and the frames every remaining page has passed are folded into one."""
        if len(self.frames) <= self.keep:
            return
        self.open = False
        head = self.first + len(self.frames) - 1
        cursors = list(self.cursors)
        for cursor in cursors:
            if cursor.index < head - self.keep // 2:
                cursor.detached = True
        cut = min((c.index for c in cursors if not c.detached), default=head)
        if cut > self.first:
            keep_from = cut - self.first
            self.frames = [combine(self.frames[:keep_from + 1]), *self.frames[keep_from + 1:]]
            self.first = cut


class Cursor:
    """One page's place on a feed, and its numbered packets."""

    def __init__(self, feed: Feed):
        self.feed = feed
        self.index = feed.first
        self.t = feed.frames[0].t if feed.frames else 0.0
        self.detached = False
        self.pager = Pager()
        with feed.lock:
            feed.cursors.add(self)

    @property
    def live(self) -> LiveModel:
        return self.feed.live

    def packet(self, minutes: float, lang: str, full: bool = False) -> dict:
        """The next packet for the page: `minutes` on from its last one (0: the same moment again)."""
        frame = self.feed.move(self, minutes, full)
        if frame is None:  # the chain went another way: a model of its own, from where the page is
            with self.feed.lock:
                self.feed.cursors.discard(self)
            self.feed = Feed(self.feed.make, self.t, shared=False)
            self.index, self.detached = 0, False
            self.feed.cursors.add(self)
            frame = self.feed.move(self, minutes, full=True)
            assert frame is not None
        return self.pager.packet(frame, lang)


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
                feed = self._open[(key, start)] = Feed(make, start, shared=True)
            return Cursor(feed)
