"""Dense + BM25 -> fusion -> filters -> (rerank) -> hits. Each stage returns new hits."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Protocol

from reportqa.config import RetrievalConfig
from reportqa.embed import QueryEncoder
from reportqa.index import OpenIndex
from reportqa.text import content_words, numbers_in, tokenize
from reportqa.types import Filters, Hit, Passage

log = logging.getLogger(__name__)
# Dense similarities are ranked at this precision, equal ones by passage id: differences below it are float
# noise (the store's SIMD distance, another CPU's kernels), not meaning, and must not reorder hits.
DENSE_DIGITS = 6
DENSE_SLACK = 5
# a word in more than this share of passages is generic: an alias expansion never adds it to a query
GENERIC_SHARE = 0.05


def matches(p: Passage, f: Filters) -> bool:
    if f.years and p.year not in f.years:
        return False
    if f.plan and p.plan != f.plan:
        return False
    if f.priority and p.priority != f.priority:
        return False
    return not (f.report_id and p.report_id != f.report_id)


def chroma_where(f: Filters) -> dict[str, Any] | None:
    """The filters as a Chroma `where` clause (what llama-index's ChromaVectorStore made of them before)."""
    conds: list[dict[str, Any]] = []
    if f.years:
        conds.append({"year": {"$in": list(f.years)}})
    if f.plan:
        conds.append({"plan": {"$eq": f.plan}})
    if f.priority:
        conds.append({"priority": {"$eq": f.priority}})
    if f.report_id:
        conds.append({"report_id": {"$eq": f.report_id}})
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


class Reranker(Protocol):
    name: str

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]: ...


class NoReranker:
    name = "none"

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        return list(hits)


class LexicalReranker:
    """Offline default: nudges hits that contain the query's figures and rarer words together."""

    name = "lexical"

    def __init__(self, weight: float = 0.2) -> None:
        self.weight = weight

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        qwords = content_words(query)
        qnums = numbers_in(query)
        if not hits or not (qwords or qnums):
            return list(hits)
        top = max(h.score for h in hits) or 1.0
        out = []
        for h in hits:
            words = content_words(h.passage.clean)
            cover = len(qwords & words) / max(len(qwords), 1)
            nums = len(qnums & numbers_in(h.passage.clean)) / max(len(qnums), 1) if qnums else 0.0
            bonus = self.weight * top * (cover + 0.5 * nums)
            out.append(
                h.model_copy(update={"score": h.score + bonus, "scores": {**h.scores, "lexical": cover}})
            )
        return _ranked(out)


class CrossEncoderReranker:
    """For a user with a local cross-encoder directory (no hub access): config retrieval.reranker = PATH."""

    name = "cross-encoder"

    def __init__(self, path: str) -> None:
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(path, device="cpu", local_files_only=True)

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        if not hits:
            return []
        scores = self.model.predict([(query, h.passage.clean) for h in hits])
        out = [
            h.model_copy(update={"score": float(s), "scores": {**h.scores, "cross": float(s)}})
            for h, s in zip(hits, scores, strict=True)
        ]
        return _ranked(out)


def make_reranker(spec: str) -> Reranker:
    if spec in ("", "none"):
        return NoReranker()
    if spec == "lexical":
        return LexicalReranker()
    return CrossEncoderReranker(spec)


def _ranked(hits: list[Hit]) -> list[Hit]:
    hits = sorted(hits, key=lambda h: (-h.score, h.passage.id))
    return [h.model_copy(update={"rank": i + 1}) for i, h in enumerate(hits)]


