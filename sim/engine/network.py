"""Who knows whom: residents' acquaintances in their building, their grid, and a few far away.

Only residents who have a need in the run can learn anything that matters (what they learn
shapes a choice), so the network is built among them alone: as many nodes as residents with
needs, not residents (a 220,000-node graph per run would cost seconds). Ties are drawn as if
among everybody: each resident has on average `network.building_ties` acquaintances in their
own building, `grid_ties` more in the rest of their grid and `long_ties` anywhere, so a pair of
residents with needs is tied with the matching probability (a random graph restricted to them).
It depends only on the residents, their needs and the seed: every policy sees the same network.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


def acquaintances(residents: np.ndarray, building: np.ndarray, grid: np.ndarray, building_pop: np.ndarray,
                  grid_pop: np.ndarray, population: int, cfg: dict, rng: np.random.Generator) -> nx.Graph:
    """The ties among `residents` (ids of residents with needs), their homes given per resident."""
    people = np.unique(residents)
    b, g = building[people], grid[people]
    pairs = [_within(b, cfg["building_ties"] / np.maximum(building_pop[b] - 1, 1), rng)]
    in_grid = _within(g, cfg["grid_ties"] / np.maximum(grid_pop[g] - building_pop[b], 1), rng)
    pairs.append(in_grid[b[in_grid[:, 0]] != b[in_grid[:, 1]]])
    pairs.append(_long(len(people), cfg["long_ties"] / max(population - 1, 1), rng))
    graph = nx.Graph()
    graph.add_nodes_from(people.tolist())
    edges = people[np.concatenate(pairs)]
    graph.add_edges_from(edges[edges[:, 0] != edges[:, 1]].tolist())
    return graph


def _within(group: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pairs (i, j), i < j, of positions in the same group, each kept with probability p[i]."""
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    out = []
    for members in np.split(order, bounds):
        if len(members) > 1:
            i, j = np.triu_indices(len(members), 1)
            out.append(np.stack([members[i], members[j]], axis=1))
    if not out:
        return np.empty((0, 2), np.int64)
    pairs = np.concatenate(out)
    return pairs[rng.random(len(pairs)) < np.minimum(p[pairs[:, 0]], 1.0)]


def _long(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """About p * n(n-1)/2 ties between any two of n residents."""
    k = rng.binomial(n * (n - 1) // 2, min(p, 1.0)) if n > 1 else 0
    return rng.integers(0, n, (k, 2)) if k else np.empty((0, 2), np.int64)
