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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from reportqa.answer.features import named_things, names_found
from reportqa.answer.verify import citation_span, verify_answer
from reportqa.errors import InputError
from reportqa.figures import (
    Figure,
    Reading,
    basis_of,
    difference,
    figures_in,
    head_of,
    lexicon,
    measure_kind,
    measure_words,
    period_of,
    phrase_match,
    row_figures,
    trend_question,
)
from reportqa.kinds import is_annual
from reportqa.layout import read_row
from reportqa.types import Answer, Citation, Filters, Hit, Passage, Report, Sentence, Trend, TrendRow

if TYPE_CHECKING:
    from reportqa.answer.evidence import Candidate
    from reportqa.pipeline.engine import Engine as Assistant  # the seam: trend never imports the service

__all__ = [
    "Choice",
    "Trend",
    "TrendRow",
    "annual_reports",
    "best_figure",
    "differ_lines",
    "options",
    "rank",
    "row_line",
    "table_lines",
    "trend",
    "trend_answer",
    "trend_text",
]

log = logging.getLogger(__name__)
MIN_ROWS_FOR_ANSWER = (
    1  # a trend question is answered as a trend when at least this many reports give a figure
)


def annual_reports(reports: Sequence[Report], years: Sequence[str] | None = None) -> list[Report]:
    """The annual reports (not plan pages), oldest first; only `years` when given."""
    out = sorted((r for r in reports if is_annual(r.kind)), key=lambda r: r.year)
    return [r for r in out if r.year in years] if years else out


_PRONOUN_START = re.compile(
    r"^(?:It|Its|This|These|They|Their|That|Those|The (?:service|scheme|programme|fund|unit))\b"
)


@dataclass(frozen=True)
class Site:
    """A sentence that may hold the year's figure, with the score of the evidence that led to it."""

    passage: Passage
    sentence: Sentence
    score: float
    lead: Sentence | None = None  # the sentence introducing the list the sentence is an item of
    order: int = 0  # the candidate's rank (ties go to the better-ranked one)


@dataclass(frozen=True)
class Choice:
    site: Site
    figure: Figure
    rank: float  # see `rank`
    match: float = 0.0  # the phrase match with the measure
    change: bool = False  # a count or a sum stated as a change


def _sites(c: Candidate, order: int, following: Passage | None) -> list[Site]:
    """The candidate's sentence; the next sentence of its paragraph when it goes on about the same subject
    with a pronoun ("It supported nearly 50,000 people"); and the items of a list the candidate (or the next
    sentence of its paragraph) introduces with a colon. Each with the candidate's score. A sentence flagged at
    ingest (`reportqa.hostile`) is never a site: it gives no year a figure."""
    p = c.passage
    sents = p.sentences
    i = c.position
    out = [Site(p, sents[i], c.score, None, order)]
    if (
        i + 1 < len(sents)
        and sents[i + 1].block == sents[i].block
        and _PRONOUN_START.match(sents[i + 1].text)
        and not sents[i + 1].flags
    ):
        out.append(Site(p, sents[i + 1], c.score, None, order))
    lead_i = i if sents[i].text.rstrip().endswith(":") else None
    if (
        lead_i is None
        and i + 1 < len(sents)
        and sents[i + 1].block == sents[i].block
        and sents[i + 1].text.rstrip().endswith(":")
    ):
        lead_i = i + 1
    if lead_i is None:
        return out
    lead = sents[lead_i]
    items = [(p, s) for s in sents[lead_i + 1 :] if s.block != lead.block]
    if not items and following is not None and following.section == p.section:
        items = [(following, s) for s in following.sentences]
    blocks: list[tuple[str, int]] = []
    for q, s in items:
        if (q.id, s.block) not in blocks:
            if len(blocks) == 8:
                break
            blocks.append((q.id, s.block))
        if not s.flags:
            out.append(Site(q, s, c.score, lead if q.id == p.id else None, order))
    return out


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


def _figures(site: Site) -> tuple[list[Figure], bool]:
    """The figures a site states, and whether it is a table row: a row's figures are read under its row
    and column headers (`figures.row_figures`), never under the words of its other cells."""
    p, s = site.passage, site.sentence
    row = read_row(s.text, p.text[s.start - p.start : s.end - p.start])
    if row is None:
        return figures_in(s.text), False
    return row_figures(s.text, row.cells, row.headers, row.spans), True


def rank(c: Choice, phrase_weight: float, change_penalty: float) -> float:
    """scorer logit + phrase_weight * phrase match - change_penalty (a count or sum stated as a change)."""
    return round(c.site.score + phrase_weight * c.match - change_penalty * c.change, 4)


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


def _name_context(site: Site) -> str:
    """Where a sentence's subject may be named: its section heading, the list's lead-in, and its paragraph
    up to and including it."""
    p, s = site.passage, site.sentence
    before = [x.text for x in p.sentences if x.block == s.block and x.start <= s.start]
    return " ".join([p.section, site.lead.text if site.lead is not None else "", *before])


