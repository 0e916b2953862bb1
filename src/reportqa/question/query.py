"""A question read once into a typed `Query`: what kind of answer it asks, the measure, the subject, the
periods, whether the present is meant, and what the asker excludes.

Every later stage (the match decision, the gap sentence, drafts) reads the `Query`, not the raw text. The
words are data: `lexicon/questions.toml`, each entry with examples that must and must not match (tests).

    >>> q = read_query("How many police dogs does the Met have now?")
    >>> (q.kind, q.measure, q.current, q.basis)
    ('count', 'police dogs', True, 'actual')
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from reportqa.answer.features import answer_type, named_things
from reportqa.years import mentions

Kind = Literal["count", "money", "percent", "figure", "duration", "date", "name", "list", "yes_no",
               "description"]
Basis = Literal["actual", "target", "forecast", "change"]
# "figure": a figure of a kind the question leaves open
FIGURE_KINDS = frozenset({"count", "money", "percent", "figure"})

__all__ = ["FIGURE_KINDS", "Query", "QuestionWords", "read_query", "words"]


@dataclass(frozen=True)
class Entry:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    must: tuple[str, ...]
    must_not: tuple[str, ...]

    def search(self, text: str) -> re.Match[str] | None:
        for p in self.patterns:
            m = p.search(text)
            if m:
                return m
        return None


@dataclass(frozen=True)
class QuestionWords:
    """lexicon/questions.toml, compiled."""

    measures: tuple[Entry, ...]
    bases: tuple[Entry, ...]
    present: Entry
    realised: Entry  # the question insists on what has happened ("actually", "so far")
    opener: re.Pattern[str]
    generic: frozenset[str]  # measure words that name no particular quantity ("people")
    persons: frozenset[str]  # nouns that name people ("volunteers"): what "how many people" counts


def _entry(raw: dict[str, Any], stop: str, where: str) -> Entry:
    pats = []
    for p in raw["patterns"]:
        try:
            pats.append(re.compile(p.replace("{stop}", stop), re.I))
        except re.error as e:  # a bad edit names its pattern
            raise ValueError(f"lexicon/questions.toml {where}: pattern {p!r} does not compile: {e}") from e
    return Entry(raw.get("name", where), tuple(pats), tuple(raw.get("must", ())),
                 tuple(raw.get("must_not", ())))


@cache
def words() -> QuestionWords:
    """The question words, read once from the package's lexicon/questions.toml."""
    text = resources.files("reportqa").joinpath("lexicon", "questions.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    stop = data["stop"]
    pres = data["present"]
    return QuestionWords(
        measures=tuple(_entry(m, stop, f"measure {m['name']}") for m in data["measure"]),
        bases=tuple(_entry(b, stop, f"basis {b['name']}") for b in data["basis"]),
        present=_entry(pres, stop, "present"),
        realised=_entry(data["realised"], stop, "realised"),
        opener=re.compile(pres["opener"], re.I),
        generic=frozenset(data.get("generic_measure", ())),
        persons=frozenset(data.get("person_nouns", ())),
    )


_LIST = re.compile(r"(?i)^\W*(?:which|list|name)\b|\bwhat (?:are|were) the (?:\w+\s+){0,3}?"
                   r"(?:priorities|proposals|recommendations|areas|aims|objectives|groups|services|measures|"
                   r"projects|programmes|themes|types|ways|steps|commitments|outcomes|changes)\b")
_YES_NO = re.compile(r"(?i)^\W*(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should)\b")
_WHO = re.compile(r"(?i)^\W*(?:who|whom|whose)\b")
_EXCLUDE = re.compile(r"(?i)\b(?:not (?:counting|including)|excluding|other than|apart from|except|, not)\s+"
                      r"(?P<x>[\w’'&/ -]{3,60}?)(?=[?,;.]|$)")
_DROP = re.compile(r"(?i)^(?:the|a|an|all|any|its|their)\s+")
_TAIL = re.compile(r"(?i)\s+(?:the\s+met|mopac|london|the\s+mayor|the\s+reports?)$")


@dataclass(frozen=True)
class Query:
    """One question, read once.

    - kind: the kind of answer asked: a figure (count, money, percent, or "figure" when the question leaves
      its kind open: "the latest figure for public confidence"), a duration, a date, a name, a list,
      yes/no, or a description (everything else);
    - measure: the asked quantity as a noun phrase ("police dogs", "the Met's budget"), "" when none is read;
    - subjects: the capitalised names asked about ("the Lighthouse", "VRU");
    - years: the financial years named, canonical ("2015-16"); plans are not years;
    - current: the present is asked ("now", "current", "latest");
    - basis: the kind of figure asked: actual (the default), target, forecast or change;
    - excludes: what the asker leaves out ("special constables, not other volunteers");
    - realised: the question insists on what has happened, not what was planned ("actually", "so far");
    - predicate: what the question says of the measure, after it ("were sent back to prison" in "How many
      tagged offenders were sent back to prison?"); "" when the measure was not read by a pattern;
    - measure_read: the measure is a noun phrase one of the lexicon's measure patterns read ("how many
      police dogs"), not the question's topic words taken as a fallback ("Who did the Mayor pick ...").
    """

    text: str
    kind: Kind
    measure: str = ""
    subjects: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    current: bool = False
    basis: Basis = "actual"
    excludes: tuple[str, ...] = field(default_factory=tuple)
    measure_read: bool = False
    predicate: str = ""
    realised: bool = False

    @property
    def asks_figure(self) -> bool:
        return self.kind in FIGURE_KINDS

    def gap(self) -> str:
        """The asked detail as a noun phrase for a sentence "The reports do not give <gap>", built from the
        Query's fields, never from the question's own words beyond the measure."""
        what = {"count": "the number of", "money": "the amount for", "percent": "the percentage for",
                "figure": "the figure for",
                "duration": "the length of time for", "date": "the date for"}.get(self.kind, "")
        named = [n for n in self.subjects if n.casefold().removeprefix("the ") not in _EVERYWHERE]
        measure = _safe(self.measure or (named or self.subjects or ("",))[0])
        if not self.measure_read:
            # topic words run on past the name asked about into the verb ("What did the Shared Endeavour
            # Fund get"): the name is what is asked about
            measure = next((_safe(n) for n in named if n in measure and n != measure), measure)
        if not measure:
            return "the detail asked for"
        clause = re.match(r"(?i)(.+?) (are|is|were|was|feel|felt|think|thought|say|said) (.+)", measure)
        if self.kind == "percent" and clause:  # "Met officers are from BME backgrounds"
            measure = f"{clause.group(1)} that {clause.group(2)} {clause.group(3)}"
            what = "the share of"
        if self.kind == "money" and re.search(r"(?i)\b(budget|cost|costs|spend|spending|funding)\b", measure):
            what = ""
        if not what and re.search(r"(?i)\bthe\s+" + re.escape(measure), self.text):
            measure = "the " + measure  # "the Met's budget", as asked
        text = f"{what} {measure}".strip() if what else _with_article(measure)
        if self.basis == "actual" and self.kind in FIGURE_KINDS:
            pass
        elif self.basis in ("target", "forecast"):
            text = f"{text} ({self.basis})"
        if self.years:
            text += " for " + " and ".join(self.years)
        return text


# names every report holds: a gap about one of them says nothing ("the amount for MOPAC")
_EVERYWHERE = frozenset({"mopac", "met", "mps", "metropolitan police", "metropolitan police service", "mayor",
                         "london", "city hall", "the mayor", "mayor's"})
_UNSAFE = re.compile(r"(?i)\d|@|:/|www\.|\w\.\w|^(?:www|https?|ftp)$")
_EDGE_WORDS = frozenset("at in on of for to by from the a an and or with".split())


def _safe(measure: str) -> str:
    """The measure without numbers, addresses or links (a phone number or a planted link in a question is
    never repeated in an answer), and without the small words left at its edges."""
    words = [w for w in measure.split() if not _UNSAFE.search(w)]
    while words and words[0].casefold() in _EDGE_WORDS:
        words = words[1:]
    while words and words[-1].casefold() in _EDGE_WORDS:
        words = words[:-1]
    return " ".join(words).strip(" ,.;:-")


def _with_article(phrase: str) -> str:
    return phrase if re.match(r"(?i)(the|a|an)\s", phrase) or "'s " in phrase or "’s " in phrase \
        else "the " + phrase


def _clean_measure(m: str) -> str:
    m = re.sub(r"\s+", " ", m).strip(" -'’")
    prev = None
    while prev != m:
        prev = m
        m = _DROP.sub("", m)
        m = _TAIL.sub("", m)
    return m.strip()


@lru_cache(maxsize=1024)
def read_query(question: str) -> Query:
    """`question` read into a Query (pure: no index, no model). Cached: retrieval, evidence and the match
    each ask for the same question's Query, and it is read once."""
    # ligatures ("ﬃ") expanded, white space collapsed
    text = original = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", question)).strip()
    # a leading source clause names where to look, not what is asked
    text = _SOURCE_CLAUSE.sub("", text) or text
    # the lexicon's patterns ignore case: they run on the text with its quotes straightened, so a measure
    # keeps the question's own capitals ("the Met's budget")
    folded = text.replace("’", "'").replace("‘", "'")
    qw = words()
    at = answer_type(text)
    kind: Kind
    if at is not None:
        kind = at.name  # type: ignore[assignment]  # the lexicon's names are the Kind literals
    elif _LIST.search(folded):
        kind = "list"
    elif _WHO.search(folded):
        kind = "name"
    elif _YES_NO.search(folded):
        kind = "yes_no"
    else:
        kind = "description"
    measure = predicate = ""
    for entry in qw.measures:
        m = entry.search(folded)
        if m and m.groupdict().get("m"):
            measure = _clean_measure(m.group("m"))
            if measure:
                predicate = re.split(r"[?;!]|\s(?:and|but)\s(?:how|what|which|who|when|where)\b",
                                     folded[m.end("m"):], maxsplit=1)[0].strip(" ,.:")
                break
    measure_read = bool(measure)
    if _OFTEN.search(folded):
        kind, measure = "description", ""  # "how often": a frequency, not a count of anything
    elif not measure:
        measure = _topic(text)
    if not measure_read and re.match(r"(?i)(?:much|many)\b", measure):
        measure = ""  # "How much went to ...": the topic words start with the question's own "much"
    if kind == "description" and _FIGURE_ASKED.search(folded):
        kind = "figure"  # "the latest figure for public confidence": a figure, of whatever kind
    if kind == "description" and _HOW_MUCH.search(folded):
        kind = "money"  # "How much did MOPAC put into Project ADDER?": a sum, whatever the verb
    if kind == "count" and _SIZED.search(folded) and _MONEY_HEAD.search(measure):
        kind = "money"  # "how big was the cost of living fund": a sum
    basis: Basis = "actual"
    for b in qw.bases:
        if b.search(folded):
            basis = b.name  # type: ignore[assignment]  # the lexicon's names are the Basis literals
            break
    asked = qw.opener.sub("", folded)
    current = bool(qw.present.search(asked))
    years = tuple(dict.fromkeys(m.canonical for m in mentions(original) if not m.plan and m.is_year))
    excludes = tuple(x.group("x").strip() for x in _EXCLUDE.finditer(folded))
    return Query(text=original, kind=kind, measure=measure, subjects=tuple(named_things(original)),
                 years=years, current=current, basis=basis, excludes=excludes, measure_read=measure_read,
                 predicate=predicate, realised=bool(qw.realised.search(asked)))


_FIGURE_ASKED = re.compile(r"(?i)\b(?:figures?|level|rate|total|statistics?|stats)\s+(?:for|of|on)\b")
_HOW_MUCH = re.compile(r"(?i)\bhow much\b(?!\s+(?:time|longer|more|less|further|better|worse|of|is|are)\b|"
                       r"\s+(?:do|does|did)\s+(?:you|i|we|they|people|londoners)\b)")
_OFTEN = re.compile(r"(?i)\bhow often\b")
_SIZED = re.compile(r"(?i)\bhow (?:big|large)\b")
_MONEY_HEAD = re.compile(r"(?i)\b(?:fund|funds|funding|budget|budgets|grant|grants|cost|costs|spend|spending|"
                         r"investment|pot|settlement|allocation|precept)$")
_SOURCE_CLAUSE = re.compile(
    r"(?i)^(?:according to|in|from)\s+(?:the\s+)?[\w\s/-]{0,40}?\b(?:report|plan|summary)\s*,\s*")
_TOPIC_DROP = re.compile(
    r"(?i)^\W*(?:(?:and|so|but|also|please|can you|could you|tell me|do you know)\W+)*"
    r"(?:what|which|who|whom|whose|when|where|why|how|whether)?(?:'s|’s)?\s*"
    r"(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should)?\s*(?:the\s+)?")


def _topic(folded: str) -> str:
    """For a question with no measure pattern: its words after the question word and auxiliary, up to
    the first verb-like stop, at most six words ("What does the VRU do?" -> "VRU")."""
    rest = _TOPIC_DROP.sub("", folded).rstrip(" ?.!")
    word = r"[\w’'&/-]+"
    m = re.match(rf"(?P<m>{word}(?:\s+(?![a-z]+ing\b){word}){{0,5}}?)(?={_STOP_WORDS}|\s+[a-z]+ing\b)",
                 rest + " ?")
    return _clean_measure(m.group("m")) if m else ""


_STOP_WORDS = (r"(?:\s+(?:do|does|did|are|is|were|was|have|has|had|will|would|can|could|in|on|at|by|for|to|"
               r"from|over|during|since|per|that|which|who|according|now|currently)\b|\s*[?,;:.]|\s*$)")
