"""Access radius per building, and which service points accept street items, for the maps.

`GovernanceModel.access_radius()` reports only the population-weighted summary; a map needs the
per-building value it summarises. Same rule: road km to the nearest point that may accept a
street item (0 at the door), averaged over street items by their demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .policy import DOOR


@dataclass(frozen=True)
class AccessMap:
    """Everything one map panel draws: buildings with their access radius, and the points."""

    building_xy: np.ndarray
    building_pop: np.ndarray
    access_km: np.ndarray  # per building; inf where no street item can be accepted
    street_xy: np.ndarray
    street_names: dict[str, list[str]]  # "en" / "zh" -> names of the streets
    community_xy: np.ndarray
    grid_xy: np.ndarray
    community_accepts: bool  # community stations accept street items
    door_accepts: bool  # grid workers / building heads accept street items at home


def access_map(model) -> AccessMap:
    cat, pol, n = model.catalogue, model.policy, len(model.home_pop)
    street_items = np.flatnonzero(cat.street_level)
    dists, weights = [], []
    for i in street_items:
        channels = pol.channels[i]
        options = [np.full(n, np.inf)]
        if any(c in DOOR for c in channels):
            options.append(np.zeros(n))
        if "community" in channels or "terminal" in channels:
            options.append(model.km_community)
        if "street" in channels:
            options.append(model.km_nearest_street if pol.switches["any_street_centre"] else model.km_street)
        dists.append(np.min(options, axis=0))
        weights.append(cat.rate[i].sum())
    access = (np.average(dists, axis=0, weights=weights if sum(weights) else None) if dists
              else np.full(n, np.inf))
    t = model.territory
    return AccessMap(
        building_xy=t.building_xy, building_pop=t.building_pop, access_km=access,
        street_xy=t.street_xy, street_names={"en": t.street_names_en, "zh": t.street_names_zh},
        community_xy=t.community_xy, grid_xy=t.grid_xy,
        community_accepts=any(c in ("community", "terminal") for i in street_items for c in pol.channels[i]),
        door_accepts=any(c in DOOR for i in street_items for c in pol.channels[i]),
    )
