"""Ingest speed and memory: the full corpus from empty (model load included), then an unchanged re-ingest.

Targets: full ingest, with the sentence vectors, <= 1.5x the 20.2 s measured before them (issue 9; 30.3 s),
unchanged re-ingest <= 5 s, peak memory <= 1.5 GB (issue 2).
Each run is a fresh process so model loading and imports are counted; peak RSS from wait4().
Usage: .venv/bin/python bench/bench_ingest.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024  # MB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "reportqa")
    full, again, peak = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "REPORTQA_INDEX_DIR": str(Path(tmp) / "index"),
                   "REPORTQA_CORPUS_DIR": str(ROOT / "corpus")}
            t, mb = run([exe, "ingest", "-q"], env)
            full.append(t)
            peak.append(mb)
            t2, mb2 = run([exe, "ingest", "-q"], env)
            again.append(t2)
            peak.append(mb2)
    write("ingest", {
        "runs": args.runs,
        "full_ingest_s": {"median": percentile(full, 50), "max": max(full),
                          "all": [round(x, 2) for x in full], "target": 30.3,
                          "before_sentence_vectors": 20.2},
        "unchanged_reingest_s": {"median": percentile(again, 50), "max": max(again),
                                 "all": [round(x, 2) for x in again], "target": 5},
        "peak_rss_mb": {"max": max(peak), "target": 1536},
    })


if __name__ == "__main__":
    main()
