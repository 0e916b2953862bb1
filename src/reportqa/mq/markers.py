"""Earlier-question references, quotations and part markers ((a), ii), 1., bullets) in a tabled question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.mq.grammar import _WH_WORDS
from reportqa.years import (
    is_financial_year,
)

_REF_NUM = r"(20\d\d)\s*/\s*(\d{1,5})\b"
_REF_PHRASE = re.compile(
    r"(?i)\b(?:further|following(?:\s+up)?|with\s+reference|in\s+relation|referring|in\s+reference|"
    r"in\s+addition)\s+"
    r"(?:on\s+)?(?:to\s+)?(?:my|the\s+mayor'?s|the|your|a)?\s*(?:(?:mayor'?s|written|oral|previous|earlier|"
    r"last)\s+)*"
    r"(?:question|answer|mq)s?\s*(?:no\.?|number|ref\.?)?\s*" + _REF_NUM + r"[,:;]?\s*"
)
_REF_NAMED = re.compile(
    r"(?i)\b(?:(?:mayor'?s\s+)?question|answer|mq)\s*(?:no\.?|number|ref\.?)?[:.]?\s*" + _REF_NUM
)
_REF_BARE = re.compile(r"(?<![\d/])" + _REF_NUM + r"(?!\s*[/\-–]\d)")


EARLIER = "an earlier question"  # what a reference to an earlier question reads as while parts are read


def _take_references(text: str, originals: list[str] | None = None) -> tuple[str, list[str]]:
    """`text` with references to earlier questions taken out ("further to my question 2014/3765") or read
    as `EARLIER` ("in question 2022/0036"), and the references. `originals` collects, in text order, the
    words each `EARLIER` stands for, so a part can be shown as tabled."""
    refs: list[str] = []

    def keep(m: re.Match[str], replacement: str) -> str:
        ref = f"{m.group(1)}/{m.group(2)}"
        if ref not in refs:
            refs.append(ref)
        if replacement and originals is not None:
            originals.append(m.group(0))
        return replacement

    text = _REF_PHRASE.sub(lambda m: keep(m, ""), text)
    text = _REF_NAMED.sub(lambda m: keep(m, EARLIER), text)
    text = _REF_BARE.sub(
        lambda m: m.group(0) if is_financial_year(m.group(1), m.group(2)) else keep(m, EARLIER),
        text,
    )
    return text, refs


_QUOTE_RE = re.compile(r"“[^”]{1,6000}”|\"[^\"]{1,6000}\"|(?m:^[ \t]*>.*(?:\n[ \t]*>.*)*)")
QUOTED = "[quoted]"


def _single_quoted(text: str) -> list[tuple[int, int]]:
    """Spans of ‘...’ and '...' quotations, told from apostrophes (Mayor’s) in one linear pass."""
    spans: list[tuple[int, int]] = []
    for open_ch, close_ch in (("‘", "’"), ("'", "'")):
        n = len(text)
        opens = [i for i, c in enumerate(text) if c == open_ch and (i == 0 or not text[i - 1].isalnum())
                 and i + 1 < n and not text[i + 1].isspace()]
        closes = [i for i, c in enumerate(text) if c == close_ch and (i + 1 == n or not text[i + 1].isalnum())
                  and i > 0 and not text[i - 1].isspace()]
        j = 0
        end = -1
        for o in opens:
            if o <= end:
                continue
            while j < len(closes) and closes[j] <= o:
                j += 1
            if j == len(closes):
                break
            end = closes[j]
            spans.append((o, end + 1))
    return sorted(spans)


def _take_quotes(text: str) -> tuple[str, list[str]]:
    """Long quotations (an earlier answer, a report) out of the way: their asks are not ours."""
    quotes: list[str] = []

    def long_quote(q: str) -> bool:
        inner = q.strip("“”\"‘’'> \t\n")
        if len(inner.split()) >= 8 or "?" in inner or _MARKER_ANY.search(inner) or q.lstrip().startswith(">"):
            quotes.append(re.sub(r"\s+", " ", inner).strip())
            return True
        return False

    text = _QUOTE_RE.sub(lambda m: QUOTED if long_quote(m.group(0)) else m.group(0), text)
    pieces: list[str] = []
    at = 0
    for a, b in _single_quoted(text):
        if a >= at and long_quote(text[a:b]):
            pieces += [text[at:a], QUOTED]
            at = b
    text = "".join(pieces) + text[at:]
    # "... the Mayor said [quoted] How many ...": the quotation ended a sentence
    return re.sub(re.escape(QUOTED) + r"(?=\s+[A-Z])", QUOTED + ".", text), quotes


# -- markers --------------------------------------------------------------------------------------

_V = r"(?P<v>[A-Za-z]|[ivxIVX]{2,5}|\d{1,2})"
_BEFORE = r"(?<![^\s:;,.?!—–\-])"
_MARKER_RES = {
    "paren": re.compile(_BEFORE + r"\(" + _V + r"\)(?=\s)"),
    "half": re.compile(_BEFORE + _V + r"\)(?=\s)"),
    "dot": re.compile(r"(?m)^[ \t]*" + _V + r"[.:](?=[ \t])"),
    "bullet": re.compile(r"(?m)^[ \t]*(?P<v>[-•*·–▪◦●])[ \t]+"),
}
_MARKER_ANY = re.compile(r"(?<![^\s:;,.?!])\(?(?:[a-h]|i{1,3}|iv|\d)\)\s")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
          "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17, "xviii": 18, "xix": 19,
          "xx": 20}


@dataclass(frozen=True)
class _Marker:
    start: int  # where the marker starts
    end: int  # where the part's text starts
    raw: str
    style: str = ""


def _value(scheme: str, raw: str) -> int | None:
    r = raw.lower()
    if scheme == "letter":
        return ord(r) - 96 if len(r) == 1 and r.isalpha() else None
    if scheme == "roman":
        return _ROMAN.get(r)
    if scheme == "number":
        return int(r) if r.isdigit() else None
    return None


def _find_markers(text: str) -> tuple[str, list[_Marker]]:
    """The list scheme whose first marker comes first: letters, roman numerals, numbers or bullets."""
    found: list[_Marker] = []
    for name, rx in _MARKER_RES.items():
        if name == "bullet":
            continue
        for m in rx.finditer(text):
            found.append(_Marker(m.start(), m.end(), m.group("v"), name))
    found.sort(key=lambda m: m.start)
    best: tuple[str, list[_Marker]] = ("", [])
    lone: tuple[str, list[_Marker]] = ("", [])
    for scheme in ("letter", "roman", "number"):
        taken: list[_Marker] = []
        for mk in found:
            if _value(scheme, mk.raw) == len(taken) + 1 and (not taken or mk.start >= taken[-1].end):
                taken.append(mk)
        if len(taken) >= 2 and (not best[1] or taken[0].start < best[1][0].start):
            best = (scheme, taken)
        elif len(taken) == 1 and scheme == "letter" and taken[0].style == "paren" and taken[0].raw == "a":
            lone = (scheme, taken)  # a lone "(a)" still opens a list; a lone "(1)" is often a title's number
    if not best[1] and lone[1]:
        best = lone
    bullets = [_Marker(m.start(), m.end(), "•") for m in _MARKER_RES["bullet"].finditer(text)]
    if bullets and (not best[1] or bullets[0].start < best[1][0].start):
        best = ("bullet", bullets)
    return best


# a marker right after one of these words lists what the sentence is about, not separate asks
_LIST_LEAD = frozenset(("by", "per"))  # "broken down by i) borough and ii) unit": dimensions of one figure


def _inline_list(text: str, markers: list[_Marker]) -> bool:
    """Markers inside one sentence after a preposition, each item a short phrase with no question mark."""
    before = text[: markers[0].start].rstrip()
    last = before.split()[-1].lower().strip(",") if before.split() else ""
    if last not in _LIST_LEAD:
        return False
    items = [text[m.end : (markers[i + 1].start if i + 1 < len(markers) else len(text))]
             for i, m in enumerate(markers)]
    return all(len(it.split()) <= 8 and "?" not in it.rstrip()[:-1]
               and not (set(it.lower().split()) & _WH_WORDS) for it in items[:-1])


def _tabled(scheme: str, text: str, marker: _Marker) -> str:
    """The marker as the question writes it: "(a)", "ii)", "1."; "" for a bullet."""
    return "" if scheme == "bullet" else text[marker.start : marker.end].strip()


def _label(scheme: str, marker: _Marker, n: int) -> str:
    if scheme == "bullet":
        return f"•{n}"
    return marker.raw.lower() if scheme in ("letter", "roman") else marker.raw
