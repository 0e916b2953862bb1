"""Figures in report sentences, read with the words of lexicon/measures.toml: pure functions (no I/O but
that file).

- `trend_question`: whether a question asks how a measure changed across the reports, the measure it names and
  the report years it restricts the trace to;
- `figures_in`: every figure a sentence states (not years, dates or names such as "Section 136"), with its
  unit (%, £ or the count noun), how the report hedges it ("over"), and what it counts in the report's own
  words ("body worn video cameras"; for a percentage or a sum of money, what comes before it: "current
  confidence");
- `period_of`: the period a sentence says its figure covers ("In 2015/16", "12 months to January 2024");
- `basis_of`: whether the figure was planned, a target, a forecast, a change, an amount raised, a
  headcount...;
- `difference`: why two years' figures are not comparable, in one line ("" when they are).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from reportqa.answer.features import fold
from reportqa.text import tokenize
from reportqa.years import FY_RE, mentions

__all__ = [
    "Figure",
    "Kind",
    "Lexicon",
    "Period",
    "Reading",
    "TrendQuestion",
    "basis_of",
    "difference",
    "figures_in",
    "head_of",
    "lexicon",
    "measure_kind",
    "measure_words",
    "period_of",
    "phrase_match",
    "row_figures",
    "trend_question",
]


class MeasuresError(ValueError):
    """lexicon/measures.toml is malformed."""


@dataclass(frozen=True)
class Kind:
    """A period kind or a basis: a name, a label for reasons, its patterns and examples."""

    name: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    kind: str = ""  # for a basis: plan | actual | change
    local: bool = False  # a basis matched only around the figure (its patterns hold <FIG>)
    exclusive: bool = False  # a basis that differs from any other exclusive basis
    sources: tuple[str, ...] = ()  # the patterns as written (the local ones need the figure put in)
    short: str = ""  # a basis named on its own: "a forecast", "headcount"
    money_only: bool = False  # a basis only a sum of money can have


@dataclass(frozen=True)
class Lexicon:
    min_score: float
    phrase_weight: float
    change_penalty: float
    k: int
    candidates: int
    detect: tuple[re.Pattern[str], ...]
    detect_not: tuple[re.Pattern[str], ...]
    detect_must: tuple[str, ...]
    detect_must_not: tuple[str, ...]
    strip: tuple[re.Pattern[str], ...]
    qualifiers: tuple[str, ...]
    not_after: frozenset[str]
    stop_after: frozenset[str]
    ing_nouns: frozenset[str]
    clause_start: frozenset[str]
    link_words: frozenset[str]
    link_verbs: frozenset[str]
    generic_heads: frozenset[str]
    max_words: int
    baseline: tuple[str, ...]
    periods: tuple[Kind, ...]
    bases: tuple[Kind, ...]
    measure_kinds: tuple[Kind, ...] = ()  # the kind of figure a measure is (count, percent, money), if said

    def period(self, name: str) -> Kind:
        return next(p for p in self.periods if p.name == name)

    def basis(self, name: str) -> Kind:
        return next(b for b in self.bases if b.name == name)


STATED = Kind("stated", "as stated", (), (), (), kind="actual", short="an actual figure")
UNSTATED = Kind("unstated", "no stated period", (), (), ())


def _rx(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.I)
    except re.error as exc:
        raise MeasuresError(f"{where}: bad regex {pattern!r}: {exc}") from exc


def _strs(raw: Any, where: str, min_items: int = 1) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) < min_items or not all(isinstance(v, str) and v for v in raw):
        raise MeasuresError(f"{where} must be a list of at least {min_items} non-empty strings")
    return tuple(raw)


def _kinds(raw: Any, where: str, basis: bool) -> tuple[Kind, ...]:
    if not isinstance(raw, list) or not raw:
        raise MeasuresError(f"no [[{where}]] tables")
    out = []
    for t in raw:
        name = t.get("name")
        w = f"{where}.{name}"
        sources = _strs(t.get("patterns"), f"{w}.patterns")
        local = bool(t.get("local", False))
        if local and not all("<FIG>" in s for s in sources):
            raise MeasuresError(f"{w}: every pattern of a local basis needs <FIG>")
        pats = tuple(_rx(s.replace("<FIG>", r"\d"), w) for s in sources)
        kind = str(t.get("kind", ""))
        if basis and kind not in ("plan", "actual", "change"):
            raise MeasuresError(f"{w}: kind must be plan, actual or change")
        out.append(
            Kind(
                str(name),
                str(t.get("label", name)),
                pats,
                _strs(t.get("must"), f"{w}.must", 2),
                _strs(t.get("must_not"), f"{w}.must_not", 2),
                kind,
                local,
                bool(t.get("exclusive", False)),
                sources,
                str(t.get("short", t.get("label", name))),
                bool(t.get("money_only", False)),
            )
        )
    return tuple(out)


def parse(text: str) -> Lexicon:
    """A checked, compiled lexicon from the text of measures.toml."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MeasuresError(f"not valid TOML: {exc}") from exc
    try:
        return _lexicon(data)
    except MeasuresError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MeasuresError(f"malformed: {type(exc).__name__} {exc}") from exc


