"""Report text as people read and copy it: without the invisible characters and line breaks of the source.

The index keeps every quote exact (`source[start:end]`, its offsets into the corpus file), soft hyphens,
zero-width characters and PDF line breaks included; only what is shown or copied is cleaned, here: the
CLI's rendering, the workspace's sources and "Copy" buttons, and the /source page. The public widget does
the same in the browser (`cleanText` in web/static/widget.js).
"""

from __future__ import annotations

import re

from reportqa.parse import known_words

# soft hyphen, zero-width space, zero-width non-joiner and joiner, word joiner, byte-order mark
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# marks a span (the quoted sentence) through the cleaning: private-use characters no report holds
START, END = "\ue000", "\ue001"

_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# 'sup\u00ad\nported' (or 'sup\u00ad ported' once the line break became a space): one word hyphenated softly
_SOFT_BREAK = re.compile("\u00ad[ \t]*(?:\r?\n[ \t]*)?")
# a hyphen at a line's end between letters loses the break; it keeps the hyphen ('pan-\nLondon') unless
# the word joined is one the reports know ('Visi-\ntors': 'Visitors'), as the parser reads it (`clean_pieces`)
_HARD_BREAK = re.compile(r"([^\W\d_]+)-[ \t]*\r?\n[ \t]*([\ue000\ue001]?)(?=[^\W\d_])([^\W\d_]*)")
_PARAGRAPH = re.compile(r"[ \t]*(?:\r?\n[ \t]*){2,}")
# a line break inside a paragraph, unless the next line starts a list item ('• ', '○ ', '- ', '1. ', 'a) ')
_WRAP = re.compile(r"[ \t]*\r?\n[ \t]*(?![\ue000\ue001]?(?:[•●○◦▪■□‣∙·*–-]\s|\d{1,3}[.)]\s|[a-z][.)]\s))")
_SPACES = re.compile(r"[ \t\f\v]+")


def clean_quote(text: str) -> str:
    """A quote on one line, as shown and copied: soft hyphens and zero-width characters removed (a word
    softly hyphenated at a line's end joined), line breaks and runs of spaces made one space."""
    t = _SOFT_BREAK.sub("", text)
    t = _rejoin(t)
    t = _INVISIBLE.sub("", t)
    return " ".join(t.split())


def _rejoin(text: str, known: frozenset[str] | None = None) -> str:
    """Words broken by a hyphen at a line's end joined: without the hyphen when the whole word is known."""
    if "-" not in text:
        return text
    words = known_words(text) if known is None else known

    def join(m: re.Match[str]) -> str:
        whole = (m.group(1) + m.group(3)).lower()
        return m.group(1) + ("" if whole in words else "-") + m.group(2) + m.group(3)

    return _HARD_BREAK.sub(join, text)


def clean_text(text: str) -> str:
    """An answer's text (built from report sentences) as shown and copied: soft hyphens and zero-width
    characters removed; its own line breaks kept."""
    return _INVISIBLE.sub("", _SOFT_BREAK.sub("", text))


def clean_passage(text: str, join_lines: bool) -> str:
    """A passage as shown: invisible characters removed and paragraphs (blank lines) kept. With
    `join_lines` (a PDF's text, where a line break is only where the page's line ended) the lines of a
    paragraph are joined, except before a list item; otherwise its line breaks are kept.

    START and END, where the caller put them, pass through (see `marked`)."""
    t = _SOFT_BREAK.sub("", text)
    t = _INVISIBLE.sub("", t)
    paragraphs = _PARAGRAPH.split(t)
    if join_lines:
        known = known_words(t)
        paragraphs = [_WRAP.sub(" ", _rejoin(p, known)) for p in paragraphs]
    return "\n\n".join(_SPACES.sub(" ", p).strip(" ") for p in paragraphs).strip("\n")


def marked(text: str, start: int, end: int, join_lines: bool) -> tuple[str, str, str]:
    """`text` cleaned as `clean_passage` does, in three parts: before `text[start:end]`, that span, and
    after it (the span's offsets are into the exact text; the cleaning moves them)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end < start:
        start = end
    shown = clean_passage(text[:start] + START + text[start:end] + END + text[end:], join_lines)
    before, _, rest = shown.partition(START)
    span, _, after = rest.partition(END)
    return before, span, after
