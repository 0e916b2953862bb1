"""What the public API sends back besides its errors: an answer as the widget reads it (JSON), the page a
citation links to (/source/{passage_id}, the quote marked in its section), the notice every answer carries
and the widget's example questions (static/examples.json).
"""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as urlquote

from reportqa.display import clean_passage as display_passage
from reportqa.display import marked as display_marked
from reportqa.web.api_errors import ApiError

if TYPE_CHECKING:
    from reportqa.service import Assistant
    from reportqa.types import Answer, Citation

STATIC = Path(__file__).resolve().parent / "static"
NOTICE = ("Answers come from published MOPAC reports and may be out of date. "
          "Check the linked source before relying on a figure.")


def answer_json(answer: Answer, assistant: Assistant, base_url: str) -> dict[str, Any]:
    """The answer as the widget reads it; citations and (for not_found) related passages link to /source
    (at the quote: #quote), and carry the report's address (`url`) and the page of the quote (`page`) where
    known (`reportqa.sources`). `short`: the sentence that answers, its report and year (`reportqa.short`);
    the widget shows it first and `text` under "More"."""
    from reportqa.short import short_answer
    from reportqa.sources import with_sources
    from reportqa.trend import trend_json

    answer = with_sources(answer, assistant.reports)

    def passage_url(c: Citation) -> str:
        return f"{base_url}/source/{urlquote(c.passage_id)}?start={c.start}&end={c.end}#quote"

    def item(c: Citation) -> dict[str, Any]:
        out: dict[str, Any] = {"marker": c.marker, "title": c.title, "year": c.year, "section": c.section,
                               "quote": c.quote}
        if c.source_url:
            out["url"] = c.source_url
        if c.page:
            out["page"] = c.page
        out["passage_url"] = passage_url(c)
        return out

    short = short_answer(answer, {r.id: r.source_url for r in assistant.reports})
    short_json = short.to_json()
    if short.citation is not None:
        short_json["passage_url"] = passage_url(short.citation)
        short_json["page"] = short.citation.page
    return {"status": answer.status, "text": answer.text, "short": short_json,
            "citations": [item(c) for c in answer.citations], "related": [item(c) for c in answer.related],
            "missing": answer.missing, "given": answer.given, "rewritten_question": answer.rewritten_question,
            "trend": trend_json(answer.trend), "notice": NOTICE}


def source_page(assistant: Assistant, passage_id: str, start: int | None, end: int | None) -> str:
    """The cited passage's whole section in its report, escaped, with the quoted span marked (id "quote":
    passage links end in #quote, so the browser scrolls it into view), the page it is on and a link to the
    report itself where known."""
    from reportqa.sources import page_at, web_url

    p = assistant.index.by_id.get(passage_id)
    if p is None:
        raise ApiError(404, "no such passage", "the link may be from an older version of the index")
    a = b = 0
    if start is not None and end is not None and p.start <= start < end <= p.end:
        a, b = start - p.start, end - p.start
    report = next((r for r in assistant.reports if r.id == p.report_id), None)
    # shown without soft hyphens, zero-width characters or a PDF's line breaks; the offsets stay exact
    pdf = report is not None and report.shape == "pdf"
    section = sorted((q for q in assistant.index.passages if q.report_id == p.report_id
                      and q.section == p.section), key=lambda q: q.start)
    before_parts = [display_passage(q.text, pdf) for q in section if q.end <= p.start]
    after_parts = [display_passage(q.text, pdf) for q in section if q.start >= p.end]
    before, span, after = display_marked(p.text, a, b, join_lines=pdf)
    marked = f"<mark id='quote' tabindex='-1'>{html.escape(span)}</mark>" if b > a else ""
    body = html.escape(before) + marked + html.escape(after)
    if b <= a:
        body = f"<span id='quote'></span>{body}"
    body = "\n\n".join([*map(html.escape, before_parts), body, *map(html.escape, after_parts)])
    title = html.escape(f"{p.title} ({p.year})")
    facts = [html.escape(p.section)]
    page = page_at(report.pages, start if b > a and start is not None else p.start) if report else None
    if page:
        facts.append(f"page {page}")
    url = web_url(report.source_url) if report else None
    link = (f"<p><a href='{html.escape(url, quote=True)}' rel='noopener noreferrer'>Open the report on its "
            f"publisher's site</a> <span class='note'>({html.escape(url)})</span></p>") if url else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>"
        "body{font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;"
        "max-width:46rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;font:inherit}"
        "mark{background:#ffe066;color:#1a1a1a;scroll-margin-top:40vh}a{color:#0b4f9c}"
        ".note{color:#3d3d3d}</style></head><body><main>"
        f"<h1>{title}</h1><p>{' · '.join(facts)}</p>{link}<pre>{body}</pre>"
        f"<p class='note'>{html.escape(NOTICE)}</p></main></body></html>"
    )


@functools.cache
def example_questions() -> list[str]:
    """Two or three questions the widget offers on opening (static/examples.json)."""
    data = json.loads((STATIC / "examples.json").read_text(encoding="utf-8"))
    return [str(q) for q in data["examples"]]
