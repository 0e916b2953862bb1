"""The HTML and plain-text pieces the workspace's tabs share: escaping, the sources panel, a cited passage
with its quote marked, the reference lines officers paste, and the scripts for live regions and copy
buttons.

Below `web.ui`, `web.mq_view` and `web.trend_view`, which all use it: it imports none of them. Everything
from the corpus or from a question is shown as escaped text: `esc()` before any HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote as urlquote

from reportqa.display import clean_passage, clean_quote, clean_text
from reportqa.display import marked as display_marked

if TYPE_CHECKING:
    from reportqa.types import Answer, Citation

LIVE_JS = "element.setAttribute('role', 'status'); element.setAttribute('aria-live', 'polite');"
# "Copy answer" and "Copy quote + reference" buttons carry their plain text in data-copy; one listener on
# the panel copies it (the Clipboard API on 127.0.0.1 or https, else a selected textarea) and says so
COPY_JS = """
element.addEventListener('click', async (e) => {
  const b = e.target && e.target.closest ? e.target.closest('button[data-copy]') : null;
  if (!b) return;
  const text = b.getAttribute('data-copy');
  let ok = false;
  try { await navigator.clipboard.writeText(text); ok = true; } catch (err) {
    const ta = document.createElement('textarea');
    ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0';
    document.body.appendChild(ta); ta.select();
    try { ok = document.execCommand('copy'); } catch (err2) { ok = false; }
    ta.remove();
  }
  const label = b.getAttribute('data-label') || b.textContent;
  b.setAttribute('data-label', label);
  b.textContent = ok ? 'Copied' : 'Copy failed: select the text instead';
  const live = document.querySelector('#rq-copy-status');
  if (live) live.textContent = ok ? label + ': copied to the clipboard.' : 'Copying failed.';
  setTimeout(() => { b.textContent = label; }, 2000);
});
"""


def esc(text: str) -> str:
    """HTML-escape, and neutralise the characters Gradio's HTML template language would read."""
    return (html.escape(text, quote=True).replace("$", "&#36;").replace("{", "&#123;")
            .replace("}", "&#125;").replace("`", "&#96;"))


def md_esc(text: str) -> str:
    """Text placed in a gr.Markdown block (a title, the coverage): Markdown's punctuation backslash-escaped,
    so "[Official login](https://evil.example/login)" shows as written and never becomes a link, then
    `esc`."""
    return esc(re.sub(r"([\\*_\[\]()#+\-.!|~])", r"\\\1", text))  # esc makes <>`{}$ entities


def chat_html(text: str) -> str:
    """A chat message as escaped text, line breaks kept, without soft hyphens or zero-width characters."""
    return esc(clean_text(text)).replace("\n", "<br>")


_WORD = re.compile(r"[0-9A-Za-z]")


def _alnum_map(s: str) -> tuple[str, list[int]]:
    chars, where = [], []
    for i, ch in enumerate(s):
        if _WORD.match(ch):
            chars.append(ch.lower())
            where.append(i)
    return "".join(chars), where


def locate(passage: str, quote: str) -> tuple[int, int] | None:
    """Where the quoted source text sits in the cleaned passage (which may differ in spacing and glyphs)."""
    if not quote.strip():
        return None
    i = passage.find(quote)
    if i >= 0:
        return i, i + len(quote)
    hay, where = _alnum_map(passage)
    needle, _ = _alnum_map(quote)
    if not needle:
        return None
    j = hay.find(needle)
    if j >= 0:
        return where[j], where[j + len(needle) - 1] + 1
    head, tail = needle[:40], needle[-40:]
    a = hay.find(head)
    b = hay.find(tail, a + 1) if a >= 0 else -1
    if a >= 0 and b >= 0 and b - a < len(needle) * 2:
        return where[a], where[b + len(tail) - 1] + 1
    return None


