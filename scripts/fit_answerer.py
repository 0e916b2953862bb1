"""Fits the answerer's two small models on the dev split and writes src/reportqa/answer/weights.json.

1. Sentence fusion (evidence.py): a logistic regression over the features of every candidate sentence of
   the retrieved passages; a sentence is positive when it overlaps a gold quote of the item.
2. Answerability (decide.py): a logistic regression over the features of each question's best evidence;
   positive when the item expects an answer, negative when it expects not_found or partial.
3. The threshold: the highest P(answerable) below which the dev precision of "the reports don't say"
   (not_found or partial) is still at least TARGET_PRECISION.
4. The selection margin: the one with the best dev key-fact accuracy.
The test split is only measured, never fitted on; both splits' figures are stored beside the weights.

Usage: .venv/bin/python scripts/fit_answerer.py   (needs the index built by `reportqa ingest`)
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from reportqa import Assistant
from reportqa.answer.decide import ANSWER_FEATURES, DEFAULT, Model
from reportqa.answer.evidence import SENTENCE_FEATURES, EvidenceScorer
from reportqa.answer.extractive import Evidence
from reportqa.config import Config
from reportqa.evaluation.dataset import corpus_texts, load_dataset
from reportqa.evaluation.metrics import facts_satisfied

# Of the questions the answerer declines, at least this share must truly be unanswerable (on dev).
TARGET_PRECISION = 0.75
MARGINS = (0.5, 1.0, 1.5, 2.0, 3.0)
MAX_UNITS = (2, 3, 4)  # more sentences always find more facts; four is the most an answer should carry
NEIGHBOUR_MARGINS = (0.0, 1.0, 2.0, 3.0)
OUT = Path(__file__).resolve().parent.parent / "src" / "reportqa" / "answer" / "weights.json"


@dataclass(frozen=True)
class PartItem:
    """A part of a Mayor's Question, shaped like an ordinary item for `run`."""

    id: str
    split: str
    question: str
    expect: str
    key_facts: tuple[tuple[str, ...], ...]
    gold: tuple[Any, ...]
    parts: None = None

    def history_dicts(self) -> list[dict[str, str]]:
        return []


def set_model(assistant: Assistant, model: Model) -> None:
    ex = assistant.extractive
    ex.model = model
    ex.scorer = EvidenceScorer(ex.stats, model.sentence_weights, model.sentence_bias)


def run(assistant: Assistant, items: list, model: Model) -> list[tuple[object, Evidence | None, object]]:
    """(item, last evidence decided on, answer) for every ordinary item."""
    set_model(assistant, model)
    out = []
    for item in items:
        seen: list[Evidence] = []
        assistant.extractive.observer = seen.append
        ans = assistant.ask(item.question, history=item.history_dicts())
        assistant.extractive.observer = None
        out.append((item, seen[-1] if len(seen) == 1 or ans.status != "refused" and seen else None, ans))
    return out


def overlaps(c, gold) -> bool:  # type: ignore[no-untyped-def]
    s = c.sentence
    return any(
        g.report_id == c.passage.report_id and any(a < s.end and s.start < b for a, b in g.spans)
        for g in gold
    )


def fit_lr(
    x: list[list[float]], y: list[int], balanced: bool
) -> tuple[dict[str, float], float, LogisticRegression]:
    lr = LogisticRegression(C=0.5, class_weight="balanced" if balanced else None, max_iter=2000)
    lr.fit(np.asarray(x), np.asarray(y))
    return lr.coef_[0].tolist(), float(lr.intercept_[0]), lr


def not_found_precision(rows: list[tuple[float, int]], threshold: float) -> float:
    held = [y for p, y in rows if p < threshold]
    return held.count(0) / len(held) if held else 0.0


def precision_recall(rows: list[tuple[float, int]], threshold: float) -> tuple[float, float]:
    given = [y for p, y in rows if p >= threshold]
    pos = sum(y for _, y in rows)
    prec = sum(given) / len(given) if given else 1.0
    rec = sum(given) / pos if pos else 1.0
    return prec, rec


