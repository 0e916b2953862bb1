"""How the command line prints an answer: in full with every source (`ask --full`, `chat`), or short, the
sentence that answers and its source (`ask`), and the labels they share (a report's period, the filters).
"""

from __future__ import annotations

import textwrap
from typing import Any

from reportqa.types import Answer, Filters


def period_text(r: Any) -> str:
    """A report's period as it is labelled ("2022-23", "Q2 2019/20")."""
    from reportqa.kinds import period

    return period(r).label


def filters_text(f: Filters) -> str:
    """The filters a search or an answer used, in one line ("year=2022-23 priority=victims", or "none")."""
    parts = [f"year={','.join(f.years)}" if f.years else "", f"plan={f.plan}" if f.plan else "",
             f"priority={f.priority}" if f.priority else "", f"report={f.report_id}" if f.report_id else ""]
    return " ".join(p for p in parts if p) or "none"


def render_answer(ans: Answer, debug: bool = False) -> str:
    from reportqa.display import clean_quote, clean_text

    lines = [clean_text(ans.text)]
    if ans.citations:
        lines.append("\nSources:")
        for c in ans.citations:
            quote = textwrap.shorten(clean_quote(c.quote), 200)
            page = f", p. {c.page}" if c.page else ""
            lines.append(f"  [{c.marker}] {c.title} ({c.year}), {c.section}{page} — \"{quote}\""
                         f" (chars {c.start}-{c.end})" + (f" {c.source_url}" if c.source_url else ""))
    if ans.related:
        lines.append("\nRelated passages:")
        for c in ans.related:
            quote = textwrap.shorten(clean_quote(c.quote), 160)
            lines.append(f"  - {c.title} ({c.year}), {c.section} — \"{quote}\"")
    if debug:
        lines.append(f"\n[status={ans.status} backend={ans.backend} rewritten={ans.rewritten_question!r} "
                     f"filters={filters_text(ans.filters)} notes={list(ans.notes)}]")
    return "\n".join(lines)


def render_short(ans: Answer, urls: dict[str, str | None], debug: bool = False) -> str:
    """The short answer `ask` prints by default: the sentence that answers, then one source line (the report,
    its year, its address when recorded); `--full` prints `render_answer` instead (`reportqa.short`)."""
    from reportqa.short import short_answer, source_line

    short = short_answer(ans, urls)
    lines = [short.text]
    if line := source_line(short):
        lines.append(line)
    if ans.status == "not_found" and ans.related:
        lines.append(f"(--full: the {len(ans.related)} closest passages)")
    elif short.more or len(ans.citations) > 1:
        n = len(ans.citations)
        lines.append(f"(--full: the whole answer and its {n} source{'s' if n != 1 else ''})")
    if debug:
        lines.append(f"\n[status={ans.status} backend={ans.backend} rewritten={ans.rewritten_question!r} "
                     f"filters={filters_text(ans.filters)} notes={list(ans.notes)}]")
    return "\n".join(lines)
