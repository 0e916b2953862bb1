"""Relevance and comparability: how well a figure counts an asked measure (`measure_words`,
`phrase_match`), and why two years' figures are not comparable, in one line (`difference` of two
`Reading`s; "" when they are)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reportqa.figures.basis import basis_kind, period_kind
from reportqa.figures.measures import lexicon
from reportqa.figures.reading import Figure
from reportqa.text import tokenize


def measure_words(measure: str, idf: Callable[[str], float] = lambda w: 1.0) -> dict[str, float]:
    """The measure's content words, stemmed as BM25 stems them, each with its weight (idf); not the generic
    ones ("numbers", "total")."""
    generic = {w for g in lexicon().generic_heads for w in tokenize(g)}
    return {
        w: idf(w)
        for w in tokenize(measure)
        if not w[0].isdigit() and not w.startswith("£") and w not in generic
    }


def phrase_match(words: Mapping[str, float], figure: Figure) -> float:
    """The weighted share of the measure's words in what the figure counts (a word sharing only its first five
    letters counts half: "visitor" meets "visits")."""
    total = sum(words.values())
    if not total:
        return 0.0
    have = set(tokenize(figure.counts))
    have |= {"~" + w[:5] for w in have if len(w) >= 5}
    hit = sum(
        v if w in have else v / 2 if len(w) >= 5 and "~" + w[:5] in have else 0.0 for w, v in words.items()
    )
    return hit / total


@dataclass(frozen=True)
class Reading:
    """What two years' figures are compared on."""

    kind: str  # count | percent | money
    head: str
    counts: str
    basis: str
    period_kind: str


_UNIT_WORDS = {"count": "a count", "percent": "a percentage", "money": "a sum of money"}


def difference(prev: Reading, row: Reading) -> str:
    """Why `row` measures something else than `prev`, in one line; "" when they are comparable."""
    reasons: list[str] = []
    if prev.kind != row.kind:
        reasons.append(f"{_UNIT_WORDS[prev.kind]} vs {_UNIT_WORDS[row.kind]}")
    elif prev.kind != "money" and prev.head and row.head and prev.head != row.head:
        reasons.append(
            f"one year counts {prev.counts or prev.head}, the next counts {row.counts or row.head}"
        )
    pb, rb = basis_kind(prev.basis), basis_kind(row.basis)
    if pb.kind != rb.kind or (pb.exclusive and rb.exclusive and pb.name != rb.name):
        if prev.kind == row.kind == "count" and prev.head and row.head:
            reasons.append(
                f"one year counts {_plural(prev.head)} {pb.label}, "
                f"the next counts {_plural(row.head)} {rb.label}"
            )
        else:
            reasons.append(f"{pb.short} vs {rb.short}")
    if "unstated" not in (prev.period_kind, row.period_kind) and prev.period_kind != row.period_kind:
        reasons.append(f"{period_kind(prev.period_kind).label} vs {period_kind(row.period_kind).label}")
    return "; ".join(reasons)


def _plural(head: str) -> str:
    if not head:
        return ""
    return head[:-1] + "ies" if head.endswith("y") and not head.endswith(("ay", "ey", "oy")) else head + "s"
