"""A question of several asks: each answered on its own, read after the ask before it, then combined."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reportqa.answer.compose import finalize
from reportqa.pipeline.asks import asks_answered
from reportqa.pipeline.combine import combine
from reportqa.pipeline.followup import standalone
from reportqa.pipeline.refusal import refuse_ask
from reportqa.pipeline.single import answer_ask
from reportqa.types import Answer, Turn

if TYPE_CHECKING:
    from reportqa.pipeline.engine import Engine


def answer_asks(
    engine: Engine, q: str, asks: list[str], year: str | None, priority: str | None, backend: str | None,
    k: int | None, t0: float, notes: Sequence[str] = (),
) -> Answer:
    """A question with several asks: each answered on its own (the first MAX_ASKS of them), then joined
    with markers renumbered. Asks that are instructions are dropped, unless every ask is one."""
    notes = list(notes)
    asks = asks_answered(asks, notes)
    answers: list[Answer] = []
    history: list[Turn] = []
    for part in asks:
        ans = _answer_part(engine, part, history, year, priority, backend, k)
        answers.append(ans)
        history = [Turn(role="user", content=ans.rewritten_question or part)]
    if len(answers) == 1:
        return answers[0].model_copy(update={"question": q, "notes": answers[0].notes + tuple(notes)})
    combined = finalize(combine(q, answers, time.perf_counter() - t0))
    return combined.model_copy(update={"notes": combined.notes + tuple(notes)})


def _answer_part(
    engine: Engine, part: str, history: list[Turn], year: str | None, priority: str | None,
    backend: str | None, k: int | None,
) -> Answer:
    """One ask of a several-ask question, read after the ask before it; never split again."""
    refusal = refuse_ask(part)
    if refusal is not None:
        return refusal
    notes: list[str] = []
    text, changed = standalone(engine, part, history, backend, notes)
    return answer_ask(engine, part, part, text, changed, history, notes, year, priority, None, backend, k,
                      time.perf_counter())
