"""The sensitivity study: the uncertainty space as data, SALib's indices recovering known answers
on analytic functions, a small study that writes every output file and resumes after a kill
running each run once, and one clear line for a bad design file."""

import collections
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import psutil
import pytest
from SALib.test_functions import Ishigami

import sim
from helpers import ROOT, SCENARIOS, kill_part_way
from sim.cli import main
from sim.present.labels import fact_label
from sim.runs import global_sensitivity as gsa
from sim.runs.robustness import judge, losing_box, verdicts
from sim.scenario.ranges import Range
from sim.studies.sensitivity import RESULT_FILES, build

STUDY = ROOT / "tests" / "scenarios" / "sensitivity_tiny.toml"
RUNS = (10 + 8 + 10) * 2


# ---- the uncertainty space ------------------------------------------------------------------------

def test_every_shipped_policy_has_its_ranges_and_holds_its_defaults():
    for name in ("centralised", "dingshan", "dachang", "xiaoding", "mixed"):
        scenario = sim.load(SCENARIOS / f"{name}.toml")
        keys = {r.key for r in scenario.ranges}
        assert {"territory.circuity", "residents.go_delay_days", "staff.specialist.when_absent"} <= keys
        assert ("staff.specialist.count" in keys) == (name in ("dingshan", "xiaoding"))
    assert "staff.specialist.count" in {r.key for r in sim.load(SCENARIOS / "dingshan_rota.toml").ranges}
    go = next(r for r in sim.load(SCENARIOS / "base.toml").ranges if r.key == "residents.go_delay_days")
    assert (go.dist, go.mode) == ("triangular", 1.0)


def test_a_policy_that_sets_its_own_value_keeps_it_out_of_the_ranges(tmp_path):
    path = tmp_path / "more_windows.toml"
    path.write_text(f'extends = "{(SCENARIOS / "centralised.toml").as_posix()}"\n[points.street]\nwindows = 12\n')
    assert "points.street.windows" not in {r.key for r in sim.load(path).ranges}
    # a value given by --set (as a study gives its sampled values) is not judged against the range
    assert "points.street.windows" in {r.key for r in sim.load(SCENARIOS / "centralised.toml",
                                                                ["points.street.windows=9"]).ranges}


def test_sampled_numbers_become_scenario_values():
    assert Range("k", 2, 6, integer=True).value(3.6) == 4
    assert Range("k", 2, 6, integer=True).value(6.4) == 6
    choice = Range("k", 0, 2, levels=("hold", "send_to_street"))
    assert [choice.value(x) for x in (0.0, 0.99, 1.0, 2.0)] == ["hold", "hold", "send_to_street", "send_to_street"]
    assert choice.override(1.5) == 'k="send_to_street"'


@pytest.mark.parametrize("entry, words", [
    ('"territory.circuity" = { low = 1.4, high = 1.5 }', ["ranges.territory.circuity", "own value 1.3"]),
    ('"territory.circuity" = { low = 0.5, high = 1.5 }', ["ranges.territory.circuity", "from 1 to 5"]),
    ('"territory.circuity" = { low = 1.2, high = 1.5, dist = "gamma" }', ["ranges.territory.circuity.dist"]),
    ('"territory.nope" = { low = 1, high = 2 }', ["ranges.territory.nope", "dotted key"]),
    ('"staff.specialist.when_absent" = { levels = ["hold", "teleport"] }', ["when_absent", "send_to_street"]),
])
def test_a_bad_range_is_one_clear_line(tmp_path, capsys, entry, words):
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{(SCENARIOS / "centralised.toml").as_posix()}"\n[ranges]\n{entry}\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]
    for w in words:
        assert w in err[0], err[0]


# ---- known answers ----------------------------------------------------------------------------------

def test_sobol_recovers_the_ishigami_indices():
    ranges = [Range(k, -np.pi, np.pi) for k in ("x1", "x2", "x3")]
    design = gsa.sobol_design(ranges, 1024, seed=3)
    found = gsa.sobol_indices(ranges, Ishigami.evaluate(design), seed=3)
    a, b = 7.0, 0.1  # analytic first and total order (Ishigami and Homma 1990)
    v = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = (1 + b * np.pi**4 / 5) ** 2 / 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    np.testing.assert_allclose(found["S1"], [v1 / v, v2 / v, 0.0], atol=0.05)
    np.testing.assert_allclose(found["ST"], [(v1 + v13) / v, v2 / v, v13 / v], atol=0.05)
    assert (found["S1_conf"] > 0).all() and (found["S1_conf"] < 0.1).all()


