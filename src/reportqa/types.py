"""Typed values that flow one way: Report -> Section -> Passage -> Hit -> Answer."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

# answered: the evidence gives what was asked; partial: the reports cover the subject but not the asked
# detail (the answer says what they give and names what they don't); not_found; refused.
Status = Literal["answered", "partial", "not_found", "refused"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Report(_Frozen):
    """One document of the corpus, as the manifest describes it."""

    id: str
    file: str
    title: str
    kind: str  # an id of lexicon/kinds.toml: "annual report", "report summary", "plan page", "plan", ...
    shape: str  # "pdf" | "web" | "markdown"
    year: str  # the financial year it is filed under ("2022-23"; a quarter's or a month's own), or a plan
    # period ("2013-16") for a plan or a plan's page
    plan: str  # the Police and Crime Plan it reports against: "2013-16" | "2017-21" | "2022-25"; "" for none
    published: str | None = None
    source_url: str | None = None
    notes: str | None = None
    sha256: str
    # the period it covers when that is not `year` itself, canonical ("Q2 2019-20", "April 2013"; see
    # `reportqa.periods`); None for documents filed before periods were kept
    period: str | None = None
    # a PDF's pages: where page i + 1 starts in the stored text (`corpus.page_starts`, at ingest); () for a
    # document without pages, and then left out of its manifest record (so older records keep their keys)
    pages: tuple[int, ...] = ()

    @model_serializer(mode="wrap")
    def _without_empty_pages(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.pages:
            data.pop("pages", None)
        return data


BlockKind = Literal["paragraph", "bullet", "subbullet", "item", "quote", "row"]  # row: a table's row


class Block(_Frozen):
    """A paragraph, bullet or sub-bullet: the unit a chunk never splits except between sentences."""

    kind: BlockKind
    text: str  # cleaned: lines rejoined, glyphs and footnote marks removed
    offsets: tuple[int, ...]  # source offset of every character of `text`
    # a table row read with its headers ("Borough Barnet: Burglary 1,234"; `layout.row_reading`): the
    # sentence it is read, embedded and answered as, while its quote stays the row's exact source text
    reading: str = ""
    quotable: bool = True  # False: text whose reading order is uncertain (columns that could not be unwound)

    @property
    def start(self) -> int:
        return self.offsets[0]

    @property
    def end(self) -> int:
        return self.offsets[-1] + 1


class Section(_Frozen):
    report_id: str
    index: int
    heading: str
    path: tuple[str, ...]  # headings from the top, e.g. ("Mayoral Strategies", "Gangs")
    start: int
    end: int
    blocks: tuple[Block, ...]
    priority: str = "general"
    priority_source: Literal["heading", "content", "default"] = "default"


class Sentence(_Frozen):
    text: str  # cleaned sentence
    start: int  # offsets into the source file
    end: int
    block: int  # index of the block inside the passage, so bullets stay recognisable
    quotable: bool = True  # False: retrieved, never chosen as evidence (`Block.quotable`)
    # hostile-text rules the sentence breaks ("instruction/override-instructions", lexicon/hostile.toml):
    # a flagged sentence stays in its passage but is never evidence or a citation (`reportqa.hostile`)
    flags: tuple[str, ...] = ()


class Passage(_Frozen):
    id: str  # stable and readable: mopac-2022-23-s05-p003-<hash>
    report_id: str
    title: str
    year: str
    plan: str
    kind: str
    priority: str
    section: str  # " > ".join(path)
    text: str  # source[start:end], exact
    clean: str  # the cleaned text that is embedded, indexed and shown
    start: int
    end: int
    sentences: tuple[Sentence, ...]
    tokens: int = 0  # word-pieces of the embedded text
    period: str | None = None  # the report's `period` (see `Report`)


class Filters(_Frozen):
    years: tuple[str, ...] = ()
    plan: str | None = None
    priority: str | None = None
    report_id: str | None = None

    def is_empty(self) -> bool:
        return not (self.years or self.plan or self.priority or self.report_id)


class Hit(_Frozen):
    passage: Passage
    rank: int
    score: float
    scores: dict[str, float] = Field(default_factory=dict)


# A citation marker in an answer's text, "[n]": group 1 is the Citation.marker it names. The one definition
# of the pattern (find markers with MARKER.findall / finditer, renumber them with MARKER.sub, build longer
# patterns from MARKER.pattern).
MARKER = re.compile(r"\[(\d+)\]")


class Citation(_Frozen):
    marker: int
    passage_id: str
    report_id: str
    title: str
    year: str
    section: str
    priority: str
    quote: str  # exact report text: source[start:end]
    start: int
    end: int
    passage: str = ""  # the whole cleaned passage, for context
    kind: str = ""  # the report's kind and period, for naming it (`reportqa.kinds.label`)
    period: str | None = None
    # where to cite it onwards (`reportqa.sources.with_sources`, added where answers are shown): the report's
    # own address (corpus manifest `source_url`) and, for a PDF, the page the quote starts on
    source_url: str | None = None
    page: int | None = None


class TrendRow(_Frozen):
    """One report's figure for a measure traced across the years (`reportqa.trend`); figure None when the
    report gives none (never filled in)."""

    year: str
    report_id: str
    title: str
    figure: str | None = None  # as the report writes it: "22,000", "£294m", "63%"
    qualifier: str = ""  # "over", "around", "more than": how the report hedges it
    value: float | None = None  # the figure as a number (money in pounds), for plotting
    unit: str = ""  # "%", "£", or the count noun ("cameras", "officers")
    counts: str = ""  # what the figure counts, in the report's own words ("body worn video cameras")
    period: str = ""  # the period it covers, as the report writes it ("In 2015/16", "12 months to May 2016")
    period_kind: str = ""  # financial_year, rolling_12_months, since, ... or unstated (lexicon/measures.toml)
    basis: str = ""  # planned, target, forecast, raised, ... or stated (lexicon/measures.toml)
    citation: Citation | None = None  # the sentence the figure is read from, checked by verify_answer
    closest: Citation | None = None  # no figure: the closest passage of the report that was read
    score: float | None = None  # the selection score the figure was chosen on
    comparable: bool = True  # False: it measures something else than the previous row with a figure
    reason: str = ""  # why not comparable, in one line
    # another report of the same year gives a different figure for the same measure and period: both rows are
    # shown, each with this one line naming every report's figure ("the reports differ: ...")
    differs: str = ""
    # ... and that line's list alone, every report's figure and its report ("1,400 visits in Report A; 1,650
    # visits in Report B"; "" when the reports do not differ), for a reader that shows it its own way (the web
    # table). Read in-process, left out of `model_dump` (the API's trend JSON gives `differs`).
    differs_figures: str = Field(default="", exclude=True)


class Trend(_Frozen):
    """One measure traced through every annual report, with changed definitions flagged."""

    measure: str
    rows: tuple[TrendRow, ...] = ()
    threshold: float = 0.0  # the selection score a figure needed

    @property
    def with_figures(self) -> tuple[TrendRow, ...]:
        return tuple(r for r in self.rows if r.figure is not None)

    @property
    def flags(self) -> tuple[TrendRow, ...]:
        return tuple(r for r in self.rows if not r.comparable)

    @property
    def disputed(self) -> tuple[str, ...]:
        """The years whose reports give different figures for the measure, in order."""
        return tuple(dict.fromkeys(r.year for r in self.rows if r.differs))

    def shared(self, year: str) -> bool:
        """Whether more than one report of the trend is of `year` (its rows then name their report)."""
        return sum(r.year == year for r in self.rows) > 1


# What one ask's answer is within an answer joined from several asks (`pipeline.combine`): answered or partial
# (that ask's own answer, its lines), recited (a passage an earlier part quotes answers it: one line pointing
# back to it), gap (the reports don't answer it: one line saying so, `combine.gap_line`), refused (the
# refusal's text).
PartKind = Literal["answered", "partial", "recited", "gap", "refused"]


class AnswerPart(_Frozen):
    """One ask's answer within an answer joined from several asks (`pipeline.combine`), in the asks' order:
    what it is and the line of the joined text it opens with, as written there. Readers of the joined answer
    (`reportqa.short`) find where each part starts by this record, never by how the part's words open."""

    kind: PartKind
    first_line: str  # its first line of the joined `Answer.text`, exactly as written ("" when it has none)
    # False: its answer's first line was left out of the join (an earlier part's answer holds that sentence
    # under its marker), so the part opens partway into its answer
    whole: bool = True


