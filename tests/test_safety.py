"""The tool never destroys what it did not write, never mixes up results, and answers every bad
input with one line: each failure a hostile user found, reproduced and then refused."""

import asyncio
import json
import os
import shutil
from types import SimpleNamespace

import pytest

import sim
from helpers import ROOT, SCENARIOS, TINY
from sim.cli import main
from sim.runs.output import LOCK, MARKER, STAGING, claim, publish
from sim.runs.runner import Task, execute, is_finished, run_folder, run_tasks
from sim.scenario.files import MAX_DEPTH, MAX_EXTENDS, load
from sim.teaching.live import LiveModel
from sim.teaching.server import Guard, host_names

CATALOGUE = SCENARIOS / "data" / "catalogue.csv"
STREETS = SCENARIOS / "data" / "jiangbei_streets.csv"
CAPACITY = SCENARIOS / "data" / "street_capacity.csv"
FAST = ["run.weeks=1", "run.warmup_weeks=0", "run.drain_weeks=1"]


@pytest.fixture
def cli(capsys):
    def call(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            code = exc.code
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return call


def refused(done, *words):
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def sets(*overrides):
    return [a for o in [*FAST, *overrides] for a in ("--set", o)]


# --- 1. outputs that never destroy what the tool did not write -----------------------------------

def test_run_refuses_a_folder_of_someone_elses_files(cli, tmp_path):
    (tmp_path / "thesis.docx").write_bytes(b"years of work")
    before = snapshot(tmp_path)
    refused(cli("run", TINY, "--out", tmp_path, *sets()), str(tmp_path), MARKER)
    assert snapshot(tmp_path) == before


def test_run_refuses_the_working_folder(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    refused(cli("run", TINY, "--out", ".", *sets()), "nothing was written")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_run_writes_a_new_folder_and_replaces_its_own_results(cli, tmp_path):
    out = tmp_path / "r"
    assert cli("run", TINY, "--out", out, *sets()).returncode == 0
    first = json.loads((out / "metrics.json").read_text())
    assert cli("run", TINY, "--out", out, "--seed", "7", *sets()).returncode == 0
    assert json.loads((out / "metrics.json").read_text()) != first
    assert sorted(p.name for p in out.iterdir()) == sorted([LOCK, MARKER, "manifest.json", "metrics.json",
                                                            "requests.parquet", "scenario.toml"])
    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{TINY.as_posix()}"\n')
    refused(cli("run", other, "--out", out, *sets()), "results of kind run")


def test_out_that_is_a_file_is_refused_before_the_run(cli, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    refused(cli("run", TINY, "--out", target, *sets()), "a folder (this is a file)")
    refused(cli("compare", TINY, "--out", target, "--replicates", "1", *sets()), "a folder (this is a file)")
    assert target.read_text() == "keep"


def test_compare_refuses_a_folder_with_other_files(cli, tmp_path):
    (tmp_path / "report.md").write_text("my own report")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "map.png").write_bytes(b"png")
    before = snapshot(tmp_path)
    refused(cli("compare", TINY, "--out", tmp_path, "--replicates", "1", *sets()), MARKER)
    assert snapshot(tmp_path) == before


def test_publishing_never_deletes_the_old_folder_first(tmp_path):
    folder = tmp_path / "figures"
    publish(folder, lambda tmp: (tmp / "a.txt").write_text("old"))

    def broken(tmp):
        (tmp / "a.txt").write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        publish(folder, broken)
    assert (folder / "a.txt").read_text() == "old" and os.listdir(tmp_path) == ["figures"]
    publish(folder, lambda tmp: (tmp / "b.txt").write_text("new"))
    assert os.listdir(folder) == ["b.txt"] and os.listdir(tmp_path) == ["figures"]


def test_a_claim_clears_what_a_killed_job_left_half_written(tmp_path):
    out = tmp_path / "cmp"
    with claim(out, {"kind": "compare"}):
        pass
    (out / f"{STAGING}figures-x1").mkdir()
    (out / "runs").mkdir()
    (out / "runs" / f"{STAGING}tiny__r0-x2").mkdir()
    (out / f"{STAGING}manifest.json").write_text("{")
    with claim(out, {"kind": "compare"}):
        assert sorted(p.name for p in out.rglob("*")) == sorted([LOCK, MARKER, "runs"])


# --- 2. an honest resume ----------------------------------------------------------------------

def catalogue_copy(tmp_path, encoding="utf-8", bom=False):
    path = tmp_path / "catalogue.csv"
    text = CATALOGUE.read_text(encoding="utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def test_resume_after_a_data_file_changed_is_refused_then_rerun_when_asked(cli, tmp_path):
    cat = catalogue_copy(tmp_path)
    out = tmp_path / "cmp"
    args = ["compare", TINY, "--out", out, "--replicates", "1", "--workers", "1", "--json",
            *sets(f"catalogue.file={cat}")]
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert json.loads(cli(*args).stdout)["runs"]["skipped"] == 1
    cat.write_text(cat.read_text(encoding="utf-8").replace(",street,2.0,6.0,", ",street,20.0,60.0,", 1),
                   encoding="utf-8")
    refused(cli(*args), f"data file {cat} changed", "--rerun")
    again = cli(*args, "--rerun")
    assert json.loads(again.stdout)["runs"] == {"ran": 1, "skipped": 0, "failed": 0}
    assert json.loads(again.stdout)["metrics"] != json.loads(first.stdout)["metrics"]
    # street items now take longer than the run: no request finishes, and the figure says so
    assert "No finished requests in these runs" in (out / "figures" / "latency.svg").read_text(encoding="utf-8")


def test_resume_key_covers_values_data_files_code_and_packages(tmp_path, monkeypatch):
    import sim.runs.output as output

    sc = load(TINY, FAST)
    print_ = sc.fingerprint()
    assert set(print_) == {"values", str(CATALOGUE), str(STREETS), str(CAPACITY)}
    assert load(TINY, [*FAST, "run.weeks=2"]).fingerprint()["values"] != print_["values"]
    key = output.run_key(print_)
    monkeypatch.setattr(output, "package_versions", lambda: {"numpy": "0.0"})
    assert output.run_key(print_) != key
    marker = {"environment": {"code": "old"}, "scenarios": {}}
    assert output.changed(marker, {}) == "the simulator's code changed"


def tiny_task(tmp_path, replicate=0):
    sc = load(TINY, FAST)
    from sim.runs.output import run_key
    return Task("tiny", replicate, 5 + replicate, str(sc.path), tuple(FAST), run_key(sc.fingerprint()))


def test_a_truncated_or_altered_run_file_is_run_again(tmp_path):
    out = tmp_path / "out"
    tasks = [tiny_task(tmp_path, r) for r in range(3)]
    run_tasks(tasks, out, workers=1, progress=False)
    assert all(is_finished(out, t) for t in tasks)
    metrics = run_folder(out, tasks[0]) / "metrics.json"
    metrics.write_bytes(metrics.read_bytes()[:40])  # truncated
    altered = run_folder(out, tasks[1]) / "metrics.json"
    altered.write_text(altered.read_text().replace('"created": ', '"created": 1'))  # tampered
    log = run_tasks(tasks, out, workers=1, progress=False)
    assert (log.ran, log.skipped) == (2, 1)
    assert json.loads(metrics.read_text()) == json.loads((run_folder(out, tasks[2]) / "metrics.json").read_text()) \
        or json.loads(metrics.read_text())["requests"]["created"] > 0
    assert all(is_finished(out, t) for t in tasks)


def test_a_summary_never_uses_fewer_replicates_than_asked_without_a_word(tmp_path):
    from sim.runs.runner import runs_table

    out = tmp_path / "out"
    tasks = [tiny_task(tmp_path, r) for r in range(2)]
    run_tasks(tasks, out, workers=1, progress=False)
    shutil.rmtree(run_folder(out, tasks[1]))
    with pytest.raises(sim.errors.ScenarioError, match="tiny__r1"):
        runs_table(out, tasks)


# --- 3. one writer at a time --------------------------------------------------------------------

def test_a_second_writer_is_refused(cli, tmp_path):
    out = tmp_path / "cmp"
    with claim(out, {"kind": "compare"}):
        before = snapshot(out)
        refused(cli("compare", TINY, "--out", out, "--replicates", "1", *sets()), "no other command is writing")
        assert snapshot(out) == before


# --- 5. tasks that do not depend on the worker's folder ------------------------------------------

def test_a_relative_set_path_is_resolved_before_the_runs_are_sent(cli, tmp_path, monkeypatch):
    catalogue_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cmp"
    assert cli("compare", TINY, "--out", out, "--replicates", "1", "--workers", "1",
               *sets("catalogue.file=catalogue.csv")).returncode == 0
    task = json.loads((out / "runs" / "tiny__r0" / "task.json").read_text())
    assert f'catalogue.file="{tmp_path / "catalogue.csv"}"' in task["overrides"]
    monkeypatch.chdir(ROOT)  # a worker started elsewhere reads the same file
    outcome = execute(Task(**{k: task[k] for k in ("label", "replicate", "seed", "scenario", "digest")},
                           overrides=tuple(task["overrides"])))
    assert outcome.metrics == json.loads((out / "runs" / "tiny__r0" / "metrics.json").read_text())


# --- 6, 7, 8. one line for every bad input, before anything runs --------------------------------

@pytest.mark.parametrize("args, words", [
    (["run", TINY, "--seed", "-1"], ["--seed", "from 0"]),
    (["compare", TINY, "--seed", "-1"], ["--seed"]),
    (["experiment", ROOT / "experiments" / "authorisation.toml", "--plan", "--seed", "-5"], ["--seed"]),
    (["validity", "--replicates", "0"], ["--replicates", "from 1"]),
    (["app", "--port", "99999"], ["--port", "0 to 65535"]),
    (["app", "--host", "not a host!"], ["--host", "IP address or a host name"]),
    (["compare", TINY, "--replicates", "0"], ["--replicates"]),
    (["run", TINY, "--set", "extends=other.toml"], ["--set", "extends"]),
])
def test_bad_arguments_are_one_line(cli, args, words):
    refused(cli(*args), *words)


def test_an_error_in_a_set_value_blames_set_not_the_file(cli):
    line = refused(cli("run", TINY, "--set", "choice.constants={street=1e9}"))
    assert line.startswith("error: --set: choice.constants.street:"), line


def scenario(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(f'extends = "{TINY.as_posix()}"\n' + text, encoding="utf-8")
    return path


def test_deep_nesting_and_long_extends_chains_are_refused(cli, tmp_path):
    deep = scenario(tmp_path, "x = " + "[" * 2000 + "]" * 2000 + "\n")
    refused(cli("validate", deep), "s.toml", f"nested at most {MAX_DEPTH} deep")
    previous = TINY
    for i in range(MAX_EXTENDS + 2):
        link = tmp_path / f"link{i}.toml"
        link.write_text(f'extends = "{previous.as_posix()}"\n')
        previous = link
    refused(cli("validate", previous), "extends", f"at most {MAX_EXTENDS} files")


def streets_copy(tmp_path, edit=lambda rows: rows, encoding="utf-8"):
    rows = STREETS.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "streets.csv"
    path.write_bytes(("\n".join(edit(rows)) + "\n").encode(encoding))
    return path


def jiangbei(path):
    return ["--set", f"territory.streets_file={path}"]


def test_a_catalogue_saved_by_chinese_excel_or_with_a_bom_reads_as_utf8(tmp_path):
    metrics = []
    for folder, encoding, bom in (("gbk", "gb18030", False), ("bom", "utf-8", True)):
        (tmp_path / folder).mkdir()
        cat = catalogue_copy(tmp_path / folder, encoding=encoding, bom=bom)
        metrics.append(sim.run(load(TINY, [*FAST, f"catalogue.file={cat}"]), seed=1).metrics)
    assert metrics[0] == metrics[1] == sim.run(load(TINY, FAST), seed=1).metrics


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50), ["catalogue.csv", "text CSV file"]),
    (lambda p: p.write_bytes("code,name\n".encode() + "名".encode("utf-16"))
     , ["catalogue.csv", "UTF-8 (with or without BOM) or GB18030"]),
    (lambda p: p.write_text(CATALOGUE.read_text(encoding="utf-8") + 'X,"' + "x" * 200_000 + '"\n',
                            encoding="utf-8"), ["catalogue.csv", "at most 100,000 characters"]),
    (lambda p: p.write_text(CATALOGUE.read_text(encoding="utf-8")
                            + CATALOGUE.read_text(encoding="utf-8").splitlines()[1] + "\n", encoding="utf-8"),
     ["column code", "a value no other row has", "'DB'"]),
    (lambda p: p.write_text(CATALOGUE.read_text(encoding="utf-8").splitlines()[0] + "\n"
                            + "".join(f"I{i},名,n,street,1,1,10,0.5,lognormal,0.1,1,0,0,0,0,s\n"
                                      for i in range(300_000)), encoding="utf-8"),
     ["catalogue.csv", "at most 10,000 rows"]),
])
def test_a_bad_catalogue_file_is_one_line(cli, tmp_path, make, words):
    cat = tmp_path / "catalogue.csv"
    make(cat)
    refused(cli("run", TINY, *sets(f"catalogue.file={cat}")), *words)


