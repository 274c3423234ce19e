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


class Acquaintances:
    """Undirected ties as arrays: who each resident knows is a slice of one sorted array (CSR).
    `graph()` gives the same ties as a networkx graph, for analysis; building it in every run
    would cost more than the ties themselves (about 0.3 s for base Dingshan, measured)."""

    def __init__(self, edges: np.ndarray, population: int):
        self.edges = edges
        both = np.concatenate([edges, edges[:, ::-1]])
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(both[:, 0], minlength=population))])
        self.neighbour = both[:, 1]

    def of(self, resident: int) -> list[int]:
        return self.neighbour[self.indptr[resident]:self.indptr[resident + 1]].tolist()

    def knows(self, a: int, b: int) -> bool:
        return b in self.of(a)

    def graph(self) -> nx.Graph:
        return nx.from_edgelist(self.edges.tolist())


def acquaintances(residents: np.ndarray, building: np.ndarray, grid: np.ndarray, building_pop: np.ndarray,
                  grid_pop: np.ndarray, population: int, cfg: dict, rng: np.random.Generator) -> Acquaintances:
    """The ties among `residents` (ids of residents with needs), their homes given per resident."""
    people = np.unique(residents)
    b, g = building[people], grid[people]
    pairs = [_ties(b, cfg["building_ties"] / np.maximum(building_pop[b] - 1, 1), rng)]
    in_grid = _ties(g, cfg["grid_ties"] / np.maximum(grid_pop[g] - 1, 1), rng)
    pairs.append(in_grid[b[in_grid[:, 0]] != b[in_grid[:, 1]]])
    n = len(people)
    k = rng.binomial(n * (n - 1) // 2, min(cfg["long_ties"] / max(population - 1, 1), 1.0)) if n > 1 else 0
    pairs.append(rng.integers(0, n, (k, 2)))
    edges = people[np.concatenate(pairs)]
    edges = np.sort(edges[edges[:, 0] != edges[:, 1]], axis=1).astype(np.int64)
    keys = np.unique(edges[:, 0] * population + edges[:, 1])  # one number per pair: sorts as the rows do
    return Acquaintances(np.stack([keys // population, keys % population], axis=1), population)


def _ties(group: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ties within groups, each pair tied with probability about p: every member proposes a Poisson
    number (mean p/2 times the other members) of partners drawn among them, so both ends together
    make p. Vectorised: no loop over groups."""
    order = np.argsort(group, kind="stable")
    rank = np.empty(len(group), np.int64)
    rank[order] = np.arange(len(group))
    sorted_group = group[order]
    first = np.searchsorted(sorted_group, group, "left")
    others = np.searchsorted(sorted_group, group, "right") - first - 1
    proposals = rng.poisson(np.minimum(p, 1.0) / 2 * others)
    src = np.repeat(np.arange(len(group)), proposals)
    pick = rng.integers(0, np.maximum(others[src], 1))
    pick += pick >= rank[src] - first[src]  # skip oneself
    return np.stack([src, order[first[src] + pick]], axis=1)
