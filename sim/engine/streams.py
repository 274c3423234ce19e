"""Number-safe randomness: one independent stream per source of chance, spawned from the run's seed.

Each stream is used for one purpose only, and per-request draws are indexed by request, so a
change of policy changes no draw of the needs, and replicate r of every scenario sees the same
residents with the same needs at the same moments (common random numbers).
"""

import numpy as np

# Order is part of the contract: append new streams at the end, never reorder.
NAMES = (
    "territory", "residents", "needs", "delay", "choice", "service",
    "materials", "errors", "audit", "spread", "survey", "referral",
    "refused", "network",
)


def spawn(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(NAMES))
    return {name: np.random.default_rng(child) for name, child in zip(NAMES, children)}
