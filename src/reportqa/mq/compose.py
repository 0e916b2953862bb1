"""Draft parts composed in the house style: answers with report years, gaps, one reference list.

The draft as data is `draft_model` (re-exported here), its quotes `quotes`, its reference numbering
`references`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportqa.answer.verify import verify_answer
from reportqa.mq.draft_model import DRAFT_NOTICE, DraftPart, MQDraft, PartStatus
from reportqa.mq.gaps import gap_sentence, uncovered_sentence
from reportqa.mq.grammar import _cap, breakdown
from reportqa.mq.model import MQPart
from reportqa.mq.quotes import _source_label, related_text, shown_quote
from reportqa.mq.references import _one_number_per_sentence, _References, _renumber, _with_sources
from reportqa.types import MARKER, Answer, Citation, Report
from reportqa.years import (
    written_forms,
)

__all__ = ["DRAFT_NOTICE", "DraftPart", "MQDraft", "PartStatus", "related_text", "shown_quote"]

log = logging.getLogger(__name__)


# -- composing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    part: MQPart
    answer: Answer | None
    reason: str = ""  # why a part was not processed (too many parts, out of time)
    error: str = ""  # the error asking it met ("" when none): the part is drafted as not answered
    uncovered: tuple[str, ...] = ()  # asked years no report covers (for "No report in the collection ...")
    covered: tuple[str, ...] = ()  # the years the reports cover



def _labelled(line: str, n: int, label: str) -> str:
    """`label` inside the sentence that marker [n] closes: "... two years (2022-23 report). [2]"."""
    return re.sub(rf"([.!?]?)\s*\[{n}\]", lambda m: f" ({label}){m.group(1)} [{n}]", line, count=1)


def _with_years(text: str, by_number: dict[int, Citation]) -> str:
    """Every line that cites a report names that report's year: '... (2022-23 report) [2]'."""
    out = []
    for line in text.split("\n"):
        for n in dict.fromkeys(int(x) for x in MARKER.findall(line)):
            c = by_number.get(n)
            if c and not written_forms(c.year).search(line):
                line = _labelled(line, n, _source_label(c))
        out.append(line)
    return "\n".join(out)


def _unanswered(base: dict[str, Any], gap: str, related: tuple[Citation, ...], related_as: str,
                notes: Sequence[str], status: PartStatus = "not_found") -> DraftPart:
    """A part the reports do not answer: its gap, then its passages listed as background or nearby."""
    text = " ".join(x for x in (gap, related_text(related, related_as)) if x)
    return DraftPart(status=status, text=text, related=related, related_as=related_as,  # type: ignore[arg-type]
                     related_listed=True, gap=gap, notes=tuple(notes), **base)


def _compose_part(item: _Item, refs: _References, max_related: int = 2) -> DraftPart:
    part, ans = item.part, item.answer
    base: dict[str, Any] = {"label": part.label, "question": part.question, "standalone": part.standalone,
                            "years": part.years, "marker": part.marker, "tabled": part.text,
                            "answerability": item.answer.answerability if item.answer else None}
    if ans is None:
        status: PartStatus = "error" if item.error else "not_processed"
        text = (f"Not answered: {item.error}." if item.error
                else f"Not processed ({item.reason}). Ask it separately, or in a shorter question.")
        return DraftPart(status=status, text=text, gap=text, **base)
    notes = list(ans.notes)
    if ans.status == "answered":
        mapping = {c.marker: refs.number(c) for c in ans.citations}
        body = _with_years(_renumber(ans.text, mapping), {c.marker: c for c in mapping.values()})
        cits = tuple(dict.fromkeys(mapping.values()))
        checked = verify_answer(body, cits, ans.gaps)  # the one contract, again after renumbering
        if not checked.ok:
            notes.append(f"verification: {checked.reason()}")
            # the evidence is about the part, but its answer could not be checked: shown as background
            return _unanswered(base, gap_sentence(part), cits[:max_related], "background", notes)
        dim = breakdown(part.standalone)
        if dim and not part.policy and not any(dim.split()[1].lower() in c.quote.lower() for c in cits):
            # asked by borough (or ward, month...), answered for London as a whole: not what was asked
            gap = f"The reports do not give {dim}."
            text = f"{gap[:-1]}; what they give is for London as a whole:\n{body}"
            return DraftPart(status="not_found", text=text, related=cits, related_as="background", gap=gap,
                             notes=tuple(notes), **base)
        if part.policy:
            body = f"{_POLICY_GAP} Background from the reports:\n{body}"
            return DraftPart(status="policy", text=body, citations=cits, gap=_POLICY_GAP, notes=tuple(notes),
                             **base)
        return DraftPart(status="answered", text=body, citations=cits, notes=tuple(notes), **base)
    if ans.status == "partial":
        # the reports cover the subject but not the asked detail: say which detail, and show what they give
        # as background to it
        related = tuple(refs.number(c) for c in ans.citations[:max_related])
        if part.policy:  # for the Mayor's office, whatever the evidence: the reports' background to it
            return _unanswered(base, _POLICY_GAP, related, "background", notes, "policy")
        return _unanswered(base, gap_sentence(part), related, "background", notes)
    if ans.status == "refused":
        category = ans.refusal
        text = _REFUSED.get(category, _REFUSED["off_topic"])
        return DraftPart(status="refused", text=text, gap=text, notes=tuple(notes), **base)
    related = tuple(refs.number(c) for c in ans.related[:max_related])
    lead = _POLICY_GAP if part.policy else gap_sentence(part, relevant=False)
    gap = " ".join(x for x in (lead, uncovered_sentence(item.uncovered, item.covered)) if x)
    return _unanswered(base, gap, related, "nearby", notes, "policy" if part.policy else "not_found")


