"""Figures across the years: one measure traced through every annual report, with changed definitions flagged.

For each annual report: the passages that best match the measure within that report (`retriever.search`
with the report's year), every sentence of them scored by the answerer's evidence scorer, and the best
figure among the best sentences (and the list items a sentence introduces with a colon), ranked by

    scorer logit + phrase_weight * (share of the measure's words in what the figure counts) - change_penalty

(the weights and the threshold are data: lexicon/measures.toml). A report whose best figure scores below
the threshold gives "no figure in this report": a row with figure None, never filled in. Each figure comes
with its unit, what it counts and the period it covers as the report writes them, and a citation made by
`citation_span` and checked by `verify_answer`. A row that measures something else than the previous row
with a figure (another counted noun, a plan instead of an actual, another kind of period) is flagged with a
one-line reason (`figures.difference`).

`trend_answer` is how `Assistant.ask` answers a trend question ("how has ... changed", "since 2015").

The pieces live beside it, and are re-exported here: where a report gives a figure and how a candidate
ranks (`trend_figures`), a figure made a row and the rows compared (`trend_rows`), the trend as text and
JSON (`trend_render`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reportqa.answer.features import named_things, names_found
from reportqa.errors import InputError
from reportqa.figures import (
    lexicon,
    measure_kind,
    measure_words,
    phrase_match,
    trend_question,
)
from reportqa.kinds import is_annual
from reportqa.trend_figures import Choice, Site, _figures, _name_context, _sites, rank
from reportqa.trend_render import (
    citations,
    differ_lines,
    flag_lines,
    render_trend,
    row_line,
    table_lines,
    trend_json,
    trend_text,
)
from reportqa.trend_rows import _differ, _flag, _row
from reportqa.types import Answer, Filters, Hit, Report, Trend, TrendRow

if TYPE_CHECKING:
    from reportqa.answer.evidence import Candidate
    from reportqa.pipeline.engine import Engine as Assistant  # the seam: trend never imports the service

__all__ = [
    "Choice",
    "Site",
    "Trend",
    "TrendRow",
    "annual_reports",
    "best_figure",
    "citations",
    "differ_lines",
    "flag_lines",
    "options",
    "rank",
    "render_trend",
    "row_line",
    "table_lines",
    "trend",
    "trend_answer",
    "trend_json",
    "trend_text",
]

MIN_ROWS_FOR_ANSWER = (
    1  # a trend question is answered as a trend when at least this many reports give a figure
)


def annual_reports(reports: Sequence[Report], years: Sequence[str] | None = None) -> list[Report]:
    """The annual reports (not plan pages), oldest first; only `years` when given."""
    out = sorted((r for r in reports if is_annual(r.kind)), key=lambda r: r.year)
    return [r for r in out if r.year in years] if years else out


def options(
    assistant: Assistant, measure: str, year: str, report_id: str | None = None
) -> tuple[list[Choice], Candidate | None]:
    """Every figure of the best sentences of the report of `year` (of the report `report_id`, when the year
    has several) for the measure, each with the parts of its rank (the evidence score, the phrase match,
    whether it is a change), and the best sentence whatever it holds."""
    lex = lexicon()
    hits = assistant.retriever.search(measure, Filters(years=(year,), report_id=report_id), lex.k)
    ev = assistant.extractive.evidence(measure, hits, (year,))
    if not ev.candidates:
        return [], None
    words = measure_words(measure, assistant.extractive.stats.idf)
    names = specific_names(assistant, measure)
    kind = measure_kind(measure)
    out: list[Choice] = []
    for n, c in enumerate(ev.candidates[: lex.candidates]):
        for site in _sites(c, n, assistant.extractive.following(c.passage)):
            if names and names_found(names, _name_context(site)) < 1.0:
                continue  # a figure about something else near the named thing ("£5m ... Operation Yamata")
            figures, in_row = _figures(site)
            for f in figures:
                if kind is not None and f.kind != kind:
                    continue  # a count is never a budget: the measure says which kind it is
                match = phrase_match(words, f)
                if in_row and match <= 0:
                    continue  # a table row's figure counts what its headers name: here, something else
                out.append(Choice(site, f, 0.0, match, f.change and f.kind != "percent"))
    return out, ev.candidates[0]


def best_figure(
    assistant: Assistant, measure: str, year: str, report_id: str | None = None
) -> tuple[Choice | None, Candidate | None]:
    """The best figure for the measure in the report of `year` (or the report `report_id` of that year;
    whatever its rank: `trend` applies the threshold), and the best sentence whatever it holds."""
    lex = lexicon()
    found, top = options(assistant, measure, year, report_id)
    best: Choice | None = None
    for c in found:  # the first of equals: the better-ranked sentence, the earlier figure
        r = rank(c, lex.phrase_weight, lex.change_penalty)
        if best is None or r > best.rank + 1e-9:
            best = replace(c, rank=r)
    return best, top


def specific_names(assistant: Assistant, measure: str) -> list[str]:
    """The names in a measure that are specific (not the Met or MOPAC, which every report names): a figure
    must come from where the report names them ("Project ADDER", "ICVs", "Volunteer Police Cadets")."""
    # an acronym the measure starts with is a name ("CATCH hate crime partnership"); a capital letter is not
    # ("Body-worn")
    text = "the " + measure if re.match(r"[A-Z]{2,}\b", measure) else measure
    return [n for n in named_things(text) if assistant.specificity(n) > assistant.generic_name_idf]


def trend(assistant: Assistant, measure: str, years: Sequence[str] | None = None) -> Trend:
    """`measure` traced through every annual report (or those of `years`), oldest first."""
    lex = lexicon()
    if years and not annual_reports(assistant.reports, years):
        covered = ", ".join(r.year for r in annual_reports(assistant.reports))
        raise InputError(f"no annual report for {', '.join(years)}", f"the annual reports cover {covered}")
    rows: list[TrendRow] = []
    marker = 1
    reports = annual_reports(assistant.reports, years)
    for report in reports:
        # a year with several reports: each is read on its own, so each gives its own figure (or none)
        shared = sum(r.year == report.year for r in reports) > 1
        choice, top = best_figure(assistant, measure, report.year, report.id if shared else None)
        if choice is not None and choice.rank < lex.min_score:
            choice = None
        row = _row(report, choice, top, marker)
        if row.citation is not None or row.closest is not None:
            marker += 1
        rows.append(row)
    return Trend(measure=measure, rows=tuple(_differ(_flag(rows))), threshold=lex.min_score)


def trend_answer(
    assistant: Assistant,
    question: str,
    standalone: str,
    year: str | None = None,
    report_id: str | None = None,
) -> Answer | None:
    """A trend question answered with its trend; None when `standalone` is not a trend question, a year or
    report was chosen, or fewer than MIN_ROWS_FOR_ANSWER reports give a figure (the ordinary answer is
    better)."""
    if year or report_id:
        return None
    annual = annual_reports(assistant.reports)
    tq = trend_question(standalone, [r.year for r in annual])
    if tq is None:
        return None
    t = trend(assistant, tq.measure, tq.years or None)
    if len(t.with_figures) < MIN_ROWS_FOR_ANSWER:
        return None
    if tq.named and any(r.figure is None for r in t.rows):
        # "compare 2022-23 and 2023-24" where one of them gives no figure: the ordinary answer says more
        return None
    hits = _hits(assistant, t)
    return Answer(
        status="answered",
        text=trend_text(t),
        citations=citations(t),
        question=question,
        rewritten_question=standalone,
        filters=Filters(years=tuple(r.year for r in t.rows)),
        hits=hits,
        notes=(f"answered as a trend of {t.measure!r} across {len(t.rows)} annual reports",),
        trend=t,
    )


def _hits(assistant: Assistant, t: Trend) -> tuple[Hit, ...]:
    """The passages the trend read: those its figures come from (best first), then the closest passages of
    the reports that give none, as ranked hits."""
    out: list[Hit] = []
    figures = sorted(t.with_figures, key=lambda r: -(r.score or 0.0))
    for r in [*figures, *(r for r in t.rows if r.figure is None)]:
        c = r.citation or r.closest
        if c is None:
            continue
        p = assistant.index.by_id.get(c.passage_id)
        if p is not None and all(h.passage.id != p.id for h in out):
            out.append(
                Hit(passage=p, rank=len(out) + 1, score=r.score or 0.0, scores={"trend": r.score or 0.0})
            )
    return tuple(out)
