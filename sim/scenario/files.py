"""Scenario files: layered TOML, checked against a schema, with dotted overrides.

A scenario file may `extends = "other.toml"`; tables merge key by key and the child wins.
The schema below lists every key a scenario may hold, its type and its range; the values
themselves (and the comments saying where they come from) live in the files, never here.
Scenario files are data: nothing in them is executed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.clock import WEEKDAYS
from sim.clock import SPEC_FORMAT, parse_spec
from sim.errors import ScenarioError
from sim.scenario.queue_reduction import reduce_to_queue
from sim.scenario.ranges import Range, parse_ranges
from sim.scenario.tables import file_digest

CHANNELS = ("street", "community", "grid", "building", "terminal", "online")
DECIDERS = ("street", "specialist", "community", "back_office")
MAX_COUNT = 10_000_000
MAX_FILE_BYTES = 10_000_000  # a scenario or experiment file; the shipped ones are a few kB
MAX_DEPTH = 16  # tables within tables (the schema needs 5)
MAX_EXTENDS = 16  # files in one `extends` chain (the shipped ones use 3)
MAX_LIST = 10_000  # entries of any list, rows of any array of tables
OPTIONAL_TABLES = {"queue_reduction"}  # tables a scenario may leave out altogether


@dataclass(frozen=True)
class Spec:
    """One leaf of the schema: a kind and its limits."""

    kind: str  # bool | int | number | str | scalar | path | gis_path | enum | list_enum | list_str | calendar_specs | range
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False

    def expected(self) -> str:
        if self.kind in ("enum", "list_enum"):
            one = "one of " + ", ".join(self.choices)
            return one if self.kind == "enum" else f"a list of values, each {one}"
        if self.kind == "calendar_specs":
            return f"a list of strings like {SPEC_FORMAT}"
        if self.kind == "path":
            return "a path (string) to an existing file"
        if self.kind == "gis_path":
            return "a path (string) to an existing GIS file or folder of GeoJSON files"
        words = {"bool": "true or false", "int": "a whole number", "number": "a number", "str": "a string",
                 "scalar": "a number, a string or true/false",
                 "list_str": "a list of strings",
                 "range": "a table { low = ..., high = ..., dist = ... } or { levels = [...] }"}[self.kind]
        if self.lo is not None and self.hi is not None:
            return f"{words} from {self.lo:g} to {self.hi:g}"
        if self.lo is not None:
            return f"{words} >= {self.lo:g}"
        return words


@dataclass(frozen=True)
class TableList:
    """An array of tables, each checked against `fields`."""

    fields: dict
    optional: bool = True
    max_rows: int = MAX_LIST


@dataclass(frozen=True)
class MapOf:
    """A table with free keys (names chosen by the author), each value checked against `value`."""

    value: Any
    keys: tuple[str, ...] = ()  # when set, the only keys allowed
    optional: bool = False


def num(lo=None, hi=None, **kw):
    return Spec("number", lo, hi, **kw)


def count(lo=0, hi=MAX_COUNT, **kw):
    return Spec("int", lo, hi, **kw)


SHARE = num(0, 1)
MINUTES = num(0, 1e6)
SPAN_DAYS = num(0, 3650)
COEF = num(-1e3, 1e3)
CAL_NAMES = Spec("list_str")

POINT = {"windows": count(0, 10_000), "hours": CAL_NAMES}
STAFF = {"proficiency": num(0.01, 100), "error_rate": SHARE}
AUTHORITY = {"accept": Spec("list_enum", choices=CHANNELS), "decide": Spec("list_enum", choices=DECIDERS)}

SCHEMA: dict = {
    "extends": Spec("str", optional=True),
    "meta": {"name": Spec("str"), "name_zh": Spec("str"), "description": Spec("str"),
             "description_zh": Spec("str", optional=True)},
    "run": {
        "seed": count(0, 2**63 - 1),
        "warmup_weeks": num(0, 520),
        "weeks": num(0.01, 520),
        "drain_weeks": num(0, 520),
        "step_minutes": num(0.01, 100_000),
    },
    "territory": {
        "preset": Spec("enum", choices=("dingshan", "jiangbei", "synthetic", "explicit", "district")),
        "district": Spec("gis_path", optional=True),
        "capacity_file": Spec("path", optional=True),
        "roads": {
            "source": Spec("enum", choices=("layout", "file", "none")),
            "file": Spec("gis_path", optional=True),
            "lane_spacing_km": num(0.01, 100),
            "river_position": SHARE,
            "river_crossings": count(1, 1000),
            "classes": MapOf({"walk": num(0.01, 10), "ride": num(0.01, 10), "osm": Spec("list_str", optional=True)}),
        },
        "streets_file": Spec("path"),
        "street": Spec("str"),
        "scale": num(1e-6, 1),
        "circuity": num(1, 5),
        "persons_per_household": num(0.5, 20),
        "households_per_grid": num(1, 100_000),
        "residents_per_building": num(1, 100_000),
        "residents_per_community": num(1, 10_000_000),
        "missing_area_km2": num(0.01, 10_000),
        "total_population": count(1),
        "length_km": num(0.01, 1_000),
        "centre_position": SHARE,
        "core_density_ratio": num(1e-3, 1e3),
        "streets_count": count(1, 1000, optional=True),
        "communities_per_street": count(1, 1000, optional=True),
        "area_km2": num(0.01, 10_000, optional=True),
        "population": count(1, optional=True),
        "streets": TableList({"name": Spec("str"), "name_zh": Spec("str", optional=True),
                              "x": num(-1e4, 1e4), "y": num(-1e4, 1e4)}),
        "communities": TableList({"name": Spec("str"), "street": Spec("str"),
                                  "x": num(-1e4, 1e4), "y": num(-1e4, 1e4)}),
        "grids": TableList({"name": Spec("str"), "community": Spec("str"),
                            "x": num(-1e4, 1e4), "y": num(-1e4, 1e4)}),
        "buildings": TableList({"x": num(-1e4, 1e4), "y": num(-1e4, 1e4), "population": count(1),
                                "community": Spec("str"), "grid": Spec("str", optional=True)}),
    },
    "residents": {
        "elderly_share": SHARE,
        "employed_share": SHARE,
        "digital_literacy": MapOf(SHARE, keys=("elderly", "under60")),
        "walk_kmh": num(0.1, 20),
        "elderly_walk_kmh": num(0.1, 20),
        "walk_max_km": num(0, 100),
        "ride_kmh": num(0.1, 200),
        "ride_access_minutes": MINUTES,
        "go_delay_days": SPAN_DAYS,
        "go_delay_per_errand_hour": SPAN_DAYS,
        "leave_hours": num(0, 24),
        "arrival_spread": num(0.01, 1),
        "leave_after_days": SPAN_DAYS,
        "work_hours": CAL_NAMES,
    },
    "calendars": MapOf(Spec("calendar_specs")),
    "catalogue": {
        "file": Spec("path"),
        "rework_days": SPAN_DAYS,
        "rework_limit": count(0, 100),
        "pickup_minutes": MINUTES,
        "demand_scale": num(0, 1000),
        "items": MapOf(MapOf(Spec("scalar")), optional=True),
    },
    "points": {
        "street": POINT,
        "community": POINT,
        "terminal": {"hours": CAL_NAMES, "minutes_factor": num(0.01, 100)},
        "grid": {"workers_per_grid": count(0, 1000), "hours": CAL_NAMES, "door_minutes": MINUTES,
                 "response_days": SPAN_DAYS},
        "building": {"response_days": SPAN_DAYS},
        "online": {"review_days": SPAN_DAYS},
    },
    "staff": {
        "street": STAFF,
        "community": STAFF,
        "specialist": STAFF | {
            "count": count(0, 10_000),
            "travel_kmh": num(0.1, 200),
            "when_absent": Spec("enum", choices=("hold", "send_to_street")),
            "preaccept_minutes": MINUTES,
            "rota_awareness": SHARE,
            "held_per_session": count(1, 10_000),
            "visit_days": Spec("list_enum", choices=WEEKDAYS),
            "rota": TableList({"communities": Spec("list_str")}),
        },
    },
    "authority": MapOf(AUTHORITY, keys=("street", "community", "street_spot", "street_review", "batch")),
    "handoff": {"courier_days": SPAN_DAYS, "round_days": SPAN_DAYS, "deliver_days": SPAN_DAYS, "referral_share": SHARE,
                "electronic_days": SPAN_DAYS},
    "audit": {"share": SHARE, "detect": SHARE, "days": SPAN_DAYS},
    "staffing": {"fte_hours_per_week": num(1, 168), "review_minutes": MINUTES, "back_office_minutes": MINUTES},
    "switches": {
        "weekend": Spec("bool"),
        "terminals": Spec("bool"),
        "online": Spec("bool"),
        "any_street_centre": Spec("bool"),
        "community_forwarding": Spec("bool"),
        "proactive_elderly": Spec("bool"),
        "deliver_home": Spec("bool"),
        "batch": Spec("bool"),
        "electronic_pass_on": Spec("bool"),
    },
    "adapt": {"refusal_limit": count(1, 50), "retry_days": num(0.01, 3650), "hearsay_weight": SHARE,
              "new_channels": Spec("list_enum", choices=("grid", "building", "online")), "aware_of_new": SHARE},
    "complaints": {"after_refusal": SHARE, "after_abandoning": SHARE, "answer_days": SPAN_DAYS},
    "network": {"building_ties": num(0, 10_000), "grid_ties": num(0, 10_000), "long_ties": num(0, 10_000)},
    "proactive": {"visit_interval_days": num(0.1, 3650), "reach": SHARE},
    "choice": {
        "per_travel_minute": COEF,
        "per_trip": COEF,
        "per_day": COEF,
        "constants": MapOf(COEF, keys=CHANNELS),
        "online_literate": COEF,
        "online_not_literate": COEF,
        "elderly_door": COEF,
        "door_nest": num(0.05, 1),
    },
    "queue_reduction": {
        "arrivals_per_hour": num(0.001, 1e5),
        "service_minutes": num(0.001, 1e5),
        "windows": count(1, 10_000),
        "service": Spec("enum", choices=("exponential", "deterministic")),
        "forward_share": SHARE,
        "street_windows": count(1, 10_000),
    },
    "survey": {
        "per_month": count(0, 1_000_000),
        "satisfaction": MapOf(COEF, keys=("intercept", "per_day", "per_trip", "per_km", "per_refusal", "per_error")),
        "awareness": MapOf(SHARE, keys=("base", "local")),
    },
    "ranges": MapOf(Spec("range"), optional=True),  # plausible range of each assumption (sim.scenario.ranges)
}


@dataclass
class Scenario:
    """A resolved scenario: merged values, which file set each key, and the files read."""

    values: dict
    origin: dict[str, str]
    files: list[Path] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)  # the plausible range of each ranged assumption

    @property
    def path(self) -> Path:
        return self.files[-1]

    def __getitem__(self, key: str):
        return self.values[key]

    def where(self, dotted: str) -> str:
        """The file that set a key (or its nearest parent), for error messages."""
        while dotted:
            if dotted in self.origin:
                return self.origin[dotted]
            dotted = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", dotted) if re.search(r"[.\[]", dotted) else ""
        return str(self.path)

    def error(self, dotted: str, expected: str) -> ScenarioError:
        return ScenarioError(self.where(dotted), dotted, expected)

    def digest(self) -> str:
        """Hash of the files read, so a manifest can tell whether a rerun reads the same data
        (a district's GIS files and road extract included)."""
        h = hashlib.sha256()
        gis = [path for key, path in self.data_files().items() if key.startswith(("territory.district",
                                                                                    "territory.roads.file"))]
        for f in self.files + [Path(p) for p in gis]:
            h.update(f.read_bytes())
        return h.hexdigest()[:16]

    def data_files(self) -> dict[str, str]:
        """Every data file the scenario names, by dotted key (the keys of kind "path")."""
        return dict(_paths(self.values, SCHEMA, ""))

    def fingerprint(self) -> dict[str, str]:
        """What shapes a run of this scenario: its resolved values and the content of every data
        file it names, each hashed; a resumed job compares these before reusing a run."""
        text = json.dumps(self.values, sort_keys=True, ensure_ascii=False, default=str)
        return {"values": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
                **{path: file_digest(path) for path in self.data_files().values()}}


def _paths(data: Any, schema: Any, prefix: str):
    if isinstance(schema, MapOf):
        schema = {key: schema.value for key in data} if isinstance(data, dict) else {}
    if isinstance(schema, TableList):
        for i, row in enumerate(data if isinstance(data, list) else []):
            yield from _paths(row, schema.fields, f"{prefix}[{i}].")
        return
    if not isinstance(schema, dict) or not isinstance(data, dict):
        return
    for key, value in data.items():
        spec = schema.get(key)
        if isinstance(spec, Spec) and spec.kind == "path" and isinstance(value, str):
            yield prefix + key, value
        elif isinstance(spec, Spec) and spec.kind == "gis_path" and isinstance(value, str):
            folder = Path(value)  # a GeoPackage, or a folder of GeoJSON layers
            yield from ((f"{prefix}{key}/{f.name}", str(f)) for f in sorted(folder.glob("*.geojson"))) \
                if folder.is_dir() else [(prefix + key, value)]
        elif spec is not None:
            yield from _paths(value, spec, prefix + key + ".")


def read_toml(path: Path) -> dict:
    """Parse a TOML file; undecodable text, bad syntax, a huge file or tables nested deeper than
    any scenario needs is a ScenarioError naming the file."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ScenarioError(path, "file", f"a TOML file of at most {MAX_FILE_BYTES:,} bytes")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(path, "file", "UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "syntax", f"valid TOML ({exc})") from None
    except RecursionError:
        raise ScenarioError(path, "syntax", f"values nested at most {MAX_DEPTH} deep") from None
    _check_depth(path, data)
    return data


def _check_depth(path: Path, data: dict) -> None:
    """Tables and lists nested at most MAX_DEPTH deep (walked without recursion)."""
    todo: list[tuple[Any, str, int]] = [(data, "", 0)]
    while todo:
        node, key, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(path, key.lstrip("."), f"values nested at most {MAX_DEPTH} deep")
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        todo.extend((v, f"{key}.{k}" if isinstance(node, dict) else f"{key}[{k}]", depth + 1) for k, v in children)


def _read_toml(path: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[str, str], list[Path]]:
    if not path.is_file():
        where = chain[-1] if chain else path
        raise ScenarioError(where, "extends" if chain else "file", f"an existing scenario file (not found: {path})")
    data = read_toml(path)
    origin: dict[str, str] = {}
    _resolve_paths(data, SCHEMA, path.parent, "", path, origin)
    parent = data.pop("extends", None)
    if parent is None:
        return data, origin, [path]
    if not isinstance(parent, str):
        raise ScenarioError(path, "extends", "a path (string) to another scenario file")
    parent_path = (path.parent / parent).resolve()
    if parent_path in chain or parent_path == path:
        raise ScenarioError(path, "extends", "a file that does not extend itself (circular)")
    if len(chain) + 1 >= MAX_EXTENDS:
        raise ScenarioError(path, "extends", f"a chain of at most {MAX_EXTENDS} files (this one is longer)")
    base, base_origin, files = _read_toml(parent_path, chain + (path,))
    _merge(base, data)
    return base, base_origin | origin, files + [path]


def _resolve_paths(data: dict, schema: dict, folder: Path, prefix: str, path: Path, origin: dict) -> None:
    """Record which file set each key, and make path values absolute relative to that file."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        origin[dotted] = str(path)
        spec = schema.get(key) if isinstance(schema, dict) else None
        if isinstance(spec, Spec) and spec.kind in ("path", "gis_path") and isinstance(value, str):
            data[key] = str((folder / value).resolve())
        elif isinstance(value, dict):
            sub = spec.value if isinstance(spec, MapOf) else spec
            _resolve_paths(value, sub if isinstance(sub, dict) else {}, folder, dotted + ".", path, origin)


def _merge(base: dict, child: dict) -> None:
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def parse_override(text: str) -> tuple[str, Any]:
    """'a.b=3' -> ('a.b', 3); the value is read as TOML, else taken as a plain string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*", key):
        raise ScenarioError("--set", text[:200], "dotted.key=value")
    if key == "extends":
        raise ScenarioError("--set", key, "a key of the scenario; `extends` is set in a file, not by --set")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        value = raw.strip()
    return key, value


def resolved_override(text: str) -> str:
    """An override as the parent process reads it, path values made absolute, so that a worker
    started elsewhere (a Dask worker in another folder) reads the same files."""
    key, value = parse_override(text)
    spec = spec_at(key)
    if isinstance(spec, Spec) and spec.kind == "path" and isinstance(value, str):
        return f"{key}={json.dumps(str(Path(value).resolve()), ensure_ascii=False)}"
    return text


def _apply_override(values: dict, origin: dict, key: str, value: Any) -> None:
    node, spec = values, SCHEMA
    parts = key.split(".")
    for i, part in enumerate(parts):
        if isinstance(spec, MapOf):
            if spec.keys and part not in spec.keys:
                raise ScenarioError("--set", key, "one of the keys " + ", ".join(spec.keys))
            spec = spec.value
        elif isinstance(spec, dict) and part in spec:
            spec = spec[part]
        elif isinstance(spec, dict):
            raise ScenarioError("--set", key, "not a known key here; known: " + ", ".join(spec))
        else:
            raise ScenarioError("--set", key, f"'{'.'.join(parts[:i])}' is a value, not a table")
        if i == len(parts) - 1:
            if isinstance(spec, Spec) and spec.kind in ("path", "gis_path") and isinstance(value, str):
                value = str(Path(value).resolve())
            node[part] = value
        else:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
    for known in [k for k in origin if k.startswith((key + ".", key + "["))]:
        del origin[known]  # the value replaced came with keys of its own; they are --set's now
    origin[key] = "--set"


def territory_overrides(path: str | Path) -> list[str]:
    """The [territory] table of a scenario file as --set overrides (paths made absolute), so that
    every scenario of a comparison runs on that territory."""
    values, _, _ = _read_toml(Path(path).resolve(), ())
    if "territory" not in values:
        raise ScenarioError(path, "territory", "a [territory] table, to take the territory from")
    return [f"territory.{key}={_inline_toml(value)}" for key, value in values["territory"].items()]


def _inline_toml(value: Any) -> str:
    """A value as inline TOML (strings in JSON's quoting, which TOML's basic strings share)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_inline_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def load(path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Read a scenario file (with the files it extends), apply --set overrides, and check it."""
    values, origin, files = _read_toml(Path(path).resolve(), ())
    for text in overrides or []:
        _apply_override(values, origin, *parse_override(text))
    scenario = Scenario(values, origin, files)
    _check(scenario, values, SCHEMA, "")
    if "queue_reduction" in values:
        reduce_to_queue(scenario)
    _check_calendar_names(scenario)
    scenario.ranges = parse_ranges(scenario, spec_at)
    return scenario


def spec_at(dotted: str) -> Spec | None:
    """The schema's Spec of a dotted key (through tables of free keys), or None."""
    node: Any = SCHEMA
    for part in dotted.split("."):
        if isinstance(node, MapOf):
            node = node.value if not node.keys or part in node.keys else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node if isinstance(node, Spec) else None


def _check(sc: Scenario, data: Any, schema: Any, prefix: str) -> None:
    if isinstance(schema, dict):
        if not isinstance(data, dict):
            raise sc.error(prefix.rstrip("."), "a table")
        for key in data:
            if key not in schema:
                raise sc.error(prefix + key, "not a known key here; known: " + ", ".join(schema))
        for key, sub in schema.items():
            if key not in data:
                if getattr(sub, "optional", False) or isinstance(sub, TableList) or prefix + key in OPTIONAL_TABLES:
                    continue
                raise sc.error(prefix + key, "required (missing)")
            _check(sc, data[key], sub, prefix + key + ".")
        return
    dotted = prefix.rstrip(".")
    if isinstance(schema, MapOf):
        if not isinstance(data, dict):
            raise sc.error(dotted, "a table")
        for key, value in data.items():
            if schema.keys and key not in schema.keys:
                raise sc.error(f"{dotted}.{key}", "not a known key here; known: " + ", ".join(schema.keys))
            _check(sc, value, schema.value, f"{dotted}.{key}.")
        return
    if isinstance(schema, TableList):
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise sc.error(dotted, "an array of tables")
        if len(data) > schema.max_rows:
            raise sc.error(dotted, f"at most {schema.max_rows:,} rows; got {len(data):,}")
        for i, row in enumerate(data):
            _check(sc, row, schema.fields, f"{dotted}[{i}].")
        return
    _check_leaf(sc, data, schema, dotted)


def _check_leaf(sc: Scenario, value: Any, spec: Spec, dotted: str) -> None:
    ok = True
    if spec.kind == "bool":
        ok = isinstance(value, bool)
    elif spec.kind in ("int", "number"):
        is_int = isinstance(value, int) and not isinstance(value, bool)
        ok = is_int or (spec.kind == "number" and isinstance(value, float) and value == value)
        ok = ok and (spec.lo is None or value >= spec.lo) and (spec.hi is None or value <= spec.hi)
    elif spec.kind == "str":
        ok = isinstance(value, str) and len(value) <= 10_000
    elif spec.kind == "range":
        ok = isinstance(value, dict)  # its contents are checked by sim.scenario.ranges
    elif spec.kind == "scalar":
        ok = isinstance(value, (str, int, float, bool))
    elif spec.kind == "path":
        ok = isinstance(value, str) and Path(value).is_file()
        if isinstance(value, str) and not ok:
            raise sc.error(dotted, f"an existing file (not found: {value})")
    elif spec.kind == "gis_path":
        ok = isinstance(value, str) and Path(value).exists()
        if isinstance(value, str) and not ok:
            raise sc.error(dotted, f"an existing GIS file or folder (not found: {value})")
    elif spec.kind == "enum":
        ok = isinstance(value, str) and value in spec.choices
    elif isinstance(value, list) and len(value) > MAX_LIST:
        raise sc.error(dotted, f"a list of at most {MAX_LIST:,} entries; got {len(value):,}")
    elif spec.kind == "list_enum":
        ok = isinstance(value, list) and all(isinstance(v, str) and v in spec.choices for v in value)
    elif spec.kind == "list_str":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif spec.kind == "calendar_specs":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if ok:
            for v in value:
                try:
                    parse_spec(v)
                except ValueError:
                    raise sc.error(dotted, f"a list of strings like {SPEC_FORMAT}; got {v!r}") from None
    if not ok:
        raise sc.error(dotted, spec.expected() + f"; got {value!r}"[:200])


def _check_calendar_names(sc: Scenario) -> None:
    """Every 'hours' list must name calendars defined under [calendars]."""
    known = set(sc["calendars"])
    named = {"residents.work_hours": sc["residents"]["work_hours"]}
    for kind, table in sc["points"].items():
        if "hours" in table:
            named[f"points.{kind}.hours"] = table["hours"]
    for key, names in named.items():
        if not names:
            raise sc.error(key, "at least one calendar name")
        for name in names:
            if name not in known:
                raise sc.error(key, "names of calendars defined under [calendars]: " + ", ".join(sorted(known)))
            if key.startswith("points.") and not any(parse_spec(spec) for spec in sc["calendars"][name]):
                raise sc.error(f"calendars.{name}", f"at least one opening like {SPEC_FORMAT} ({key} names it)")
