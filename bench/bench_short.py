"""Short public answers (issue 24): how long the widget's and `reportqa ask`'s short answer is, and whether
the key facts are still in it, over every eval question (eval/questions.jsonl, all splits).

For each question the default answerer answers, `reportqa.short.short_answer` is taken as the widget and
`ask` show it. Figures, over the questions answered ("answered"; "partial" reported beside):
- the median, p90 and largest word count of the short answer (target: median <= 60), and of the full answer;
- key facts: of the answered questions whose full answer holds all their key facts (the eval's
  `facts_satisfied`), the share whose short answer still does; and over all answered questions with key
  facts, the share for the short and for the full answer;
- the same for the bare lead unit (the eval's `lead_sentence`, no word limit), and for the short answer
  filled up to the limit with the sentences after the lead (`fill=True`, not shown), for comparison.
Every figure is given over all splits and for the dev and the test split apart ("by_split"): the short form
is tuned on dev only, so `not_kept` names dev questions only; test is reported as measured, by count.

Usage: .venv/bin/python bench/bench_short.py [--max-words 60]   (needs an index: reportqa ingest)
Writes bench/results/short.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "questions.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--max-words", type=int, default=60)
    args = ap.parse_args()

    from reportqa.config import Config, offline_environment

    offline_environment()
    from reportqa.evaluation.dataset import corpus_texts, load_dataset
    from reportqa.evaluation.metrics import facts_satisfied
    from reportqa.service import Assistant
    from reportqa.short import lead_unit, short_answer, words

    config = Config()
    items = load_dataset(QUESTIONS, corpus_texts(config.corpus_dir)).select("all")
    assistant = Assistant.open(config)
    urls = {r.id: r.source_url for r in assistant.reports}
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for item in items:
        ans = assistant.ask(item.question, history=item.history_dicts())
        if ans.status not in ("answered", "partial"):
            continue
        short = short_answer(ans, urls, max_words=args.max_words)
        filled = short_answer(ans, urls, max_words=args.max_words, fill=True)
        facts = [list(g) for g in item.key_facts]
        lead = lead_unit(ans.text)
        rows.append({
            "id": item.id, "split": item.split, "status": ans.status, "short_words": short.words,
            "full_words": words(ans.text), "lead_words": words(lead), "has_facts": bool(facts),
            "full_facts": bool(facts) and facts_satisfied(facts, ans.text),
            "short_facts": bool(facts) and facts_satisfied(facts, short.text),
            "lead_facts": bool(facts) and facts_satisfied(facts, lead),
            "filled_words": filled.words, "filled_facts": bool(facts) and facts_satisfied(facts, filled.text),
            "source_named": bool(short.title), "more": short.more,
        })
    elapsed = time.perf_counter() - t0

    def summary(status: str, split: str = "all") -> dict[str, Any]:
        rs = [r for r in rows if r["status"] == status and split in ("all", r["split"])]
        with_facts = [r for r in rs if r["has_facts"]]
        full_ok = [r for r in with_facts if r["full_facts"]]

        def share(flag: str, among: list[dict[str, Any]]) -> float | None:
            return round(sum(r[flag] for r in among) / len(among), 3) if among else None

        def dist(key: str) -> dict[str, float]:
            vals = [float(r[key]) for r in rs]
            return {"median": statistics.median(vals) if vals else float("nan"),
                    "p90": percentile(vals, 90), "max": max(vals, default=float("nan"))}

        return {
            "questions": len(rs),
            "short_words": dist("short_words"), "lead_unit_words": dist("lead_words"),
            "full_words": dist("full_words"),
            "short_within_limit": share("short_words_ok", [{**r, "short_words_ok": r["short_words"]
                                                            <= args.max_words} for r in rs]),
            "with_key_facts": len(with_facts),
            "full_holds_key_facts": len(full_ok),
            "short_keeps_key_facts_of_full": share("short_facts", full_ok),
            "lead_unit_keeps_key_facts_of_full": share("lead_facts", full_ok),
            "filled_words": dist("filled_words"),
            "filled_keeps_key_facts_of_full": share("filled_facts", full_ok),
            "short_key_facts": share("short_facts", with_facts),
            "full_key_facts": share("full_facts", with_facts),
            "source_named": share("source_named", rs),
        }

    figures = {
        "what": "short public answers (reportqa.short) over eval/questions.jsonl, all splits and by split",
        "max_words": args.max_words,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(elapsed, 1),
        "answered": summary("answered"),
        "partial": summary("partial"),
        "by_split": {split: {"answered": summary("answered", split), "partial": summary("partial", split)}
                     for split in ("dev", "test")},
        # answered dev questions whose full answer holds the key facts and the short one does not
        "not_kept": [r["id"] for r in rows if r["status"] == "answered" and r["split"] == "dev"
                     and r["full_facts"] and not r["short_facts"]],
    }
    write("short", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
