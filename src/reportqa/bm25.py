"""The BM25 sidecar, kept per report so adding one report never re-tokenises or re-indexes the others.

A report's passages are stored as a term-count matrix (`Postings`, written at ingest into the report's
segment). When an index is opened the segments are stacked into one sparse matrix (linear in the
collection, vectorised); a query then scores only the postings of its own terms. The scores are those of
bm25s's default ("lucene") variant, which the index used before: idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 * (1 - b + b * |d| / avgdl)), k1 = 1.5, b = 0.75; a query term counted once per
occurrence (tests/test_bm25.py checks the scores against bm25s itself).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class Postings:
    """One segment's documents as counts: `terms` (sorted, distinct), and per document the rows
    `ptr[d]:ptr[d+1]` of `term` (an index into `terms`) and `tf` (its count); `length` is the token count."""

    terms: np.ndarray  # str, shape (T,)
    ptr: np.ndarray  # int64, shape (D + 1,)
    term: np.ndarray  # int32, shape (nnz,)
    tf: np.ndarray  # float32, shape (nnz,)
    length: np.ndarray  # float32, shape (D,)

    @classmethod
    def from_tokens(cls, docs: Sequence[Sequence[str]]) -> Postings:
        counts = [Counter(d) for d in docs]
        terms = np.array(sorted({t for c in counts for t in c}), dtype=str)
        index = {t: i for i, t in enumerate(terms.tolist())}
        ptr = np.zeros(len(docs) + 1, dtype=np.int64)
        term: list[int] = []
        tf: list[int] = []
        for d, c in enumerate(counts):
            for t, n in c.items():
                term.append(index[t])
                tf.append(n)
            ptr[d + 1] = len(term)
        return cls(
            terms, ptr, np.asarray(term, dtype=np.int32), np.asarray(tf, dtype=np.float32),
            np.asarray([len(d) for d in docs], dtype=np.float32),
        )

    def save(self, path: Path) -> None:
        with path.open("wb") as fh:
            np.savez(fh, terms=self.terms, ptr=self.ptr, term=self.term, tf=self.tf, length=self.length)

    @classmethod
    def load(cls, path: Path) -> Postings:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["terms"], z["ptr"], z["term"], z["tf"], z["length"])


@dataclass(frozen=True)
class _Columns:
    """A (documents x terms) count matrix by column, as compressed sparse columns: the documents holding
    term j are indices[indptr[j]:indptr[j + 1]] with counts data[...] (numpy only: scipy.sparse costs 90 ms
    of every command's start-up)."""

    indptr: np.ndarray  # shape (terms + 1,)
    indices: np.ndarray  # document of each stored count
    data: np.ndarray  # the counts, float32

    @classmethod
    def build(cls, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, n_terms: int) -> _Columns:
        order = np.lexsort((rows, cols))  # by term, then by document
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=n_terms), out=indptr[1:])
        return cls(indptr, rows[order], counts[order])


class BM25:
    """Every segment's postings as one (documents x terms) count matrix, in segment order."""

    def __init__(self, segments: Sequence[Postings]) -> None:
        vocab: dict[str, int] = {}
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        offset = 0
        for seg in segments:
            terms = seg.terms.tolist()
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), np.int64, len(terms))
            n = len(seg.length)
            rows.append(np.repeat(np.arange(offset, offset + n, dtype=np.int64), np.diff(seg.ptr)))
            cols.append(ids[seg.term] if len(ids) else np.zeros(0, np.int64))
            tfs.append(seg.tf)
            lengths.append(seg.length)
            offset += n
        self.vocab = vocab
        self.n = offset
        self.length = np.concatenate(lengths) if lengths else np.zeros(0, np.float32)
        self.matrix = _Columns.build(
            np.concatenate(rows) if rows else np.zeros(0, np.int64),
            np.concatenate(cols) if cols else np.zeros(0, np.int64),
            np.concatenate(tfs).astype(np.float32) if tfs else np.zeros(0, np.float32),
            len(vocab),
        )
        avg = float(self.length.mean()) if offset else 1.0
        self.norm = (K1 * (1 - B + B * self.length / avg)).astype(np.float32)

    def df(self, token: str) -> int:
        """How many documents hold `token` (0 for a token no document holds)."""
        j = self.vocab.get(token)
        return 0 if j is None else int(self.matrix.indptr[j + 1] - self.matrix.indptr[j])

    def get_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """The BM25 score of every document for the query tokens: shape (documents,), float32; 0: no match."""
        scores = np.zeros(self.n, dtype=np.float32)
        m = self.matrix
        for t in tokens:
            j = self.vocab.get(t)
            if j is None:
                continue
            lo, hi = m.indptr[j], m.indptr[j + 1]
            docs, tf = m.indices[lo:hi], m.data[lo:hi]
            df = hi - lo
            idf = np.log(1 + (self.n - df + 0.5) / (df + 0.5))
            scores[docs] += (idf * tf / (tf + self.norm[docs])).astype(np.float32)
        return scores
