"""Times a five-part Mayor's Question drafted on the default (extractive) answerer.

    .venv/bin/python bench/bench_mq.py [--index index] [--repeat 5] [--out bench/results/mq.json]

Writes its figures (open, warm-up, analysis, each part's ask, whole drafts) to a JSON file.
No thresholds: this records how long drafting takes, it does not judge it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUESTION = (
    "Further to my question 2023/4567, will the Mayor tell me: (a) how many people the London Victim and "
    "Witness Service supported in 2022/23; (b) how it compares with other services in England and Wales; "
    "(c) what its annual budget was; (d) how many survivors the Lighthouse supported in 2022/23; and (e) what "
    "steps the Mayor is taking to expand Project ADDER?"
)


class TimedAssistant:
    """Wraps an Assistant to time each `ask` the drafter makes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.asks: list[dict[str, Any]] = []

    def ask(self, question: str, **kwargs: Any) -> Any:
        t = time.perf_counter()
        ans = self.inner.ask(question, **kwargs)
        self.asks.append({"question": question, "seconds": time.perf_counter() - t, "status": ans.status,
                          "stages": ans.timings})
        return ans

    def coverage_text(self) -> str:
        return str(self.inner.coverage_text())


def summary(xs: list[float]) -> dict[str, float]:
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "mean": statistics.fmean(xs)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", default=str(ROOT / "index"), help="index directory (default: the repo's index/)")
    p.add_argument("--corpus", default=str(ROOT / "corpus"))
    p.add_argument("--repeat", type=int, default=5, help="warm drafts to time after the first (default 5)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "mq.json"))
    args = p.parse_args(argv)

    from reportqa.config import Config, offline_environment

    offline_environment()
    from reportqa.mq import analyse, draft_mq
    from reportqa.service import Assistant

    config = Config(index_dir=Path(args.index), corpus_dir=Path(args.corpus))
    t = time.perf_counter()
    assistant = Assistant.open(config)
    open_s = time.perf_counter() - t
    t = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - t

    analysis_runs = []
    for _ in range(20):
        t = time.perf_counter()
        analysis = analyse(QUESTION)
        analysis_runs.append(time.perf_counter() - t)

    timed = TimedAssistant(assistant)
    t = time.perf_counter()
    first = draft_mq(timed, QUESTION)
    first_s = time.perf_counter() - t
    runs: list[float] = []
    for _ in range(max(args.repeat, 1)):
        t = time.perf_counter()
        draft = draft_mq(timed, QUESTION)
        runs.append(time.perf_counter() - t)
    per_part: dict[str, list[float]] = {}
    for a in timed.asks:
        per_part.setdefault(a["question"], []).append(a["seconds"])

    result = {
        "benchmark": "mq draft, five-part question, extractive answerer",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "index": str(args.index),
        "question_chars": len(QUESTION),
        "parts": len(analysis.parts),
        "statuses": {p.label: p.status for p in draft.parts},
        "references": len(draft.references),
        "seconds": {
            "open": open_s,
            "warm": warm_s,
            "analyse": summary(analysis_runs),
            "first_draft": first_s,
            "first_draft_stages": first.timings,
            "draft": summary(runs),
            "draft_runs": runs,
            "per_part_ask": {q: summary(xs) for q, xs in per_part.items()},
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    s = result["seconds"]
    print(f"{len(analysis.parts)} parts, statuses {result['statuses']}")
    print(f"open {open_s:.2f}s  warm {warm_s:.2f}s  first draft {first_s:.3f}s  "
          f"warm draft median {s['draft']['median']:.3f}s  analyse median {s['analyse']['median'] * 1000:.2f}ms")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
