"""One tokenizer/normaliser shared by BM25 indexing and querying; sentences; numbers; years."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

_STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves also please tell me give many much did does make made get got take took
    go went say said happen happened provide provided""".split()
)

# Abbreviations after which a full stop does not end a sentence.
_ABBREV = (
    "Mr", "Mrs", "Ms", "Dr", "Sir", "St", "No", "Rt", "Hon", "Op", "vs", "e.g", "i.e", "etc", "approx", "Co",
)
_SENT_END = re.compile(r"(?<=[.!?])([”\"’)]?)\s+(?=[“\"‘(]?[A-Z0-9£])")

_TOKEN_RE = re.compile(r"£?\d[\d,]*(?:\.\d+)?(?:%|m|bn|k)?|[A-Za-z][A-Za-z'’]*")


def normalise(text: str) -> str:
    t = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    t = t.replace("–", "-").replace("—", "-").replace("\xa0", " ")
    return t


class _Stemmer(Protocol):
    """PyStemmer's Stemmer, as used here."""

    def stemWord(self, word: str) -> str: ...


@lru_cache(maxsize=1)
def _stemmer() -> _Stemmer | None:
    try:
        import Stemmer  # PyStemmer, installed with bm25s

        stemmer: _Stemmer = Stemmer.Stemmer("english")  # PyStemmer has no type hints
        return stemmer
    except ImportError:  # pragma: no cover - the lock file installs it
        return None


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words and normalised numbers, for BM25 at index and query time."""
    t = normalise(text).lower()
    t = re.sub(r"(\d)\s*per\s*cent", r"\1%", t)
    t = re.sub(r"(\d)\s*(million)\b", r"\1m", t)
    t = re.sub(r"(\d)\s*(billion)\b", r"\1bn", t)
    words = []
    for tok in _TOKEN_RE.findall(t):
        if tok[0].isdigit() or tok[0] == "£":
            words.append(number_key(tok))
            continue
        tok = tok.strip("'")
        if tok.endswith("'s"):
            tok = tok[:-2]
        if tok in _STOP or len(tok) < 2 and not tok.isdigit():
            continue
        words.append(tok)
    stem = _stemmer()
    if stem is not None:
        words = [w if w[0].isdigit() or w[0] == "£" else stem.stemWord(w) for w in words]
    return words


def number_key(tok: str) -> str:
    """'£1,200' -> '£1200'; '19 per cent' handled upstream; trailing punctuation dropped."""
    return tok.replace(",", "").rstrip(".")


# -- numbers -------------------------------------------------------------------------------

_NUM_RE = re.compile(
    r"(?<![\w.])£?\d+(?:,\d{3})*(?:\.\d+)?(?:\s?(?:%|per cent|m\b|bn\b|million\b|billion\b|k\b))?",
    re.I,
)


def numbers_in(text: str) -> set[str]:
    """Canonical forms of the figures a text states: '19 per cent' and '19%' both give '19%'.

    Small counting words are not figures; years count, so a wrong year is caught too.
    """
    out: set[str] = set()
    for m in _NUM_RE.finditer(normalise(text)):
        out.add(canonical_number(m.group(0)))
    return out


def canonical_number(raw: str) -> str:
    s = raw.lower().replace(",", "").replace(" ", "")
    s = s.replace("percent", "%").replace("million", "m").replace("billion", "bn")
    s = s.lstrip("£")
    if "." in s:
        head, _, tail = s.partition(".")
        digits = re.match(r"\d+", tail)
        if digits:
            frac = digits.group(0).rstrip("0")
            rest = tail[digits.end() :]
            s = head + ("." + frac if frac else "") + rest
    return s


def unsupported_numbers(answer: str, evidence: str) -> set[str]:
    """Figures stated in `answer` that appear nowhere in `evidence`."""
    have = numbers_in(evidence)
    bare = {re.sub(r"[^\d.]", "", n) for n in have}
    missing = set()
    for n in numbers_in(answer):
        if n in have:
            continue
        if re.sub(r"[^\d.]", "", n) in bare and not n.endswith(("%", "m", "bn")):
            continue
        missing.add(n)
    return missing


# -- sentences -----------------------------------------------------------------------------


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences in cleaned text. Never splits inside a number or a name."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.start() + len(m.group(1))  # keep a closing quote with its sentence
        words = text[start : m.start()].split()
        last = words[-1].rstrip(".!?") if words else ""
        if last in _ABBREV or (len(last) == 1 and last.isupper()):
            continue
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    tail = text[start:].rstrip()
    if tail.strip():
        spans.append((start, start + len(tail)))
    return spans


def content_words(text: str) -> set[str]:
    return {w for w in tokenize(text) if not w[0].isdigit()}


# terminal escape sequences pasted with text: colour codes ("\x1b[31m") and titles ("\x1b]0;...\x07")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def clean_control(text: str) -> str:
    """Pasted text made safe to read: terminal escape sequences removed whole (not just their ESC, which
    left "[31m" behind), control and lone surrogate characters (which no encoder takes) as spaces, and
    format characters (zero-width space, joiners, direction marks) removed, so a zero-width space inside
    "address" cannot hide the word. Newlines and tabs are kept."""
    text = _ANSI.sub("", text)
    return "".join("" if unicodedata.category(c) == "Cf" else
                   " " if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" else c for c in text)


def looks_foreign(text: str, known: Callable[[str], bool]) -> bool:
    """Whether `text` reads as another language than English: at least four words, none of them an English
    function word ("the", "how", "of", ...), and fewer than a quarter of them known to `known` (given a word
    in lower case: the reports' vocabulary, misspellings allowed). "Faint o swyddogion heddlu sydd gan
    Heddlu Llundain?" is foreign; keyword queries ("Brexit impact Heathrow smuggling") and mistyped English
    ("Hw mny offcers dose teh Met hav") are not. Kept strict: a foreign question let through only ends in
    "the reports don't say", while an English one turned away is lost."""
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text.casefold())
    if len(words) < 4 or any(w in _STOP for w in words):
        return False
    return sum(1 for w in words if known(w)) < len(words) / 4


_BULLET = re.compile(r"^[-•*·–▪◦●]\s+")


def strip_bullet(line: str) -> str:
    """A list item without its own bullet mark ("- Robbery" -> "Robbery"), for a caller that adds one."""
    return _BULLET.sub("", line)
