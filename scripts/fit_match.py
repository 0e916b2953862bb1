"""Fits the match decision (answer/match.py) on the dev split and writes src/reportqa/answer/match.json.

1. Every ordinary dev item is asked with the match switched off (every evidence the answerability model
   accepts is kept); the match features of its lead evidence are recorded.
2. A row is positive when the item expects an answer and the answer holds its key facts; negative when the
   item expects not_found or partial, or the answer misses its key facts (a wrong figure is worse than
   none, so the match should decline it too).
3. A logistic regression over MATCH_FEATURES (balanced classes, L2).
4. The threshold: the one that maximises dev truthfulness over the rows (+1 a right answer kept, -1 a wrong
   one kept, 0 a decline), ties to the lower threshold (keep more answers).
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
from reportqa.answer.match import MATCH_FEATURES, UNFITTED, MatchModel
from reportqa.config import Config
from reportqa.evaluation.dataset import corpus_texts, load_dataset
from reportqa.evaluation.metrics import facts_satisfied

OUT = Path(__file__).resolve().parent.parent / "src" / "reportqa" / "answer" / "match.json"
SKIP_TYPES = ("adversarial", "trend", "mayors_question", "follow_up")


def rows(assistant: Assistant, items: list[Any]) -> list[tuple[str, list[float], int]]:
    """(item id, features, label) for every item whose answer went through the match."""
    ex = assistant.extractive
    ex.match = UNFITTED
    out = []
    for item in items:
        if item.type in SKIP_TYPES or item.parts is not None:
            continue
        seen: list[dict[str, float]] = []
        ex.match_observer = lambda q, f, p, seen=seen: seen.append(f)
        ans = assistant.ask(item.question, history=item.history_dicts())
        ex.match_observer = None
        if len(seen) != 1 or ans.status != "answered":
            continue
        right = item.expect == "answered" and facts_satisfied(item.key_facts, ans.text)
        out.append((item.id, [seen[0][k] for k in MATCH_FEATURES], int(right)))
    return out


def truth(probs: np.ndarray, labels: np.ndarray, t: float) -> float:
    kept = probs >= t
    return float(np.sum(np.where(labels[kept] == 1, 1, -1)))


def main() -> int:
    cfg = Config()
    assistant = Assistant.open(cfg)
    data = load_dataset(Path("eval/questions.jsonl"), corpus_texts(cfg.corpus_dir))
    dev = rows(assistant, data.select("dev"))
    test = rows(assistant, data.select("test"))
    x = np.array([r[1] for r in dev])
    y = np.array([r[2] for r in dev])
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    lr.fit(x, y)
    probs = lr.predict_proba(x)[:, 1]
    candidates = sorted({0.0, *np.round(probs, 4).tolist()})
    best = max(candidates, key=lambda t: (truth(probs, y, t), -t))
    weights = {k: round(float(w), 5) for k, w in zip(MATCH_FEATURES, lr.coef_[0], strict=True)}
    model = MatchModel(weights=weights, bias=round(float(lr.intercept_[0]), 5), threshold=round(best, 4),
                       meta={})

    def figures(rs: list[tuple[str, list[float], int]]) -> dict[str, Any]:
        ps = np.array([model.probability(dict(zip(MATCH_FEATURES, r[1], strict=True))) for r in rs])
        ls = np.array([r[2] for r in rs])
        kept = ps >= model.threshold
        return {
            "rows": len(rs), "right": int(ls.sum()), "kept": int(kept.sum()),
            "kept_right": int(ls[kept].sum()), "declined_wrong": int((~kept & (ls == 0)).sum()),
            "precision_kept": round(float(ls[kept].mean()), 4) if kept.any() else None,
            "truthfulness_rows": round(truth(ps, ls, model.threshold) / max(1, len(rs)), 4),
        }

    meta = {"fitted": True, "script": "scripts/fit_match.py", "split": "dev", "dev": figures(dev),
            "test": figures(test)}
    OUT.write_text(json.dumps({"features": list(MATCH_FEATURES), "weights": weights, "bias": model.bias,
                               "threshold": model.threshold, "meta": meta}, indent=2) + "\n",
                   encoding="utf-8")
    print(json.dumps({"weights": weights, "bias": model.bias, "threshold": model.threshold, **meta},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
