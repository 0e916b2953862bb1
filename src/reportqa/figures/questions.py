"""Trend questions: whether a question asks how a measure changed across the reports, the measure it names
and the report years it restricts the trace to (`trend_question`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportqa.answer.features import fold
from reportqa.figures.measures import lexicon
from reportqa.text import tokenize
from reportqa.years import mentions


@dataclass(frozen=True)
class TrendQuestion:
    measure: str  # what to trace, from the question: "officer numbers"
    years: tuple[str, ...]  # the report years to trace through; () for every report
    named: bool = False  # the question names the years to compare ("compare 2022-23 and 2023-24")


def _start_years(text: str) -> list[int]:
    """The first calendar year of every year, period or bare year a text names."""
    found = [m.first for m in mentions(text)]
    spans = [(m.start, m.end) for m in mentions(text)]
    for m in re.finditer(r"\b(19\d\d|20\d\d)\b", text):
        if not any(a <= m.start() < b for a, b in spans):
            found.append(int(m.group(1)))
    return found


def trend_question(question: str, report_years: Sequence[str]) -> TrendQuestion | None:
    """The measure and years of a question that asks how something changed across the reports, else None.

    `report_years` are the annual reports' financial years ("2014-15", ...): a year named before the first of
    them makes the question a change stated inside one report; report years named narrow the trace to them
    (at least two), and "since 2015" to the reports from 2015-16 on.
    """
    lex = lexicon()
    q = fold(question)
    if not any(p.search(q) for p in lex.detect) or any(p.search(q) for p in lex.detect_not):
        return None
    starts = sorted(int(y[:4]) for y in report_years)
    if not starts:
        return None
    if any(y < starts[0] for y in _start_years(q)):
        return None
    years: tuple[str, ...] = ()
    named = False
    since = re.search(r"\bsince (?:fy\s?)?(20\d\d)\b", q)
    fys = [m.canonical for m in mentions(q) if m.is_year and not m.plan]
    if since and not fys[1:]:
        years = tuple(y for y in sorted(report_years) if int(y[:4]) >= int(since.group(1)))
    elif fys:
        years = tuple(y for y in sorted(report_years) if y in fys)
        if len(years) < 2:
            return None
        named = True
    measure = re.sub(r"\s+", " ", question.replace("’", "'").replace("–", "-").replace("—", "-"))
    for p in lex.strip:
        measure = p.sub(" ", measure)
    measure = re.sub(r"\s+", " ", measure).strip(" ?.!,;:-'\"")
    if not any(not w[0].isdigit() for w in tokenize(measure)):
        return None
    return TrendQuestion(measure, years, named)
