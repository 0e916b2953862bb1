"""Questions about the present ("how many officers now", "the latest figure"): the newest annual reports
searched too, and an answer that cites only older reports saying so."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reportqa.temporal import newest_year, report_years

if TYPE_CHECKING:
    from reportqa.pipeline.engine import Engine
    from reportqa.question.query import Query
    from reportqa.types import Answer, Filters, Hit, Report

NEWEST_SEARCHED = 2  # the newest annual reports searched again for a figure asked about the present

# a question about the present: "the current level", "how many ... now", "the latest figure"
CURRENT = re.compile(
    r"(?i)\b(?:current(?:ly)?|nowadays|at present|presently|today|latest|newest|most recent|"
    r"present[- ](?:day|number|level|figure|total|rate)|"
    r"up[- ]to[- ]date|these days|as (?:things|it) stands?|now(?!\s+that))\b"
)


def with_newest(engine: Engine, query: Query, question: str, hits: list[Hit], filters: Filters, k: int,
                context: str | None) -> list[Hit]:
    """A figure asked about the present ("how many officers now") with no year: the newest two annual
    reports are searched too, their passages added after the others (a newer figure may rank below older
    ones on words alone; the evidence then prefers the newest that states it)."""
    if not query.current or not query.asks_figure or filters.years or filters.report_id:
        return hits
    years = report_years(engine.reports)[-NEWEST_SEARCHED:]
    if not years:
        return hits
    from reportqa.answer.features import expansions

    seen = {h.passage.id for h in hits}
    scoped = filters.model_copy(update={"years": tuple(years)})
    newer: list[Hit] = []
    # the question as asked, and its measure in the reports' own words ("cops": "police officers")
    probes = [question]
    if query.measure:
        probes.append(" ".join([query.measure, *expansions(query.measure)]))
    for probe in probes:
        for h in engine.retriever.search(probe, scoped, k, context):
            if h.passage.id not in seen:
                seen.add(h.passage.id)
                newer.append(h)
    return [*hits, *(h.model_copy(update={"rank": len(hits) + i + 1}) for i, h in enumerate(newer))]


def dated(reports: list[Report], question: str, answer: Answer) -> Answer:
    """An answer to "what is the current ...?" ("now", "latest", "these days") that cites only reports
    older than the newest one held says so in its text: an old figure must never read as the current
    one. "Now, how many ...?" opens with "now" and asks nothing about the present."""
    asked = re.sub(r"(?i)^\W*(?:right\s+)?now\s*,\s*", "", question)  # "Now, how many ...": an opener
    if not CURRENT.search(asked) or not answer.citations:
        return answer
    newest = newest_year(list(reports))
    cited = max(c.year for c in answer.citations)
    if newest is None or cited >= newest:
        return answer
    line = ("The question asks about the present, but the newest report cited here is older than the "
            "newest report held: check the newer reports before using this as current.")
    return answer.model_copy(update={
        "text": f"{answer.text}\n{line}",
        "notes": (*answer.notes, f"current figure asked: the newest cited report is {cited}; the newest "
                                 f"report held is {newest}")})
