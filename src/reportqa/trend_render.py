"""A trend as text: the answer's summary, table, disagreement and flag lines with their `[n]` markers
(`trend_text`), the terminal table (`render_trend`), the public API's JSON (`trend_json`) and the citations
the answer carries (`citations`).

Split out of `reportqa.trend`, which re-exports these names.
"""

from __future__ import annotations

from typing import Any

from reportqa.types import Citation, Trend, TrendRow

_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def _count(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else "many"


def _what(row: TrendRow) -> str:
    """'22,000 body-worn video cameras', 'over 7000 detainees', '63% (current confidence)'."""
    shown = f"{row.qualifier} {row.figure}".strip()
    if row.unit not in ("%", "£") and row.counts and row.unit == row.counts.split()[-1].lower():
        return f"{shown} {row.counts}"
    return f"{shown} ({row.counts})" if row.counts else shown


def row_line(row: TrendRow, figure_only: bool = False, named: bool = False) -> str:
    """One row of the table as a line of the answer, with its marker; `named`: the line names its report (the
    year has several)."""
    if row.figure is None:
        where = row.title if named else "this report"
        if row.closest is None:
            return f"- {row.year}: no figure in {where}."
        return f"- {row.year}: no figure in {where} (the closest passage: [{row.closest.marker}])."
    assert row.citation is not None
    if figure_only:
        return f"{_what(row)} [{row.citation.marker}]"
    return f"- {row.year}: {row_statement(row, named)}"


def row_statement(row: TrendRow, named: bool = False) -> str:
    """What a row with a figure states in its line after the year: the figure and what it counts, its
    period and basis, its report when `named`, and its marker ("22,000 body-worn video cameras; period: In
    2015/16 [2]"); "" for a row without a figure."""
    if row.figure is None or row.citation is None:
        return ""
    basis = "" if row.basis == "stated" else f"; {row.basis.replace('_', ' ')}"
    source = f"; in {row.title}" if named else ""
    return f"{_what(row)}; period: {row.period}{basis}{source} [{row.citation.marker}]"


def table_lines(t: Trend) -> list[str]:
    return [row_line(r, named=t.shared(r.year)) for r in t.rows]


def differ_lines(t: Trend) -> list[str]:
    """One line for each year whose reports give different figures for the measure: every report's figure,
    its report and its marker."""
    out = []
    for year in t.disputed:
        rows = [r for r in t.rows if r.year == year and r.differs and r.citation is not None]
        listed = "; ".join(f"{r.title} gives {_what(r)} [{r.citation.marker}]" for r in rows
                           if r.citation is not None)
        out.append(f"- {year}: {listed}.")
    return out


def flag_lines(t: Trend) -> list[str]:
    rows = list(t.rows)
    out = []
    for i, r in enumerate(rows):
        if r.comparable or r.citation is None:
            continue
        prev = next((p for p in reversed(rows[:i]) if p.citation is not None), None)
        marks = (
            f"[{prev.citation.marker}][{r.citation.marker}]"
            if prev and prev.citation
            else f"[{r.citation.marker}]"
        )
        since = f" with {prev.year}" if prev else ""
        if prev is not None and prev.year == r.year:
            since = f" with the other {prev.year} report ({prev.title})"
        which = f" ({r.title})" if t.shared(r.year) else ""
        out.append(f"- {r.year}{which} is not comparable{since}: {r.reason} {marks}")
    return out


def trend_text(t: Trend) -> str:
    """A short summary with [n] markers, the table as lines, and the flags."""
    shown = [r for r in t.rows if r.figure is not None and r.citation is not None]
    name = t.measure[:1].upper() + t.measure[1:]
    if shown:
        parts = [
            f"{r.qualifier + ' ' if r.qualifier else ''}{r.figure} in {r.year}"
            f"{' (' + r.title + ')' if r.differs else ''} [{r.citation.marker}]"
            for r in shown
            if r.citation is not None
        ]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
        lines = [f"{name}, report by report: {listed}."]
    else:
        lines = [f"{name}: no annual report gives a figure."]
    verb = "gives" if len(shown) == 1 else "give"
    lines.append(
        f"{_count(len(shown)).capitalize()} of the {_count(len(t.rows))} annual reports {verb} a figure:"
    )
    lines += table_lines(t)
    differ = differ_lines(t)
    if differ:
        lines.append("The reports differ for the same year, so both figures are shown:")
        lines += differ
    flags = flag_lines(t)
    if flags:
        lines.append("Definitions change between years, so these are not like-for-like:")
        lines += flags
    return "\n".join(lines)


def render_trend(t: Trend) -> str:
    """The trend as a terminal table, its flags and its sources."""
    head = ("year", "figure", "what it counts", "period", "basis")
    table = [head]
    for r in t.rows:
        year = f"{r.year} ({r.report_id})" if t.shared(r.year) else r.year
        if r.figure is None:
            table.append((year, "no figure in this report", "", "", ""))
        else:
            shown = f"{r.qualifier} {r.figure}".strip()
            table.append((year, shown, r.counts, r.period, r.basis.replace("_", " ")))
    widths = [min(34, max(len(row[i]) for row in table)) for i in range(len(head))]
    lines = [f"{t.measure}: {len(t.with_figures)} of {len(t.rows)} annual reports give a figure"]
    for row in table:
        lines.append("  ".join(cell[:34].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if t.disputed:
        lines.append("\nThe reports differ for the same year (both shown):")
        lines += [f"  {year}: {next(r.differs for r in t.rows if r.year == year and r.differs)}"
                  for year in t.disputed]
    flagged = [r for r in t.rows if not r.comparable]
    if flagged:
        lines.append("\nNot comparable with the year before:")
        lines += [f"  {r.year}: {r.reason}" for r in flagged]
    lines.append("\nSources:")
    for r in t.rows:
        c = r.citation or r.closest
        if c is not None:
            what = "" if r.citation is not None else " (no figure; the closest passage)"
            quote = " ".join(c.quote.split())
            quote = quote if len(quote) <= 160 else quote[:157] + "..."
            lines.append(f'  [{c.marker}] {c.title} ({c.year}), {c.section}{what}: "{quote}"')
    return "\n".join(lines)


def trend_json(t: Trend | None) -> dict[str, Any] | None:
    """The trend for the public API: every row with its figure (or null), what it counts, its period and
    basis, the marker of its citation in the answer, whether it is comparable with the row before, its
    report, and where another report of its year gives a different figure, the line that says so."""
    if t is None:
        return None
    rows = []
    for r in t.rows:
        rows.append(
            {
                "year": r.year,
                "figure": r.figure,
                "qualifier": r.qualifier,
                "value": r.value,
                "unit": r.unit,
                "counts": r.counts,
                "period": r.period,
                "period_kind": r.period_kind,
                "basis": r.basis,
                "marker": r.citation.marker if r.citation is not None else None,
                "comparable": r.comparable,
                "reason": r.reason,
                "report_id": r.report_id,
                "title": r.title,
                "differs": r.differs,
            }
        )
    return {"measure": t.measure, "rows": rows}


def citations(t: Trend) -> tuple[Citation, ...]:
    out = [r.citation or r.closest for r in t.rows]
    return tuple(c for c in out if c is not None)
