"""The public API under load: 10 concurrent clients against a real server on 127.0.0.1.

Starts `uvicorn reportqa.web.api:app_from_env` (the full server, workspace included) on a free port with
a high rate limit, warms it, then lets each client ask its share of the eval questions (with their
conversation history) in turn. Reports p50/p95 latency, throughput and counts: answered (200), intended
refusals by the rate limit (429, counted apart) and errors (anything else). No thresholds.

Usage: .venv/bin/python bench/bench_api.py [--clients 10] [--per-client 10] [--url http://127.0.0.1:PORT]
Writes bench/results/api.json. Needs an index (reportqa ingest) unless --url names a running server.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_S = 900.0  # the whole run stops by itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ)
    env.setdefault("REPORTQA_INDEX_DIR", str(ROOT / "index"))
    env.setdefault("REPORTQA_CORPUS_DIR", str(ROOT / "corpus"))
    env.update({"REPORTQA_API__RATE_LIMIT": "1000000", "REPORTQA_API__FEEDBACK_DB": str(tmp / "fb.sqlite3"),
                "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "reportqa.web.api:app_from_env", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=tmp, env=env, stdout=(tmp / "server.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited:\n" + (tmp / "server.log").read_text()[-2000:])
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("server did not start")


def questions() -> list[dict[str, Any]]:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(x) for x in lines if x.strip()]
    out = []
    for it in items:
        if it.get("type") == "mayors_question" or len(it["question"]) > 1500:
            continue
        history = [{"role": t["role"], "content": t["content"][:1000]} for t in it.get("history") or []][-6:]
        out.append({"question": it["question"], "history": history})
    return out


def run(url: str, clients: int, per_client: int) -> dict[str, Any]:
    pool = questions()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + DEADLINE_S

    def client(i: int) -> None:
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{20 + i}")  # each client a visitor of its own
        with httpx.Client(base_url=url, timeout=120, transport=transport) as c:
            for j in range(per_client):
                if time.monotonic() > stop_at:
                    return
                body = pool[(i * per_client + j) % len(pool)]
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/v1/ask", json=body)
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    statuses[key] += 1
                    if key == "200":
                        latencies.append(ms)

    with httpx.Client(base_url=url, timeout=120) as c:  # warm: model, indexes, threads
        for body in pool[:3]:
            c.post("/api/v1/ask", json=body)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    total = sum(statuses.values())
    return {
        "clients": clients, "requests": total, "answered": statuses.get("200", 0),
        "rate_limited_429": statuses.get("429", 0),
        "errors": total - statuses.get("200", 0) - statuses.get("429", 0),
        "statuses": dict(statuses),
        "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1),
                       "max": round(max(latencies), 1) if latencies else None},
        "throughput_rps": round(total / wall, 2) if wall else None, "wall_s": round(wall, 2),
        "backend": "extractive (default)",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--per-client", type=int, default=10)
    ap.add_argument("--url", help="a running server (its rate limit must be high); default: start one")
    args = ap.parse_args()
    if args.url:
        write("api", run(args.url.rstrip("/"), args.clients, args.per_client))
        return
    with tempfile.TemporaryDirectory(prefix="reportqa-bench-") as tmp:
        proc, url = start_server(Path(tmp))
        try:
            write("api", run(url, args.clients, args.per_client))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
