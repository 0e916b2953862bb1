"""ragas 0.4 metrics on the eval runs: always the ones that need no LLM, the judged ones only on request.

No LLM, deterministic, always run:
- non_llm_context_recall / non_llm_context_precision: ragas's NonLLMContextRecall and
  NonLLMContextPrecisionWithReference over the top-5 retrieved passages, with the gold quotes as the
  reference contexts. ragas compares strings whole (Levenshtein), which scores a 100-character quote
  against a 1,000-character passage near 0 even when the passage contains it; so the distance used is
  a best-substring alignment (rapidfuzz partial_ratio) and the threshold is raised to 0.9 to match.
- string_similarity (NonLLMStringSimilarity, Levenshtein), rouge_l (RougeScore, rougeL F1): the answer
  against the item's short reference answer; string_presence (StringPresence): every key-fact group has
  an alternative present verbatim (no normalisation, the contrast to key_fact_accuracy).

With a judge endpoint (REPORTQA_JUDGE_URL, OpenAI-compatible; REPORTQA_JUDGE_MODEL; optional
REPORTQA_JUDGE_API_KEY), also Faithfulness and AnswerRelevancy (ragas's ResponseRelevancy, embedded
with the local model). Judged scores are reported, never gated, and a judge failure is counted, not raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reportqa.config import offline_environment
from reportqa.evaluation.dataset import TYPES, Item
from reportqa.evaluation.metrics import mean
from reportqa.evaluation.runner import AnswerRun, ItemRun
from reportqa.types import MARKER

if TYPE_CHECKING:
    from langchain_core.callbacks import Callbacks
    from ragas.dataset_schema import SingleTurnSample
    from ragas.embeddings.base import BaseRagasEmbedding
    from ragas.metrics.base import SingleTurnMetric
    from ragas.run_config import RunConfig

    from reportqa.embed import QueryEncoder

log = logging.getLogger(__name__)

CONTEXT_K = 5
MATCH_THRESHOLD = 0.9
NO_LLM = (
    "non_llm_context_recall",
    "non_llm_context_precision",
    "string_similarity",
    "rouge_l",
    "string_presence",
)
JUDGED = ("faithfulness", "answer_relevancy")


@dataclass(frozen=True)
class JudgeConfig:
    url: str
    model: str = "default"
    api_key: str = "not-needed"
    timeout: float = 60.0

    @classmethod
    def from_env(cls) -> JudgeConfig | None:
        url = os.environ.get("REPORTQA_JUDGE_URL", "").strip()
        if not url:
            return None
        return cls(url=url, model=os.environ.get("REPORTQA_JUDGE_MODEL", "default").strip() or "default",
                   api_key=os.environ.get("REPORTQA_JUDGE_API_KEY", "") or "not-needed",
                   timeout=float(os.environ.get("REPORTQA_JUDGE_TIMEOUT", "60")))


@dataclass(frozen=True)
class Sample:
    id: str  # item id, or "q147.2" for part 2 of a Mayor's Question
    split: str
    type: str
    question: str
    response: str
    reference: str  # "" when there is no reference answer (Mayor's Question parts)
    key_facts: tuple[tuple[str, ...], ...]
    retrieved_contexts: tuple[str, ...]
    reference_contexts: tuple[str, ...]
    cited_contexts: tuple[str, ...]


@dataclass
class RagasResult:
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # sample id -> metric -> value
    # split -> group -> metric -> {"value": ..., "n": ...}
    summary: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    judge: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_MARKER = re.compile(r"\s*" + MARKER.pattern)


def _sample(
    item: Item, run: AnswerRun, sid: str, question: str, reference: str, key_facts: Any, gold: Any
) -> Sample:
    return Sample(
        id=sid,
        split=item.split,
        type=item.type,
        question=question,
        response=_MARKER.sub("", run.text).strip(),
        reference=reference,
        key_facts=tuple(tuple(g) for g in key_facts),
        retrieved_contexts=tuple(r.text for r in run.retrieved[:CONTEXT_K]),
        reference_contexts=tuple(g.quote for g in gold),
        cited_contexts=tuple(dict.fromkeys(c.passage or c.quote for c in run.citations)),
    )


def samples_from(items: Sequence[Item], runs: Sequence[ItemRun]) -> list[Sample]:
    """One sample per ordinary item that expects an answer, one per answerable Mayor's Question part."""
    by_id = {r.item_id: r for r in runs}
    out: list[Sample] = []
    for item in sorted(items, key=lambda i: i.id):
        run = by_id.get(item.id)
        if run is None:
            continue
        if item.parts is not None:
            for j, (gp, pr) in enumerate(zip(item.parts, run.parts or (), strict=False), 1):
                if gp.expect == "answered":
                    out.append(_sample(item, pr, f"{item.id}.{j}", gp.question, "", gp.key_facts, gp.gold))
        elif item.expect == "answered":
            out.append(
                _sample(item, run.answer, item.id, item.question, item.reference, item.key_facts, item.gold)
            )
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _partial_similarity_metric() -> SingleTurnMetric:
    """A ragas SingleTurnMetric: how well the shorter string aligns inside the longer one (0..1)."""
    from dataclasses import dataclass as _dc
    from dataclasses import field as _field

    from ragas.metrics.base import MetricType, SingleTurnMetric
    from rapidfuzz import fuzz

    @_dc
    class PartialStringSimilarity(SingleTurnMetric):
        name: str = "partial_string_similarity"
        _required_columns: dict[MetricType, set[str]] = _field(
            default_factory=lambda: {MetricType.SINGLE_TURN: {"reference", "response"}}
        )

        def init(self, run_config: RunConfig) -> None:
            return None

        async def _single_turn_ascore(self, sample: SingleTurnSample, callbacks: Callbacks) -> float:
            return (
                float(fuzz.partial_ratio(_squash(sample.reference or ""), _squash(sample.response or "")))
                / 100.0
            )

    return PartialStringSimilarity()


