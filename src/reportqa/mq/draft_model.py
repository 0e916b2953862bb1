"""A Mayor's Question draft as data: its parts (`DraftPart`: status, text with the draft's `[n]` markers,
citations, gap) and the draft itself (`MQDraft`: summary, parts, one reference list, notice).

Split out of `reportqa.mq.compose`, which builds them and re-exports these names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reportqa.mq.model import shown_label
from reportqa.types import Citation

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
