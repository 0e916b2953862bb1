"""What a figure counts, read widely (`counted`): the noun phrase after it run on through "of" and "and",
or what "the number of ..." before it names, for comparing it with an asked measure."""

from __future__ import annotations

import re

from reportqa.figures.measures import lexicon
from reportqa.figures.reading import _MONTHS, _WORD, Figure

_SERVICE_NUMBER = re.compile(r"\s*(?:calls?|number|line)\b", re.I)
_CHAIN = frozenset({"of", "and", "&"})


def counted(text: str, figure: Figure, max_words: int = 8) -> str | None:
    """What a figure counts, read more widely than `Figure.counts` for comparing it with an asked measure:
    the noun phrase after the figure runs on through "of" and "and" while words follow ("4,825 pieces of
    correspondence", "59 old and underutilised police buildings", "53 Freedom of Information requests");
    a figure with no words after it counts what "the number of ..." (or "the proportion of ...") before it
    names ("The number of murders has fallen, from 144 in 2008 to 111"). None for a service number, not a
    figure ("999 calls")."""
    lex = lexicon()
    rest = text[figure.end:]
    if figure.kind == "count" and figure.text in ("999", "101", "111") and _SERVICE_NUMBER.match(rest):
        return None
    if re.match(r"\s+of\s+", rest):
        rest = re.sub(r"^\s+of\s+(?:the\s+|these\s+|those\s+|its\s+|their\s+)?", " ", rest)
    toks = _WORD.findall(rest)
    words: list[str] = []
    if figure.kind == "percent" and len(toks) > 1 and re.fullmatch(r"[\d,]+", toks[0]) and re.match(
            r"[A-Za-z]", toks[1]):
        words.append(toks.pop(0))  # a share of a number of things: "91 per cent of 999 calls"
    for i, tok in enumerate(toks):
        low = tok.lower()
        if not re.match(r"[A-Za-z&]", tok):
            break
        if low in _CHAIN:
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            if not words or not re.match(r"[A-Za-z]", nxt) or nxt.lower() in lex.stop_after:
                break
            words.append(tok)
            continue
        if low in lex.stop_after or (low.endswith("ing") and low not in lex.ing_nouns) or low in _MONTHS:
            break
        words.append(tok)
        if len(words) == max_words:
            break
    while words and words[-1].lower() in _CHAIN:
        words.pop()
    phrase = " ".join(words)
    before = text[: figure.start]
    number_of = re.findall(r"(?i)\b(?:the\s+)?(?:total\s+)?(?:numbers?|proportion|share|percentage)\s+of\s+"
                           r"([A-Za-z][\w'’ -]{2,60}?)"
                           r"(?=\s+(?:has|have|had|is|was|were|are|fell|rose|stood|reduced|increased|"
                           r"decreased|dropped)\b)", before)
    if number_of and (not phrase or figure.kind == "count" and len(words) <= 1):
        phrase = (phrase + " " + number_of[-1]).strip()
    return phrase or figure.counts