def _row(report: Report, choice: Choice | None, top: Candidate | None, marker: int) -> TrendRow:
    base = TrendRow(year=report.year, report_id=report.id, title=report.title)
    if choice is None:
        closest = None
        if top is not None:
            closest = citation_span(marker, top.passage, top.sentence.start, top.sentence.end)
        return base.model_copy(update={"closest": closest})
    s, f = choice.site, choice.figure
    start = s.lead.start if s.lead is not None else s.sentence.start
    citation = citation_span(marker, s.passage, start, s.sentence.end)
    context = s.lead.text if s.lead is not None else ""
    period = period_of(s.sentence.text)
    if period.kind == "unstated" and context:
        period = period_of(context)
    basis = basis_of(s.sentence.text, f, context)
    row = base.model_copy(
        update={
            "figure": f.text,
            "qualifier": f.qualifier,
            "value": f.value,
            "unit": f.unit,
            "counts": f.counts,
            "period": period.text,
            "period_kind": period.kind,
            "basis": basis.name,
            "citation": citation,
            "score": choice.rank,
        }
    )
    check = verify_answer(row_line(row, figure_only=True), [citation])
    if (
        not check.ok
    ):  # the figure as shown must be in what it cites; if not, the report gives none we can show
        log.warning("trend: %s %s fails the citation contract: %s", report.year, f.text, check.reason())
        return base.model_copy(update={"closest": citation})
    return row


def _reading(row: TrendRow) -> Reading:
    kind = "money" if row.unit == "£" else "percent" if row.unit == "%" else "count"
    return Reading(kind, head_of(row.counts), row.counts, row.basis, row.period_kind)


def _differ(rows: list[TrendRow]) -> list[TrendRow]:
    """The rows of a year whose reports give different figures for the same measure and period (what the
    figures count, their basis and kind of period alike, `figures.difference`; the values not) marked with
    one line naming every report's figure: both are shown, neither is picked. Reports that agree, or that
    count something else, are left as they are (the latter flagged as not comparable by `_flag`)."""
    by_year: dict[str, list[TrendRow]] = {}
    for r in rows:
        if r.figure is not None and r.value is not None:
            by_year.setdefault(r.year, []).append(r)
    marked: dict[int, str] = {}
    for group in by_year.values():
        for a in group:
            same = [b for b in group if b is not a and not difference(_reading(a), _reading(b))]
            if any(b.value != a.value for b in same):
                ids = {id(a), *(id(b) for b in same)}
                listed = "; ".join(f"{_what(x)} in {x.title}" for x in group if id(x) in ids)
                marked[id(a)] = f"the reports differ: {listed}"
    return [r.model_copy(update={"differs": marked[id(r)]}) if id(r) in marked else r for r in rows]


def _flag(rows: list[TrendRow]) -> list[TrendRow]:
    """Each row with a figure compared with the previous row with a figure."""
    out: list[TrendRow] = []
    prev: TrendRow | None = None
    for r in rows:
        if r.figure is not None:
            if prev is not None:
                why = difference(_reading(prev), _reading(r))
                if why:
                    r = r.model_copy(update={"comparable": False, "reason": why})
            prev = r
        out.append(r)
    return out


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


# -- as text -------------------------------------------------------------------------------------------------

