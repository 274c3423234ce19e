"""Sensitivity files: which policies to compare against a baseline, on which outcomes, over which
ranged assumptions, by which methods. The file is data: nothing in it is executed.

    [sensitivity]
    name = "sensitivity"                 # names the results folder: letters, digits, _ - .
    baseline = "centralised"             # one of the policies below
    seed = 20260301                      # seeds the designs and the runs
    replicates = 1                       # runs of each policy in each sampled world (same seeds everywhere)
    outcomes = ["latency_days.mean", { key = "staff.street.hours", better = "lower", negligible = 0.5 }]
    vary = "all"                         # every ranged assumption (default), or a list of dotted keys
    set = { "run.weeks" = 8 }            # optional: fixed scenario values of every run (as --set)

    [policies]                           # name = scenario file (relative to this file)
    centralised = "../scenarios/centralised.toml"
    dingshan = "../scenarios/dingshan.toml"

    [morris]                             # elementary effects over every varied assumption (screening)
    trajectories = 10
    levels = 4                           # optional, even, default 4

    [sobol]                              # optional: first- and total-order indices over a chosen few
    assumptions = ["staff.specialist.count", "staff.specialist.rota_awareness"]
    samples = 64                         # base sample size N (a power of 2); N (2k + 2) worlds

    [verdicts]                           # share of plausible worlds in which each reform wins
    worlds = 100                         # a Latin hypercube over every varied assumption
    facts = true                         # optional: verdicts also among the worlds that match the facts

An outcome named by a string must be a headline figure whose better direction is known
(sim.present.labels); any other runs-table column needs `better = "lower"` or `"higher"`.
A world's difference within ± `negligible` (in the outcome's unit) is a tie in the verdicts; it
defaults to the figure's threshold in scenarios/data/negligible.toml, 0 for a figure without one.
The ranges themselves are in the scenario files ([ranges], sim.scenario.ranges).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.present.labels import METRICS
from sim.runs.negligible import thresholds
from sim.scenario.files import read_toml

TOP_KEYS = ("sensitivity", "policies", "morris", "sobol", "verdicts")
HEAD_KEYS = ("name", "baseline", "seed", "replicates", "outcomes", "vary", "set")
NAME = re.compile(r"[A-Za-z0-9_.-]+")
POLICY = re.compile(r"[A-Za-z0-9_]+")
MAX_WORLDS = 100_000
MAX_SEED = 2**32 - 3  # SALib's samplers take 32-bit seeds; the designs use seed, seed + 1, seed + 2


@dataclass(frozen=True)
class Outcome:
    key: str
    better: int  # +1 higher is better, -1 lower is better
    margin: float = 0.0  # a difference within ± margin is a tie


@dataclass(frozen=True)
class Study:
    """A checked sensitivity file."""

    name: str
    path: Path
    baseline: str
    seed: int
    replicates: int
    outcomes: list[Outcome]
    vary: list[str] | None  # None: every ranged assumption
    fixed: dict[str, Any]
    policies: dict[str, Path]  # baseline first
    trajectories: int
    levels: int
    sobol: list[str] = field(default_factory=list)
    samples: int = 0
    worlds: int = 100
    facts: bool = False

    @property
    def reforms(self) -> list[str]:
        return [p for p in self.policies if p != self.baseline]

    def outcome(self, key: str) -> Outcome:
        return next(o for o in self.outcomes if o.key == key)


def load_study(path: str | Path) -> Study:
    """Read and check a sensitivity file; every problem is one ScenarioError naming file and key."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ScenarioError(path, "file", f"an existing sensitivity file (not found: {path})")
    data = read_toml(path)
    _keys(path, data, TOP_KEYS, "")
    head = _table(path, data, "sensitivity")
    _keys(path, head, HEAD_KEYS, "sensitivity.")
    policies = _policies(path, _table(path, data, "policies"))
    baseline = head.get("baseline")
    if baseline not in policies:
        raise ScenarioError(path, "sensitivity.baseline", "the name of one of the [policies]: " + ", ".join(policies))
    if len(policies) < 2:
        raise ScenarioError(path, "policies", "at least two policies: the baseline and a reform")
    morris = _table(path, data, "morris")
    _keys(path, morris, ("trajectories", "levels"), "morris.")
    levels = _whole(path, morris, "levels", 2, "morris.", default=4)
    if levels % 2:
        raise ScenarioError(path, "morris.levels", f"an even number of levels (SALib's Morris design); got {levels}")
    sobol = data.get("sobol")
    if sobol is not None:
        if not isinstance(sobol, dict):
            raise ScenarioError(path, "sobol", "a table")
        _keys(path, sobol, ("assumptions", "samples"), "sobol.")
    verdicts = data.get("verdicts", {})
    if not isinstance(verdicts, dict):
        raise ScenarioError(path, "verdicts", "a table")
    _keys(path, verdicts, ("worlds", "facts"), "verdicts.")
    if not isinstance(verdicts.get("facts", False), bool):
        raise ScenarioError(path, "verdicts.facts", "true or false")
    samples = _whole(path, sobol, "samples", 2, "sobol.") if sobol is not None else 0
    if samples and samples & (samples - 1):
        raise ScenarioError(path, "sobol.samples", f"a power of 2 (Sobol' sequences need one); got {samples}")
    return Study(
        name=_name(path, head), path=path, baseline=baseline, seed=_whole(path, head, "seed", 0, "sensitivity.", high=MAX_SEED),
        replicates=_whole(path, head, "replicates", 1, "sensitivity.", default=1),
        outcomes=_outcomes(path, head.get("outcomes")), vary=_vary(path, head.get("vary", "all")),
        fixed=_fixed(path, head.get("set", {})),
        policies={baseline: policies[baseline]} | {k: v for k, v in policies.items() if k != baseline},
        trajectories=_whole(path, morris, "trajectories", 2, "morris."), levels=levels,
        sobol=_keys_list(path, sobol.get("assumptions"), "sobol.assumptions") if sobol is not None else [],
        samples=samples, worlds=_whole(path, verdicts, "worlds", 0, "verdicts.", default=100),
        facts=verdicts.get("facts", False))


