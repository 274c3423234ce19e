"""The experiment job: the plan, effects with a known answer, the same tables in local processes
and on Dask, a killed experiment resumed to the same table, and one clear line for bad input."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import psutil
import pytest

from helpers import ROOT, SCENARIOS, kill_part_way
from sim.cli import main
from sim.runs.effects import EFFECT_COLUMNS, effects, lookup
from sim.studies.experiment import RESULT_FILES

# Short runs of a cut-down street: about a tenth of a second each, long enough to kill part-way.
SMALL = {"territory": {"scale": 0.1}, "run": {"weeks": 4, "warmup_weeks": 1, "drain_weeks": 2}}
METRICS = ["service_radius_km.mean", "latency_days.mean", "trips_per_request", "survey.satisfaction"]
RUNS = 2 * 2 * 3
COLUMNS = ["run", "label", "model", "demand", "replicate", "seed", "scenario", "status", "error"]


def small_scenario(folder, model):
    path = folder / f"{model}.toml"
    tables = "".join(f"[{table}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())
                     for table, values in SMALL.items())
    path.write_text(f'extends = "{(SCENARIOS / f"{model}.toml").as_posix()}"\n{tables}', encoding="utf-8")
    return path.name


def write_experiment(folder, factors=None, head=None):
    folder.mkdir(parents=True, exist_ok=True)
    factors = factors or (
        "[factors.model]\n"
        f'centralised = {{ scenario = "{small_scenario(folder, "centralised")}" }}\n'
        f'dingshan = {{ scenario = "{small_scenario(folder, "dingshan")}" }}\n\n'
        "[factors.demand]\n"
        "normal = {}\n"
        'high = { set = { "catalogue.demand_scale" = 1.5 } }\n')
    head = head or f'name = "small"\nreplicates = 3\nseed = 11\nmetrics = {json.dumps(METRICS)}\n'
    path = folder / "small.toml"
    path.write_text(f"[experiment]\n{head}\n{factors}", encoding="utf-8")
    return path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", "experiment", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small experiment and its uninterrupted run in local processes."""
    folder = tmp_path_factory.mktemp("experiment")
    path = write_experiment(folder)
    done = cli(path, "--out", folder / "local", "--workers", "2", "--json")
    assert done.returncode == 0, done.stderr
    return path, folder / "local", json.loads(done.stdout)


