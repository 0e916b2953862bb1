"""Warm `ask` latency on the default answerer over the eval questions; cold start of `reportqa ask` and of
`reportqa serve`.

Cold start (issue 13): process start to the first answer of `reportqa ask`, against the time of
`python -c "import chromadb, onnxruntime, tokenizers"` measured in the same run (interleaved, median of
--runs): target ratio <= 2.5. Then the import-time breakdown of one `reportqa ask` (`python -X importtime`,
top 15 by cumulative time) goes to bench/results/ask_imports.txt, and `reportqa serve` is timed from process
start to /healthz ok, then asked 10 questions: the first should be about as fast as the others.
Warm targets: p50 <= 60 ms, p95 <= 200 ms (issue 9).
Usage: .venv/bin/python bench/bench_ask.py [--runs 3]   (needs an index: reportqa ingest)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUESTION = "How many people did the London Victim and Witness Service support in 2022/23?"
BASELINE = "import chromadb, onnxruntime, tokenizers"
TARGET_RATIO = 2.5
SERVE_QUESTIONS = [  # none of them the question Assistant.warm asks
    "What is the Lighthouse?",
    "How many people did the LVWS support in 2021-22?",
    "How many visits did ICVs make in 2023-24?",
    "How many survivors of child sexual abuse did The Lighthouse support in 2022/23?",
    "What does the Violence Reduction Unit do?",
    "How many officers were on the streets in 2016-17?",
    "How much did MOPAC spend commissioning services for victims?",
    "What is the London Drugs Forum?",
    "How many detainees did ICVs see in 2023-24?",
    "Who is the chief executive of MOPAC?",
]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def cold_start(runs: int, env: dict[str, str]) -> dict[str, Any]:
    """`reportqa ask` and the import baseline, interleaved so both see the same load."""
    ask, base = [], []
    for _ in range(runs):
        base.append(timed([sys.executable, "-c", BASELINE], env))
        ask.append(timed([str(BIN / "reportqa"), "ask", QUESTION], env))
    ask_s, base_s = percentile(ask, 50), percentile(base, 50)
    return {
        "cold_first_answer_s": {"median": round(ask_s, 2), "all": [round(x, 2) for x in ask]},
        "import_baseline_s": {"command": f'python -c "{BASELINE}"', "median": round(base_s, 2),
                              "all": [round(x, 2) for x in base]},
        "cold_ratio": {"value": round(ask_s / base_s, 2), "target": TARGET_RATIO,
                       "met": ask_s / base_s <= TARGET_RATIO},
    }


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


def import_breakdown(env: dict[str, str], top: int = 15) -> tuple[list[dict[str, Any]], str]:
    """`python -X importtime` on one `reportqa ask`: the `top` imports by cumulative time, and as a table."""
    proc = subprocess.run([sys.executable, "-X", "importtime", str(BIN / "reportqa"), "ask", QUESTION],
                          check=True, capture_output=True, text=True, env=env)
    rows = []
    for line in proc.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            rows.append({"module": m.group(4), "depth": len(m.group(3)) // 2,
                         "self_ms": int(m.group(1)) / 1000, "cumulative_ms": int(m.group(2)) / 1000})
    rows.sort(key=lambda r: -r["cumulative_ms"])
    total = sum(r["self_ms"] for r in rows)
    lines = [f"python -X importtime reportqa ask {QUESTION!r}",
             f"{len(rows)} modules imported, {total:.0f} ms of import time; the top {top} by cumulative time",
             "(depth 0: imported by the command itself; deeper rows are inside the row above them)", "",
             f"{'cumulative ms':>13} {'self ms':>8}  module"]
    for r in rows[:top]:
        lines.append(f"{r['cumulative_ms']:13.1f} {r['self_ms']:8.1f}  {'  ' * r['depth']}{r['module']}")
    return rows[:top], "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_start(env: dict[str, str]) -> dict[str, Any]:
    """`reportqa serve` (workspace included): process start to /healthz ok, then 10 questions in turn."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        senv = {**env, "REPORTQA_API__FEEDBACK_DB": str(Path(tmp) / "fb.sqlite3")}
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(BIN / "reportqa"), "serve", "--port", str(port)], env=senv,
                                stdout=subprocess.DEVNULL, stderr=(Path(tmp) / "serve.log").open("wb"))
        try:
            listening = None
            while True:
                if proc.poll() is not None:
                    raise SystemExit("server exited:\n" + (Path(tmp) / "serve.log").read_text()[-2000:])
                if time.perf_counter() - t0 > 300:
                    raise SystemExit("server did not become healthy in 300 s")
                try:
                    r = httpx.get(url + "/healthz", timeout=2)
                    listening = listening or time.perf_counter() - t0
                    if r.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            ready = time.perf_counter() - t0
            lat = []
            with httpx.Client(base_url=url, timeout=120) as c:
                for q in SERVE_QUESTIONS:
                    t1 = time.perf_counter()
                    c.post("/api/v1/ask", json={"question": q}).raise_for_status()
                    lat.append((time.perf_counter() - t1) * 1000)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    rest = lat[1:]
    return {"listening_s": round(listening or ready, 2), "healthy_s": round(ready, 2),
            "first_question_ms": round(lat[0], 1), "questions_2_to_10_ms": {
                "p50": round(percentile(rest, 50), 1), "max": round(max(rest), 1)},
            "all_ms": [round(x, 1) for x in lat]}


def warm_latency() -> dict[str, Any]:
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
    return {"questions": len(lat),
            "warm_ask_ms": {"p50": round(percentile(lat, 50), 1), "p95": round(percentile(lat, 95), 1),
                            "max": round(max(lat), 1), "target_p50": 60, "target_p95": 200}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="cold runs of each command (the median is kept)")
    args = parser.parse_args()
    env = dict(os.environ)
    load_before = os.getloadavg()
    cold = cold_start(args.runs, env)
    top, table = import_breakdown(env)
    serve = serve_start(env)
    warm = warm_latency()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ask_imports.txt").write_text(table, encoding="utf-8")
    write("ask", {
        **warm,
        **cold,
        "serve": serve,
        "import_time": {"file": "ask_imports.txt", "top15": top},
        "load_average_1m": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
    })
    print(table)


if __name__ == "__main__":
    main()
