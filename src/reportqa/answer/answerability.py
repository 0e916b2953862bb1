"""The evidence an extractive answer is chosen from and the features its answerability is decided on.

- `Evidence`: the scored candidates for one question, with the features and the decision made on them;
- `answer_features`: the answerability features (`decide.ANSWER_FEATURES`) of the best evidence;
- `specific_names`, `about_subject`: the question's specific names, and the candidates whose passage names
  them all (evidence about the asked subject);
- `missing_rare`: the rarest question word a text lacks; `unit_text`: where an answer type may sit;
- `contact_spans`: contact details in a sentence (never evidence).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportqa.answer.decide import ANSWER_FEATURES
from reportqa.answer.evidence import Candidate, Question, Stats, _has, _prefixed
from reportqa.answer.features import alias_tokens, has_answer_type, named_things, names_found
from reportqa.types import Hit

if TYPE_CHECKING:
    import numpy as np

# (question, hits) -> the cosine of the question with every sentence of each hit, in the hits' order.
DenseFn = Callable[[str, Sequence[Hit]], "list[np.ndarray]"]


@dataclass(frozen=True)
class Evidence:
    """The scored candidates for one question and the features the decision was made on."""

    question: Question
    candidates: tuple[Candidate, ...]
    features: dict[str, float]
    decision: str
    probability: float
    # the match found that the first candidate states what was asked (`ExtractiveAnswerer._match`): it leads
    # the answer whatever its report's year
    matched: bool = False


def contact_spans(text: str) -> list[tuple[int, int]]:
    try:
        from reportqa.safety import contact_details
    except ImportError:  # pragma: no cover - older safety module
        return []
    return list(contact_details(text))


def specific_names(q: Question, stats: Stats) -> list[str]:
    """The question's names that are specific: not the Met or MOPAC, which every report names."""
    generic = stats.idf_at_share(0.05)
    return [
        n
        for n in named_things(q.text)
        if max((stats.idf(w) for w in alias_tokens(n) if not w[0].isdigit()), default=0.0) > generic
    ]


def about_subject(q: Question, candidates: Sequence[Candidate], stats: Stats) -> list[Candidate]:
    """The candidates whose passage names every specific name in the question: evidence about the
    subject, whatever it says of it."""
    specific = specific_names(q, stats)
    if not specific:
        return []
    return [c for c in candidates
            if names_found(specific, c.passage.section + " " + c.passage.clean) >= 1.0]


def answer_features(
    q: Question, candidates: Sequence[Candidate], asked_years: Sequence[str], stats: Stats
) -> dict[str, float]:
    """The answerability features (decide.ANSWER_FEATURES) of the best evidence.

    - top: the best sentence's fused score (a logit);
    - top_z: how far the best sentence stands out from all the candidates (standard scores);
    - lead: the best score's lead over the fifth best distinct sentence;
    - type_ok: no answer type was asked, or the best sentence or the one after it holds one;
    - names: share of the question's named things that the best passage names (aliases count);
    - year_ok: no year was asked, or the best sentence comes from that year's report or names it;
    - coverage: idf-weighted share of the question's words in the best passage;
    - missing_rare: the rarest question word the best passage lacks, as a share of the rarest possible
      (1.0: a word no passage holds; 0.0: every question word is there).
    """
    if not candidates:
        return dict.fromkeys(ANSWER_FEATURES, 0.0)
    top = candidates[0]
    type_ok = (
        1.0
        if q.answer_type is None or any(has_answer_type(q.answer_type, t) for t in unit_text(top))
        else 0.0
    )
    context = top.passage.section + " " + top.passage.clean
    year_ok = 1.0
    if asked_years:
        year_ok = 1.0 if (top.passage.year in asked_years or top.features["year_named"] >= 1.0) else 0.0
    scores = [c.score for c in candidates]
    mean = sum(scores) / len(scores)
    std = (sum((x - mean) ** 2 for x in scores) / len(scores)) ** 0.5 or 1.0
    return {
        "top": top.score,
        "top_z": (top.score - mean) / std,
        "lead": top.score - scores[min(4, len(scores) - 1)],
        "type_ok": type_ok,
        "names": top.features["names"],
        "year_ok": year_ok,
        "coverage": top.features["context"],
        "missing_rare": missing_rare(q, context, stats),
    }


def unit_text(c: Candidate) -> list[str]:
    """The candidate sentence with its neighbour and antecedent: where an answer type may sit."""
    p = c.passage
    out = [c.sentence.text]
    if c.position + 1 < len(p.sentences):
        out.append(p.sentences[c.position + 1].text)
    return out


def missing_rare(q: Question, context: str, stats: Stats) -> float:
    """The idf of the rarest question word absent from `context`, over the idf of a word no passage holds."""
    from reportqa.answer.features import alias_tokens

    have = _prefixed(alias_tokens(context))
    absent = [w for t, w in q.weights.items() if not _has(have, t)]
    return max(absent, default=0.0) / stats.idf("")
