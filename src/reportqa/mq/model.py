"""The values a Mayor's Question analysis produces: `MQPart` (one ask, standalone) and `MQAnalysis`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_STANDALONE_CHARS = 1000


def shown_label(label: str) -> str:
    """A part's label as a draft shows it: "(a)", "(a.ii)", "(2)"; an untabled bullet "•3" as "(bullet 3)"."""
    if not label:
        return ""
    return f"(bullet {label[1:]})" if label.startswith("•") else f"({label})"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MQPart(_Frozen):
    label: str  # "a", "a.ii", "2", "•3", "" for a single-part question
    text: str  # the ask as tabled (marker, joining "and" and quotations removed)
    question: str  # the ask without courtesies, as a question
    standalone: str  # the question with the programme and year in play spelled out
    years: tuple[str, ...] = ()  # financial years that apply (its own, or carried from context)
    year_carried: bool = False  # True when the years came from the preamble or an earlier part
    plan: str | None = None
    topic: str | None = None  # the programme the part is about, when known
    subject: str | None = None  # what is asked for, as a noun phrase ("the LVWS's annual budget")
    indirect: bool = False  # tabled as "tell me how many ... supported": reads after "The reports do not say"
    policy: bool = False  # asks for a decision or view of the Mayor's, which reports cannot give
    marker: str = ""  # the part's marker as tabled: "(a)", "ii)", "1.", "(a) ii)"; "" when it has none

    def display_label(self) -> str:
        return shown_label(self.label)


class MQAnalysis(_Frozen):
    text: str  # the question as received, whitespace tidied
    preamble: str  # context before the asks (quotations shown as [quoted])
    title: str = ""  # the tabled question's title line ("Body Worn Video rollout"), when it has one
    lead_in: str = ""  # the clause that introduces marked parts ("Will the Mayor tell me:")
    quotes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # earlier questions referred to: "2015/1234"
    years: tuple[str, ...] = ()  # financial years named in the preamble and lead-in
    plan: str | None = None
    topics: tuple[str, ...] = ()  # programmes named in the preamble and lead-in
    parts: tuple[MQPart, ...] = ()
    truncated: bool = False
    notes: tuple[str, ...] = ()
