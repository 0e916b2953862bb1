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
_TIME_CLAUSE = re.compile(
    r"(?i)\b(?:since|following|during|in\s+the\s+wake\s+of|in\s+response\s+to)\s+(?:the\s+)?[^,;:?.!()]+"
)


class Stats:
    """Document frequencies over the collection, for weighting question words (idf)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.n = len(passages)
        df: dict[str, int] = {}
        raw: set[str] = set()
        for p in passages:
            for w in alias_tokens(p.section + " " + p.clean):
                df[w] = df.get(w, 0) + 1
            raw.update(re.findall(r"[a-z]+", p.clean.casefold()))
        self.df = df
        # every word as written, lower-case ("haveaword", "khan", "vru"): for names and their spellings (the
        # stemmed tokens are df's keys, where an aliased name is its group's key)
        self.raw_words = frozenset(raw)
        self._by_length: dict[int, list[str]] | None = None

    def mentions(self, word: str) -> bool:
        """Whether the reports hold `word` (a lower-case word as written) in some spelling: as written or
        stemmed; one edit or swap away ("Kahn" for Khan, "Casy" for Casey, "Lighthose"); within a ratio of
        88 (rapidfuzz) for longer words; or as part of a compound ("Mettrace" is "Met Trace",
        "Cyberhelpline" is "Cyber Helpline", "A Word" is in "#HaveAWord")."""
        if word in self.raw_words or any(t in self.df for t in tokenize(word)):
            return True
        if len(word) < 4:
            return False
        from rapidfuzz import fuzz, process
        from rapidfuzz.distance import OSA

        if self._by_length is None:
            by_length: dict[int, list[str]] = {}
            for w in sorted(self.raw_words):
                if len(w) >= 3:
                    by_length.setdefault(len(w), []).append(w)
            self._by_length = by_length
        n = len(word)
        # a ratio of 88 needs lengths within 12% of their sum, one edit a length within one
        slack = max(1, int(0.12 * (2 * n) / 0.88) + 1)
        pool = [w for m in range(n - slack, n + slack + 1) for w in self._by_length.get(m, ())]
        if process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=1) is not None:
            return True
        if n >= 5 and process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=88) is not None:
            return True
        if any(word[:i] in self.raw_words and word[i:] in self.raw_words for i in range(3, n - 2)):
            return True
        return n >= 5 and any(word in w for m, ws in self._by_length.items() if m > n for w in ws)

    def unmentioned(self, question: str) -> list[str]:
        """The names in `question` ("the Falcon Meridian review") that the reports never mention: a name of
        two or more words with a word the reports hold in no spelling (`mentions`). Such a question cannot be
        answered from them, and any figure found would be about something else.

        Kept narrow, because a false "the reports don't say" costs as much as a wrong answer:
        - a one-word name never counts ("Tunisia", "Croydon", "Cops"): it may be incidental;
        - a question's first word is not part of a name ("Whats the Met", "Hello MOPAC");
        - nor is anything in a question written in title case ("MOPAC Budget Breakdown");
        - an acronym or a word under four letters never counts ("FOI", "PCs");
        - names in a time clause ("since the attacks in Tunisia") date the question, not its subject."""
        out: list[str] = []
        text = _TIME_CLAUSE.sub(" ", question).strip()
        alpha = re.findall(r"[^\W\d_]+", text)
        if alpha and sum(w[0].isupper() for w in alpha) > 0.6 * len(alpha):
            return out  # title case ("MOPAC Budget Breakdown 2022-23"): its capitals name nothing
        first = re.match(r"[\w’'-]+", text)
        for name in named_things(text):
            words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).split()
            if first and text.startswith(name) and words and words[0] == first.group(0):
                words = words[1:]
            words = [w.strip("’'-") for w in words if w.lower() not in ("the", "of", "and", "for", "&", "on")]
            if len(words) < 2:
                continue
            unknown = [w for w in words if len(w) >= 4 and not w.isdigit()
                       and sum(c.isupper() for c in w) < len(w) - 1 and not self.mentions(w.casefold())]
            if unknown:
                out.append(name)
        return out

    def idf_at_share(self, share: float) -> float:
        """The idf of a word found in `share` of the passages."""
        return math.log(1 + (self.n + 1) / (share * self.n + 0.5))

    def idf(self, word: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(word, 0) + 0.5))


def name_specificity(stats: Stats, passages: Sequence[Passage], name: str) -> float:
    """How rare a name is in the reports (an idf; higher: more specific): the idf of its rarest word, or for
    a name of two or more words, of the name itself when that is rarer ("London Policing Board": each word
    is common, the name is not; "Metropolitan Police Service" stays common). The name's own document
    frequency counts the passages (`passages`, their section and text) holding it, case and spacing aside."""
    words = [w for w in alias_tokens(name) if not w[0].isdigit()]
    rarest = max((stats.idf(w) for w in words), default=0.0)
    parts = [w for w in re.findall(r"[^\W\d_][\w'’-]*", name) if w.casefold() not in _NAME_GLUE]
    if len(parts) < 2:
        return rarest
    pattern = re.compile(r"\b" + r"\s+".join(re.escape(w) for w in name.split()) + r"\b", re.IGNORECASE)
    df = sum(1 for p in passages if pattern.search(p.clean) or pattern.search(p.section))
    return max(rarest, math.log(1 + (stats.n + 1) / (df + 0.5)))


_NAME_GLUE = frozenset({"the", "of", "and", "for", "&", "on", "in", "to", "a"})


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
