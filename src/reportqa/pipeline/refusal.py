"""Questions declined before any search: the refusal policy's verdict (`reportqa.safety`) or a question
that is not in English, each answered as a refusal."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reportqa.pipeline.asks import drop_instructions, split_asks
from reportqa.safety import by_model, check, check_conversation
from reportqa.text import looks_foreign
from reportqa.types import Answer, Turn

# the classes the classifier refuses one ask of a several-ask question for: on a short ask out of its
# question, personal_data scored ordinary asks ("What did Baroness Casey find about the Met?") above the
# cut-off in the dev split, where crime and politics refused none (seen sets 1-5 and the dev split)
ASK_CATEGORIES = ("crime", "politics")

NOT_ENGLISH = ("The question does not look like English. MOPAC's reports are in English: please ask in "
               "English, for example \"How many police officers does the Met have?\"")


def refused(q: str, message: str, category: str) -> Answer:
    """The answer that declines `q`: the policy's `message`, its `category` recorded as the refusal."""
    return Answer(status="refused", text=message, question=q, rewritten_question=q, refusal=category,
                  notes=(f"refused: {category}",), backend="policy")


def refuse_conversation(
    q: str, turns: Sequence[Turn], embed: Callable[[str], Sequence[float]]
) -> Answer | None:
    """The refusal of a question the policy declines read with its conversation, or None. A question of
    several asks is refused whole when the patterns, or the classifier (ASK_CATEGORIES), refuse one ask: a
    harmful ask beside an ordinary one gets no answer either way."""
    refusal = check_conversation(q, turns, embed)
    if refusal is None:
        asks = split_asks(drop_instructions(q))
        for ask in asks if len(asks) > 1 else ():
            refusal = check(ask) or by_model(ask, embed, ASK_CATEGORIES)
            if refusal is not None:
                break
    return None if refusal is None else refused(q, refusal.message, refusal.category)


def refuse_ask(ask: str) -> Answer | None:
    """The refusal of one ask of a several-ask question the policy declines on its own, or None."""
    refusal = check(ask)
    return None if refusal is None else refused(ask, refusal.message, refusal.category)


def refuse_foreign(q: str, mentions: Callable[[str], bool]) -> Answer | None:
    """The refusal of a question that does not look like English, or None."""
    return refused(q, NOT_ENGLISH, "language") if looks_foreign(q, mentions) else None