class Retriever:
    def __init__(
        self,
        index: OpenIndex,
        embedder: QueryEncoder,
        config: RetrievalConfig,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.config = config
        self.reranker = reranker or make_reranker(config.reranker)

    def bm25(self, query: str, f: Filters, n: int) -> list[tuple[str, float]]:
        from reportqa.answer.features import expansions

        # the other spellings of every aliased name in the query (the Lighthouse -> the Barnardo's CSA Hub):
        # only their specific words; a name the reports use everywhere (the Met -> MPS, Metropolitan Police
        # Service) would add words found in most passages and drown what the question is about
        own = tokenize(query)
        bm = self.index.bm25
        limit = GENERIC_SHARE * bm.n
        more = [t for t in tokenize(" ".join(expansions(query))) if t not in own and bm.df(t) <= limit]
        toks = own + more
        if not toks:
            return []
        import numpy as np

        scores = self.index.bm25.get_scores(toks)
        keep = scores > 0
        mask = self.index.mask(f)
        if mask is not None:
            keep &= mask
        cand = np.flatnonzero(keep)
        # the n best by (score desc, passage id): only the candidates are sorted, never every passage
        order = cand[np.lexsort((self.index.id_order[cand], -scores[cand]))][:n]
        ps = self.index.passages
        return [(ps[i].id, float(scores[i])) for i in order]

    def dense(self, query: str, f: Filters, n: int) -> list[tuple[str, float]]:
        vec = self.embedder.embed_query(query)
        # A few beyond n, so a tie at the cut is settled below rather than by the store's order.
        # the collection may hold a neighbouring build's entries too: asked for on top, then skipped
        def nearest() -> Any:
            return self.index.collection.query(
                query_embeddings=[vec], n_results=n + DENSE_SLACK + min(self.index.foreign, 500),
                where=chroma_where(f), include=["distances"],
            )

        try:
            res = nearest()
        except Exception as exc:  # a later build dropped this build's collection (a running server)
            if not self.index.follow_collection(exc):
                raise
            res = nearest()
        ids = (res.get("ids") or [[]])[0]
        distances = (res.get("distances") or [[]])[0]
        best: dict[str, float] = {}
        for eid, distance in zip(ids, distances, strict=False):
            pid = self.index.by_entry.get(eid)
            if pid is not None:
                # the similarity llama-index's ChromaVectorStore gave for a cosine distance, as before
                best[pid] = max(best.get(pid, 0.0), round(math.exp(-float(distance)), DENSE_DIGITS))
        for pid, sim in self._pending_nearest(vec, f, n):  # (a segment flushed to Chroma meanwhile: once)
            best[pid] = max(best.get(pid, 0.0), sim)
        # Chroma orders equal and float-noise-close distances by its graph walk; rank them by id instead.
        out = sorted(best.items(), key=lambda x: (-x[1], x[0]))
        return out[:n]

    def _pending_nearest(self, vec: Sequence[float], f: Filters, n: int) -> list[tuple[str, float]]:
        """The n nearest passages (and DENSE_SLACK more) of the segments not yet in Chroma
        (index.pending_vectors), searched exactly, with Chroma's similarity: exp(-cosine distance)."""
        if not self.index.pending:
            return []
        import numpy as np

        positions, matrix = self.index.pending_vectors
        if not len(positions):
            return []
        mask = self.index.mask(f)
        if mask is not None:
            keep = mask[positions]
            positions, matrix = positions[keep], matrix[keep]
        distances = 1.0 - matrix @ np.asarray(vec, dtype=np.float32)
        if len(distances) > n + DENSE_SLACK:  # the best few, without sorting them all (ties: dense())
            nearest = np.argpartition(distances, n + DENSE_SLACK)[: n + DENSE_SLACK]
        else:
            nearest = np.arange(len(distances))
        order = nearest[np.argsort(distances[nearest], kind="stable")]
        ps = self.index.passages
        return [(ps[int(positions[i])].id, round(math.exp(-float(distances[i])), DENSE_DIGITS))
                for i in order]

    def _fused(self, query: str, f: Filters, n: int) -> dict[str, tuple[float, dict[str, float]]]:
        sparse = self.bm25(query, f, n)
        dense = self.dense(query, f, n) if self.config.dense_weight > 0 else []
        return fuse(sparse, dense, self.config)

    def search(self, query: str, filters: Filters | None = None, k: int | None = None,
               context: str | None = None) -> list[Hit]:
        """The `k` best passages for `query` within `filters`, best first.

        `context` (a Mayor's Question's title and preamble, for one of its parts) is searched together with
        the query as a second query, whose fused ranking is added at `config.context_weight`: the part still
        leads, the question's context breaks its ties and brings in the passages about its subject.
        """
        f = filters or Filters()
        k = k or self.config.k
        n = max(self.config.candidates, k)
        fused = self._fused(query, f, n)
        ctx = " ".join((context or "").split())[: self.config.context_chars]
        if ctx and self.config.context_weight > 0:
            w = self.config.context_weight
            for pid, (score, parts) in self._fused(f"{query} {ctx}", f, n).items():
                total, own = fused.get(pid, (0.0, {}))
                fused[pid] = (total + w * score, {**own, "context_rrf": parts["rrf"]})
        hits = [
            Hit(passage=self.index.by_id[pid], rank=0, score=score, scores=parts)
            for pid, (score, parts) in fused.items()
        ]
        hits = _ranked(hits)[: max(k * 3, 15)]
        hits = self.reranker.rerank(query, hits)
        return hits[:k]


def fuse(
    sparse: list[tuple[str, float]], dense: list[tuple[str, float]], cfg: RetrievalConfig
) -> dict[str, tuple[float, dict[str, float]]]:
    """Weighted reciprocal-rank fusion; every stage's score is kept for debugging."""
    out: dict[str, tuple[float, dict[str, float]]] = {}
    for weight, name, ranked in ((cfg.bm25_weight, "bm25", sparse), (cfg.dense_weight, "dense", dense)):
        for rank, (pid, score) in enumerate(ranked, start=1):
            total, parts = out.get(pid, (0.0, {}))
            rrf = weight / (cfg.rrf_k + rank)
            parts = {**parts, name: round(score, 6), f"{name}_rank": float(rank)}
            out[pid] = (total + rrf, parts)
    return {pid: (s, {**parts, "rrf": round(s, 6)}) for pid, (s, parts) in out.items() if not math.isnan(s)}