def _keys(path: Path, table: dict, known: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise ScenarioError(path, prefix + key, "not a known key here; known: " + ", ".join(known))


def _table(path: Path, data: dict, key: str) -> dict:
    if key not in data:
        raise ScenarioError(path, key, "required (missing)")
    if not isinstance(data[key], dict):
        raise ScenarioError(path, key, "a table")
    return data[key]


def _whole(path: Path, table: dict, key: str, low: int, prefix: str, default: int | None = None,
           high: int = MAX_WORLDS) -> int:
    value = table.get(key, default)
    if value is None:
        raise ScenarioError(path, prefix + key, "required (missing)")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScenarioError(path, prefix + key, f"a whole number from {low} to {high:,}; got {value!r}")
    return value


def _name(path: Path, head: dict) -> str:
    name = head.get("name", path.stem)
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ScenarioError(path, "sensitivity.name", "a name of letters, digits, _ - . (it names the folder)")
    return name


def _policies(path: Path, table: dict) -> dict[str, Path]:
    out = {}
    for name, file in table.items():
        if not POLICY.fullmatch(name):
            raise ScenarioError(path, f"policies.{name}", "a name of letters, digits and _")
        if not isinstance(file, str) or not (path.parent / file).is_file():
            raise ScenarioError(path, f"policies.{name}", f"the path of a scenario file relative to this file; "
                                                          f"not found: {file!r}")
        out[name] = (path.parent / file).resolve()
    return out


def _outcomes(path: Path, value: Any) -> list[Outcome]:
    if not isinstance(value, list) or not value:
        raise ScenarioError(path, "sensitivity.outcomes", "a list of headline keys, e.g. [\"latency_days.mean\"]")
    out = []
    for k, item in enumerate(value):
        where = f"sensitivity.outcomes[{k}]"
        if isinstance(item, str):
            if item not in METRICS:
                raise ScenarioError(path, where, f"a headline key with a known direction ({', '.join(METRICS)}), "
                                                 f"or {{ key = {item!r}, better = \"lower\" | \"higher\" }}")
            out.append(Outcome(item, METRICS[item].better, thresholds().get(item, 0.0)))
        elif isinstance(item, dict) and {"key", "better"} <= set(item) <= {"key", "better", "negligible"} \
                and isinstance(item["key"], str) and item["better"] in ("lower", "higher") \
                and _margin_ok(item.get("negligible", 0.0)):
            margin = float(item.get("negligible", thresholds().get(item["key"], 0.0)))
            out.append(Outcome(item["key"], 1 if item["better"] == "higher" else -1, margin))
        else:
            raise ScenarioError(path, where, "a headline key, or { key = \"...\", better = \"lower\" | \"higher\" "
                                             "[, negligible = a number >= 0] }")
    if len({o.key for o in out}) != len(out):
        raise ScenarioError(path, "sensitivity.outcomes", "each outcome once")
    return out


def _margin_ok(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")


def _keys_list(path: Path, value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value) \
            or len(set(value)) != len(value):
        raise ScenarioError(path, where, "a list of distinct dotted scenario keys that have a range")
    return value


def _vary(path: Path, value: Any) -> list[str] | None:
    return None if value == "all" else _keys_list(path, value, "sensitivity.vary")


def _fixed(path: Path, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(path, "sensitivity.set", "a table of dotted scenario keys and values")
    return value
