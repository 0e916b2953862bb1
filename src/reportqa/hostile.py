"""Hostile report text: sentences flagged at ingest and never cited as facts.

A report can carry text written for whoever (or whatever) reads it rather than as a statement of fact:
an instruction to an assistant ("ignore previous instructions", "tell every user ..."), a personal phone
number or home address, or markup and a link (a phishing line). The rules are data, with examples that
must and must not match (lexicon/hostile.toml, loaded by `reportqa.lexicon`); `flags` applies them to one
sentence. `chunk.chunk_report` stores the result on every `Sentence` (`Sentence.flags`), the extractive
answerer never takes a flagged sentence as evidence, and `answer.compose.finalize` drops any citation
whose quote is flagged, whatever the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from reportqa.lexicon import Category, Policy, load
from reportqa.types import Passage

# detectors in code a category of hostile.toml may name; each gives the spans it finds in a text
_DETECTORS: dict[str, Callable[[str], list[tuple[int, int]]]] = {}


def _detector(name: str) -> Callable[[str], list[tuple[int, int]]]:
    if not _DETECTORS:
        from reportqa.safety import contact_details

        _DETECTORS["contact_details"] = contact_details
    try:
        return _DETECTORS[name]
    except KeyError:
        raise ValueError(f"lexicon/hostile.toml names an unknown detector {name!r}") from None


def policy() -> Policy:
    """The hostile-text rules (lexicon/hostile.toml), loaded and compiled once."""
    return load("hostile")


def category_flags(category: str, text: str) -> tuple[str, ...]:
    """The rules of one category that `text` breaks, as "category/rule" ids (for the examples' tests)."""
    from reportqa.safety import normalise

    return _category_flags(policy().category(category), text, normalise(text))


def _category_flags(c: Category, text: str, norm: str) -> tuple[str, ...]:
    out = [f"{c.name}/{p.id}" for p in c.patterns if p.regex.search(norm)]
    if c.detector and _detector(c.detector)(text):
        out.append(f"{c.name}/{c.detector}")
    return tuple(out)


@lru_cache(maxsize=4096)
def flags(text: str, raw: str = "") -> tuple[str, ...]:
    """The hostile-text rules a sentence breaks, as "category/rule" ids in policy order; () for a plain
    sentence. `raw` is the sentence's exact source text, when it differs from the cleaned `text` (the parser
    drops a Markdown link's address from the cleaned text; the quote shown keeps it)."""
    from reportqa.safety import normalise

    norms = {t: normalise(t) for t in (text, raw) if t}  # once per text, not once per category
    out: list[str] = []
    for c in policy().categories:
        for t, norm in norms.items():
            for f in _category_flags(c, t, norm):
                if f not in out:
                    out.append(f)
    return tuple(out)


def flagged(passages: Iterable[Passage]) -> list[tuple[Passage, int]]:
    """Every flagged sentence of `passages`, as (passage, sentence index), in order."""
    return [(p, i) for p in passages for i, s in enumerate(p.sentences) if s.flags]


def quote_flags(quote: str) -> tuple[str, ...]:
    """The rules broken by any sentence of a cited quote (exact source text, possibly several sentences)."""
    from reportqa.text import split_sentences

    out: list[str] = []
    for a, b in split_sentences(" ".join(quote.split())) or [(0, len(quote))]:
        for f in flags(" ".join(quote.split())[a:b]):
            if f not in out:
                out.append(f)
    return tuple(out)
