"""Draft parts composed in the house style: answers with report years, gaps, one reference list."""

from __future__ import annotations

import logging
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportqa.answer.verify import verify_answer
from reportqa.kinds import label as document_label
from reportqa.mq.grammar import _cap, breakdown, gap_sentence
from reportqa.mq.model import MQPart, shown_label
from reportqa.types import Answer, Citation
from reportqa.years import (
    written_forms,
)

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
        return shown_label(self.label)

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
        out.append(_cap(_labels(policy)) + (" asks" if len(policy) == 1 else " ask")
                   + " for the Mayor's decision or view: for the Mayor's office to answer.")
    if skipped:
        out.append(f"{_cap(_labels(skipped))} {'was' if len(skipped) == 1 else 'were'} not processed "
                   f"(the draft answers at most {max_parts} part{'' if max_parts == 1 else 's'}).")
    return " ".join(out)




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
