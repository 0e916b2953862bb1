"""A follow-up made to stand on its own: the rules' rewrite (`reportqa.conversation.rewrite`), or an LLM's
when one is configured, cut to the question limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportqa.conversation import rewrite
from reportqa.pipeline.asks import MAX_QUESTION_CHARS, shorten

if TYPE_CHECKING:
    from reportqa.pipeline.engine import Engine
    from reportqa.types import Turn


def standalone(
    engine: Engine, question: str, turns: list[Turn], backend: str | None, notes: list[str]
) -> tuple[str, bool]:
    """The question rewritten to stand on its own (and whether it changed), at most MAX_QUESTION_CHARS."""
    rw = rewrite(question, turns, engine.specificity, engine.generic_name_idf)
    text = rw.standalone
    use_llm = (backend or engine.config.backend).lower() == "llm" and bool(engine.config.llm.url)
    if use_llm and turns and rw.changed:
        # with an LLM configured, it rewrites follow-ups; the rules' rewrite is the fallback
        text = engine.llm.rewrite_followup(question, turns) or text
    if len(text) > MAX_QUESTION_CHARS:
        text = shorten(text, MAX_QUESTION_CHARS)
        notes.append(f"the question with the conversation's context was cut to {MAX_QUESTION_CHARS:,} "
                     "characters")
    return text, rw.changed
