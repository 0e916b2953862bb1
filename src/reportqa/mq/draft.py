"""`draft_mq`: one ask per part, through the `Asker` it is given, composed into one draft."""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from reportqa.errors import InputError, ReportQAError
from reportqa.mq.analysis import analyse
from reportqa.mq.compose import MQDraft, _compose, _Item
from reportqa.mq.model import MQAnalysis, MQPart
from reportqa.temporal import report_years
from reportqa.types import Answer, Citation, Filters, Hit, Report
from reportqa.years import (
    written_forms,
    years_in,
)

log = logging.getLogger(__name__)


class Asker(Protocol):
    """What drafting needs of an assistant: `reportqa.service.Assistant` is one, a test double another.

    Drafting depends on this seam only, never on `reportqa.service`, so neither imports the other.
    """

    @property
    def reports(self) -> Sequence[Report]: ...  # the collection's documents

    @property
    def generic_name_idf(self) -> float: ...  # names at or below this idf are too common to be a subject

    def ask(self, question: str, *, year: str | None = None, backend: str | None = None,
            context: str | None = None, extra_hits: Sequence[Hit] = ()) -> Answer: ...

    # the `k` passages retrieval ranks first for `question`, best first
    def retrieve(self, question: str, filters: Filters | None = None, k: int = 5) -> list[Hit]: ...

    def coverage_text(self) -> str: ...  # "annual reports for 2014-15, ..."

    def specificity(self, name: str) -> float: ...  # how rare a name is in the reports (idf)

    # the best sentence of each of the `k` passages retrieval ranks first for `question`, as citations
    def background(self, question: str, k: int = 5) -> list[Citation]: ...


BACKGROUND_PASSAGES = 5  # the passages retrieval ranks first for the whole question, shown in every draft
DRAFT_THRESHOLD_FILE = Path(__file__).parent.parent / "answer" / "draft_threshold.json"


@functools.cache
def draft_threshold() -> float:
    """The P(answerable) a draft part needs to be drafted as answered (0.0 when no threshold was fitted).

    Fitted by scripts/fit_draft_threshold.py on the dev split's Mayor's Questions and real Assembly
    questions, written with its dev and test figures to answer/draft_threshold.json.
    """
    if not DRAFT_THRESHOLD_FILE.is_file():
        return 0.0
    try:
        return float(json.loads(DRAFT_THRESHOLD_FILE.read_text(encoding="utf-8"))["threshold"])
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise ReportQAError(f"{DRAFT_THRESHOLD_FILE}: unreadable drafting threshold ({exc})",
                            "refit it: python scripts/fit_draft_threshold.py") from exc


def _untitled(title: str) -> str:
    """A tabled title without its series number: "Racism in Met Police (4)" -> "Racism in Met Police"."""
    return re.sub(r"\s*\(\d+\)$", "", title).strip()


def question_context(analysis: MQAnalysis) -> str:
    """What every part of a tabled question stands in: its title, preamble, lead-in and quotations."""
    bits = [analysis.title, analysis.preamble.replace("[quoted]", " "), analysis.lead_in, *analysis.quotes]
    tidy = [" ".join(b.split()) for b in bits if b.strip()]
    # each piece ends as a sentence, so a title's last word never runs into the preamble's first
    return " ".join(b if b[-1] in ".?!:;" else b + "." for b in tidy)


def context_subject(assistant: Asker, context: str) -> str:
    """The most specific name the question's context gives ("the London Landscape"), or ""."""
    from reportqa.conversation import subject

    return subject(context, "", assistant.specificity, assistant.generic_name_idf)


def draft_subject(assistant: Asker, analysis: MQAnalysis, context: str) -> str:
    """What a part that names nothing specific is asked about: the question's title ("BAME women in the
    Met"), else the preamble's most specific name, else "".

    The tabled title is the Assembly member's own summary of what every part is about, while the names a
    preamble gives are often its sources: a newspaper, a committee, a report, a speaker."""
    return _untitled(analysis.title) or (context_subject(assistant, context) if context else "")


