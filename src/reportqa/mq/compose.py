"""Draft parts composed in the house style: answers with report years, gaps, one reference list."""

from __future__ import annotations

import logging
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reportqa.answer.verify import verify_answer
from reportqa.kinds import label as document_label
from reportqa.mq.gaps import gap_sentence, uncovered_sentence
from reportqa.mq.grammar import _cap, breakdown
from reportqa.mq.model import MQPart, shown_label
from reportqa.types import MARKER, Answer, Citation, Report
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
    question: str  # the ask as read (courtesies removed, as a question): data for the eval, never shown
    standalone: str  # the question that was asked of the reports: data, never shown to the officer
    status: PartStatus
    text: str  # the drafted answer, [n] markers numbered across the whole draft
    citations: tuple[Citation, ...] = ()  # markers are the draft's reference numbers
    related: tuple[Citation, ...] = ()  # passages shown for a part the reports do not answer
    # how `related` is shown: "background" (relevant evidence, the exact ask not given) or "nearby" (the
    # closest the reports come to a part they do not cover)
    related_as: Literal["background", "nearby"] = "nearby"
    # True when `text` is the gap followed by `related` listed (`related_text`), so a choice of evidence
    # writes it again; False when the text carries its own marked sentences
    related_listed: bool = False
    years: tuple[str, ...] = ()
    gap: str = ""  # for a part the reports do not answer: one sentence saying what is missing
    notes: tuple[str, ...] = ()
    marker: str = ""  # the part's marker as tabled: "(a)", "ii)", "1."; "" when it has none
    answerability: float | None = None  # the answerer's P(answerable) for the part's evidence
    tabled: str = ""  # the part's text exactly as tabled (its marker and joining "and" aside): what is shown

    def shown(self) -> str:
        """The part's words as the draft shows them: as tabled, never a rewrite."""
        return self.tabled or self.question

    def display_label(self) -> str:
        return shown_label(self.label)

    def heading_label(self) -> str:
        """The label a draft shows the part under: its marker as tabled, else "(label)"."""
        return self.marker or self.display_label()


class MQDraft(_Frozen):
    title: str
    question: str  # the question as received
    question_title: str = ""  # the tabled question's own title line ("Body Worn Video rollout"), if any
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
    uncovered: tuple[str, ...] = ()  # asked years no report covers (for "No report in the collection ...")
    covered: tuple[str, ...] = ()  # the years the reports cover


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

    return MARKER.sub(repl, text)


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


def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width, placeholder=" …")


# a number glued to the end of a word or a year: "the Public9 and", "in 2011/121,"
_GLUED = re.compile(r"(?<=[A-Za-z)])(\d{1,2})(?=[\s.,;:)”’\"']|$)|(?<=\d{4}/\d\d)(\d{1,2})(?=[\s.,;:]|$)")


def shown_quote(c: Citation) -> str:
    """A citation's quote as a draft shows it: without soft hyphens or line breaks, and without the
    footnote numbers the parser read off its passage ("Police Encounters with the Public9" -> "...Public").

    A glued number is dropped only when the cleaned passage has the word without it, so a figure or a name
    ("Q2", "COVID19") that the passage keeps stays."""
    from reportqa.display import clean_quote

    quote = clean_quote(c.quote)
    if not c.passage:
        return quote
    passage = " ".join(c.passage.split())

    def drop(m: re.Match[str]) -> str:
        word = re.search(r"[\w/]+$", quote[: m.start()])
        if word is None:
            return m.group(0)
        stem = word.group(0)
        if stem + m.group(0) in passage or stem not in passage:
            return m.group(0)
        return ""

    return _GLUED.sub(drop, quote)


_RELATED_LEAD = {"background": "Background from the reports: ", "nearby": "Nearby, the reports say: "}


def related_text(related: Sequence[Citation], related_as: str) -> str:
    """The passages shown for a part the reports do not answer, quoted and labelled as `related_as`."""
    if not related:
        return ""
    bits = [f"“{_shorten(shown_quote(c), 160)}” ({_source_label(c)}) [{c.marker}]" for c in related]
    return _RELATED_LEAD.get(related_as, _RELATED_LEAD["nearby"]) + "; ".join(bits) + "."


def _nearby_text(related: Sequence[Citation]) -> str:
    return related_text(related, "nearby")


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