def passage_html(passage: str, quote: str) -> str:
    """The passage with the cited sentence marked; the quote alone if it cannot be placed."""
    span = locate(passage, quote) if passage else None
    if span is None:
        body = f"<mark>{esc(clean_quote(quote))}</mark>"
        if passage:
            body += "\n\n" + esc(clean_passage(passage, join_lines=False))
        return body
    # shown (and selected, copied) without soft hyphens or zero-width characters; the offsets stay exact
    before, span_text, after = display_marked(passage, *span, join_lines=False)
    return esc(before) + f"<mark>{esc(span_text)}</mark>" + esc(after)


# -- plain text ------------------------------------------------------------------------------------------


def reference_line(c: Citation) -> str:
    """One numbered reference as officers paste it: "[1] Title (2022-23), section “...”: “quote”"."""
    quote = clean_quote(c.quote)  # as pasted: no soft hyphens, zero-width characters or line breaks
    return f"[{c.marker}] {c.title} ({c.year}), section “{c.section}”: “{quote}”"


def answer_plain(answer: Answer, scope: str = "") -> str:
    """An answer as plain text for the clipboard: the text with its [n] markers, then its references."""
    lines = [clean_text(answer.text).strip()]
    if scope:
        lines.append(f"({scope}.)")
    if answer.citations:
        lines += ["", "References:"] + [reference_line(c) for c in answer.citations]
    return "\n".join(lines)


def source_url(c: Citation) -> str:
    """The workspace server's page for the cited passage, with the quote marked (web.api's /source)."""
    return f"/source/{urlquote(c.passage_id, safe='')}?start={c.start}&end={c.end}"


# -- the sources panel -----------------------------------------------------------------------------------


def sources_html(answer: Answer, number: int, label: Callable[[str], str] = str, scope: str = "") -> str:
    if not answer.citations and not answer.related:
        return (f"<div class='rq-sources'><h2>Sources for answer {number}</h2>"
                + (f"<p class='rq-scope'>{esc(scope)}.</p>" if scope else "")
                + "<p>This answer cites no passage.</p></div>")
    parts = [f"<div class='rq-sources'><h2>Sources for answer {number}</h2>",
             "<div class='rq-actions'>"
             f"<button type='button' data-copy='{esc(answer_plain(answer, scope))}'>Copy answer</button>"
             "</div>",
             f"<div class='rq-meta'>Question: {esc(answer.question)}</div>"]
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        parts.append(f"<div class='rq-meta'>Understood as: {esc(answer.rewritten_question)}</div>")
    if scope:
        parts.append(f"<p class='rq-scope'>{esc(scope)}.</p>")
    if answer.citations:
        parts.append("<h3>Cited in the answer</h3><ol>")
        parts += [citation_item(c, label) for c in answer.citations]
        parts.append("</ol>")
    if answer.related:
        parts.append("<div class='rq-related'><h3>Related passages (not cited)</h3><ul>")
        parts += [citation_item(c, label, marker=False, related=True) for c in answer.related]
        parts.append("</ul></div>")
    parts.append("</div>")
    return "".join(parts)


def citation_item(c: Citation, label: Callable[[str], str], marker: bool = True,
                  related: bool = False) -> str:
    """One source: title, year, section, priority, the passage with the quote marked, and its actions."""
    head = f"[{c.marker}] " if marker else ""
    tag = "<span class='rq-tag'>Not cited</span>" if related else ""
    copy = reference_line(c) if marker else reference_line(c).split("] ", 1)[1]
    return (
        f"<li class='{'rq-related' if related else 'rq-cited'}'>"
        f"<div class='rq-src-head'><strong>{esc(head + c.title)}</strong>{tag}</div>"
        f"<div class='rq-meta'>Year {esc(c.year)} · Section: {esc(c.section)} · "
        f"Priority: {esc(label(c.priority))}</div>"
        f"<blockquote class='rq-passage'>{passage_html(c.passage, c.quote)}</blockquote>"
        "<div class='rq-actions'>"
        f"<button type='button' data-copy='{esc(copy)}'>Copy quote + reference</button>"
        f"<a href='{esc(source_url(c))}' target='_blank' rel='noopener noreferrer'>Open in report"
        "<span class='rq-sr-only'> (opens in a new tab)</span></a></div></li>"
    )