def with_subject(standalone: str, topic: str | None, subject: str, assistant: Asker) -> str:
    """A part that names nothing specific ("What progress has been made here?") asked about the preamble's
    subject: "What progress has been made here (London Landscape)?". A part that names its own subject, or
    that the analysis already tied to a programme, is left as it is."""
    from reportqa.answer.features import named_things

    if not subject or topic or subject.lower() in standalone.lower():
        return standalone
    if any(assistant.specificity(n) > assistant.generic_name_idf for n in named_things(standalone)):
        return standalone
    return f"{standalone.rstrip(' ?')} ({subject})?"


def part_extra_hits(whole: Sequence[Hit], parts: int) -> list[Hit]:
    """The passages the whole question's retrieval ranks first (`whole`), as evidence for one of its
    `parts` parts: a question of n parts spreads its first ranks over n subjects, so rank r counts as
    rank r*n for one part (a one-part question's ranking is the part's own). The part's answerer weighs
    them with its own hits, by how well their sentences answer the part."""
    return [h.model_copy(update={"rank": h.rank * max(parts, 1)}) for h in whole]


def _ask_part(assistant: Asker, part: MQPart, backend: str | None, context: str = "",
              subject: str = "", title: str = "",
              whole: Sequence[Hit] = ()) -> tuple[Answer, tuple[str, ...]]:
    """Ask one part; a year no report covers is looked for in the nearest reports that mention it.

    The part is searched with the question's `context` beside it, and asked about the preamble's `subject`
    when it names nothing specific itself. "What was the MPS net budget in 2012/13?" is answered by the
    2015-16 report, which states it. The answer is kept only when its quotes name the asked year, so a
    figure for another year never stands in. Returns the answer and the asked years no report covers
    (empty unless the answer is not_found).
    """
    # a year carried from the preamble or an earlier part is pinned; a year the part names itself is left
    # to the service, which may widen to a later report that states that year's figure
    year = part.years[0] if len(part.years) == 1 and part.year_carried else None
    asked = with_subject(part.standalone, part.topic, subject, assistant)
    if asked != part.standalone:
        part = part.model_copy(update={"standalone": asked})
    ans: Answer = assistant.ask(part.standalone, year=year, backend=backend, context=context or None,
                                extra_hits=whole)
    topic = title or subject or part.topic or part.subject
    refused_as = ans.refusal
    if part.policy and ans.status == "refused" and refused_as == "politics" and topic:
        # "Do you agree that ...?" is for the Mayor's office; the draft still gives what the reports say
        # about its subject, as background
        ans = assistant.ask(f"What do the reports say about {topic}?", year=year, backend=backend,
                            context=context or None)
    if ans.status != "not_found":
        return ans, ()
    covered = report_years(list(assistant.reports))
    uncovered = [y for y in years_in(part.standalone) if y not in covered]
    if not uncovered or not covered:
        return ans, ()
    start = int(uncovered[0][:4])
    for y in sorted(covered, key=lambda c: (abs(int(c[:4]) - start), -int(c[:4])))[:2]:
        retry: Answer = assistant.ask(part.standalone, year=y, backend=backend, context=context or None)
        if retry.status == "answered" and all(
            written_forms(u).search(c.quote) for u in uncovered for c in retry.citations[:1]
        ):
            note = (f"No report covers {' or '.join(uncovered)} itself; the {y} report states the figure "
                    f"for it.")
            found = retry.model_copy(update={"text": f"{retry.text}\n{note}", "notes": retry.notes + (note,)})
            return found, ()
    return ans, tuple(uncovered)


