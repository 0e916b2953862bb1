"""The dense similarities the extractive answerer reads beside words: a question's cosine with every
sentence of the passages retrieved, and short phrases' vectors, cached."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from reportqa.index import OpenIndex
    from reportqa.types import Hit

PHRASES_MAX = 4096  # phrase vectors the Assistant keeps for the match (oldest dropped first)


class PhraseVectors:
    """Short phrases' unit vectors (384 floats), cached: the match compares measures with what figures
    count, and the same phrases recur. At most PHRASES_MAX are kept, the oldest dropped first."""

    def __init__(self, embed: Callable[[str], Sequence[float]]) -> None:
        self._embed = embed
        self._cache: dict[str, tuple[float, ...]] = {}

    def __call__(self, text: str) -> tuple[float, ...]:
        hit = self._cache.get(text)
        if hit is None:
            hit = tuple(float(x) for x in self._embed(text))
            if len(self._cache) >= PHRASES_MAX:
                self._cache.pop(next(iter(self._cache)))
            self._cache[text] = hit
        return hit


def sentence_similarities(
    embed: Callable[[str], Sequence[float]], index: OpenIndex, question: str, hits: Sequence[Hit]
) -> list[np.ndarray]:
    """The question's cosine with every sentence of each hit: one query embedding, one product each."""
    import numpy as np

    qv = np.asarray(embed(question), dtype=np.float32)
    vectors = index.sentence_vectors
    return [np.round(np.asarray(vectors.for_passage(h.passage), dtype=np.float32) @ qv, 5) for h in hits]