def _lexicon(data: dict[str, Any]) -> Lexicon:
    sel, det, fig = data.get("select", {}), data.get("detect", {}), data.get("figure", {})
    return Lexicon(
        min_score=float(sel["min_score"]),
        phrase_weight=float(sel["phrase_weight"]),
        change_penalty=float(sel["change_penalty"]),
        k=int(sel["k"]),
        candidates=int(sel["candidates"]),
        detect=tuple(_rx(p, "detect.patterns") for p in _strs(det.get("patterns"), "detect.patterns")),
        detect_not=tuple(
            _rx(p, "detect.not_patterns") for p in _strs(det.get("not_patterns"), "detect.not_patterns")
        ),
        detect_must=_strs(det.get("must"), "detect.must", 8),
        detect_must_not=_strs(det.get("must_not"), "detect.must_not", 8),
        strip=tuple(_rx(p, "detect.strip") for p in _strs(det.get("strip"), "detect.strip")),
        qualifiers=tuple(sorted(_strs(fig.get("qualifiers"), "figure.qualifiers"), key=len, reverse=True)),
        not_after=frozenset(_strs(fig.get("not_after"), "figure.not_after")),
        stop_after=frozenset(_strs(fig.get("stop_after"), "figure.stop_after")),
        ing_nouns=frozenset(_strs(fig.get("ing_nouns"), "figure.ing_nouns")),
        clause_start=frozenset(_strs(fig.get("clause_start"), "figure.clause_start")),
        link_words=frozenset(_strs(fig.get("link_words"), "figure.link_words")),
        link_verbs=frozenset(_strs(fig.get("link_verbs"), "figure.link_verbs")),
        generic_heads=frozenset(_strs(fig.get("generic_heads"), "figure.generic_heads")),
        max_words=int(fig.get("max_words", 5)),
        baseline=_strs(fig.get("baseline_patterns"), "figure.baseline_patterns"),
        periods=_kinds(data.get("period"), "period", basis=False),
        bases=_kinds(data.get("basis"), "basis", basis=True),
        measure_kinds=_kinds(data.get("measure_kind"), "measure_kind", basis=False),
    )


@cache
def lexicon() -> Lexicon:
    """lexicon/measures.toml, read and compiled once per process."""
    text = resources.files("reportqa").joinpath("lexicon", "measures.toml").read_text(encoding="utf-8")
    try:
        return parse(text)
    except (MeasuresError, KeyError, TypeError, ValueError) as exc:
        raise MeasuresError(f"lexicon/measures.toml: {exc}") from exc


