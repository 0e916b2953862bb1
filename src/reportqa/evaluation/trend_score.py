"""Scoring a trend question (eval type "trend"): every year's figure right and cited, no year filled in.

A trend item lists one key-fact group per report that gives the measure, in the order of its gold quotes
(`key_facts[i]` is the figure the report of `gold[i]` gives). The answer's trend rows are read as the run
recorded them (`runner.TrendLine`: each report's row, what its table line states and its citation's marker):
for each gold report, its row must state one of the group's figures and cite a quote from that report
holding it; a row that states a figure for a report the item does not list is a year filled in. An answer
without a trend (`Answer.trend` None: the question was answered otherwise) has no table of years. Pure: reads
only the recorded rows and citations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportqa.evaluation import metrics as m
from reportqa.evaluation.runner import TrendLine


def score_trend(item: Any, rows: Sequence[TrendLine], citations: Sequence[Any]) -> tuple[bool, list[str]]:
    """(every year right and cited, the reasons it is not)."""
    if not rows:
        return False, ["trend: the answer has no table of years"]
    by_marker = {c.marker: c for c in citations}
    # (year, what its line states, gives no figure, the citations it cites)
    read = [(r.year, r.statement, r.marker is None,
             [by_marker[r.marker]] if r.marker is not None and r.marker in by_marker else [])
            for r in rows]
    reasons: list[str] = []
    gold_reports = [g.report_id for g in item.gold]
    for group, report_id in zip(item.key_facts, gold_reports, strict=False):
        line = next((r for r in read if not r[2] and any(c.report_id == report_id for c in r[3])), None)
        if line is None:
            reasons.append(f"trend: no figure from {report_id} (expected {' / '.join(group)})")
            continue
        year, body, _, cited = line
        quotes = "\n".join(c.quote + "\n" + c.passage for c in cited if c.report_id == report_id)
        said = [a for a in group if m.fact_present(a, m.normalise_fact_text(body))]
        if not said:
            reasons.append(f"trend: {year} says {body[:60]!r}, expected {' / '.join(group)}")
        elif not any(m.fact_present(a, m.normalise_fact_text(quotes)) for a in said):
            reasons.append(f"trend: {year}'s figure is not in what it cites")
    for year, body, no_figure, cited in read:
        if not no_figure and not any(c.report_id in gold_reports for c in cited):
            reasons.append(
                f"trend: {year} gives a figure the reports do not give for this measure: {body[:60]!r}"
            )
    return not reasons, reasons
