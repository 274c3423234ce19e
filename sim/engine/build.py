"""The world a scenario describes, before any resident has a need: territory and distances from
homes, service catalogue, policy, window counts and the specialists' rota.

`build_world` is what a model is made from and what `python -m sim check` checks (`check`), so both read a
scenario the same way and fail on it with the same error line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.clock import WEEKDAYS
from sim.engine.streams import spawn
from sim.engine.travel import HomeDistances, home_distances
from sim.scenario.files import Scenario
from sim.world.calendar import Calendar
from sim.world.catalogue import Catalogue, load_catalogue
from sim.world.policy import Policy, build_policy
from sim.world.territory import Territory, build_territory


@dataclass(frozen=True, eq=False)
class World:
    territory: Territory
    home_km: HomeDistances
    catalogue: Catalogue
    policy: Policy
    street_windows: np.ndarray  # (S,) per street centre
    community_windows: np.ndarray  # (C,) per community station, resident-facing, for community staff
    clusters: list[list[int]]  # communities on each specialist's rota
    weekdays: tuple[int, ...]  # of specialists' visits (0 = Monday); () without specialists
    visit_hours: Calendar  # when a specialist may be at a station: its hours on visit days


def build_world(scenario: Scenario, seed: int) -> World:
    """Everything a model of `scenario` is made from that no resident's draw changes;
    `seed` is the run's (the generated territory layouts draw from its own stream)."""
    v = scenario.values
    territory, home_km = _territory(_territory_cfg(v["territory"]), seed, scenario.where("territory"))
    catalogue = load_catalogue(v["catalogue"]["file"], v["catalogue"].get("items"), scenario.where("catalogue.items"))
    policy = build_policy(scenario, catalogue, {"street": territory.street_hours, "community": territory.community_hours})
    clusters = specialist_clusters(scenario, territory, policy)
    points, staff = v["points"], v["staff"]
    return World(
        territory=territory, home_km=home_km, catalogue=catalogue, policy=policy,
        street_windows=street_windows(territory, points["street"]["windows"]),
        community_windows=community_windows(territory, points["community"]["windows"]),
        clusters=clusters, weekdays=specialist_weekdays(scenario, policy) if clusters else (),
        visit_hours=policy.hours["community"].intersect(visit_calendar(staff["specialist"]["visit_days"])))


# Territories kept per process: a worker running many replicates of several policies builds each
# replicate's territory once (replicate r of every policy has the same seed).
TERRITORIES_KEPT = 8
_territories: OrderedDict[tuple, tuple[Territory, HomeDistances]] = OrderedDict()


def _territory(cfg: dict, seed: int, where: str) -> tuple[Territory, HomeDistances]:
    """The territory of these values and the distances from its homes, built once per process.
    Territories are read-only, so models share them. A generated layout draws from the seed's
    territory stream, so the seed is part of what shapes it (an explicit one does not), and so
    are the data files it reads, as they are now."""
    key = (json.dumps(cfg, sort_keys=True, default=str), _file_stamps(cfg),
           None if cfg["preset"] == "explicit" else seed)
    built = _territories.get(key)
    if built is None:
        territory = build_territory(cfg, spawn(seed)["territory"], where)
        built = _territories[key] = (territory, home_distances(territory))
        while len(_territories) > TERRITORIES_KEPT:
            _territories.popitem(last=False)
    _territories.move_to_end(key)
    return built


def _file_stamps(value) -> tuple:
    """(path, content hash) of every existing file that a value names, however deeply nested."""
    if isinstance(value, dict):
        return tuple(stamp for v in value.values() for stamp in _file_stamps(v))
    if isinstance(value, list):
        return tuple(stamp for v in value for stamp in _file_stamps(v))
    if isinstance(value, str | os.PathLike) and os.path.isdir(value):  # a district's GeoJSON layers
        return tuple(stamp for f in sorted(Path(value).glob("*.geojson")) for stamp in _file_stamps(str(f)))
    if isinstance(value, str | os.PathLike) and os.path.isfile(value):
        return ((str(value), hashlib.blake2b(Path(value).read_bytes(), digest_size=16).hexdigest()),)
    return ()


