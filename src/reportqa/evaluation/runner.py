"""Runs the assistant over eval items and records what it did, as plain serialisable values.

Ordinary questions go through `Assistant.ask` exactly as a user's would (with their history); the
ranking scored for retrieval is the answer's own `hits` (the passages it chose its evidence from, best
first), so retrieval is scored on what the answer actually used. Mayor's Questions go through
`Assistant.draft_mq` and are recorded part by part, each draft part aligned with a part of the item.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportqa.errors import ReportQAError
from reportqa.evaluation.dataset import Item
from reportqa.text import content_words
from reportqa.types import Citation, Filters, Trend

if TYPE_CHECKING:
    from reportqa.service import Assistant

log = logging.getLogger(__name__)

RANK_DEPTH = 10
# draft-part statuses that say "the reports do not give this"
NOT_COVERED = ("not_found", "policy", "refused")


@dataclass(frozen=True)
class CitationRecord:
    marker: int
    report_id: str
    title: str
    year: str
    section: str
    quote: str
    start: int
    end: int
    passage: str


@dataclass(frozen=True)
class Retrieved:
    passage_id: str
    report_id: str
    year: str
    start: int
    end: int
    text: str  # the cleaned passage text, as shown and embedded


@dataclass(frozen=True)
class TrendLine:
    """One report's row of a trend answer's table (`Answer.trend`), as the answer states it."""

    year: str
    report_id: str
    # what its line states after the year (`trend_render.row_statement`: "22,000 body-worn video cameras;
    # period: In 2015/16 [2]"); "" when the report gives no figure
    statement: str
    marker: int | None  # the marker of the citation its figure is read from; None without a figure


@dataclass(frozen=True)
class AnswerRun:
    question: str  # what was asked (for a draft part: the part as the drafter read it)
    status: str  # answered | not_found | refused | (draft parts) policy | not_processed | error
    text: str
    citations: tuple[CitationRecord, ...] = ()
    rewritten_question: str = ""
    filters: tuple[tuple[str, str], ...] = ()  # flattened Filters, for the report
    retrieved: tuple[Retrieved, ...] = ()
    error: str = ""
    nearby: tuple[CitationRecord, ...] = ()  # a draft part's nearby passages: shown, never cited
    # the sentences of `text` saying what the reports do not give, as recorded (`Answer.gaps`, a draft
    # part's `gap`): the citation contract checks no figure in them
    gaps: tuple[str, ...] = ()
    trend: tuple[TrendLine, ...] = ()  # a trend answer's table, row by row (`Answer.trend`); () for others


@dataclass(frozen=True)
class ItemRun:
    item_id: str
    answer: AnswerRun
    parts: tuple[AnswerRun, ...] | None = None  # aligned with the item's parts, one for each
    latency: float = 0.0


def _citations(cs: Sequence[Citation]) -> tuple[CitationRecord, ...]:
    return tuple(
        CitationRecord(
            c.marker, c.report_id, c.title, c.year, c.section, c.quote, c.start, c.end, c.passage or ""
        )
        for c in cs
    )


def trend_lines(t: Trend | None) -> tuple[TrendLine, ...]:
    """A trend answer's rows as the eval records them (() without a trend)."""
    from reportqa.trend_render import row_statement

    if t is None:
        return ()
    return tuple(
        TrendLine(r.year, r.report_id, row_statement(r, named=t.shared(r.year)),
                  r.citation.marker if r.figure is not None and r.citation is not None else None)
        for r in t.rows
    )


def _flat(f: Filters) -> tuple[tuple[str, str], ...]:
    out = []
    if f.years:
        out.append(("years", ",".join(f.years)))
    for key in ("plan", "priority", "report_id"):
        value = getattr(f, key)
        if value:
            out.append((key, str(value)))
    return tuple(out)


def _ranking(assistant: Assistant, question: str, filters: Filters) -> tuple[Retrieved, ...]:
    hits = assistant.retrieve(question, filters, k=RANK_DEPTH)
    return tuple(
        Retrieved(
            h.passage.id, h.passage.report_id, h.passage.year, h.passage.start, h.passage.end, h.passage.clean
        )
        for h in hits
    )


def run_question(assistant: Assistant, item: Item, backend: str | None = None) -> ItemRun:
    t0 = time.perf_counter()
    try:
        ans = assistant.ask(item.question, history=item.history_dicts(), backend=backend)
    except ReportQAError as exc:
        return ItemRun(item.id, AnswerRun(item.question, "error", "", error=exc.message), None,
                       time.perf_counter() - t0)
    latency = time.perf_counter() - t0
    # the passages the answer was chosen from, as it used them: no second retrieval to disagree with it
    retrieved = tuple(
        Retrieved(
            h.passage.id, h.passage.report_id, h.passage.year, h.passage.start, h.passage.end, h.passage.clean
        )
        for h in ans.hits[:RANK_DEPTH]
    )
    run = AnswerRun(
        question=item.question, status=ans.status, text=ans.text, citations=_citations(ans.citations),
        rewritten_question=ans.rewritten_question, filters=_flat(ans.filters), retrieved=retrieved,
        gaps=ans.gaps, trend=trend_lines(ans.trend),
    )
    return ItemRun(item.id, run, None, latency)


