"""Residents' channel choice: a nested logit with its coefficients in the scenario.

V(channel) = constant[channel] + per_travel_minute * round-trip minutes over the expected trips
           + per_trip * (expected trips + trips learned)
           + per_day * (days the resident expects before a decision + days learned)
           + online_literate | online_not_literate (online) + elderly_door (door, 60+)
The days expected are what a resident can see of the policy: the rota's next visit to their
community where only a specialist decides (a file left between visits is held till then), the
courier to the street, the door's response and round, the online review. What was learned comes
from the resident's memory (`memory.py`): their own and their neighbours' turn-aways, holds and
wasted trips. The two door options (grid worker, building head) are one nest, with scale
`choice.door_nest`: they are close substitutes, so a better door option takes its share mostly
from the other door option.

Without memory V is known up front, so first choices are made in one vectorised pass; a
resident who has learned something chooses again at the moment of the need. Each choice uses
its own uniform draw (inverse CDF over the shares, in the fixed order of CHANNELS), so the same
resident facing the same options chooses the same way under every policy.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim.clock import DAY
from sim.scenario.files import CHANNELS
from sim.world.policy import DOOR

IN_NEST = np.array([ch in DOOR for ch in CHANNELS])
DOOR_COLUMNS = tuple(np.flatnonzero(IN_NEST).tolist())


def plain_utilities(m) -> np.ndarray:
    """V of every channel (columns in CHANNELS order) for every need of `m.needs`, before what the
    resident knows or learns: -inf where the policy does not allow the channel for the item (and,
    at choice time, for a new channel the resident has not heard of)."""
    c = m.scenario_values["choice"]
    rid = np.arange(len(m.needs))
    res, item = m.needs.resident, m.needs.item
    allowed = m.allowed_channels[item]
    trips = 1 + (m.catalogue.collect[item] & (not m.policy.switches["deliver_home"]))
    community = m.travel.home_minutes("community", res)
    minutes = {"street": m.travel.home_minutes("street", res), "community": community, "terminal": community}
    days = expected_days(m, rid)
    v = np.full((len(rid), len(CHANNELS)), -np.inf)
    for j, ch in enumerate(CHANNELS):
        if not allowed[:, j].any():
            continue
        u = np.full(len(rid), float(c["constants"].get(ch, 0.0)))
        u += c["per_day"] * days[:, j]
        if ch in minutes:
            u += c["per_travel_minute"] * 2 * trips * minutes[ch] + c["per_trip"] * trips
        elif ch in DOOR:
            u += np.where(m.elderly[res], c["elderly_door"], 0.0)
        else:
            u += np.where(m.literate[res], c["online_literate"], c["online_not_literate"])
        v[:, j] = np.where(allowed[:, j], u, -np.inf)
    return v


def expected_days(m, rid: np.ndarray) -> np.ndarray:
    """Days before a decision each channel promises, as a resident sees the policy at the need."""
    pts, handoff = m.scenario_values["points"], m.scenario_values["handoff"]
    res, item = m.needs.resident[rid], m.needs.item[rid]
    community = m.territory.building_community[m.home[res]]
    deciders = m.policy.deciders
    specialist_only = np.array(["specialist" in d and "community" not in d for d in deciders], bool)[item]
    street_only = np.array([not ({"community", "specialist"} & d) for d in deciders], bool)[item]
    street_may = np.array(["street" in d for d in deciders], bool)[item]
    visit = m.rota.days_to_visit(community, np.floor(m.needs.t[rid] / DAY).astype(np.int64))
    held = np.where(np.isfinite(visit), visit, handoff["courier_days"])
    station = np.where(specialist_only, held, np.where(street_only, handoff["courier_days"], 0.0))
    out = np.zeros((len(rid), len(CHANNELS)))
    out[:, CHANNELS.index("community")] = station
    for ch in DOOR:
        response = pts["building" if ch == "building" else "grid"]["response_days"]
        carried = handoff["round_days"] + station
        if m.policy.switches["electronic_pass_on"]:
            carried = np.where(street_may, handoff["electronic_days"], carried)
        out[:, CHANNELS.index(ch)] = response + carried
    out[:, CHANNELS.index("online")] = pts["online"]["review_days"]
    return out


def pick(m, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The channel index picked by uniform draws `u` under the nested logit of utilities `v`."""
    lam = m.scenario_values["choice"]["door_nest"]
    door = v[:, IN_NEST]
    top = door.max(axis=1, keepdims=True)
    finite = np.isfinite(top)
    safe_top = np.where(finite, top, 0.0)
    w = v.copy()
    with np.errstate(divide="ignore", invalid="ignore"):  # a nest with no door option allowed stays at -inf
        inclusive = safe_top + lam * np.log(np.exp((door - safe_top) / lam).sum(axis=1, keepdims=True))
        w[:, IN_NEST] = np.where(finite, door / lam + (lam - 1) * inclusive / lam, -np.inf)
    weights = np.exp(w - w.max(axis=1, keepdims=True))
    cum = np.cumsum(weights, axis=1)
    return np.minimum((cum < u[:, None] * cum[:, -1:]).sum(axis=1), len(CHANNELS) - 1)


def pick_one(m, v: list[float], u: float) -> int:
    """`pick` for one need, in plain floats: for six channels numpy's cost per call would outweigh
    the work (tests/test_properties.py checks the two agree)."""
    lam = m.scenario_values["choice"]["door_nest"]
    door = [v[j] for j in DOOR_COLUMNS]
    top = max(door)
    w = list(v)
    if math.isfinite(top):
        inclusive = top + lam * math.log(sum(math.exp((x - top) / lam) for x in door))
        for j, x in zip(DOOR_COLUMNS, door):
            w[j] = x / lam + (lam - 1) * inclusive / lam
    else:
        for j in DOOR_COLUMNS:
            w[j] = -math.inf
    high = max(w)
    cum = list(itertools.accumulate(math.exp(x - high) for x in w))
    threshold = u * cum[-1]
    return min(sum(c < threshold for c in cum), len(CHANNELS) - 1)


def choose_channels(m) -> np.ndarray:
    """The first channel of every need in `m.needs`, as an array of channel names."""
    known = np.where(m.aware_at_start[m.needs.resident], m.plain_utilities, -np.inf)
    return np.array(CHANNELS)[pick(m, known, m.draws.u_choice[:, 0])]


def choose_with_memory(m, rid: int, u: float) -> str:
    """One resident's choice for need `rid`, with what they have learned by now."""
    resident = int(m.needs.resident[rid])
    days, trips = m.memory.learned(resident, m.time)
    c = m.scenario_values["choice"]
    per_day, per_trip = c["per_day"], c["per_trip"]
    v = [x + (per_day * d + per_trip * k) if at_start or heard else -math.inf
         for x, d, k, at_start, heard in zip(m.plain_utilities[rid].tolist(), days, trips,
                                             m.aware_at_start[resident].tolist(), m.memory.known(resident, m.time))]
    return CHANNELS[pick_one(m, v, u)]