def test_streets_files(cli, tmp_path):
    scen = SCENARIOS / "dingshan.toml"
    gbk = streets_copy(tmp_path, encoding="gb18030")
    assert cli("validate", scen, *jiangbei(gbk)).returncode == 0
    twice = streets_copy(tmp_path, lambda rows: rows + [rows[1]])
    refused(cli("validate", scen, *jiangbei(twice)), "streets.csv", "column street_en", "no other row has")
    huge = streets_copy(tmp_path, lambda rows: rows + ["大厂,Dachang2,direct,10,100,100000000,0"])
    refused(cli("validate", scen, *jiangbei(huge)), "column communities", "to 10,000")
    many = streets_copy(tmp_path, lambda rows: rows + ["大厂,Dachang3,direct,10,1000000000000,1,0"])
    refused(cli("validate", scen, *jiangbei(many)), "column population")


def test_a_territory_too_big_to_hold_is_refused_before_it_is_built(cli, tmp_path):
    big = scenario(tmp_path, "".join(f'[[territory.buildings]]\nx = 1.0\ny = 0.0\npopulation = 9000000\n'
                                     f'community = "Near"\n' for _ in range(2)))
    refused(cli("validate", big), "territory.buildings", "at most 5,000,000 residents")
    refused(cli("validate", SCENARIOS / "centralised.toml", "--set", "territory.preset=synthetic",
                "--set", "territory.streets_count=1000", "--set", "territory.communities_per_street=1000",
                "--set", "territory.area_km2=10", "--set", "territory.population=1000"),
            "territory", "at most 20,000 communities")


