"""Which scored candidate leads an extractive answer: the reorderings after scoring, each within the fitted
`type_margin` (`decide.Model`) of the best sentence.

- `prefer_typed`: a sentence holding the asked kind of figure;
- `prefer_named`: a sentence whose passage names the question's specific subject;
- `prefer_measure`: for a figure question, the sentence whose figure counts the asked measure (the newest
  report's, for a question about the present).
"""

from __future__ import annotations

from reportqa.answer.answerability import about_subject
from reportqa.answer.evidence import Candidate, Question, Stats
from reportqa.answer.match import MEASURE_FIT, measure_fit
from reportqa.question.query import Query


def prefer_named(
    q: Question, candidates: list[Candidate], stats: Stats, type_margin: float
) -> list[Candidate]:
    """When the question names something specific ("the Violence Reduction Unit") and the best sentence's
    passage does not name it, the best sentence whose passage does leads instead, if it scores within
    `type_margin` of the best: evidence about the subject before evidence about something near it."""
    if not candidates:
        return candidates
    top = candidates[0]
    about = about_subject(q, [top], stats) or about_subject(q, candidates, stats)
    if not about or about[0] is top or about[0].score < top.score - type_margin:
        return candidates
    return [about[0], *(c for c in candidates if c is not about[0])]


def prefer_measure(
    query: Query, candidates: list[Candidate], newest: bool, stats: Stats, type_margin: float
) -> list[Candidate]:
    """For a figure question, the sentence whose figure counts the asked measure leads, if it scores
    within `type_margin` of the best (twice that for a question about the present) and the best sentence's
    figures count something else. For a question about the present (`newest`), the newest report with
    such a sentence leads: an old figure never leads when a newer report gives one."""
    if not candidates or not query.asks_figure or not query.measure:
        return candidates
    top = candidates[0]
    margin = type_margin * (2 if query.current and newest else 1)
    window = [c for c in candidates if c.score >= top.score - margin]
    fits = {c.key: measure_fit(query, c.sentence.text, stats.idf) for c in window}
    # a sentence that names less of what the question names never leads instead ("young people" in
    # another programme's passage for "people in Stop and Search Monitoring Groups")
    good = [c for c in window
            if fits[c.key] >= MEASURE_FIT and c.features["names"] >= top.features["names"]]
    if not good:
        return candidates
    if query.current and newest:
        best = max(good, key=lambda c: (c.passage.year, fits[c.key], c.score))
        if best.passage.year <= top.passage.year and fits[top.key] >= MEASURE_FIT:
            return candidates
    else:
        if fits[top.key] >= MEASURE_FIT:
            return candidates
        best = max(good, key=lambda c: (fits[c.key], c.score))
    return [best, *(c for c in candidates if c is not best)]


def prefer_typed(q: Question, candidates: list[Candidate], type_margin: float) -> list[Candidate]:
    """When a kind of figure is asked and the best sentence has none, the best sentence that has one
    leads instead, if it scores within `type_margin` of the best and names as much of what the
    question names."""
    if q.answer_type is None or not candidates or candidates[0].features["type_match"] >= 1.0:
        return candidates
    top = candidates[0]
    typed = next((c for c in candidates if c.features["type_match"] >= 1.0
                  and c.features["names"] >= top.features["names"]), None)
    if typed is None or typed.score < top.score - type_margin:
        return candidates
    return [typed, *(c for c in candidates if c is not typed)]
