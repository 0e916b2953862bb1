"""Times a five-part Mayor's Question drafted on the default (extractive) answerer.

Usage: .venv/bin/python bench/bench_mq.py [--repeat 5]   (needs an index: reportqa ingest)

Writes its figures to bench/results/mq.json: opening and warming the assistant, the analysis alone, the
first draft, warm drafts, and each part's `ask` as the drafter made it. No thresholds: it records.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
QUESTION = (
    "Further to my question 2023/4567, will the Mayor tell me: (a) how many people the London Victim and "
    "Witness Service supported in 2022/23; (b) how it compares with other services in England and Wales; "
    "(c) what its annual budget was; (d) how many survivors the Lighthouse supported in 2022/23; and (e) "
    "what steps the Mayor is taking to expand Project ADDER?"
)


class TimedAssistant:
    """Wraps an Assistant to time each `ask` the drafter makes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reports = inner.reports
        self.asks: list[tuple[str, float]] = []

    def ask(self, question: str, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        ans = self.inner.ask(question, **kwargs)
        self.asks.append((question, time.perf_counter() - t0))
        return ans

    def coverage_text(self) -> str:
        return str(self.inner.coverage_text())


def ms(values: list[float]) -> dict[str, float]:
    xs = [v * 1000 for v in values]
    return {"p50": round(percentile(xs, 50), 2), "p95": round(percentile(xs, 95), 2),
            "mean": round(statistics.fmean(xs), 2), "max": round(max(xs), 2)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Time a five-part Mayor's Question draft.")
    p.add_argument("--repeat", type=int, default=5, help="warm drafts to time after the first (default 5)")
    args = p.parse_args(argv)

    from reportqa.config import Config, offline_environment

    offline_environment()
    from reportqa.mq import analyse, draft_mq
    from reportqa.service import Assistant

    t0 = time.perf_counter()
    assistant = Assistant.open(Config())
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assistant.warm()
    warm_s = time.perf_counter() - t0

    analysis_s = []
    for _ in range(20):
        t0 = time.perf_counter()
        analysis = analyse(QUESTION)
        analysis_s.append(time.perf_counter() - t0)

    timed = TimedAssistant(assistant)
    t0 = time.perf_counter()
    first = draft_mq(timed, QUESTION)
    first_s = time.perf_counter() - t0
    first_asks = len(timed.asks)
    drafts_s = []
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        draft = draft_mq(timed, QUESTION)
        drafts_s.append(time.perf_counter() - t0)
    per_part: dict[str, list[float]] = {}
    for question, seconds in timed.asks[first_asks:]:
        per_part.setdefault(question, []).append(seconds)

    write("mq", {
        "question_chars": len(QUESTION),
        "parts": len(analysis.parts),
        "statuses": {part.label: part.status for part in draft.parts},
        "references": len(draft.references),
        "open_s": round(open_s, 3),
        "warm_s": round(warm_s, 3),
        "analyse_ms": ms(analysis_s),
        "first_draft_s": round(first_s, 3),
        "first_draft_stages_s": {k: round(v, 4) for k, v in first.timings.items()},
        "warm_draft_ms": ms(drafts_s),
        "warm_ask_ms_per_part": {q: ms(xs) for q, xs in per_part.items()},
    })


if __name__ == "__main__":
    main()