def experiment_file(tmp_path, name="e", replicates=1, levels=2):
    path = tmp_path / "e.toml"
    a, b = ("".join(f'l{i} = {{ set = {{ "{key}" = {1 + i} }} }}\n' for i in range(levels))
            for key in ("catalogue.demand_scale", "residents.walk_kmh"))
    path.write_text(f'[experiment]\nname = "{name}"\nbase = "{TINY.as_posix()}"\nreplicates = {replicates}\n'
                    f'seed = 1\nmetrics = ["latency_days.mean"]\n[factors.a]\n{a}[factors.b]\n{b}',
                    encoding="utf-8")
    return path


def test_an_experiment_cannot_escape_its_results_folder(cli, tmp_path):
    for name in ("..", "."):
        refused(cli("experiment", experiment_file(tmp_path, name), "--plan"), "experiment.name")


def test_a_design_too_big_is_refused_before_it_is_built(cli, tmp_path):
    refused(cli("experiment", experiment_file(tmp_path, replicates=100_000_000), "--plan"),
            "experiment.replicates", "at most 10,000 runs", "400,000,000")
    refused(cli("experiment", experiment_file(tmp_path, replicates=3, levels=60), "--plan"), "10,800")
    assert cli("experiment", experiment_file(tmp_path, replicates=3), "--plan", "--max-runs", "12").returncode == 0


