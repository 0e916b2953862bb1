"""Scoring a trend question (eval type "trend"): every year's figure right and cited, no year filled in.

A trend item lists one key-fact group per report that gives the measure, in the order of its gold quotes
(`key_facts[i]` is the figure the report of `gold[i]` gives). The answer's table lines ("- 2015-16: 1400
visits; ... [2]") are read: for each gold report, its line must state one of the group's figures and cite
a quote from that report holding it; a line that states a figure for a report the item does not list is a
year filled in. Pure: reads only the answer's text and citations: the table lines are read off the text
because the eval's run records only those (`runner.AnswerRun`), not the answer's `trend` rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from reportqa.evaluation import metrics as m
from reportqa.types import MARKER

_ROW = re.compile(r"^- (\d{4}-\d\d): (.*)$", re.M)


def score_trend(item: Any, text: str, citations: Sequence[Any]) -> tuple[bool, list[str]]:
    """(every year right and cited, the reasons it is not)."""
    by_marker = {c.marker: c for c in citations}
    rows = []
    for year, body in _ROW.findall(text):
        cited = [by_marker[int(n)] for n in MARKER.findall(body) if int(n) in by_marker]
        rows.append((year, body, body.startswith("no figure"), cited))
    if not rows:
        return False, ["trend: the answer has no table of years"]
    reasons: list[str] = []
    gold_reports = [g.report_id for g in item.gold]
    for group, report_id in zip(item.key_facts, gold_reports, strict=False):
        line = next((r for r in rows if not r[2] and any(c.report_id == report_id for c in r[3])), None)
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
    for year, body, no_figure, cited in rows:
        if not no_figure and not any(c.report_id in gold_reports for c in cited):
            reasons.append(
                f"trend: {year} gives a figure the reports do not give for this measure: {body[:60]!r}"
            )
    return not reasons, reasons