def measure_kind(measure: str) -> str | None:
    """The kind of figure a measure names: "count", "percent" or "money" ("the Met's budget" -> money,
    "officer numbers" -> count, "public confidence" -> percent), or None when its words do not say
    ("knife crime" is counted, and changes as a percentage). The first [[measure_kind]] whose pattern matches
    wins (lexicon/measures.toml)."""
    from reportqa.answer.features import fold

    folded = fold(measure)
    return next((k.name for k in lexicon().measure_kinds if any(p.search(folded) for p in k.patterns)), None)


# -- trend questions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendQuestion:
    measure: str  # what to trace, from the question: "officer numbers"
    years: tuple[str, ...]  # the report years to trace through; () for every report
    named: bool = False  # the question names the years to compare ("compare 2022-23 and 2023-24")


def _start_years(text: str) -> list[int]:
    """The first calendar year of every year, period or bare year a text names."""
    found = [m.first for m in mentions(text)]
    spans = [(m.start, m.end) for m in mentions(text)]
    for m in re.finditer(r"\b(19\d\d|20\d\d)\b", text):
        if not any(a <= m.start() < b for a, b in spans):
            found.append(int(m.group(1)))
    return found


def trend_question(question: str, report_years: Sequence[str]) -> TrendQuestion | None:
    """The measure and years of a question that asks how something changed across the reports, else None.

    `report_years` are the annual reports' financial years ("2014-15", ...): a year named before the first of
    them makes the question a change stated inside one report; report years named narrow the trace to them
    (at least two), and "since 2015" to the reports from 2015-16 on.
    """
    lex = lexicon()
    q = fold(question)
    if not any(p.search(q) for p in lex.detect) or any(p.search(q) for p in lex.detect_not):
        return None
    starts = sorted(int(y[:4]) for y in report_years)
    if not starts:
        return None
    if any(y < starts[0] for y in _start_years(q)):
        return None
    years: tuple[str, ...] = ()
    named = False
    since = re.search(r"\bsince (?:fy\s?)?(20\d\d)\b", q)
    fys = [m.canonical for m in mentions(q) if m.is_year and not m.plan]
    if since and not fys[1:]:
        years = tuple(y for y in sorted(report_years) if int(y[:4]) >= int(since.group(1)))
    elif fys:
        years = tuple(y for y in sorted(report_years) if y in fys)
        if len(years) < 2:
            return None
        named = True
    measure = re.sub(r"\s+", " ", question.replace("’", "'").replace("–", "-").replace("—", "-"))
    for p in lex.strip:
        measure = p.sub(" ", measure)
    measure = re.sub(r"\s+", " ", measure).strip(" ?.!,;:-'\"")
    if not any(not w[0].isdigit() for w in tokenize(measure)):
        return None
    return TrendQuestion(measure, years, named)


# -- figures ------------------------------------------------------------------------------------------------

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


# -- period and basis ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # a [[period]] name, or "unstated"
    text: str  # as the report writes it
    label: str


def period_of(text: str) -> Period:
    """The period a sentence says its figure covers: the first kind (in the lexicon's order) that matches."""
    for k in lexicon().periods:
        for p in k.patterns:
            m = p.search(fold(text))
            if m:
                # the words as the report writes them (folding keeps lengths for this text, else folded words)
                raw = text[m.start() : m.end()] if len(fold(text)) == len(text) else m.group(0)
                return Period(k.name, raw.strip(" ,.;:()"), k.label)
    return Period(UNSTATED.name, "not stated", UNSTATED.label)


def _clause(text: str, a: int, b: int) -> str:
    """The clause around text[a:b]: between the nearest sentence or clause breaks (; : – and full stops)."""
    left = max(text.rfind(c, 0, a) for c in (";", ":", "–", ". ", "(", ")"))
    rights = [i for i in (text.find(c, b) for c in (";", "–", ". ", "(", ")")) if i >= 0]
    return text[left + 1 : min(rights) if rights else len(text)]