def test_compare_finds_a_bad_data_file_before_writing_anything(cli, tmp_path):
    cat = tmp_path / "catalogue.csv"
    cat.write_text(CATALOGUE.read_text(encoding="utf-8").replace(",lognormal,", ",weibull,", 1), encoding="utf-8")
    out = tmp_path / "cmp"
    refused(cli("compare", TINY, "--out", out, *sets(f"catalogue.file={cat}")), "catalogue.csv", "service_dist")
    assert not out.exists()


def test_validity_writes_into_results_unless_asked_to_refresh_the_docs(cli, tmp_path, monkeypatch):
    import sim.validity.face as face
    import sim.validity.queueing as queueing

    monkeypatch.setattr(queueing, "validity_table", lambda replicates, weeks: f"table {replicates} {weeks}\n")
    monkeypatch.setattr(face, "facts_table", lambda runs: f"facts {runs}\n")
    monkeypatch.chdir(tmp_path)
    docs = (ROOT / "docs" / "validity.md").read_bytes()
    assert cli("validity", "--replicates", "2").returncode == 0
    assert (tmp_path / "results" / "validity.md").read_text() == "facts 5\n\ntable 2 20.0\n"
    assert (ROOT / "docs" / "validity.md").read_bytes() == docs


# --- 9. the app -------------------------------------------------------------------------------

