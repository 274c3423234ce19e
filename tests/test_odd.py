"""docs/ODD.md stays in step with the code.

Every scenario key of `sim.scenario.files.SCHEMA` has a row in the assumptions table (and no row names a
key the schema no longer has); every catalogue column is described; every random stream and every
latency component is named. Names are looked for in backticks, so a common word ("service",
"online") does not count by accident.
"""

import re
from pathlib import Path

import pytest

from sim.world.catalogue import COLUMNS
from sim.measure.metrics import COMPONENTS
from sim.scenario.files import SCHEMA, MapOf, Spec, TableList
from sim.engine.streams import NAMES

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
ASSUMPTIONS = "Assumptions table"
CATALOGUE = "Catalogue columns"
VALIDATION = "Validation"
VALIDITY_TESTS = ("test_model.py", "test_policies.py", "test_validity.py", "test_properties.py", "test_bad_input.py",
                  "test_odd.py")
ODD_SECTIONS = ("Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
                "Design concepts", "Initialization", "Input data", "Submodels")
DESIGN_CONCEPTS = ("Basic principles", "Emergence", "Adaptation", "Objectives", "Learning", "Prediction", "Sensing",
                   "Interaction", "Stochasticity", "Collectives", "Observation")


def scenario_keys(schema: dict = SCHEMA, prefix: str = "") -> list[str]:
    """Leaf keys of the schema in dotted form: a table recurses; a value (`Spec`), a table of free
    keys (`MapOf`) and an array of tables (`TableList`) are leaves under their own key."""
    keys = []
    for key, sub in schema.items():
        dotted = prefix + key
        if isinstance(sub, dict):
            keys += scenario_keys(sub, dotted + ".")
        elif isinstance(sub, (Spec, MapOf, TableList)):
            keys.append(dotted)
        else:
            raise TypeError(f"{dotted}: unknown schema node {type(sub).__name__}")
    return keys


def section(text: str, title: str) -> str:
    """The text under the level-1 or level-2 heading containing `title`, up to the next such heading."""
    match = re.search(rf"^#{{1,2}} [^\n]*{re.escape(title)}[^\n]*$", text, re.M)
    if match is None:
        return ""
    end = re.search(r"^#{1,2} ", text[match.end():], re.M)
    return text[match.end(): match.end() + end.start()] if end else text[match.end():]


def row_names(text: str) -> list[str]:
    """First cells of table rows that are a name in backticks: | `name` | ... |"""
    return re.findall(r"^\|\s*`([^`|]+)`\s*\|", text, re.M)


def not_named(names, text: str) -> list[str]:
    return [name for name in names if f"`{name}`" not in text]


def problems(text: str) -> list[str]:
    """Everything that is out of step between the document and the code; empty when in step."""
    out = []
    keys = scenario_keys()
    rows = row_names(section(text, ASSUMPTIONS))
    out += [f"scenario key {k} has no row in the assumptions table" for k in keys if k not in rows]
    out += [f"assumptions table row {k} is not a scenario key" for k in rows if k not in keys]
    out += [f"assumptions table row {k} appears twice" for k in sorted({k for k in rows if rows.count(k) > 1})]
    out += [f"scenario key {k} is not named in backticks" for k in not_named(keys, text)]
    columns = row_names(section(text, CATALOGUE))
    out += [f"catalogue column {c} is not described" for c in COLUMNS if c not in columns]
    out += [f"catalogue table row {c} is not a catalogue column" for c in columns if c not in COLUMNS]
    out += [f"random stream {s} is not named" for s in not_named(NAMES, text)]
    out += [f"latency component {c} is not named" for c in not_named(COMPONENTS, text)]
    return out


@pytest.fixture(scope="module")
def odd() -> str:
    return ODD.read_text(encoding="utf-8")


def test_schema_walk_finds_the_leaves():
    keys = scenario_keys()
    assert len(keys) == len(set(keys))
    for key in ("extends", "run.seed", "territory.scale", "staff.specialist.count", "choice.constants", "authority",
                "calendars", "catalogue.items", "residents.digital_literacy", "territory.buildings",
                "staff.specialist.rota", "survey.satisfaction", "queue_reduction.forward_share"):
        assert key in keys
    assert not any(k.startswith(("authority.", "calendars.", "choice.constants.")) for k in keys)


def test_document_is_in_step_with_the_code(odd):
    found = problems(odd)
    assert not found, "docs/ODD.md is out of step with the code:\n" + "\n".join(found)


def test_every_scenario_key_has_one_row_in_the_assumptions_table(odd):
    rows = row_names(section(odd, ASSUMPTIONS))
    assert sorted(rows) == sorted(scenario_keys())


def test_every_catalogue_column_is_described(odd):
    assert sorted(row_names(section(odd, CATALOGUE))) == sorted(COLUMNS)


def test_every_random_stream_and_latency_component_is_named(odd):
    assert not_named(NAMES, odd) == []
    assert not_named(COMPONENTS, odd) == []


def test_odd_sections_and_design_concepts_are_present(odd):
    for title in ODD_SECTIONS:
        assert section(odd, title) or re.search(rf"^#+ [^\n]*{re.escape(title)}", odd, re.M), title
    concepts = section(odd, "4. Design concepts")
    for concept in DESIGN_CONCEPTS:
        assert re.search(rf"\*\*4\.\d+ {concept}\.\*\*", concepts), concept


def test_validation_section_points_to_the_command_and_the_tests(odd):
    text = section(odd, VALIDATION)
    assert "docs/validity.md" in text and "python -m sim validity" in text
    assert "scenarios/queueing/mmc.toml" in text
    for name in VALIDITY_TESTS:
        if (Path(__file__).parent / name).is_file():
            assert f"tests/{name}" in text, f"{name} is not listed under Validation"


@pytest.mark.parametrize("name", ["staff.specialist.count", "choice.constants", "territory.buildings", "extends"])
def test_a_missing_scenario_key_is_noticed(odd, name):
    without = re.sub(rf"^\| `{re.escape(name)}` \|.*\n", "", odd, flags=re.M)
    assert without != odd
    assert f"scenario key {name} has no row in the assumptions table" in problems(without)


def test_a_stale_row_a_missing_column_and_a_missing_stream_are_noticed(odd):
    stale = odd.replace("| `run.seed` |", "| `run.seed` | 1 | x | y |\n| `run.seed_old` |", 1)
    assert "assumptions table row run.seed_old is not a scenario key" in problems(stale)
    no_column = re.sub(r"^\| `p_incomplete` \|.*\n", "", odd, flags=re.M)
    assert "catalogue column p_incomplete is not described" in problems(no_column)
    no_stream = odd.replace("`referral`", "referral")
    assert "random stream referral is not named" in problems(no_stream)
