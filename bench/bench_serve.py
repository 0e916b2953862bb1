"""`reportqa serve` readiness (issue 24): seconds from process start to the first 200 from /healthz, and to
the first answered question on the API, over --runs fresh starts.

Each run starts `reportqa serve` (the officer workspace and the API, as a user starts it) on 127.0.0.1 on a
free port over the repo's index, with a feedback database and Gradio's temporary files of its own, and
polls /healthz every 50 ms: "listening" is the first HTTP answer (503 "starting" while the model, the
indexes and the lexicons load), "ready" the first 200. Then one question goes to POST /api/v1/ask:
"first answer" is process start to that answer received (status "answered"), and its own latency is kept
beside it. The 1-minute load average is read (os.getloadavg) as each run starts, with the core count: on
the shared 2-core machine the figure moves with the load, so it is never quoted without it. Nothing here is
a threshold; no test reads these figures.

Usage: .venv/bin/python bench/bench_serve.py [--runs 5]   (needs an index: reportqa ingest)
Writes bench/results/serve.json.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUESTION = "How many visits did ICVs make in 2023-24?"  # not the question Assistant.warm asks
POLL_S = 0.05
TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_run(env: dict[str, str]) -> dict[str, Any]:
    """One fresh `reportqa serve`: listening, ready and first-answer seconds from process start."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        senv = {**env, "REPORTQA_API__FEEDBACK_DB": str(Path(tmp) / "fb.sqlite3"),
                "GRADIO_TEMP_DIR": str(Path(tmp) / "gradio")}
        log = Path(tmp) / "serve.log"
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(BIN / "reportqa"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=senv, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
        try:
            listening = None
            with httpx.Client(base_url=url, timeout=5) as c:
                while True:
                    if proc.poll() is not None:
                        raise SystemExit("server exited:\n" + log.read_text()[-2000:])
                    if time.perf_counter() - t0 > TIMEOUT_S:
                        raise SystemExit(f"server did not become healthy in {TIMEOUT_S} s")
                    try:
                        r = c.get("/healthz")
                        listening = listening or time.perf_counter() - t0
                        if r.status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(POLL_S)
                ready = time.perf_counter() - t0
                t1 = time.perf_counter()
                r = c.post("/api/v1/ask", json={"question": QUESTION}, timeout=120)
                r.raise_for_status()
                answered = time.perf_counter()
                status = r.json().get("status")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if status != "answered":
        raise SystemExit(f"the first question was not answered: {status!r}")
    return {"load_average_1m_at_start": round(load, 2), "listening_s": round(listening or ready, 2),
            "ready_s": round(ready, 2), "first_answer_s": round(answered - t0, 2),
            "first_question_ms": round((answered - t1) * 1000, 1)}


def summary(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2),
            "min": round(min(values), 2), "all": values}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh starts of `reportqa serve`")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "REPORTQA_DEBUG"}
    env.update({"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    load_before = os.getloadavg()[0]
    runs = []
    for i in range(args.runs):
        run = one_run(env)
        print(f"run {i + 1}: {run}", file=sys.stderr)
        runs.append(run)
    loads = [r["load_average_1m_at_start"] for r in runs]
    write("serve", {
        "command": "reportqa serve --host 127.0.0.1 --port <free port> (workspace and API), repo index",
        "runs": len(runs),
        "cores": os.cpu_count(),
        "ready_s": summary([r["ready_s"] for r in runs]),
        "listening_s": summary([r["listening_s"] for r in runs]),
        "first_answer_s": {**summary([r["first_answer_s"] for r in runs]), "question": QUESTION},
        "first_question_ms": summary([r["first_question_ms"] for r in runs]),
        "load_average_1m": {"at_start_of_each_run": loads,
                            "median_at_start": round(statistics.median(loads), 2),
                            "before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "each_run": runs,
    })


if __name__ == "__main__":
    main()
