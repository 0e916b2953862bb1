"""A Mayor's Question drafted part by part: one `Assistant.ask` per part, composed in the house style.

The draft leads with a direct answer to each part, gives the supporting figures each with its report
year, says plainly which parts the reports do not cover ("The reports do not give ..."), and ends with
one numbered list of references (title, year, section, quote): the [n] markers of every part are
renumbered across the whole draft. It is always marked as a draft to check against its sources.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import re
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportqa.answer.verify import verify_answer
from reportqa.errors import InputError, ReportQAError
from reportqa.kinds import label as document_label
from reportqa.mq import MQAnalysis, MQPart, analyse, breakdown, gap_sentence
from reportqa.temporal import report_years
from reportqa.types import Answer, Citation
from reportqa.years import written_forms, years_in

if TYPE_CHECKING:
    from reportqa.config import Config
    from reportqa.service import Assistant

log = logging.getLogger(__name__)

PartStatus = Literal["answered", "not_found", "policy", "refused", "not_processed", "error"]
DRAFT_NOTICE = (
    "DRAFT — generated from MOPAC's published reports by reportqa. Check every figure and quote "
    "against its source before use."
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DraftPart(_Frozen):
    label: str
    question: str  # the ask as tabled, without courtesies
    standalone: str  # the question that was asked of the reports
    status: PartStatus
    text: str  # the drafted answer, [n] markers numbered across the whole draft
    citations: tuple[Citation, ...] = ()  # markers are the draft's reference numbers
    related: tuple[Citation, ...] = ()  # nearby passages for a part the reports do not answer
    years: tuple[str, ...] = ()
    gap: str = ""  # for a part the reports do not answer: one sentence saying what is missing
    notes: tuple[str, ...] = ()
    marker: str = ""  # the part's marker as tabled: "(a)", "ii)", "1."; "" when it has none
    answerability: float | None = None  # the answerer's P(answerable) for the part's evidence

    def display_label(self) -> str:
        return f"({self.label})" if self.label else ""

    def heading_label(self) -> str:
        """The label a draft shows the part under: its marker as tabled, else "(label)"."""
        return self.marker or self.display_label()


class MQDraft(_Frozen):
    title: str
    question: str  # the question as received
    summary: str  # which parts are answered, which are not covered, which were not processed
    parts: tuple[DraftPart, ...]
    references: tuple[Citation, ...] = ()  # marker = the reference number used in the text
    nearby: tuple[Citation, ...] = ()  # when no part could be answered: what the reports cover nearby
    earlier_questions: tuple[str, ...] = ()
    coverage: str = ""
    notice: str = DRAFT_NOTICE
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = Field(default_factory=dict)

    def parts_with(self, *statuses: str) -> list[DraftPart]:
        return [p for p in self.parts if p.status in statuses]

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")


# -- composing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    part: MQPart
    answer: Answer | None
    reason: str = ""  # why a part was not processed, or the error it met


class _References:
    """One numbering for the whole draft: the same passage span keeps one number."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._index: dict[tuple[str, int, int], int] = {}

    def number(self, c: Citation) -> Citation:
        key = (c.passage_id, c.start, c.end)
        if key not in self._index:
            for have in self.items:  # a span inside one already listed cites that reference
                if have.passage_id == c.passage_id and have.start <= c.start and c.end <= have.end:
                    self._index[key] = have.marker
                    return have

            self._index[key] = len(self.items) + 1
            self.items.append(c.model_copy(update={"marker": len(self.items) + 1}))
        return self.items[self._index[key] - 1]


def _source_label(c: Citation) -> str:
    return document_label(c).removeprefix("the ")


def _renumber(text: str, mapping: dict[int, Citation]) -> str:
    """Local [n] -> the draft's numbers; a marker that names no citation is dropped."""
    def repl(m: re.Match[str]) -> str:
        c = mapping.get(int(m.group(1)))
        return f"[{c.marker}]" if c else ""

    return re.sub(r"\[(\d+)\]", repl, text)


def _labelled(line: str, n: int, label: str) -> str:
    """`label` inside the sentence that marker [n] closes: "... two years (2022-23 report). [2]"."""
    return re.sub(rf"([.!?]?)\s*\[{n}\]", lambda m: f" ({label}){m.group(1)} [{n}]", line, count=1)


