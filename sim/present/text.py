"""Every word shown to readers, in English and Chinese, read from one keyed catalogue.

The strings live in `strings/en.toml` and `strings/zh.toml` (same keys, same `{placeholders}`;
tests/test_text.py checks). A key is the dotted path of a string in those files, e.g.
`report.title` or `metric.latency_days.mean.label`; `text(key, lang, **values)` fills in the
named placeholders. Adding text: add the key to both files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

LANGS = ("en", "zh")
STRINGS = Path(__file__).resolve().parent / "strings"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """{key: string} of one language."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    with open(STRINGS / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


def text(key: str, lang: str, /, **values: object) -> str:
    """The string `key` in `lang`, its `{placeholders}` filled from `values`."""
    try:
        template = catalogue(lang)[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in {STRINGS / (lang + '.toml')}") from None
    return template.format(**values) if values else template


def keys(prefix: str) -> list[str]:
    """The last parts of the keys under `prefix.`, in the catalogue's order (e.g. a glossary's terms)."""
    start = prefix + "."
    return [key[len(start):] for key in catalogue("en") if key.startswith(start)]


def columns(prefix: str, lang: str, /, **values: object) -> list[str]:
    """The strings under `prefix.`, in the catalogue's order, filled in: a table's header."""
    return [text(f"{prefix}.{key}", lang, **values) for key in keys(prefix)]


def section(prefix: str, lang: str) -> Callable[..., str]:
    """`text` with the key's first part and the language fixed: section("report", "zh")("title", names=...)."""

    def read(key: str, /, **values: object) -> str:
        return text(f"{prefix}.{key}", lang, **values)

    return read
