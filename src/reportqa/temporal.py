"""Years and periods in questions: "2022/23", "the 2015-16 report", "last year", "under the 2013-16 plan"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.types import Filters, Report

_FY_RE = re.compile(r"\b(?:FY\s?)?(20\d\d)\s?[/\-–]\s?(20\d\d|\d\d)\b(?!\s?[/\-–]\d)")
_PLAN_RE = re.compile(
    r"(?:\b(?:under|in|of|during|over)\s+)?(?:the\s+)?(?:police and crime\s+)?plan\s+(?:for\s+)?(20\d\d)\s?[-–/]\s?(20\d\d|\d\d)"
    r"|\b(20\d\d)\s?[-–/]\s?(20\d\d|\d\d)\s+(?:police and crime\s+)?plan\b",
    re.I,
)
_SINCE_RE = re.compile(r"\b(?:since|after)\s+(20\d\d)\b(?!\s?[/\-–]\d)", re.I)
_LAST_YEAR_RE = re.compile(r"\b(last year|this year|the (?:latest|newest|most recent) (?:annual )?report|most recent year)\b", re.I)


@dataclass
class TimeScope:
    filters: Filters
    mentioned: list[str] = field(default_factory=list)  # financial years named in the question
    uncovered: list[str] = field(default_factory=list)  # named years no report covers
    notes: list[str] = field(default_factory=list)


def fy(a: str, b: str) -> str:
    start = int(a)
    end = int(b[-2:])
    return f"{start}-{end:02d}"


def report_years(reports: list[Report]) -> list[str]:
    """Financial years of annual reports, oldest first (plan pages excluded)."""
    ys = {r.year for r in reports if r.kind != "plan page"}
    return sorted(ys)


def newest_year(reports: list[Report]) -> str | None:
    ys = report_years(reports)
    return ys[-1] if ys else None


def previous_year(year: str, reports: list[Report]) -> str:
    start = int(year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


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
    plan_spans: list[tuple[int, int]] = []
    for m in _PLAN_RE.finditer(question):
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        p = fy(a, b)
        plan_spans.append(m.span())
        if plan is None:
            plan = p
            notes.append(f"plan {p} from the question")
    since_fy: str | None = None
    for m in _FY_RE.finditer(question):
        if any(s <= m.start() < e for s, e in plan_spans):
            continue
        before = question[max(0, m.start() - 30) : m.start()].lower()
        prep = re.search(r"\b(by|until|till|to|from|since|before|after|than|with|against|baseline|of)\s+(the\s+)?(financial year\s+|end of\s+)?$", before)
        if prep and prep.group(1) in ("since", "after", "from"):
            since_fy = since_fy or m.group(1)
            continue
        covered_years = {r.year for r in reports}
        if prep and prep.group(1) in ("by", "until", "till", "to", "before", "than", "with", "against", "baseline", "of") \
                and fy(m.group(1), m.group(2)) not in covered_years:
            continue  # a target date or a baseline no report covers, not the report asked for
        a, b = m.group(1), m.group(2)
        end = int(b[-2:])
        if (int(a) + 1) % 100 != end:
            # "2013-16" outside a plan phrase: a plan period
            p = fy(a, b)
            if p in known_plans and plan is None:
                plan = p
                notes.append(f"plan {p} from the question")
            continue
        y = fy(a, b)
        if y not in mentioned:
            mentioned.append(y)
    rel = re.search(r"\b(the )?(following|next|subsequent) year\b|\ba year later\b|\b(the )?(previous|preceding|prior) year\b|\ba year earlier\b|\bthe year before\b", question, re.I)
    if rel and len(mentioned) == 1:
        start = int(mentioned[0][:4]) + (1 if re.search(r"following|next|subsequent|later", rel.group(0), re.I) else -1)
        other = f"{start}-{(start + 1) % 100:02d}"
        if other not in mentioned:
            mentioned.append(other)
            notes.append(f"'{rel.group(0)}' read as {other}")
    if mentioned:
        years = mentioned
        notes.append("year " + ", ".join(mentioned) + " from the question")
    else:
        since = _SINCE_RE.search(question)
        if since or since_fy:
            first = int(since.group(1)) if since else int(since_fy or 0)
            years = [y for y in report_years(reports) if int(y[:4]) >= first]
            notes.append(f"reports since {first}")
        elif _LAST_YEAR_RE.search(question):
            newest = newest_year(reports)
            if newest:
                years = [newest]
                notes.append(f"'{_LAST_YEAR_RE.search(question).group(0)}' read as {newest}, the newest report")  # type: ignore[union-attr]
    if base.years:
        years = list(base.years)
    if plan is not None and plan not in known_plans:
        # an unknown plan period is dropped with a note: it never becomes a filter that matches nothing
        notes.append(f"no report is filed under a {plan} plan: searched every report")
        plan = base.plan
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
    q = _PLAN_RE.sub(" ", question)
    q = re.sub(r"(?i)\b(in|during|for|over)\s+(the\s+)?(financial year\s+)?(?=(?:FY\s?)?20\d\d\s?[/\-–])", " ", q)
    q = _FY_RE.sub(" ", q)
    q = _SINCE_RE.sub(" ", q)
    q = _LAST_YEAR_RE.sub(" ", q)
    return re.sub(r"\s+", " ", q).strip()