def _with_years(text: str, by_number: dict[int, Citation]) -> str:
    """Every line that cites a report names that report's year: '... (2022-23 report) [2]'."""
    out = []
    for line in text.split("\n"):
        for n in dict.fromkeys(int(x) for x in re.findall(r"\[(\d+)\]", line)):
            c = by_number.get(n)
            if c and not written_forms(c.year).search(line):
                line = _labelled(line, n, _source_label(c))
        out.append(line)
    return "\n".join(out)


def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width, placeholder=" …")


def _nearby_text(related: Sequence[Citation]) -> str:
    if not related:
        return ""
    bits = [f"“{_shorten(c.quote, 160)}” ({_source_label(c)}) [{c.marker}]" for c in related]
    return "Nearby, the reports say: " + "; ".join(bits) + "."


def _compose_part(item: _Item, refs: _References, max_related: int = 2) -> DraftPart:
    part, ans = item.part, item.answer
    base: dict[str, Any] = {"label": part.label, "question": part.question, "standalone": part.standalone,
                            "years": part.years, "marker": part.marker,
                            "answerability": item.answer.answerability if item.answer else None}
    if ans is None:
        status: PartStatus = "error" if item.reason.startswith("error") else "not_processed"
        text = (f"Not answered: {item.reason.removeprefix('error: ')}." if status == "error"
                else f"Not processed ({item.reason}). Ask it separately, or in a shorter question.")
        return DraftPart(status=status, text=text, gap=text, **base)
    notes = list(ans.notes)
    if ans.status == "answered":
        mapping = {c.marker: refs.number(c) for c in ans.citations}
        body = _with_years(_renumber(ans.text, mapping), {c.marker: c for c in mapping.values()})
        cits = tuple(dict.fromkeys(mapping.values()))
        checked = verify_answer(body, cits)  # the one contract, again after renumbering
        if not checked.ok:
            gap = (
                gap_sentence(part)
                or "The reports' answer to this part could not be checked against its sources."
            )
            notes.append(f"verification: {checked.reason()}")
            return DraftPart(
                status="not_found", text=gap, related=cits[:max_related], gap=gap, notes=tuple(notes), **base
            )
        dim = breakdown(part.standalone)
        if dim and not part.policy and not any(dim.split()[1].lower() in c.quote.lower() for c in cits):
            # asked by borough (or ward, month...), answered for London as a whole: not what was asked
            gap = f"The reports do not give {dim}."
            text = f"{gap[:-1]}; what they give is for London as a whole:\n{body}"
            return DraftPart(status="not_found", text=text, related=cits, gap=gap, notes=tuple(notes), **base)
        if part.policy:
            body = f"{_POLICY_GAP} Background from the reports:\n{body}"
            return DraftPart(status="policy", text=body, citations=cits, gap=_POLICY_GAP, notes=tuple(notes),
                             **base)
        return DraftPart(status="answered", text=body, citations=cits, notes=tuple(notes), **base)
    if ans.status == "partial":
        # the reports cover the subject but not the asked detail: say so, and show what they give as nearby
        related = tuple(refs.number(c) for c in ans.citations[:max_related])
        gap = gap_sentence(part) or f"The reports do not give {ans.missing or 'what this part asks'}."
        text = " ".join(x for x in (gap, _nearby_text(related)) if x)
        return DraftPart(status="not_found", text=text, related=related, gap=gap, notes=tuple(notes), **base)
    if ans.status == "refused":
        category = ans.refusal or next(
            (n.split(":", 1)[1].strip() for n in ans.notes if n.startswith("refused:")), ""
        )
        text = _REFUSED.get(category, _REFUSED["off_topic"])
        return DraftPart(status="refused", text=text, gap=text, notes=tuple(notes), **base)
    related = tuple(refs.number(c) for c in ans.related[:max_related])
    lead = _POLICY_GAP if part.policy else gap_sentence(part)
    uncovered = re.search(r"No report in the collection covers [^.]*\.", ans.text)
    gap = " ".join(x for x in (lead, uncovered.group(0) if uncovered else "") if x)
    text = " ".join(x for x in (gap, _nearby_text(related)) if x)
    return DraftPart(status="policy" if part.policy else "not_found", text=text, related=related, gap=gap,
                     notes=tuple(notes), **base)


_POLICY_GAP = ("This part asks for the Mayor's decision or view, which the reports cannot give; "
               "the Mayor's office should answer it.")