class Turn(_Frozen):
    role: Literal["user", "assistant"]
    content: str


class Answer(_Frozen):
    status: Status
    text: str
    citations: tuple[Citation, ...] = ()
    question: str = ""
    rewritten_question: str = ""
    filters: Filters = Filters()
    backend: str = "extractive"
    related: tuple[Citation, ...] = ()
    notes: tuple[str, ...] = ()
    dropped_markers: int = 0
    timings: dict[str, float] = Field(default_factory=dict)
    hits: tuple[Hit, ...] = ()  # the retrieved passages the answer was chosen from, best first
    missing: str = ""  # for a partial answer: the asked detail the reports do not give
    given: str = ""  # ... and the figure they give instead, with its period: "£2.6bn (2012-13)"
    refusal: str = ""  # for a refused answer: the policy category ("injection", "personal_data", ...)
    answerability: float | None = None  # the calibrated probability that the evidence answers the question
    trend: Trend | None = None  # a trend question's answer: the measure report by report (reportqa.trend)
    # a several-ask answer's parts, one for each ask in order (`pipeline.combine`); () for an answer to one
    # ask. Read in-process (`reportqa.short`), left out of `to_json` and `model_dump`.
    parts: tuple[AnswerPart, ...] = Field(default=(), exclude=True)
    # the openings the composer wrote before report sentences in `text` ("According to the 2022-23 annual
    # report (2022-2023 MOPAC Annual Report): ", "In the 2015-16 annual report: "), each exactly as written,
    # trailing space included, in text order (`answer.render.compose_answer`, joined by `pipeline.combine`).
    # Read in-process (`reportqa.short` shows the sentences without them), left out of `to_json`.
    openings: tuple[str, ...] = Field(default=(), exclude=True)
    # the sentences of `text` that say what the reports do not give ("The reports do not give a cost or
    # funding figure for the Lighthouse."), each exactly as written: a partial answer's first line, a
    # several-ask answer's gap lines. They restate the question, never a report, so the citation contract
    # checks no figure in them (`verify.verify_answer(gaps=...)`). Left out of `to_json`.
    gaps: tuple[str, ...] = Field(default=(), exclude=True)

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")
