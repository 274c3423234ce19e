"""The comparison written for people: the terminal table, and report.md and a self-contained
report.html (figures embedded) for a planner who never opens Python.

Both documents are rendered from one list of blocks, so they always say the same thing.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable
from pathlib import Path

from sim.measure.facts import load_facts
from sim.present.labels import (HEADLINE, METRICS, decimals_for, fact_label, metric_label, pad, scenario_name, value_text,
                                width)
from sim.measure.metrics import BAND_LABELS
from sim.present.reading import caveats, companions, finding, findings, left_behind, survey_notes
from sim.present.text import columns, section, text
from sim.scenario.config import config


COLUMNS = ("scenario", "other_name", "file", "meaning", "runs")  # report.columns.* of the scenarios table
FACT_COLUMNS = ("fact", "model", "target", "tolerance", "result")  # report.fact_columns.*
# The figures a planner reads first; each has its companion close by (sim/present/reading.py).
HEADLINE_KEYS = ("resident_hours.mean", "in_person_radius_km.mean", "service_radius_km.mean", "share_without_trip",
                 "latency_counting_open_days.restricted_mean", "latency_counting_open_days.unfinished_share",
                 "per_1000.turned_away", "per_1000.abandoned", "per_1000.complaints", "per_1000.wrong_decisions",
                 "correction_days.mean", "staff.fte.total", "survey.satisfaction.true")


# ---- the two tables ------------------------------------------------------------------------------

def _rows(c, labels: list[str], metrics=HEADLINE):
    """(metric, summary rows for `labels`) for each headline metric the runs produced."""
    for m in metrics:
        cells = [c.cell(lb, m.key) for lb in labels]
        if any(cell is not None for cell in cells):
            yield m, cells


def means_table(c) -> tuple[str, list[str], list[list[str]]]:
    """Title, header and rows: each scenario's mean ± half-width of its 95% interval."""
    w = section("words", c.lang)
    rows = [[metric_label(m, c.lang)] + [_mean_text(cell, m.unit, c.lang) for cell in cells]
            for m, cells in _rows(c, c.labels)]
    return w("means_title", n=c.replicates), [w("metric")] + [c.short[lb] for lb in c.labels], rows


def headline_table(c) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the figures a planner reads first: each scenario's mean."""
    rows = [[metric_label(m, c.lang)] + [_mean_text(cell, m.unit, c.lang) for cell in cells]
            for m, cells in _rows(c, c.labels, [METRICS[k] for k in HEADLINE_KEYS])]
    return [text("words.metric", c.lang)] + [c.short[lb] for lb in c.labels], rows


def facts_table(c) -> tuple[list[str], list[list[str]]]:
    """The baseline's mean figure against each published fact, pass or fail."""
    t = section("report", c.lang)
    rows = []
    for f in load_facts():
        cell = c.cell(c.labels[0], f.metric)
        share = f.unit == "share"
        shown = (lambda v: value_text(v, "share", c.lang, with_unit=True)) if share else (lambda v: f"{v:.1f}")
        if cell is None or not math.isfinite(cell["mean"]):
            model, passed = text("words.na", c.lang), False
        else:
            model, passed = shown(cell["mean"]), f.low <= cell["mean"] <= f.high
        rows.append([fact_label(f, c.lang), model, shown(f.target), f"{shown(f.low)} – {shown(f.high)}",
                     t("pass" if passed else "fail")])
    return [t(f"fact_columns.{k}") for k in FACT_COLUMNS], rows


def diff_table(c) -> tuple[str, list[str], list[list[str]]]:
    """Title, header and rows: paired difference from the baseline with its interval; * when real."""
    w = section("words", c.lang)
    rows = [[metric_label(m, c.lang, diff=True)] + [_diff_text(cell, m.unit, c.lang) for cell in cells]
            for m, cells in _rows(c, c.labels[1:])]
    return w("diff_title", base=c.short[c.labels[0]]), [w("metric")] + [c.short[lb] for lb in c.labels[1:]], rows


def diff_marks(c) -> list[list[str]]:
    """For each cell of `diff_table`: 'better', 'worse' or '' (no real difference, or a negligible one)."""
    return [[""] + ["" if cell is None else m.verdict(cell["diff"], finding(cell)) for cell in cells]
            for m, cells in _rows(c, c.labels[1:])]


def _mean_text(cell, unit: str, lang: str) -> str:
    return text("words.na", lang) if cell is None else mean_text(cell["n"], cell["mean"], cell["half_width"], unit, lang)


def _diff_text(cell, unit: str, lang: str) -> str:
    return text("words.na", lang) if cell is None else \
        diff_text(cell["diff_n"], cell["diff"], cell["diff_half_width"], bool(cell["real"]), unit, lang,
                  negligible=bool(cell["negligible"]))


