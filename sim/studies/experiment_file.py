"""Experiment files: factors with named levels, exclusions and a run-order constraint, in TOML.

An experiment says which scenario variants to compare and how often; `sim.design` turns it
into an ordered list of runs. The file is data: nothing in it is executed.

    [experiment]
    name = "authorisation"               # names the results folder: letters, digits, _ - .
    base = "../scenarios/base.toml"      # optional: scenario of runs whose levels name none
    replicates = 3                       # runs of each combination (replicate r: same seeds everywhere)
    seed = 20260101                      # seeds the run order
    metrics = ["service_radius_km.mean", "latency_days.mean"]   # dotted headline keys to analyse
    max_in_a_row = 2                     # optional: at most k consecutive runs with the same level
                                         # of any factor; or per factor: { model = 2, demand = 3 }

    [factors.model]                      # factor "model"; each key below is one of its levels
    centralised = { scenario = "../scenarios/centralised.toml" }
    dingshan = { scenario = "../scenarios/dingshan.toml", set = { "staff.specialist.count" = 6 } }

    [factors.demand]
    normal = {}                          # an empty level: the scenario as it is
    high = { set = { "catalogue.demand_scale" = 1.5 } }

    [[exclude]]                          # leave out every combination matching all of these;
    model = "centralised"                # a value may also be a list of levels (any of them)
    demand = "high"

A level may name a `scenario` (a path relative to this file) and `set` scenario values
(dotted keys, as `--set` would; nested tables are read as dotted keys). In any run at most
one level names a scenario and no two levels set the same key. The scenario loader checks
the keys and values themselves: `--plan` loads one run of every level, the job every run, before
anything runs.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.files import Spec, read_toml, spec_at

TOP_KEYS = ("experiment", "factors", "exclude")
EXPERIMENT_KEYS = ("name", "base", "replicates", "seed", "metrics", "max_in_a_row")
LEVEL_KEYS = ("scenario", "set")
RESERVED = ("run", "replicate", "seed", "scenario", "overrides", "label", "status", "error")  # columns of a run beside the factors

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a folder name that cannot be "." or ".."
FACTOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LEVEL = re.compile(r"[A-Za-z0-9_-]+")
PART = re.compile(r"[A-Za-z_]\w*")
MAX_RUNS = 10_000  # runs in one design unless asked for more (--max-runs)
MAX_COMBINATIONS = 1_000_000  # combinations of levels listed before exclusions are applied


@dataclass(frozen=True)
class Level:
    """One level of a factor: a scenario file and/or dotted scenario values."""

    name: str
    scenario: Path | None = None
    set: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """A checked experiment file; `excludes` map factor -> the levels that match."""

    name: str
    path: Path
    base: Path | None
    replicates: int
    seed: int
    metrics: list[str]
    factors: dict[str, dict[str, Level]]
    excludes: list[dict[str, tuple[str, ...]]]
    max_in_a_row: dict[str, int]

    def excluded(self, levels: dict[str, str]) -> bool:
        return any(all(levels[f] in names for f, names in rule.items()) for rule in self.excludes)

    def combinations(self) -> list[dict[str, str]]:
        """Every allowed combination of levels, in the file's order."""
        every = (dict(zip(self.factors, combo)) for combo in itertools.product(*self.factors.values()))
        return [levels for levels in every if not self.excluded(levels)]


