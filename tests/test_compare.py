"""The compare job: common random numbers, the run executor (resume, failures, Dask), the files
it writes, the command line end to end, and Chinese figures without a missing glyph."""

import json
import pickle
import subprocess
import sys
import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from helpers import ROOT, SCENARIOS
from sim.measure.access import access_map
from sim.studies.compare import RESULT_FILES, compare
from sim.present.labels import HEADLINE
from sim.runs.runner import RUN_COLUMNS, Task, read_run, replicate_seeds, run_folder, run_tasks
from sim.runs.stats import SUMMARY_COLUMNS

# A cut-down Dingshan: a run takes a fraction of a second.
TINY = ["territory.scale=0.02", "run.weeks=2", "run.warmup_weeks=1", "run.drain_weeks=2"]
FIGURES = ("headline", "access_map", "service_radius_ecdf", "latency", "latency_components", "trips", "by_group", "staff",
           "survey")


def tiny(model: str, *more: str):
    return sim.load(SCENARIOS / f"{model}.toml", [*TINY, *more])


def broken_scenario(tmp_path):
    """Loads fine, fails when the model is built: a rota visiting a community the territory lacks."""
    path = tmp_path / "broken.toml"
    path.write_text(f'extends = "{(SCENARIOS / "dingshan.toml").as_posix()}"\n'
                    '[[staff.specialist.rota]]\ncommunities = ["Nowhere"]\n', encoding="utf-8")
    return path


def test_replicate_seeds_are_fixed_distinct_and_extend_without_changing():
    five = replicate_seeds(1, 5)
    assert five == replicate_seeds(1, 5)
    assert len(set(five)) == 5 and all(0 <= s < 2**63 for s in five)
    assert replicate_seeds(1, 8)[:5] == five
    assert replicate_seeds(2, 5) != five


def test_common_random_numbers_share_residents_and_needs_across_policies():
    seed = replicate_seeds(1, 1)[0]
    tables = [sim.run(tiny(model), seed=seed).requests for model in ("centralised", "dingshan", "xiaoding")]
    shared = ["t_need", "resident", "item", "group", "building", "home_to_centre_km"]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0][shared], other[shared])
    assert not tables[0]["channel"].equals(tables[2]["channel"])  # the policy does change what happens
    other_seed = sim.run(tiny("centralised"), seed=seed + 1).requests
    assert not np.array_equal(tables[0]["t_need"].to_numpy()[:20], other_seed["t_need"].to_numpy()[:20])


def test_access_map_agrees_with_the_models_access_radius():
    for model in ("centralised", "xiaoding"):
        m = sim.GovernanceModel(tiny(model), 1)
        a = access_map(m)
        assert np.average(a.access_km, weights=a.building_pop) == pytest.approx(m.access_radius()["mean"])
    assert access_map(m).door_accepts and access_map(m).community_accepts


def tasks_for(tmp_path, seeds=(11, 12)):
    good = tiny("dingshan")
    tasks = [Task("dingshan", r, s, str(good.path), tuple(TINY), good.digest()) for r, s in enumerate(seeds)]
    bad = broken_scenario(tmp_path)
    return tasks + [Task("broken", 0, seeds[0], str(bad), tuple(TINY), sim.load(bad, TINY).digest())]


def test_runner_records_a_failure_lets_the_others_finish_and_resumes(tmp_path):
    out = tmp_path / "out"
    tasks = tasks_for(tmp_path)
    log = run_tasks(tasks, out, workers=1, progress=False)
    assert log.ran == 3 and log.skipped == 0 and list(log.failed) == ["broken__r0"]
    assert "'Nowhere' is not one" in log.failed["broken__r0"]
    error = json.loads((run_folder(out, tasks[2]) / "error.json").read_text())
    assert "ScenarioError" in error["error"] and "Traceback" in error["traceback"]
    assert not (run_folder(out, tasks[2]) / "metrics.json").exists()
    for t in tasks[:2]:
        metrics, distributions, err = read_run(out, t)
        assert err is None and metrics["requests"]["created"] > 0
        assert len(distributions["latency_days"]) == len(distributions["probabilities"])
        assert not (run_folder(out, t) / "requests.parquet").exists()
    stamp = (run_folder(out, tasks[0]) / "task.json").stat().st_mtime_ns
    again = run_tasks(tasks, out, workers=1, progress=False)
    assert (again.skipped, again.ran) == (2, 1)  # only the failed run is tried again
    assert (run_folder(out, tasks[0]) / "task.json").stat().st_mtime_ns == stamp
    # Another seed for the same folder is another task: it runs instead of reusing stale numbers.
    moved = Task(tasks[0].label, 0, 99, tasks[0].scenario, tasks[0].overrides, tasks[0].digest)
    assert run_tasks([moved], out, workers=1, progress=False).ran == 1


def test_local_workers_are_replaced_and_every_run_still_finishes(tmp_path):
    """More runs than the workers may do before they are replaced: each runs once, none is stuck.
    In a child process with a deadline, so a stuck pool fails the test instead of hanging the suite."""
    tasks = tasks_for(tmp_path, seeds=range(11, 17))[:6]
    code = ("import pickle, sys\nfrom sim.runs import runner\nrunner.TASKS_PER_WORKER = 2\n"
            "tasks, out = pickle.load(sys.stdin.buffer)\n"
            "log = runner.run_tasks(tasks, out, workers=2, progress=False)\n"
            "print(log.ran, log.skipped, len(log.failed))\n")
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps((tasks, tmp_path / "out")),
                          capture_output=True, timeout=120, cwd=ROOT)
    assert done.stdout.decode().split() == ["6", "0", "0"], done.stderr.decode()[-2000:]
    assert all(read_run(tmp_path / "out", t)[0]["requests"]["created"] > 0 for t in tasks)


