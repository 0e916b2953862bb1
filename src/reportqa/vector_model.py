"""Logistic regressions over frozen MiniLM sentence vectors, stored as JSON weights.

Two are shipped in lexicon/: hostile_model.json (report sentences written about the document's readers,
`reportqa.hostile`) and intent_model.json (questions asking for help with crime or evasion, or for
political campaigning, `reportqa.safety`). Each is fitted by a script in scripts/ with scikit-learn's
LogisticRegression on the examples of its lexicon; at run time only numpy is needed: one dot product per
vector. The vectors are those `Embedder` gives (unit length, 384 floats): at ingest the index's own sentence
vectors, at question time the query vector retrieval computes anyway.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np


@dataclass(frozen=True)
class VectorModel:
    name: str
    classes: tuple[str, ...]  # the first is the benign class
    coef: np.ndarray  # (classes, dims), or (1, dims) for two classes as scikit-learn stores it
    intercept: np.ndarray
    threshold: float  # a non-benign class is decided at or above this probability
    examples_digest: str  # digest of the training texts and labels the weights were fitted on
    record: dict[str, Any]  # the whole JSON (figures measured when fitted)

    def probabilities(self, vectors: Any) -> np.ndarray:
        """P(class) for each row of `vectors` (n, dims) -> (n, classes)."""
        v = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
        z = v @ self.coef.T + self.intercept
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out

    def decide(self, vector: Any) -> tuple[str, float]:
        """(the most probable non-benign class, its probability) when that is at or above the threshold,
        else (classes[0], P(benign))."""
        p = self.probabilities(vector)[0]
        i = 1 + int(np.argmax(p[1:]))
        return (self.classes[i], float(p[i])) if p[i] >= self.threshold else (self.classes[0], float(p[0]))


def examples_digest(texts: list[str], labels: list[str]) -> str:
    """A digest of training examples, so a test can tell weights fitted on other examples."""
    blob = "\n".join(f"{y}\t{t}" for t, y in zip(texts, labels, strict=True))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def model_text(name: str) -> str:
    """The JSON text of lexicon/<name>.json inside the installed package."""
    return resources.files("reportqa").joinpath("lexicon", f"{name}.json").read_text(encoding="utf-8")


@cache
def load(name: str) -> VectorModel:
    """lexicon/<name>.json, read once."""
    data = json.loads(model_text(name))
    return VectorModel(
        name=name,
        classes=tuple(data["classes"]),
        coef=np.asarray(data["coef"], dtype=np.float64),
        intercept=np.asarray(data["intercept"], dtype=np.float64),
        threshold=float(data["threshold"]),
        examples_digest=str(data["examples_digest"]),
        record=data,
    )


def to_json(name: str, classes: list[str], coef: Any, intercept: Any, threshold: float, digest: str,
            **figures: Any) -> str:
    """The JSON a fit script commits: weights rounded to 6 decimals (kilobytes), threshold and figures."""
    return json.dumps({
        "model": name, "classes": classes,
        "coef": [[round(float(x), 6) for x in row] for row in np.atleast_2d(coef)],
        "intercept": [round(float(x), 6) for x in np.atleast_1d(intercept)],
        "threshold": round(float(threshold), 4), "examples_digest": digest, **figures,
    }, indent=1) + "\n"
