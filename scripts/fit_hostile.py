"""Fits the classifier of report text about its readers; writes src/reportqa/lexicon/hostile_model.json.

Training data: the examples of src/reportqa/lexicon/hostile.toml (`reportqa.hostile.training_examples`):
the must_match examples of the `instruction` and `reader` categories are text about the readers (notes to
AI tools and summarisers, lines for whoever answers questions about the report, claimed corrections of
other reports, what to say); every category's must_not_match is plain report text. Each is embedded with
the bundled MiniLM, frozen, exactly as the index embeds a sentence, and a scikit-learn LogisticRegression
(balanced classes) is fitted on the vectors. The lexicon's plain examples are few, and a short sentence
with a figure ("It is now over 12%.") then looks more like a planted figure than like report prose, so the
sentences of two of the corpus's five reports (TRAIN_REPORTS) are plain examples too; the other three are
held out and measured on.

The threshold is chosen on out-of-fold probabilities (5-fold, stratified, fixed seed) of the examples: the
lowest at which at most MAX_OOF_FALSE plain examples are flagged (under 0.3% of them), never below 0.5.
Then it is measured, not tuned, on every
sentence of the held-out reports and of the whole shipped corpus (parsed by the index's own code): the
count flagged (it must be 0: a flag makes a sentence uncitable), the highest score and the five sentences
nearest the threshold, all recorded in the JSON.

Usage: .venv/bin/python scripts/fit_hostile.py [--corpus corpus] [--check]
  --check: fit and print the figures, write nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from reportqa import hostile
from reportqa.config import Config
from reportqa.corpus import load_corpus
from reportqa.embed import Embedder
from reportqa.index import build_passages
from reportqa.vector_model import examples_digest, to_json

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "reportqa" / "lexicon" / f"{hostile.MODEL}.json"
C = 16.0  # inverse regularisation (1, 4, 16 and 64 tried: 16 keeps the most meta examples out of fold)
MAX_OOF_FALSE = 2
SEED = 26
TRAIN_REPORTS = ("mopac-2015-16", "mopac-2023-24")  # plain examples; the other reports are held out


def fit(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(x, y)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--check", action="store_true", help="fit and print the figures; write nothing")
    args = ap.parse_args()

    texts, labels = hostile.training_examples()
    digest = examples_digest(texts, labels)  # the lexicon's examples (tests compare it with hostile.toml's)
    passages = build_passages(load_corpus(args.corpus), Config(corpus_dir=args.corpus))
    train_sents = sorted({s.text for p in passages if p.report_id in TRAIN_REPORTS for s in p.sentences})
    texts, labels = texts + train_sents, labels + ["plain"] * len(train_sents)
    y = np.array([1 if lab == "reader" else 0 for lab in labels])
    emb = Embedder()
    x = emb.embed(texts).astype(np.float64)

    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y):
        oof[test] = fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    threshold = max(0.5, float(np.sort(oof[y == 0])[-(MAX_OOF_FALSE + 1)]) + 1e-4)
    tp = int(((oof >= threshold) & (y == 1)).sum())
    fp = int(((oof >= threshold) & (y == 0)).sum())
    cv = {"threshold_rule": f"lowest out-of-fold threshold flagging at most {MAX_OOF_FALSE} plain examples, "
                            "at least 0.5",
          "folds": 5, "seed": SEED, "recall": round(tp / max(1, int(y.sum())), 3),
          "precision": round(tp / max(1, tp + fp), 3), "meta_examples": int(y.sum()),
          "plain_examples": int((y == 0).sum())}

    model = fit(x, y)
    held_ids = sorted({p.report_id for p in passages} - set(TRAIN_REPORTS))
    measured = {}
    for name, ids in (("held_out", held_ids), ("corpus", sorted({p.report_id for p in passages}))):
        sents = sorted({s.text for p in passages if p.report_id in ids for s in p.sentences})
        probs = model.predict_proba(emb.embed(sents).astype(np.float64))[:, 1]
        order = np.argsort(-probs)
        measured[name] = {"reports": ids, "sentences": len(sents), "flagged": int((probs >= threshold).sum()),
                          "max_score": round(float(probs.max()), 4),
                          "nearest": [{"score": round(float(probs[i]), 4), "text": sents[i][:160]}
                                      for i in order[:5]]}
    print(f"examples: {len(y)} ({int(y.sum())} about readers, {len(train_sents)} plain sentences of "
          f"{', '.join(TRAIN_REPORTS)}); out-of-fold at threshold {threshold:.3f}: recall {cv['recall']}, "
          f"precision {cv['precision']}")
    for name, m in measured.items():
        print(f"{name}: {m['flagged']} of {m['sentences']} sentences flagged; highest score {m['max_score']}")
        for row in m["nearest"]:
            print(f"  {row['score']:.3f}  {row['text']}")
    corpus = measured["corpus"]
    if args.check:
        return 0
    OUT.write_text(to_json(hostile.MODEL, ["plain", "reader"], model.coef_, model.intercept_, threshold,
                           digest, C=C, train_reports=list(TRAIN_REPORTS),
                           cross_validation=cv, held_out=measured["held_out"], corpus=corpus),
                   encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0 if corpus["flagged"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