def load_experiment(path: str | Path, max_runs: int = MAX_RUNS) -> Experiment:
    """Read and check an experiment file; every problem is a ScenarioError naming file and key.
    A design of more than `max_runs` runs is refused before it is built."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ScenarioError(path, "file", f"an existing experiment file (not found: {path})")
    data = read_toml(path)
    _known_keys(path, data, TOP_KEYS, "")
    head = _table(path, data.get("experiment"), "experiment")
    _known_keys(path, head, EXPERIMENT_KEYS, "experiment.")
    name = _name(path, head)
    base = _scenario_path(path, head["base"], "experiment.base") if "base" in head else None
    replicates, seed = _whole(path, head, "replicates", 1), _whole(path, head, "seed", 0)
    metrics = _metrics(path, head)
    factors = _factors(path, data.get("factors"))
    exp = Experiment(
        name=name,
        path=path,
        base=base,
        replicates=replicates,
        seed=seed,
        metrics=metrics,
        factors=factors,
        excludes=_excludes(path, data.get("exclude", []), factors),
        max_in_a_row=_max_in_a_row(path, head.get("max_in_a_row"), factors),
    )
    _check_size(exp, max_runs)
    _check_combinations(exp)
    return exp


def _check_size(exp: Experiment, max_runs: int) -> None:
    """Count the runs before listing them: a design too big to run is refused at once."""
    listed = math.prod(len(levels) for levels in exp.factors.values())
    if listed > MAX_COMBINATIONS:
        raise ScenarioError(exp.path, "factors", f"at most {MAX_COMBINATIONS:,} combinations of levels; "
                                                 f"these factors make {listed:,}")
    runs = len(exp.combinations()) * exp.replicates
    if runs > max_runs:
        raise ScenarioError(exp.path, "experiment.replicates", f"a design of at most {max_runs:,} runs "
                                                               f"(--max-runs); this one has {runs:,}")


def _table(path: Path, value: Any, key: str) -> dict:
    if value is None:
        raise ScenarioError(path, key, "required (missing)")
    if not isinstance(value, dict):
        raise ScenarioError(path, key, "a table")
    return value


def _known_keys(path: Path, table: dict, known: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise ScenarioError(path, prefix + key, "not a known key here; known: " + ", ".join(known))


def _name(path: Path, head: dict) -> str:
    name = head.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ScenarioError(path, "experiment.name", "a name of letters, digits, '_', '-' or '.', "
                                                 "starting with a letter, digit or '_'")
    return name


def _whole(path: Path, head: dict, key: str, lo: int) -> int:
    value = head.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value < 2**63:
        raise ScenarioError(path, f"experiment.{key}", f"a whole number >= {lo}; got {value!r}"[:200])
    return value


def _metrics(path: Path, head: dict) -> list[str]:
    metrics = head.get("metrics")
    if (not isinstance(metrics, list) or not metrics
            or not all(isinstance(m, str) and _dotted(m) for m in metrics)):
        raise ScenarioError(path, "experiment.metrics",
                            'a non-empty list of dotted headline keys, e.g. ["latency_days.mean"]')
    return metrics


def _dotted(key: str) -> bool:
    return all(PART.fullmatch(part) for part in key.split("."))


def _scenario_path(path: Path, value: Any, key: str) -> Path:
    if not isinstance(value, str):
        raise ScenarioError(path, key, "a path (string) to a scenario file, relative to this file")
    scenario = (path.parent / value).resolve()
    if not scenario.is_file():
        raise ScenarioError(path, key, f"an existing scenario file (not found: {scenario})")
    return scenario


def _factors(path: Path, value: Any) -> dict[str, dict[str, Level]]:
    factors = _table(path, value, "factors")
    if not factors:
        raise ScenarioError(path, "factors", "at least one factor, as [factors.NAME]")
    out = {}
    for name, levels in factors.items():
        key = f"factors.{name}"
        if not FACTOR.fullmatch(name) or name in RESERVED:
            raise ScenarioError(path, key, "a factor name of letters, digits and '_', not "
                                + ", ".join(RESERVED))
        if not isinstance(levels, dict):
            raise ScenarioError(path, key, "a table of levels, as [factors.NAME]")
        if not levels:
            raise ScenarioError(path, key, "at least one level")
        out[name] = {level: _level(path, level, spec, f"{key}.{level}") for level, spec in levels.items()}
    return out


def _level(path: Path, name: str, spec: Any, key: str) -> Level:
    if not LEVEL.fullmatch(name):
        raise ScenarioError(path, key, "a level name of letters, digits, '_' or '-'")
    if not isinstance(spec, dict):
        raise ScenarioError(path, key, 'a table, e.g. { scenario = "...", set = { "a.b" = 1 } }')
    _known_keys(path, spec, LEVEL_KEYS, key + ".")
    scenario = _scenario_path(path, spec["scenario"], key + ".scenario") if "scenario" in spec else None
    values = spec.get("set", {})
    if not isinstance(values, dict):
        raise ScenarioError(path, key + ".set", 'a table of dotted scenario keys, e.g. { "a.b" = 1 }')
    flat: dict[str, Any] = {}
    for dotted, value in _flatten(values, ""):
        where = f"{key}.set.{dotted}"
        if not _dotted(dotted):
            raise ScenarioError(path, where, "a dotted scenario key like catalogue.demand_scale")
        if dotted in flat:
            raise ScenarioError(path, where, "set once per level (given twice)")
        flat[dotted] = _absolute(path, dotted, value)
    return Level(name, scenario, flat)


def _flatten(values: dict, prefix: str):
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def _absolute(path: Path, dotted: str, value: Any) -> Any:
    """File values are relative to the experiment file, as `scenario` is, not to where runs start."""
    spec = spec_at(dotted)
    if isinstance(spec, Spec) and spec.kind == "path" and isinstance(value, str):
        return str((path.parent / value).resolve())
    return value


def _excludes(path: Path, value: Any, factors: dict) -> list[dict[str, tuple[str, ...]]]:
    if not isinstance(value, list) or not all(isinstance(rule, dict) for rule in value):
        raise ScenarioError(path, "exclude", "an array of tables, as [[exclude]]")
    rules = []
    for i, rule in enumerate(value):
        key = f"exclude[{i}]"
        if not rule:
            raise ScenarioError(path, key, "at least one factor = level")
        checked = {}
        for factor, levels in rule.items():
            if factor not in factors:
                raise ScenarioError(path, f"{key}.{factor}", "a factor: one of " + ", ".join(factors))
            names = [levels] if isinstance(levels, str) else levels
            known = factors[factor]
            if not isinstance(names, list) or not names or not all(n in known for n in names):
                raise ScenarioError(path, f"{key}.{factor}",
                                    f"a level of {factor} (or a list of them): one of " + ", ".join(known))
            checked[factor] = tuple(names)
        rules.append(checked)
    return rules


def _max_in_a_row(path: Path, value: Any, factors: dict) -> dict[str, int]:
    key = "experiment.max_in_a_row"
    if value is None:
        return {}
    each = isinstance(value, dict)
    for factor, k in (value if each else dict.fromkeys(factors, value)).items():
        where = f"{key}.{factor}" if each else key
        if factor not in factors:
            raise ScenarioError(path, where, "a factor: one of " + ", ".join(factors))
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ScenarioError(path, where, f"a whole number >= 1, or a table factor = number; got {k!r}"[:200])
    return value if each else dict.fromkeys(factors, value)


def _check_combinations(exp: Experiment) -> None:
    """Some run left, every level used, and each run's scenario and values unambiguous."""
    combos = exp.combinations()
    if not combos:
        raise ScenarioError(exp.path, "exclude", "constraints that leave at least one combination "
                                                 "(these exclude every one)")
    for factor, levels in exp.factors.items():
        for name in levels:
            if not any(c[factor] == name for c in combos):
                raise ScenarioError(exp.path, f"factors.{factor}.{name}",
                                    "a level some run uses (every combination with it is excluded)")
    for combo in combos:
        chosen = [(f, exp.factors[f][name]) for f, name in combo.items()]
        named = [f"{f}.{lvl.name}" for f, lvl in chosen if lvl.scenario]
        if len(named) > 1:
            raise ScenarioError(exp.path, "factors", "at most one level per run naming a scenario; "
                                                     "these meet in one run: " + ", ".join(named))
        if not named and exp.base is None:
            raise ScenarioError(exp.path, "experiment.base", "a base scenario, since in some runs no level "
                                                             "names one: " + _describe(combo))
        setters: dict[str, str] = {}
        for f, lvl in chosen:
            for dotted in lvl.set:
                if dotted in setters:
                    raise ScenarioError(exp.path, f"factors.{f}.{lvl.name}.set.{dotted}",
                                        f"a key no other level of the same run sets (so does {setters[dotted]})")
                setters[dotted] = f"{f}.{lvl.name}"


def _describe(levels: dict[str, str]) -> str:
    return " ".join(f"{f}={name}" for f, name in levels.items())
