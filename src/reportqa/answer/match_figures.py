"""What the figures of a candidate sentence count, compared with the asked measure (`Query`): the pieces
the match (`answer.match`) reads its features from.

- `figures_of`: every figure the sentences state, what each counts read widely (`figures.counted`), a list
  item read under its lead-in;
- `measure_words_of`, `predicate_words`, `_phrase_match`, `measure_fit`: the asked measure's and
  predicate's words (idf-weighted, aliases folded) in what a figure counts;
- `_kind_ok`: a figure of the asked kind (a length of time is no count);
- `_combined`, `_named_with_another`: a figure counting the measure with something else;
- `given_instead`: the figure the lead gives in place of the asked one;
- `reports_words`: a phrase in the reports' own spelling ("cops" -> "police officers").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from reportqa.answer.features import alias_groups, alias_tokens, canonical_aliases
from reportqa.figures import Figure, counted, figures_in, worded_figures
from reportqa.figures import lexicon as figures_lexicon
from reportqa.question.query import FIGURE_KINDS, Query
from reportqa.question.query import words as qwords
from reportqa.text import tokenize
from reportqa.years import mentions

if TYPE_CHECKING:
    from reportqa.types import Sentence


def reports_words(phrase: str) -> str:
    """`phrase` with every aliased name in it written as the reports' first spelling (lexicon/aliases.toml):
    "cops" -> "police officers"; unchanged when it names none."""
    _, found = canonical_aliases(phrase)
    if not found:
        return phrase
    out = phrase
    for g in alias_groups():
        if g.key in found:
            names = "|".join(re.escape(n) for n in sorted(g.names, key=len, reverse=True))
            out = re.sub(rf"(?i)\b(?:{names})\b", g.names[0], out)  # one pass: longest spelling first
    return out


def _cos(a: Sequence[float], b: Sequence[float]) -> float:
    return float(sum(x * y for x, y in zip(a, b, strict=True)))


MEASURE_FIT = 0.6  # a figure whose counted words hold this share of the asked measure's counts it


@lru_cache(maxsize=1)
def _persons() -> frozenset[str]:
    return frozenset(w for g in qwords().persons for w in tokenize(g))


def _person_fit(counts: str) -> float:
    """1.0 when what a figure counts names people ("300 volunteers"): what "how many people" asks for."""
    return 1.0 if _persons() & set(alias_tokens(counts)) else 0.0


def _generic() -> frozenset[str]:
    return frozenset(w for g in qwords().generic for w in tokenize(g))


def measure_words_of(query: Query, idf: Callable[[str], float]) -> dict[str, float]:
    """The measure's content words (aliases folded: "MPS" is "Metropolitan Police Service") with their idf;
    words that name no particular quantity ("people") weigh a quarter; no generic head ("number")."""
    if not query.measure:
        return {}
    heads = frozenset(w for g in figures_lexicon().generic_heads for w in tokenize(g))
    generic = _generic()
    return {w: idf(w) / 4 if w in generic else idf(w) for w in alias_tokens(query.measure)
            if not (w[0].isdigit() or w.startswith("£") or w in heads)}


PREFIX_CREDIT = 0.0  # a word sharing only its first five letters: "visitors" are not "visits"


def _phrase_match(words: dict[str, float], counts: str) -> float:
    """The weighted share of the measure's words in what a figure counts, aliases folded (stemmed: "visit"
    meets "visits"; a word sharing only its first five letters earns `PREFIX_CREDIT`)."""
    total = sum(words.values())
    if not total:
        return 0.0
    have = set(alias_tokens(counts))
    have |= {"~" + w[:5] for w in have if len(w) >= 5}
    return sum(v if w in have else v * PREFIX_CREDIT if len(w) >= 5 and "~" + w[:5] in have else 0.0
               for w, v in words.items()) / total


def measure_fit(query: Query, text: str, idf: Callable[[str], float]) -> float:
    """How well the best figure of the asked kind in `text` counts the asked measure (0-1); 0 when the measure
    has only words that name no particular quantity ("how many people"), which any count would fit."""
    words = measure_words_of(query, idf)
    if not words or set(words) <= _generic():
        return 0.0
    return max((_phrase_match(words, counted(text, f) or "") for f in figures_in(text)
                if _kind_ok(query, f) and (f.change == (query.basis == "change"))), default=0.0)


# a calendar year (not part of a financial year: "2015" but not "2015-16" or "2015/16") or a month
_PERIOD = re.compile(r"(?i)\b(?:(?:19|20)\d\d(?![-/–]\d)|jan(?:uary)?|feb(?:ruary)?|march|april|june|july|"
                     r"aug(?:ust)?|sept(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b")


def given_instead(query: Query, sentences: Sequence[Sentence]) -> str:
    """The figure the lead sentences give in place of the asked one, with the period they name when it is
    not the asked one: "£2.6bn (2012-13)", "1,551 Volunteers & Special constables"; "" when they give
    none of the asked kind."""
    if query.kind not in FIGURE_KINDS:
        return ""
    for fig, text in figures_of(sentences):
        if not _kind_ok(query, fig):
            continue
        what = fig.text if fig.kind != "count" else f"{fig.text} {fig.counts}".strip()
        years = [m.canonical for m in mentions(text) if m.is_year and not m.plan]
        other = [y for y in dict.fromkeys(years) if y not in query.years]
        return f"{what} ({other[0]})" if other else what
    return ""


def predicate_words(query: Query, idf: Callable[[str], float]) -> dict[str, float]:
    """The content words of what the question says of its measure, with their idf: no numbers or years, no
    words that name no particular quantity."""
    generic = _generic()
    return {w: idf(w) for w in alias_tokens(query.predicate)
            if not (w[0].isdigit() or w.startswith("£") or w in generic)}


def figures_of(sentences: Sequence[Sentence]) -> list[tuple[Figure, str]]:
    """Every figure `sentences` state, each with its sentence text; a service number ("999 calls") is no
    figure, and each figure's `counts` is what it counts read widely (`figures.counted`). A list item is
    read under its lead-in: "10,316 Staff" after "the Metropolitan Police Workforce consisted of:" counts
    "Staff (Metropolitan Police Workforce)"."""
    out = []
    lead_in = ""
    for s in sentences:
        item = bool(lead_in) and len(s.text) <= _LIST_ITEM_CHARS
        for f in [*figures_in(s.text), *worded_figures(s.text)]:
            what = counted(s.text, f)
            if what is not None:
                out.append((replace(f, counts=f"{what} ({lead_in})" if item and what else what), s.text))
        if s.text.rstrip().endswith(":"):
            lead_in = _lead_in(s.text)
        elif not item:
            lead_in = ""
    return out


_LIST_ITEM_CHARS = 120  # a list item is short: "1,551 Volunteers & Special constables"


def _lead_in(text: str) -> str:
    """What a list's lead-in sentence says its items are: the clause before the colon, from its last comma,
    without its verb ("the Metropolitan Police Workforce consisted of:" -> "Metropolitan Police
    Workforce")."""
    clause = text.rstrip().rstrip(":").rsplit(",", 1)[-1]
    clause = re.sub(r"(?i)\b(?:consist(?:s|ed)?\s+of|compris(?:es|ed)|includ(?:es|ed|ing)|were|was|are|"
                    r"is)\b.*$", "", clause)
    return re.sub(r"(?i)^\s*(?:the|this|these|our)\s+", "", clause).strip()


def _combined(words: dict[str, float], counts: str) -> bool:
    """What a figure counts joins the asked measure with something else the question does not ask: its
    parts ("Volunteers & Special constables") split at "&", "and" or commas, one part holding the measure's
    words and another holding none of them."""
    head = re.split(r"\s+\(", counts, maxsplit=1)[0]  # not a list's lead-in
    parts = [p for p in re.split(r"(?i)\s*(?:&|,|\band\b)\s*", head) if p.strip()]
    if len(parts) < 2:
        return False
    fits = [_phrase_match(words, p) for p in parts]
    if not max(fits):
        return False
    # another thing counted: a name or a plural noun ("Volunteers", "items of correspondence"), not a
    # word qualifying the measure ("old and underutilised police buildings") or a clause ("and received")
    return any(not fit and not re.match(r"\w+ed\b", p) and (p[0].isupper() or re.search(r"[^s]s\b", p))
               for fit, p in zip(fits, parts, strict=True))


def _named_with_another(name: str, question: str, text: str) -> bool:
    """`text` names `name` joined by "and" or "&" to another name the question does not ask about
    ("Through Operation Orochi and Operation Yamata" when only Yamata is asked)."""
    cap = r"(?:[A-Z][\w'’-]*\s+){0,3}[A-Z][\w'’-]*"
    esc = re.escape(name)
    for m in re.finditer(rf"(?:({cap})\s+(?:and|&)\s+{esc}|{esc}\s+(?:and|&)\s+({cap}))", text):
        other = (m.group(1) or m.group(2) or "").strip()
        last = other.split()[-1] if other else ""
        if last and last not in question and last not in name:
            return True
    return False


# an area wider than London, and London itself (its boroughs are named with it in the reports)
_WIDER_AREA = re.compile(r"(?i)\b(?:UK|United Kingdom|Britain|British|England|Wales|national(?:ly)?|"
                         r"nationwide|the country|countrywide)\b")
_LONDON = re.compile(r"(?i)\b(?:London(?:ers?)?|capital|MPS|Met|Metropolitan Police|borough|city)\b")
_TIME_UNIT = re.compile(r"(?i)\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b")


def _kind_ok(query: Query, figure: Figure) -> bool:
    """A figure of the asked kind; "how big" and "how much" questions take a sum or a count, and a question
    that leaves the kind open ("the latest figure for ...") any figure."""
    timed = figure.kind == "count" and bool(_TIME_UNIT.match(figure.counts or ""))
    if timed and query.kind == "count":
        # "within 10 seconds" is a length of time, not a count of what was asked ("how many 999 calls"),
        # unless a time unit is what is asked ("how many days")
        return bool(_TIME_UNIT.search(query.measure))
    if timed and query.kind == "duration":
        return True
    if figure.kind == query.kind or query.kind == "figure":
        return True
    sized = re.search(r"(?i)\bhow (?:big|large|much)\b", query.text)
    return bool(sized) and figure.kind in ("count", "money")
