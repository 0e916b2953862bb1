"""Composition root: Assistant.open() wires index, retriever and answerers; ask() runs one question through
the steps of `reportqa.pipeline` (checked, screened, made standalone, answered as a trend, as several asks
or as one)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from reportqa.answer.compose import finalize
from reportqa.answer.extractive import ExtractiveAnswerer, Stats
from reportqa.config import Config, offline_environment
from reportqa.conversation import read_history
from reportqa.embed import QueryEncoder
from reportqa.errors import InputError
from reportqa.index import OpenIndex
from reportqa.kinds import coverage
from reportqa.kinds import order as period_order
from reportqa.periods import parse_period
from reportqa.pipeline import followup, vectors
from reportqa.pipeline.asks import (
    IGNORED_INSTRUCTION,
    MAX_ASKS,
    MAX_QUESTION_CHARS,
    clean_question,
    drop_instructions,
    split_asks,
)
from reportqa.pipeline.background import background as background_citations
from reportqa.pipeline.combine import combine, gap_line
from reportqa.pipeline.refusal import refuse_conversation, refuse_foreign
from reportqa.pipeline.several import answer_asks
from reportqa.pipeline.single import answer_ask
from reportqa.priorities import load_taxonomy
from reportqa.retrieve import Retriever
from reportqa.temporal import newest_year
from reportqa.types import Answer, Citation, Filters, Hit, Passage, Report, Trend, Turn

if TYPE_CHECKING:
    import numpy as np

    from reportqa.answer.llm import LLMAnswerer
    from reportqa.mq.compose import MQDraft

# what callers import from here (the steps' own modules hold them)
__all__ = ["MAX_ASKS", "MAX_QUESTION_CHARS", "Assistant", "clean_question", "combine", "drop_instructions",
           "gap_line", "split_asks"]

log = logging.getLogger(__name__)


class Assistant:
    def __init__(self, config: Config, index: OpenIndex) -> None:
        self.config = config
        self.index = index
        self.reports: list[Report] = sorted(index.reports, key=lambda r: (period_order(r), r.id))
        self.taxonomy = load_taxonomy()
        self._phrases = vectors.PhraseVectors(lambda text: self.embedder.embed_query(text))
        self._specificity: dict[str, float] = {}  # name -> idf (`specificity`), at most 4,096 kept

    @classmethod
    def open(cls, config: Config | None = None) -> Assistant:
        offline_environment()
        config = config or Config()
        return cls(config, OpenIndex.open(config))

    @cached_property
    def embedder(self) -> QueryEncoder:
        """The query encoder: the model's ONNX graph exported at ingest, else sentence-transformers."""
        from reportqa.onnx_embed import query_encoder

        cfg = self.config
        return query_encoder(cfg.index_dir, self.index.model_fingerprint, cfg.embed_batch_size)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, self.config.retrieval)

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        following: dict[str, Passage] = {}
        ps = self.index.passages
        for a, b in zip(ps, ps[1:], strict=False):
            if a.report_id == b.report_id:
                following[a.id] = b
        return ExtractiveAnswerer(
            Stats(ps), dense=self.sentence_similarities, following=lambda p: following.get(p.id),
            embed=self.embed_phrase, newest=newest_year(list(self.reports)),
        )

    def embed_phrase(self, text: str) -> tuple[float, ...]:
        """A short phrase's unit vector (384 floats), cached: the match compares measures with what figures
        count, and the same phrases recur."""
        return self._phrases(text)

    @cached_property
    def llm(self) -> LLMAnswerer:
        from reportqa.answer.llm import LLMAnswerer

        return LLMAnswerer(self.config.llm)

    def specificity(self, name: str) -> float:
        """How rare a name is in the reports, an idf (`answer.evidence.name_specificity`); cached per name."""
        from reportqa.answer.evidence import name_specificity

        found = self._specificity.get(name)
        if found is None:
            if len(self._specificity) >= 4096:
                self._specificity.clear()
            found = name_specificity(self.extractive.stats, self.index.passages, name)
            self._specificity[name] = found
        return found

    @cached_property
    def generic_name_idf(self) -> float:
        """The idf of a word in one passage in twenty: names at or below it are too common to be a subject."""
        stats = self.extractive.stats
        return math.log(1 + (stats.n + 1) / (0.05 * stats.n + 0.5))

    def sentence_similarities(self, question: str, hits: Sequence[Hit]) -> list[np.ndarray]:
        """The question's cosine with every sentence of each hit: one query embedding, one product each."""
        return vectors.sentence_similarities(self.embedder.embed_query, self.index, question, hits)

    def warm(self) -> None:
        """Load the model, the indexes and the lexicons now rather than on the first question: one question is
        answered end to end (the refusal policy's patterns alone take ~0.1 s to compile)."""
        self.retriever.search("warm up", Filters(), 1)
        _ = self.extractive
        _ = self.index.sentence_vectors
        self.extractive.stats.mentions("zzwarmupzz")  # the spelling pools and rapidfuzz, for names' checks
        self.ask("How many people did the London Victim and Witness Service support in 2022/23?")

    def coverage_text(self) -> str:
        """What the collection holds, grouped by kind, each period once (`kinds.coverage`)."""
        return coverage(self.reports)

    def resolve_priority(self, priority: str | None) -> str | None:
        if not priority:
            return None
        pid = self.taxonomy.resolve(priority)
        if pid is None:
            raise InputError(f"unknown priority {priority!r}", "one of: " + ", ".join(self.taxonomy.ids()))
        return pid

    def resolve_year(self, year: str) -> str:
        """A year filter as written ('2022/23') in canonical form; a plan's period ('2013-16') too; a quarter
        or a month ('Q2 2019/20', 'April 2013') is its financial year."""
        return parse_period(year).filed_year

    def retrieve(self, question: str, filters: Filters | None = None, k: int = 5) -> list[Hit]:
        return self.retriever.search(question, filters or Filters(), k)

    def background(self, question: str, k: int = 5) -> list[Citation]:
        """The best sentence (for `question`) of each of the `k` passages retrieval ranks first, as citations
        numbered 1..k in rank order; flagged sentences are never chosen. A draft shows them whatever its
        parts find, so it never shows less than retrieval does."""
        return background_citations(self, question, k)

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str] | Turn] | None = None,
        year: str | None = None,
        priority: str | None = None,
        report_id: str | None = None,
        backend: str | None = None,
        k: int | None = None,
        context: str | None = None,
        extra_hits: Sequence[Hit] = (),
    ) -> Answer:
        """Answer `question` (a follow-up of `history`) from the reports: see `Answer` for what comes back.

        `year`, `priority` and `report_id` restrict the search; `context` is text the question stands in
        (a Mayor's Question's title and preamble, for one of its parts) that retrieval weighs beside it;
        `extra_hits` are passages the answer may also draw on (a part's: the whole question's best).
        Raises only ReportQAError subclasses (InputError for unusable input).
        """
        t0 = time.perf_counter()
        q = clean_question(question)
        turns = read_history(history)
        refusal = refuse_conversation(q, turns, self.embedder.embed_query) \
            or refuse_foreign(q, self.extractive.stats.mentions)
        if refusal is not None:
            return refusal
        asked = drop_instructions(q)
        notes = [IGNORED_INSTRUCTION] if asked != q else []
        standalone, changed = followup.standalone(self, asked, turns, backend, notes)
        trended = self._trend_answer(q, standalone, year, report_id, notes, t0)
        if trended is not None:
            return trended
        asks = split_asks(standalone)
        if len(asks) > 1 and not report_id:
            return answer_asks(self, q, asks, year, priority, backend, k, t0, notes)
        return answer_ask(self, q, asked, standalone, changed, turns, notes, year, priority, report_id,
                          backend, k, t0, context, extra_hits)

    def trend(self, measure: str, years: Sequence[str] | None = None) -> Trend:
        """`measure` traced through every annual report (or those of `years`): see `reportqa.trend`."""
        from reportqa.trend import trend

        return trend(self, clean_question(measure), [self.resolve_year(y) for y in years] if years else None)

    def _trend_answer(self, q: str, standalone: str, year: str | None, report_id: str | None,
                      notes: Sequence[str], t0: float) -> Answer | None:
        """A trend question ("how has ... changed", "since 2015") answered with its trend, or None."""
        from reportqa.trend import trend_answer

        ans = trend_answer(self, q, standalone, year=year, report_id=report_id)
        if ans is None:
            return None
        ans = ans.model_copy(update={"notes": ans.notes + tuple(notes),
                                     "timings": {"total": time.perf_counter() - t0}})
        return finalize(ans)

    def draft_mq(self, text: str, max_parts: int = 8, max_chars: int = 12000, backend: str | None = None,
                 time_budget: float = 120.0, min_answerability: float | None = None) -> MQDraft:
        """A draft answer to a tabled Mayor's Question: see `reportqa.mq.draft_mq`."""
        from reportqa.mq.draft import draft_mq

        return draft_mq(self, text, max_parts=max_parts, max_chars=max_chars, backend=backend,
                        time_budget=time_budget, min_answerability=min_answerability)
