"""Years and periods in questions, against the reports held: "2022/23", "last year", "under the 2013-16 plan".

How years and periods are written, and the regexes that find them, are in `years`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.kinds import is_plan
from reportqa.periods import months_in
from reportqa.types import Filters, Report
from reportqa.years import FY_RE, PLAN_RE, YEAR_AFTER_RE, YEAR_BEFORE_RE, mentions, next_year, previous_year

# before a year, words that make it a target date or a baseline rather than the report asked for
_TARGET_PREPS = ("by", "until", "till", "to", "before", "than", "with", "against", "baseline", "of")
_SINCE_RE = re.compile(r"\b(?:since|after)\s+(20\d\d)\b(?!\s?[/\-–]\d)", re.I)
_LAST_YEAR_RE = re.compile(
    r"\b(last year|this year|the (?:latest|newest|most recent) (?:annual )?report|most recent year)\b", re.I
)


@dataclass
class TimeScope:
    filters: Filters
    mentioned: list[str] = field(default_factory=list)  # financial years named in the question
    uncovered: list[str] = field(default_factory=list)  # named years no report covers
    notes: list[str] = field(default_factory=list)


def report_years(reports: list[Report]) -> list[str]:
    """Financial years the documents are filed under, oldest first, each once (plans excluded: they are
    filed under their plan period; a quarter or a month is filed under its financial year)."""
    ys = {r.year for r in reports if not is_plan(r.kind)}
    return sorted(ys)


def newest_year(reports: list[Report]) -> str | None:
    ys = report_years(reports)
    return ys[-1] if ys else None


def plans(reports: list[Report]) -> set[str]:
    return {r.plan for r in reports}


def infer(question: str, reports: list[Report], base: Filters | None = None) -> TimeScope:
    """Filters stated or implied by the question, merged over explicit ones (explicit ones win)."""
    base = base or Filters()
    years: list[str] = []
    mentioned: list[str] = []
    notes: list[str] = []
    plan = base.plan
    known_plans = plans(reports)
    found = mentions(question)
    for m in found:
        if m.plan and plan is None:
            plan = m.canonical
            notes.append(f"plan {plan} from the question")
    since_fy: int | None = None
    at: dict[str, int] = {}  # where each mentioned year is named
    covered_years = {r.year for r in reports}
    for m in found:
        if m.plan:
            continue
        before = question[max(0, m.start - 30) : m.start].lower()
        prep = re.search(
            r"\b(by|until|till|to|from|since|before|after|than|with|against|baseline|of)\s+"
            r"(the\s+)?(financial year\s+|end of\s+)?$",
            before,
        )
        if prep and prep.group(1) in ("since", "after", "from"):
            since_fy = since_fy or m.first
            continue
        if prep and prep.group(1) in _TARGET_PREPS and m.canonical not in covered_years:
            continue  # a target date or a baseline no report covers, not the report asked for
        if not m.is_year:
            # "2013-16" outside a plan phrase: a plan period
            if m.canonical in known_plans and plan is None:
                plan = m.canonical
                notes.append(f"plan {plan} from the question")
            continue
        if m.canonical not in mentioned:
            mentioned.append(m.canonical)
            at[m.canonical] = m.start
    held = {r.period for r in reports if r.period}
    for start, month in months_in(question):
        # a month that is a document's own period names that document's financial year ("the slides of
        # April 2013" -> 2013-14); any other month is a date inside the reports' text, not a filter
        fy = month.financial_year
        if month.canonical in held and fy is not None and fy not in mentioned:
            mentioned.append(fy)
            at[fy] = start
    mentioned.sort(key=lambda y: at[y])
    earlier, later = YEAR_BEFORE_RE.search(question), YEAR_AFTER_RE.search(question)
    rel = min((r for r in (earlier, later) if r), key=lambda r: r.start(), default=None)
    if rel and len(mentioned) == 1:
        other = next_year(mentioned[0]) if rel is later else previous_year(mentioned[0])
        if other not in mentioned:
            mentioned.append(other)
            notes.append(f"'{rel.group(0)}' read as {other}")
    if mentioned:
        years = mentioned
        notes.append("year " + ", ".join(mentioned) + " from the question")
    else:
        since = _SINCE_RE.search(question)
        if since or since_fy:
            first = int(since.group(1)) if since else since_fy or 0
            years = [y for y in report_years(reports) if int(y[:4]) >= first]
            notes.append(f"reports since {first}")
        elif last := _LAST_YEAR_RE.search(question):
            newest = newest_year(reports)
            if newest:
                years = [newest]
                notes.append(f"'{last.group(0)}' read as {newest}, the newest report")
    if base.years:
        years = list(base.years)
    if plan is not None and plan not in known_plans:
        # an unknown plan period is dropped with a note: it never becomes a filter that matches nothing
        notes.append(f"no report is filed under a {plan} plan: searched every report")
        plan = base.plan
    if plan is not None and years and not base.plan:
        # "the end of the 2013-16 plan compared with 2022/23": a plan beside years widens the years to the
        # plan's reports; the two as separate filters would match nothing
        years = list(
            dict.fromkeys(
                [*years, *sorted(r.year for r in reports if r.plan == plan and not is_plan(r.kind))]
            )
        )
        notes.append(f"plan {plan} read as its reports' years")
        plan = None
    covered = {r.year for r in reports}
    uncovered = [y for y in years if y not in covered]
    filters = Filters(
        years=tuple(years),
        plan=plan,
        priority=base.priority,
        report_id=base.report_id,
    )
    return TimeScope(filters, mentioned, uncovered, notes)


def strip_time(question: str) -> str:
    """The question without its time expressions, for matching a topic across turns."""
    q = PLAN_RE.sub(" ", question)
    q = re.sub(r"(?i)\b(in|during|for|over)\s+(the\s+)?(financial year\s+)?(?=" + FY_RE.pattern + ")", " ", q)
    q = FY_RE.sub(" ", q)
    q = _SINCE_RE.sub(" ", q)
    q = _LAST_YEAR_RE.sub(" ", q)
    return re.sub(r"\s+", " ", q).strip()