def call(guard, headers, kind="http"):
    sent = []

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    scope = {"type": kind, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(guard(scope, receive, send))
    return sent


def test_the_app_answers_only_for_its_own_names_and_pages():
    async def inner(scope, receive, send):
        await send({"type": "passed"})

    guard = Guard(inner, host_names("127.0.0.1"), 8765)
    assert call(guard, {"host": "127.0.0.1:8765"}) == [{"type": "passed"}]
    assert call(guard, {"host": "localhost:8765", "origin": "http://localhost:8765"}) == [{"type": "passed"}]
    for headers in ({"host": "evil.example:8765"}, {"host": "127.0.0.1:8765", "origin": "http://evil.example"},
                    {"host": "127.0.0.1:9999"}, {}, {"host": "127.0.0.1:8765", "origin": "null"}):
        assert call(guard, headers)[0]["status"] == 403, headers
    assert call(guard, {"host": "evil.example:8765"}, "websocket") == [{"type": "websocket.close", "code": 1008}]
    assert "school-pc" in Guard(inner, host_names("0.0.0.0", "school-pc"), 8765).names


@pytest.mark.parametrize("controls, word", [
    ({"policy": "../../etc/passwd"}, "policy"),
    ({"versus": "../base"}, "versus"),
    ({"seed": "-1"}, "seed"),
    ({"seed": "1e9"}, "seed"),
    ({"demand": float("nan")}, "demand"),
    ({"specialists": 2.5}, "specialists"),
    ({"weekend": "maybe"}, "weekend"),
    ({"scale": 50.0}, "scale"),
])
def test_the_app_checks_every_value_the_browser_sends(controls, word, monkeypatch):
    opened = []
    monkeypatch.setattr("sim.teaching.live.load", lambda *a, **k: opened.append(a))
    m = LiveModel(**{"scenario_dir": SCENARIOS, **controls})
    assert m.error.startswith(word) and not m.runs and not opened



def test_the_code_left_out_of_the_resume_key_is_never_imported_by_a_run(tmp_path):
    """A report or app change resumes without running again (sim.runs.output.NOT_RUN_CODE): safe only
    while a worker's run imports none of that code, which a fresh process checks."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from sim.runs.output import NOT_RUN_CODE\n"
        "from sim.runs.runner import Task, execute\n"
        f"outcome = execute(Task('tiny', 0, 5, {str(TINY)!r}, {tuple(FAST)!r}, 'k'))\n"
        "left_out = tuple('sim.' + p.removesuffix('.py').rstrip('/').replace('/', '.') for p in NOT_RUN_CODE)\n"
        "print(sorted(m for m in sys.modules if m.startswith(left_out)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
