"""Warm `ask` latency on the default answerer over the eval questions, and process start to first answer.

Targets: warm p50 <= 60 ms, p95 <= 200 ms (issue 9, with sentence-level evidence); `reportqa ask` start to
first answer <= 8 s (issue 3).
Usage: .venv/bin/python bench/bench_ask.py   (needs an index: reportqa ingest)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from reportqa.config import Config
    from reportqa.service import Assistant

    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(x) for x in lines if x.strip()]
    items = [i for i in items if i["type"] != "mayors_question"]
    a = Assistant.open(Config())
    a.warm()
    for it in items[:5]:
        a.ask(it["question"], history=it["history"])
    lat = []
    for it in items:
        t0 = time.perf_counter()
        a.ask(it["question"], history=it["history"])
        lat.append((time.perf_counter() - t0) * 1000)
    exe = str(Path(sys.executable).parent / "reportqa")
    cold = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([exe, "ask", "How many people did the London Victim and Witness Service support in "
                        "2022/23?"], check=True, capture_output=True, env=dict(os.environ))
        cold.append(time.perf_counter() - t0)
    write("ask", {
        "questions": len(lat),
        "warm_ask_ms": {"p50": round(percentile(lat, 50), 1), "p95": round(percentile(lat, 95), 1),
                        "max": round(max(lat), 1), "target_p50": 60, "target_p95": 200},
        "cold_first_answer_s": {"median": round(percentile(cold, 50), 2), "all": [round(x, 2) for x in cold],
                                "target": 8},
    })


if __name__ == "__main__":
    main()
