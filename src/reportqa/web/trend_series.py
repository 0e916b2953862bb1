"""The Trend tab's figures as data, read by its chart (`web.trend_chart`), its table and its text alternative
(`web.trend_view`): the runs of comparable years (one line each), the years with no report, each row's figure
with its unit, the legend's and the y-axis's titles, the chart's points, the table's rows, and the text
alternative, which says everything the chart shows as sentences.

A year with no report (or a report with no figure) leaves a gap; a year whose figure counts something else
than the year before starts a new run; a year whose reports give different figures is a point for each
report, joined to neither side, and the table's flag and the text alternative say that the reports differ.
"""

from __future__ import annotations

from typing import Any

from reportqa.types import Trend, TrendRow

HEADERS = ["Year", "Figure", "Comparable with the year before", "What it counts", "Period", "Basis", "Source"]
FLAG = HEADERS.index("Comparable with the year before")
NO_UNIT = ("", "count")  # figures.py's unit for a count whose noun is not after the number


def start_year(year: str) -> int:
    """The first calendar year of a financial year ("2022-23": 2022)."""
    return int(year[:4])


def financial_year(start: int) -> str:
    """The financial year that starts in `start` (2022: "2022-23")."""
    return f"{start}-{(start + 1) % 100:02d}"


def segments(t: Trend) -> list[list[TrendRow]]:
    """The runs of rows with figures, each comparable with the row before and a year after it: a year with
    no report, or a report with no figure, leaves a gap (the line is never drawn across it). A year whose
    reports differ is a point for each report, joined to neither side: no line picks one of them."""
    out: list[list[TrendRow]] = []
    joined = False  # whether the row before was plotted, for the financial year just before this one
    last = None
    for r in t.rows:
        if r.figure is None or r.value is None:
            joined = False
            continue
        if r.differs:
            out.append([r])
            joined = False
            continue
        follows = joined and last is not None and start_year(r.year) - start_year(last.year) == 1
        if out and follows and r.comparable:
            out[-1].append(r)
        else:
            out.append([r])
        joined, last = True, r
    return out


def no_report(t: Trend) -> list[tuple[int, int]]:
    """The runs of financial years (first, last start year) between the first and the last report that
    have no report in the collection."""
    held = {start_year(r.year) for r in t.rows}
    if not held:
        return []
    out: list[tuple[int, int]] = []
    for y in range(min(held), max(held) + 1):
        if y in held:
            continue
        if out and out[-1][1] == y - 1:
            out[-1] = (out[-1][0], y)
        else:
            out.append((y, y))
    return out


def gap_years(first: int, last: int) -> str:
    return financial_year(first) if first == last else f"{financial_year(first)} to {financial_year(last)}"


def figure_text(r: TrendRow) -> str:
    """A figure with its unit once: "22,000 cameras", "20%", "£294m", "around 32,000 officers"; a count
    whose noun the report puts elsewhere is the number alone ("around 32,000")."""
    figure = f"{r.qualifier} {r.figure or ''}".strip()
    unit = r.unit.strip()
    if unit in NO_UNIT or unit in ("%", "£") or (r.figure or "").lower().endswith(unit.lower()):
        return figure
    return f"{figure} {unit}"


def units_of(t: Trend) -> list[str]:
    return list(dict.fromkeys(r.unit for r in t.with_figures if r.unit not in NO_UNIT))


def _unit_name(unit: str) -> str:
    return {"%": "per cent", "£": "pounds"}.get(unit, unit)


def legend_title(t: Trend) -> str:
    """The legend's title: the measure and its unit ("officer numbers (officers)")."""
    units = units_of(t)
    if len(units) == 1 and not mixed_kinds(t):
        return f"{t.measure} ({_unit_name(units[0])})"
    return f"{t.measure}: what each line counts"


def mixed_kinds(t: Trend) -> bool:
    """Whether a count sits with a percentage or a sum of money (a count's unit may be unnamed)."""
    kinds = {r.unit if r.unit in ("%", "£") else "count" for r in t.with_figures}
    return len(kinds) > 1