def _same_sentence(a: Citation, b: Citation) -> bool:
    """Whether two references quote any of the same report text: overlapping spans of one report, or the
    same words wherever they stand."""
    if a.report_id == b.report_id and a.start < b.end and b.start < a.end:
        return True
    return " ".join(a.quote.split()).casefold() == " ".join(b.quote.split()).casefold()


def _union(group: Sequence[Citation]) -> Citation:
    """One reference for quotes that overlap: the first one's number, the whole span they cover together
    (a quote is its report's text source[start:end], so the union of overlapping quotes is exact)."""
    first = min(group, key=lambda c: c.marker)
    cur = first
    grown = True
    while grown:
        grown = False
        for c in group:
            if c.report_id != cur.report_id or not (c.start < cur.end and cur.start < c.end):
                continue
            if c.start < cur.start or c.end > cur.end:
                head = c.quote[: cur.start - c.start] if c.start < cur.start else ""
                tail = c.quote[cur.end - c.start:] if c.end > cur.end else ""
                cur = cur.model_copy(update={"quote": head + cur.quote + tail,
                                             "start": min(c.start, cur.start), "end": max(c.end, cur.end)})
                grown = True
    widest = max((c for c in group if c.report_id == cur.report_id),
                 key=lambda c: (c.end - c.start, -c.marker))
    return cur.model_copy(update={"passage_id": widest.passage_id, "passage": widest.passage})


def _one_number_per_sentence(parts: list[DraftPart], items: list[Citation], nearby: tuple[Citation, ...]
                             ) -> tuple[list[DraftPart], list[Citation], tuple[Citation, ...]]:
    """The same report sentence is never cited under two numbers in one draft: references that quote the
    same text (overlapping spans, or the same words) become one, and the numbers are made consecutive again
    in order of first use."""
    root = list(range(len(items)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if _same_sentence(items[i], items[j]):
                root[find(j)] = find(i)
    groups: dict[int, list[Citation]] = {}
    for i, c in enumerate(items):
        groups.setdefault(find(i), []).append(c)
    if len(groups) == len(items):
        return parts, items, nearby
    merged = {r: _union(g) for r, g in groups.items()}
    order = sorted(groups, key=lambda r: min(c.marker for c in groups[r]))
    renumbered = {r: merged[r].model_copy(update={"marker": n}) for n, r in enumerate(order, 1)}
    by_old = {c.marker: renumbered[find(i)] for i, c in enumerate(items)}

    def cites(cs: Sequence[Citation]) -> tuple[Citation, ...]:
        return tuple(dict.fromkeys(by_old[c.marker] for c in cs if c.marker in by_old))

    def text(t: str) -> str:
        t = MARKER.sub(lambda m: f"[{by_old[int(m.group(1))].marker}]"
                       if int(m.group(1)) in by_old else m.group(0), t)
        return re.sub("(" + MARKER.pattern + r")(?:\s*\[\2\])+", r"\1", t)  # "[2] [2]" after a merge: once

    new_parts = []
    for p in parts:
        related = cites(p.related)
        new_text = text(p.text)
        if p.related_listed:  # listed again, so one passage is never listed twice
            new_text = " ".join(x for x in (p.gap, related_text(related, p.related_as)) if x)
        new_parts.append(p.model_copy(update={"text": new_text, "citations": cites(p.citations),
                                              "related": related}))
    return new_parts, [renumbered[r] for r in order], cites(nearby)


_Drafted = tuple[list[DraftPart], list[Citation], tuple[Citation, ...]]


def _with_sources(parts: list[DraftPart], refs: list[Citation], nearby: tuple[Citation, ...],
                  reports: Mapping[str, Report]) -> _Drafted:
    """Every reference, wherever the draft holds it, with its report's address and the page of its quote."""
    from reportqa.sources import cite

    by_marker = {c.marker: cite(c, reports.get(c.report_id)) for c in refs}

    def sourced(cs: Sequence[Citation]) -> tuple[Citation, ...]:
        return tuple(by_marker.get(c.marker, c) for c in cs)

    parts = [p.model_copy(update={"citations": sourced(p.citations), "related": sourced(p.related)})
             for p in parts]
    return parts, [by_marker[c.marker] for c in refs], sourced(nearby)


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
    shown = {c.passage_id for p in parts for c in (*p.citations, *p.related)}
    picked = list(candidates.values())[:5]
    shown |= {c.passage_id for c in picked}
    for c in background:
        if c.passage_id not in shown:
            shown.add(c.passage_id)
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
