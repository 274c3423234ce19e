"""The specialists' rota as a table: which community has a specialist in on which day.

Whether a specialist is in today, and when one next comes, is asked for every request to a
community station where only specialists may decide; the rota is fixed for the run, so the
answers are worked out once, for every day of the run, and looked up. Days past the table (a
plan made near the end of a run) are worked out from the rota itself.
"""

from __future__ import annotations

import numpy as np


class Rota:
    def __init__(self, specialists: list, communities: int, days: int):
        """`days`: the run's length in days; the table reaches as far past it as anyone looks ahead."""
        self.specialists = specialists
        self.at = [[s for s in specialists if c in s.cluster] for c in range(communities)]
        # Residents who know the rota look ahead this many days for a visit to their community.
        self.horizon = [7 * max(1, max((len(s.cluster) for s in at), default=1)) for at in self.at]
        days += max(self.horizon, default=0)
        self.present = np.zeros((communities, days), bool)
        for s in specialists:
            for day in range(days):
                c = s.community_on(day)
                if c is not None:
                    self.present[c, day] = True
        never = np.iinfo(np.int64).max
        upcoming = np.where(self.present, np.arange(days), never)
        self.next = np.minimum.accumulate(upcoming[:, ::-1], axis=1)[:, ::-1]  # first visit day >= each day

    def is_present(self, community: int, day: int) -> bool:
        if day < self.present.shape[1]:
            return bool(self.present[community, day])
        return any(s.community_on(day) == community for s in self.at[community])

    def days_to_visit(self, community: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Days from each `day` until a specialist is next in at each `community` (0: today; inf: none)."""
        day = np.minimum(day, self.next.shape[1] - 1)
        d = self.next[community, day]
        return np.where(d == np.iinfo(np.int64).max, np.inf, d - day).astype(float)

    def next_visit(self, community: int, day: int) -> int | None:
        """The first day from `day` within the community's look-ahead with a specialist in, or None."""
        last = day + self.horizon[community]
        if last <= self.present.shape[1]:
            d = int(self.next[community, day])
            return d if d < last else None
        return next((d for d in range(day, last) if self.is_present(community, d)), None)
