"""Pure metric functions: retrieval against gold spans, key facts, citation support, rates, percentiles.

No I/O and no model: every function takes plain values and is unit-tested on hand-made data.

Citation support grades with the product's own contract (`reportqa.answer.verify.verify_answer`): one
contract, so an answer the product would refuse to show can never pass the grader, and the reverse.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from reportqa.answer.verify import Cited
from reportqa.types import MARKER

# -- retrieval -----------------------------------------------------------------------------------


class GoldLike(Protocol):
    @property
    def report_id(self) -> str: ...

    @property
    def spans(self) -> tuple[tuple[int, int], ...]: ...


@dataclass(frozen=True)
class RankedSpan:
    """A retrieved passage reduced to what matching needs: its report and [start, end) source offsets."""

    report_id: str
    start: int
    end: int


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Half-open intervals [a_start, a_end) and [b_start, b_end) share at least one character."""
    return a_start < b_end and b_start < a_end


def gold_covered(passage: RankedSpan, gold: Sequence[GoldLike]) -> set[int]:
    """Indices of the gold quotes this passage overlaps (same report, overlapping offsets)."""
    return {
        i
        for i, g in enumerate(gold)
        if g.report_id == passage.report_id
        and any(overlaps(passage.start, passage.end, s, e) for s, e in g.spans)
    }


def first_hit_rank(ranked: Sequence[RankedSpan], gold: Sequence[GoldLike], cutoff: int = 10) -> int | None:
    """1-based rank of the first passage that hits any gold quote, within `cutoff`; None if none does."""
    for rank, p in enumerate(ranked[:cutoff], start=1):
        if gold_covered(p, gold):
            return rank
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, cutoff: int = 10) -> float:
    return 1.0 / rank if rank is not None and rank <= cutoff else 0.0


def ndcg_at(ranked: Sequence[RankedSpan], gold: Sequence[GoldLike], k: int = 5) -> float:
    """Binary-gain nDCG@k where a passage gains only for gold quotes no higher passage already covered.

    The ideal ranking puts one passage per gold quote first, so two passages covering the same quote
    do not score above 1, and a multi-hop item needs both its quotes to reach 1.
    """
    if not gold:
        return 0.0
    seen: set[int] = set()
    dcg = 0.0
    for i, p in enumerate(ranked[:k]):
        new = gold_covered(p, gold) - seen
        if new:
            dcg += 1.0 / math.log2(i + 2)
            seen |= new
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal


def recall_at(ranked: Sequence[RankedSpan], gold: Sequence[GoldLike], k: int = 5) -> float:
    """Share of the gold quotes that some passage in the top k overlaps."""
    if not gold:
        return 0.0
    covered: set[int] = set()
    for p in ranked[:k]:
        covered |= gold_covered(p, gold)
    return len(covered) / len(gold)


# -- key facts --------------------------------------------------------------------------------------

_QUOTES = str.maketrans({
    "’": "'", "‘": "'", "‛": "'", "′": "'", "`": "'", "“": '"', "”": '"', "„": '"', "″": '"',
    "–": "-", "—": "-", "‑": "-", "‒": "-", "−": "-",
})
_MARKER = re.compile(r"\s*" + MARKER.pattern)


def normalise_fact_text(text: str) -> str:
    """Case, whitespace, quotes, dashes and number formats folded: '50,000' -> '50000',
    '19 per cent' -> '19%'."""
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    t = _MARKER.sub("", t)
    t = re.sub(r"(\d),(?=\d{3}(?!\d))", r"\1", t)
    t = re.sub(r"(\d)\s*(?:per\s*cent|percent)\b", r"\1%", t)
    t = re.sub(r"(\d)\s+%", r"\1%", t)
    t = re.sub(r"(\d)\s*million\b", r"\1m", t)
    t = re.sub(r"(\d)\s*billion\b", r"\1bn", t)
    return re.sub(r"\s+", " ", t).strip()


def _bounded(text: str, i: int, alt: str) -> bool:
    """An occurrence must not sit inside a larger number ('19%' in '119%') or start mid-word."""
    before = text[i - 1] if i > 0 else " "
    j = i + len(alt)
    after = text[j] if j < len(text) else " "
    after2 = text[j + 1] if j + 1 < len(text) else " "
    if alt[0].isdigit() and (before.isdigit() or (before == "." and i > 1 and text[i - 2].isdigit())):
        return False
    if alt[0].isalpha() and before.isalnum():
        return False
    return not (alt[-1].isdigit() and (after.isdigit() or (after == "." and after2.isdigit())))


def fact_present(alternative: str, normalised_text: str) -> bool:
    alt = normalise_fact_text(alternative)
    if not alt:
        return False
    i = normalised_text.find(alt)
    while i >= 0:
        if _bounded(normalised_text, i, alt):
            return True
        i = normalised_text.find(alt, i + 1)
    return False


def missing_fact_groups(groups: Sequence[Sequence[str]], text: str) -> list[tuple[str, ...]]:
    """The key-fact groups no alternative of which appears in `text`."""
    norm = normalise_fact_text(text)
    return [tuple(g) for g in groups if not any(fact_present(a, norm) for a in g)]


def facts_satisfied(groups: Sequence[Sequence[str]], text: str) -> bool:
    return bool(groups) and not missing_fact_groups(groups, text)


# -- citation support --------------------------------------------------------------------------------


# what the grader reads of a citation: the product's own contract type
CitationLike: TypeAlias = Cited


@dataclass(frozen=True)
class Support:
    ok: bool
    facts_in_citations: bool
    unsupported: tuple[tuple[str, tuple[str, ...]], ...]  # (sentence, figures missing from what it cites)
    reason: str = ""


def citation_support(
    text: str, citations: Sequence[CitationLike], key_facts: Sequence[Sequence[str]], gaps: Sequence[str] = ()
) -> Support:
    """The key facts are inside the cited passages, and the answer keeps the product's citation contract
    (`reportqa.answer.verify.verify_answer`: the same check every answer passes before it is returned;
    `gaps`: the answer's recorded gap sentences, `AnswerRun.gaps`)."""
    from reportqa.answer.verify import verify_answer

    if not citations:
        return Support(False, False, (), "no citations")
    from reportqa.answer.verify import citation_evidence

    cited_text = "\n".join(citation_evidence(c) for c in citations)
    missing = missing_fact_groups(key_facts, cited_text) if key_facts else []
    v = verify_answer(text, citations, gaps)
    unsupported = list(v.unsupported)
    reasons = []
    if missing:
        reasons.append("key facts not in the cited passages: " + "; ".join(" / ".join(g) for g in missing))
    if unsupported:
        sent, figs = unsupported[0]
        short = sent if len(sent) <= 90 else sent[:87] + "..."
        reasons.append(f"unsupported {', '.join(figs)} in {short!r}")
    return Support(not missing and not unsupported, not missing, tuple(unsupported), "; ".join(reasons))


def year_ok(citation_years: Iterable[str], year: str) -> bool:
    years = list(citation_years)
    return bool(years) and all(y == year for y in years)


# -- rates and summaries ----------------------------------------------------------------------------


def mean(values: Iterable[float | bool]) -> float | None:
    vals = [float(v) for v in values]
    return sum(vals) / len(vals) if vals else None


def precision_recall(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None, int, int]:
    """(predicted, actual) pairs -> precision, recall (None when undefined), predicted and actual counts."""
    tp = fp = fn = 0
    for predicted, actual in pairs:
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall, tp + fp, tp + fn


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
