"""How a draft quotes the reports: a citation's quote as shown (`shown_quote`, footnote numbers the parser
glued to words dropped), a report named by its kind and year (`_source_label`), and the passages listed for
a part the reports do not answer (`related_text`).

Split out of `reportqa.mq.compose`, which re-exports `shown_quote` and `related_text`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from reportqa.kinds import label as document_label
from reportqa.types import Citation


def _source_label(c: Citation) -> str:
    return document_label(c).removeprefix("the ")



def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width, placeholder=" …")


# a number glued to the end of a word or a year: "the Public9 and", "in 2011/121,"
_GLUED = re.compile(r"(?<=[A-Za-z)])(\d{1,2})(?=[\s.,;:)”’\"']|$)|(?<=\d{4}/\d\d)(\d{1,2})(?=[\s.,;:]|$)")


def shown_quote(c: Citation) -> str:
    """A citation's quote as a draft shows it: without soft hyphens or line breaks, and without the
    footnote numbers the parser read off its passage ("Police Encounters with the Public9" -> "...Public").

    A glued number is dropped only when the cleaned passage has the word without it, so a figure or a name
    ("Q2", "COVID19") that the passage keeps stays."""
    from reportqa.display import clean_quote

    quote = clean_quote(c.quote)
    if not c.passage:
        return quote
    passage = " ".join(c.passage.split())

    def drop(m: re.Match[str]) -> str:
        word = re.search(r"[\w/]+$", quote[: m.start()])
        if word is None:
            return m.group(0)
        stem = word.group(0)
        if stem + m.group(0) in passage or stem not in passage:
            return m.group(0)
        return ""

    return _GLUED.sub(drop, quote)


_RELATED_LEAD = {"background": "Background from the reports: ", "nearby": "Nearby, the reports say: "}


def related_text(related: Sequence[Citation], related_as: str) -> str:
    """The passages shown for a part the reports do not answer, quoted and labelled as `related_as`."""
    if not related:
        return ""
    bits = [f"“{_shorten(shown_quote(c), 160)}” ({_source_label(c)}) [{c.marker}]" for c in related]
    return _RELATED_LEAD.get(related_as, _RELATED_LEAD["nearby"]) + "; ".join(bits) + "."


def _nearby_text(related: Sequence[Citation]) -> str:
    return related_text(related, "nearby")
