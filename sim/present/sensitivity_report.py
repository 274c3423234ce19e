"""The sensitivity study written for people: the verdict table in the terminal, and report.md and
report.html (sim.present.report's renderer) that say, per reform and headline, how robust its
advantage is, which assumptions decide it and where in the assumption space it loses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from sim.measure.facts import load_facts
from sim.present.labels import METRICS, fact_label, value_text
from sim.present.text import columns, section, text
from sim.present.report import text_table, write_documents
from sim.present.sensitivity_figures import outcome_label, outcome_scale, policy_names
from sim.scenario.ranges import value_at

TOP = 5


def _num(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def condition(box, lang: str) -> str:
    t = section("sensitivity", lang)
    parts = []
    for key, limit in box.limits.items():
        k = f"`{key}`"
        if limit and isinstance(limit[0], str):
            parts.append(t("is", key=k, levels=t("or").join(limit)))
        elif limit[0] is not None and limit[1] is not None:
            parts.append(t("between", key=k, low=_num(limit[0]), high=_num(limit[1])))
        elif limit[0] is not None:
            parts.append(t("above", key=k, low=_num(limit[0])))
        else:
            parts.append(t("below", key=k, high=_num(limit[1])))
    return t("and").join(parts)


def _phrase(key: str, lang: str) -> str:
    m = METRICS.get(key)
    return m.phrase(lang) if m else f"`{key}`"


def percent(share: float, wins: int, n: int) -> str:
    """A share of worlds in whole percent that never reads 0% or 100% unless it is exactly that."""
    if wins in (0, n):
        return f"{wins / n:.0%}"
    return ">99%" if share >= 0.995 else "<1%" if share <= 0.005 else f"{share:.0%}"


def margin_text(outcome: str, margin: float, lang: str) -> str:
    """The tie margin in the outcome's unit ('± 0.02 days'), '0' for exact ties."""
    if not margin:
        return "0"
    m = METRICS.get(outcome)
    if m is None:
        return f"± {_num(margin)}"
    digits = max(0, -math.floor(math.log10(margin * (100 if m.unit == "share" else 1))))  # 0.005 stays 0.005
    return "± " + value_text(margin, m.unit, lang, diff=True, with_unit=True, decimals=digits)


def sentence(lang: str, reform: str, base: str, phrase: str, row, box, margin: str = "0") -> str:
    """The verdict of one reform on one outcome in words, right at 0% and 100%, without a box, and
    with ties that are exact (`margin` "0") or within the outcome's negligible margin."""
    t = section("sensitivity", lang)
    n, wins, ties = int(row.worlds), int(row.wins), int(row.ties)
    losing = n - wins - ties
    exact = margin == "0"
    names = {"reform": reform, "base": base, "phrase": phrase, "n": n, "low": f"{row.low:.0%}",
             "high": f"{row.high:.0%}", "margin": margin}
    if wins == n:
        return t("every", **names)
    if ties == n:
        return t("all_tie" if exact else "all_negligible", **names)
    if losing == n:
        return t("never_wins", **names)
    if box is not None and box.limits:
        rest = t("loses_when", cond=condition(box, lang), cov=box.coverage, n=box.losing, dens=box.density)
    elif losing == 0:
        rest = t("never" if exact else "never_negligible", margin=margin)
    elif losing == 1:
        rest = t("loses_once")
    else:
        rest = t("no_box", n=losing)
    if ties:
        rest += t("ties" if exact else "ties_negligible", k=ties, margin=margin)
    if wins == 0:
        return t("no_wins", rest=rest, **names)
    return t("sentence", share=percent(row.share, wins, n), rest=rest, **names)


def sentences(r) -> list[str]:
    names = policy_names(r)
    boxes = {(b.reform, b.outcome): b for b in r.boxes}
    return [sentence(r.lang, names[row.reform], names[r.study.baseline], _phrase(row.outcome, r.lang), row,
                     boxes.get((row.reform, row.outcome)), margin_text(row.outcome, row.margin, r.lang))
            for row in r.verdicts[r.verdicts["group"] == "all"].itertuples()]


