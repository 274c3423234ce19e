"""Validity checks against queueing theory: the model reduced to M/M/c, M/D/1 or a two-stage
Jackson network, exact formulas for each, Little's law on any run, and the validity table.

`python -m sim validity --refresh-docs` regenerates docs/validity.md.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from sim.paths import ROOT
from sim.measure.results import measure
from sim.clock import DAY
from sim.scenario.queue_reduction import QUEUE_ITEM

def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c with offered load a = lambda/mu (< c)."""
    term = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (term + top)


def mmc(lam: float, mu: float, c: int) -> dict:
    """Exact M/M/c: mean wait, mean time in system and the 90th percentile of time in system."""
    a = lam / mu
    pw = erlang_c(c, a)
    wq = pw / (c * mu - lam)

    def tail(t: float) -> float:  # P(time in system > t): service plus an exponential wait with prob. pw
        d = c * mu - lam - mu
        if abs(d) < 1e-12:
            return math.exp(-mu * t) * (1 + pw * mu * t)
        return math.exp(-mu * t) + pw * mu / d * (math.exp(-mu * t) - math.exp(-(c * mu - lam) * t))

    p90 = brentq(lambda t: tail(t) - 0.1, 0, 100 / mu + 100 * wq)
    return {"wait": wq, "system": wq + 1 / mu, "system_p90": p90}


