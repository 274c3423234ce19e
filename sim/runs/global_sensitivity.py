"""Global sensitivity designs and indices, all from SALib: Morris elementary effects to screen
every ranged assumption, Sobol' first- and total-order indices (with bootstrap 95% intervals)
over a chosen few, and a Latin hypercube of plausible worlds for verdicts.

Designs are arrays of sampled numbers, one row per world and one column per `Range`, in the
distribution each range gives (`Range.salib`); `Range.value` turns a number into the scenario
value. Indices are tables, one row per assumption.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.scenario.ranges import Range

CONF = 0.95
RESAMPLES = 200


def problem(ranges: list[Range]) -> dict:
    """SALib's problem dictionary of a list of ranges."""
    forms = [r.salib() for r in ranges]
    return {"num_vars": len(ranges), "names": [r.key for r in ranges],
            "bounds": [b for b, _ in forms], "dists": [d for _, d in forms]}


def morris_design(ranges: list[Range], trajectories: int, levels: int, seed: int) -> np.ndarray:
    """`trajectories` one-at-a-time paths through a `levels`-level grid: trajectories x (k + 1) worlds."""
    from SALib.sample import morris

    return morris.sample(problem(ranges), trajectories, num_levels=levels, seed=seed)


def morris_indices(ranges: list[Range], design: np.ndarray, y: np.ndarray, levels: int, seed: int) -> pd.DataFrame:
    """mu, mu* (with its 95% bootstrap half-width) and sigma of the elementary effects of each assumption,
    as the change of the outcome across the whole range of the assumption (SALib scales steps to the
    unit interval), so assumptions of any unit compare. NaN everywhere when a run is missing."""
    from SALib.analyze import morris

    names = [r.key for r in ranges]
    if not np.isfinite(y).all():
        nan = np.full(len(names), np.nan)
        return pd.DataFrame({"assumption": names, "mu": nan, "mu_star": nan, "mu_star_conf": nan, "sigma": nan})
    found = morris.analyze(problem(ranges), design, np.asarray(y, float), num_levels=levels, conf_level=CONF,
                           num_resamples=RESAMPLES, seed=seed)
    return pd.DataFrame({"assumption": names, "mu": found["mu"], "mu_star": found["mu_star"],
                         "mu_star_conf": found["mu_star_conf"], "sigma": found["sigma"]})


def sobol_design(ranges: list[Range], samples: int, seed: int) -> np.ndarray:
    """Saltelli's scheme on a scrambled Sobol' sequence: samples x (k + 2) worlds (no second order)."""
    from SALib.sample import sobol

    return sobol.sample(problem(ranges), samples, calc_second_order=False, scramble=True, seed=seed)


def resolved(index, half_width) -> np.ndarray:
    """An index is resolved when its whole 95% interval is narrower than the index itself (half-width
    at most half the index): it is then known to within a factor of three and is clearly above 0.
    A wider interval says the design's N is too small to tell, not that the assumption is unimportant."""
    index, half_width = np.asarray(index, float), np.asarray(half_width, float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(index) & np.isfinite(half_width) & (index > 0) & (2 * half_width <= index)


def sobol_indices(ranges: list[Range], y: np.ndarray, seed: int) -> pd.DataFrame:
    """First-order S1 and total-order ST of each assumption with their 95% bootstrap half-widths,
    and whether each is resolved (`resolved`)."""
    from SALib.analyze import sobol

    names = [r.key for r in ranges]
    if not np.isfinite(y).all() or np.var(y) == 0:
        nan = np.full(len(names), np.nan)
        found = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
    else:
        with warnings.catch_warnings():  # an outcome some worlds leave unchanged: its indices come out unresolved
            warnings.filterwarnings("ignore", message="Constant values encountered")
            found = sobol.analyze(problem(ranges), np.asarray(y, float), calc_second_order=False, conf_level=CONF,
                                  num_resamples=RESAMPLES, seed=seed)
    return pd.DataFrame({"assumption": names, "S1": found["S1"], "S1_conf": found["S1_conf"],
                         "S1_resolved": resolved(found["S1"], found["S1_conf"]), "ST": found["ST"],
                         "ST_conf": found["ST_conf"], "ST_resolved": resolved(found["ST"], found["ST_conf"])})


def latin_design(ranges: list[Range], worlds: int, seed: int) -> np.ndarray:
    """A Latin hypercube of `worlds` plausible worlds over every range."""
    from SALib.sample import latin

    return latin.sample(problem(ranges), worlds, seed=seed)


def world_values(ranges: list[Range], design: np.ndarray) -> pd.DataFrame:
    """The scenario value of every sampled number: one row per world, one column per assumption."""
    return pd.DataFrame({r.key: [r.value(x) for x in design[:, k]] for k, r in enumerate(ranges)})
