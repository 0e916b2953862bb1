"""Answerability: a calibrated decision from features of the chosen evidence, not a threshold plus word lists.

Three outcomes:
- answered: the evidence gives what was asked;
- partial: the evidence covers the subject but not the asked kind of detail (a cost, a percentage, a
  count). Read off the same model: the answer would be answerable if the asked type were present;
- not_found.

The model is a logistic regression fitted on the dev split by `scripts/fit_answerer.py`; its weights,
the threshold chosen on dev for a stated precision, and the dev and test figures at that threshold are
stored in `answer/weights.json`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

ANSWER_FEATURES = ("top", "top_z", "lead", "type_ok", "names", "year_ok", "coverage", "missing_rare")
Decision = Literal["answered", "partial", "not_found"]


def logistic(bias: float, weights: dict[str, float], features: dict[str, float]) -> float:
    """A fitted logistic regression's probability: sigmoid(bias + sum of weight x feature), the logit
    clipped to [-50, 50]; a feature without a weight counts 0."""
    z = bias + sum(weights.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class Model:
    """The fitted weights: the sentence fusion (evidence.py) and the answerability model (here)."""

    sentence_weights: dict[str, float]
    sentence_bias: float
    answer_weights: dict[str, float]
    answer_bias: float
    threshold: float  # P(answerable) at or above which the answer is given
    select_margin: float  # logit distance from the best sentence within which others join the answer
    type_margin: float  # logit distance within which a sentence holding the asked kind of figure leads
    neighbour_margin: float  # the next sentence joins a chosen one when it scores within this of the best
    max_units: int  # chosen sentences (before completion) in one answer, plus one per extra asked year
    meta: dict[str, Any]

    def probability(self, features: dict[str, float]) -> float:
        return logistic(self.answer_bias, self.answer_weights, features)

    def decide(self, features: dict[str, float], type_asked: bool) -> tuple[Decision, float]:
        """The outcome and P(answerable) for one question's evidence features."""
        p = self.probability(features)
        if p >= self.threshold:
            return "answered", p
        # would the evidence answer it if it held the asked kind of figure? then it covers the subject
        if (type_asked and features.get("type_ok", 1.0) < 1.0
                and self.probability({**features, "type_ok": 1.0}) >= self.threshold):
            return "partial", p
        return "not_found", p


DEFAULT = Model(
    sentence_weights={
        "dense": 6.0,
        "dense_near": 1.0,
        "dense_passage": 1.0,
        "lexical": 3.0,
        "names": 1.0,
        "context": 1.0,
        "passage_rank": 1.0,
        "type_match": 1.0,
        "year_named": 1.0,
        "short": -2.0,
    },
    sentence_bias=-6.0,
    answer_weights={
        "top": 1.0,
        "type_ok": 2.0,
        "names": 2.0,
        "year_ok": 1.0,
        "coverage": 2.0,
        "missing_rare": -3.0,
    },
    answer_bias=-4.0,
    threshold=0.5,
    select_margin=1.0,
    type_margin=2.0,
    neighbour_margin=3.0,
    max_units=4,
    meta={"fitted": False},
)


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The committed fitted model (answer/weights.json), or the unfitted defaults when it is absent."""
    ref = resources.files("reportqa.answer").joinpath("weights.json")
    if not ref.is_file():
        return DEFAULT
    data = json.loads(ref.read_text(encoding="utf-8"))
    return Model(
        sentence_weights=data["sentence"]["weights"],
        sentence_bias=data["sentence"]["bias"],
        answer_weights=data["answerability"]["weights"],
        answer_bias=data["answerability"]["bias"],
        threshold=data["answerability"]["threshold"],
        select_margin=data.get("select_margin", DEFAULT.select_margin),
        type_margin=data.get("type_margin", DEFAULT.type_margin),
        neighbour_margin=data.get("neighbour_margin", DEFAULT.neighbour_margin),
        max_units=data.get("max_units", DEFAULT.max_units),
        meta=data.get("meta", {}),
    )