_REFUSED = {
    "off_topic": "The reports do not cover this: it is outside the subject of MOPAC's reports.",
    "politics": "This part asks for a political opinion, which the reports do not give; "
                "for the Mayor's office.",
    "personal_data": "The reports do not give personal information about individuals, "
                     "and this draft does not.",
    "injection": "Not processed: this part reads as an instruction to the assistant rather than a question.",
    "crime": "Not processed: this part asks for help with something harmful, not about the reports.",
}


def _labels(parts: Sequence[DraftPart]) -> str:
    labels = [p.display_label() or "the question" for p in parts]
    word = "part" if len(labels) == 1 else "parts"
    if labels == ["the question"]:
        return "the question"
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"{word} {joined}"


def _summary(parts: Sequence[DraftPart], coverage: str, max_parts: int) -> str:
    answered = [p for p in parts if p.status == "answered"]
    missing = [p for p in parts if p.status in ("not_found", "refused", "error")]
    policy = [p for p in parts if p.status == "policy"]
    skipped = [p for p in parts if p.status == "not_processed"]
    out: list[str] = []
    if answered and not (missing or policy or skipped):
        n = len(parts)
        scope = "the question." if n == 1 else "both parts." if n == 2 else f"all {n} parts."
        out.append("The reports answer " + scope)
    elif answered:
        out.append(_cap(_labels(answered)) + (" is" if len(answered) == 1 and answered[0].label else " are")
                   + " answered from the reports.")
    if not answered and not policy:
        out.append(("None of the parts can be answered from MOPAC's reports" if len(parts) - len(skipped) > 1
                    else "The question cannot be answered from MOPAC's reports")
                   + (f" ({coverage})." if coverage else "."))
    elif missing:
        out.append(f"The reports do not cover {_labels(missing)}.")
    if policy:
        out.append(_cap(_labels(policy))
                   + " asks for the Mayor's decision or view: for the Mayor's office to answer.")
    if skipped:
        out.append(f"{_cap(_labels(skipped))} {'was' if len(skipped) == 1 else 'were'} not processed "
                   f"(the draft answers at most {max_parts} parts).")
    return " ".join(out)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _compose(items: Sequence[_Item], title: str, question: str, coverage: str, max_parts: int,
             earlier: Sequence[str] = (), notes: Sequence[str] = ()) -> MQDraft:
    refs = _References()
    parts = [_compose_part(it, refs) for it in items]
    nearby: tuple[Citation, ...] = ()
    if parts and not any(p.status in ("answered", "policy") for p in parts):
        candidates: dict[tuple[str, int, int], Citation] = {}
        for it in items:
            for c in (it.answer.related if it.answer else ())[:3]:
                candidates.setdefault((c.passage_id, c.start, c.end), c)
        nearby = tuple(dict.fromkeys(refs.number(c) for c in list(candidates.values())[:5]))
    return MQDraft(
        title=title, question=question, summary=_summary(parts, coverage, max_parts), parts=tuple(parts),
        references=tuple(refs.items), nearby=nearby, earlier_questions=tuple(earlier), coverage=coverage,
        notes=tuple(notes),
    )


# -- the entry points ----------------------------------------------------------------------------------


DRAFT_THRESHOLD_FILE = Path(__file__).parent / "answer" / "draft_threshold.json"


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


def context_subject(assistant: Assistant, context: str) -> str:
    """The most specific name the question's context gives ("the London Landscape"), or ""."""
    from reportqa.conversation import subject

    return subject(context, "", assistant.specificity, assistant.generic_name_idf)


def with_subject(standalone: str, topic: str | None, subject: str, assistant: Assistant) -> str:
    """A part that names nothing specific ("What progress has been made here?") asked about the preamble's
    subject: "What progress has been made here (London Landscape)?". A part that names its own subject, or
    that the analysis already tied to a programme, is left as it is."""
    from reportqa.answer.features import named_things

    if not subject or topic or subject.lower() in standalone.lower():
        return standalone
    if any(assistant.specificity(n) > assistant.generic_name_idf for n in named_things(standalone)):
        return standalone
    return f"{standalone.rstrip(' ?')} ({subject})?"