def main() -> int:
    config = Config()
    assistant = Assistant.open(config)
    ds = load_dataset(Path("eval/questions.jsonl"), corpus_texts(config.corpus_dir))
    ordinary = [i for i in ds.items if i.parts is None and i.expect != "refused"]
    # the parts of Mayor's Questions, asked on their own: more labelled questions for answerability
    parts = [PartItem(f"{i.id}.{n}", i.split, p.question, p.expect, p.key_facts, p.gold)
             for i in ds.items if i.parts for n, p in enumerate(i.parts, 1)]
    dev = [i for i in ordinary if i.split == "dev"]
    test = [i for i in ordinary if i.split == "test"]

    dev_parts = [p for p in parts if p.split == "dev"]
    test_parts = [p for p in parts if p.split == "test"]

    # 1. sentence fusion
    x, y = [], []
    for item, ev, _ in run(assistant, dev + dev_parts, DEFAULT):
        if ev is None or item.expect != "answered" or not item.gold:
            continue
        for c in ev.candidates:
            x.append([c.features[k] for k in SENTENCE_FEATURES])
            y.append(int(overlaps(c, item.gold)))
    coef, bias, _ = fit_lr(x, y, balanced=False)
    sw = dict(zip(SENTENCE_FEATURES, coef, strict=True))
    model = replace(DEFAULT, sentence_weights=sw, sentence_bias=bias)
    shown = json.dumps({k: round(v, 3) for k, v in sw.items()})
    print(f"sentences: {len(y)} candidates, {sum(y)} gold; weights {shown}")

    # 2. selection margins, on dev key facts, with every question answered (selection quality alone)
    def key_facts(m: Model) -> float:
        got = [
            facts_satisfied(i.key_facts, a.text)
            for i, _, a in run(assistant, dev, m)
            if i.expect == "answered"
        ]
        return sum(got) / len(got)

    always = replace(model, answer_weights={}, answer_bias=50.0)
    for name, grid in (
        ("select_margin", MARGINS),
        ("max_units", MAX_UNITS),
        ("neighbour_margin", NEIGHBOUR_MARGINS),
    ):
        scores = []
        for value in grid:
            acc = key_facts(replace(always, **{name: value}))
            scores.append((acc, -value, value))
            print(f"  {name} {value}: dev key facts {acc:.3f} (always answering)")
        best_value = max(scores)[2]
        always = replace(always, **{name: best_value})
        model = replace(model, **{name: best_value})
        if name == "select_margin":
            # a sentence holding the asked kind of figure that would join the answer anyway leads it
            always = replace(always, type_margin=best_value)
            model = replace(model, type_margin=best_value)

    # 3. answerability
    def answer_rows(items: list, m: Model) -> list[tuple[list[float], int]]:
        rows = []
        for item, ev, _ in run(assistant, items, m):
            if ev is None:
                continue
            rows.append(([ev.features[k] for k in ANSWER_FEATURES], int(item.expect == "answered")))
        return rows

    dev_rows = answer_rows(dev + dev_parts, model)
    coef, bias, lr = fit_lr([r for r, _ in dev_rows], [t for _, t in dev_rows], balanced=True)
    aw = dict(zip(ANSWER_FEATURES, coef, strict=True))
    model = replace(model, answer_weights=aw, answer_bias=bias)
    probs = [(model.probability(dict(zip(ANSWER_FEATURES, r, strict=True))), t) for r, t in dev_rows]
    candidates = sorted({round(p, 4) for p, _ in probs})
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        given = [y for p, y in probs if p >= t]
        held = [y for p, y in probs if p < t]
        print(f"  t={t}: answered recall {sum(given) / max(1, sum(y for _, y in probs)):.3f}, "
              f"not-found precision {held.count(0) / max(1, len(held)):.3f} recall "
              f"{held.count(0) / max(1, [y for _, y in probs].count(0)):.3f}")
    # the highest threshold whose "the reports don't say" is right at least TARGET_PRECISION of the time
    threshold = max((t for t in candidates if not_found_precision(probs, t) >= TARGET_PRECISION), default=0.0)
    model = replace(model, threshold=threshold)
    dprec, drec = precision_recall(probs, threshold)
    test_rows = answer_rows(test + test_parts, model)
    tprobs = [(model.probability(dict(zip(ANSWER_FEATURES, r, strict=True))), t) for r, t in test_rows]
    tprec, trec = precision_recall(tprobs, threshold)
    from sklearn.metrics import roc_auc_score

    dauc = roc_auc_score([t for _, t in probs], [p for p, _ in probs])
    tauc = roc_auc_score([t for _, t in tprobs], [p for p, _ in tprobs])
    print(f"  ROC AUC dev {dauc:.3f} test {tauc:.3f}")
    print(
        f"answerability: weights {json.dumps({k: round(v, 3) for k, v in aw.items()})}, threshold {threshold}"
    )
    print(f"  answers given: dev precision {dprec:.3f} recall {drec:.3f} (n={len(probs)}); "
          f"test precision {tprec:.3f} recall {trec:.3f} (n={len(tprobs)})")
    dnf, tnf = not_found_precision(probs, threshold), not_found_precision(tprobs, threshold)
    dnr = sum(1 for p, y in probs if p < threshold and y == 0) / max(1, [y for _, y in probs].count(0))
    tnr = sum(1 for p, y in tprobs if p < threshold and y == 0) / max(1, [y for _, y in tprobs].count(0))
    print(f"  declined: dev precision {dnf:.3f} recall {dnr:.3f}; test precision {tnf:.3f} recall {tnr:.3f}")
    dev_kf = key_facts(model)
    print(f"  dev key facts with the decision: {dev_kf:.3f}")

    data = {
        "sentence": {
            "features": list(SENTENCE_FEATURES),
            "weights": {k: round(v, 6) for k, v in sw.items()},
            "bias": round(model.sentence_bias, 6),
        },
        "answerability": {
            "features": list(ANSWER_FEATURES),
            "weights": {k: round(v, 6) for k, v in aw.items()},
            "bias": round(model.answer_bias, 6),
            "threshold": model.threshold,
            "target_precision": TARGET_PRECISION,
        },
        "select_margin": model.select_margin,
        "type_margin": model.type_margin,
        "neighbour_margin": model.neighbour_margin,
        "max_units": model.max_units,
        "meta": {
            "fitted": True,
            "fitted_on": "dev",
            "dev": {"precision": round(dprec, 4), "recall": round(drec, 4), "n": len(probs)},
            "test": {"precision": round(tprec, 4), "recall": round(trec, 4), "n": len(tprobs)},
            "declined": {
                "dev": {"precision": round(dnf, 4), "recall": round(dnr, 4)},
                "test": {"precision": round(tnf, 4), "recall": round(tnr, 4)},
            },
            "dev_key_facts": round(dev_kf, 4),
            "dev_auc": round(dauc, 4),
            "test_auc": round(tauc, 4),
        },
    }
    OUT.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
