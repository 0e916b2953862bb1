"""Financial years and plan periods: how reports and questions write them, and their one canonical form.

A financial year runs from April to the next March and is written canonically "2022-23"; reports and
people also write 2022/23, 2022-2023, 2022–23, 2022 – 23, FY2022/23 and 2022/3. A Police and Crime
Plan period ("2013-16", "2017-21", "2022-25") is written the same way but spans three or four years.
Canonical years are plain strings ("2022-23") everywhere else in the code; this module parses them,
finds them in text, names them, and steps between them. Relative phrases ("the year before") are here
too; "last year" and "since 2019", which need the reports to resolve, are in `temporal`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reportqa.errors import InputError

FIRST_YEAR, LAST_YEAR = 2000, 2099  # the calendar years the notation covers ("20xx")
PLAN_SPANS = (3, 4)  # a plan period runs over three or four years

_SEP = r"[/\-–]"
# -- patterns to compose into other regexes (they hold no groups) --------------------------------------
CANONICAL_PATTERN = r"20\d\d-\d\d"  # a year as this code writes it: "2022-23"
YEAR_OR_SPAN_PATTERN = rf"20\d\d(?:\s*{_SEP}\s*\d{{1,4}})?"  # "2019", "2022/23", "2013 - 2016", loosely

# A written year or period in a question or report: groups (first year, its end as written).
# "2022-23/24" and dates such as "2022-3-15" are not years.
FY_RE = re.compile(rf"\b(?:FY\s?)?(20\d\d)\s?{_SEP}\s?(20\d\d|\d\d|\d)\b(?!\s?{_SEP}\d)")
# A period named as a plan: "under the 2013-16 plan", "Police and Crime Plan 2022-25", "the 2022-25 plan";
# groups (1, 2) or (3, 4) are the first year and its end.
PLAN_RE = re.compile(
    r"(?:\b(?:under|in|of|during|over)\s+)?(?:the\s+)?(?:police and crime\s+)?plan\s+(?:for\s+)?"
    rf"(20\d\d)\s?{_SEP}\s?(20\d\d|\d\d)"
    rf"|\b(20\d\d)\s?{_SEP}\s?(20\d\d|\d\d)\s+(?:police and crime\s+)?plan\b",
    re.I,
)
# Relative years, read against the year in play.
YEAR_BEFORE_RE = re.compile(
    r"\b(the )?(year|one) before\b|\b(the )?(previous|preceding|prior) year\b|\ba year earlier\b", re.I
)
YEAR_AFTER_RE = re.compile(
    r"\b(the )?(year|one) after\b|\b(the )?(following|next|subsequent) year\b|\ba year later\b", re.I
)

_WRITTEN = re.compile(rf"\s*(?:FY\s?)?(\d{{4}})\s*{_SEP}\s*(\d{{4}}|\d\d|\d)\s*", re.I)
_LABEL_RE = re.compile(r"\bthe (\d{4}-\d\d) report\b")


class YearError(InputError, ValueError):
    """A written year that is not a financial year (or plan period); shown as `error: ...` / `hint: ...`."""

    def __init__(self, text: str, why: str, example: str = "2022-23") -> None:
        super().__init__(f"year {text!r} {why}", f"write it like {example}")


@dataclass(frozen=True)
class Mention:
    """A year or period as a text writes it, with its span; `plan` when the text names it as a plan."""

    start: int
    end: int
    first: int  # 2022
    last: int  # 2023
    plan: bool = False

    @property
    def canonical(self) -> str:
        return f"{self.first}-{self.last % 100:02d}"

    @property
    def is_year(self) -> bool:
        """A financial year (two consecutive years), not a longer period."""
        return self.last == self.first + 1


def _end(first: int, written: str) -> int:
    """The year a written end stands for: '23', '2023' and '3' after 2022 are all 2023; '00' after 2099
    is 2100 (a short end runs into the next century or decade only to make a financial year)."""
    if len(written) == 4:
        return int(written)
    unit = int(10 ** len(written))
    end = first - first % unit + int(written)
    return end + unit if end + unit == first + 1 else end


def is_financial_year(first: str, end: str) -> bool:
    """Whether a first year and its end as written ('2022', '23') make a financial year."""
    return len(end) in (1, 2, 4) and _end(int(first), end) == int(first) + 1


def _span(text: str) -> tuple[int, int]:
    m = _WRITTEN.fullmatch(text)
    if not m:
        raise YearError(text, "is not a financial year")
    first = int(m.group(1))
    return first, _end(first, m.group(2))


def _check_range(text: str, first: int, last: int, kind: str = "year") -> None:
    if first < FIRST_YEAR or last > LAST_YEAR:
        if kind == "year":
            raise YearError(text, f"is outside {FIRST_YEAR}-{(FIRST_YEAR + 1) % 100:02d} to "
                                  f"{LAST_YEAR - 1}-{LAST_YEAR % 100:02d}")
        raise YearError(text, f"is outside the years {FIRST_YEAR} to {LAST_YEAR}", "2022-25")


def parse_year(text: str) -> str:
    """A written financial year ('2022/23', 'FY 2022-2023', '2022/3') in canonical form: '2022-23'."""
    first, last = _span(text)
    if last != first + 1:
        example = f"{first}-{(first + 1) % 100:02d}" if FIRST_YEAR <= first < LAST_YEAR else "2022-23"
        if last <= first:
            raise YearError(text, "does not run into a later year", example)
        raise YearError(text, f"is not a financial year: {first} to {last} is {last - first} years, "
                              "a financial year runs from April to the next March", example)
    _check_range(text, first, last)
    return f"{first}-{last % 100:02d}"


def parse_plan(text: str) -> str:
    """A written Police and Crime Plan period ('2013/16', '2017-2021') in canonical form: '2013-16'."""
    try:
        first, last = _span(text)
    except YearError:
        raise YearError(text, "is not a plan period", "2022-25") from None
    if last - first not in PLAN_SPANS:
        raise YearError(text, "is not a plan period: a Police and Crime Plan runs over three or four years",
                        "2022-25")
    _check_range(text, first, last, "plan")
    return f"{first}-{last % 100:02d}"


def parse_report_year(text: str) -> str:
    """The year a report is filed under: a financial year, or a plan period for a plan's page."""
    try:
        return parse_year(text)
    except YearError:
        try:
            return parse_plan(text)
        except YearError:
            pass
        raise