def _ask_part(assistant: Assistant, part: MQPart, backend: str | None, context: str = "",
              subject: str = "", title: str = "") -> Answer:
    """Ask one part; a year no report covers is looked for in the nearest reports that mention it.

    The part is searched with the question's `context` beside it, and asked about the preamble's `subject`
    when it names nothing specific itself. "What was the MPS net budget in 2012/13?" is answered by the
    2015-16 report, which states it. The answer is kept only when its quotes name the asked year, so a
    figure for another year never stands in.
    """
    # a year carried from the preamble or an earlier part is pinned; a year the part names itself is left
    # to the service, which may widen to a later report that states that year's figure
    year = part.years[0] if len(part.years) == 1 and part.year_carried else None
    asked = with_subject(part.standalone, part.topic, subject, assistant)
    if asked != part.standalone:
        part = part.model_copy(update={"standalone": asked})
    ans: Answer = assistant.ask(part.standalone, year=year, backend=backend, context=context or None)
    topic = title or subject or part.topic or part.subject
    refused_as = ans.refusal or next(
        (n.split(":", 1)[1].strip() for n in ans.notes if n.startswith("refused:")), "")
    if part.policy and ans.status == "refused" and refused_as == "politics" and topic:
        # "Do you agree that ...?" is for the Mayor's office; the draft still gives what the reports say
        # about its subject, as background
        ans = assistant.ask(f"What do the reports say about {topic}?", year=year, backend=backend,
                            context=context or None)
    if ans.status != "not_found" or "No report in the collection covers" not in ans.text:
        return ans
    covered = report_years(assistant.reports)
    uncovered = [y for y in years_in(part.standalone) if y not in covered]
    if not uncovered or not covered:
        return ans
    start = int(uncovered[0][:4])
    for y in sorted(covered, key=lambda c: (abs(int(c[:4]) - start), -int(c[:4])))[:2]:
        retry: Answer = assistant.ask(part.standalone, year=y, backend=backend, context=context or None)
        if retry.status == "answered" and all(
            written_forms(u).search(c.quote) for u in uncovered for c in retry.citations[:1]
        ):
            note = (f"No report covers {' or '.join(uncovered)} itself; the {y} report states the figure "
                    f"for it.")
            return retry.model_copy(update={"text": f"{retry.text}\n{note}", "notes": retry.notes + (note,)})
    return ans


