"""A block's source lines as cleaned text that keeps the source offset of every character: bullet glyphs,
markdown link syntax and footnote numbers glued to words dropped, whitespace collapsed, and a word broken
by a hyphen at a line's end rejoined when the whole word is one the reports know (`known_words`)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Container
from functools import cache
from importlib import resources

from reportqa.parsing.lines import BULLET_RE

_MD_LINK_RE = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_BROKEN_RE = re.compile(r"[^\W\d_]+-[ \t\xa0]*\n[ \t\xa0]*[^\W\d_]+")


@cache
def shipped_words() -> frozenset[str]:
    """The words the shipped reports know (lexicon/words.txt, lower-cased; scripts/build_words.py)."""
    text = resources.files("reportqa").joinpath("lexicon", "words.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split("\n") if w and not w.startswith("#"))


def known_words(source: str) -> frozenset[str]:
    """The words a hyphen at a line's end may be rejoined into: the shipped reports' and this report's own
    (its words broken at a line's end left out: their halves are no words)."""
    own = {w.lower() for w in _WORD_RE.findall(_BROKEN_RE.sub(" ", source))}
    return shipped_words() | own


def _footnote_marks(text: str, notes: set[str]) -> list[tuple[int, int]]:
    """Spans of footnote reference numbers glued to words or years ("Wales2.", "2011/121")."""
    if not notes:
        return []
    spans = []
    patterns = [
        r"(?<=[a-z\)])(\d{1,2})(?=[\s.,;:)]|$)",  # Wales2. / Dashboard7,
        r"(?<=\d{4}/\d\d)(\d{1,2})(?=[\s.,;:]|$)",  # 2011/121
        r"(?<=\b20\d\d)(\d{1,2})(?=[.,;:]|$)",  # 201711.
        r"(?<=%\.)(\d{1,2})(?=\s)",  # 63%.5 The
    ]
    for pat in patterns:
        for m in re.finditer(pat, text):
            if m.group(1) in notes:
                spans.append((m.start(1), m.end(1)))
    return spans


def clean_pieces(
    source: str, pieces: list[tuple[int, int]], notes: set[str], known: Container[str] = frozenset()
) -> tuple[str, tuple[int, ...]]:
    """Join raw line pieces into cleaned text, keeping the source offset of every character.

    A word broken by a hyphen at a line's end is rejoined without it when the whole word is one of `known`
    ("Visi-" / "tors": "Visitors"), and keeps its hyphen otherwise ("pan-" / "London": "pan-London"); the
    hyphen and the line break are dropped from the text, never from the source, so every character kept
    still has its exact offset."""
    chars: list[str] = []
    offs: list[int] = []
    prev_end = 0
    for start, end in pieces:
        seg = source[start:end]
        drop = [False] * len(seg)
        m = BULLET_RE.match(seg)
        if m:
            for j in range(m.end()):
                drop[j] = True
        for lm in _MD_LINK_RE.finditer(seg):
            for j in range(lm.start(), lm.start(1)):
                drop[j] = True
            for j in range(lm.end(1), lm.end()):
                drop[j] = True
        for a, b in _footnote_marks(seg, notes):
            for j in range(a, b):
                drop[j] = True
        kept = [(c, start + j) for j, c in enumerate(seg) if not drop[j]]
        # collapse whitespace and trim
        line_chars: list[tuple[str, int]] = []
        for c, o in kept:
            if c.isspace() or c in "\u200b\ufeff":
                if line_chars and line_chars[-1][0] != " ":
                    line_chars.append((" ", o))
            else:
                line_chars.append((c, o))
        while line_chars and line_chars[-1][0] == " ":
            line_chars.pop()
        if not line_chars:
            continue
        if chars:
            prev = chars[-1]
            first = line_chars[0][0]
            hyphen_join = prev == "-" and len(chars) > 1 and chars[-2].isalpha() and first.isalpha()
            if hyphen_join and _rejoins(chars, line_chars, known):
                chars.pop()  # the hyphen of a word broken at the line's end
                offs.pop()
            if not hyphen_join and prev != " ":
                chars.append(" ")
                offs.append(
                    prev_end if prev_end < len(source) and source[prev_end].isspace() else offs[-1] + 1
                )
        for c, o in line_chars:
            chars.append(c)
            offs.append(o)
        prev_end = end
    return "".join(chars), tuple(offs)


def _rejoins(chars: list[str], line_chars: list[tuple[str, int]], known: Container[str]) -> bool:
    """`chars` ends in "<letters>-" and `line_chars` starts with letters: whether those letters joined make a
    word of `known`. A word already hyphenated before ("cross-bor-" / "der") keeps its hyphen."""
    k = len(chars) - 1
    while k > 0 and chars[k - 1].isalpha():
        k -= 1
    if k > 0 and chars[k - 1] == "-":
        return False
    head = "".join(chars[k:-1])
    tail = "".join(c for c, _ in itertools.takewhile(lambda x: x[0].isalpha(), line_chars))
    return (head + tail).lower() in known
