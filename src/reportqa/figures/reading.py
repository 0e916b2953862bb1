"""Reading the figures a sentence states (`figures_in`): each with its unit (%, £ or the count noun), how
the report hedges it ("over"), what it counts in the report's own words ("body worn video cameras"; for a
percentage or a sum of money, what comes before it: "current confidence"), and whether it is stated as a
change; counts written as words (`worded_figures`); the figures of a table row read under its headers
(`row_figures`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reportqa.answer.features import fold
from reportqa.figures.measures import Lexicon, lexicon
from reportqa.years import FY_RE, mentions

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_NUMBER = re.compile(
    r"(?<![\w.£,/-])(£\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    r"(\s?(?:%|per\s?cent\b|percent\b|percentage points?\b|m\b|bn\b|k\b|million\b|billion\b))?"
    r"(?![\w/]|,\d|\.\d)",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’&-]*|\d[\d,.]*|[^\sA-Za-z\d]")
_DURATIONS = ("week", "month", "year", "day", "hour", "minute", "second", "weekly", "monthly")
_PLACE_PREPOSITIONS = ("in", "at", "on", "across", "within", "throughout")
_SCALE = {"m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9, "k": 1e3}


@dataclass(frozen=True)
class Figure:
    text: str  # as written: "22,000", "£294m", "63%", "51 per cent"
    value: float  # money in pounds
    kind: str  # count | percent | money
    unit: str  # "%", "£", or the count noun as written, lower-cased ("cameras")
    qualifier: str  # "over", "around", ... or ""
    counts: str  # what it counts, in the report's words
    head: str  # the word compared between years: the counted noun, singular, lower-case
    start: int  # offsets of `text` in the sentence
    end: int
    change: bool  # stated as a change: "by 18%", "2,600 additional officers"

    @property
    def shown(self) -> str:
        return f"{self.qualifier} {self.text}".strip()


def _year_spans(text: str) -> list[tuple[int, int]]:
    spans = [(m.start, m.end) for m in mentions(text)]
    spans += [(m.start(), m.end()) for m in FY_RE.finditer(text)]
    return spans


def _singular(word: str) -> str:
    w = word.lower().replace("’", "'").strip("'")
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def _head(words: Sequence[str], generic: frozenset[str]) -> str:
    ws = [w for w in words if re.match(r"[A-Za-z]", w)]
    while len(ws) > 1 and ws[-1].lower() in generic:
        ws = ws[:-1]
    return _singular(ws[-1].split("-")[-1]) if ws else ""


def head_of(counts: str) -> str:
    """The word two years' counts are compared on: 'body-worn video cameras' -> 'camera'."""
    return _head(counts.split(), lexicon().generic_heads) if counts else ""


def _after(text: str, lex: Lexicon) -> list[str]:
    """The noun phrase right after a figure: up to `max_words` words, ending at punctuation or a stop word."""
    words: list[str] = []
    for tok in _WORD.findall(text):
        low = tok.lower()
        if not re.match(r"[A-Za-z]", tok):
            break
        if low in lex.stop_after or (low.endswith("ing") and low not in lex.ing_nouns) or low in _MONTHS:
            break
        words.append(tok)
        if len(words) == lex.max_words:
            break
    return words


