"""Write sim/scenario/config.py: a typed, frozen view of every table of the scenario schema
(sim.scenario.files.SCHEMA), so code can read `config.staff.specialist.count` and mypy checks
the key. Run after changing the schema: `python tools/config_views.py` (tests/test_config.py
fails while the file is out of date).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.scenario.files import OPTIONAL_TABLES, SCHEMA, MapOf, Spec, TableList  # noqa: E402

OUT = ROOT / "sim" / "scenario" / "config.py"
LEAF = {"bool": "bool", "int": "int", "number": "float", "str": "str", "scalar": "bool | int | float | str",
        "path": "str", "gis_path": "str", "enum": "str", "list_enum": "tuple[str, ...]", "list_str": "tuple[str, ...]",
        "calendar_specs": "tuple[str, ...]", "range": "Any"}
HEADER = '''"""Typed, frozen views of a scenario's values, one class per table of the schema.

Generated from sim.scenario.files.SCHEMA by tools/config_views.py: do not edit by hand.
`config(scenario)` gives the whole scenario; a table of free keys (MapOf) or a list of tables
stays a read-only mapping or tuple of mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
'''


def class_name(path: tuple[str, ...]) -> str:
    return "".join(part.title().replace("_", "") for part in path) + "Config"


def annotation(spec, path: tuple[str, ...], classes: list[str]) -> str:
    if isinstance(spec, dict):
        emit(spec, path, classes)
        return class_name(path)
    if isinstance(spec, MapOf):
        return "Mapping[str, Any]"
    if isinstance(spec, TableList):
        return "tuple[Mapping[str, Any], ...]"
    assert isinstance(spec, Spec), path
    return LEAF[spec.kind]


def optional(spec, path: tuple[str, ...]) -> bool:
    return bool(getattr(spec, "optional", False)) or (len(path) == 1 and path[0] in OPTIONAL_TABLES)


def emit(table: dict, path: tuple[str, ...], classes: list[str]) -> None:
    fields, reads = [], []
    for key, spec in table.items():
        kind = annotation(spec, path + (key,), classes)
        maybe = optional(spec, path + (key,))
        fields.append(f"    {key}: {kind}{' | None' if maybe else ''}")
        if isinstance(spec, dict):
            read = f"{class_name(path + (key,))}.of(values[{key!r}])"
            read = f"None if {key!r} not in values else {read}" if maybe else read
        else:
            read = f"_frozen(values.get({key!r}))" if maybe else f"_frozen(values[{key!r}])"
        reads.append(f"            {key}={read},")
    doc = f"[{'.'.join(path)}]" if path else "A whole scenario"
    classes.append("\n".join([
        "@dataclass(frozen=True)",
        f"class {class_name(path) if path else 'ScenarioConfig'}:",
        f'    """{doc}."""',
        "",
        *fields,
        "",
        "    @classmethod",
        f"    def of(cls, values: Mapping[str, Any]) -> {class_name(path) if path else 'ScenarioConfig'}:",
        "        return cls(",
        *reads,
        "        )",
    ]))


def generate() -> str:
    classes: list[str] = []
    emit(SCHEMA, (), classes)
    footer = '''

def config(scenario: Any) -> ScenarioConfig:
    """The typed view of a loaded scenario (a sim.scenario.files.Scenario, or its values)."""
    return ScenarioConfig.of(getattr(scenario, "values", scenario))
'''
    return HEADER + "\n\n" + "\n\n\n".join(classes) + "\n" + footer


if __name__ == "__main__":
    OUT.write_text(generate(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