def street_windows(t: Territory, windows: int) -> np.ndarray:
    """Windows of each street centre: the territory's figure where it has one (a district file,
    a published count), else `windows`, times the street's capacity factor where it has one
    (the Jiangbei preset scales Dingshan's count by population), at least 1 unless `windows` is 0."""
    out = np.full(len(t.street_xy), windows, dtype=np.int64)
    if t.street_capacity is not None and windows > 0:
        out = np.maximum(1, np.round(windows * t.street_capacity)).astype(np.int64)
    if t.street_windows is not None:
        out = np.where(np.isnan(t.street_windows), out, t.street_windows).astype(np.int64)
    return out


def community_windows(t: Territory, windows: int) -> np.ndarray:
    """Resident-facing windows of each community station: the territory's figure where it has
    one (a district file), else `windows`."""
    out = np.full(len(t.community_xy), windows, dtype=np.int64)
    if t.community_windows is not None:
        out = np.where(np.isnan(t.community_windows), out, t.community_windows).astype(np.int64)
    return out


def check(scenario: Scenario) -> None:
    """Everything `python -m sim check` can check without running: data files, territory, policy, rota."""
    build_world(scenario, 0)


def specialist_clusters(sc: Scenario, territory: Territory, policy: Policy) -> list[list[int]]:
    """Clusters of communities per specialist: listed in the scenario, or split evenly per street.
    Where specialists are the only staff who may decide an item, every community needs a visit."""
    clusters = _clusters(sc, territory)
    covered = {c for cluster in clusters for c in cluster}
    staffed = {"street": sc["points"]["street"]["windows"] > 0, "community": sc["points"]["community"]["windows"] > 0,
               "back_office": True, "specialist": False}
    for deciders in policy.deciders:
        if "specialist" in deciders and not any(staffed[d] for d in deciders if d != "specialist"):
            missing = [territory.community_names_en[c] for c in range(len(territory.community_xy)) if c not in covered]
            if missing:
                raise sc.error("staff.specialist.rota", "a visit to every community where only specialists may "
                                                        f"decide; not visited: {', '.join(missing[:5])}")
    return clusters


def visit_calendar(days: list[str]) -> Calendar:
    """The whole of each specialist visit day, as a weekly calendar."""
    return Calendar.from_specs([f"{d} 00:00-24:00" for d in days])


def specialist_weekdays(sc: Scenario, policy: Policy) -> tuple[int, ...]:
    """The weekdays of specialists' visits (0 = Monday); a visit needs the community stations open."""
    days = sc["staff"]["specialist"]["visit_days"]
    if policy.hours["community"].intersect(visit_calendar(days)).intervals:
        return tuple(sorted({WEEKDAYS.index(d) for d in days}))
    raise sc.error("staff.specialist.visit_days", "at least one weekday on which community stations are open")


def _clusters(sc: Scenario, territory: Territory) -> list[list[int]]:
    cfg = sc["staff"]["specialist"]
    names = {n: i for i, n in enumerate(territory.community_names_en)}
    if cfg.get("rota"):
        clusters = []
        for k, entry in enumerate(cfg["rota"]):
            for name in entry["communities"]:
                if name not in names:
                    raise sc.error(f"staff.specialist.rota[{k}].communities",
                                   f"names of communities in the territory; {name!r} is not one")
            clusters.append([names[n] for n in entry["communities"]])
        if any(not c for c in clusters):
            raise sc.error("staff.specialist.rota", "each rota entry lists at least one community")
        return clusters
    count = cfg["count"]
    if count == 0:
        return []
    by_street = [np.flatnonzero(territory.community_street == s) for s in range(len(territory.street_xy))]
    per_street: list = np.array_split(np.arange(count), len(by_street)) if count >= len(by_street) else \
        [[k] if k < count else [] for k in range(len(by_street))]
    clusters = []
    for comms, staff in zip(by_street, per_street):
        if len(staff) == 0:
            continue
        for part in np.array_split(comms, min(len(staff), len(comms))):
            clusters.append([int(c) for c in part])
    return clusters  # a count above a street's communities posts one in each (Dingshan's 10 on a smaller district)


def _territory_cfg(cfg: dict) -> dict:
    """The territory builder expects every list key present."""
    out = dict(cfg)
    for key in ("streets", "communities", "grids", "buildings"):
        out.setdefault(key, [])
    return out