def _before(text: str, lex: Lexicon) -> list[str]:
    """What a percentage or a sum counts: the words before it, from the start of its clause, without the
    linking words at the end ("current confidence stands at" -> "current confidence")."""
    pieces = re.split(r"([,;:()\[\]–—]|\s-\s|\.\s)", text)
    if len(pieces) > 2 and not re.search(r"[A-Za-z]", pieces[-1]):
        if pieces[-2] != "(":
            # the figure opens its clause ("..., £2.5m to improve"): what comes before is not its subject
            return []
        pieces = pieces[:-2]  # a figure in brackets counts what the brackets follow: "increased (+5%)"
    clause = pieces[-1]
    words = [w for w in _WORD.findall(clause) if re.match(r"[A-Za-z]", w)]
    for i in range(len(words) - 1, -1, -1):
        if words[i].lower() in lex.clause_start:
            words = words[i + 1 :]
            break
    # the subject: what comes before the clause's verb ("crime overall increased", "confidence stands at")
    verb = next((i for i, w in enumerate(words) if w.lower() in lex.link_verbs), None)
    if verb:
        words = words[:verb]

    def trim(ws: list[str]) -> list[str]:
        while ws and (ws[-1].lower() in lex.link_words or ws[-1].lower() in lex.qualifiers):
            ws = ws[:-1]
        while ws and ws[0].lower() in lex.link_words:
            ws = ws[1:]
        return ws

    words = trim(words)
    # a place or time after the counted words is not what is counted: "numbers high in London" -> "numbers"
    for i in range(len(words) - 1, 0, -1):
        if words[i].lower() in _PLACE_PREPOSITIONS and trim(words[:i]):
            words = trim(words[:i])
            break
    return trim(words[-lex.max_words :])


def _qualifier(before: str, lex: Lexicon) -> str:
    low = before.lower().rstrip()
    for q in lex.qualifiers:
        if low.endswith(" " + q) or low == q:
            return before.rstrip()[-len(q) :]
    return ""


def figures_in(text: str) -> list[Figure]:
    """Every figure a sentence states, in order: not years, days of a month, or numbers that name things."""
    lex = lexicon()
    years = _year_spans(text)
    periods = [m.span() for k in lex.periods for p in k.patterns for m in p.finditer(text)]
    out: list[Figure] = []
    for m in _NUMBER.finditer(text):
        a, b = m.span()
        if any(s <= a < e for s, e in years):
            continue
        pound, digits, frac, suffix = m.group(1), m.group(2), m.group(3) or "", (m.group(4) or "").strip()
        bare = not pound and not suffix and not frac and "," not in digits
        if bare and re.fullmatch(r"(19|20)\d\d", digits):
            continue  # a year
        if bare and any(s <= a < e for s, e in periods):
            continue  # "12 months to ...", "the past two years"
        prev = re.findall(r"[A-Za-z]+", text[max(0, a - 20) : a])
        nxt = text[b : b + 12].lstrip().lower()
        if prev and prev[-1].lower() in lex.not_after and not pound:
            continue
        if (
            bare
            and prev
            and text[a - len(prev[-1]) - 1 : a].strip() == prev[-1]
            and re.fullmatch(r"[A-Z]{2,}", prev[-1])
        ):
            continue  # "MOPAC 7", "COVID 19": part of a name
        if bare and (nxt.startswith(_MONTHS) or (prev and prev[-1].lower() in _MONTHS)):
            continue  # "31 March", "March 31"
        if bare and re.match(r"(st|nd|rd|th)\b", text[b : b + 3]):
            continue
        value = float(digits.replace(",", "") + frac)
        low = suffix.lower().replace(" ", "")
        if pound:
            kind, unit = "money", "£"
            value *= _SCALE.get(low, 1.0)
        elif low in ("%", "percent") or low.startswith("percentagepoint"):
            kind, unit = "percent", "%"
        elif low in _SCALE:
            kind, unit = "count", ""
            value *= _SCALE[low]
        else:
            kind, unit = "count", ""
        rest = text[b:]
        after = _after(rest, lex)
        if not after and re.match(r"\s+of\s+", rest):  # "91 per cent of 999 calls", "50,000 of these victims"
            after = _after(re.sub(r"^\s+of\s+(?:the\s+|these\s+|those\s+|its\s+|their\s+)?", "", rest), lex)
        if kind != "count" and after and after[0][:1].isupper():
            after = []  # "£2m CATCH already received": a clause about a name, not what the sum is
        if kind == "count" and after and value > 1 and after[0].lower() in _DURATIONS:
            continue  # "a 12 week consultation": a length of time, not a count
        words = after if after and kind == "count" else (after or _before(text[:a], lex))
        if kind == "count" and not words:
            words = _before(text[:a], lex)
        counts = " ".join(words)
        if kind == "count" and not counts:
            continue  # a number that counts nothing the sentence names
        if _is_baseline(text, a, b, lex):
            continue
        if kind == "count":
            unit = (after[-1].lower() if after else "") or "count"
        out.append(
            Figure(
                text=text[a:b].strip(),
                value=value,
                kind=kind,
                unit=unit,
                qualifier=_qualifier(text[:a], lex),
                counts=counts,
                head=_head(words, lex.generic_heads),
                start=a,
                end=b,
                change=_is_change(text, a, b, lex),
            )
        )
    return out


