"""How robust a verdict is: in what share of plausible worlds a reform beats the baseline (with a
Wilson 95% interval, statsmodels), ties it or does worse, and where in the assumption space it
loses (PRIM boxes from the EMA Workbench, with their coverage and density).

A world's paired difference within ± the figure's negligible threshold (`scenarios/data/negligible.toml`,
the compare report's "≈") is a tie, not a win or a loss: a difference of a few minutes, often
within one seed's noise, would otherwise be counted as a reform's advantage.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_COVERAGE = 0.5  # a box must hold at least half of the losing worlds to be shown
MAX_DIMS = 3  # and restrict at most three assumptions: a box a reader can hold in mind, not a peeled-down corner
MIN_DENSITY = 0.5  # and most worlds inside it must lose: a box where 3% lose does not say where a reform loses


def judge(diff, better: int, margin: float = 0.0) -> np.ndarray:
    """Per world: 1 where the reform is better by more than `margin`, -1 where it is worse by more,
    0 (a tie) where the difference lies within ± margin; NaN stays NaN."""
    x = np.asarray(diff, float) * better
    return np.where(x > margin, 1.0, np.where(x < -margin, -1.0, np.where(np.isnan(x), np.nan, 0.0)))


def verdicts(diffs: pd.DataFrame, better: dict[str, int], group: str = "all",
             margins: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per reform and outcome: worlds, wins, ties (within ± the outcome's margin, 0 when it has
    none), losses, the share of wins with its Wilson 95% interval, and the median difference.
    `diffs` has columns world, reform, outcome, diff."""
    from statsmodels.stats.proportion import proportion_confint

    margins = margins or {}
    rows = []
    for (reform, outcome), part in diffs.dropna(subset=["diff"]).groupby(["reform", "outcome"], sort=False):
        margin = margins.get(outcome, 0.0)
        verdict = judge(part["diff"], better[outcome], margin)
        wins, ties, n = int((verdict > 0).sum()), int((verdict == 0).sum()), len(part)
        low, high = proportion_confint(wins, n, alpha=0.05, method="wilson")
        rows.append({"group": group, "reform": reform, "outcome": outcome, "margin": margin, "worlds": n,
                     "wins": wins, "ties": ties, "losses": n - wins - ties, "share": wins / n, "low": float(low),
                     "high": float(high), "median_diff": float(part["diff"].median())})
    return pd.DataFrame(rows, columns=["group", "reform", "outcome", "margin", "worlds", "wins", "ties", "losses",
                                       "share", "low", "high", "median_diff"])


@dataclass(frozen=True)
class Box:
    """A box of the assumption space where a reform loses: the limits of its restricted assumptions,
    (low, high) with None on a side left open, or the tuple of levels kept for a choice; and how
    well it describes the losing worlds."""

    reform: str
    outcome: str
    limits: dict[str, tuple]
    coverage: float  # share of all losing worlds that are inside the box
    density: float  # share of the worlds inside the box that lose
    mass: float  # share of all worlds inside the box
    losing: int  # losing worlds in all


def losing_box(worlds: pd.DataFrame, loses: np.ndarray, reform: str, outcome: str) -> Box | None:
    """The PRIM box of the worlds where `loses`; None when too few worlds lose (or too few win) to peel,
    or when no box describes them.

    From the peeling trajectory, the densest box that still covers at least MIN_COVERAGE of the
    losing worlds, restricts at most MAX_DIMS assumptions and has at least MIN_DENSITY losing worlds
    inside is kept (fewer assumptions, then more coverage, break ties); its restricted assumptions
    are those narrowed from the whole sample.
    """
    loses = np.asarray(loses, bool)
    if loses.sum() < 2 or (~loses).sum() < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.ERROR)
        from ema_workbench.analysis import prim

        x = worlds.reset_index(drop=True).copy()
        for c in x.columns:
            if x[c].dtype == object or pd.api.types.is_string_dtype(x[c]):
                x[c] = pd.Categorical(x[c].astype(str))
            else:
                x[c] = x[c].astype(float)  # PRIM pastes limits between whole numbers
        box = prim.Prim(x, loses, peel_alpha=0.1, mass_min=0.05).find_box()
    trajectory = box.peeling_trajectory
    covered = trajectory[(trajectory["coverage"] >= MIN_COVERAGE) & (trajectory["res_dim"] <= MAX_DIMS)
                         & (trajectory["density"] >= MIN_DENSITY) & (trajectory["res_dim"] > 0)]
    if covered.empty:
        return None
    best = covered.sort_values(["density", "res_dim", "coverage"], ascending=[False, True, False]).index[0]
    lims, whole = box.box_lims[best], box.box_lims[0]
    limits = {}
    for c in lims.columns:
        if isinstance(lims[c].iloc[0], set):
            if lims[c].iloc[0] != whole[c].iloc[0]:
                limits[c] = tuple(sorted(lims[c].iloc[0]))
        else:
            low = float(lims[c].iloc[0]) if lims[c].iloc[0] > whole[c].iloc[0] else None
            high = float(lims[c].iloc[1]) if lims[c].iloc[1] < whole[c].iloc[1] else None
            if low is not None or high is not None:
                limits[c] = (low, high)
    row = trajectory.loc[best]
    return Box(reform, outcome, limits, float(row["coverage"]), float(row["density"]), float(row["mass"]),
               int(loses.sum()))
