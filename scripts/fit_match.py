"""Fits the match decision (answer/match.py), a pair model over the best few candidate sentences, on the dev
split and writes src/reportqa/answer/match.json.

1. Every ordinary dev item is asked with the match unfitted (every candidate is kept and the evidence
   ranking's best leads); the match features of each candidate it scores are recorded (CANDIDATE_FEATURES).
2. A candidate is positive when the item expects an answer and the unit the candidate would lead (its
   sentence and what completes it) holds at least half of the item's key-fact groups; every candidate of an
   item that expects not_found or partial is negative (a nearby figure is not the asked one).
3. A logistic regression over CANDIDATE_FEATURES (balanced classes, L2).
4. The threshold: per item, the candidate with the highest P(match) would lead, and the item is declined when
   it is below the threshold. The threshold maximises the dev balanced accuracy over the items: the mean of
   the share of items the reports answer (some candidate is positive) whose kept lead is positive, and the
   share of the other items that are declined. Unlike truthfulness, it does not depend on the mix of
   answerable and unanswerable items, which differs between the splits (the 80 near-miss-heavy items
   q540-q619 are all dev). Ties go to the lower threshold (keep more answers).
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

from reportqa import Assistant
from reportqa.answer.match import CANDIDATE_FEATURES, UNFITTED, MatchModel
from reportqa.config import Config
from reportqa.evaluation.dataset import corpus_texts, load_dataset
from reportqa.evaluation.metrics import missing_fact_groups

OUT = Path(__file__).resolve().parent.parent / "src" / "reportqa" / "answer" / "match.json"
SKIP_TYPES = ("adversarial", "trend", "mayors_question", "follow_up")

# one item: (id, [(features, label, year_conflict)] per candidate, best first in the evidence ranking)
Item = tuple[str, list[tuple[list[float], int, bool]]]


def positive(groups: Any, text: str) -> bool:
    if not groups:
        return False
    return 2 * len(missing_fact_groups(groups, text)) <= len(groups)


def items_of(assistant: Assistant, items: list[Any]) -> list[Item]:
    """The candidates the match scores for every item it decides on, labelled."""
    ex = assistant.extractive
    ex.match = UNFITTED
    out: list[Item] = []
    for item in items:
        if item.type in SKIP_TYPES or item.parts is not None:
            continue
        seen: list[list[Any]] = []
        ex.candidate_observer = lambda q, scored, seen=seen: seen.append(scored)
        assistant.ask(item.question, history=item.history_dicts())
        ex.candidate_observer = None
        if len(seen) != 1:
            continue
        answerable = item.expect == "answered"
        rows = [([f[k] for k in CANDIDATE_FEATURES], int(answerable and positive(item.key_facts, text)),
                 bool(f["year_conflict"])) for _, f, _, text in seen[0]]
        out.append((item.id, rows))
    return out


def leads(model: MatchModel, data: list[Item]) -> list[tuple[float, int, bool]]:
    """Per item: (P(match) of the candidate that would lead, its label, whether any candidate is positive);
    P is 0 when every candidate states another year than the asked one."""
    out = []
    for _, rows in data:
        scored = [(model.probability(dict(zip(CANDIDATE_FEATURES, x, strict=True))), -i, y)
                  for i, (x, y, conflict) in enumerate(rows) if not conflict]
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
    dev = items_of(assistant, data.select("dev"))
    test = items_of(assistant, data.select("test"))
    x = np.array([r[0] for _, rows in dev for r in rows])
    y = np.array([r[1] for _, rows in dev for r in rows])
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
    lr.fit(x, y)
    weights = {k: round(float(w), 5) for k, w in zip(CANDIDATE_FEATURES, lr.coef_[0], strict=True)}
    model = MatchModel(weights=weights, bias=round(float(lr.intercept_[0]), 5), threshold=0.0, meta={})
    pairs = leads(model, dev)
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