def basis_of(text: str, figure: Figure | None = None, context: str = "") -> Kind:
    """What kind of figure it is: the first basis (in the lexicon's order) found near it; "stated" if none.

    A change is read only around the figure; the others in the figure's clause, then in `context` (the
    sentence that introduces a list).
    """
    if figure is not None and figure.change:
        window = fold(text[max(0, figure.start - 40) : figure.end + 30])
        fig = re.escape(fold(text[figure.start : figure.end]).strip())
        for k in lexicon().bases:
            if k.local and any(re.search(src.replace("<FIG>", fig), window, re.I) for src in k.sources):
                return k
    near = fold(_clause(text, figure.start, figure.end) if figure is not None else text)
    usable = [
        k
        for k in lexicon().bases
        if not k.local and not (k.money_only and figure is not None and figure.kind != "money")
    ]
    for k in usable:
        if any(p.search(near) for p in k.patterns):
            return k
    ctx = fold(context)
    for k in usable:
        if ctx and any(p.search(ctx) for p in k.patterns):
            return k
    return STATED


def basis_kind(name: str) -> Kind:
    return STATED if name == STATED.name else lexicon().basis(name)


def period_kind(name: str) -> Kind:
    return UNSTATED if name == UNSTATED.name else lexicon().period(name)


# -- relevance and comparability ----------------------------------------------------------------------------


def measure_words(measure: str, idf: Callable[[str], float] = lambda w: 1.0) -> dict[str, float]:
    """The measure's content words, stemmed as BM25 stems them, each with its weight (idf); not the generic
    ones ("numbers", "total")."""
    generic = {w for g in lexicon().generic_heads for w in tokenize(g)}
    return {
        w: idf(w)
        for w in tokenize(measure)
        if not w[0].isdigit() and not w.startswith("£") and w not in generic
    }


def phrase_match(words: Mapping[str, float], figure: Figure) -> float:
    """The weighted share of the measure's words in what the figure counts (a word sharing only its first five
    letters counts half: "visitor" meets "visits")."""
    total = sum(words.values())
    if not total:
        return 0.0
    have = set(tokenize(figure.counts))
    have |= {"~" + w[:5] for w in have if len(w) >= 5}
    hit = sum(
        v if w in have else v / 2 if len(w) >= 5 and "~" + w[:5] in have else 0.0 for w, v in words.items()
    )
    return hit / total


@dataclass(frozen=True)
class Reading:
    """What two years' figures are compared on."""

    kind: str  # count | percent | money
    head: str
    counts: str
    basis: str
    period_kind: str


_UNIT_WORDS = {"count": "a count", "percent": "a percentage", "money": "a sum of money"}


def difference(prev: Reading, row: Reading) -> str:
    """Why `row` measures something else than `prev`, in one line; "" when they are comparable."""
    reasons: list[str] = []
    if prev.kind != row.kind:
        reasons.append(f"{_UNIT_WORDS[prev.kind]} vs {_UNIT_WORDS[row.kind]}")
    elif prev.kind != "money" and prev.head and row.head and prev.head != row.head:
        reasons.append(
            f"one year counts {prev.counts or prev.head}, the next counts {row.counts or row.head}"
        )
    pb, rb = basis_kind(prev.basis), basis_kind(row.basis)
    if pb.kind != rb.kind or (pb.exclusive and rb.exclusive and pb.name != rb.name):
        if prev.kind == row.kind == "count" and prev.head and row.head:
            reasons.append(
                f"one year counts {_plural(prev.head)} {pb.label}, "
                f"the next counts {_plural(row.head)} {rb.label}"
            )
        else:
            reasons.append(f"{pb.short} vs {rb.short}")
    if "unstated" not in (prev.period_kind, row.period_kind) and prev.period_kind != row.period_kind:
        reasons.append(f"{period_kind(prev.period_kind).label} vs {period_kind(row.period_kind).label}")
    return "; ".join(reasons)


def _plural(head: str) -> str:
    if not head:
        return ""
    return head[:-1] + "ies" if head.endswith("y") and not head.endswith(("ay", "ey", "oy")) else head + "s"


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