_POLICY_GAP = ("This part asks for the Mayor's decision or view, which the reports cannot give; "
               "the Mayor's office should answer it.")
_REFUSED = {
    "off_topic": "The reports do not cover this: it is outside the subject of MOPAC's reports.",
    "politics": "This part asks for a political opinion, which the reports do not give; "
                "for the Mayor's office.",
    "personal_data": "Personal information about individuals is not in the reports, and this draft gives "
                     "none.",
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
        background = [p for p in missing
                      if p.status == "not_found" and p.related and p.related_as == "background"]
        uncovered = [p for p in missing if p not in background]
        if background:
            out.append(f"The reports do not give exactly what {_labels(background)} "
                       f"{'asks' if len(background) == 1 else 'ask'}: what they say is shown as background.")
        if uncovered:
            out.append(f"The reports do not cover {_labels(uncovered)}.")
    if policy:
        out.append(_cap(_labels(policy)) + (" asks" if len(policy) == 1 else " ask")
                   + " for the Mayor's decision or view: for the Mayor's office to answer.")
    if skipped:
        out.append(f"{_cap(_labels(skipped))} {'was' if len(skipped) == 1 else 'were'} not processed "
                   f"(the draft answers at most {max_parts} part{'' if max_parts == 1 else 's'}).")
    return " ".join(out)


def _compose(items: Sequence[_Item], title: str, question: str, coverage: str, max_parts: int,
             earlier: Sequence[str] = (), notes: Sequence[str] = (), question_title: str = "",
             reports: Mapping[str, Report] | None = None,
             background: Sequence[Citation] = ()) -> MQDraft:
    """One draft from the parts' answers. With `reports` (by id), every reference carries its report's
    address and, for a PDF, the page its quote starts on (`reportqa.sources.cite`). `background`: the
    passages retrieval ranks first for the whole question; those no part shows are listed as nearby."""
    refs = _References()
    parts = [_compose_part(it, refs) for it in items]
    candidates: dict[tuple[str, int, int], Citation] = {}
    if parts and not any(p.status in ("answered", "policy") for p in parts):
        for it in items:
            for c in (it.answer.related if it.answer else ())[:3]:
                candidates.setdefault((c.passage_id, c.start, c.end), c)
    # a background sentence is listed unless that sentence is already shown (a part may quote another
    # sentence of the same passage)
    shown = {(c.passage_id, c.start, c.end) for p in parts for c in (*p.citations, *p.related)}
    picked = list(candidates.values())[:5]
    shown |= {(c.passage_id, c.start, c.end) for c in picked}
    for c in background:
        if (c.passage_id, c.start, c.end) not in shown:
            shown.add((c.passage_id, c.start, c.end))
            picked.append(c)
    nearby: tuple[Citation, ...] = tuple(dict.fromkeys(refs.number(c) for c in picked))
    parts, references, nearby = _one_number_per_sentence(parts, refs.items, nearby)
    if reports:
        parts, references, nearby = _with_sources(parts, references, nearby, reports)
    return MQDraft(
        title=title, question=question, question_title=question_title,
        summary=_summary(parts, coverage, max_parts), parts=tuple(parts),
        references=tuple(references), nearby=nearby, earlier_questions=tuple(earlier), coverage=coverage,
        notes=tuple(notes),
    )
