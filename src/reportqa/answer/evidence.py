"""Sentence-level evidence: every sentence of the retrieved passages, scored by a fitted fusion of dense
similarity and lexical match.

The sentence vectors are computed at ingest (`index.SentenceVectors`), so a question costs one query
embedding. The fusion weights are a logistic regression fitted on the dev split by
`scripts/fit_answerer.py` (a sentence is positive when it overlaps a gold quote) and stored in
`answer/weights.json`; `Candidate.score` is its logit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportqa.answer.features import AnswerType, alias_tokens, has_answer_type, name_coverage, named_things
from reportqa.text import numbers_in, tokenize
from reportqa.types import Hit, Passage, Sentence
from reportqa.years import written_forms

if TYPE_CHECKING:
    import numpy as np

# The names of the features, in the order the fitted weights use them.
SENTENCE_FEATURES = ("dense", "dense_near", "dense_passage", "lexical", "context", "names", "passage_rank",
                     "type_match", "year_named", "short")


# "since the attacks in Tunisia", "following the Paris attacks": a clause that dates a question
_TIME_CLAUSE = re.compile(r"(?i)\b(?:since|after|following|before|until|during)\s+(?:the\s+)?[^,;:?.!()]+")


class Stats:
    """Document frequencies over the collection, for weighting question words (idf)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.n = len(passages)
        df: dict[str, int] = {}
        words: set[str] = set()
        for p in passages:
            text = p.section + " " + p.clean
            for w in alias_tokens(text):
                df[w] = df.get(w, 0) + 1
            words.update(tokenize(text))
        self.df = df
        self.words = frozenset(words | set(df))  # every word the collection holds, as written or aliased
        self._by_length: dict[int, list[str]] | None = None

    def mentions(self, word: str) -> bool:
        """Whether any passage holds `word` (a `tokenize` token), or a word spelled within one or two
        letters of it (rapidfuzz ratio >= 88): "Lighthose" is The Lighthouse misspelt."""
        if word in self.words:
            return True
        if len(word) < 5:
            return False
        from rapidfuzz import fuzz, process

        if self._by_length is None:
            by_length: dict[int, list[str]] = {}
            for w in sorted(self.words):
                if len(w) >= 4 and not w[0].isdigit():
                    by_length.setdefault(len(w), []).append(w)
            self._by_length = by_length
        # a ratio of 88 needs lengths within 12% of their sum: only those words can match
        n = len(word)
        slack = int(0.12 * (2 * n) / 0.88) + 1
        pool = [w for m in range(n - slack, n + slack + 1) for w in self._by_length.get(m, ())]
        return process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=88) is not None

    def unmentioned(self, question: str) -> list[str]:
        """The names in `question` ("the Falcon Meridian review") with a word no passage holds in any
        close spelling: the reports cannot give anything about them.

        Numbers and words under three letters never count. A name is found written as one word ("Have A
        Word" as "#HaveAWord") or split at its capitals ("MetTrace" as "Met Trace"). Names in a time
        clause ("since the attacks in Tunisia") do not count: they date the question, not its subject."""
        out: list[str] = []
        for name in named_things(_TIME_CLAUSE.sub(" ", question)):
            joined = "".join(re.findall(r"[a-z0-9]+", name.casefold()))
            if self.mentions(joined):
                continue
            split = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
            if any(not w[0].isdigit() and len(w) >= 3 and not self.mentions(w) for w in tokenize(split)):
                out.append(name)
        return out


    def idf_at_share(self, share: float) -> float:
        """The idf of a word found in `share` of the passages."""
        return math.log(1 + (self.n + 1) / (share * self.n + 0.5))

    def idf(self, word: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(word, 0) + 0.5))


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with the features it was scored on."""

    hit: Hit
    position: int  # index into hit.passage.sentences
    features: dict[str, float]
    score: float  # the fitted logit: higher means more likely to hold the answer

    @property
    def passage(self) -> Passage:
        return self.hit.passage

    @property
    def sentence(self) -> Sentence:
        return self.hit.passage.sentences[self.position]

    @property
    def key(self) -> tuple[str, int]:
        return (self.hit.passage.id, self.sentence.start)


def _prefixed(words: AbstractSet[str]) -> frozenset[str]:
    """Words plus their five-letter prefixes marked with '~', so 'visitor' meets 'visit' and 'visiting'."""
    return frozenset(words) | {"~" + w[:5] for w in words if len(w) >= 5 and not w[0].isdigit()}


def _has(have: AbstractSet[str], word: str) -> bool:
    return word in have or (len(word) >= 5 and "~" + word[:5] in have)


@dataclass(frozen=True)
class Question:
    """What the scorer needs to know about a question, computed once."""

    text: str
    weights: dict[str, float]  # content word -> idf
    answer_type: AnswerType | None
    years: tuple[str, ...]  # financial years the question names
    numbers: frozenset[str]


def weigh(question: str, stats: Stats, answer_type: AnswerType | None, years: Sequence[str]) -> Question:
    words = [w for w in alias_tokens(question) if not w[0].isdigit() and not w.startswith("£")]
    weights = {w: stats.idf(w) for w in words}
    nums = frozenset(n for n in numbers_in(question) if not re.fullmatch(r"(19|20)\d\d|\d\d", n))
    return Question(question, weights, answer_type, tuple(years), nums)


def sentence_features(
    q: Question, hit: Hit, position: int, sims: np.ndarray, context_words: AbstractSet[str], names: float
) -> dict[str, float]:
    """The features of one sentence (SENTENCE_FEATURES); `sims`: the cosines of every passage sentence."""
    sents = hit.passage.sentences
    s = sents[position]
    dense = float(sims[position])
    near = [
        float(sims[j])
        for j in (position - 1, position + 1)
        if 0 <= j < len(sents) and sents[j].block == s.block
    ]
    words = _prefixed(alias_tokens(s.text))
    total = sum(q.weights.values()) or 1.0
    own = sum(w for t, w in q.weights.items() if _has(words, t)) / total
    ctx = sum(w for t, w in q.weights.items() if _has(context_words, t)) / total
    type_match = 1.0 if q.answer_type is not None and has_answer_type(q.answer_type, s.text) else 0.0
    if q.answer_type is None:
        type_match = 0.5
    named = 0.0
    if q.years:
        named = 1.0 if any(written_forms(y).search(s.text) for y in q.years) else 0.0
        if not named and hit.passage.year in q.years:
            named = 0.5
    return {
        "dense": dense,
        "dense_near": max(near, default=0.0),
        "dense_passage": max(float(x) for x in sims),
        "lexical": own,
        "context": ctx,
        "names": names,
        "passage_rank": 1.0 / hit.rank,
        "type_match": type_match,
        "year_named": named,
        "short": 1.0 if len(s.text) < 30 else 0.0,
    }


class EvidenceScorer:
    """Scores every sentence of the hits; returns candidates best first (deterministic order)."""

    def __init__(self, stats: Stats, weights: dict[str, float], bias: float) -> None:
        self.stats = stats
        self.weights = weights
        self.bias = bias

    def logit(self, features: dict[str, float]) -> float:
        return self.bias + sum(self.weights.get(k, 0.0) * v for k, v in features.items())

    def score(self, q: Question, hits: Sequence[Hit], dense: Sequence[np.ndarray]) -> list[Candidate]:
        """`dense[i]` holds the cosine of the query with each sentence of `hits[i]`, in order."""
        out: list[Candidate] = []
        for hit, sims in zip(hits, dense, strict=True):
            p = hit.passage
            context = _prefixed(alias_tokens(p.section + " " + p.clean))
            names = name_coverage(q.text, p.section + " " + p.clean)
            for i in range(len(p.sentences)):
                if not p.sentences[i].quotable:
                    continue  # text whose reading order is uncertain: retrieved, never quoted as a sentence
                f = sentence_features(q, hit, i, sims, context, names)
                out.append(Candidate(hit, i, f, round(self.logit(f), 6)))
        out.sort(key=lambda c: (-c.score, c.hit.rank, c.sentence.start))
        return out
