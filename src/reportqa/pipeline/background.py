"""The background a Mayor's Question draft shows whatever its parts find: the best sentence of each of the
passages retrieval ranks first for the whole question."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportqa.answer.verify import citation_span
from reportqa.types import Citation, Filters

if TYPE_CHECKING:
    from reportqa.answer.evidence import Candidate
    from reportqa.pipeline.engine import Engine


def background(engine: Engine, question: str, k: int = 5) -> list[Citation]:
    """The best sentence (for `question`) of each of the `k` passages retrieval ranks first, as citations
    numbered 1..k in rank order; flagged sentences are never chosen. A draft shows them whatever its
    parts find, so it never shows less than retrieval does."""
    hits = engine.retriever.search(question, Filters(), k)
    if not hits:
        return []
    ev = engine.extractive.evidence(question, hits)
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
