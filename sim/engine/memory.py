"""What residents remember of each channel, and what they hear from their acquaintances.

A resident remembers what went worse than the policy promised: a turn-away at the window (a
wasted trip and the days till the next try), a file held for a specialist (days), being sent on
to the street centre or back by the audit (a trip, days). Routine visits confirm what everyone
expects and leave nothing to tell. Each experience is told to the resident's acquaintances
(`network.py`), who give it `adapt.hearsay_weight` beside their own. What a resident expects
of a channel on top of the policy's promise is the weighted mean of what they met or heard,
shrunk towards nothing by one routine experience's weight:
    learned(channel) = sum(w * x) / (1 + sum(w)).
Only experiences dated at or before the moment of asking count, so nobody learns from the future.

A channel a reform opens (`adapt.new_channels`) is known from the start to a share
`adapt.aware_of_new` of residents; the others hear of it when they or an acquaintance use it.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.files import CHANNELS


class Memory:
    def __init__(self, network, hearsay_weight: float):
        """`network`: who tells whom (`network.Acquaintances`, or anything with `of(resident)`)."""
        self.network = network
        self.hearsay_weight = hearsay_weight
        self.heard: dict[int, list[tuple[float, int, int, float, float]]] = {}  # hearer -> (t, source, channel, days, trips)
        self.told_of: dict[int, list[tuple[float, int, int]]] = {}  # hearer -> (t, source, channel) of a new channel used

    def met(self, t: float, resident: int, channel: str, days: float, trips: float) -> list[int]:
        """Record what `resident` met at time t; returns everyone who now knows of it."""
        j = CHANNELS.index(channel)
        told = [resident, *self.network.of(resident)]
        for hearer in told:
            self.heard.setdefault(hearer, []).append((t, resident, j, days, trips))
        return told

    def used(self, t: float, resident: int, channel: str) -> list[int]:
        """`resident` used a new channel at t; returns everyone who now knows of it."""
        j = CHANNELS.index(channel)
        told = [resident, *self.network.of(resident)]
        for hearer in told:
            self.told_of.setdefault(hearer, []).append((t, resident, j))
        return told

    def knows(self, resident: int) -> bool:
        """Whether the resident has met or heard anything at all (dated now or later)."""
        return resident in self.heard or resident in self.told_of

    def known(self, resident: int, now: float) -> list[bool]:
        """Channels (CHANNELS order) the resident has heard of being used, as of `now`. Plain
        Python, like `learned`: asked for one resident of six channels, numpy would cost more."""
        out = [False] * len(CHANNELS)
        for t, _source, j in self.told_of.get(resident, ()):
            if t <= now:
                out[j] = True
        return out

    def learned(self, resident: int, now: float) -> tuple[list[float], list[float]]:
        """Extra days and trips the resident expects at each channel (CHANNELS order), as of `now`."""
        days, trips, weight = [0.0] * len(CHANNELS), [0.0] * len(CHANNELS), [0.0] * len(CHANNELS)
        for t, source, j, d, k in self.heard.get(resident, ()):
            if t <= now:
                w = 1.0 if source == resident else self.hearsay_weight
                days[j] += w * d
                trips[j] += w * k
                weight[j] += w
        return [d / (1 + w) for d, w in zip(days, weight)], [k / (1 + w) for k, w in zip(trips, weight)]

    def entries(self) -> list[tuple[int, float, int, int, float, float]]:
        """Everything heard, as (hearer, t, source, channel index, days, trips); a new channel
        heard of has days and trips nan."""
        return [(h, *e) for h, es in self.heard.items() for e in es] + \
               [(h, t, s, j, np.nan, np.nan) for h, es in self.told_of.items() for t, s, j in es]
