"""What a draft says a part's answer lacks, built from the part's structured `Query`, never from its words.

A gap is "The reports do not give <what>." where <what> is a breakdown the part asks for ("a borough
breakdown") or the `Query`'s gap phrase ("the number of police dogs"). A phrase that does not read as a noun
phrase (the measure reader took a pronoun, an auxiliary or a question word: "the you build", "the date for
you give a substantive response") is never used: the part then gets a sentence that names no detail ("The
reports do not answer this part directly."), and the draft's heading shows the part as tabled. Raw question
text is never placed in a sentence template.
"""

from __future__ import annotations

import dataclasses
import re

from reportqa.mq.grammar import breakdown
from reportqa.mq.model import MQPart
from reportqa.question.query import Query, read_query, words

# words that never stand in a noun phrase naming what was asked: question words, auxiliaries and modals,
# personal pronouns, the courtesy verbs of a request, and quantity words with nothing quantified
QUESTION_WORDS = frozenset(
    "what how which who whom whose when where why whether will would could can should do does did is are was "
    "were".split()
)
_NOT_NOUN = QUESTION_WORDS | frozenset(
    "if shall may might must be been being has have had am i me my we us our you your yours it they them "
    "he him she her this that these those there here "
    "please give provide tell confirm say set break update clarify explain outline list share publish "
    "much many more long far often enough ever also not now given following about".split()
)
# a noun phrase ends on a content word, never on one of these
_DANGLING = frozenset("the a an of for to in on at by with from and or per as its their his her".split())
# finite verbs that end a noun phrase read from a clause ("organisations make up the partnership")
_VERBS = frozenset("make makes made go goes went sell sells sold take takes took get gets got think use uses "
                   "run runs ran cover covers".split())
_PEOPLE = frozenset("people persons individuals londoners".split())
_UNITS = frozenset("year years time times period periods".split())
_NO_DETAIL = "The reports do not answer this part directly."
_NOT_COVERED = "The reports do not cover this part."


def _noun_phrase(measure: str, generic: frozenset[str]) -> str:
    """`measure` up to the first word that cannot stand in a noun phrase ("referrals it received" ->
    "referrals"), without a dangling article or preposition; "" when nothing specific is left."""
    kept: list[str] = []
    for w in measure.split():
        bare = w.strip(",;:.?!()“”\"").lower().replace("’", "'")
        if (bare in _NOT_NOUN and not (bare in ("may", "will") and w[:1].isupper())) or bare.endswith(
                ("'ll", "n't")):
            break
        if bare == "the" and kept and kept[-1].lower() not in _DANGLING:
            break  # "volunteers the scheme has": a clause, not one noun phrase
        if kept and bare == kept[-1].lower():
            continue  # "of of"
        content_before = any(k.lower() not in _DANGLING for k in kept)
        if content_before and (bare in _VERBS or (len(bare) > 4 and bare.endswith("ed") and "-" not in bare)):
            break  # "offenders recalled to prison", "incidents changed": the clause's verb
        kept.append(w.strip(",;:.?!"))
    while kept and kept[-1].lower() in _DANGLING:
        kept.pop()
    while kept and kept[0].lower() in _DANGLING:
        kept.pop(0)  # "of the offenders": "the number of" comes before it
    content = [w for w in kept if w.lower() not in _DANGLING]
    # "the number of people" names a count; "the amount for much" does not
    vague = (generic - _PEOPLE) | _UNITS
    if not content or all(w.lower() in vague or w.isdigit() for w in content):
        return ""
    owner = next((i for i, w in enumerate(kept) if re.search(r"['’]s$", w)), None)
    if owner is not None and kept[0][:1].isupper() and not kept[0].startswith("MOPAC") and (
            owner > 0 or re.fullmatch(r"[A-Z]{2,}['’]s", kept[0])):
        # a body named by a proper name takes its article: "the London Victim and Witness Service's annual
        # budget", "the VRU's total budget" (never "the MOPAC's")
        kept.insert(0, "the")
    return " ".join(kept)


def _phrase(q: Query, years: tuple[str, ...]) -> str:
    """The Query's gap phrase with its measure read as a noun phrase; "" when it does not read as one."""
    qw = words()
    if q.kind in ("yes_no", "description", "name"):
        return ""  # no detail is named by these: their gap phrase is the question's own topic words
    np = _noun_phrase(q.measure, qw.generic) if q.measure else ""
    if not np:
        return ""
    return dataclasses.replace(q, measure=np, subjects=(), years=years or q.years).gap()


def gap_phrase(part: MQPart) -> str:
    """What the part asks for, as a noun phrase for "The reports do not give ...", or "" when its Query
    names no detail that reads as one. The part as searched is read first (its pronouns stand for the
    programme in play: "its annual budget" is the service's), then its question, then the part as tabled;
    the years are the part's own (carried from the preamble where the part names none)."""
    dim = breakdown(part.standalone)
    if dim:
        return dim
    searched = re.sub(r"\s*\([^()]*\)(?=\s*(?:in\s+\S+\s*)?\??$)", "", part.standalone)  # "(topic)" added
    for text in (searched, part.question, part.text):
        if not text.strip():
            continue
        phrase = _phrase(read_query(text), part.years)
        if phrase:
            return phrase
    return ""


def gap_sentence(part: MQPart, *, relevant: bool = True) -> str:
    """The one sentence a draft gives for a part the reports do not answer: "The reports do not give the
    number of police dogs." When no detail can be named, "The reports do not answer this part directly."
    (the reports hold something relevant) or "The reports do not cover this part." (they do not)."""
    phrase = gap_phrase(part)
    if phrase:
        return f"The reports do not give {phrase}."
    return _NO_DETAIL if relevant else _NOT_COVERED


def uncovered_sentence(years: tuple[str, ...], covered: tuple[str, ...]) -> str:
    """"No report in the collection covers 2019-20; the reports cover 2014-15, ..." from the years."""
    if not years:
        return ""
    said = " or ".join(years)
    tail = f"; the reports cover {', '.join(covered)}" if covered else ""
    return f"No report in the collection covers {said}{tail}."


# checks a gap sentence as `gap_sentence` builds it (the tests run it over every real question); it reads no
# answer's text
_GARBLED = re.compile(
    r"(?i)\b(?:do\s+not|don['’]t)\s+(?:give|say)\b(?P<rest>[^.]*)"
)


def garbled(sentence: str) -> str | None:
    """The question word a gap sentence holds after "do not give" / "don't give", or None. Used by the
    tests over every real question, and by the drafter as a last check."""
    for m in _GARBLED.finditer(sentence):
        for w in re.findall(r"[\w’']+", m.group("rest")):
            if w.lower() in QUESTION_WORDS:
                return str(w)
    return None
