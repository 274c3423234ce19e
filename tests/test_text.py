"""The text catalogue: both languages say the same things with the same placeholders, and every key
the code reads is in it."""

import re
import string
from pathlib import Path

import pytest

from sim.present.labels import HEADLINE, clock
from sim.present.text import LANGS, catalogue, keys, section, text

ROOT = Path(__file__).resolve().parent.parent


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_both_languages_have_the_same_keys_and_placeholders():
    en, zh = catalogue("en"), catalogue("zh")
    assert sorted(en.keys() - zh.keys()) == [], "keys only in en.toml"
    assert sorted(zh.keys() - en.keys()) == [], "keys only in zh.toml"
    differ = {key: (placeholders(en[key]), placeholders(zh[key])) for key in en
              if placeholders(en[key]) != placeholders(zh[key])}
    assert differ == {}
    assert all(isinstance(value, str) for lang in LANGS for value in catalogue(lang).values())


def test_placeholders_are_filled_by_name():
    assert text("report.runs", "en", ok=3, total=5) == "3 of 5"
    assert text("report.runs", "zh", ok=3, total=5) == "3/5"
    assert section("report", "zh")("runs", ok=1, total=2) == text("report.runs", "zh", ok=1, total=2)
    assert text("sensitivity.is", "en", key="k", levels="a") == section("sensitivity", "en")("is", key="k", levels="a")
    assert clock(7 * 1440 + 600, "zh") == "第2周 · 周一 10:00"
    assert keys("words.groups") == ["elderly", "employed", "other"]


def test_a_missing_key_or_language_names_itself():
    with pytest.raises(KeyError, match="no text 'report.nothing' in .*en.toml"):
        text("report.nothing", "en")
    with pytest.raises(ValueError, match="language 'fr'"):
        text("report.runs", "fr")


def test_every_headline_metric_has_words():
    for metric in HEADLINE:
        for lang in LANGS:
            assert metric.label(lang) and metric.phrase(lang)


def test_every_literal_key_in_the_code_is_in_the_catalogue():
    """text("a.b", ...) and, where `t = section("a", ...)`, t("b", ...) name strings that exist
    (a key with parts below it, such as figures.map for figures.map.title, counts too)."""
    known = set(catalogue("en"))
    known |= {key.rsplit(".", n)[0] for key in list(known) for n in range(1, key.count(".") + 1)}
    missing = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        for chunk in re.split(r"(?m)^(?=def |class )", path.read_text(encoding="utf-8")):
            used = re.findall(r'\btext\("([\w.]+)"', chunk)
            for var, prefix in re.findall(r'\b(\w+)(?:, \w+)* = section\("(\w+)"', chunk):
                used += [f"{prefix}.{key}" for key in re.findall(rf'(?<![.\w]){var}\("(\w+)"', chunk)]
            missing += [f"{path.relative_to(ROOT)}: {key}" for key in used if key not in known]
    assert missing == []
