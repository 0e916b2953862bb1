"""Citations that can be cited onwards (issue 24): the report's own address and the page of the quote.

Answers are composed and checked without them (`reportqa.answer`); they are added where answers leave the
product: `reportqa ask` (text and --json), the public API and widget, and the /source page. A report's
address is its corpus manifest `source_url` (`ingest --url`); its pages are the offsets where each PDF page
starts in the stored text (`Report.pages`, recorded at ingest from pypdf's pages), so the page of a quote is
the page its first character is on.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

from reportqa.types import Answer, Citation, Report


def page_at(pages: tuple[int, ...], offset: int) -> int | None:
    """The page (from 1) the character at `offset` is on; None for a document without pages."""
    if not pages:
        return None
    return max(1, bisect.bisect_right(pages, offset))


def web_url(url: str | None) -> str | None:
    return url if url and url.startswith(("https://", "http://")) else None


def cite(c: Citation, report: Report | None) -> Citation:
    """The citation with its report's address and the page its quote starts on, where they are known."""
    if report is None:
        return c
    url, page = web_url(report.source_url), page_at(report.pages, c.start)
    if url == c.source_url and page == c.page:
        return c
    return c.model_copy(update={"source_url": url, "page": page})


def with_sources(answer: Answer, reports: Iterable[Report] | Mapping[str, Report]) -> Answer:
    """The answer with every citation and related passage carrying `source_url` and `page` (see `cite`)."""
    by_id = dict(reports) if isinstance(reports, Mapping) else {r.id: r for r in reports}
    cites = tuple(cite(c, by_id.get(c.report_id)) for c in answer.citations)
    related = tuple(cite(c, by_id.get(c.report_id)) for c in answer.related)
    trend = answer.trend
    if trend is not None:
        rows = tuple(
            r.model_copy(update={
                "citation": cite(r.citation, by_id.get(r.citation.report_id)) if r.citation else None,
                "closest": cite(r.closest, by_id.get(r.closest.report_id)) if r.closest else None,
            })
            for r in trend.rows
        )
        trend = trend.model_copy(update={"rows": rows})
    return answer.model_copy(update={"citations": cites, "related": related, "trend": trend})


def where(c: Citation) -> str:
    """"p. 12" for a citation from a page; "" otherwise."""
    return f"p. {c.page}" if c.page else ""