def draft_mq(assistant: Asker, text: str, max_parts: int = 8, max_chars: int = 12000,
             backend: str | None = None, time_budget: float = 120.0,
             min_answerability: float | None = None) -> MQDraft:
    """Analyse a tabled Mayor's Question, answer each part on its own, compose one draft.

    Parts beyond `max_parts`, or left when `time_budget` seconds have gone, are listed as not processed.
    A part whose evidence has P(answerable) below `min_answerability` (default: the drafting threshold
    fitted on the dev split, `draft_threshold()`) is drafted as not covered, its evidence shown as nearby.
    """
    t0 = time.perf_counter()
    analysis = analyse(text, max_chars=max_chars)
    t1 = time.perf_counter()
    items: list[_Item] = []
    threshold = draft_threshold() if min_answerability is None else min_answerability
    context = question_context(analysis)
    subject = draft_subject(assistant, analysis, context)
    covered = tuple(report_years(list(assistant.reports)))
    # what retrieval ranks first for the question as tabled: a part's evidence never holds less of it
    whole = part_extra_hits(assistant.retrieve(analysis.text, k=BACKGROUND_PASSAGES),
                            len(analysis.parts)) if analysis.text.strip() else []
    for i, part in enumerate(analysis.parts):
        if i >= max_parts:
            items.append(_Item(part, None, f"the draft answers the first {max_parts} parts"))
            continue
        if time.perf_counter() - t0 > time_budget:
            items.append(_Item(part, None, f"the {time_budget:.0f}-second time limit was reached"))
            continue
        try:
            ans, uncovered = _ask_part(assistant, part, backend, context, subject, _untitled(analysis.title),
                                       whole)
        except ReportQAError as exc:
            log.warning("part %s failed: %s", part.label, exc.message)
            items.append(_Item(part, None, error=exc.message))
            continue
        except Exception as exc:  # one failing part must not lose the others' answers; logged in full
            log.exception("part %s failed", part.label)
            items.append(_Item(part, None, error=f"unexpected {type(exc).__name__}"))
            continue
        if (ans.status == "answered" and not part.policy and ans.answerability is not None
                and ans.answerability < threshold):
            # a draft is held to a higher bar than a chat answer: below it, the evidence is shown as
            # background to the part, not as its answer (a part for the Mayor's office keeps the reports'
            # background, quoted and labelled as such)
            ans = ans.model_copy(update={"status": "partial", "notes": ans.notes + (
                f"evidence below the drafting threshold (P(answerable) {ans.answerability:.2f} < "
                f"{threshold:.2f}): shown as background, not as the answer",)})
        items.append(_Item(part, ans, uncovered=uncovered, covered=covered))
    # what retrieval finds for the question as tabled is always shown: a part's own search may miss it
    background = assistant.background(analysis.text, k=BACKGROUND_PASSAGES) if analysis.text.strip() else []
    t2 = time.perf_counter()
    notes = list(analysis.notes)
    if analysis.quotes:
        notes.append(f"{len(analysis.quotes)} quotation(s) in the question were read as context, "
                     "not as asks.")
    title = "Draft answer: Mayor's Question" + (
        f" (further to {', '.join(analysis.references)})" if analysis.references else "")
    draft = _compose(items, title, analysis.text, assistant.coverage_text(), max_parts,
                     analysis.references, notes, question_title=analysis.title,
                     reports={r.id: r for r in assistant.reports}, background=background)
    t3 = time.perf_counter()
    return draft.model_copy(update={"timings": {"analyse": t1 - t0, "answer": t2 - t1, "compose": t3 - t2,
                                                "total": t3 - t0}})


def draft_from_answers(pairs: Sequence[tuple[str, Answer]], title: str | None = None,
                       coverage: str = "") -> MQDraft:
    """A draft from questions already answered (the officer workspace's conversation)."""
    if not pairs:
        raise InputError("there are no answers to draft from", "ask at least one question first")
    items: list[_Item] = []
    for i, (q, ans) in enumerate(pairs):
        standalone = ans.rewritten_question or q
        subject = re.match(r"(?i)^what\s+(?:is|was|are|were)\s+(.+?)\??$", standalone)
        part = MQPart(label=str(i + 1) if len(pairs) > 1 else "", text=q, question=q, standalone=standalone,
                      years=ans.filters.years, subject=subject.group(1) if subject else None)
        items.append(_Item(part, ans))
    question = "\n".join(f"{i + 1}. {q}" if len(pairs) > 1 else q for i, (q, _) in enumerate(pairs))
    return _compose(items, title or "Draft answer from the conversation", question, coverage, len(pairs))