def previous_year(year: str) -> str:
    first, _ = _span(year)
    return f"{first - 1}-{first % 100:02d}"


def next_year(year: str) -> str:
    first, _ = _span(year)
    return f"{first + 1}-{(first + 2) % 100:02d}"


def label(year: str, *, plan_page: bool = False) -> str:
    """How answers name a year's document: 'the 2022-23 report', 'the Police and Crime Plan 2013-16 page'."""
    return f"the Police and Crime Plan {year} page" if plan_page else f"the {year} report"


def labelled_year(text: str) -> str | None:
    """The year of the first report `label` in a text ('... the 2022-23 report ...' -> '2022-23')."""
    m = _LABEL_RE.search(text)
    return m.group(1) if m else None


@lru_cache(maxsize=256)
def written_forms(year: str) -> re.Pattern[str]:
    """Every way a report writes a year or period: for '2014-15', 2014/15, 2014-15, 2014–15, 2014/2015,
    2014 – 15 and 2014/5 (the last only for a financial year)."""
    first, last = _span(year)
    ends = f"(?:{last // 100})?{last % 100:02d}"
    if last == first + 1:
        ends += f"|{last % 10}"
    return re.compile(rf"{first}\s?{_SEP}\s?(?:{ends})\b")


def mentions(text: str) -> list[Mention]:
    """Years and periods a text names, in order. A period named as a plan is one mention with `plan` set
    (the year inside it is not another); '2022/5' (not a financial year, too short for a period) is none."""
    out: list[Mention] = []
    for m in PLAN_RE.finditer(text):
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append(Mention(m.start(), m.end(), int(a), _end(int(a), b), plan=True))
    plan_spans = [(p.start, p.end) for p in out]
    for m in FY_RE.finditer(text):
        if any(s <= m.start() < e for s, e in plan_spans):
            continue
        first, written = int(m.group(1)), m.group(2)
        if len(written) == 1 and not is_financial_year(m.group(1), written):
            continue
        out.append(Mention(m.start(), m.end(), first, _end(first, written)))
    return sorted(out, key=lambda x: x.start)


def years_in(text: str) -> list[str]:
    """Financial years a text names, in order, once each: '2022/23' -> '2022-23' (plan periods left out)."""
    return list(dict.fromkeys(m.canonical for m in mentions(text) if m.is_year and not m.plan))


def first_year_in(text: str) -> str | None:
    ys = years_in(text)
    return ys[0] if ys else None


def plan_in(text: str) -> str | None:
    """The first period a text names as a plan: 'under the 2013-16 plan' -> '2013-16'."""
    return next((m.canonical for m in mentions(text) if m.plan), None)