def test_plan_prints_the_design_and_runs_nothing(tmp_path):
    path = write_experiment(tmp_path)
    done = cli(path, "--plan", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "4 combinations x 3 replicates = 12 runs; run order seed 11" in done.stdout
    assert sum(line.startswith(("0 ", "11 ")) for line in done.stdout.splitlines()) == 2
    assert not (tmp_path / "out").exists() and not (ROOT / "results" / "small").exists()
    assert "run order seed 12" in cli(path, "--plan", "--seed", "12").stdout


def test_experiment_writes_every_run_once_with_common_random_numbers_and_its_report(small):
    path, out, report = small
    assert report["runs"] == {"total": RUNS, "ran": RUNS, "skipped": 0, "failed": 0}
    for name in RESULT_FILES:
        assert (out / name).is_file(), name
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns[:len(COLUMNS)]) == COLUMNS and set(METRICS) <= set(runs.columns)
    assert list(runs["run"]) == list(range(RUNS)) and (runs["status"] == "ok").all()
    assert not runs.duplicated(["label", "replicate"]).any()
    assert set(runs["label"]) == {f"model={m},demand={d}" for m in ("centralised", "dingshan")
                                  for d in ("normal", "high")}
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()  # common random numbers
    csv = pd.read_csv(out / "runs.csv")
    assert runs["error"].isna().all() and csv["error"].isna().all()
    pd.testing.assert_frame_equal(runs.drop(columns="error"), csv.drop(columns="error"), check_dtype=False)
    table = pd.read_csv(out / "effects.csv")
    assert list(table.columns) == list(EFFECT_COLUMNS) and set(table["metric"]) == set(METRICS)
    assert (table.groupby("metric").size() == 2 + 1 + 2 + 1 + 4 + 1).all()  # means, differences, cells, contrast

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"]["design"] == manifest["design"]["seed"] == 11
    assert [r["run"] for r in manifest["design"]["runs"]] == list(range(RUNS))
    assert manifest["design"]["runs"][0]["levels"] == dict(zip(("model", "demand"), runs.iloc[0][["model", "demand"]]))
    assert manifest["experiment"]["sha256"] and manifest["experiment"]["factors"]["demand"]["high"]["set"]
    assert manifest["command"][1] == "experiment" and manifest["runs"]["ran"] == RUNS
    md = (out / "report.md").read_text(encoding="utf-8")
    for words in ("## Main effects", "## Interactions", "model: dingshan − centralised", "dingshan × high",
                  "figures/main_effects.png", "figures/interaction_model_demand.svg", "Seeds: design (SweetPea)"):
        assert words in md, words
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2
    for name in ("main_effects", "interaction_model_demand"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (out / "figures" / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_dask_cluster_gives_the_same_tables_as_local_processes(small, tmp_path):
    from distributed import LocalCluster

    path, local, _ = small
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        done = cli(path, "--dask", cluster.scheduler_address, "--out", tmp_path / "dask", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"]["ran"] == RUNS
    for name in ("runs.parquet", "effects.csv"):
        read = pd.read_parquet if name.endswith("parquet") else pd.read_csv
        pd.testing.assert_frame_equal(read(local / name), read(tmp_path / "dask" / name))


def test_a_killed_experiment_resumes_and_ends_with_the_uninterrupted_table(small, tmp_path):
    path, local, _ = small
    out = tmp_path / "killed"
    args = [sys.executable, "-m", "sim", "experiment", str(path), "--out", str(out), "--workers", "1", "--json"]
    workers = kill_part_way(args, lambda: list((out / "runs").glob("model=*")), timeout=60)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "the killed job's workers should leave with it"
    finished = sorted(p.name for p in (out / "runs").iterdir() if not p.name.startswith("."))
    assert 0 < len(finished) < RUNS, "the kill should land part-way"
    for name in finished:  # a run folder is there complete or not at all
        assert {"task.json", "metrics.json", "distributions.json"} <= {f.name for f in (out / "runs" / name).iterdir()}
    assert not (out / "runs.parquet").exists()
    stamps = {name: (out / "runs" / name / "metrics.json").stat().st_mtime_ns for name in finished}

    resumed = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["runs"] == {"total": RUNS, "ran": RUNS - len(finished),
                                                  "skipped": len(finished), "failed": 0}
    assert {name: (out / "runs" / name / "metrics.json").stat().st_mtime_ns for name in finished} == stamps
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(p.name for p in (local / "runs").iterdir())
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), pd.read_parquet(local / "runs.parquet"))


def synthetic_runs(failed=()):
    """y = 2·index(A) + index(B) + 3·[A = a1 and B = b1] + 10·replicate; C does nothing;
    (a2, b1) is excluded from the design."""
    rows = []
    for r in range(3):
        for ia, a in enumerate(("a0", "a1", "a2")):
            for ib, b in enumerate(("b0", "b1")):
                for c in ("c0", "c1"):
                    if (a, b) == ("a2", "b1"):
                        continue
                    y = 2 * ia + ib + 3 * (a == "a1" and b == "b1") + 10 * r
                    status = "failed" if (a, b, c, r) in failed else "ok"
                    rows.append({"A": a, "B": b, "C": c, "replicate": r, "status": status,
                                 "y": y if status == "ok" else np.nan})
    return pd.DataFrame(rows)


FACTORS = {"A": ["a0", "a1", "a2"], "B": ["b0", "b1"], "C": ["c0", "c1"]}


def test_effects_recover_a_known_answer():
    table = effects(synthetic_runs(), FACTORS, ["y"])

    def row(kind, factor, level, factor_b="", level_b=""):
        return lookup(table, "y", kind, factor, level, factor_b, level_b)

    # Within each replicate the replicate's shift cancels: differences are exact.
    for kind, args, value in [("difference", ("A", "a1"), 2 + 3 / 2), ("difference", ("B", "b1"), 1 + 3 / 2),
                              ("difference", ("A", "a2"), 4),  # only where B = b0: (a2, b1) was not run
                              ("difference", ("C", "c1"), 0), ("interaction", ("A", "a1", "B", "b1"), 3),
                              ("interaction", ("A", "a1", "C", "c1"), 0)]:
        found = row(kind, *args)
        assert found["n"] == 3 and found["estimate"] == pytest.approx(value)
        assert found["half_width"] == pytest.approx(0, abs=1e-9)
        assert bool(found["real"]) == (value != 0)
    # Means carry the replicates' shift, so their intervals are wide; they compare nothing.
    mean = row("mean", "A", "a0")
    assert mean["estimate"] == pytest.approx(0.5 + 10) and mean["half_width"] > 20 and mean["real"] is None
    assert row("cell", "A", "a1", "B", "b1")["estimate"] == pytest.approx(6 + 10)
    assert row("interaction", "A", "a2", "B", "b1")["n"] == 0  # no four corners to compare
    assert row("cell", "A", "a2", "B", "b1")["n"] == 0


def test_a_failed_run_drops_its_replicate_from_the_effects_that_need_it():
    table = effects(synthetic_runs(failed={("a1", "b1", "c0", 2)}), FACTORS, ["y"])
    assert lookup(table, "y", "difference", "A", "a1")["n"] == 2
    assert lookup(table, "y", "difference", "A", "a2")["n"] == 3
    interaction = lookup(table, "y", "interaction", "A", "a1", "B", "b1")
    assert interaction["n"] == 2 and interaction["estimate"] == pytest.approx(3)


def test_nested_levels_are_compared_within_their_nest_and_a_factor_that_never_meets_not_at_all():
    """Staffing levels that exist under one model each: y = 10·[model b] + index of the staff level."""
    rows = [{"model": m, "staff": f"{m}{k}", "replicate": r, "status": "ok", "y": 10 * (m == "b") + k + r}
            for r in range(2) for m in ("a", "b") for k in range(3)]
    table = effects(pd.DataFrame(rows), {"model": ["a", "b"], "staff": [f"{m}{k}" for m in "ab" for k in range(3)]},
                    ["y"])
    differences = table[table["kind"] == "difference"]
    assert list(zip(differences["level"], differences["base"])) == [("a1", "a0"), ("a2", "a0"), ("b1", "b0"),
                                                                    ("b2", "b0")]
    assert differences["estimate"].tolist() == pytest.approx([1, 2, 1, 2])
    assert not (table["kind"] == "interaction").any()


LEVELS = '[factors.demand]\nnormal = {}\nhigh = { set = { "catalogue.demand_scale" = 1.5 } }\n'
HEAD = f'name = "bad"\nbase = "{(SCENARIOS / "base.toml").as_posix()}"\nreplicates = 1\nseed = 1\n' \
       'metrics = ["latency_days.mean"]\n'


@pytest.mark.parametrize("factors, words", [
    (LEVELS.replace("high = {", "high = { scenaro = 'x', "), "factors.demand.high.scenaro: not a known key"),
    (LEVELS + '[[exclude]]\nmodel = "high"\n', "exclude[0].model: a factor: one of demand"),
    ("[factors.demand]\n", "factors.demand: at least one level"),
    (LEVELS + '[[exclude]]\ndemand = ["normal", "high"]\n', "exclude: constraints that leave at least one"),
    (LEVELS.replace("demand_scale", "demand_scal"), "factors.demand.high.set.catalogue.demand_scal: not a known key"),
    (LEVELS.replace("1.5", "-1"), "factors.demand.high.set.catalogue.demand_scale: a number from 0"),
    (LEVELS + "[oops", "valid TOML"),
])
def test_a_malformed_experiment_file_is_one_clear_line(tmp_path, capsys, factors, words):
    path = write_experiment(tmp_path, factors, HEAD)
    assert main(["experiment", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_a_metric_no_run_produces_is_named_and_the_runs_are_kept(tmp_path, capsys):
    factors = f'[factors.model]\nsmall = {{ scenario = "{small_scenario(tmp_path, "dingshan")}" }}\n'
    path = write_experiment(tmp_path, factors, HEAD.replace("latency_days.mean", "latency_days.mena"))
    assert main(["experiment", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: ") and "did you mean latency_days.mean" in err[-1]
    assert (tmp_path / "out" / "runs" / "model=small__r0" / "metrics.json").is_file()
