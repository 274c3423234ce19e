"""The design of an experiment: which runs it makes and in what order, synthesised by SweetPea.

SweetPea crosses the factors, drops excluded combinations (a derived factor marks them and
`Exclude` removes it), repeats the crossing `replicates` times (`MinimumTrials`) and orders the
runs under the run-order constraint (`AtMostKInARow`), so that an experiment stopped part-way
has already seen every level. Replicate numbers are ours: the r-th run of a combination in run
order is replicate r, and the runner gives replicate r the same seeds in every combination
(common random numbers).

The `RandomGen` sampler is instant and needs no solver binary, but draws from Python's global
`random`: synthesis seeds it from the experiment and restores it afterwards, so a file always
gives the same plan. It is therefore not safe to call from two threads at once.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from sim.errors import ScenarioError
from sim.studies.experiment_file import Experiment

os.environ["UNIGEN_DOWNLOAD_IF_MISSING"] = "False"  # read when sweetpea is imported: never fetch a solver
import sweetpea as sp  # noqa: E402

EXCLUDED = "excluded?"  # the derived factor's name: no factor in a file can be called this


@dataclass(frozen=True)
class Cell:
    """One run: its place in the run order, its levels, its replicate and what to load."""

    run: int
    levels: dict[str, str]
    replicate: int
    scenario: Path
    overrides: list[str]


def synthesize(exp: Experiment, time_limit: float = 10.0) -> list[Cell]:
    """The runs of an experiment in run order: every allowed combination `replicates` times.

    A run-order constraint that random orders rarely keep is refused after `time_limit` seconds.
    """
    combos = exp.combinations()
    _check_run_order_exists(exp, combos)
    order = _sample(exp, len(combos), time_limit)
    _check_counts(exp, combos, order)
    seen: Counter[tuple[str, ...]] = Counter()
    cells = []
    for run, levels in enumerate(order):
        key = tuple(levels.values())
        cells.append(_cell(exp, run, levels, seen[key]))
        seen[key] += 1
    return cells


def _cell(exp: Experiment, run: int, levels: dict[str, str], replicate: int) -> Cell:
    chosen = [exp.factors[f][name] for f, name in levels.items()]
    scenario = next((lvl.scenario for lvl in chosen if lvl.scenario), exp.base)
    assert scenario is not None, "load_experiment refuses a run that names no scenario"
    overrides = [f"{key}={_toml(value)}" for lvl in chosen for key, value in lvl.set.items()]
    return Cell(run, levels, replicate, scenario, overrides)


def _toml(value) -> str:
    """A value as one line of TOML, as `--set` reads it."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = (tomli_w.dumps({k: 0}).rsplit(" = ", 1)[0] for k in value)
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in zip(keys, value.values())) + " }"
    return tomli_w.dumps({"v": value})[4:].strip()


def _check_run_order_exists(exp: Experiment, combos: list[dict[str, str]]) -> None:
    """A level filling too many runs cannot be spread out; say so instead of searching forever."""
    total = len(combos) * exp.replicates
    for factor, k in exp.max_in_a_row.items():
        for level in exp.factors[factor]:
            count = exp.replicates * sum(c[factor] == level for c in combos)
            gaps = total - count + 1
            if count > k * gaps:
                raise ScenarioError(exp.path, "experiment.max_in_a_row",
                                    f"at least {-(-count // gaps)} for {factor}: {factor} = {level} "
                                    f"fills {count} of the {total} runs")


class _TooSlow(Exception):
    pass


class _AtMostKInARow(sp.AtMostKInARow):
    """AtMostKInARow with a deadline. RandomGen keeps it by drawing whole run orders until one
    passes and never stops by itself; it asks the constraint about every order it draws."""

    def __init__(self, k: int, factor: sp.Factor, deadline: float):
        super().__init__(k, factor)
        self.deadline = deadline

    def potential_sample_conforms(self, sample: dict, block: sp.Block) -> bool:
        if time.monotonic() > self.deadline:
            raise _TooSlow
        return super().potential_sample_conforms(sample, block)


def _sample(exp: Experiment, combos: int, time_limit: float) -> list[dict[str, str]]:
    factors = [sp.Factor(name, list(levels)) for name, levels in exp.factors.items()]
    design = list(factors)
    deadline = time.monotonic() + time_limit
    constraints = [_AtMostKInARow(k, f, deadline) for f in factors if (k := exp.max_in_a_row.get(f.name))]
    constraints.append(sp.MinimumTrials(combos * exp.replicates))
    if exp.excludes:
        def excluded(*names: str) -> bool:
            return exp.excluded(dict(zip(exp.factors, names)))

        marker = sp.Factor(EXCLUDED, [sp.DerivedLevel("yes", sp.WithinTrial(excluded, factors)),
                                      sp.DerivedLevel("no", sp.WithinTrial(lambda *n: not excluded(*n), factors))])
        design.append(marker)
        constraints.append(sp.Exclude(marker["yes"]))
    block = sp.CrossBlock(design, factors, constraints, require_complete_crossing=not exp.excludes)
    output = io.StringIO()
    saved = random.getstate()
    try:
        random.seed(exp.seed)
        with contextlib.redirect_stdout(output):
            trials = sp.synthesize_trials(block, 1, sp.RandomGen)
    except _TooSlow:
        raise ScenarioError(exp.path, "experiment.max_in_a_row",
                            "a looser run-order constraint (SweetPea draws random run orders until one keeps it, "
                            f"and found none in {time_limit:g} s): raise k or constrain fewer factors") from None
    finally:
        random.setstate(saved)
    if not trials:
        said = " ".join(output.getvalue().split())[-300:]
        raise ScenarioError(exp.path, "design", f"a design SweetPea can synthesise (it said: {said})")
    trial = trials[0]
    return [dict(zip(exp.factors, names)) for names in zip(*(trial[f] for f in exp.factors))]


def _check_counts(exp: Experiment, combos: list[dict[str, str]], order: list[dict[str, str]]) -> None:
    """Trust, but verify: every allowed combination exactly `replicates` times, nothing else."""
    want = {tuple(c.values()): exp.replicates for c in combos}
    got = Counter(tuple(levels.values()) for levels in order)
    for key in sorted(want.keys() | got.keys()):
        if got[key] != want.get(key, 0):
            levels = " ".join(f"{f}={name}" for f, name in zip(exp.factors, key))
            raise ScenarioError(exp.path, "design", f"{want.get(key, 0)} runs of {levels} (SweetPea gave "
                                                    f"{got[key]}); a SweetPea problem, please report it")


def format_plan(exp: Experiment, cells: list[Cell]) -> str:
    """The design as a readable table, for `python -m sim experiment FILE --plan`."""
    combos = len(cells) // exp.replicates
    lines = [
        f"Experiment {exp.name} ({exp.path})",
        f"{combos} combinations x {exp.replicates} replicates = {len(cells)} runs; run order seed {exp.seed}",
    ]
    for rule in exp.excludes:
        lines.append("excluded: " + ", ".join(f"{f}={'|'.join(names)}" for f, names in rule.items()))
    if exp.max_in_a_row:
        lines.append("at most in a row: " + ", ".join(f"{f} {k}" for f, k in exp.max_in_a_row.items()))
    lines += ["metrics: " + ", ".join(exp.metrics), ""]
    header = ["run", *exp.factors, "replicate", "scenario", "overrides"]
    rows = [[str(c.run), *c.levels.values(), str(c.replicate),
             os.path.relpath(c.scenario, exp.path.parent), "; ".join(c.overrides)] for c in cells]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(text.ljust(w) for text, w in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"