def md1(lam: float, service: float) -> dict:
    """Exact M/D/1: Pollaczek-Khinchine mean wait; the p90 of time in system from Erlang's
    waiting-time distribution, summed in high precision (its terms alternate and are large)."""
    rho = lam * service
    wq = rho * service / (2 * (1 - rho))
    def wait_cdf(t: float) -> float:
        with localcontext() as ctx:
            ctx.prec = 40 + int(lam * t)  # the terms reach e^(lam t): keep enough digits to cancel them
            L, D, T = Decimal(lam), Decimal(service), Decimal(t)
            total = sum((L * (k * D - T)) ** k / math.factorial(k) * (-(L * (k * D - T))).exp() if k
                        else (L * T).exp() for k in range(int(t // service) + 1))
            return float(Decimal(1 - rho) * total)

    p90_wait = brentq(lambda t: wait_cdf(t) - 0.9, 0, 200 * service) if wait_cdf(0) < 0.9 else 0.0
    return {"wait": wq, "system": wq + service, "system_p90": p90_wait + service}


def jackson(lam: float, mu: float, c1: int, p: float, c2: int) -> dict:
    """Two stages in tandem: all served at stage 1, a share p goes on to stage 2."""
    s1, s2 = mmc(lam, mu, c1), mmc(lam * p, mu, c2)
    return {"wait": s1["wait"] + p * s2["wait"], "system": s1["system"] + p * s2["system"]}


def littles_law(requests, t0: float, t1: float) -> dict:
    """Mean number in system (time average over [t0, t1)) against throughput x mean time in system."""
    start = requests.t_need.to_numpy()
    end = requests.t_done.fillna(np.inf).to_numpy()
    overlap = np.clip(np.minimum(end, t1) - np.maximum(start, t0), 0, None)
    number = overlap.sum() / (t1 - t0)
    arrived = (start >= t0) & (start < t1)
    rate = arrived.sum() / (t1 - t0)
    time_in_system = (end[arrived] - start[arrived]).mean()
    return {"L": number, "lambda_W": rate * time_in_system}


def simulated(metrics: dict) -> dict:
    """The figures theory predicts, from a run's metrics, in minutes."""
    lat = metrics["latency_days"]
    return {"wait": lat["components"]["queue"], "system": lat["mean"] * DAY, "system_p90": lat["p90"] * DAY}


CASES = (  # name, --set overrides, theory
    ("M/M/3, utilisation 0.5", {"arrivals_per_hour": 9.0, "windows": 3}, lambda: mmc(9 / 60, 0.1, 3)),
    ("M/M/3, utilisation 0.8", {"arrivals_per_hour": 14.4, "windows": 3}, lambda: mmc(14.4 / 60, 0.1, 3)),
    ("M/M/3, utilisation 0.9", {"arrivals_per_hour": 16.2, "windows": 3}, lambda: mmc(16.2 / 60, 0.1, 3)),
    ("M/D/1, utilisation 0.5", {"arrivals_per_hour": 3.0, "windows": 1, "service": '"deterministic"'},
     lambda: md1(3 / 60, 10)),
    ("M/D/1, utilisation 0.8", {"arrivals_per_hour": 4.8, "windows": 1, "service": '"deterministic"'},
     lambda: md1(4.8 / 60, 10)),
    ("M/D/1, utilisation 0.9", {"arrivals_per_hour": 5.4, "windows": 1, "service": '"deterministic"'},
     lambda: md1(5.4 / 60, 10)),
    ("Two stages: 3 windows, 40% on to 2 windows", {"arrivals_per_hour": 14.4, "windows": 3, "forward_share": 0.4,
                                                   "street_windows": 2}, lambda: jackson(14.4 / 60, 0.1, 3, 0.4, 2)),
)


MMC = ROOT / "scenarios" / "queueing" / "mmc.toml"


def check_case(overrides: dict, theory: dict, replicates: int, weeks: float, seed: int = 1) -> dict:
    """Simulate one case `replicates` times: each predicted figure against its 95% interval, and
    Little's law on every run."""
    from sim.engine.model import GovernanceModel
    from sim.scenario.files import load
    from sim.runs.stats import interval

    sets = [f"queue_reduction.{k}={v}" for k, v in overrides.items()] + [f"run.weeks={weeks}"]
    runs, little = [], []
    for r in range(replicates):
        model = GovernanceModel(load(MMC, sets), seed=seed + r)
        model.run()
        result = measure(model)
        runs.append(simulated(result.metrics))
        little.append(littles_law(result.requests, model.warmup_end, model.end))
    rows = []
    for key, predicted in theory.items():
        est = interval([x[key] for x in runs])
        rows.append({"figure": key, "theory": predicted, "mean": est.mean, "half_width": est.half_width,
                     "low": est.low, "high": est.high, "inside": est.low <= predicted <= est.high})
    worst = max(abs(x["L"] - x["lambda_W"]) / x["L"] for x in little)
    return {"rows": rows, "little_worst_relative_gap": worst}


def validity_table(replicates: int = 10, weeks: float = 20) -> str:
    """The markdown table of docs/validity.md: every case, every figure, inside or not."""
    lines = [
        "# Validation against queueing theory",
        "",
        "The model reduced to a queue (`scenarios/queueing/mmc.toml`): residents at distance zero, Poisson",
        "arrivals, exponential or deterministic service of mean 10 minutes, always open, no rework.",
        f"Each case: {replicates} replicates of {weeks:g} measured weeks (seeds 1..{replicates}); mean and 95%",
        "t-interval over replicates, in minutes. Little's law: the largest relative gap between the",
        "time-average number in system and throughput x mean time in system, over the case's runs.",
        "Regenerate with `python -m sim validity`.",
        "",
        "| case | figure | theory | simulated mean | 95% interval | inside | Little's law gap |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, overrides, theory in CASES:
        out = check_case(overrides, theory(), replicates, weeks)
        for row in out["rows"]:
            lines.append(f"| {name} | {FIGURES[row['figure']]} | {row['theory']:.3f} | {row['mean']:.3f} | "
                         f"{row['low']:.3f} – {row['high']:.3f} | {'yes' if row['inside'] else 'NO'} | "
                         f"{out['little_worst_relative_gap']:.2%} |")
    return "\n".join(lines) + "\n"


FIGURES = {"wait": "mean wait", "system": "mean time in system", "system_p90": "p90 time in system"}
