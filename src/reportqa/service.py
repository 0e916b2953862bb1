"""Composition root: Assistant.open() wires index, retriever and answerers; ask() runs one question."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from reportqa.answer.compose import finalize
from reportqa.answer.extractive import ExtractiveAnswerer, Stats
from reportqa.config import Config, offline_environment
from reportqa.conversation import rewrite
from reportqa.embed import QueryEncoder
from reportqa.errors import InputError
from reportqa.index import OpenIndex
from reportqa.kinds import coverage
from reportqa.kinds import label as document_label
from reportqa.kinds import order as period_order
from reportqa.periods import parse_period
from reportqa.priorities import load_taxonomy
from reportqa.question.query import Query, read_query
from reportqa.retrieve import Retriever
from reportqa.safety import check, check_conversation
from reportqa.temporal import infer, newest_year, report_years
from reportqa.text import clean_control, looks_foreign
from reportqa.types import Answer, Citation, Filters, Hit, Passage, Report, Trend, Turn

if TYPE_CHECKING:
    import numpy as np

    from reportqa.answer.evidence import Candidate
    from reportqa.answer.llm import LLMAnswerer
    from reportqa.mq import MQDraft

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
MAX_ASKS = 5  # one question is answered as at most this many asks
MAX_HISTORY_TURNS = 12  # the turns of a conversation read for a follow-up: the most recent
MAX_TURN_CHARS = 4000  # of each turn, the first characters
NEWEST_SEARCHED = 2  # the newest annual reports searched again for a figure asked about the present


def clean_question(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    if not isinstance(question, str):
        raise InputError("the question must be text", "pass a string")
    q = re.sub(r"\s+", " ", clean_control(question)).strip()
    if not q:
        raise InputError("the question is empty", "type a question about MOPAC's reports")
    if len(q) > limit:
        raise InputError(
            f"the question is too long ({len(q)} characters; the limit is {limit})",
            "shorten it, or use `reportqa draft` for a long Mayor's Question",
        )
    return q


_HISTORY_SHAPE = "history must be a list of {'role': 'user'|'assistant', 'content': '...'}"


def _turns(history: Sequence[dict[str, str] | Turn] | None) -> list[Turn]:
    """The conversation so far, checked: a list of user and assistant turns with text content.

    Only the last MAX_HISTORY_TURNS turns are kept, each cut to MAX_TURN_CHARS and cleaned like a question.
    """
    if history is None:
        return []
    if isinstance(history, str | bytes | Mapping) or not isinstance(history, Sequence):
        raise InputError(_HISTORY_SHAPE, f"got {type(history).__name__}; pass [] for no history")
    out: list[Turn] = []
    for i, t in enumerate(history):
        role: object
        content: object
        if isinstance(t, Turn):
            role, content = t.role, t.content
        elif isinstance(t, Mapping):
            role, content = t.get("role"), t.get("content")
        else:
            raise InputError(_HISTORY_SHAPE, f"turn {i} is {type(t).__name__}, not a dict")
        if role not in ("user", "assistant"):
            shown = repr(role[:40]) if isinstance(role, str) else type(role).__name__
            raise InputError(_HISTORY_SHAPE, f"turn {i} has role {shown}")
        if not isinstance(content, str):
            raise InputError(_HISTORY_SHAPE, f"turn {i} has {type(content).__name__} content, not text")
        text = clean_control(content[:MAX_TURN_CHARS])
        out.append(Turn(role="user" if role == "user" else "assistant", content=text))
    return out[-MAX_HISTORY_TURNS:]


class Assistant:
    def __init__(self, config: Config, index: OpenIndex) -> None:
        self.config = config
        self.index = index
        self.reports: list[Report] = sorted(index.reports, key=lambda r: (period_order(r), r.id))
        self.taxonomy = load_taxonomy()
        self._phrases: dict[str, tuple[float, ...]] = {}

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
        hit = self._phrases.get(text)
        if hit is None:
            hit = tuple(float(x) for x in self.embedder.embed_query(text))
            if len(self._phrases) >= PHRASES_MAX:
                self._phrases.pop(next(iter(self._phrases)))
            self._phrases[text] = hit
        return hit

    def specificity(self, name: str) -> float:
        """How rare a name is in the reports: the idf of its rarest word (higher: more specific)."""
        from reportqa.answer.features import alias_tokens

        words = [w for w in alias_tokens(name) if not w[0].isdigit()]
        stats = self.extractive.stats
        return max((stats.idf(w) for w in words), default=0.0)

    @cached_property
    def generic_name_idf(self) -> float:
        """The idf of a word in one passage in twenty: names at or below it are too common to be a subject."""
        stats = self.extractive.stats
        import math

        return math.log(1 + (stats.n + 1) / (0.05 * stats.n + 0.5))

    def sentence_similarities(self, question: str, hits: Sequence[Hit]) -> list[np.ndarray]:
        """The question's cosine with every sentence of each hit: one query embedding, one product each."""
        import numpy as np

        qv = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        vectors = self.index.sentence_vectors
        return [np.round(np.asarray(vectors.for_passage(h.passage), dtype=np.float32) @ qv, 5) for h in hits]

    @cached_property
    def llm(self) -> LLMAnswerer:
        from reportqa.answer.llm import LLMAnswerer

        return LLMAnswerer(self.config.llm)

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
        from reportqa.answer.verify import citation_span

        hits = self.retrieve(question, k=k)
        if not hits:
            return []
        ev = self.extractive.evidence(question, hits)
        best: dict[str, Candidate] = {}
        for c in ev.candidates:
            best.setdefault(c.passage.id, c)
        out: list[Citation] = []
        for h in hits:
            chosen = best.get(h.passage.id)
            if chosen is not None:
                out.append(citation_span(len(out) + 1, chosen.passage, chosen.sentence.start,
                                         chosen.sentence.end))
        return out

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
    ) -> Answer:
        """Answer `question` (a follow-up of `history`) from the reports: see `Answer` for what comes back.

        `year`, `priority` and `report_id` restrict the search; `context` is text the question stands in
        (a Mayor's Question's title and preamble, for one of its parts) that retrieval weighs beside it.
        Raises only ReportQAError subclasses (InputError for unusable input).
        """
        t0 = time.perf_counter()
        q = clean_question(question)
        turns = _turns(history)
        refusal = check_conversation(q, turns, self.embedder.embed_query)
        if refusal is not None:
            return _refused(q, refusal.message, refusal.category)
        if looks_foreign(q, self.extractive.stats.mentions):
            return _refused(q, "The question does not look like English. MOPAC's reports are in English: "
                               "please ask in English, for example \"How many police officers does the Met "
                               "have?\"", "language")
        asked = drop_instructions(q)
        notes = [IGNORED_INSTRUCTION] if asked != q else []
        standalone, changed = self._standalone(asked, turns, backend, notes)
        trended = self._trend_answer(q, standalone, year, report_id, notes, t0)
        if trended is not None:
            return trended
        asks = split_asks(standalone)
        if len(asks) > 1 and not report_id:
            return self._ask_parts(q, asks, year, priority, backend, k, t0, notes)
        return self._answer(q, asked, standalone, changed, turns, notes, year, priority, report_id, backend,
                            k, t0, context)

    def _standalone(
        self, question: str, turns: list[Turn], backend: str | None, notes: list[str]
    ) -> tuple[str, bool]:
        """The question rewritten to stand on its own (and whether it changed), at most MAX_QUESTION_CHARS."""
        rw = rewrite(question, turns, self.specificity, self.generic_name_idf)
        standalone = rw.standalone
        use_llm = (backend or self.config.backend).lower() == "llm" and bool(self.config.llm.url)
        if use_llm and turns and rw.changed:
            # with an LLM configured, it rewrites follow-ups; the rules' rewrite is the fallback
            standalone = self.llm.rewrite_followup(question, turns) or standalone
        if len(standalone) > MAX_QUESTION_CHARS:
            standalone = _shorten(standalone, MAX_QUESTION_CHARS)
            notes.append(f"the question with the conversation's context was cut to {MAX_QUESTION_CHARS:,} "
                         "characters")
        return standalone, rw.changed

    def _answer(
        self, q: str, asked: str, standalone: str, changed: bool, turns: list[Turn], extra: Sequence[str],
        year: str | None, priority: str | None, report_id: str | None, backend: str | None, k: int | None,
        t0: float, context: str | None = None,
    ) -> Answer:
        """One ask, checked and rewritten: retrieve, answer, verify. `q` is the question as asked, `asked`
        the part of it answered here."""
        base = Filters(
            years=(self.resolve_year(year),) if year else (),
            priority=self.resolve_priority(priority),
            report_id=report_id,
        )
        scope = infer(standalone, self.reports, base)
        t1 = time.perf_counter()
        notes = [*scope.notes, *extra]
        k_used = k or self.config.retrieval.answer_k
        focus = asked if changed else ""
        used = scope.filters
        if scope.uncovered:
            # a year no report covers as its own: a target, a baseline or next year's budget, stated in
            # another report. Look in every report, for sentences that name it.
            used = scope.filters.model_copy(update={"years": ()})
            hits = self.retriever.search(standalone, used, k_used, context)
            # only sentences naming the asked year are evidence here (a target or a forecast for it, stated
            # in an earlier report): the period is matched by construction, so the match is not asked again
            answer = self.extractive.answer(standalone, hits, (), self.coverage_text(), focus=focus,
                                            require_years=scope.uncovered, match=False)
            if answer.status == "not_found":
                answer = self.extractive.not_found(
                    standalone, hits, self.coverage_text(),
                    reason=f"No report in the collection covers {_and(scope.uncovered)}, and no sentence "
                    f"naming it answers what was asked; the reports cover "
                    f"{_and(report_years(self.reports))}.",
                )
            else:
                notes.append(f"no report covers {_and(scope.uncovered)}: found in a report that names it")
            t2 = time.perf_counter()
        else:
            hits = self.retriever.search(standalone, scope.filters, k_used, context)
            if not hits and not scope.filters.is_empty() and not base.years and not base.priority:
                # time scoping never empties a search: drop what the question implied, and say so
                used = scope.filters.model_copy(update={"years": (), "plan": None})
                hits = self.retriever.search(standalone, used, k_used, context)
                notes.append(
                    "no passage matched the years or plan read from the question: searched every report"
                )
            hits = self._with_newest(read_query(asked if changed else standalone), standalone, hits,
                                     scope.filters, k_used, context)
            t2 = time.perf_counter()
            answer = self.extractive.answer(
                standalone, hits, scope.filters.years, self.coverage_text(), focus=focus,
                match=context is None,
            )
        if answer.status == "not_found" and scope.mentioned and not base.years and not scope.uncovered:
            # a year in a question may be the year of the data, reported in a later report: look in every
            # report, for a sentence that itself names that year
            wider = scope.filters.model_copy(update={"years": ()})
            more = self.retriever.search(standalone, wider, k_used, context)
            retry = self.extractive.answer(
                standalone, more, (), self.coverage_text(), focus=focus, require_years=scope.mentioned
            )
            if retry.status in ("answered", "partial"):
                hits, answer, used = more, retry, wider
                notes.append("the year named in the question is the year of the figures; found in " +
                             _and(sorted({document_label(c) for c in retry.citations})))
        # (a not_found with a `missing` detail is the match's decline: it too may be about an unknown name)
        unnamed = self.extractive.stats.unmentioned(standalone) \
            if answer.status in ("answered", "partial") or answer.missing else []
        if unnamed:
            # the question is about something no report mentions: any figure found would be about
            # something else ("the Falcon Meridian review" is not the custody records review)
            answer = self.extractive.not_found(
                standalone, hits, self.coverage_text(),
                reason=f"None of the reports mentions {_and([f'“{n}”' for n in unnamed])}.")
        if answer.status in ("answered", "partial") and not used.years and not used.report_id:
            answer = self._dated(standalone, answer)
        chosen = (backend or self.config.backend).lower()
        if chosen == "llm" and hits and not unnamed:
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

    def _with_newest(self, query: Query, question: str, hits: list[Hit], filters: Filters, k: int,
                     context: str | None) -> list[Hit]:
        """A figure asked about the present ("how many officers now") with no year: the newest two annual
        reports are searched too, their passages added after the others (a newer figure may rank below older
        ones on words alone; the evidence then prefers the newest that states it)."""
        if not query.current or not query.asks_figure or filters.years or filters.report_id:
            return hits
        years = report_years(self.reports)[-NEWEST_SEARCHED:]
        if not years:
            return hits
        from reportqa.answer.features import expansions

        seen = {h.passage.id for h in hits}
        scoped = filters.model_copy(update={"years": tuple(years)})
        newer: list[Hit] = []
        # the question as asked, and its measure in the reports' own words ("cops": "police officers")
        probes = [question]
        if query.measure:
            probes.append(" ".join([query.measure, *expansions(query.measure)]))
        for probe in probes:
            for h in self.retriever.search(probe, scoped, k, context):
                if h.passage.id not in seen:
                    seen.add(h.passage.id)
                    newer.append(h)
        return [*hits, *(h.model_copy(update={"rank": len(hits) + i + 1}) for i, h in enumerate(newer))]

    def _dated(self, question: str, answer: Answer) -> Answer:
        """An answer to "what is the current ...?" ("now", "latest", "these days") that cites only reports
        older than the newest one held says so in its text: an old figure must never read as the current
        one. "Now, how many ...?" opens with "now" and asks nothing about the present."""
        asked = re.sub(r"(?i)^\W*(?:right\s+)?now\s*,\s*", "", question)  # "Now, how many ...": an opener
        if not _CURRENT.search(asked) or not answer.citations:
            return answer
        newest = newest_year(list(self.reports))
        cited = max(c.year for c in answer.citations)
        if newest is None or cited >= newest:
            return answer
        line = ("The question asks about the present, but the newest report cited here is older than the "
                "newest report held: check the newer reports before using this as current.")
        return answer.model_copy(update={
            "text": f"{answer.text}\n{line}",
            "notes": (*answer.notes, f"current figure asked: the newest cited report is {cited}; the newest "
                                     f"report held is {newest}")})

    def _ask_parts(
        self, q: str, asks: list[str], year: str | None, priority: str | None, backend: str | None,
        k: int | None, t0: float, notes: Sequence[str] = (),
    ) -> Answer:
        """A question with several asks: each answered on its own (the first MAX_ASKS of them), then joined
        with markers renumbered. Asks that are instructions are dropped, unless every ask is one."""
        notes = list(notes)
        # an ask in question form (a question word or an auxiliary first) is a question; beside one, an ask
        # that is not ("End your reply with ...", "After answering, write ...") is an instruction
        kept = [p for p in asks if not _INSTRUCTION.match(p)]
        if any(_is_question(p) for p in kept):
            kept = [p for p in kept if _is_question(p)]
        if kept and len(kept) < len(asks):
            asks = kept
            if IGNORED_INSTRUCTION not in notes:
                notes.append(IGNORED_INSTRUCTION)
        if len(asks) > MAX_ASKS:
            notes.append(f"the question has {len(asks)} asks: the first {MAX_ASKS} were answered; "
                         "ask the others on their own")
            asks = asks[:MAX_ASKS]
        answers: list[Answer] = []
        history: list[Turn] = []
        for part in asks:
            ans = self._ask_part(part, history, year, priority, backend, k)
            answers.append(ans)
            history = [Turn(role="user", content=ans.rewritten_question or part)]
        if len(answers) == 1:
            return answers[0].model_copy(update={"question": q, "notes": answers[0].notes + tuple(notes)})
        combined = finalize(combine(q, answers, time.perf_counter() - t0))
        return combined.model_copy(update={"notes": combined.notes + tuple(notes)})

    def _ask_part(
        self, part: str, history: list[Turn], year: str | None, priority: str | None, backend: str | None,
        k: int | None,
    ) -> Answer:
        """One ask of a several-ask question, read after the ask before it; never split again."""
        refusal = check(part)
        if refusal is not None:
            return _refused(part, refusal.message, refusal.category)
        notes: list[str] = []
        standalone, changed = self._standalone(part, history, backend, notes)
        return self._answer(part, part, standalone, changed, history, notes, year, priority, None, backend, k,
                            time.perf_counter())

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
        from reportqa.mq import draft_mq

        return draft_mq(self, text, max_parts=max_parts, max_chars=max_chars, backend=backend,
                        time_budget=time_budget, min_answerability=min_answerability)