class _LocalEmbedding:
    """Adapter from the project's query encoder to ragas's modern embedding interface (built lazily)."""

    @staticmethod
    def build(embedder: QueryEncoder) -> BaseRagasEmbedding:
        from ragas.embeddings.base import BaseRagasEmbedding

        class LocalEmbedding(BaseRagasEmbedding):
            def embed_text(self, text: str, **kwargs: Any) -> list[float]:
                return list(embedder.embed_query(text))

            async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
                return self.embed_text(text)

        return LocalEmbedding()


async def _no_llm_scores(samples: Sequence[Sample]) -> dict[str, dict[str, float]]:
    from ragas import SingleTurnSample
    from ragas.metrics.collections import NonLLMStringSimilarity, RougeScore, StringPresence

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall

    partial = _partial_similarity_metric()
    recall = NonLLMContextRecall(_distance_measure=partial, threshold=MATCH_THRESHOLD)
    precision = NonLLMContextPrecisionWithReference(distance_measure=partial, threshold=MATCH_THRESHOLD)
    similarity, rouge, presence = NonLLMStringSimilarity(), RougeScore(rouge_type="rougeL"), StringPresence()
    out: dict[str, dict[str, float]] = {}
    for s in samples:
        row: dict[str, float] = {}
        if s.reference_contexts:
            if s.retrieved_contexts:
                turn = SingleTurnSample(user_input=s.question, retrieved_contexts=list(s.retrieved_contexts),
                                        reference_contexts=list(s.reference_contexts))
                row["non_llm_context_recall"] = float(await recall.single_turn_ascore(turn))
                row["non_llm_context_precision"] = float(await precision.single_turn_ascore(turn))
            else:
                row["non_llm_context_recall"] = row["non_llm_context_precision"] = 0.0
        if s.reference:
            pair = {"reference": s.reference, "response": s.response}
            row["string_similarity"] = float((await similarity.ascore(**pair)).value)
            row["rouge_l"] = float((await rouge.ascore(**pair)).value)
        if s.key_facts:
            present = [
                max([float((await presence.ascore(reference=a, response=s.response)).value) for a in g])
                for g in s.key_facts
            ]
            row["string_presence"] = min(present)
        out[s.id] = row
    return out


