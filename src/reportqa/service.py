"""Composition root: Assistant.open() wires index, retriever and answerers; ask() runs one question."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from reportqa.answer.compose import finalize
from reportqa.answer.extractive import ExtractiveAnswerer, Stats
from reportqa.config import Config, offline_environment
from reportqa.conversation import rewrite
from reportqa.embed import Embedder
from reportqa.errors import InputError
from reportqa.index import OpenIndex
from reportqa.priorities import load_taxonomy
from reportqa.retrieve import Retriever
from reportqa.safety import check
from reportqa.temporal import infer, report_years
from reportqa.types import Answer, Citation, Filters, Hit, Passage, Report, Turn

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000


def clean_question(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    if not isinstance(question, str):
        raise InputError("the question must be text", "pass a string")
    q = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" else c for c in question)
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        raise InputError("the question is empty", "type a question about MOPAC's reports")
    if len(q) > limit:
        raise InputError(
            f"the question is too long ({len(q)} characters; the limit is {limit})",
            "shorten it, or use `reportqa draft` for a long Mayor's Question",
        )
    return q


def _turns(history: Sequence[dict[str, str] | Turn] | None) -> list[Turn]:
    out = []
    for t in history or []:
        if isinstance(t, Turn):
            out.append(t)
            continue
        try:
            out.append(Turn(role=t["role"], content=str(t["content"])))  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                "history must be a list of {'role': 'user'|'assistant', 'content': ...}", str(exc).splitlines()[0]
            ) from exc
    return out


class Assistant:
    def __init__(self, config: Config, index: OpenIndex) -> None:
        self.config = config
        self.index = index
        self.reports: list[Report] = sorted(index.reports, key=lambda r: r.year)
        self.taxonomy = load_taxonomy()

    @classmethod
    def open(cls, config: Config | None = None) -> Assistant:
        offline_environment()
        config = config or Config()
        return cls(config, OpenIndex.open(config))

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(self.config.embed_batch_size)

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
        return ExtractiveAnswerer(Stats(ps), dense=self.sentence_similarities, following=lambda p: following.get(p.id))

    def specificity(self, name: str) -> float:
        """How rare a name is in the reports: the idf of its rarest word (higher: more specific)."""
        from reportqa.answer.features import alias_tokens

        words = [w for w in alias_tokens(name) if not w[0].isdigit()]
        stats = self.extractive.stats
        return max((stats.idf(w) for w in words), default=0.0)

    @cached_property
    def generic_name_idf(self) -> float:
        """The idf of a word found in one passage in twenty: names at or below it are too common to be a subject."""
        stats = self.extractive.stats
        import math

        return math.log(1 + (stats.n + 1) / (0.05 * stats.n + 0.5))

    def sentence_similarities(self, question: str, hits: Sequence[Hit]) -> list[Any]:
        """The cosine of the question with every sentence of each hit: one query embedding, one product each."""
        import numpy as np

        qv = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        vectors = self.index.sentence_vectors
        return [np.round(np.asarray(vectors.for_passage(h.passage), dtype=np.float32) @ qv, 5) for h in hits]

    @cached_property
    def llm(self) -> Any:
        from reportqa.answer.llm import LLMAnswerer

        return LLMAnswerer(self.config.llm)

    def warm(self) -> None:
        """Load the model and indexes now rather than on the first question."""
        self.retriever.search("warm up", Filters(), 1)
        _ = self.extractive
        _ = self.index.sentence_vectors

    def coverage_text(self) -> str:
        annual = [r.year for r in self.reports if r.kind != "plan page"]
        pages = [r.title for r in self.reports if r.kind == "plan page"]
        text = "annual reports for " + _and(annual) if annual else "no annual reports"
        if pages:
            text += ", and the " + _and(pages) + " page"
        return text

    def resolve_priority(self, priority: str | None) -> str | None:
        if not priority:
            return None
        pid = self.taxonomy.resolve(priority)
        if pid is None:
            raise InputError(f"unknown priority {priority!r}", "one of: " + ", ".join(self.taxonomy.ids()))
        return pid

    def resolve_year(self, year: str | None) -> str | None:
        if not year:
            return None
        m = re.fullmatch(r"\s*(\d{4})\s*[-/–]\s*(\d{2}|\d{4})\s*", year)
        if not m:
            raise InputError(f"year {year!r} is not a financial year", "write it like 2022-23")
        return f"{m.group(1)}-{m.group(2)[-2:]}"

    def retrieve(self, question: str, filters: Filters | None = None, k: int = 5) -> list[Hit]:
        return self.retriever.search(question, filters or Filters(), k)

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str] | Turn] | None = None,
        year: str | None = None,
        priority: str | None = None,
        report_id: str | None = None,
        backend: str | None = None,
        k: int | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        q = clean_question(question)
        turns = _turns(history)
        refusal = check(q)
        if refusal is not None:
            return Answer(status="refused", text=refusal.message, question=q, rewritten_question=q,
                          notes=(f"refused: {refusal.category}",), backend="policy")
        rw = rewrite(q, turns, self.specificity, self.generic_name_idf)
        standalone = rw.standalone
        use_llm = (backend or self.config.backend).lower() == "llm" and bool(self.config.llm.url)
        if use_llm and turns and rw.changed:
            # with an LLM configured, it rewrites follow-ups; the rules' rewrite is the fallback
            standalone = self.llm.rewrite_followup(q, turns) or standalone
        asks = split_asks(standalone)
        if len(asks) > 1 and not report_id:
            return self._ask_parts(q, asks, year, priority, backend, k, t0)
        base = Filters(
            years=(self.resolve_year(year),) if year else (),
            priority=self.resolve_priority(priority),
            report_id=report_id,
        )
        scope = infer(standalone, self.reports, base)
        t1 = time.perf_counter()
        notes = list(scope.notes)
        k_used = k or self.config.retrieval.answer_k
        focus = q if rw.changed else ""
        used = scope.filters
        if scope.uncovered:
            # a year no report covers as its own: a target, a baseline or next year's budget, stated in
            # another report. Look in every report, for sentences that name it.
            used = scope.filters.model_copy(update={"years": ()})
            hits = self.retriever.search(standalone, used, k_used)
            answer = self.extractive.answer(standalone, hits, (), self.coverage_text(), focus=focus,
                                            require_years=scope.uncovered)
            if answer.status == "not_found":
                answer = self.extractive.not_found(
                    standalone, hits, self.coverage_text(),
                    reason=f"No report in the collection covers {_and(scope.uncovered)}, and none names it "
                    f"beside what was asked; the reports cover {_and(report_years(self.reports))}.",
                )
            else:
                notes.append(f"no report covers {_and(scope.uncovered)}: found in a report that names it")
            t2 = time.perf_counter()
        else:
            hits = self.retriever.search(standalone, scope.filters, k_used)
            t2 = time.perf_counter()
            answer = self.extractive.answer(standalone, hits, scope.filters.years, self.coverage_text(), focus=focus)
        if answer.status == "not_found" and scope.mentioned and not base.years and not scope.uncovered:
            # a year in a question may be the year of the data, reported in a later report: look in every
            # report, for a sentence that itself names that year
            wider = scope.filters.model_copy(update={"years": ()})
            more = self.retriever.search(standalone, wider, k_used)
            retry = self.extractive.answer(
                standalone, more, (), self.coverage_text(), focus=focus, require_years=scope.mentioned
            )
            if retry.status in ("answered", "partial"):
                hits, answer, used = more, retry, wider
                notes.append("the year named in the question is the year of the figures; found in " +
                             ", ".join(sorted({c.year for c in retry.citations})) + " report")
        chosen = (backend or self.config.backend).lower()
        if chosen == "llm" and hits:
            from reportqa.answer.llm import answer_with_llm

            extractive = answer
            answer = answer_with_llm(standalone, hits, turns, self.llm, lambda: extractive)
        t3 = time.perf_counter()
        return finalize(answer.model_copy(
            update={
                "question": q,
                "rewritten_question": standalone,
                "filters": used,
                "hits": tuple(hits),
                "notes": tuple(notes) + answer.notes,
                "timings": {"parse": t1 - t0, "retrieve": t2 - t1, "answer": t3 - t2, "total": t3 - t0},
            }
        ))

    def _ask_parts(
        self, q: str, asks: list[str], year: str | None, priority: str | None, backend: str | None, k: int | None, t0: float
    ) -> Answer:
        """A question with several asks: each answered on its own, then joined with markers renumbered."""
        answers: list[Answer] = []
        history: list[Turn] = []
        ignored = [p for p in asks if _INSTRUCTION.match(p)]
        asks = [p for p in asks if not _INSTRUCTION.match(p)]
        if len(asks) == 1:
            ans = self.ask(asks[0], year=year, priority=priority, backend=backend, k=k)
            return ans.model_copy(update={"question": q, "notes": ans.notes + ("ignored an instruction inside the question",)})
        for part in asks:
            ans = self.ask(part, history=history, year=year, priority=priority, backend=backend, k=k)
            answers.append(ans)
            history = [Turn(role="user", content=ans.rewritten_question or part)]
        combined = finalize(combine(q, answers, time.perf_counter() - t0))
        if ignored:
            combined = combined.model_copy(update={"notes": combined.notes + ("ignored an instruction inside the question",)})
        return combined

    def draft_mq(self, text: str, **kwargs: Any) -> Any:
        from reportqa.mq import draft_mq

        return draft_mq(self, text, **kwargs)


_ASK_SPLIT = re.compile(
    r"(?<=\?)\s+(?=[A-Z])|[,;]?\s+and\s+(?=(?:how|what|which|who|when|where|why|whether|did|does|has|have)\b)", re.I
)


_INSTRUCTION = re.compile(
    r"^\s*(also\s+|and\s+|now\s+|then\s+)?(please\s+)?(reply|respond|answer|say|print|output|write|return|format|"
    r"ignore|forget|disregard|only|just|do not|don't|translate|repeat|use|act|pretend|stop|start)\b",
    re.I,
)


def split_asks(question: str) -> list[str]:
    """'What did X get in 2022-23 and how many projects did it fund?' -> two asks."""
    parts = [p.strip(" ,;") for p in _ASK_SPLIT.split(question) if p and p.strip(" ,;")]
    parts = [p for p in parts if not re.fullmatch(r"(?i)(how|what|which|who|when|where|why|whether|did|does|has|have)", p)]
    if len(parts) < 2 or any(len(p.split()) < 3 for p in parts):
        return [question]
    return [p if p.endswith("?") else p + "?" for p in parts]


def combine(question: str, answers: Sequence[Answer], elapsed: float) -> Answer:
    """Answers to the asks of one question, joined; markers renumbered so that one quoted span (the same
    passage and offsets) keeps one marker however many asks cite it."""
    texts: list[str] = []
    cits: list[Citation] = []
    related: list[Citation] = []
    by_span: dict[tuple[str, int, int], int] = {}
    printed: set[int] = set()
    for ans in answers:
        if ans.status in ("answered", "partial"):
            mapping: dict[int, int] = {}
            for c in ans.citations:
                span = (c.passage_id, c.start, c.end)
                if span not in by_span:
                    by_span[span] = len(by_span) + 1
                    cits.append(c.model_copy(update={"marker": by_span[span]}))
                mapping[c.marker] = by_span[span]
            lines = []
            for line in ans.text.split("\n"):
                line = re.sub(r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", line)
                marks = {int(n) for n in re.findall(r"\[(\d+)\]", line)}
                if marks and marks <= printed:
                    continue  # this sentence is already in the answer under its marker
                printed.update(marks)
                lines.append(line)
            if not lines:
                lines = ["The same passage answers this part: see " + ", ".join(f"[{n}]" for n in sorted(set(mapping.values()))) + " above."]
            texts.append("\n".join(lines))
        elif ans.status == "refused":
            texts.append(ans.text)
        else:
            texts.append(f"The reports don't say: {ans.rewritten_question}")
            related.extend(ans.related)
    statuses = {a.status for a in answers}
    status = ("answered" if statuses == {"answered"} else "partial") if statuses & {"answered", "partial"} \
        else answers[0].status
    years = tuple(dict.fromkeys(y for a in answers for y in a.filters.years))
    return Answer(
        status=status,
        text="\n".join(texts),
        citations=tuple(cits),
        related=tuple(related[:3]),
        question=question,
        rewritten_question=" | ".join(a.rewritten_question for a in answers),
        filters=Filters(years=years),
        backend=answers[0].backend,
        hits=tuple(h for a in answers for h in a.hits),
        missing="; ".join(a.missing or a.rewritten_question for a in answers if a.status in ("partial", "not_found")),
        notes=(f"answered as {len(answers)} separate asks",) + tuple(n for a in answers for n in a.notes),
        timings={"total": elapsed},
    )


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
