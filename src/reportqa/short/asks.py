"""What the question asks for, as the short answer reads it: its asks (a multi-part question's parts), and
for each that asks for a figure its kind, measure and names (`_asked`, `question.query.read_query`); whether a
sentence holds a figure of a kind (`_holds`; of any kind but a year or a date for "figure", a question that
leaves the kind open) and how well its figures count the asked measure
(`_counts_asked`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reportqa.types import Answer

if TYPE_CHECKING:
    from reportqa.answer.features import AnswerType
    from reportqa.question.query import Query

_FIGURE_KINDS = ("count", "money", "percent", "duration", "date", "figure")


@dataclass(frozen=True)
class _Ask:
    kind: AnswerType  # the answer type (lexicon/answer_types.toml) of the figure asked; "figure": any kind
    measure: dict[str, float]  # the measure's words (`figures.measure_words`), {} when none was read
    names: tuple[str, ...]  # the names asked about, but those every report holds ("MOPAC", "the Met")


def _asked(answer: Answer) -> list[_Ask]:
    """What each ask of the question wants (`question.query.read_query`, one per part of a multi-part
    question) when it asks for a figure: its kind, its measure and the names it asks about."""
    from reportqa.answer.features import answer_types
    from reportqa.figures import measure_words

    by_name = {t.name: t for t in answer_types()}
    # a figure whose kind the question leaves open ("the latest figure for public confidence"): any figure
    by_name["figure"] = replace(by_name["count"], name="figure")
    out: list[_Ask] = []
    for ask in _asks(answer):
        query = _query(ask)
        if query.kind in _FIGURE_KINDS and query.kind in by_name:
            out.append(_Ask(by_name[query.kind], measure_words(query.measure) if query.measure_read else {},
                            _names(query)))
    return out


def _names(query: Query) -> tuple[str, ...]:
    """The names an ask asks about, but those every report holds."""
    return tuple(n for n in query.subjects if n.casefold().removeprefix("the ") not in _EVERYWHERE)


def _asked_names(answer: Answer) -> tuple[str, ...]:
    """The names the question asks about (every ask's, in order), but those every report holds."""
    return tuple(dict.fromkeys(n for ask in _asks(answer) for n in _names(_query(ask))))


# names every report holds: a passage naming one of them is not thereby about what was asked
_EVERYWHERE = frozenset({"mopac", "met", "mps", "metropolitan police", "metropolitan police service", "mayor",
                         "london", "city hall", "the mayor", "mayor's", "home office", "government"})


def _query(ask: str) -> Query:
    from reportqa.question.query import read_query

    return read_query(ask)


def _counts_asked(text: str, kind: str, measure: Mapping[str, float]) -> float:
    """How well the sentence's figures of the asked kind count the asked measure (`figures.phrase_match`
    over what each counts, read widely: `figures.counted`), 0 when it has none."""
    from reportqa.figures import counted, figures_in, phrase_match

    best = 0.0
    for f in figures_in(text):
        what = counted(text, f) if kind in (f.kind, "figure") else None
        if what is not None:
            best = max(best, phrase_match(measure, replace(f, counts=what)))
    return best


def _asks(answer: Answer) -> list[str]:
    """The question's asks: a multi-part question's rewritten form joins them with ' | '."""
    q = answer.rewritten_question or answer.question
    return [a.strip() for a in q.split(" | ") if a.strip()]


def _holds(kind: AnswerType, text: str) -> bool:
    """Does a sentence hold a figure of this kind? As the answerer's lexicon finds it, but a date is a year or
    a month's name as a name ("1 July 2015", "May 2022"), not the verb in "wherever they may be"."""
    from reportqa.answer.features import has_answer_type

    if kind.name == "date":
        return bool(_DATE.search(text))
    if kind.name == "figure":
        from reportqa.figures import figures_in

        return bool(figures_in(text))
    return has_answer_type(kind, text)


_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:January|February|March|April|June|July|August|September|October|"
                   r"November|December)\b|\d\s*May\b|\bMay\s*\d")