def test_morris_recovers_a_linear_function():
    """y = 3a + 1b + 0c with b on [0, 2]: mu* is the change across each whole range, sigma 0."""
    ranges = [Range("a", 0, 1), Range("b", 0, 2), Range("c", -1, 1)]
    design = gsa.morris_design(ranges, 10, 4, seed=1)
    found = gsa.morris_indices(ranges, design, design @ np.array([3.0, 1.0, 0.0]), 4, seed=1)
    np.testing.assert_allclose(found["mu_star"], [3.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(found["sigma"], [0.0, 0.0, 0.0], atol=1e-9)


def test_verdicts_and_prim_find_where_a_reform_loses():
    rng = np.random.default_rng(5)
    worlds = pd.DataFrame({"staff": rng.uniform(2, 6, 400), "noise": rng.uniform(0, 1, 400),
                           "rule": rng.choice(["hold", "send_to_street"], 400)})
    diff = np.where((worlds["staff"] < 3) & (worlds["rule"] == "hold"), 1.0, -1.0)  # lower is better
    table = verdicts(pd.DataFrame({"world": range(400), "reform": "r", "outcome": "y", "diff": diff}), {"y": -1})
    share = (diff < 0).mean()
    assert table.loc[0, "share"] == pytest.approx(share) and table.loc[0, "low"] < share < table.loc[0, "high"]
    box = losing_box(worlds, diff > 0, "r", "y")
    assert set(box.limits) == {"staff", "rule"} and box.limits["rule"] == ("hold",)
    assert box.limits["staff"][0] is None and 2.8 < box.limits["staff"][1] < 3.2
    assert box.coverage >= 0.5 and box.density > 0.9


def test_no_box_is_shown_where_the_losing_worlds_follow_no_assumption():
    rng = np.random.default_rng(7)
    worlds = pd.DataFrame({"a": rng.uniform(0, 1, 400), "b": rng.uniform(0, 1, 400), "c": rng.uniform(0, 1, 400)})
    assert losing_box(worlds, rng.uniform(0, 1, 400) < 0.1, "r", "y") is None  # any box would be mostly winners


def test_a_tie_margin_is_shown_to_its_first_digit():
    from sim.present.sensitivity_report import margin_text

    assert margin_text("trips_per_request", 0.005, "en") == "± 0.005"
    assert margin_text("latency_days.p90", 0.02, "en") == "± 0.02 days"
    assert margin_text("share_without_trip", 0.002, "en") == "± 0.2 pp"
    assert margin_text("latency_days.p90", 0.0, "en") == "0"


def test_a_difference_within_the_negligible_margin_is_a_tie_not_a_win_or_a_loss():
    diff = np.array([-0.5, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.5, np.nan])  # lower is better
    assert list(judge(diff[:-1], -1, 0.02)) == [1, 1, 0, 0, 0, 0, 0, -1, -1] and np.isnan(judge(diff, -1, 0.02)[-1])
    assert list(judge(diff[:-1], -1)) == [1, 1, 1, 1, 0, -1, -1, -1, -1]  # no margin: only exact ties
    table = verdicts(pd.DataFrame({"world": range(10), "reform": "r", "outcome": "y", "diff": diff}), {"y": -1},
                     margins={"y": 0.02})
    row = table.iloc[0]
    assert (row.worlds, row.wins, row.ties, row.losses, row.margin) == (9, 2, 5, 2, 0.02)
    assert row.share == pytest.approx(2 / 9)


def test_outcome_margins_default_to_the_negligible_thresholds_and_can_be_set(tmp_path):
    from sim.runs.negligible import thresholds

    study = build(ROOT / "experiments" / "sensitivity.toml").study
    for o in study.outcomes:
        assert o.margin == thresholds().get(o.key, 0.0)
    assert study.outcome("latency_counting_open_days.restricted_mean").margin == 0.02
    path = tmp_path / "own.toml"
    path.write_text(STUDY.read_text().replace('"service_radius_km.mean"', '{ key = "service_radius_km.mean", '
                                              'better = "lower", negligible = 0.3 }')
                    .replace('"tiny.toml"', f'"{(STUDY.parent / "tiny.toml").as_posix()}"')
                    .replace('"tiny_dachang.toml"', f'"{(STUDY.parent / "tiny_dachang.toml").as_posix()}"'))
    assert build(path).study.outcome("service_radius_km.mean").margin == 0.3


# ---- the study end to end -----------------------------------------------------------------------

def test_the_plan_prints_the_design_and_runs_nothing(tmp_path, capsys):
    assert main(["sensitivity", str(STUDY), "--plan", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "morris" in out and "10 worlds" in out and f"total: {RUNS} runs" in out and "about" in out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["sensitivity.toml", "sensitivity_small.toml"])
def test_the_shipped_studies_build_over_every_ranged_assumption_of_the_four_models(name):
    plan = build(ROOT / "experiments" / name)
    assert list(plan.scenarios) == ["centralised", "dingshan", "dachang", "xiaoding"]
    assert {r.key for r in plan.ranges} == {r.key for sc in plan.scenarios.values() for r in sc.ranges}
    assert plan.worlds("morris") == plan.study.trajectories * (len(plan.ranges) + 1)


def test_worlds_pair_the_policies_under_common_random_numbers():
    plan = build(STUDY)
    assert len(plan.tasks) == RUNS and len({t.seed for t in plan.tasks}) == 1
    by_world = {}
    for t in plan.tasks:
        by_world.setdefault(t.label.split("-")[0], []).append(t.overrides)
    assert all(len(o) == 2 and o[0] == o[1] for o in by_world.values())  # both policies see one world
    sobol = [o for w, (o, _) in by_world.items() if w.startswith("s")]
    assert all(not any(x.startswith("residents.go_delay_days") for x in o) for o in sobol)  # held at its default


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """The small study killed part-way in a subprocess, then run again to the end."""
    out = tmp_path_factory.mktemp("sensitivity") / "tiny"
    args = [sys.executable, "-m", "sim", "sensitivity", str(STUDY), "--out", str(out), "--workers", "1"]
    workers = kill_part_way(args, lambda: len(list((out / "runs").glob("[msv]*"))) >= 3)
    psutil.wait_procs(workers, timeout=10)
    finished = sorted(p.name for p in (out / "runs").iterdir() if not p.name.startswith("."))
    stamps = {n: (out / "runs" / n / "metrics.json").stat().st_mtime_ns for n in finished}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return out, finished, stamps, done


def test_a_killed_study_resumes_running_each_run_once(resumed):
    out, finished, stamps, done = resumed
    assert done.returncode == 0, done.stderr
    assert 0 < len(finished) < RUNS, "the kill should land part-way"
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    assert runs == {"ran": RUNS - len(finished), "skipped": len(finished), "failed": {}}
    assert {n: (out / "runs" / n / "metrics.json").stat().st_mtime_ns for n in finished} == stamps
    assert len([p for p in (out / "runs").iterdir() if not p.name.startswith(".")]) == RUNS


def test_the_study_writes_every_output_file(resumed):
    out, _, _, done = resumed
    for name in RESULT_FILES:
        assert (out / name).is_file(), name
    figures = {p.name for p in (out / "figures").iterdir()}
    for kind in ("morris", "sobol", "tornado"):
        assert {f"{kind}_0.png", f"{kind}_0.svg", f"{kind}_1.png", f"{kind}_1.svg"} <= figures
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == RUNS and (runs["status"] == "ok").all()
    assert set(runs["design"]) == {"morris", "sobol", "verdicts"} and set(runs["policy"]) == {"centralised", "dachang"}
    table = pd.read_csv(out / "verdicts.csv")
    assert set(table["outcome"]) == {"latency_days.mean", "service_radius_km.mean"}
    assert ((table["low"] <= table["share"]) & (table["share"] <= table["high"])).all()
    morris = pd.read_csv(out / "morris.csv")
    assert len(morris) == 2 * 4 and morris["mu_star"].notna().all()
    report = (out / "report.md").read_text()
    assert "Dachang beats Centralised on the mean time from need to done of finished requests in" in report
    worlds = pd.read_csv(out / "worlds.csv")
    from sim.measure.facts import load_facts
    for f in load_facts():  # each fact judged in each world, and counted in the report
        assert worlds[f"fact.{f.name}.ok"].notna().all()
        passed = int(worlds.loc[worlds["design"] == "verdicts", f"fact.{f.name}.ok"].astype(bool).sum())
        assert f"| {fact_label(f, 'en')} |" in report
        assert f"| {passed} / 10 |" in report
    assert "Worlds within tolerance" in report and "Worlds within tolerance" in done.stdout
    assert "Dachang" in done.stdout and "beats Centralised" in done.stdout


def test_a_facts_filter_on_a_scaled_territory_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "scaled.toml"
    path.write_text(STUDY.read_text().replace('set = { "run.weeks" = 2', 'set = { "territory.scale" = 0.5, "run.weeks" = 2')
                    .replace('"tiny.toml"', f'"{(STUDY.parent / "tiny.toml").as_posix()}"')
                    .replace('"tiny_dachang.toml"', f'"{(STUDY.parent / "tiny_dachang.toml").as_posix()}"'))
    assert main(["sensitivity", str(path), "--plan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "verdicts.facts" in err[0] and "territory.scale is 0.5" in err[0], err
    assert main(["sensitivity", str(path.parent / "no_facts.toml"), "--plan"]) == 2  # (not found: a line too)
    path.write_text(path.read_text().replace("facts = true", "facts = false"))
    assert main(["sensitivity", str(path), "--plan"]) == 0


def test_a_sobol_index_is_resolved_only_when_its_interval_is_narrower_than_itself():
    assert list(gsa.resolved([0.5, 0.5, 0.05, -0.1, np.nan], [0.2, 0.3, 0.2, 0.05, 0.1])) == \
        [True, False, False, False, False]


Row = collections.namedtuple("Row", "worlds wins ties share low high")


def _verdict(wins: int, ties: int = 0, n: int = 60, box=None, lang: str = "en", margin: str = "0") -> str:
    from statsmodels.stats.proportion import proportion_confint

    from sim.present.sensitivity_report import sentence

    low, high = proportion_confint(wins, n, method="wilson")
    return sentence(lang, "Dachang", "Centralised", "staff", Row(n, wins, ties, wins / n, low, high), box, margin)


def test_verdict_sentences_read_right_at_none_all_and_without_a_box():
    from sim.runs.robustness import Box

    assert _verdict(60) == ("Dachang beats Centralised on staff in every one of the 60 sampled worlds (95% interval "
                            "of the share 94%–100%): no plausible world was found where it does not.")
    assert _verdict(0).startswith("Dachang never beats Centralised on staff: it does worse in all 60 sampled worlds")
    assert "give exactly the same staff in all 60" in _verdict(0, ties=60)
    assert _verdict(0, ties=20).startswith("Dachang beats Centralised on staff in none of the 60 sampled worlds")
    assert "in 98% of plausible worlds" in _verdict(59) and "a single sampled world" in _verdict(59)
    assert "in >99% of plausible worlds" in _verdict(199, n=200) and "in <1% of" in _verdict(1, n=200)
    assert "exactly the same figure, and it never does worse" in _verdict(50, ties=10)
    assert "does worse in 20 worlds, scattered" in _verdict(40)
    box = Box("dachang", "staff", {"staff.community.error_rate": (0.05, None)}, 0.8, 0.9, 0.2, 20)
    assert "it loses mainly when `staff.community.error_rate` ≥ 0.05 (this box holds 80% of the 20" in \
        _verdict(40, box=box)
    assert _verdict(0, ties=60, margin="± 0.02 days") == (
        "Dachang and Centralised differ on staff by no more than ± 0.02 days in all 60 sampled worlds: too little "
        "to matter anywhere in the plausible space.")
    assert "differ by no more than ± 0.1, too little to matter, and it never does worse by more" in \
        _verdict(50, ties=10, margin="± 0.1")
    assert "It ties (a difference within ± 0.1) in 10 of the worlds" in _verdict(40, ties=10, margin="± 0.1")
    for args in ((60,), (0,), (0, 60), (0, 20), (59,), (40,), (50, 10)):
        zh = _verdict(*args, lang="zh")
        assert "{" not in zh and "Dachang" in zh and "Centralised" in zh


@pytest.mark.parametrize("text, words", [
    ('[sensitivity]\nbaseline = "x"\noutcomes = ["latency_days.mean"]\nseed = 1\n[policies]\n'
     'a = "tiny.toml"\nb = "tiny.toml"\n[morris]\ntrajectories = 2\n', ["sensitivity.baseline", "a, b"]),
    ('[sensitivity]\nbaseline = "a"\noutcomes = ["latency"]\nseed = 1\n[policies]\na = "tiny.toml"\n'
     'b = "tiny.toml"\n[morris]\ntrajectories = 2\n', ["sensitivity.outcomes[0]", "better"]),
    ('[sensitivity]\nbaseline = "a"\noutcomes = ["latency_days.mean"]\nseed = 1\nvary = ["run.weeks"]\n'
     '[policies]\na = "tiny.toml"\nb = "tiny.toml"\n[morris]\ntrajectories = 2\n', ["sensitivity.vary", "run.weeks"]),
    ('[sensitivity]\nbaseline = "a"\noutcomes = ["latency_days.mean"]\nseed = 1\n[policies]\na = "tiny.toml"\n'
     'b = "tiny.toml"\n[morris]\ntrajectories = 2\nlevels = 3\n', ["morris.levels", "even"]),
    ('[sensitivity]\nbaseline = "a"\noutcomes = ["latency_days.mean"]\nseed = 1\n[policies]\na = "tiny.toml"\n'
     'b = "tiny.toml"\n[morris]\ntrajectories = 2\n[sobol]\nassumptions = ["catalogue.demand_scale"]\n'
     'samples = 6\n', ["sobol.samples", "power of 2"]),
    ('[sensitivity]\nbaseline = "a"\noutcomes = ["latency_days.mean"]\nseed = 1\nset = { "run.weekz" = 2 }\n'
     '[policies]\na = "tiny.toml"\nb = "tiny.toml"\n[morris]\ntrajectories = 2\n', ["sensitivity.set.run.weekz"]),
    ('[sensitivity]\nbaseline = "a"\noutcomes = [{ key = "latency_days.mean", better = "lower", negligible = -1 }]\n'
     'seed = 1\n[policies]\na = "tiny.toml"\nb = "tiny.toml"\n[morris]\ntrajectories = 2\n',
     ["sensitivity.outcomes[0]", "negligible = a number >= 0"]),
])
def test_a_bad_design_file_is_one_clear_line(tmp_path, capsys, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text.replace('"tiny.toml"', f'"{(ROOT / "tests" / "scenarios" / "tiny.toml").as_posix()}"'),
                    encoding="utf-8")
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    for w in words:
        assert w in err[0], err[0]
    assert not (tmp_path / "out").exists()


def test_a_dask_cluster_gives_the_same_numbers_as_the_killed_and_resumed_local_run(resumed, tmp_path):
    from distributed import LocalCluster

    local = resumed[0]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        done = subprocess.run([sys.executable, "-m", "sim", "sensitivity", str(STUDY), "--dask",
                               cluster.scheduler_address, "--out", str(tmp_path / "dask")],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ("differences.csv", "morris.csv", "sobol.csv", "verdicts.csv", "boxes.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(local / name), pd.read_csv(tmp_path / "dask" / name))


def test_the_report_and_figures_in_chinese_from_the_finished_runs(resumed, tmp_path, capsys):
    import re
    import shutil

    out = tmp_path / "zh"
    shutil.copytree(resumed[0], out)
    assert main(["sensitivity", str(STUDY), "--out", str(out), "--lang", "zh"]) == 0
    assert json.loads((out / "manifest.json").read_text())["runs"]["skipped"] == RUNS  # nothing ran again
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# 哪些结论经得起不确定性检验") and "优于" in report and "持平" in report
    assert f"`python -m sim sensitivity {STUDY} --out {out} --lang zh`" in report  # how to reproduce it
    prose = re.sub(r"`[^`]*`|\([^)]*\.(png|svg)\)|\b(Dachang|Centralised|PRIM|Morris|Sobol|SALib|Wilson|CSV|Parquet)\b",
                   "", report.split("## 不确定性空间")[0])
    latin = set(re.findall(r"\b[A-Za-z]{4,}\b", prose)) - {"html", "runs", "csv", "json", "manifest", "parquet"}
    assert not latin, sorted(latin)[:20]
    for kind in ("morris", "sobol", "tornado"):
        assert (out / "figures" / f"{kind}_0.svg").is_file() and (out / "figures" / f"{kind}_0.png").is_file()
    capsys.readouterr()


@pytest.mark.parametrize("title", [
    "Where Dingshan loses on Time to done, finished requests, 90th pct (days): the sampled worlds and the PRIM box",
    "事项授权专员在已办结事项90%分位时长上落后的世界与PRIM框：哪些假设决定了它落后，哪些没有",
])
def test_a_long_figure_title_is_broken_into_lines_inside_the_figure(tmp_path, title):
    from matplotlib.figure import Figure

    from sim.present.figures import save
    from sim.present.fonts import rc
    import matplotlib as mpl

    with mpl.rc_context(rc("zh")):
        fig = Figure(figsize=(6.2, 4.4), layout="constrained")
        fig.subplots().plot([0, 1], [0, 1])
        save(fig, tmp_path, "long", title, "caption")
        box = fig._suptitle.get_window_extent(fig._get_renderer())
    assert "\n" in fig._suptitle.get_text()
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width, (box, fig.bbox)
