"""Bad input gets one clear line naming the file, the key and what is expected; never a traceback."""

import subprocess
import sys
from types import SimpleNamespace

import pytest

from helpers import ROOT, SCENARIOS, TINY
from sim.cli import main
from sim.errors import ScenarioError, UsageError
from sim.runs.output import check_folder


@pytest.fixture
def sim_cli(capsys):
    """The CLI in this process (fast); one test below runs it as a real subprocess."""

    def call(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return call


def assert_clear_error(done, *words):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert done.stdout == ""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EXTENDS = f'extends = "{(SCENARIOS / "centralised.toml").as_posix()}"\n'


@pytest.mark.parametrize("command", ["run", "check"])
def test_missing_file(sim_cli, command, tmp_path):
    assert_clear_error(sim_cli(command, tmp_path / "nope.toml"), "nope.toml", "not found")


# A scenario file that extends the baseline with one bad line: (file, command, text, words in the error)
BAD_FILES = [
    ("bad.toml", "run", "[run\nseed = 1\n", ["valid TOML"]),
    ("typo.toml", "check", "[run]\nweekz = 3\n", ["run.weekz", "not a known key"]),
    ("type.toml", "run", '[points.street]\nwindows = "four"\n', ["points.street.windows", "whole number"]),
    ("nodata.toml", "check", '[catalogue]\nfile = "missing.csv"\n', ["catalogue.file", "missing.csv"]),
    ("empty.toml", "run", '[territory]\npreset = "explicit"\n', ["territory"]),
    ("cal.toml", "run", '[calendars]\noffice = ["Mon-Fri 08:30-25:00"]\n', ["calendars.office"]),
    ("day.toml", "check", '[staff.specialist]\nvisit_days = ["Funday"]\n', ["staff.specialist.visit_days", "Mon"]),
    ("closed.toml", "check", '[staff.specialist]\ncount = 1\nvisit_days = ["Sun"]\n',
     ["staff.specialist.visit_days", "community stations are open"]),
]


@pytest.mark.parametrize("name, command, text, words", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_scenario_file(sim_cli, tmp_path, name, command, text, words):
    path = write(tmp_path, name, EXTENDS + text)
    assert_clear_error(sim_cli(command, path), name, *words)


def test_negative_rate_by_override(sim_cli):
    assert_clear_error(sim_cli("run", TINY, "--set", "catalogue.demand_scale=-1"), "--set", "catalogue.demand_scale", "from 0")


def test_unknown_override_key(sim_cli):
    assert_clear_error(sim_cli("run", TINY, "--set", "run.speed=2"), "run.speed")


def test_negative_rate_in_the_catalogue(sim_cli, tmp_path):
    rows = (SCENARIOS / "data" / "catalogue.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace(",street,2.0,", ",street,-2.0,")
    cat = write(tmp_path, "cat.csv", "\n".join(rows) + "\n")
    path = write(tmp_path, "neg.toml", EXTENDS + f'[catalogue]\nfile = "{cat.as_posix()}"\n')
    assert_clear_error(sim_cli("run", path), "cat.csv", "row 2, column rate_under60")


def test_circular_extends(sim_cli, tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    path = write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    assert_clear_error(sim_cli("check", path), "extends", "circular")


def test_nothing_half_written_on_error(sim_cli, tmp_path):
    out = tmp_path / "out"
    done = sim_cli("run", TINY, "--set", "points.street.windows=-3", "--out", out)
    assert_clear_error(done, "points.street.windows")
    assert not out.exists()


def test_the_real_command_line_prints_one_line():
    done = subprocess.run([sys.executable, "-m", "sim", "run", "nope.toml"], capture_output=True, text=True, cwd=ROOT)
    assert_clear_error(done, "nope.toml", "not found")


def test_check_keeps_its_old_name_and_options_are_usage_errors(sim_cli, tmp_path):
    """`validate` is the old name of `check`; a bad option is a usage error, one line, status 2."""
    for command in ("check", "validate"):
        done = sim_cli(command, SCENARIOS / "dingshan.toml")
        assert done.returncode == 0 and "ok:" in done.stdout
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="--out") as caught:
        check_folder(tmp_path / "file", {"kind": "compare"})
    assert not isinstance(caught.value, ScenarioError)
