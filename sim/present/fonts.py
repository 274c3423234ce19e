"""Fonts for figures: Chinese labels need a CJK font, taken from the `mplfonts` package (which
bundles Noto Sans CJK SC) rather than downloaded at run time or hoped for on the system."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from matplotlib import font_manager

CJK_FILE = "NotoSansCJKsc-Regular.otf"
LATIN_FALLBACK = "DejaVu Sans"  # matplotlib's own font, for any glyph the CJK font lacks


@cache
def cjk_family() -> str:
    """Register the packaged Noto Sans CJK SC with matplotlib and return its family name."""
    spec = importlib.util.find_spec("mplfonts")
    folders = spec.submodule_search_locations if spec else None
    path = Path(next(iter(folders))) / "fonts" / CJK_FILE if folders else None
    if path is None or not path.is_file():
        raise RuntimeError(f"the CJK font {CJK_FILE} is missing: install the 'mplfonts' package")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def rc(lang: str) -> dict:
    """matplotlib settings for figures in `lang` (the packaged CJK font has no bold weight)."""
    if lang != "zh":
        return {}
    return {"font.family": "sans-serif", "font.sans-serif": [cjk_family(), LATIN_FALLBACK],
            "axes.unicode_minus": False, "figure.titleweight": "normal"}
