"""The sensitivity study written for people: the verdict table in the terminal, and report.md and
report.html (sim.present.report's renderer) that say, per reform and headline, how robust its
advantage is, which assumptions decide it and where in the assumption space it loses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from sim.present.labels import METRICS, value_text
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


def sentences(r) -> list[str]:
    t = section("sensitivity", r.lang)
    names = policy_names(r)
    boxes = {(b.reform, b.outcome): b for b in r.boxes}
    out = []
    for row in r.verdicts[r.verdicts["group"] == "all"].itertuples():
        losing = row.worlds - row.wins - row.ties
        box = boxes.get((row.reform, row.outcome))
        if box is not None and box.limits:
            rest = t("loses_when", cond=condition(box, r.lang), cov=box.coverage, n=box.losing,
                                          dens=box.density)
        elif losing == 0:
            rest = t("never")
        elif losing == row.worlds:
            rest = t("always")
        else:
            rest = t("no_box", n=losing)
        if row.ties:
            rest += t("ties", k=row.ties)
        out.append(t("sentence", reform=names[row.reform], base=names[r.study.baseline],
                                        phrase=_phrase(row.outcome, r.lang), share=row.share, low=row.low,
                                        high=row.high, rest=rest))
    return out


def verdict_table(r) -> tuple[list[str], list[list[str]]]:
    t = section("sensitivity", r.lang)
    names = policy_names(r)
    header = columns("sensitivity.verdict_cols", r.lang, base=names[r.study.baseline])
    facts = r.verdicts[r.verdicts["group"] == "facts"].set_index(["reform", "outcome"])
    rows = []
    for row in r.verdicts[r.verdicts["group"] == "all"].itertuples():
        m = METRICS.get(row.outcome)
        other = facts.loc[(row.reform, row.outcome)] if (row.reform, row.outcome) in facts.index else None
        rows.append([names[row.reform], outcome_label(row.outcome, r.lang), _share(t, row.share, row.low, row.high,
                                                                                   row.worlds),
                     _share(t, other["share"], other["low"], other["high"], other["worlds"]) if other is not None
                     else "—",
                     value_text(row.median_diff, m.unit, r.lang, diff=True, signed=True) if m
                     else f"{row.median_diff:+.3g}"])
    return header, rows


def _share(t: Callable[..., str], share, low, high, n) -> str:
    if not n or not math.isfinite(share):
        return "n/a"
    return t("share", share=share, low=low, high=high, n=int(n))


def terminal(r) -> str:
    """What `python -m sim sensitivity` prints: the verdict table and its sentences."""
    header, rows = verdict_table(r)
    return text_table(text("sensitivity.verdicts", r.lang), header, rows) + "\n\n" + "\n".join(f"- {s}" for s in sentences(r))


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
        judged = r.worlds[r.worlds["design"] == "verdicts"]["facts_ok"]
        out.append(("p", t("facts_on", ok=int(judged.fillna(False).astype(bool).sum()), n=len(judged))))
    else:
        out.append(("p", t("facts_off", why=r.facts)))
    out.append(("ul", sentences(r)))
    out.append(("h2", t("lose")))
    rows = [[names[b.reform], outcome_label(b.outcome, r.lang), condition(b, r.lang) or "—", f"{b.coverage:.0%}",
             f"{b.density:.0%}", str(b.losing)] for b in r.boxes]
    out.append(("table", columns("sensitivity.box_cols", r.lang), rows) if rows else ("p", t("no_boxes")))
    out += [("h2", t("morris")), ("table", columns("sensitivity.morris_cols", r.lang), _morris_rows(r))]
    if len(r.sobol):
        out += [("h2", t("sobol")), ("table", columns("sensitivity.sobol_cols", r.lang), [
            [names[x.reform], outcome_label(x.outcome, r.lang), f"`{x.assumption}`",
             f"{_num(x.S1)} ± {_num(x.S1_conf)}", f"{_num(x.ST)} ± {_num(x.ST_conf)}"] for x in r.sobol.itertuples()])]
    out += [("h2", t("figures"))] + [("figure", f) for f in figures]
    base = r.plan.scenarios[s.baseline]
    out += [("h2", t("space")), ("table", columns("sensitivity.space_cols", r.lang, base=names[s.baseline]),
                                 [[f"`{rg.key}`", _num(value_at(base.values, rg.key)), rg.describe()]
                                  for rg in r.plan.ranges])]
    out += [("h2", t("reproduce")), ("p", f"`{command}`"), ("p", t("files")),
            ("p", t("seeds", seed=s.seed, seeds=", ".join(map(str, r.plan.seeds))))]
    return out


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