def test_results_are_identical_in_processes_and_on_dask(tmp_path):
    from distributed import LocalCluster

    tasks = tasks_for(tmp_path)[:2]
    run_tasks(tasks, tmp_path / "local", workers=2, progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        log = run_tasks(tasks, tmp_path / "dask", dask=cluster.scheduler_address, with_requests=True,
                        progress=False)
    assert log.ran == 2 and not log.failed
    for t in tasks:
        assert read_run(tmp_path / "local", t)[:2] == read_run(tmp_path / "dask", t)[:2]
        assert read_run(tmp_path / "local", t)[0] == sim.run(tiny("dingshan"), seed=t.seed).metrics
    assert (run_folder(tmp_path / "dask", tasks[0]) / "requests.parquet").is_file()


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_a_scenario_that_cannot_be_built_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "cmp"
    done = cli("compare", SCENARIOS / "centralised.toml", broken_scenario(tmp_path), "--out", out,
               *[a for s in TINY for a in ("--set", s)])
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "broken.toml: staff.specialist.rota[0].communities: names of communities" in done.stderr
    assert not out.exists()


def test_compare_end_to_end_and_resume(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", SCENARIOS / "centralised.toml", SCENARIOS / "dingshan.toml",
            "--replicates", "2", "--workers", "2", "--out", out, "--json",
            *[a for s in TINY for a in ("--set", s)]]
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    report = json.loads(first.stdout)
    assert report["runs"] == {"ran": 4, "skipped": 0, "failed": 0}
    assert report["baseline"] == "centralised" and len(report["seeds"]) == 2
    cell = report["metrics"]["service_radius_km.mean"]["dingshan"]
    assert cell["n"] == 2 and {"mean", "low", "high", "real"} <= set(cell["difference"])

    for name in RESULT_FILES:
        assert (out / name).is_file(), name
    for name in FIGURES:
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (out / "figures" / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns[:len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    assert {m.key for m in HEADLINE} <= set(runs.columns)
    assert len(runs) == 4 and (runs["status"] == "ok").sum() == 4
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()  # every scenario, same seed per replicate
    from_csv = pd.read_csv(out / "runs.csv")
    assert runs["error"].isna().all() and from_csv["error"].isna().all()
    pd.testing.assert_frame_equal(runs.drop(columns="error"), from_csv.drop(columns="error"), check_dtype=False)
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert set(summary["label"]) == {"centralised", "dingshan"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"]["replicates"] == report["seeds"] and manifest["commit"] is not None
    assert len(manifest["scenarios"]) == 2 and all(s["sha256"] for s in manifest["scenarios"])
    assert manifest["labels"]["dingshan"]["resolved"]["territory"]["scale"] == 0.02
    assert manifest["command"][1] == "compare" and manifest["packages"]["mesa"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(FIGURES) and 'src="figures' not in html
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "against Centralised" in md and "figures/access_map.png" in md
    headline = md[md.index("## Headline figures"):md.index("## The reading")]
    assert "Resident hours per request" in headline and "Service radius in person" in headline
    facts = md[md.index("## Face validity"):]
    assert "Far residents' one-way trip" in facts and "territory.scale = 0.02" in facts

    stamp = (out / "runs" / "dingshan__r1" / "metrics.json").stat().st_mtime_ns
    second = cli(*args)
    assert json.loads(second.stdout)["runs"] == {"ran": 0, "skipped": 4, "failed": 0}
    assert (out / "runs" / "dingshan__r1" / "metrics.json").stat().st_mtime_ns == stamp
    assert json.loads(second.stdout)["metrics"] == report["metrics"]


@pytest.mark.parametrize("args, words", [
    (["compare", "scenarios/nope.toml"], "not found"),
    (["compare", "scenarios/centralised.toml", "--set", "run.weeks=-1"], "run.weeks"),
    (["compare", "scenarios/centralised.toml", "--set", "nonsense"], "dotted.key=value"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, words):
    done = cli(*args, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and words in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_chinese_figures_have_every_glyph(tmp_path):
    from sim.present.text import catalogue
    from sim.present.fonts import cjk_family, rc

    assert cjk_family() == "Noto Sans CJK SC"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph")
        compare([SCENARIOS / "centralised.toml", SCENARIOS / "xiaoding.toml"], replicates=2, overrides=TINY,
                out=tmp_path / "zh", lang="zh", workers=1, progress=False)
        texts = [value for key, value in catalogue("zh").items()
                 if key.split(".")[0] in ("words", "unit", "metric", "figures", "reading", "report")]
        with mpl.rc_context(rc("zh")):
            fig = Figure(figsize=(30, 0.3 * len(texts)))
            for k, text in enumerate(texts):
                fig.text(0, k / len(texts), text)
            fig.savefig(tmp_path / "all_zh_text.png")
    assert (tmp_path / "zh" / "figures" / "by_group.png").is_file()
    assert "与街道集中办理相比" in (tmp_path / "zh" / "report.md").read_text(encoding="utf-8")
