"""A report's figure made a trend row (`_row`: its citation, period and basis, checked by
`verify_answer`), and the rows compared: a year whose reports give different figures (`_differ`) and a row
that measures something else than the one before (`_flag`, `figures.difference`).

Split out of `reportqa.trend`, which builds the rows report by report (`trend.trend`) and re-exports these
names.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from reportqa.answer.verify import citation_span, verify_answer
from reportqa.figures import Reading, basis_of, difference, head_of, period_of
from reportqa.trend_render import _what, row_line
from reportqa.types import Report, TrendRow

if TYPE_CHECKING:
    from reportqa.answer.evidence import Candidate
    from reportqa.trend_figures import Choice

log = logging.getLogger("reportqa.trend")  # the trend's logger, as when it was one module


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
    one line naming every report's figure (`TrendRow.differs`; the list alone: `TrendRow.differs_figures`):
    both are shown, neither is picked. Reports that agree, or that count something else, are left as they are
    (the latter flagged as not comparable by `_flag`)."""
    by_year: dict[str, list[TrendRow]] = {}
    for r in rows:
        if r.figure is not None and r.value is not None:
            by_year.setdefault(r.year, []).append(r)
    marked: dict[int, str] = {}  # id of a row -> its list of every report's figure
    for group in by_year.values():
        for a in group:
            same = [b for b in group if b is not a and not difference(_reading(a), _reading(b))]
            if any(b.value != a.value for b in same):
                ids = {id(a), *(id(b) for b in same)}
                listed = "; ".join(f"{_what(x)} in {x.title}" for x in group if id(x) in ids)
                marked[id(a)] = listed
    return [r.model_copy(update={"differs": f"the reports differ: {marked[id(r)]}",
                                 "differs_figures": marked[id(r)]}) if id(r) in marked else r for r in rows]


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