def draft_mq(assistant: Assistant, text: str, max_parts: int = 8, max_chars: int = 12000,
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
    # the preamble's most specific name, else the question's title ("BAME women in the Met"): the tabled
    # title is the Assembly member's own summary of what every part is about
    subject = (context_subject(assistant, context) if context else "") or _untitled(analysis.title)
    for i, part in enumerate(analysis.parts):
        if i >= max_parts:
            items.append(_Item(part, None, f"the draft answers the first {max_parts} parts"))
            continue
        if time.perf_counter() - t0 > time_budget:
            items.append(_Item(part, None, f"the {time_budget:.0f}-second time limit was reached"))
            continue
        try:
            ans = _ask_part(assistant, part, backend, context, subject, _untitled(analysis.title))
        except ReportQAError as exc:
            log.warning("part %s failed: %s", part.label, exc.message)
            items.append(_Item(part, None, f"error: {exc.message}"))
            continue
        except Exception as exc:  # one failing part must not lose the others' answers; logged in full
            log.exception("part %s failed", part.label)
            items.append(_Item(part, None, f"error: unexpected {type(exc).__name__}"))
            continue
        if (ans.status == "answered" and not part.policy and ans.answerability is not None
                and ans.answerability < threshold):
            # a draft is held to a higher bar than a chat answer: below it, the evidence is shown as nearby
            # (a part for the Mayor's office keeps the reports' background, quoted and labelled as such)
            ans = ans.model_copy(update={"status": "partial", "notes": ans.notes + (
                f"evidence below the drafting threshold (P(answerable) {ans.answerability:.2f} < "
                f"{threshold:.2f}): shown as nearby, not as the answer",)})
        items.append(_Item(part, ans))
    t2 = time.perf_counter()
    notes = list(analysis.notes)
    if analysis.quotes:
        notes.append(f"{len(analysis.quotes)} quotation(s) in the question were read as context, "
                     "not as asks.")
    title = "Draft answer: Mayor's Question" + (
        f" (further to {', '.join(analysis.references)})" if analysis.references else "")
    draft = _compose(items, title, analysis.text, assistant.coverage_text(), max_parts,
                     analysis.references, notes)
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


# -- rendering ---------------------------------------------------------------------------------------

PRODUCT = "reportqa"  # the author a written draft names (Word's core properties)
NO_EVIDENCE = "No evidence was chosen for this part."


def _reference_line(c: Citation) -> str:
    return f"{c.title} ({c.year}), section “{c.section}”: “{_shorten(c.quote, 400)}”"


def evidence(draft: MQDraft) -> list[tuple[int, str, Citation]]:
    """Every passage a draft offers, in order: (part index, or -1 for the draft's `nearby`; "cited" for an
    answer's evidence, "nearby" for what the reports say close to a part they do not answer; the citation,
    its marker the draft's reference number)."""
    out: list[tuple[int, str, Citation]] = []
    for i, p in enumerate(draft.parts):
        out += [(i, "cited", c) for c in p.citations]
        out += [(i, "nearby", c) for c in p.related]
    out += [(-1, "nearby", c) for c in draft.nearby]
    return out


_SEGMENT = re.compile(r".*?(?:\s*\[\d+\])+[.;,]?|.+$")


def _keep_segments(text: str, chosen: set[int]) -> str:
    """The text without the sentences whose [n] markers are all unchosen; lines without markers stay."""
    out = []
    for line in text.split("\n"):
        segments = [m.group(0) for m in _SEGMENT.finditer(line) if m.group(0).strip()]
        kept = [s for s in segments
                if not (markers := {int(x) for x in re.findall(r"\[(\d+)\]", s)}) or markers & chosen]
        if kept:
            out.append(" ".join(s.strip() for s in kept))
    return "\n".join(out)


def select(draft: MQDraft, parts: Sequence[int], chosen: Sequence[tuple[int, int]]) -> MQDraft:
    """The draft as an officer chose it: only `parts` (indices into draft.parts), and only the evidence in
    `chosen` ((part index or -1, reference number), as listed by `evidence`).

    A sentence whose markers all name unchosen evidence is left out; a part the reports do not answer shows
    its nearby passages only when they are chosen, still labelled "Nearby, the reports say"; an answered part
    left with no chosen evidence says so. The references are renumbered 1, 2, ... in order of first use, and
    the summary is written again for the chosen parts.
    """
    keep = set(parts)
    picked = set(chosen)
    new_parts: list[DraftPart] = []
    for i, p in enumerate(draft.parts):
        if i not in keep:
            continue
        mine = {n for j, n in picked if j == i}
        if "Nearby, the reports say:" in p.text:
            head = p.text.split("Nearby, the reports say:")[0].strip()
            related = tuple(c for c in p.related if c.marker in mine)
            text = " ".join(x for x in (head, _nearby_text(related)) if x)
            new_parts.append(p.model_copy(update={"text": text, "related": related}))
            continue
        text = _keep_segments(p.text, mine)
        if (p.citations or p.related) and not re.search(r"\[\d+\]", text):
            text = (p.gap + " " + NO_EVIDENCE).strip() if p.gap else NO_EVIDENCE
        new_parts.append(p.model_copy(update={
            "text": text, "citations": tuple(c for c in p.citations if c.marker in mine),
            "related": tuple(c for c in p.related if c.marker in mine)}))
    nearby = tuple(c for c in draft.nearby if (-1, c.marker) in picked)
    order = [int(x) for p in new_parts for x in re.findall(r"\[(\d+)\]", p.text)] + [c.marker for c in nearby]
    number = {old: new for new, old in enumerate(dict.fromkeys(order), 1)}

    def renumbered(cs: Sequence[Citation]) -> tuple[Citation, ...]:
        return tuple(c.model_copy(update={"marker": number[c.marker]}) for c in cs if c.marker in number)

    new_parts = [p.model_copy(update={
        "text": re.sub(r"\[(\d+)\]", lambda m: f"[{number[int(m.group(1))]}]", p.text),
        "citations": renumbered(p.citations), "related": renumbered(p.related)}) for p in new_parts]
    refs = sorted(renumbered([c for c in draft.references if c.marker in number]), key=lambda c: c.marker)
    processed = sum(p.status != "not_processed" for p in draft.parts)
    return draft.model_copy(update={
        "parts": tuple(new_parts), "references": tuple(refs), "nearby": renumbered(nearby),
        "summary": _summary(new_parts, draft.coverage, processed) if new_parts else "No part was chosen.",
    })


def _sections(draft: MQDraft) -> list[tuple[str, list[tuple[str, str]]]]:
    """The draft as (heading, [(kind, text)]) blocks: kinds part (a part's heading, labelled as tabled),
    para, bullet, note and ref."""
    answer: list[tuple[str, str]] = []
    for p in draft.parts:
        if p.status == "not_processed":
            continue
        answer.append(("part", f"{p.heading_label()} {p.question}".strip()))
        lines = [ln for ln in p.text.split("\n") if ln.strip()]
        if lines:
            answer.append(("para", lines[0]))
            answer += [("bullet", ln) for ln in lines[1:]]
        if p.standalone.rstrip("?") != p.question.rstrip("?"):
            answer.append(("note", f"Searched as: {p.standalone}"))
    out: list[tuple[str, list[tuple[str, str]]]] = [("Answer", answer)]
    if draft.nearby:
        items = [("bullet", f"“{_shorten(c.quote, 200)}” ({_source_label(c)}) [{c.marker}]")
                 for c in draft.nearby]
        intro = [("para", f"The reports cover {draft.coverage}.")]
        out.append(("What the reports cover nearby", intro + items))
    missing = draft.parts_with("not_found", "refused", "error", "policy")
    if missing:
        out.append(("Not covered by the reports",
                    [("bullet", f"{p.heading_label()} {p.gap or p.text}".strip()) for p in missing]))
    skipped = draft.parts_with("not_processed")
    if skipped:
        out.append(("Not processed", [("bullet", f"{p.heading_label()} {_shorten(p.question, 200)}".strip())
                                      for p in skipped]))
    if draft.references:
        out.append(("References", [("ref", _reference_line(c)) for c in draft.references]))
    return out


def to_markdown(draft: MQDraft) -> str:
    """The draft as Markdown: `# title`, the notice, the question and summary, `## ` sections, each part
    under a `### ` heading labelled as tabled, and the numbered references. `docx_from_markdown` reads it."""
    lines = [f"# {draft.title}", "", f"> **{draft.notice}**", ""]
    lines += [f"**Question:** {_shorten(draft.question, 2000)}", ""]
    if draft.earlier_questions:
        lines += [f"*Further to question {', '.join(draft.earlier_questions)}.*", ""]
    lines += [f"**Summary:** {draft.summary}", ""]
    for heading, blocks in _sections(draft):
        lines += [f"## {heading}", ""]
        n = 0
        prev = ""
        for kind, text in blocks:
            if prev in ("bullet", "ref") and kind not in ("bullet", "ref"):
                lines.append("")
            prev = kind
            if kind == "part":
                lines += [f"### {text}", ""]
            elif kind == "para":
                lines += [text, ""]
            elif kind == "bullet":
                lines.append(f"- {text}")
            elif kind == "note":
                lines += ["", f"*{text}*", ""]
            elif kind == "ref":
                n += 1
                lines.append(f"{n}. {text}")
        lines.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def to_docx(draft: MQDraft, path: str | Path) -> Path:
    """Write the draft as a Word document: `to_markdown` read by `docx_from_markdown`. Raises InputError."""
    return docx_from_markdown(to_markdown(draft), path, title=draft.title, notice=draft.notice)


def docx_from_markdown(text: str, path: str | Path, title: str = "", notice: str = DRAFT_NOTICE) -> Path:
    """The one Word writer: a draft in Markdown (as `to_markdown` writes it, or an officer's edit of it) as
    a .docx at `path`.

    `#`, `##` and `###` headings become Word headings 1-3 (the title, the sections, the parts as tabled);
    bullets "List Bullet"; a numbered list keeps its own numbers ("3. ..."), so references match the [n]
    markers after an edit; a block quote is bold (the notice); **bold** and *italic* are kept, line breaks
    too. The title is the first `#` heading, else `title`, which is then put on top; `notice` is added when
    the text no longer says DRAFT. Core properties: title, author and last modified by "reportqa".
    Raises InputError when the folder does not exist or the file cannot be written.
    """
    from docx import Document  # lazy: only when a .docx is asked for
    from markdown_it import MarkdownIt

    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path.parent} is not a directory", "create it first, or choose another --out path")
    tokens = MarkdownIt("commonmark", {"html": False}).parse(text)
    heading = next((t for prev, t in zip(tokens, tokens[1:], strict=False)
                    if prev.tag == "h1" and t.type == "inline"), None)
    doc = Document()
    doc_title = heading.content.strip() if heading is not None else title
    if heading is None and title:
        doc.add_heading(title, level=1)
    if "DRAFT" not in text.upper() and notice:
        doc.add_paragraph().add_run(notice).bold = True
    lists: list[str] = []
    quoted = 0
    number = ""
    for i, t in enumerate(tokens):
        if t.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(t.type)
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "blockquote_open":
            quoted += 1
        elif t.type == "blockquote_close":
            quoted -= 1
        elif t.type == "list_item_open":
            number = t.info
        elif t.type in ("fence", "code_block"):
            doc.add_paragraph(t.content.rstrip("\n"))
        elif t.type == "inline":
            block = tokens[i - 1]
            if block.type == "heading_open":
                para = doc.add_heading("", level=min(int(block.tag[1:]), 9))
            elif lists and lists[-1] == "bullet_list_open":
                depth = min(len(lists), 3)
                para = doc.add_paragraph(style="List Bullet" + (f" {depth}" if depth > 1 else ""))
            elif lists:
                para = doc.add_paragraph(style="List Paragraph")
                if number:
                    para.add_run(f"{number}. ")
                    number = ""
            else:
                para = doc.add_paragraph()
            _add_runs(para, t.children or [], bold=quoted > 0)
    props = doc.core_properties
    props.title = doc_title
    props.author = props.last_modified_by = PRODUCT
    props.comments = notice
    try:
        doc.save(str(path))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", "choose another --out path") from exc
    return path


