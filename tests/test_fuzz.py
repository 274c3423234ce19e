"""Fuzzing the real command line with bad input: a bad value for every key of the schema (given
by --set, in a scenario file, or set by an experiment's level) and malformed files (scenario,
catalogue, experiment). Every case must be refused with exit status 2 and exactly one error
line, no traceback, nothing written anywhere, no file changed, within a time limit.

`pytest -s tests/test_fuzz.py` prints how many bad inputs were tried and their outcomes."""

import io
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ROOT, SCENARIOS, TINY
from sim.cli import main
from sim.scenario.files import SCHEMA, MapOf, Spec, TableList

CATALOGUE = SCENARIOS / "data" / "catalogue.csv"
CASE_SECONDS = 10
FREE_KEYS = {"calendars": "office", "catalogue.items": "DB", "catalogue.items.DB": "service_minutes"}
OUTCOMES: Counter = Counter()


def leaves(schema=SCHEMA, prefix=""):
    """(dotted key, spec) of every key a scenario may hold."""
    for key, spec in schema.items():
        dotted = prefix + key
        if isinstance(spec, (Spec, TableList)):
            yield dotted, spec
        elif isinstance(spec, dict):
            yield from leaves(spec, dotted + ".")
        elif isinstance(spec, MapOf):
            for name in spec.keys or (FREE_KEYS.get(dotted, "x"),):
                yield from leaves({name: spec.value}, dotted + ".")


KEYS = list(leaves())
WRONG_TYPES = {"bool": ["1", '"yes"', "[true]"], "str": ["1", "true", "[1]", "{a = 1}", '"' + "x" * 10_001 + '"'],
               "scalar": ["[1]", "{a = 1}"], "path": ['"/no/such/file.csv"', "5", "[]", '"/"'],
               "gis_path": ['"/no/such/district.gpkg"', "5", "[]"],
               "enum": ['"zzz"', "1", '["x"]'], "list_enum": ['["zzz"]', '"x"', "1", "[1]"],
               "list_str": ["[1]", '"x"', "1", '[["a"]]'], "calendar_specs": ['["Mon-Fri 25:00-26:00"]', '["x"]', "1"],
               "range": ["1", '"x"', "[1]", "{nope = 1}"],
               "int": ['"x"', "true", "[1]", "{a = 1}", "nan", "1.5"],
               "number": ['"x"', "true", "[]", "{a = 1}", "nan", "inf", "-inf"]}


def out_of_range(spec: Spec):
    """Numbers just outside, or far outside, a key's range."""
    whole = spec.kind == "int"
    options = []
    if spec.lo is not None:
        below = st.integers(max_value=int(spec.lo) - 1) if whole else st.floats(max_value=spec.lo, exclude_max=True,
                                                                                allow_nan=False)
        options.append(below.filter(lambda v: v > -1e300))
    if spec.hi is not None:
        above = st.integers(min_value=int(spec.hi) + 1) if whole else st.floats(min_value=spec.hi, exclude_min=True,
                                                                                allow_infinity=False)
        options.append(above)
    return st.one_of(options).map(repr) if options else st.nothing()


TABLE_WRONG = ['"x"', "[1]", "[{nope = 1}]", "[" + ", ".join(["{}"] * 10_001) + "]"]


def bad_value(spec) -> st.SearchStrategy:
    if isinstance(spec, TableList):
        return st.sampled_from(TABLE_WRONG)
    wrong = st.sampled_from(WRONG_TYPES[spec.kind])
    return st.one_of(wrong, out_of_range(spec)) if spec.kind in ("int", "number") else wrong


@st.composite
def bad_setting(draw):
    key, spec = draw(st.sampled_from(KEYS))
    return key, draw(bad_value(spec))


def as_file(key: str, value: str) -> str:
    """A scenario file extending tiny.toml that sets `key` to `value`."""
    table, _, name = key.rpartition(".")
    head = f'extends = "{TINY.as_posix()}"\n'
    if key == "extends":
        return f"extends = {value}\n"
    return head + (f"[{table}]\n" if table else "") + f"{name} = {value}\n"