_NUMBER_WORDS = {w: float(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_NUMBER_WORD = re.compile(r"(?i)\b(" + "|".join(list(_NUMBER_WORDS)[2:]) + r")\b")


def worded_figures(text: str) -> list[Figure]:
    """Counts written as words, two to twelve ("two dedicated ward officers"), each with what it counts (the
    noun phrase after it, as `figures_in` reads one); a word with no noun phrase after it is not a count.
    Kept apart from `figures_in`, whose figures trends compare year by year."""
    lex = lexicon()
    out: list[Figure] = []
    for m in _NUMBER_WORD.finditer(text):
        after = _after(text[m.end():], lex)
        if not after or after[0].lower() in _DURATIONS or after[0].lower().rstrip("s") in _DURATIONS:
            continue
        out.append(Figure(text=m.group(1), value=_NUMBER_WORDS[m.group(1).lower()], kind="count",
                          unit=after[-1].lower(), qualifier="", counts=" ".join(after),
                          head=_head(after, lex.generic_heads), start=m.start(1), end=m.end(1), change=False))
    return out


def _is_baseline(text: str, a: int, b: int, lex: Lexicon) -> bool:
    window = fold(text[max(0, a - 30) : b + 60])
    fig = re.escape(fold(text[a:b]).strip())
    return any(re.search(p.replace("<FIG>", fig), window, re.I) for p in lex.baseline)


def _is_change(text: str, a: int, b: int, lex: Lexicon) -> bool:
    window = fold(text[max(0, a - 40) : b + 30])
    fig = re.escape(fold(text[a:b]).strip())
    for k in lex.bases:
        if k.local and any(re.search(s.replace("<FIG>", fig), window, re.I) for s in k.sources):
            return True
    return False


# -- table rows ---------------------------------------------------------------------------------------------


def row_figures(reading: str, cells: Sequence[str], headers: Sequence[str],
                spans: Sequence[tuple[int, int]]) -> list[Figure]:
    """The figures of a table row read under its headers (`layout.read_row`: the reading "Borough Barnet:
    Burglary 1,234; Robbery 567", its cells, their column headers and their spans in the reading): only those
    in a cell after the row label, each read from its cell alone and counting what its row label and its
    column header name ("Barnet, Burglary"; a column header with no word, or only a generic one such as
    "Figure" or "2019", adds nothing), then the cell's own noun ("Lighthouse, Survivors: 1,200 children").
    What a row's figure counts is what its headers say, never the words of another cell or of the row's
    neighbours."""
    lex = lexicon()
    out: list[Figure] = []
    lead = "Figure "  # a cell is read on its own: "890" under "2020" counts what the headers say
    for k in range(1, min(len(cells), len(spans))):
        header = headers[k] if k < len(headers) else ""
        named = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", header) if w.lower() not in lex.generic_heads]
        under = f"{cells[0]}, {header}" if named else cells[0]
        at = spans[k][0] - len(lead)
        for f in figures_in(lead + reading[spans[k][0] : spans[k][1]]):
            own = f.counts if f.counts != lead.strip() else ""  # the cell's own noun: "1,200 children"
            counts = f"{under}: {own}" if own else under
            head = f.head if own else _head(re.findall(r"[A-Za-z][A-Za-z'’-]*", under), lex.generic_heads)
            out.append(replace(f, counts=counts, head=head, start=f.start + at, end=f.end + at))
    return out