def _add_runs(para: Any, children: Sequence[Any], bold: bool = False) -> None:
    """Markdown inline tokens as Word runs: text, **bold**, *italic*, code and line breaks; a link's text."""
    strong = em = 0
    for c in children:
        if c.type == "strong_open":
            strong += 1
        elif c.type == "strong_close":
            strong -= 1
        elif c.type == "em_open":
            em += 1
        elif c.type == "em_close":
            em -= 1
        elif c.type in ("softbreak", "hardbreak"):
            para.add_run().add_break()
        elif c.type in ("text", "code_inline") or (c.type == "image" and c.content):
            run = para.add_run(c.content)
            run.bold = bold or strong > 0 or None
            run.italic = em > 0 or None


# -- command line ------------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "draft", help="draft an answer to a Mayor's Question, part by part, with sources"
    )
    p.add_argument("text", nargs="?", help="the question as tabled ('-' reads standard input)")
    p.add_argument("--file", help="read the question from a text file")
    p.add_argument("--format", choices=["md", "docx"], default="md", help="output format (default md)")
    p.add_argument("--out", help="write the draft to this file (required for docx)")
    p.add_argument("--json", action="store_true", help="print the draft as JSON")
    p.add_argument("--max-parts", type=int, default=8, help="answer at most this many parts (default 8)")
    p.add_argument("--backend", choices=["extractive", "llm"])
    p.set_defaults(func=cmd_draft)


