"""One ask answered: its search plan (the filters the question states or implies, widened when they find
nothing or name a year no report covers), the extractive answer and its checks, the LLM's when chosen."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reportqa.answer.compose import finalize
from reportqa.kinds import label as document_label
from reportqa.pipeline.present import dated, with_newest
from reportqa.question.query import read_query
from reportqa.retrieve import matches
from reportqa.temporal import infer, report_years
from reportqa.types import Answer, Filters, Hit

if TYPE_CHECKING:
    from reportqa.pipeline.engine import Engine
    from reportqa.types import Turn


def answer_ask(
    engine: Engine, q: str, asked: str, standalone: str, changed: bool, turns: list[Turn],
    extra: Sequence[str], year: str | None, priority: str | None, report_id: str | None,
    backend: str | None, k: int | None, t0: float, context: str | None = None,
    extra_hits: Sequence[Hit] = (),
) -> Answer:
    """One ask, checked and rewritten: retrieve, answer, verify. `q` is the question as asked, `asked`
    the part of it answered here. `extra_hits` (a Mayor's Question part: the passages the whole question's
    retrieval ranks first) join the ask's own hits when within its filters (`with_extra`)."""
    base = Filters(
        years=(engine.resolve_year(year),) if year else (),
        priority=engine.resolve_priority(priority),
        report_id=report_id,
    )
    scope = infer(standalone, engine.reports, base)
    t1 = time.perf_counter()
    notes = [*scope.notes, *extra]
    k_used = k or engine.config.retrieval.answer_k
    focus = asked if changed else ""
    used = scope.filters
    if scope.uncovered:
        # a year no report covers as its own: a target, a baseline or next year's budget, stated in
        # another report. Look in every report, for sentences that name it.
        used = scope.filters.model_copy(update={"years": ()})
        hits = engine.retriever.search(standalone, used, k_used, context)
        # only sentences naming the asked year are evidence here (a target or a forecast for it, stated
        # in an earlier report): the period is matched by construction, so the match is not asked again
        answer = engine.extractive.answer(standalone, hits, (), engine.coverage_text(), focus=focus,
                                          require_years=scope.uncovered, match=False)
        if answer.status == "not_found":
            answer = engine.extractive.not_found(
                standalone, hits, engine.coverage_text(),
                reason=f"No report in the collection covers {_and(scope.uncovered)}, and no sentence "
                f"naming it answers what was asked; the reports cover "
                f"{_and(report_years(engine.reports))}.",
            )
        else:
            notes.append(f"no report covers {_and(scope.uncovered)}: found in a report that names it")
        t2 = time.perf_counter()
    else:
        hits = engine.retriever.search(standalone, scope.filters, k_used, context)
        if not hits and not scope.filters.is_empty() and not base.years and not base.priority:
            # time scoping never empties a search: drop what the question implied, and say so
            used = scope.filters.model_copy(update={"years": (), "plan": None})
            hits = engine.retriever.search(standalone, used, k_used, context)
            notes.append(
                "no passage matched the years or plan read from the question: searched every report"
            )
        hits = with_newest(engine, read_query(asked if changed else standalone), standalone, hits,
                           scope.filters, k_used, context)
        hits = with_extra(hits, extra_hits, used)
        t2 = time.perf_counter()
        answer = engine.extractive.answer(
            standalone, hits, scope.filters.years, engine.coverage_text(), focus=focus,
            match=context is None,
        )
    if answer.status == "not_found" and scope.mentioned and not base.years and not scope.uncovered:
        # a year in a question may be the year of the data, reported in a later report: look in every
        # report, for a sentence that itself names that year
        wider = scope.filters.model_copy(update={"years": ()})
        more = engine.retriever.search(standalone, wider, k_used, context)
        retry = engine.extractive.answer(
            standalone, more, (), engine.coverage_text(), focus=focus, require_years=scope.mentioned
        )
        if retry.status in ("answered", "partial"):
            hits, answer, used = more, retry, wider
            notes.append("the year named in the question is the year of the figures; found in " +
                         _and(sorted({document_label(c) for c in retry.citations})))
    # (a not_found with a `missing` detail is the match's decline: it too may be about an unknown name)
    unnamed = engine.extractive.stats.unmentioned(standalone) \
        if answer.status in ("answered", "partial") or answer.missing else []
    if unnamed:
        # the question is about something no report mentions: any figure found would be about
        # something else ("the Falcon Meridian review" is not the custody records review)
        answer = engine.extractive.not_found(
            standalone, hits, engine.coverage_text(),
            reason=f"None of the reports mentions {_and([f'“{n}”' for n in unnamed])}.")
    if answer.status in ("answered", "partial") and not used.years and not used.report_id:
        answer = dated(engine.reports, standalone, answer)
    chosen = (backend or engine.config.backend).lower()
    if chosen == "llm" and hits and not unnamed:
        from reportqa.answer.llm import answer_with_llm

        extractive = answer
        answer = answer_with_llm(standalone, hits, turns, engine.llm, lambda: extractive)
    t3 = time.perf_counter()
    return finalize(answer.model_copy(
        update={
            "question": q,
            "rewritten_question": standalone,
            "filters": used,
            "hits": tuple(hits),
            "notes": tuple(notes) + answer.notes,
            "timings": {"parse": t1 - t0, "retrieve": t2 - t1, "answer": t3 - t2, "total": t3 - t0},
        }
    ))


def with_extra(hits: list[Hit], extra: Sequence[Hit], filters: Filters) -> list[Hit]:
    """`hits` joined by those of `extra` within `filters`, each at the better of its two ranks: a passage
    the other search ranks first counts as ranked first (the evidence scorer weighs a passage's rank)."""
    better = {h.passage.id: h.rank for h in extra if matches(h.passage, filters)}
    own = [h.model_copy(update={"rank": min(h.rank, better.pop(h.passage.id, h.rank))}) for h in hits]
    more = [h for h in extra if h.passage.id in better]
    return [*own, *more]


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