class Workspace:
    """A scratch folder the command runs in, and a fingerprint of every file it could touch."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="sim-fuzz-"))
        (self.root / "existing.txt").write_text("not the tool's")
        self.watched = [ROOT / "scenarios", ROOT / "experiments", ROOT / "docs", ROOT / "results", ROOT / "tests"]

    def state(self):
        files = [p for d in [self.root, *self.watched] for p in d.rglob("*") if "__pycache__" not in p.parts]
        return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.is_file()} | \
            {p: "dir" for p in files if p.is_dir()}


@pytest.fixture(scope="module")
def space():
    ws = Workspace()
    yield ws
    total = sum(OUTCOMES.values())
    print(f"\nfuzz: {total} bad inputs tried; outcomes:")
    for (command, delivery, outcome), n in sorted(OUTCOMES.items()):
        print(f"  {command:<16} {delivery:<16} {outcome:<22} {n}")


def refuse(space, command, delivery, args, monkeypatch=None):
    """Run the CLI in this process on one bad input and check how it is refused."""
    before = space.state()
    out = space.root / "out"
    err, std = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with redirect_stderr(err), redirect_stdout(std):
        code = main([str(a) for a in args])
    seconds = time.perf_counter() - started
    lines = err.getvalue().strip().splitlines()
    ok = code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err.getvalue()
    OUTCOMES[(command, delivery, "refused in one line" if ok else f"exit {code}, {len(lines)} lines")] += 1
    assert ok, (args, code, err.getvalue()[-2000:])
    assert std.getvalue() == "", std.getvalue()[:500]
    assert not out.exists(), "a refused command wrote its output folder"
    assert space.state() == before, "a refused command wrote or changed a file"
    assert seconds < CASE_SECONDS, f"{seconds:.1f} s for {args}"


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
COMMANDS = {"run": lambda ws: ["run", "--out", ws.root / "out"], "validate": lambda ws: ["validate"],
            "compare": lambda ws: ["compare", "--replicates", "1", "--out", ws.root / "out"]}


def test_every_key_of_the_schema_refuses_wrong_types_and_out_of_range_values(space):
    """Every key, not a sample: each of its wrong types, and the numbers just outside its range."""
    for key, spec in KEYS:
        wrong = (TABLE_WRONG if isinstance(spec, TableList) else WRONG_TYPES[spec.kind])[:2]
        edges = [repr(v) for v in (spec.lo - 1 if spec.lo is not None else None,
                                   spec.hi + 1 if spec.hi is not None else None) if v is not None] \
            if isinstance(spec, Spec) and spec.kind in ("int", "number") else []
        for value in [*wrong, *edges]:
            refuse(space, "validate", "every key", ["validate", TINY, "--set", f"{key}={value}"])


@SETTINGS
@given(command=st.sampled_from(sorted(COMMANDS)), setting=bad_setting())
def test_a_bad_value_by_set_is_refused(space, command, setting):
    key, value = setting
    head, *rest = COMMANDS[command](space)
    refuse(space, command, "--set", [head, TINY, *rest, "--set", f"{key}={value}"])


@SETTINGS
@given(command=st.sampled_from(sorted(COMMANDS)), setting=bad_setting())
def test_a_bad_value_in_a_scenario_file_is_refused(space, command, setting):
    path = space.root / "scenarios" / "bad.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(as_file(*setting), encoding="utf-8")
    head, *rest = COMMANDS[command](space)
    refuse(space, command, "scenario file", [head, path, *rest])


def experiment_text(level_set: str = "", head: str = "") -> str:
    return (f'[experiment]\nname = "fuzz"\nbase = "{TINY.as_posix()}"\nreplicates = 2\nseed = 1\n'
            f'metrics = ["latency_days.mean"]\n{head}[factors.a]\nlow = {{}}\nhigh = {{ set = {{ {level_set} }} }}\n')


EXPERIMENT_BAD = ['name = ".."', 'name = 5', "replicates = 0", "replicates = 100000000", "seed = -1",
                  'metrics = "x"', "metrics = []", "max_in_a_row = 0", 'base = "/no/such.toml"', "nope = 1"]


@SETTINGS
@given(setting=bad_setting())
def test_a_bad_value_set_by_an_experiment_level_is_refused_by_plan(space, setting):
    key, value = setting
    if key == "extends":  # not a key an experiment level may set at all
        value = '"x.toml"'
    path = space.root / "experiment" / "fuzz.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(experiment_text(f'"{key}" = {value}'), encoding="utf-8")
    refuse(space, "experiment --plan", "level set", ["experiment", path, "--plan"])


@SETTINGS
@given(line=st.sampled_from(EXPERIMENT_BAD))
def test_a_bad_experiment_key_is_refused_by_plan(space, line):
    path = space.root / "experiment" / "fuzz.toml"
    path.parent.mkdir(exist_ok=True)
    text = experiment_text('"catalogue.demand_scale" = 2')
    key = line.split(" = ")[0]
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(key + " ")).replace(
        "[experiment]", f"[experiment]\n{line}", 1)
    path.write_text(text + "\n", encoding="utf-8")
    refuse(space, "experiment --plan", "experiment key", ["experiment", path, "--plan"])


def mutated_catalogue(draw) -> bytes:
    rows = CATALOGUE.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    kind = draw(st.sampled_from(["cell", "bytes", "utf16", "header", "duplicate"]))
    if kind == "bytes":
        return b"\x00" + draw(st.binary(max_size=400))
    if kind == "utf16":
        return CATALOGUE.read_text(encoding="utf-8").encode("utf-16")
    if kind == "header":
        gone = draw(st.sampled_from(header[:15]))
        return ("\n".join([",".join(h for h in header if h != gone), *rows[1:]]) + "\n").encode()
    if kind == "duplicate":
        return ("\n".join([*rows, rows[1]]) + "\n").encode()
    column = draw(st.sampled_from([c for c in header if c not in ("code", "name_zh", "name_en", "source")]))
    text = draw(st.text(alphabet=st.characters(codec="utf-8", exclude_characters=',"\r\n'), max_size=12)
                .filter(lambda t: not _valid_cell(column, t.strip())))
    i = header.index(column)
    cells = rows[1].split(",")
    cells[i] = text
    return ("\n".join([rows[0], ",".join(cells), *rows[2:]]) + "\n").encode("utf-8")


def _valid_cell(column: str, text: str) -> bool:
    if column in ("online", "collect", "terminal", "batch"):
        return text in ("0", "1")
    if column in ("authority",):
        return text in ("street", "community")
    if column == "service_dist":
        return text in ("lognormal", "exponential", "deterministic")
    try:
        value = float(text)
    except ValueError:
        return False
    return 0 <= value <= 0.99 or (column != "p_incomplete" and 0 <= value <= 1e5)


@SETTINGS
@given(data=st.data(), command=st.sampled_from(sorted(COMMANDS)))
def test_a_malformed_catalogue_is_refused(space, data, command):
    path = space.root / "data" / "catalogue.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(mutated_catalogue(data.draw))
    head, *rest = COMMANDS[command](space)
    refuse(space, command, "catalogue file", [head, TINY, *rest, "--set", f"catalogue.file={path}"])


@SETTINGS
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                         st.integers(1000, 3000).map(lambda n: ("x = " + "[" * n + "]" * n).encode())),
       command=st.sampled_from(["run", "validate", "compare", "experiment --plan"]))
def test_a_malformed_file_is_refused(space, content, command):
    path = space.root / "files" / "malformed.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    if command == "experiment --plan":
        args = ["experiment", path, "--plan"]
    else:
        head, *rest = COMMANDS[command](space)
        args = [head, path, *rest]
    refuse(space, command, "malformed file", args)


@pytest.mark.parametrize("args", [
    ["run", TINY, "--set", "run.weeks=-1"],
    ["validate", TINY, "--set", "territory.scale=nan"],
    ["compare", TINY, "--set", "catalogue.file=/no/such.csv"],
    ["run", TINY, "--seed", "-1"],
    ["experiment", ROOT / "experiments" / "authorisation.toml", "--plan", "--max-runs", "3"],
])
def test_a_sample_as_real_processes(space, args):
    """The same checks on the real program: its own interpreter, its own stderr."""
    before = space.state()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *map(str, args), *(["--out", space.root / "out"]
                           if args[0] in ("run", "compare") else [])],
                          cwd=space.root, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    ok = done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ")
    OUTCOMES[(args[0], "subprocess", "refused in one line" if ok else f"exit {done.returncode}")] += 1
    assert ok, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert space.state() == before and not (space.root / "out").exists()
    assert time.perf_counter() - started < 60


def test_every_number_in_the_schema_has_a_range():
    """A key added later gets the limits checks for free only if it states its range."""
    loose = [key for key, spec in KEYS if isinstance(spec, Spec) and spec.kind in ("int", "number")
             and (spec.lo is None or spec.hi is None)]
    assert loose == []
