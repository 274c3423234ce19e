"""Travel: which point a resident goes to, how far it is by road and how many minutes it takes.

Distances from homes are fixed by the territory, so they are worked out once per territory
(`home_distances`) for every building, as `Legs`: road km (the radius), and km at walking and
at riding pace, which differ from km only along a road network whose classes have speeds of
their own (`sim/world/roads.py`). Walk-or-ride minutes are one rule (`walk_or_ride`) in a
one-value and an array form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.forms import pick
from sim.world.roads import Legs
from sim.world.territory import Territory


@dataclass(frozen=True, eq=False)
class HomeDistances:
    """Trips from every building to the points its residents deal with, and between points."""

    community: Legs  # (B,) to its community station
    street: Legs  # (B,) to its street centre
    to_streets: Legs  # (B, S) to every street centre
    nearest_street: np.ndarray  # (B,) index of the nearest street centre
    grid: Legs  # (B,) to its grid workstation
    station_street: Legs  # (C, S) from each community station to each street centre


def home_distances(t: Territory) -> HomeDistances:
    bxy = t.building_xy
    to_streets = t.legs(bxy, t.street_xy)
    return _read_only(HomeDistances(
        community=t.legs_paired(bxy, t.community_xy[t.building_community]),
        street=t.legs_paired(bxy, t.street_xy[t.building_street]),
        to_streets=to_streets, nearest_street=np.argmin(to_streets.km, axis=1),
        grid=t.legs_paired(bxy, t.grid_xy[t.building_grid]),
        station_street=t.legs(t.community_xy, t.street_xy)))


def _read_only(km: HomeDistances) -> HomeDistances:
    """Shared by every model of the territory (`build.py` keeps them per process)."""
    for value in vars(km).values():
        for array in vars(value).values() if isinstance(value, Legs) else [value]:
            array.setflags(write=False)
    return km


def _at(legs: Legs, index) -> Legs:
    return Legs(legs.km[index], legs.walk_km[index], legs.ride_km[index])


def walk_or_ride(legs: Legs, walk_kmh, cfg: dict, where):
    """Minutes for a one-way trip: walk up to `walk_max_km`, else ride (plus getting to the ride)."""
    return where(legs.km <= cfg["walk_max_km"], legs.walk_km / walk_kmh * 60,
                 legs.ride_km / cfg["ride_kmh"] * 60 + cfg["ride_access_minutes"])


class Travel:
    """Trips of the residents of one model: `home` and `walk_kmh` are per resident."""

    def __init__(self, territory: Territory, km: HomeDistances, home: np.ndarray, walk_kmh: np.ndarray,
                 residents: dict, any_street_centre: bool, specialist_kmh: float):
        self.territory, self.km, self.home, self.walk_kmh = territory, km, home, walk_kmh
        self.cfg, self.any_street_centre, self.specialist_kmh = residents, any_street_centre, specialist_kmh
        # the street centre residents of each building go to, and the trip there
        self.street_of = km.nearest_street if any_street_centre else territory.building_street
        nearest = _at(km.to_streets, (np.arange(len(km.nearest_street)), km.nearest_street))
        self.street = nearest if any_street_centre else km.street
        self.street_km = self.street.km

    def point_index(self, channel: str, res: int) -> int:
        """The point a resident goes to by a channel: a street centre, else their community station."""
        b = self.home[res]
        return int(self.street_of[b] if channel == "street" else self.territory.building_community[b])

    def point_indices(self, channel: np.ndarray, res: np.ndarray) -> np.ndarray:
        """`point_index` for many trips at once."""
        b = self.home[res]
        return np.where(channel == "street", self.street_of[b], self.territory.building_community[b])

    def legs_to(self, res: int, point) -> Legs:
        """The trip from a resident's home to a service point (a street centre or community station)."""
        b = self.home[res]
        if point.kind == "community":
            return _at(self.km.community, b)
        return _at(self.km.to_streets, (b, point.index))

    def legs_to_points(self, channel: np.ndarray, res: np.ndarray, point: np.ndarray) -> Legs:
        """`legs_to` for many trips at once, each to its `point` of its channel's kind."""
        b = self.home[res]
        street = channel == "street"
        out = _at(self.km.community, b)
        to = _at(self.km.to_streets, (b[street], point[street]))
        for name in ("km", "walk_km", "ride_km"):
            getattr(out, name)[street] = getattr(to, name)
        return out

    def home_minutes(self, kind: str, res: np.ndarray) -> np.ndarray:
        """Minutes from home to the street centre or community station each resident goes to."""
        legs = self.street if kind == "street" else self.km.community
        return walk_or_ride(_at(legs, self.home[res]), self.walk_kmh[res], self.cfg, np.where)

    def km_to(self, res: int, point) -> float:
        return float(self.legs_to(res, point).km)

    def minutes_to(self, res: int, point) -> float:
        return float(walk_or_ride(self.legs_to(res, point), self.walk_kmh[res], self.cfg, pick))

    def trips_to_points(self, channel: np.ndarray, res: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Road km and one-way minutes of many trips at once."""
        legs = self.legs_to_points(channel, res, point)
        return legs.km, walk_or_ride(legs, self.walk_kmh[res], self.cfg, np.where)

    def minutes_by(self, channel: str, res: int) -> float:
        """One-way minutes of a resident's trip to the point of a channel (`trips_to_points` for one)."""
        b = self.home[res]
        legs = _at(self.km.to_streets, (b, self.street_of[b])) if channel == "street" else _at(self.km.community, b)
        return float(walk_or_ride(legs, self.walk_kmh[res], self.cfg, pick))

    def minutes_between(self, station, street, res: int) -> float:
        """A resident's trip from a community station on to a street centre."""
        legs = _at(self.km.station_street, (station.index, street.index))
        return float(walk_or_ride(legs, self.walk_kmh[res], self.cfg, pick))

    def specialist_round_trip(self, station, street) -> float:
        """Minutes of a specialist's ride from the street centre to a station and back."""
        return 2 * float(self.km.station_street.ride_km[station.index, street.index]) / self.specialist_kmh * 60

    def worker_round_trip(self, res: int) -> float:
        """Minutes of a grid worker's walk from the workstation to a resident's door and back."""
        return 2 * float(self.km.grid.walk_km[self.home[res]]) / self.cfg["walk_kmh"] * 60