_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def _count(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else "many"


def _what(row: TrendRow) -> str:
    """'22,000 body-worn video cameras', 'over 7000 detainees', '63% (current confidence)'."""
    shown = f"{row.qualifier} {row.figure}".strip()
    if row.unit not in ("%", "£") and row.counts and row.unit == row.counts.split()[-1].lower():
        return f"{shown} {row.counts}"
    return f"{shown} ({row.counts})" if row.counts else shown


def row_line(row: TrendRow, figure_only: bool = False, named: bool = False) -> str:
    """One row of the table as a line of the answer, with its marker; `named`: the line names its report (the
    year has several)."""
    if row.figure is None:
        where = row.title if named else "this report"
        if row.closest is None:
            return f"- {row.year}: no figure in {where}."
        return f"- {row.year}: no figure in {where} (the closest passage: [{row.closest.marker}])."
    assert row.citation is not None
    if figure_only:
        return f"{_what(row)} [{row.citation.marker}]"
    basis = "" if row.basis == "stated" else f"; {row.basis.replace('_', ' ')}"
    source = f"; in {row.title}" if named else ""
    return f"- {row.year}: {_what(row)}; period: {row.period}{basis}{source} [{row.citation.marker}]"


def table_lines(t: Trend) -> list[str]:
    return [row_line(r, named=t.shared(r.year)) for r in t.rows]


def differ_lines(t: Trend) -> list[str]:
    """One line for each year whose reports give different figures for the measure: every report's figure,
    its report and its marker."""
    out = []
    for year in t.disputed:
        rows = [r for r in t.rows if r.year == year and r.differs and r.citation is not None]
        listed = "; ".join(f"{r.title} gives {_what(r)} [{r.citation.marker}]" for r in rows
                           if r.citation is not None)
        out.append(f"- {year}: {listed}.")
    return out


def flag_lines(t: Trend) -> list[str]:
    rows = list(t.rows)
    out = []
    for i, r in enumerate(rows):
        if r.comparable or r.citation is None:
            continue
        prev = next((p for p in reversed(rows[:i]) if p.citation is not None), None)
        marks = (
            f"[{prev.citation.marker}][{r.citation.marker}]"
            if prev and prev.citation
            else f"[{r.citation.marker}]"
        )
        since = f" with {prev.year}" if prev else ""
        if prev is not None and prev.year == r.year:
            since = f" with the other {prev.year} report ({prev.title})"
        which = f" ({r.title})" if t.shared(r.year) else ""
        out.append(f"- {r.year}{which} is not comparable{since}: {r.reason} {marks}")
    return out


def trend_text(t: Trend) -> str:
    """A short summary with [n] markers, the table as lines, and the flags."""
    shown = [r for r in t.rows if r.figure is not None and r.citation is not None]
    name = t.measure[:1].upper() + t.measure[1:]
    if shown:
        parts = [
            f"{r.qualifier + ' ' if r.qualifier else ''}{r.figure} in {r.year}"
            f"{' (' + r.title + ')' if r.differs else ''} [{r.citation.marker}]"
            for r in shown
            if r.citation is not None
        ]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
        lines = [f"{name}, report by report: {listed}."]
    else:
        lines = [f"{name}: no annual report gives a figure."]
    verb = "gives" if len(shown) == 1 else "give"
    lines.append(
        f"{_count(len(shown)).capitalize()} of the {_count(len(t.rows))} annual reports {verb} a figure:"
    )
    lines += table_lines(t)
    differ = differ_lines(t)
    if differ:
        lines.append("The reports differ for the same year, so both figures are shown:")
        lines += differ
    flags = flag_lines(t)
    if flags:
        lines.append("Definitions change between years, so these are not like-for-like:")
        lines += flags
    return "\n".join(lines)


def render_trend(t: Trend) -> str:
    """The trend as a terminal table, its flags and its sources."""
    head = ("year", "figure", "what it counts", "period", "basis")
    table = [head]
    for r in t.rows:
        year = f"{r.year} ({r.report_id})" if t.shared(r.year) else r.year
        if r.figure is None:
            table.append((year, "no figure in this report", "", "", ""))
        else:
            shown = f"{r.qualifier} {r.figure}".strip()
            table.append((year, shown, r.counts, r.period, r.basis.replace("_", " ")))
    widths = [min(34, max(len(row[i]) for row in table)) for i in range(len(head))]
    lines = [f"{t.measure}: {len(t.with_figures)} of {len(t.rows)} annual reports give a figure"]
    for row in table:
        lines.append("  ".join(cell[:34].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if t.disputed:
        lines.append("\nThe reports differ for the same year (both shown):")
        lines += [f"  {year}: {next(r.differs for r in t.rows if r.year == year and r.differs)}"
                  for year in t.disputed]
    flagged = [r for r in t.rows if not r.comparable]
    if flagged:
        lines.append("\nNot comparable with the year before:")
        lines += [f"  {r.year}: {r.reason}" for r in flagged]
    lines.append("\nSources:")
    for r in t.rows:
        c = r.citation or r.closest
        if c is not None:
            what = "" if r.citation is not None else " (no figure; the closest passage)"
            quote = " ".join(c.quote.split())
            quote = quote if len(quote) <= 160 else quote[:157] + "..."
            lines.append(f'  [{c.marker}] {c.title} ({c.year}), {c.section}{what}: "{quote}"')
    return "\n".join(lines)


def trend_json(t: Trend | None) -> dict[str, Any] | None:
    """The trend for the public API: every row with its figure (or null), what it counts, its period and
    basis, the marker of its citation in the answer, whether it is comparable with the row before, its
    report, and where another report of its year gives a different figure, the line that says so."""
    if t is None:
        return None
    rows = []
    for r in t.rows:
        rows.append(
            {
                "year": r.year,
                "figure": r.figure,
                "qualifier": r.qualifier,
                "value": r.value,
                "unit": r.unit,
                "counts": r.counts,
                "period": r.period,
                "period_kind": r.period_kind,
                "basis": r.basis,
                "marker": r.citation.marker if r.citation is not None else None,
                "comparable": r.comparable,
                "reason": r.reason,
                "report_id": r.report_id,
                "title": r.title,
                "differs": r.differs,
            }
        )
    return {"measure": t.measure, "rows": rows}


def citations(t: Trend) -> tuple[Citation, ...]:
    out = [r.citation or r.closest for r in t.rows]
    return tuple(c for c in out if c is not None)


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