def verdict_table(r) -> tuple[list[str], list[list[str]]]:
    t = section("sensitivity", r.lang)
    names = policy_names(r)
    header = columns("sensitivity.verdict_cols", r.lang, base=names[r.study.baseline])
    facts = r.verdicts[r.verdicts["group"] == "facts"].set_index(["reform", "outcome"])
    rows = []
    for row in r.verdicts[r.verdicts["group"] == "all"].itertuples():
        m = METRICS.get(row.outcome)
        other = facts.loc[(row.reform, row.outcome)] if (row.reform, row.outcome) in facts.index else None
        rows.append([names[row.reform], outcome_label(row.outcome, r.lang), _share(t, row),
                     _share(t, other) if other is not None else "—", margin_text(row.outcome, row.margin, r.lang),
                     value_text(row.median_diff, m.unit, r.lang, diff=True, signed=True) if m
                     else f"{row.median_diff:+.3g}"])
    return header, rows


def _share(t: Callable[..., str], row) -> str:
    """'82% (76%–87%) · ≈ 5% · worse 13% (n=200)': wins with their interval, ties, losses."""
    n = int(row.worlds)
    if not n or not math.isfinite(row.share):
        return "n/a"
    return t("share", share=percent(row.share, int(row.wins), n), low=f"{row.low:.0%}", high=f"{row.high:.0%}",
             ties=percent(row.ties / n, int(row.ties), n), losses=percent(row.losses / n, int(row.losses), n), n=n)


def fact_rows(worlds, lang: str) -> list[list[str]]:
    """Per published fact: its tolerance, the baseline's figure over the worlds (median, lowest to
    highest) and in how many worlds it lies within the tolerance, so a reader sees which fact rejects them."""
    rows = []
    for f in load_facts():
        values = worlds[f"fact.{f.name}"].dropna().astype(float)
        passed = int(worlds[f"fact.{f.name}.ok"].fillna(False).astype(bool).sum())

        def shown(v: float) -> str:
            return value_text(v, "share", lang, with_unit=True) if f.unit == "share" else f"{v:.1f}"

        spread = f"{shown(values.median())} ({shown(values.min())} – {shown(values.max())})" if len(values) else "n/a"
        rows.append([fact_label(f, lang), f"{shown(f.low)} – {shown(f.high)}", spread, f"{passed} / {len(worlds)}"])
    return rows


def terminal(r) -> str:
    """What `python -m sim sensitivity` prints: the verdict table and its sentences."""
    header, rows = verdict_table(r)
    out = text_table(text("sensitivity.verdicts", r.lang), header, rows)
    if r.facts is None:
        judged = r.worlds[r.worlds["design"] == "verdicts"]
        out += "\n\n" + text_table(facts_title(judged, r.lang), columns("sensitivity.fact_cols", r.lang),
                                    fact_rows(judged, r.lang))
    return out + "\n\n" + "\n".join(f"- {s}" for s in sentences(r))


def facts_title(worlds, lang: str) -> str:
    ok = int(worlds["facts_ok"].fillna(False).astype(bool).sum())
    return " ".join([text("sensitivity.facts_on", lang, ok=ok, n=len(worlds))]
                    + ([] if ok else [text("sensitivity.facts_none", lang)]) + [text("sensitivity.by_fact", lang)])


