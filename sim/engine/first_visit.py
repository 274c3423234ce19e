"""The first-visit plan: for every need whose resident goes to a point in person, which point,
how far it is by road and how many minutes the trip takes.

All of it is fixed once the channels are chosen (`choice.py`), so it is worked out for every
need in one pass. The event flow (`flow.py`) and the bulk path (`on_the_spot.py`) both read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.world.policy import PHYSICAL


@dataclass(frozen=True, eq=False)
class FirstVisits:
    point: np.ndarray  # (N,) index among the points of the channel's kind; -1 without a trip
    km: np.ndarray  # (N,) road km from home; nan without a trip
    minutes: np.ndarray  # (N,) one-way travel minutes; nan without a trip


def plan_first_visits(travel, resident: np.ndarray, channel: np.ndarray) -> FirstVisits:
    trip = np.isin(channel, PHYSICAL)
    point = np.where(trip, travel.point_indices(channel, resident), -1)
    km, minutes = travel.trips_to_points(channel, resident, point)
    return FirstVisits(point, np.where(trip, km, np.nan), np.where(trip, minutes, np.nan))