def align(gold_questions: Sequence[str], drafted: Sequence[str]) -> list[list[int]]:
    """For each gold part, the drafted parts that ask it, best match first ([] when nothing was drafted).

    Same number of parts: taken in order. Otherwise each drafted part goes to the gold part it shares
    the most content words with (nearer relative positions first on a tie), so a gold part the drafter
    split in two is judged on both halves; a gold part left with none (the drafter merged it into
    another) borrows its best match.
    """
    if not drafted:
        return [[] for _ in gold_questions]
    if len(drafted) == len(gold_questions):
        return [[i] for i in range(len(drafted))]
    gw = [content_words(q) for q in gold_questions]
    dw = [content_words(d) for d in drafted]

    def score(i: int, j: int) -> tuple[float, float]:
        union = gw[i] | dw[j]
        sim = len(gw[i] & dw[j]) / len(union) if union else 0.0
        return (sim, -abs(i / max(len(gw), 1) - j / max(len(dw), 1)))

    out: list[list[int]] = [[] for _ in gold_questions]
    for j in range(len(drafted)):
        out[max(range(len(gw)), key=lambda i: score(i, j))].append(j)
    for i, js in enumerate(out):
        if not js:
            js.append(max(range(len(dw)), key=lambda j: score(i, j)))
        js.sort(key=lambda j: score(i, j), reverse=True)
    return out


def _combined(parts: Sequence[AnswerRun]) -> AnswerRun:
    """Several drafted parts judged as one gold part: answered if any is; texts and citations joined."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    status = "answered" if any(p.status == "answered" for p in parts) else first.status
    cites: dict[int, CitationRecord] = {}
    for p in parts:
        for c in p.citations:
            cites.setdefault(c.marker, c)
    return AnswerRun(
        question=" | ".join(p.question for p in parts), status=status, text="\n".join(p.text for p in parts),
        citations=tuple(cites[k] for k in sorted(cites)),
        rewritten_question=" | ".join(p.rewritten_question for p in parts),
        filters=first.filters, retrieved=first.retrieved, error="; ".join(p.error for p in parts if p.error),
        gaps=tuple(g for p in parts for g in p.gaps),
    )


def run_mayors_question(assistant: Assistant, item: Item, backend: str | None = None) -> ItemRun:
    from reportqa.temporal import infer

    t0 = time.perf_counter()
    try:
        draft = assistant.draft_mq(item.question, backend=backend)
    except ReportQAError as exc:
        failed = AnswerRun(item.question, "error", "", error=exc.message)
        return ItemRun(item.id, failed, tuple(failed for _ in item.parts or ()), time.perf_counter() - t0)
    latency = time.perf_counter() - t0
    drafted = list(draft.parts)
    gold_parts = item.parts or ()
    groups = align([p.question for p in gold_parts], [f"{d.question} {d.standalone}" for d in drafted])
    ranked = {js[0] for gp, js in zip(gold_parts, groups, strict=True) if gp.gold and js}  # primaries only
    runs: dict[int, AnswerRun] = {}
    parts: list[AnswerRun] = []
    for gp, js in zip(gold_parts, groups, strict=True):
        if not js:
            parts.append(AnswerRun(gp.question, "not_processed", "", error="the draft has no parts"))
            continue
        for j in js:
            if j in runs:
                continue
            d = drafted[j]
            retrieved: tuple[Retrieved, ...] = ()
            filters = Filters()
            if j in ranked and d.status in ("answered", *NOT_COVERED):
                base = Filters(years=(d.years[0],)) if len(d.years) == 1 else Filters()
                filters = infer(d.standalone, assistant.reports, base).filters
                retrieved = _ranking(assistant, d.standalone, filters)
            runs[j] = AnswerRun(
                question=d.question, status=d.status, text=d.text, citations=_citations(d.citations),
                rewritten_question=d.standalone, filters=_flat(filters), retrieved=retrieved,
                gaps=(d.gap,) if d.gap else (),
            )
        parts.append(_combined([runs[j] for j in js]))
    summary = AnswerRun(
        item.question,
        "answered" if any(p.status == "answered" for p in parts) else "not_found",
        draft.summary,
    )
    return ItemRun(item.id, summary, tuple(parts), latency)


def run_assembly_question(assistant: Assistant, item: Item, backend: str | None = None) -> ItemRun:
    """A real Assembly question, drafted as an officer would: the whole draft is one run.

    Its status is "answered" when any part is answered; its citations are those of the answered parts and
    the background cited for a part that is for the Mayor (the nearby passages shown for an uncovered part
    are not citations); `parts` holds every drafted part for the report.
    """
    t0 = time.perf_counter()
    try:
        draft = assistant.draft_mq(item.question, backend=backend)
    except ReportQAError as exc:
        return ItemRun(item.id, AnswerRun(item.question, "error", "", error=exc.message), (),
                       time.perf_counter() - t0)
    latency = time.perf_counter() - t0
    parts = tuple(
        AnswerRun(question=d.question, status=d.status, text=d.text, citations=_citations(d.citations),
                  rewritten_question=d.standalone, nearby=_citations(d.related),
                  gaps=(d.gap,) if d.gap else ())
        for d in draft.parts
    )
    answered = [p for p in parts if p.status == "answered"]
    # a part for the Mayor's office cites the reports' background to it: those are quoted as facts too
    cites = {c.marker: c for p in parts if p.status in ("answered", "policy") for c in p.citations}
    summary = AnswerRun(
        item.question, "answered" if answered else "not_found", draft.summary,
        citations=tuple(cites[k] for k in sorted(cites)),
        nearby=_citations(draft.nearby),  # the draft's own nearby passages: shown, never cited
    )
    return ItemRun(item.id, summary, parts, latency)


def run_items(
    assistant: Assistant, items: Sequence[Item], backend: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[ItemRun]:
    runs: list[ItemRun] = []
    for n, item in enumerate(items, 1):
        if item.type == "mayors_question":
            runs.append(run_mayors_question(assistant, item, backend))
        elif item.type == "assembly_question":
            runs.append(run_assembly_question(assistant, item, backend))
        else:
            runs.append(run_question(assistant, item, backend))
        if progress is not None:
            progress(n, len(items), item.id)
    return runs
