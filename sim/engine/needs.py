"""Needs and per-request random draws, generated up front from their own streams.

Need times, who has them and which item they are for depend only on the residents, the
catalogue and demand, never on the policy. Every later chance a request meets (delay before
acting, choice, service time, missing materials, staff error, audit, arrival spread) is drawn
here per request, so policies compared on one seed see the same draws for the same request.
Needs are stored as arrays and turned into requests, in time order, as the clock reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.clock import DAY

YEAR_MINUTES = 365 * DAY
VISIT_DRAWS = 4  # service, error and rework draws kept per request; a fifth visit reuses the first
FIXED_TRIPS = 5  # arrival draws beyond the refusals and rework rounds: first visit, referral, send-back, collection, door


@dataclass(frozen=True)
class Needs:
    t: np.ndarray  # minutes, sorted
    resident: np.ndarray
    item: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class Draws:
    act: np.ndarray  # (N,2) standard exponential: delay before acting on the need; before collecting
    u_choice: np.ndarray  # (N,3) channel choice; picked up on a proactive visit; knows the rota
    service: np.ndarray  # (N,K) expert window minutes per visit
    materials: np.ndarray  # (N,catalogue.rework_limit) uniform: incomplete materials at each visit till the limit
    errors: np.ndarray  # (N,K) uniform: a wrong decision
    audit: np.ndarray  # (N,2) uniform: audited; error detected
    spread: np.ndarray  # (N,T) uniform: where in a session the resident arrives, one per trip
    rework: np.ndarray  # (N,K) minutes to gather missing documents
    referral: np.ndarray  # (N,) uniform: sent on in person from a community station to the street
    refused: np.ndarray  # (N,L,3) after the k-th refusal: choosing again; days till the next try; complaining

    def rework_delay(self, r) -> float:
        return float(self.rework[r.rid, r.reworks % self.rework.shape[1]])


def generate_needs(catalogue, elderly: np.ndarray, horizon: float, demand_scale: float,
                   rng: np.random.Generator) -> Needs:
    """Poisson needs per item and age group, residents drawn uniformly within their group."""
    groups = [np.flatnonzero(~elderly), np.flatnonzero(elderly)]
    ts, rs, items = [], [], []
    for i in range(len(catalogue)):
        for g, members in enumerate(groups):
            lam = catalogue.rate[i, g] / 1000 * len(members) * demand_scale * horizon / YEAR_MINUTES
            n = rng.poisson(lam) if len(members) else 0
            ts.append(rng.uniform(0, horizon, n))
            rs.append(members[rng.integers(0, len(members), n)] if n else np.empty(0, np.int64))
            items.append(np.full(n, i))
    t = np.concatenate(ts)
    order = np.argsort(t, kind="stable")
    return Needs(t[order], np.concatenate(rs)[order].astype(np.int64), np.concatenate(items)[order].astype(np.int64))


def generate_draws(needs: Needs, catalogue, streams: dict, rework_days: float, rework_limit: int,
                   refusal_limit: int) -> Draws:
    """`refusal_limit` bounds the turn-aways, so every trip has its own arrival draw (no cycle)."""
    n, k = len(needs), VISIT_DRAWS
    u = streams["service"].random((n, k))
    dist = np.array(catalogue.service_dist)
    service = np.repeat(catalogue.service_minutes[needs.item][:, None], k, axis=1)  # deterministic
    for rows in (np.flatnonzero(dist[needs.item] == name) for name in ("lognormal", "exponential")):
        if len(rows):
            service[rows] = _service_quantile(dist[needs.item[rows[0]]], service[rows],
                                              catalogue.service_cv[needs.item[rows]][:, None], u[rows])
    delay = streams["delay"]
    return Draws(
        act=delay.standard_exponential((n, 2)),
        u_choice=streams["choice"].random((n, 3)),
        service=service,
        materials=streams["materials"].random((n, rework_limit)),
        errors=streams["errors"].random((n, k)),
        audit=streams["audit"].random((n, 2)),
        spread=streams["spread"].random((n, refusal_limit + rework_limit + FIXED_TRIPS)),
        rework=delay.exponential(rework_days * DAY, (n, k)) if rework_days > 0 else np.zeros((n, k)),
        referral=streams["referral"].random(n),
        refused=streams["refused"].random((n, max(refusal_limit, 1), 3)),
    )


def _service_quantile(dist: str, mean: np.ndarray, cv: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Service minutes at quantile u: lognormal with the catalogue's mean and cv, or exponential."""
    if dist == "exponential":
        return -mean * np.log1p(-u)
    sigma2 = np.log1p(cv ** 2)
    return mean * np.exp(np.sqrt(sigma2) * ndtri(u) - sigma2 / 2)
