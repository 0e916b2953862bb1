"""A conversation's history, checked and capped, and follow-up questions rewritten into standalone ones,
carrying the topic, names and year in play."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reportqa.errors import InputError
from reportqa.kinds import labelled_year
from reportqa.temporal import strip_time
from reportqa.text import clean_control, content_words
from reportqa.types import MARKER, Turn
from reportqa.years import (
    YEAR_AFTER_RE,
    YEAR_BEFORE_RE,
    first_year_in,
    next_year,
    previous_year,
)

# The limits on a conversation's history, counted in turns (one question or one answer is a turn), all
# defined here. They are three limits, not one: what a follow-up reads, what the public API lets a request
# bring, and what an LLM's prompt shows.
MAX_HISTORY_TURNS_READ = 12  # `Assistant.ask` reads the most recent this many turns for a follow-up
MAX_HISTORY_TURNS_PUBLIC = 6  # the public API refuses a request bringing more: the last three exchanges,
# enough for a follow-up to find its subject and year (`web.api.MAX_HISTORY_TURNS`)
MAX_HISTORY_TURNS_PROMPT = 4  # an LLM's prompt shows the most recent this many (`prompts`)
MAX_TURN_CHARS = 4000  # of each turn read, the first characters

_HISTORY_SHAPE = "history must be a list of {'role': 'user'|'assistant', 'content': '...'}"


def read_history(history: Sequence[dict[str, str] | Turn] | None) -> list[Turn]:
    """The conversation so far, checked: a list of user and assistant turns with text content.

    Only the last MAX_HISTORY_TURNS_READ turns are kept, each cut to MAX_TURN_CHARS and cleaned like a
    question.
    """
    if history is None:
        return []
    if isinstance(history, str | bytes | Mapping) or not isinstance(history, Sequence):
        raise InputError(_HISTORY_SHAPE, f"got {type(history).__name__}; pass [] for no history")
    out: list[Turn] = []
    for i, t in enumerate(history):
        role: object
        content: object
        if isinstance(t, Turn):
            role, content = t.role, t.content
        elif isinstance(t, Mapping):
            role, content = t.get("role"), t.get("content")
        else:
            raise InputError(_HISTORY_SHAPE, f"turn {i} is {type(t).__name__}, not a dict")
        if role not in ("user", "assistant"):
            shown = repr(role[:40]) if isinstance(role, str) else type(role).__name__
            raise InputError(_HISTORY_SHAPE, f"turn {i} has role {shown}")
        if not isinstance(content, str):
            raise InputError(_HISTORY_SHAPE, f"turn {i} has {type(content).__name__} content, not text")
        text = clean_control(content[:MAX_TURN_CHARS])
        out.append(Turn(role="user" if role == "user" else "assistant", content=text))
    return out[-MAX_HISTORY_TURNS_READ:]


_PRONOUN_RE = re.compile(
    r"\b(it|its|it's|they|them|their"
    r"|(?:this|that|these|those)"
    r"(?! (?:year|years|time|one|ones|month|week|day|period|quarter|figure|number|amount)\b)"
    r"|he|she|his|her"
    r"|the (scheme|service|programme|project|fund|partnership|initiative|pilot|unit|board|centre|campaign"
    r"|team|strategy|operation))\b",
    re.I,
)
_ELLIPSIS_RE = re.compile(
    r"^\s*(and|what about|how about|and what about|same for|and for|what of|and in|and across|and at"
    r"|and the)\b",
    re.I,
)
_ENTITY_RE = re.compile(
    r"(?:\b[Tt]he\s+)?(?:[A-Z][\w’'&-]*|[A-Z]{2,})(?:\s+(?:(?:of|and|for|to|the|&)\s+)?(?:[A-Z][\w’'&-]*|\d+|[A-Z]{2,}))*"
)
_NOT_ENTITY = {
    "How", "What", "Which", "Who", "When", "Where", "Why", "Did", "Does", "Do", "Is", "Are", "Was", "Were",
    "Can", "Could", "And", "In", "The", "Tell", "Please", "Give", "Under", "Since", "According", "I", "MOPAC",
    "Mayor", "The Mayor", "London", "Met", "MPS",
}


_THERE_RE = re.compile(r"(?i)^\s*(how (?:many|much))\s+(?=(?:are|is|were|was|will there be)\b)")


@dataclass(frozen=True)
class Rewrite:
    question: str
    standalone: str
    changed: bool
    year: str | None


def entities(text: str) -> list[str]:
    """Named things in a question: 'The Lighthouse', 'London Victim and Witness Service', 'Project ADDER'."""
    out = []
    for m in _ENTITY_RE.finditer(text):
        e = m.group(0).strip()
        words = e.split()
        while words and words[0] in _NOT_ENTITY and len(words) > 0:
            words = words[1:]
        e = re.sub(r"['’]s$", "", " ".join(words))
        if not e or e in _NOT_ENTITY or re.fullmatch(r"[\d/-]+", e) or len(e) < 3:
            continue
        out.append(e)
    return out


def is_followup(question: str) -> bool:
    words = content_words(question)
    if _ELLIPSIS_RE.search(question) or YEAR_BEFORE_RE.search(question) or YEAR_AFTER_RE.search(question):
        return True
    if _PRONOUN_RE.search(question) and not entities(question):
        return True
    return len(words) <= 2 and len(question.split()) <= 6


def _answer_text(text: str) -> str:
    """An assistant turn without its report intros and [n] markers: what it said about the subject."""
    text = MARKER.sub(" ", text)
    # a turn of the history the caller sends (the user's client's copy, with no record of its openings)
    text = re.sub(r"(?m)^(According to|In) the [^:\n]{0,160}?(report|page)( \([^)\n]*\))?:\s*", "", text)
    return text


def subject(prev_question: str, prev_answer: str, specificity: Callable[[str], float] | None = None,
            generic: float = 0.0) -> str:
    """The thing a follow-up's "it", "they" or "the unit" refers to: the most specific name in the previous
    question, else in the previous answer; "" when neither names anything specific.

    Specificity is how rare a name is in the reports (the caller's idf); a name at or below `generic` (the
    Met, MOPAC, London: named everywhere) is never the subject.
    """
    from reportqa.answer.features import named_things

    score = specificity or (lambda n: float(len(n)))
    for text in (prev_question, _answer_text(prev_answer)):
        names = [n for n in named_things(text) if score(n) > generic]
        if names:
            return max(names, key=score)
    return ""


def rewrite(
    question: str,
    history: Sequence[Turn],
    specificity: Callable[[str], float] | None = None,
    generic: float = 0.0,
) -> Rewrite:
    """Rules on the default path: resolve the year in play, pronouns and elliptical follow-ups.

    A rewrite keeps the follow-up's own question (what it asks for) and adds what it refers to: the
    subject of the previous question or answer in place of a pronoun, and the previous question as
    context in brackets when nothing else names the topic.
    """
    users = [t.content for t in history if t.role == "user"]
    if not users:
        return Rewrite(question, question, False, first_year_in(question))
    # rewrite the earlier turns first, so the topic carries over several turns
    prev = users[0]
    for later in users[1:]:
        prev = rewrite(later, [Turn(role="user", content=prev)], specificity, generic).standalone
    said_turns = [t.content for t in history if t.role == "assistant"]
    prev_answer = said_turns[-1] if said_turns else ""
    prev_year = first_year_in(prev)
    if prev_year is None:
        # the year in play is the one the last answer led with
        prev_year = labelled_year(prev_answer)
    if not is_followup(question):
        return Rewrite(question, question, False, first_year_in(question))
    q = question.strip()
    year = first_year_in(q)
    if year is None and prev_year is not None:
        if YEAR_BEFORE_RE.search(q):
            year = previous_year(prev_year)
            q = YEAR_BEFORE_RE.sub("", q)
        elif YEAR_AFTER_RE.search(q):
            year = next_year(prev_year)
            q = YEAR_AFTER_RE.sub("", q)
        else:
            year = prev_year
    tail = _ELLIPSIS_RE.sub("", q).strip()
    if _ELLIPSIS_RE.search(q) and re.match(
        r"(?i)(how|what|which|who|when|where|why|is|are|was|were|did|does|do|has|have|can|could)\b", tail
    ):
        q = tail[0].upper() + tail[1:]  # "And how does it compare ...?" is a whole question with a pronoun
    topic = subject(prev, prev_answer, specificity, generic)
    base = strip_time(prev).rstrip("?. ")
    if _ELLIPSIS_RE.search(q):
        tail = _ELLIPSIS_RE.sub("", q).strip(" ?.,")
        tail = re.sub(r"^(in|for|the)\s*$", "", tail, flags=re.I).strip()
        if not tail:
            standalone = base
        elif (
            topic
            and entities(tail)
            and topic in base
            and not re.match(r"(?i)(across|in|at|for|by|from|among|within|over|under|with)\b", tail)
        ):
            standalone = re.sub(r"(?i)\b(the\s+)?" + re.escape(topic), lambda _: tail.strip(), base, count=1)
        else:
            standalone = f"{base} {tail}".strip()
    elif _PRONOUN_RE.search(q) and topic:
        standalone = _PRONOUN_RE.sub(
            lambda m: topic + ("'s" if m.group(0).lower() in ("its", "their", "his", "her") else ""),
            q,
            count=1,
        )
        if topic.lower() not in base.lower():
            standalone = f"{standalone.rstrip('?. ')} ({base})"
    elif topic and (m := _THERE_RE.match(q)):
        # "How many are there?" asks the count of the subject: "How many <subject> are there?"
        standalone = f"{m.group(1)} {topic} {q[m.end(1):].strip()}"
    else:
        # the follow-up keeps what it asks ("What did it cost?"); the topic comes along in brackets
        standalone = (
            f"{q.rstrip('?. ')} ({topic + ': ' if topic and topic.lower() not in base.lower() else ''}{base})"
        )
    standalone = re.sub(r"\s+", " ", standalone).strip(" ?.")
    if year and not first_year_in(standalone):
        standalone += f" in {year}"
    return Rewrite(question, standalone + "?", True, year)
