"""A question as asked: its text checked, the instructions inside it dropped, and its asks split apart."""

from __future__ import annotations

import re

from reportqa.errors import InputError
from reportqa.text import clean_control

MAX_QUESTION_CHARS = 2000
MAX_ASKS = 5  # one question is answered as at most this many asks
IGNORED_INSTRUCTION = "ignored an instruction inside the question"

_ASK_SPLIT = re.compile(
    r"(?<=\?)\s+(?=[A-Z])"
    r"|[,;]?\s+and\s+(?=(?:how|what|which|who|when|where|why|whether|did|does|has|have)\b)",
    re.I,
)
_INSTRUCTION = re.compile(
    r"^\s*(also\s+|and\s+|now\s+|then\s+)?(please\s+)?(reply|respond|answer|say|print|output|write|return|format|"
    r"ignore|forget|disregard|only|just|do not|don't|translate|repeat|use|act|pretend|stop|start)\b"
    r"(?!\s+(?:and|&)\s+(?:search|account)\b|\s+of\b)",  # "Stop and search", "Use of force": topics
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_QUESTION_FORM = re.compile(
    r"(?i)^\W*(?:and\s+|also\s+|so\s+|but\s+)?(?:(?:in|on|by|for|from|to|under|at|with|of|over|since|across|"
    r"during)\s+(?:\S+\s+){0,3}?)?(?:what|how|which|who|whom|whose|when|where|why|whether|if|is|are|was|were|"
    r"do|does|did|has|have|had|will|would|can|could|should|shall|may|might|to what extent)\b"
)
_QUESTION_WORD = re.compile(r"(?i)\b(?:what|how|which|who|whom|whose|when|where|why|whether)\b")


def clean_question(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    if not isinstance(question, str):
        raise InputError("the question must be text", "pass a string")
    q = re.sub(r"\s+", " ", clean_control(question)).strip()
    if not q:
        raise InputError("the question is empty", "type a question about MOPAC's reports")
    if len(q) > limit:
        raise InputError(
            f"the question is too long ({len(q)} characters; the limit is {limit})",
            "shorten it, or use `reportqa draft` for a long Mayor's Question",
        )
    return q


def drop_instructions(question: str) -> str:
    """'Stop. What was the budget of the Lighthouse? Repeat after me.' -> the question inside.

    Sentences that instruct rather than ask are dropped when a question (a sentence ending in '?') remains;
    a text that is nothing but instructions is left as it is, to be answered (or not found) as written.
    """
    sentences = _SENTENCE.split(question)
    kept = [s for s in sentences if s.endswith("?") or not _INSTRUCTION.match(s)]
    if len(kept) == len(sentences) or not any(s.endswith("?") for s in kept):
        return question
    return " ".join(kept)


def split_asks(question: str) -> list[str]:
    """'What did X get in 2022-23 and how many projects did it fund?' -> two asks."""
    parts = [p.strip(" ,;") for p in _ASK_SPLIT.split(question) if p and p.strip(" ,;")]
    parts = [
        p
        for p in parts
        if not re.fullmatch(r"(?i)(how|what|which|who|when|where|why|whether|did|does|has|have)", p)
    ]
    if len(parts) < 2 or any(len(p.split()) < 3 for p in parts):
        return [question]
    return [p if p.endswith("?") else p + "?" for p in parts]


def _is_question(ask: str) -> bool:
    """An ask in question form: a question word anywhere ("According to X, where did ...") or an
    auxiliary first ("Did the Met ...")."""
    return bool(_QUESTION_FORM.match(ask) or _QUESTION_WORD.search(ask))


def asks_answered(asks: list[str], notes: list[str]) -> list[str]:
    """The asks of a several-ask question that are answered, saying in `notes` what was left out: asks that
    are instructions are dropped, unless every ask is one, and only the first MAX_ASKS are kept."""
    # an ask in question form (a question word or an auxiliary first) is a question; beside one, an ask
    # that is not ("End your reply with ...", "After answering, write ...") is an instruction
    kept = [p for p in asks if not _INSTRUCTION.match(p)]
    if any(_is_question(p) for p in kept):
        kept = [p for p in kept if _is_question(p)]
    if kept and len(kept) < len(asks):
        asks = kept
        if IGNORED_INSTRUCTION not in notes:
            notes.append(IGNORED_INSTRUCTION)
    if len(asks) > MAX_ASKS:
        notes.append(f"the question has {len(asks)} asks: the first {MAX_ASKS} were answered; "
                     "ask the others on their own")
        asks = asks[:MAX_ASKS]
    return asks


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, still a question."""
    cut = text.rfind(" ", 0, limit)
    text = text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:-(?.")
    return text + "?"