async def _judged_scores(samples: Sequence[Sample], judge: JudgeConfig, embedder: QueryEncoder | None,
                         errors: dict[str, int]) -> dict[str, dict[str, float]]:
    from openai import AsyncOpenAI
    from ragas.llms.base import llm_factory
    from ragas.metrics.collections import AnswerRelevancy, Faithfulness

    client = AsyncOpenAI(base_url=judge.url, api_key=judge.api_key, timeout=judge.timeout, max_retries=0)
    llm = llm_factory(judge.model, provider="openai", client=client)
    faithfulness = Faithfulness(llm=llm)
    relevancy = (
        AnswerRelevancy(llm=llm, embeddings=_LocalEmbedding.build(embedder)) if embedder is not None else None
    )
    out: dict[str, dict[str, float]] = {}
    for s in samples:
        if not s.response:
            continue
        row: dict[str, float] = {}
        contexts = list(s.cited_contexts or s.retrieved_contexts)
        jobs: list[tuple[str, Any]] = []
        if contexts:
            jobs.append(("faithfulness", lambda c=contexts, s=s: faithfulness.ascore(
                user_input=s.question, response=s.response, retrieved_contexts=c)))
        if relevancy is not None:
            jobs.append(
                ("answer_relevancy", lambda s=s: relevancy.ascore(user_input=s.question, response=s.response))
            )
        for name, job in jobs:
            try:
                value = float((await job()).value)
            except Exception as exc:  # a judge failure is reported, never fatal: the judge is advisory
                errors[name] = errors.get(name, 0) + 1
                log.debug("judge %s failed on %s: %s", name, s.id, exc)
                continue
            if value == value:  # NaN: the judge produced no statements
                row[name] = value
        out[s.id] = row
    return out


def _summary(
    samples: Sequence[Sample], scores: dict[str, dict[str, float]], names: Sequence[str]
) -> dict[str, Any]:
    splits = sorted({s.split for s in samples})
    out: dict[str, Any] = {}
    for split in splits + (["all"] if len(splits) > 1 else []):
        chosen = [s for s in samples if split == "all" or s.split == split]
        groups: dict[str, Any] = {}
        for group in ("all", *TYPES):
            of = [s for s in chosen if group == "all" or s.type == group]
            if not of:
                continue
            metrics: dict[str, Any] = {}
            for name in names:
                vals = [scores[s.id][name] for s in of if name in scores.get(s.id, {})]
                value = mean(vals)
                metrics[name] = {"value": None if value is None else round(value, 4), "n": len(vals)}
            groups[group] = metrics
        out[split] = groups
    return out


def run_ragas(
    samples: Sequence[Sample], judge: JudgeConfig | None = None, embedder: QueryEncoder | None = None
) -> RagasResult:
    """Score the samples; deterministic unless a judge is configured (and the judge is never gated)."""
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"  # forced, not defaulted: eval never reports usage
    offline_environment()
    result = RagasResult()
    scores = asyncio.run(_no_llm_scores(samples))
    names: list[str] = list(NO_LLM)
    result.judge = {"configured": judge is not None}
    if judge is None:
        result.notes.append(
            "faithfulness and answer_relevancy skipped: no judge configured (set REPORTQA_JUDGE_URL)"
        )
    else:
        errors: dict[str, int] = {}
        judged = asyncio.run(_judged_scores(samples, judge, embedder, errors))
        for sid, row in judged.items():
            scores.setdefault(sid, {}).update(row)
        names += list(JUDGED)
        result.judge.update({"url": judge.url, "model": judge.model, "errors": errors, "gated": False})
        if errors:
            failed = ", ".join(f"{k} {v}" for k, v in sorted(errors.items()))
            result.notes.append(f"judge failures (not scored): {failed}")
    result.scores = {k: scores[k] for k in sorted(scores)}
    result.summary = _summary(samples, scores, names)
    return result
