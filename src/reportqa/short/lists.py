"""A list's lines shortened to fit the short answer: each at its shortest (its first sentence, its own
heading, its first clause or words, a cut marked "…"), the room left lengthening the cut lines (`_listed`).
"""

from __future__ import annotations

import re

from reportqa.short.pieces import _NOT_WORDS, _SENTENCE_END, words

# a list line's own heading: "Commissioning and Partnerships: MOPAC spends ...", "Reducing violence – ..."
_HEADING = re.compile(r"^(.{2,80}?[^\W\d_].*?)(?::\s|\s[–—-]\s)")
_CLAUSE = re.compile(r",\s|;\s|\s[–—-]\s|\s\(")


def _least(item: str) -> str:
    """A list's line at its shortest: its first sentence when short, else its own heading ("Commissioning and
    Partnerships: MOPAC spends ..."), else its first clause, else its first words, a cut marked '…'."""
    bullet, body = item[:2], item[2:]
    first = _SENTENCE_END.split(body, 1)[0]
    if words(first) <= _ITEM_WORDS:
        return bullet + first
    head = _HEADING.match(first)
    if head and 2 <= words(head.group(1)) <= _ITEM_WORDS:  # (one word says too little: "Pursue – ...")
        return bullet + head.group(1).rstrip(" ,;:")
    clause = _CLAUSE.split(first, 1)[0]
    if 3 <= words(clause) <= 12:
        return bullet + clause.rstrip(" ,;:") + " …"
    return bullet + _first_words(first, _ITEM_WORDS)


def _to_clause(item: str, n: int) -> str:
    """A list's line up to the end of its last clause within `n` words, marked '…' ("" when none is)."""
    ends = [m.start() for m in _CLAUSE.finditer(item)]
    fit = [e for e in ends if words(item[2:e]) <= n]
    return item[: fit[-1]].rstrip(" ,;:–—-") + " …" if fit else ""


def _first_words(text: str, n: int) -> str:
    """The text's first `n` words (as `words` counts them), a cut marked '…'."""
    out: list[str] = []
    for token in text.split():
        if n <= 0:
            return " ".join(out).rstrip(" ,;:–—-") + " …"
        out.append(token)
        n -= token not in _NOT_WORDS
    return " ".join(out)


_ITEM_WORDS = 8


def _listed(items: list[str], room: int) -> list[str]:
    """A list's lines within `room` words: all whole when they fit; else each at its shortest, the room left
    lengthening the cut ones (not those shown by their heading), in order, whole or to a clause's end; else
    the first ones that fit at their shortest."""
    if sum(words(t) for t in items) <= room:
        return items
    out = [_least(t) for t in items]
    total = 0
    for i, t in enumerate(out):
        if total + words(t) > room:
            return out[:i]
        total += words(t)
    for i, t in enumerate(items):  # what room is left lengthens the cut lines, the first first
        if out[i].endswith("…") and total < room:
            longer = t if words(t) - words(out[i]) <= room - total else \
                _to_clause(t, words(out[i]) + room - total) or out[i]
            total += words(longer) - words(out[i])
            out[i] = longer
    return out
