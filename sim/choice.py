"""Residents' channel choice: a multinomial logit with its coefficients in the scenario.

V(channel) = constant[channel] + per_travel_minute * round-trip minutes over the expected trips
           + per_trip * expected trips
           + per_day * days before the file is taken (door: response and round; online: review)
           + online_literate | online_not_literate (online) + elderly_door (door, 60+)
The choice uses the request's own uniform draw (inverse CDF over the logit shares), so the same
resident facing the same options chooses the same way under every policy.
"""

from __future__ import annotations

import math

from .policy import DOOR, PHYSICAL


def utilities(m, r) -> dict[str, float]:
    c = m.scenario_values["choice"]
    points = m.scenario_values["points"]
    handoff = m.scenario_values["handoff"]
    res, item = r.resident, r.item
    collect = bool(m.catalogue.collect[item]) and not m.policy.switches["deliver_home"]
    out = {}
    for ch in m.policy.channels[item]:
        v = c["constants"].get(ch, 0.0)
        if ch in PHYSICAL:
            trips = 1 + collect
            v += c["per_travel_minute"] * 2 * trips * m.travel_minutes(res, m.points_of(ch)[m.point_for(ch, res)])
            v += c["per_trip"] * trips
        elif ch in DOOR:
            days = points["building" if ch == "building" else "grid"]["response_days"] + handoff["round_days"]
            v += c["per_day"] * days + (c["elderly_door"] if m.elderly[res] else 0.0)
        else:
            v += c["per_day"] * points["online"]["review_days"]
            v += c["online_literate"] if m.literate[res] else c["online_not_literate"]
        out[ch] = v
    return out


def choose(m, r) -> str:
    channels = m.policy.channels[r.item]
    if len(channels) == 1:
        return channels[0]
    v = utilities(m, r)
    top = max(v.values())
    weights = {ch: math.exp(x - top) for ch, x in v.items()}
    u = m.draws.u_choice[r.rid, 0] * sum(weights.values())
    for ch, w in weights.items():
        u -= w
        if u < 0:
            return ch
    return ch
