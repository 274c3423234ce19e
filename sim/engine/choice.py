"""Residents' channel choice: a multinomial logit with its coefficients in the scenario.

V(channel) = constant[channel] + per_travel_minute * round-trip minutes over the expected trips
           + per_trip * expected trips
           + per_day * days before the file is taken (door: response and round; online: review)
           + online_literate | online_not_literate (online) + elderly_door (door, 60+)
Nothing in V changes while the model runs, so every request's choice is made up front, in one
vectorised pass. Each request uses its own uniform draw (inverse CDF over the logit shares, in
the fixed order of CHANNELS), so the same resident facing the same options chooses the same way
under every policy.
"""

from __future__ import annotations

import numpy as np

from sim.world.policy import DOOR
from sim.scenario.files import CHANNELS


def choose_channels(m) -> np.ndarray:
    """The channel of every need in `m.needs`, as an array of channel names."""
    c = m.scenario_values["choice"]
    points = m.scenario_values["points"]
    handoff = m.scenario_values["handoff"]
    res, item = m.needs.resident, m.needs.item
    b = m.home[res]
    allowed = np.array([[ch in chans for ch in CHANNELS] for chans in m.policy.channels])[item]
    trips = 1 + (m.catalogue.collect[item] & (not m.policy.switches["deliver_home"]))
    community_km = m.home_km.community[b]
    km = {"street": m.travel.street_km[b], "community": community_km, "terminal": community_km}

    v = np.full((len(item), len(CHANNELS)), -np.inf)
    for j, ch in enumerate(CHANNELS):
        if not allowed[:, j].any():
            continue
        u = np.full(len(item), c["constants"].get(ch, 0.0))
        if ch in km:
            u += c["per_travel_minute"] * 2 * trips * m.travel.minutes_array(km[ch], res) + c["per_trip"] * trips
        elif ch in DOOR:
            days = points["building" if ch == "building" else "grid"]["response_days"] + handoff["round_days"]
            u += c["per_day"] * days + np.where(m.elderly[res], c["elderly_door"], 0.0)
        else:
            u += c["per_day"] * points["online"]["review_days"]
            u += np.where(m.literate[res], c["online_literate"], c["online_not_literate"])
        v[:, j] = np.where(allowed[:, j], u, -np.inf)
    weights = np.exp(v - v.max(axis=1, keepdims=True))
    cum = np.cumsum(weights, axis=1)
    pick = (cum < m.draws.u_choice[:, :1] * cum[:, -1:]).sum(axis=1)
    return np.array(CHANNELS)[np.minimum(pick, len(CHANNELS) - 1)]
