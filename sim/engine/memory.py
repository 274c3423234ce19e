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

    def met(self, t: float, resident: int, channel: str, days: float, trips: float) -> list[int]:
        """Record what `resident` met at time t; returns everyone who now knows of it."""
        j = CHANNELS.index(channel)
        told = [resident, *self.network.of(resident)]
        for hearer in told:
            self.heard.setdefault(hearer, []).append((t, resident, j, days, trips))
        return told

    def knows(self, resident: int) -> bool:
        return resident in self.heard

    def learned(self, resident: int, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Extra days and trips the resident expects at each channel (CHANNELS order), as of `now`."""
        days, trips, weight = (np.zeros(len(CHANNELS)) for _ in range(3))
        for t, source, j, d, k in self.heard.get(resident, ()):
            if t <= now:
                w = 1.0 if source == resident else self.hearsay_weight
                days[j] += w * d
                trips[j] += w * k
                weight[j] += w
        return days / (1 + weight), trips / (1 + weight)

    def entries(self) -> list[tuple[int, float, int, int, float, float]]:
        """Everything heard, as (hearer, t, source, channel index, days, trips)."""
        return [(h, *e) for h, es in self.heard.items() for e in es]
