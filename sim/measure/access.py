"""What one map panel draws: each building's access radius (`GovernanceModel.building_access_km`)
and which service points accept street items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.world.policy import DOOR
from sim.world.territory import Territory


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
    territory: Territory  # for its geometry: community polygons of a district, roads


def access_map(model) -> AccessMap:
    pol = model.policy
    street_items = np.flatnonzero(model.catalogue.street_level)
    t = model.territory
    return AccessMap(
        building_xy=t.building_xy, building_pop=t.building_pop, access_km=model.building_access_km(),
        street_xy=t.street_xy, street_names={"en": t.street_names_en, "zh": t.street_names_zh},
        community_xy=t.community_xy, grid_xy=t.grid_xy,
        community_accepts=any(c in ("community", "terminal") for i in street_items for c in pol.channels[i]),
        door_accepts=any(c in DOOR for i in street_items for c in pol.channels[i]),
        territory=t,
    )
