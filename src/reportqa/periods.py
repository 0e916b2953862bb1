"""The period a document covers: a financial year, a Police and Crime Plan period, a quarter or a month.

A financial year runs from 1 April to 31 March and is written canonically "2018-19" (`years` parses the
other ways it is written: 2018/19, 2018-2019, FY2018/19, 2018–19). A plan period ("2017-21") runs from
1 April of its first year to 31 March of its last. A quarter is a quarter of a financial year (Q1 is
April to June, Q4 January to March) and is written "Q2 2019/20"; a month is written "April 2013". A quarter
or a month belongs to its financial year: that is the year a document is filed and filtered under.

Canonical forms, as the manifest stores them (`Report.period`): "2018-19", "2017-21", "Q2 2019-20",
"April 2013". Labels, as answers write them: "2018-19", "2017-21", "Q2 2019/20", "April 2013".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from reportqa.years import FIRST_YEAR, LAST_YEAR, YearError, parse_plan, parse_year

PeriodKind = Literal["financial_year", "plan", "quarter", "month"]

_SEP = r"[/\-–]"
_FY = rf"(?:FY\s?)?20\d\d\s*{_SEP}\s*(?:20\d\d|\d\d|\d)"
_QUARTER_RE = re.compile(
    rf"^\s*(?:Q([1-4])|quarter\s+([1-4])|([1-4])(?:st|nd|rd|th)\s+quarter)\s*(?:of\s+)?({_FY})\s*$"
    rf"|^\s*({_FY})\s*(?:Q([1-4])|quarter\s+([1-4]))\s*$",
    re.I,
)
_MONTH_NAMES = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_NAMES.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_NAMES["sept"] = 9
MONTH_PATTERN = r"\b(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?\s+(20\d\d)\b"
MONTH_RE = re.compile(MONTH_PATTERN, re.I)


@dataclass(frozen=True)
class Period:
    """A span of time a document covers. `end` is the last day, inclusive."""

    kind: PeriodKind
    start: date
    end: date
    label: str  # as answers write it: "2018-19", "2017-21", "Q2 2019/20", "April 2013"
    canonical: str  # as the manifest stores it: "2018-19", "2017-21", "Q2 2019-20", "April 2013"

    @property
    def financial_year(self) -> str | None:
        """The financial year it lies in ("2019-20" for Q2 2019/20 and for July 2019); None for a plan."""
        if self.kind == "plan":
            return None
        return fy_of(self.start)

    @property
    def filed_year(self) -> str:
        """The year a document of this period is filed and filtered under (`Report.year`): its financial
        year, or the plan period itself."""
        return self.financial_year or self.canonical

    @property
    def slug(self) -> str:
        """For ids: '2018-19', '2017-21', '2019-20-q2', '2013-04'."""
        if self.kind == "quarter":
            return f"{self.filed_year}-q{quarter_of(self.start)}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return self.canonical

    def order(self) -> tuple[int, int]:
        """Sort key, earliest first: by start, then by end (a quarter before the year it begins)."""
        return (self.start.toordinal(), self.end.toordinal())


def fy_of(day: date) -> str:
    """The financial year a day falls in: 2019-07-01 -> '2019-20', 2020-01-15 -> '2019-20'."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def quarter_of(day: date) -> int:
    """The quarter of its financial year a day falls in: April-June is 1, January-March is 4."""
    return ((day.month - 4) % 12) // 3 + 1


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def financial_year(fy: str) -> Period:
    canonical = parse_year(fy)
    first = int(canonical[:4])
    return Period("financial_year", date(first, 4, 1), date(first + 1, 3, 31), canonical, canonical)


def plan_period(text: str) -> Period:
    canonical = parse_plan(text)
    first = int(canonical[:4])
    last = first - first % 100 + int(canonical[5:])
    if last < first:
        last += 100
    return Period("plan", date(first, 4, 1), date(last, 3, 31), canonical, canonical)


def quarter(fy: str, n: int) -> Period:
    canonical_fy = parse_year(fy)
    if not 1 <= n <= 4:
        raise YearError(f"Q{n} {fy}", "is not a quarter: a financial year has quarters Q1 to Q4",
                        "Q2 2019/20")
    first = int(canonical_fy[:4])
    month = 4 + 3 * (n - 1)
    year = first if month <= 12 else first + 1
    month = month if month <= 12 else month - 12
    start = date(year, month, 1)
    end = (date(year + (month + 3 > 12), (month + 2) % 12 + 1, 1)) - timedelta(days=1)
    label = f"Q{n} {canonical_fy[:4]}/{canonical_fy[5:]}"
    return Period("quarter", start, end, label, f"Q{n} {canonical_fy}")


def month(year: int, number: int) -> Period:
    if not FIRST_YEAR <= year < LAST_YEAR:
        raise YearError(f"{calendar.month_name[number]} {year}", f"is outside the years {FIRST_YEAR} to "
                        f"{LAST_YEAR}", "April 2013")
    name = f"{calendar.month_name[number]} {year}"
    return Period("month", date(year, number, 1), _last_day(year, number), name, name)


def parse_period(text: str) -> Period:
    """A written period: a financial year ('2018/19', 'FY2018/19', '2018–2019'), a plan period
    ('2017-21', '2017-2021'), a quarter ('Q2 2019/20', '2019-20 Q2') or a month ('April 2013', 'Apr 2013').

    Raises YearError (an InputError: one line and a hint) for anything else."""
    s = " ".join(text.split())
    q = _QUARTER_RE.match(s)
    if q:
        n = next(g for g in (q.group(1), q.group(2), q.group(3), q.group(6), q.group(7)) if g)
        return quarter(q.group(4) or q.group(5), int(n))
    m = MONTH_RE.fullmatch(s)
    if m:
        return month(int(m.group(2)), _MONTH_NAMES[m.group(1).lower()])
    try:
        return financial_year(s)
    except YearError as fy_error:
        try:
            return plan_period(s)
        except YearError:
            pass
        if re.fullmatch(r"\s*(?:FY\s?)?\d{4}\s*[/\-–]\s*\d{1,4}\s*", s, re.I):
            raise
        raise YearError(text, "is not a period: give a financial year, a plan period, a quarter or a month",
                        "2022-23, 2022-25, Q2 2019/20 or April 2013") from fy_error


def period_of(year: str, period: str | None, *, plan: bool = False) -> Period:
    """The period of a document filed under `year` (`Report.year`) with `period` (`Report.period`, None for
    documents filed before periods were kept: then the year itself, a plan period for a plan's page)."""
    if period:
        return parse_period(period)
    if plan:
        return plan_period(year)
    try:
        return financial_year(year)
    except YearError:
        return plan_period(year)


def months_in(text: str) -> list[tuple[int, Period]]:
    """Months a text names, with where: 'published in April 2013' -> [(13, Period(month, April 2013))].
    (Financial years, and the years of quarters such as 'Q2 2019/20', are found by `years.mentions`.)"""
    out: list[tuple[int, Period]] = []
    for m in MONTH_RE.finditer(text):
        year = int(m.group(2))
        if FIRST_YEAR <= year < LAST_YEAR:
            out.append((m.start(), month(year, _MONTH_NAMES[m.group(1).lower()])))
    return out
