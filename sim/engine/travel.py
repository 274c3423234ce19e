"""Travel: which point a resident goes to, how far it is by road and how many minutes it takes.

Distances from homes are fixed by the territory, so they are worked out once per territory
(`home_distances`) for every building. Every distance goes through `Territory.road_km_pairs`;
walk-or-ride minutes are one rule (`walk_or_ride`) in a one-value and an array form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.forms import pick
from sim.world.territory import Territory


@dataclass(frozen=True, eq=False)
class HomeDistances:
    """Road km from every building to the points its residents deal with."""

    community: np.ndarray  # (B,) to its community station
    street: np.ndarray  # (B,) to its street centre
    nearest_street: np.ndarray  # (B,) index of the nearest street centre
    nearest_street_km: np.ndarray  # (B,) to it
    grid: np.ndarray  # (B,) to its grid workstation


def home_distances(t: Territory) -> HomeDistances:
    bxy = t.building_xy
    to_streets = t.road_km(bxy, t.street_xy)
    nearest = np.argmin(to_streets, axis=1)
    return _read_only(HomeDistances(
        community=t.road_km_pairs(bxy, t.community_xy[t.building_community]),
        street=t.road_km_pairs(bxy, t.street_xy[t.building_street]),
        nearest_street=nearest, nearest_street_km=to_streets[np.arange(len(bxy)), nearest],
        grid=t.road_km_pairs(bxy, t.grid_xy[t.building_grid])))


def _read_only(km: HomeDistances) -> HomeDistances:
    """Shared by every model of the territory (`build.py` keeps them per process)."""
    for value in vars(km).values():
        value.setflags(write=False)
    return km


def walk_or_ride(km, walk_kmh, cfg: dict, where):
    """Minutes for a one-way trip: walk up to `walk_max_km`, else ride (plus getting to the ride)."""
    return where(km <= cfg["walk_max_km"], km / walk_kmh * 60, km / cfg["ride_kmh"] * 60 + cfg["ride_access_minutes"])


class Travel:
    """Trips of the residents of one model: `home` and `walk_kmh` are per resident."""

    def __init__(self, territory: Territory, km: HomeDistances, home: np.ndarray, walk_kmh: np.ndarray,
                 residents: dict, any_street_centre: bool, specialist_kmh: float):
        self.territory, self.km, self.home, self.walk_kmh = territory, km, home, walk_kmh
        self.cfg, self.any_street_centre, self.specialist_kmh = residents, any_street_centre, specialist_kmh
        # the street centre residents of each building go to, and how far it is
        self.street_of = km.nearest_street if any_street_centre else territory.building_street
        self.street_km = km.nearest_street_km if any_street_centre else km.street

    def point_index(self, channel: str, res: int) -> int:
        """The point a resident goes to by a channel: a street centre, else their community station."""
        b = self.home[res]
        return int(self.street_of[b] if channel == "street" else self.territory.building_community[b])

    def point_indices(self, channel: np.ndarray, res: np.ndarray) -> np.ndarray:
        """`point_index` for many trips at once."""
        b = self.home[res]
        return np.where(channel == "street", self.street_of[b], self.territory.building_community[b])

    def km_to(self, res: int, point) -> float:
        """Road km from a resident's home to a service point (a street centre or community station)."""
        b = self.home[res]
        if point.kind == "community":
            return float(self.km.community[b])
        if point.index == self.territory.building_street[b]:
            return float(self.km.street[b])
        return float(self.territory.road_km_pairs(self.territory.building_xy[b], point.xy))

    def km_to_points(self, channel: np.ndarray, res: np.ndarray, point: np.ndarray) -> np.ndarray:
        """`km_to` for many trips at once, each to its `point` of its channel's kind."""
        t, b = self.territory, self.home[res]
        km = self.km.community[b]
        street = channel == "street"
        to, home = point[street], b[street]
        km[street] = np.where(to == t.building_street[home], self.km.street[home],
                              t.road_km_pairs(t.building_xy[home], t.street_xy[to]))
        return km

    def minutes(self, km: float, res: int) -> float:
        return walk_or_ride(km, self.walk_kmh[res], self.cfg, pick)

    def minutes_array(self, km: np.ndarray, res: np.ndarray) -> np.ndarray:
        """`minutes` for many trips at once."""
        return walk_or_ride(km, self.walk_kmh[res], self.cfg, np.where)

    def minutes_to(self, res: int, point) -> float:
        return self.minutes(self.km_to(res, point), res)

    def minutes_between(self, a, b, res: int) -> float:
        """A resident's trip from one point to another (sent on from a station to the street centre)."""
        return self.minutes(float(self.territory.road_km_pairs(a.xy, b.xy)), res)

    def specialist_round_trip(self, station, street) -> float:
        """Minutes of a specialist's trip from the street centre to a station and back."""
        return 2 * float(self.territory.road_km_pairs(station.xy, street.xy)) / self.specialist_kmh * 60

    def worker_round_trip(self, res: int) -> float:
        """Minutes of a grid worker's walk from the workstation to a resident's door and back."""
        return 2 * float(self.km.grid[self.home[res]]) / self.cfg["walk_kmh"] * 60
