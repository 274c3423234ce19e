"""Experiment files and their SweetPea designs: the right runs, in a constrained and reproducible
order, and one clear error per malformed file."""

import random
import tomllib
from collections import Counter
from dataclasses import replace
from itertools import groupby

import pytest

from helpers import ROOT, SCENARIOS
from sim.studies import design
from sim.studies.design import format_plan, synthesize
from sim.errors import ScenarioError
from sim.studies.experiment_file import load_experiment
from sim.scenario.files import load, parse_override

SHIPPED = sorted(p for p in (ROOT / "experiments").glob("*.toml")
                 if "experiment" in tomllib.loads(p.read_text(encoding="utf-8")))  # not the sensitivity studies
HEAD = f"""[experiment]
name = "t"
base = "{(SCENARIOS / 'base.toml').as_posix()}"
replicates = 3
seed = 7
metrics = ["latency_days.mean"]
"""
FACTORS = f"""
[factors.model]
centralised = {{ scenario = "{(SCENARIOS / 'centralised.toml').as_posix()}" }}
dingshan = {{ scenario = "{(SCENARIOS / 'dingshan.toml').as_posix()}" }}
dachang = {{ scenario = "{(SCENARIOS / 'dachang.toml').as_posix()}" }}

[factors.demand]
normal = {{}}
high = {{ set = {{ "catalogue.demand_scale" = 1.5 }} }}

[factors.online]
low = {{ set = {{ choice = {{ online_literate = 0.0 }} }} }}
high = {{ set = {{ "choice.online_literate" = 1.5 }} }}
"""
EXCLUDES = """
[[exclude]]
model = "centralised"
online = "high"

[[exclude]]
model = ["dingshan", "dachang"]
demand = "high"
online = "low"
"""