def _counts(r: TrendRow) -> str:
    """What a row counts, for the middle of a sentence: "Officers" (a capital only because it began a list
    item) is "officers"; a name or an acronym keeps its capitals."""
    what = r.counts or (r.unit if r.unit not in NO_UNIT else "")
    first = what.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and first.lower() == r.unit.lower():
        return first.lower() + what[len(first):]
    return what


def series_name(run: list[TrendRow]) -> str:
    first, last = run[0], run[-1]
    years = first.year if first is last else f"{first.year} to {last.year}"
    what = _counts(first)
    return f"{years}: {what}" if what else years


def _label(t: Trend, r: TrendRow) -> str:
    """A row's year, and its report when the year has several ("2031-32, Lantern Patrol Review")."""
    return f"{r.year}, {r.title}" if t.shared(r.year) else r.year


def plot_rows(t: Trend) -> list[dict[str, Any]]:
    """The chart's points: x (the financial year's first calendar year), y, series (one per comparable run;
    a run of a year with several reports is named with its report too), label (the financial year, and the
    report when the year has several) and figure (as the report writes it, with its unit)."""
    out = []
    names: set[str] = set()
    for run in segments(t):
        name = series_name(run)
        if name in names or any(t.shared(r.year) for r in run):
            name = f"{name} ({run[-1].title})"
        names.add(name)
        out += [{"year": float(start_year(r.year)), "value": r.value, "series": name, "label": _label(t, r),
                 "figure": figure_text(r)} for r in run]
    return out


def y_title(t: Trend) -> str:
    units = units_of(t)
    if mixed_kinds(t) or len(units) > 1:
        return "value: units in the legend"
    if not units:
        return "number"
    return _unit_name(units[0])


def table_rows(t: Trend) -> list[list[str]]:
    """The table's rows, in the order of HEADERS: one for each report."""
    rows = []
    for r in t.rows:
        if r.figure is None:
            rows.append([_label(t, r), "no figure in this report", "", "", "", "", ""])
            continue
        flag = "yes" if r.comparable else f"no: {r.reason}"
        if r is t.with_figures[0]:
            flag = "first figure"
        if r.differs:  # another report of the year gives another figure: said first, never hidden
            flag = f"{flag}; {r.differs}"
        marker = f"[{r.citation.marker}]" if r.citation is not None else ""
        cells = [_label(t, r), f"{r.qualifier} {r.figure}".strip(), r.counts, r.period,
                 r.basis.replace("_", " "), marker]
        cells.insert(FLAG, flag)
        rows.append(cells)
    return rows


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def alt_text(t: Trend) -> str:
    """Everything the chart shows, as sentences."""
    if not t.rows:
        return f"No annual report to trace {t.measure} through."
    first, last = t.rows[0].year, t.rows[-1].year
    n = len(t.rows)
    span = first if first == last else f"{first} to {last}"
    parts = [f"The chart traces {t.measure} through {n} annual report{'s' if n > 1 else ''}, {span}."]
    for run in segments(t):
        what = _counts(run[0])
        listed = _and([f"{figure_text(r)} in {r.year}" for r in run])
        when = (f"In {run[0].year} alone" if len(run) == 1
                else f"From {run[0].year} to {run[-1].year}, one line")
        parts.append(f"{when}{', counting ' + what if what else ''}: {listed}.")
    for year in t.disputed:
        differ = [r for r in t.rows if r.year == year and r.differs]
        parts.append(f"For {year} the reports differ: "
                     f"{_and([f'{r.title} gives {figure_text(r)}' for r in differ])}; both are shown.")
    for r in t.flags:
        parts.append(f"{_label(t, r)} is not joined to the year before: {r.reason}.")
    missing = [_label(t, r) for r in t.rows if r.figure is None]
    if missing:
        parts.append(f"The {_and(missing)} report{'s give' if len(missing) > 1 else ' gives'} no figure.")
    gaps = no_report(t)
    if gaps:
        spans = _and([gap_years(a, b) for a, b in gaps])
        parts.append(f"There is no annual report for {spans} in the collection: the lines stop there.")
    return " ".join(parts)