def mean_text(n: int, mean: float, half_width: float, unit: str, lang: str) -> str:
    """'1.23 ± 0.10': a mean and the half-width of its 95% interval (n/a without values)."""
    if n == 0:
        return text("words.na", lang)
    written = value_text(mean, unit, lang)
    return written if not math.isfinite(half_width) else f"{written} ± {value_text(half_width, unit, lang, diff=True)}"


def diff_text(n: int, diff: float, half_width: float, real: bool, unit: str, lang: str,
              negligible: bool = False) -> str:
    """'+0.40 [+0.10, +0.70] *': a difference, its 95% interval, and * when the interval excludes 0,
    or ≈ when it is real but negligible (sim.runs.negligible). Digits enough that no nonzero figure
    reads as 0."""
    if n == 0:
        return text("words.na", lang)
    ends = (diff - half_width, diff + half_width) if math.isfinite(half_width) else ()
    digits = decimals_for(unit, diff, *ends)
    written = value_text(diff, unit, lang, diff=True, signed=True, decimals=digits)
    if not ends:
        return written
    low, high = (value_text(v, unit, lang, diff=True, signed=True, decimals=digits) for v in ends)
    return f"{written} [{low}, {high}]" + (" ≈" if real and negligible else " *" if real else "")


def text_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A terminal table; Chinese characters count as two columns."""
    widths = [max(width(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(pad(cell, w, right=k > 0) for k, (cell, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "-" * width(line(header))
    return "\n".join([title, rule, line(header), rule, *map(line, rows), rule])


def terminal(c) -> str:
    """What `python -m sim compare` prints."""
    return "\n\n".join([text_table(*means_table(c)), text_table(*diff_table(c)) if len(c.labels) > 1 else ""]).strip()


# ---- the report ------------------------------------------------------------------------------------

def blocks(c, figures: list) -> list[tuple]:
    """The report as blocks: ("h1"|"h2"|"p", text), ("ul", items), ("table", header, rows[, marks]),
    ("figure", f). Marks ('better', 'worse', '') colour the cells of the differences table.

    A list item is a sentence, or (lead, sentences) for a nested list."""
    t = section("report", c.lang)
    run = config(c.scenarios[c.labels[0]]).run
    ok = c.runs[c.runs["status"] == "ok"].groupby("label").size()
    other = "en" if c.lang == "zh" else "zh"
    command = " ".join(c.command) if c.command else "sim.studies.compare.compare(...)"

    out: list[tuple] = [
        ("h1", t("title", names=t("sep").join(c.short[lb] for lb in c.labels))),
        ("p", t("generated", when=c.started.strftime("%Y-%m-%d %H:%M UTC"), command=command)),
        ("h2", t("compared")),
        ("table", columns("report.columns", c.lang), [
            [c.names[lb], scenario_name(c.scenarios[lb]["meta"], other), f"`{c.paths[lb]}`",
             c.scenarios[lb]["meta"].get("description_zh" if c.lang == "zh" else "description",
                                         c.scenarios[lb]["meta"]["description"]),
             t("runs", ok=int(ok.get(lb, 0)), total=c.replicates)] for lb in c.labels]),
        ("p", t("method", territory=_territory(c, t), r=c.replicates, warmup=run.warmup_weeks,
                                 weeks=run.weeks, drain=run.drain_weeks)),
    ]
    notes = caveats(c)
    if notes:
        out.append(("ul", notes))
    header, rows = headline_table(c)
    out += [("h2", t("headline")), ("table", header, rows)]
    flips = companions(c)
    if flips:
        out += [("p", f"**{t('companions')}**"), ("ul", flips)]
    out += [("h2", t("reading")), ("ul", findings(c) or ["—"])]
    out += [("h2", t("tables"))]
    title, header, rows = means_table(c)
    out += [("p", f"**{title}**"), ("table", header, rows)]
    if len(c.labels) > 1:
        title, header, rows = diff_table(c)
        out += [("p", f"**{title}** {t('marks')}"), ("table", header, rows, diff_marks(c))]
    out += [("h2", t("behind")), ("ul", left_behind(c, BAND_LABELS[-1]))]
    header, rows = facts_table(c)
    out += [("h2", t("facts")), ("p", t("facts_intro", base=c.names[c.labels[0]])), ("table", header, rows)]
    scale = c.scenarios[c.labels[0]]["territory"]["scale"]
    if scale < 1:
        out.append(("p", t("facts_scale", scale=scale)))
    survey = survey_notes(c)
    if survey:
        n = float(c.runs["survey.n"].mean())
        out += [("h2", t("survey")), ("p", t("survey_intro", n=n)), ("ul", survey)]
    out += [("h2", t("figures"))] + [("figure", f) for f in figures]
    out += [("h2", t("reproduce")), ("p", f"`{command}`"), ("p", t("files")),
            ("p", t("seeds", root=c.root_seed, seeds=", ".join(map(str, c.seeds))))]
    return out


def _territory(c, t: Callable[..., str]) -> str:
    """'Dingshan street, 220,000 residents', from the baseline's map (its first finished model)."""
    if not c.maps:
        return "—"
    m = c.maps.get(c.labels[0]) or next(iter(c.maps.values()))
    names = m.street_names[c.lang]
    streets = t("one_street", name=names[0]) if len(names) == 1 else \
        t("streets", k=len(names), names=t("sep").join(names))
    return t("territory", streets=streets, population=int(m.building_pop.sum()))