def write(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def combination_counts(cells):
    return Counter(tuple(c.levels.values()) for c in cells)


def longest_runs(cells, factor):
    return max(len(list(g)) for _, g in groupby(c.levels[factor] for c in cells))


@pytest.fixture
def excluding(tmp_path):
    return load_experiment(write(tmp_path, HEAD + "max_in_a_row = { model = 2 }\n" + FACTORS + EXCLUDES))


def test_every_allowed_combination_replicates_times_and_no_excluded_one(excluding):
    cells = synthesize(excluding)
    allowed = {tuple(c.values()) for c in excluding.combinations()}
    assert len(allowed) == 12 - 2 - 2
    assert combination_counts(cells) == dict.fromkeys(allowed, 3)
    assert not any(excluding.excluded(c.levels) for c in cells)
    assert [c.run for c in cells] == list(range(len(cells)))


def test_replicates_are_numbered_per_combination_in_run_order(excluding):
    seen = Counter()
    for cell in synthesize(excluding):
        key = tuple(cell.levels.values())
        assert cell.replicate == seen[key]
        seen[key] += 1


def test_run_order_constraint_holds(excluding):
    for seed in range(5):
        assert longest_runs(synthesize(replace(excluding, seed=seed)), "model") <= 2


def test_same_seed_same_design_other_seed_other_order(excluding):
    first = synthesize(excluding)
    assert synthesize(excluding) == first
    assert [c.levels for c in synthesize(replace(excluding, seed=8))] != [c.levels for c in first]


def test_a_design_that_misses_a_combination_is_refused(excluding, monkeypatch):
    order = [c.levels for c in synthesize(excluding)]
    wrong = order[1:] + [{**order[0], "model": "centralised", "online": "high"}]  # one missing, one excluded
    monkeypatch.setattr(design, "_sample", lambda *args: wrong)
    with pytest.raises(ScenarioError, match=r"exp\.toml: design: .*SweetPea gave"):
        synthesize(excluding)


def test_synthesis_leaves_global_random_alone_and_prints_nothing(excluding, capfd):
    random.seed(123)
    state = random.getstate()
    synthesize(excluding)
    assert random.getstate() == state
    assert capfd.readouterr() == ("", "")


def test_cells_carry_their_levels_scenario_and_overrides(excluding):
    for cell in synthesize(excluding):
        chosen = [excluding.factors[f][name] for f, name in cell.levels.items()]
        assert cell.scenario == next((lvl.scenario for lvl in chosen if lvl.scenario), excluding.base)
        expected = {}
        if cell.levels["demand"] == "high":
            expected["catalogue.demand_scale"] = 1.5
        expected["choice.online_literate"] = 0.0 if cell.levels["online"] == "low" else 1.5
        assert dict(parse_override(o) for o in cell.overrides) == expected


def test_values_of_every_kind_survive_the_override_text(tmp_path):
    values = {"a.flag": True, "a.words": ["x y", 'say "hi"'], "a.n": 2, "a.rows": [{"communities": ["A", "B"]}]}
    text = HEAD + """[factors.f.one.set]
"a.flag" = true
"a.words" = ["x y", 'say "hi"']
"a.n" = 2
"a.rows" = [{ communities = ["A", "B"] }]
"""
    [cell] = synthesize(replace(load_experiment(write(tmp_path, text)), replicates=1))
    assert dict(parse_override(o) for o in cell.overrides) == values


def test_file_values_are_relative_to_the_experiment_file(tmp_path):
    (tmp_path / "sub").mkdir()
    data = write(tmp_path, "name,rate\n", "items.csv")
    text = HEAD + '[factors.f.one]\nset = { "catalogue.file" = "../items.csv", "meta.name" = "../items.csv" }\n'
    exp = load_experiment(write(tmp_path / "sub", text))
    assert exp.factors["f"]["one"].set == {"catalogue.file": str(data.resolve()), "meta.name": "../items.csv"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_experiments_load_synthesize_and_name_real_scenario_keys(path):
    exp = load_experiment(path)
    cells = synthesize(exp)
    combos = exp.combinations()
    assert combination_counts(cells) == {tuple(c.values()): exp.replicates for c in combos}
    for factor, k in exp.max_in_a_row.items():
        assert longest_runs(cells, factor) <= k
    for scenario, overrides in {(c.scenario, tuple(c.overrides)) for c in cells}:
        load(scenario, list(overrides))
    plan = format_plan(exp, cells)
    assert f"{len(combos)} combinations x {exp.replicates} replicates = {len(cells)} runs" in plan
    assert len(plan.splitlines()) > len(cells)


def test_shipped_files_are_the_issue_designs():
    assert {p.name for p in SHIPPED} >= {"authorisation.toml", "staffing.toml"}
    auth = load_experiment(ROOT / "experiments" / "authorisation.toml")
    assert {f: list(levels) for f, levels in auth.factors.items()} == {
        "model": ["centralised", "dingshan", "dachang", "xiaoding"],
        "demand": ["normal", "high"],
        "online": ["low", "high"],
    }
    staffing = synthesize(load_experiment(ROOT / "experiments" / "staffing.toml"))
    levels = {(c.levels["model"], tuple(c.overrides)[0]) for c in staffing}
    assert levels == {("dingshan", f"staff.specialist.count={n}") for n in (2, 4, 6)} | {
        ("dachang", f"points.community.windows={n}") for n in (1, 2, 3)}


GOOD = HEAD + FACTORS
MALFORMED = {
    "syntax": GOOD + "[factors.x\n",
    "factor": GOOD + "[factor.model]\na = {}\n",
    "experiment.replicate": GOOD.replace("replicates", "replicate"),
    "experiment.replicates": GOOD.replace("replicates = 3", "replicates = 0"),
    "experiment.seed": GOOD.replace("seed = 7", 'seed = "seven"'),
    "experiment.metrics": GOOD.replace('["latency_days.mean"]', "[]"),
    "experiment.name": GOOD.replace('name = "t"', 'name = "a/b"'),
    "factors.empty": GOOD + "[factors.empty]\n",
    "factors.demand.huge": GOOD.replace("high = {", "huge = 3\nhigh = {", 1),
    "factors.demand.high.sett": GOOD.replace("high = { set", "high = { sett", 1),
    "factors.model.dachang.scenario": GOOD.replace("dachang.toml", "nope.toml"),
    "factors.demand.high.set.catalogue.2x": GOOD.replace('"catalogue.demand_scale" = 1.5', '"catalogue.2x" = 1'),
    "exclude[0].modle": GOOD + '[[exclude]]\nmodle = "dingshan"\n',
    "exclude[0].model": GOOD + '[[exclude]]\nmodel = "pukou"\n',
    "exclude": GOOD + '[[exclude]]\ndemand = ["normal", "high"]\n',
    "factors.online.high": GOOD + '[[exclude]]\nonline = "high"\n',
    "experiment.max_in_a_row": GOOD.replace("seed", "max_in_a_row = 0\nseed"),
    "experiment.max_in_a_row.size": GOOD.replace("seed", "max_in_a_row = { size = 2 }\nseed"),
    "experiment.base": "".join(line for line in HEAD.splitlines(True) if not line.startswith("base"))
    + "[factors.demand]\nhigh = {}\n",
}


@pytest.mark.parametrize("key", MALFORMED)
def test_malformed_file_gives_one_clear_error(tmp_path, key):
    path = write(tmp_path, MALFORMED[key], "bad.toml")
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert "\n" not in message


def test_two_scenarios_or_one_key_twice_in_a_run(tmp_path):
    twice = GOOD + f'[factors.area]\nx = {{ scenario = "{(SCENARIOS / "base.toml").as_posix()}" }}\n'
    with pytest.raises(ScenarioError, match=r"exp\.toml: factors: .*model\.centralised, area\.x"):
        load_experiment(write(tmp_path, twice))
    clash = GOOD + '[factors.busy]\nyes = { set = { catalogue = { demand_scale = 2.0 } } }\n'
    with pytest.raises(ScenarioError, match=r"factors\.busy\.yes\.set\.catalogue\.demand_scale: .*demand\.high"):
        load_experiment(write(tmp_path, clash))


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.toml: file: .*not found"):
        load_experiment(tmp_path / "nope.toml")


def test_impossible_run_order_is_refused_before_sampling(tmp_path):
    path = write(tmp_path, GOOD.replace("seed", "max_in_a_row = { model = 1 }\nseed")
                 + '[[exclude]]\nmodel = ["dingshan", "dachang"]\ndemand = "high"\n'
                 + '[[exclude]]\nmodel = ["dingshan", "dachang"]\nonline = "high"\n')
    with pytest.raises(ScenarioError, match=r"exp\.toml: experiment\.max_in_a_row: at least 2 for model"):
        synthesize(load_experiment(path))


def test_run_order_too_tight_for_the_sampler_stops_with_an_error(tmp_path):
    text = HEAD.replace("replicates = 3", "replicates = 4") + "max_in_a_row = 1\n" + (
        "[factors.a]\nx = {}\ny = {}\n[factors.b]\np = {}\nq = {}\n")
    with pytest.raises(ScenarioError, match=r"exp\.toml: experiment\.max_in_a_row: a looser run-order"):
        synthesize(load_experiment(write(tmp_path, text)), time_limit=0.5)