def blocks(r, figures: list) -> list[tuple]:
    t = section("sensitivity", r.lang)
    s = r.study
    names = policy_names(r)
    command = " ".join(r.command) if r.command else "sim.studies.sensitivity.sensitivity(...)"
    ok = r.runs[r.runs["status"] == "ok"].groupby("policy").size()
    per_policy = len(r.runs) // max(1, len(names))
    out: list[tuple] = [
        ("h1", t("title", names=", ".join(names.values()))),
        ("p", t("generated", when=r.started.strftime("%Y-%m-%d %H:%M UTC"), command=command)),
        ("h2", t("studied")),
        ("table", columns("sensitivity.policies", r.lang), [[names[p], f"`{f}`", f"{int(ok.get(p, 0))} / {per_policy}"]
                                        for p, f in s.policies.items()]),
        ("p", t("method", r=s.replicates, k=len(r.plan.ranges),
                                 fixed=", ".join(f"`{k}` = {v}" for k, v in s.fixed.items()) or t("none"),
                                 m=r.plan.worlds("morris"), t=s.trajectories, levels=s.levels,
                                 s=r.plan.worlds("sobol"), v=r.plan.worlds("verdicts"))),
        ("h2", t("verdicts")), ("table", *verdict_table(r)), ("p", t("verdict_note")),
    ]
    if r.facts is None:
        judged = r.worlds[r.worlds["design"] == "verdicts"]
        out += [("p", facts_title(judged, r.lang)), ("table", columns("sensitivity.fact_cols", r.lang),
                                                    fact_rows(judged, r.lang))]
    else:
        out.append(("p", t("facts_off", why=r.facts)))
    out.append(("ul", sentences(r)))
    out.append(("h2", t("lose")))
    rows = [[names[b.reform], outcome_label(b.outcome, r.lang), condition(b, r.lang) or "—", f"{b.coverage:.0%}",
             f"{b.density:.0%}", str(b.losing)] for b in r.boxes]
    out.append(("table", columns("sensitivity.box_cols", r.lang), rows) if rows else ("p", t("no_boxes")))
    out += [("h2", t("morris")), ("table", columns("sensitivity.morris_cols", r.lang), _morris_rows(r))]
    if len(r.sobol):
        out += [("h2", t("sobol")), ("p", t("sobol_note", n=s.samples)),
                ("table", columns("sensitivity.sobol_cols", r.lang), [
                    [names[x.reform], outcome_label(x.outcome, r.lang), f"`{x.assumption}`",
                     sobol_text(x.S1, x.S1_conf, x.S1_resolved, r.lang),
                     sobol_text(x.ST, x.ST_conf, x.ST_resolved, r.lang)] for x in r.sobol.itertuples()])]
    out += [("h2", t("figures"))] + [("figure", f) for f in figures]
    base = r.plan.scenarios[s.baseline]
    out += [("h2", t("space")), ("table", columns("sensitivity.space_cols", r.lang, base=names[s.baseline]),
                                 [[f"`{rg.key}`", _num(value_at(base.values, rg.key)), rg.describe()]
                                  for rg in r.plan.ranges])]
    out += [("h2", t("reproduce")), ("p", f"`{command}`"), ("p", t("files")),
            ("p", t("seeds", seed=s.seed, seeds=", ".join(map(str, r.plan.seeds))))]
    return out


def sobol_text(index: float, half_width: float, resolved: bool, lang: str) -> str:
    """'0.42 ± 0.08', or 'not resolved (0.12 ± 0.30)' when the interval is wider than the index."""
    figure = f"{_num(index)} ± {_num(half_width)}"
    return figure if resolved else text("sensitivity.unresolved", lang, figure=figure)


def _morris_rows(r) -> list[list[str]]:
    names = policy_names(r)
    rows = []
    for (reform, outcome), part in r.morris.groupby(["reform", "outcome"], sort=False):
        top = part.nlargest(TOP, "mu_star")
        k = outcome_scale(outcome)  # in the outcome's own units (percentage points for a share)
        rows.append([names[reform], outcome_label(outcome, r.lang), "; ".join(
            f"`{x.assumption}` {_num(k * x.mu_star)} ± {_num(k * x.mu_star_conf)}, σ {_num(k * x.sigma)}"
            for x in top.itertuples()) or "n/a"])
    return rows


def write_report(folder: Path, r, figures: list, figure_folder: Path) -> None:
    write_documents(folder, blocks(r, figures), figure_folder, r.lang)