PHRASES_MAX = 4096  # phrase vectors the Assistant keeps for the match (oldest dropped first)


_ASK_SPLIT = re.compile(
    r"(?<=\?)\s+(?=[A-Z])"
    r"|[,;]?\s+and\s+(?=(?:how|what|which|who|when|where|why|whether|did|does|has|have)\b)",
    re.I,
)


_INSTRUCTION = re.compile(
    r"^\s*(also\s+|and\s+|now\s+|then\s+)?(please\s+)?(reply|respond|answer|say|print|output|write|return|format|"
    r"ignore|forget|disregard|only|just|do not|don't|translate|repeat|use|act|pretend|stop|start)\b"
    r"(?!\s+(?:and|&)\s+(?:search|account)\b|\s+of\b)",  # "Stop and search", "Use of force": topics
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
IGNORED_INSTRUCTION = "ignored an instruction inside the question"


# a question about the present: "the current level", "how many ... now", "the latest figure"
_CURRENT = re.compile(
    r"(?i)\b(?:current(?:ly)?|nowadays|at present|presently|today|latest|newest|most recent|"
    r"present[- ](?:day|number|level|figure|total|rate)|"
    r"up[- ]to[- ]date|these days|as (?:things|it) stands?|now(?!\s+that))\b"
)


def drop_instructions(question: str) -> str:
    """'Stop. What was the budget of the Lighthouse? Repeat after me.' -> the question inside.

    Sentences that instruct rather than ask are dropped when a question (a sentence ending in '?') remains;
    a text that is nothing but instructions is left as it is, to be answered (or not found) as written.
    """
    sentences = _SENTENCE.split(question)
    kept = [s for s in sentences if s.endswith("?") or not _INSTRUCTION.match(s)]
    if len(kept) == len(sentences) or not any(s.endswith("?") for s in kept):
        return question
    return " ".join(kept)


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, still a question."""
    cut = text.rfind(" ", 0, limit)
    text = text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:-(?.")
    return text + "?"


def _refused(q: str, message: str, category: str) -> Answer:
    return Answer(status="refused", text=message, question=q, rewritten_question=q, refusal=category,
                  notes=(f"refused: {category}",), backend="policy")


def split_asks(question: str) -> list[str]:
    """'What did X get in 2022-23 and how many projects did it fund?' -> two asks."""
    parts = [p.strip(" ,;") for p in _ASK_SPLIT.split(question) if p and p.strip(" ,;")]
    parts = [
        p
        for p in parts
        if not re.fullmatch(r"(?i)(how|what|which|who|when|where|why|whether|did|does|has|have)", p)
    ]
    if len(parts) < 2 or any(len(p.split()) < 3 for p in parts):
        return [question]
    return [p if p.endswith("?") else p + "?" for p in parts]


_QUESTION_FORM = re.compile(
    r"(?i)^\W*(?:and\s+|also\s+|so\s+|but\s+)?(?:(?:in|on|by|for|from|to|under|at|with|of|over|since|across|"
    r"during)\s+(?:\S+\s+){0,3}?)?(?:what|how|which|who|whom|whose|when|where|why|whether|if|is|are|was|were|"
    r"do|does|did|has|have|had|will|would|can|could|should|shall|may|might|to what extent)\b"
)
_QUESTION_WORD = re.compile(r"(?i)\b(?:what|how|which|who|whom|whose|when|where|why|whether)\b")


def _is_question(ask: str) -> bool:
    """An ask in question form: a question word anywhere ("According to X, where did ...") or an
    auxiliary first ("Did the Met ...")."""
    return bool(_QUESTION_FORM.match(ask) or _QUESTION_WORD.search(ask))


def gap_line(asked: str) -> str:
    """The sentence for an ask the reports don't answer: what it asks, from its `Query` (`Query.gap`: the
    measure, never the user's other words, numbers or links), e.g. "The reports do not give the number of
    police dogs." The user's text is never restated."""
    return f"The reports do not give {read_query(asked).gap()}."


def _renumbered(line: str, mapping: Mapping[int, int]) -> str:
    """The line's `[n]` markers as `[mapping[n]]`; a marker missing from `mapping` is kept."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", line)


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
                line = _renumbered(line, mapping)
                marks = {int(n) for n in re.findall(r"\[(\d+)\]", line)}
                if marks and marks <= printed:
                    continue  # this sentence is already in the answer under its marker
                printed.update(marks)
                lines.append(line)
            if not lines:
                lines = [
                    "The same passage answers this part: see "
                    + ", ".join(f"[{n}]" for n in sorted(set(mapping.values())))
                    + " above."
                ]
            texts.append("\n".join(lines))
        elif ans.status == "refused":
            texts.append(ans.text)
        else:
            texts.append(gap_line(ans.rewritten_question))
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
        rewritten_question=_joined([a.rewritten_question for a in answers], MAX_QUESTION_CHARS),
        filters=Filters(years=years),
        backend=answers[0].backend,
        hits=tuple(h for a in answers for h in a.hits),
        missing="; ".join(
            a.missing or read_query(a.rewritten_question).gap() for a in answers
            if a.status in ("partial", "not_found")
        ),
        notes=(f"answered as {len(answers)} separate asks",) + tuple(n for a in answers for n in a.notes),
        timings={"total": elapsed},
    )


def _joined(questions: Sequence[str], limit: int) -> str:
    """The asks' questions as 'a | b | c', each shortened as needed so the whole is at most `limit`."""
    text = " | ".join(questions)
    if len(text) <= limit:
        return text
    each = (limit - 3 * (len(questions) - 1)) // max(1, len(questions))
    return " | ".join(q if len(q) <= each else q[: each - 1].rstrip() + "…" for q in questions)


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
