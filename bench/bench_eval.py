"""The whole eval set on the default answerer: `reportqa eval` wall time, and where the time goes.

Target (issue 4): the whole set in at most 90 s on this machine. Reported, not enforced.
Usage: .venv/bin/python bench/bench_eval.py   (needs an index: reportqa ingest)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "questions.jsonl"


def stages() -> dict[str, object]:
    """In-process: open and warm, run the assistant, score, ragas — each timed."""
    from reportqa.config import Config, offline_environment

    offline_environment()
    from reportqa.evaluation.command import pin_inference_threads
    from reportqa.evaluation.dataset import corpus_texts, load_dataset
    from reportqa.evaluation.ragas_runner import run_ragas, samples_from
    from reportqa.evaluation.runner import run_items
    from reportqa.evaluation.scoring import score_item, summarise
    from reportqa.service import Assistant

    t0 = time.perf_counter()
    config = Config()
    items = load_dataset(QUESTIONS, corpus_texts(config.corpus_dir)).select("all")
    pin_inference_threads()
    assistant = Assistant.open(config)
    assistant.warm()
    t1 = time.perf_counter()
    runs = run_items(assistant, items)
    t2 = time.perf_counter()
    summary = summarise([score_item(i, r) for i, r in zip(items, runs, strict=True)])
    t3 = time.perf_counter()
    run_ragas(samples_from(items, runs))
    t4 = time.perf_counter()
    overall = summary["all"]["all"] if "all" in summary else next(iter(summary.values()))["all"]
    by_type = {t: {"items": g["items"]["value"], "p50_s": g["latency_p50"]["value"],
                   "p95_s": g["latency_p95"]["value"]}
               for t, g in (summary.get("all") or next(iter(summary.values()))).items() if t != "all"}
    return {
        "items": len(items),
        "seconds": {"open_and_warm": round(t1 - t0, 2), "run_assistant": round(t2 - t1, 2),
                    "score": round(t3 - t2, 2), "ragas": round(t4 - t3, 2), "total": round(t4 - t0, 2)},
        "latency_by_type": by_type,
        "headline": {k: overall[k]["value"] for k in ("hit@5", "mrr", "key_fact_accuracy", "citation_support",
                                                      "year_accuracy", "adversarial_safe_rate",
                                                      "mq_part_accuracy")},
    }


def cli_wall() -> dict[str, object]:
    """`reportqa eval --split all` as CI runs it, from process start to exit (no gate: nothing to compare)."""
    exe = str(Path(sys.executable).parent / "reportqa")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eval.json"
        t0 = time.perf_counter()
        proc = subprocess.run([exe, "eval", "--split", "all", "--no-gate", "-q", "--json", str(out)],
                              capture_output=True, text=True, env=dict(os.environ), cwd=ROOT)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"reportqa eval failed ({proc.returncode}): {proc.stderr[-2000:]}")
        inside = json.loads(out.read_text(encoding="utf-8"))["meta"]["seconds"]
    return {"wall_s": round(wall, 2), "evaluate_s": round(float(inside), 2), "target_s": 90}


def main() -> None:
    figures: dict[str, object] = {"cli": cli_wall()}
    figures["stages"] = stages()
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    write("eval", figures)


if __name__ == "__main__":
    main()
