"""Fits the match decision (answer/match.py), a pair model over the best few candidate sentences, on the dev
split and writes src/reportqa/answer/match.json.

1. Every ordinary dev item is asked with the match unfitted (every candidate is kept and the evidence
   ranking's best leads); the match features of each candidate it scores are recorded (CANDIDATE_FEATURES).
2. A candidate is positive when the item expects an answer and the unit the candidate would lead (its
   sentence and what completes it) holds at least half of the item's key-fact groups; every candidate of an
   item that expects not_found or partial is negative (a nearby figure is not the asked one).
3. A logistic regression over CANDIDATE_FEATURES and their pairwise products (`match.interactions`: the
   conjunctions a figure question needs, such as the asked kind *and* the asked measure), balanced classes,
   L2 with C = C_REG, chosen by 5-fold cross-validation over dev items (balanced accuracy of the lead, as in
   4): 0.768 against 0.738 for the single features alone. Its input "answerable" is the
   evidence model's P(answerable), which was itself fitted on dev (scripts/fit_answerer.py): on dev items
   it is more reliable than on questions it never saw, and the match would learn to trust it too much. So
   for the fit each dev item's "answerable" is cross-fitted: predicted by the same regression
   (decide.ANSWER_FEATURES, C=0.5, balanced) fitted on the other folds' dev items (FOLDS folds, fixed
   seed), the stacking practice of out-of-fold predictions. At run time the committed evidence model's P is
   used, as for any new question.
4. The threshold (on the cross-fitted rows, as for questions the evidence model never saw): per item, the
   candidate with the highest P(match) would lead, and the item is declined when it is below the threshold.
   The threshold maximises the dev balanced accuracy over the items: the mean of the share of items the
   reports answer (some candidate is positive) whose kept lead is positive, and the share of the other items
   that are declined. Unlike truthfulness, it does not depend on the mix of answerable and unanswerable
   items, which differs between the splits (the 80 near-miss-heavy items q540-q619 are all dev). Ties go to
   the lower threshold (keep more answers).
The test split is only measured with the chosen model, never fitted on; both figures are stored.

Usage: .venv/bin/python scripts/fit_match.py   (needs the index built by `reportqa ingest`)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from reportqa import Assistant
from reportqa.answer.decide import ANSWER_FEATURES
from reportqa.answer.match import CANDIDATE_FEATURES, UNFITTED, MatchModel, interactions, vetoed
from reportqa.config import Config
from reportqa.evaluation.dataset import corpus_texts, load_dataset
from reportqa.evaluation.metrics import missing_fact_groups

OUT = Path(__file__).resolve().parent.parent / "src" / "reportqa" / "answer" / "match.json"
SKIP_TYPES = ("adversarial", "trend", "mayors_question", "follow_up")

# one item: (id, [(features, label, vetoed)] per candidate, best first in the evidence ranking)
Item = tuple[str, list[tuple[list[float], int, bool]]]
FOLDS = 5
C_REG = 0.3


def cross_fitted(data: list[Item], evidence: dict[str, tuple[list[float], int]]) -> list[Item]:
    """`data` with each item's "answerable" feature replaced by an out-of-fold P(answerable): the evidence
    model's regression fitted on the other folds' items (their answerability features and whether they
    expect an answer). Deterministic (KFold with a fixed seed, items in file order)."""
    ids = [i for i, _ in data if i in evidence]
    p_oof: dict[str, float] = {}
    for train, held in KFold(FOLDS, shuffle=True, random_state=0).split(ids):
        x = np.array([evidence[ids[j]][0] for j in train])
        y = np.array([evidence[ids[j]][1] for j in train])
        lr = LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000).fit(x, y)
        for j in held:
            p_oof[ids[j]] = float(lr.predict_proba(np.array([evidence[ids[j]][0]]))[0, 1])
    col = CANDIDATE_FEATURES.index("answerable")
    return [(i, [([p_oof[i] if k == col else v for k, v in enumerate(x)], y, c) for x, y, c in rows])
            for i, rows in data if i in p_oof]


def positive(groups: Any, text: str) -> bool:
    if not groups:
        return False
    return 2 * len(missing_fact_groups(groups, text)) <= len(groups)


def items_of(
    assistant: Assistant, items: list[Any], evidence: dict[str, tuple[list[float], int]] | None = None,
) -> list[Item]:
    """The candidates the match scores for every item it decides on, labelled; `evidence`, when given, gets
    each item's answerability features (of the evidence the match decided on) and whether it expects an
    answer."""
    ex = assistant.extractive
    ex.match = UNFITTED
    out: list[Item] = []
    for item in items:
        if item.type in SKIP_TYPES or item.parts is not None:
            continue
        seen: list[list[Any]] = []
        last: list[Any] = []  # the evidence observed last before the match scored its candidates
        ex.observer = last.append
        ex.candidate_observer = lambda q, scored, seen=seen, last=last: seen.append([last[-1], scored])
        assistant.ask(item.question, history=item.history_dicts())
        ex.candidate_observer = None
        ex.observer = None
        if len(seen) != 1:
            continue
        answerable = item.expect == "answered"
        ev, scored = seen[0]
        rows = [([f[k] for k in CANDIDATE_FEATURES], int(answerable and positive(item.key_facts, text)),
                 vetoed(f)) for _, f, _, text in scored]
        out.append((item.id, rows))
        if evidence is not None:
            evidence[item.id] = ([ev.features[k] for k in ANSWER_FEATURES], int(answerable))
    return out


def leads(model: MatchModel, data: list[Item]) -> list[tuple[float, int, bool]]:
    """Per item: (P(match) of the candidate that would lead, its label, whether any candidate is positive);
    P is 0 when every candidate is ruled out (`match.vetoed`: another year stated, a UK figure, ...)."""
    out = []
    for _, rows in data:
        scored = [(model.probability(dict(zip(CANDIDATE_FEATURES, x, strict=True))), -i, y)
                  for i, (x, y, ruled_out) in enumerate(rows) if not ruled_out]
        best = max(scored, default=(0.0, 0, 0))
        out.append((best[0], best[2], any(r[1] for r in rows)))
    return out


def truth(items: list[tuple[float, int, bool]], t: float) -> int:
    """+1 a kept lead that is positive, -1 a kept lead that is not, 0 a decline (reported)."""
    return sum(1 if y else -1 for p, y, _ in items if p >= t)


def balanced(items: list[tuple[float, int, bool]], t: float) -> float:
    """The mean of the answerable items' success (kept, lead positive) and the other items' (declined)."""
    answerable = [(p, y) for p, y, a in items if a]
    other = [p for p, _, a in items if not a]
    ok_a = sum(1 for p, y in answerable if p >= t and y) / max(1, len(answerable))
    ok_o = sum(1 for p in other if p < t) / max(1, len(other))
    return (ok_a + ok_o) / 2


def main() -> int:
    cfg = Config()
    assistant = Assistant.open(cfg)
    data = load_dataset(Path("eval/questions.jsonl"), corpus_texts(cfg.corpus_dir))
    answerability: dict[str, tuple[list[float], int]] = {}
    dev = items_of(assistant, data.select("dev"), answerability)
    test = items_of(assistant, data.select("test"))
    fit_rows = cross_fitted(dev, answerability)
    names = list(interactions(dict.fromkeys(CANDIDATE_FEATURES, 0.0)))
    x = np.array([[ix[k] for k in names] for _, rows in fit_rows for r in rows
                  for ix in [interactions(dict(zip(CANDIDATE_FEATURES, r[0], strict=True)))]])
    y = np.array([r[1] for _, rows in fit_rows for r in rows])
    lr = LogisticRegression(C=C_REG, class_weight="balanced", max_iter=20000)
    lr.fit(x, y)
    weights = {k: round(float(w), 5) for k, w in zip(names, lr.coef_[0], strict=True)}
    model = MatchModel(weights=weights, bias=round(float(lr.intercept_[0]), 5), threshold=0.0, meta={})
    pairs = leads(model, fit_rows)  # chosen as for new questions: with the cross-fitted P(answerable)
    candidates = sorted({0.0, *(round(p, 4) for p, _, _ in pairs)})
    threshold = max(candidates, key=lambda t: (round(balanced(pairs, t), 6), -t))
    model = MatchModel(weights=weights, bias=model.bias, threshold=round(threshold, 4), meta={})

    def figures(split: list[Item]) -> dict[str, Any]:
        ps = leads(model, split)
        kept = [(p, lab) for p, lab, _ in ps if p >= model.threshold]
        return {
            "items": len(split), "rows": sum(len(r) for _, r in split),
            "items_with_a_positive": sum(any(r[1] for r in rows) for _, rows in split),
            "kept": len(kept), "kept_right": sum(lab for _, lab in kept),
            "precision_kept": round(sum(lab for _, lab in kept) / len(kept), 4) if kept else None,
            "truthfulness_items": round(truth(ps, model.threshold) / max(1, len(split)), 4),
            "balanced_accuracy_items": round(balanced(ps, model.threshold), 4),
        }

    meta = {"fitted": True, "script": "scripts/fit_match.py", "split": "dev", "dev": figures(dev),
            "test": figures(test)}
    OUT.write_text(json.dumps({"features": list(CANDIDATE_FEATURES), "weights": weights, "bias": model.bias,
                               "threshold": model.threshold, "meta": meta}, indent=2) + "\n",
                   encoding="utf-8")
    print(json.dumps({"weights": weights, "bias": model.bias, "threshold": model.threshold, **meta},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