def markdown(items: list[tuple]) -> str:
    lines: list[str] = []
    for kind, *rest in items:
        if kind == "h1":
            lines += [f"# {rest[0]}", ""]
        elif kind == "h2":
            lines += [f"## {rest[0]}", ""]
        elif kind == "p":
            lines += [rest[0], ""]
        elif kind == "ul":
            for item in rest[0]:
                lead, sub = item if isinstance(item, tuple) else (item, [])
                lines += [f"- {lead}"] + [f"  - {s}" for s in sub]
            lines.append("")
        elif kind == "table":
            header, rows, marks = rest if len(rest) == 3 else (*rest, None)
            numeric = _numeric_columns(rows)
            lines += ["| " + " | ".join(header) + " |", "|" + "|".join("--:" if n else ":--" for n in numeric) + "|"]
            for k, row in enumerate(rows):
                cells = [f"**{cell}**" if marks and marks[k][j] else cell.replace("|", "\\|")
                         for j, cell in enumerate(row)]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        elif kind == "figure":
            f = rest[0]
            lines += [f"![{f.title}](figures/{f.name}.png)", "",
                      f"*{f.caption}* ([SVG](figures/{f.name}.svg))", ""]
    return "\n".join(lines)


def _numeric_columns(rows: list[list[str]]) -> list[bool]:
    """Columns whose every cell is a figure are right-aligned."""
    return [k > 0 and all(_numeric(row[k]) for row in rows) for k in range(len(rows[0]))] if rows else []


def _inline(text: str) -> str:
    """Escape, then the two bits of Markdown the blocks use: `code` and **bold**."""
    out = html.escape(text)
    parts = out.split("`")
    out = "".join(f"<code>{p}</code>" if k % 2 else p for k, p in enumerate(parts))
    parts = out.split("**")
    return "".join(f"<strong>{p}</strong>" if k % 2 else p for k, p in enumerate(parts))


CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui,
       -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #f4f6f8; } td.better { background: #e3f4e1; font-weight: 600; }
td.worse { background: #fbe3e1; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; } code { background: #f4f4f4; padding: 0 0.25em; }
li { margin: 0.3em 0; }
"""


def html_page(items: list[tuple], figure_folder: Path, lang: str) -> str:
    body: list[str] = []
    title = next((rest[0] for kind, *rest in items if kind == "h1"), "")
    for kind, *rest in items:
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{_inline(rest[0])}</{kind}>")
        elif kind == "ul":
            body.append(_html_list(rest[0]))
        elif kind == "table":
            header, rows, marks = rest if len(rest) == 3 else (*rest, [[""] * len(r) for r in rest[1]])
            numeric = _numeric_columns(rows)
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            cells = "".join("<tr>" + "".join(
                f'<td class="{"num " if n else ""}{mark}">{_inline(cell)}</td>'
                for n, cell, mark in zip(numeric, row, marks[k])) + "</tr>" for k, row in enumerate(rows))
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
        elif kind == "figure":
            f = rest[0]
            data = base64.b64encode((figure_folder / f"{f.name}.png").read_bytes()).decode("ascii")
            body.append(f'<figure><img alt="{html.escape(f.title)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>{_inline(f.caption)}</figcaption></figure>')
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _html_list(items: list) -> str:
    out = []
    for item in items:
        lead, sub = item if isinstance(item, tuple) else (item, [])
        out.append(f"<li>{_inline(lead)}" + (_html_list(sub) if sub else "") + "</li>")
    return "<ul>" + "".join(out) + "</ul>"


def _numeric(cell: str) -> bool:
    return cell[:1].isdigit() or cell[:1] in ("+", "−") or cell in ("n/a", "无")


def write_report(folder: Path, c, figures: list, figure_folder: Path) -> None:
    write_documents(folder, blocks(c, figures), figure_folder, c.lang)


def write_documents(folder: Path, items: list[tuple], figure_folder: Path, lang: str) -> None:
    """report.md and report.html from the same blocks."""
    (folder / "report.md").write_text(markdown(items), encoding="utf-8")
    (folder / "report.html").write_text(html_page(items, figure_folder, lang), encoding="utf-8")