def _read_question(args: argparse.Namespace) -> str:
    if args.file and args.text:
        raise InputError("give the question as text or with --file, not both",
                         "reportqa draft --file question.txt")
    if args.file:
        path = Path(args.file)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(f"{path}: no such file", "check the path given to --file") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text", "save the question as plain text (UTF-8)") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot read it ({exc.strerror})",
                             "check the path given to --file") from exc
    if args.text == "-":
        return sys.stdin.read()
    if args.text:
        return str(args.text)
    raise InputError("no question given",
                     "reportqa draft \"Will the Mayor tell me (a) ..., (b) ...?\" or --file question.txt")


def cmd_draft(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant

    text = _read_question(args)
    if args.format == "docx" and not args.out:
        raise InputError("a Word draft needs --out",
                         "e.g. reportqa draft --file q.txt --format docx --out draft.docx")
    if args.max_parts < 1:
        raise InputError("--max-parts must be at least 1", "e.g. --max-parts 8")
    if not text.strip():
        analyse(text)  # raises the empty-question error with its hint
    assistant = Assistant.open(config)
    draft = draft_mq(assistant, text, max_parts=args.max_parts, backend=getattr(args, "backend", None))
    if args.out:
        out = Path(args.out)
        if args.format == "docx":
            to_docx(draft, out)
        else:
            try:
                out.write_text(to_markdown(draft), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"cannot write {out}: {exc.strerror or exc}",
                                 "choose another --out path") from exc
        print(f"wrote {out}", file=sys.stderr)
    if args.json:
        print(json.dumps(draft.to_json(), indent=2, ensure_ascii=False))
    elif not args.out:
        print(to_markdown(draft))
    return 0
