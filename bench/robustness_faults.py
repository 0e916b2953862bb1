"""The robustness bench's fault probes (issue 26, item 6), run by bench/robustness.py as rows `headers`,
`chroma` and `disk`:

- headers: four 100 MB request headers sent at once to a real `reportqa serve`; each must be answered 431,
  and the server's peak memory (VmHWM) must grow by less than 20 MB;
- chroma: `reportqa serve` and `reportqa ask` with REPORTQA_CHROMA_URL at a real local socket that accepts
  connections and never answers (what a Chroma server stopped with SIGSTOP looks like): /healthz and
  POST /api/v1/ask must answer 503 within the timeout, and the command line one line with exit code 6;
- disk: OSError(ENOSPC) (and SQLite's "database or disk is full") injected at each write point of an ingest
  (a new report's segment, the fsync, the build manifest, the swap, the report file, the corpus manifest,
  Chroma's add), of the feedback database and of Chroma under ask; every one must end in one line with a
  hint, never "error: unexpected" or a traceback, and the build that served must still answer.

Each function takes the bench's World and its Row class and returns the row's result.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

PY = sys.executable
BIN = Path(sys.executable).parent
QUESTION = "How many people did the London Victim and Witness Service support in 2022/23?"
HEADER_BYTES = 100 * 1024 * 1024
CHROMA_TIMEOUT = 2.0
NEW_REPORT = """# 2030-31 MOPAC Annual Report

## 1. Reducing and preventing violence

- In 2030-31 the Violence Reduction Unit reached 12,345 young people through its Pathfinder scheme.
- The Pathfinder scheme ran in seven boroughs.
"""


def _env(corpus: Path, index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_CORPUS_DIR": str(corpus), "REPORTQA_INDEX_DIR": str(index),
                "REPORTQA_CONFIG": str(corpus.parent / "no-such-reportqa.toml"), "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PYTHONUNBUFFERED": "1",
                **extra})
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serve(corpus: Path, index: Path, log: Path,
           **extra: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = _free_port()
    with log.open("wb") as out:
        server = subprocess.Popen([str(BIN / "reportqa"), "serve", "--no-ui", "--port", str(port)],
                                  env=_env(corpus, index, **extra), stdout=out, stderr=out, cwd=corpus.parent)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError("serve exited: " + log.read_text()[-1000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("serve did not start") from None
                time.sleep(0.3)
        yield port, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _huge_header(port: int, size: int) -> tuple[str, int, float]:
    """(status line, bytes of header sent, seconds) for a request whose one header is `size` bytes, sent in
    64 KB writes until the server answers or closes."""
    t0 = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = 0
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        chunk = b"a" * 65536
        while sent < size:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        data = b""
        with contextlib.suppress(OSError):
            while chunk_in := sock.recv(65536):
                data += chunk_in
    finally:
        sock.close()
    return data.split(b"\r\n", 1)[0].decode("latin-1"), sent, time.monotonic() - t0


def row_headers(world: Any, row_cls: Any) -> dict[str, Any]:
    row = row_cls(
        "100 MB request headers",
        4,
        "not refused with 431 in bounded memory",
        "a real `reportqa serve --no-ui` (the bench's index); four requests at once, each with one 100 MB "
        "header sent in 64 KB writes until the server answers. Holds when every one is answered 431 and the "
        "server's peak resident memory (VmHWM, /proc) grows by less than 20 MB. Before issue 26 the server "
        "(uvicorn on httptools) read the whole header and answered 200; four at once took it from 420 MB to "
        "893 MB.",
    )
    tmp = Path(tempfile.mkdtemp(prefix="rq-headers-"))
    try:
        with _serve(world.corpus, world.index, tmp / "serve.log") as (port, server):
            time.sleep(2.0)
            before = _kb(server.pid, "VmHWM")
            results: list[tuple[str, int, float]] = []
            threads = [threading.Thread(target=lambda: results.append(_huge_header(port, HEADER_BYTES)))
                       for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            after = _kb(server.pid, "VmHWM")
        growth_mb = round((after - before) / 1024, 1)
        row.info.update({"peak_rss_before_mb": round(before / 1024, 1),
                         "peak_rss_after_mb": round(after / 1024, 1), "peak_rss_growth_mb": growth_mb,
                         "answers": [{"status": s, "header_bytes_sent": n, "seconds": round(sec, 2)}
                                     for s, n, sec in results]})
        for status, sent, _ in results:
            row.count += 1
            if " 431 " not in status + " " or growth_mb >= 20:
                row.fail(status=status, header_bytes_sent=sent, peak_rss_growth_mb=growth_mb)
        if len(results) < 4:
            row.fail(note=f"only {len(results)} of 4 requests ended")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dict(row.done())


def row_chroma(world: Any, row_cls: Any) -> dict[str, Any]:
    row = row_cls(
        "frozen Chroma server",
        3,
        "not 503 / exit 6 within the timeout",
        f"REPORTQA_CHROMA_URL at a real local socket that accepts and never answers (a Chroma server stopped "
        f"with SIGSTOP looks the same), REPORTQA_CHROMA_TIMEOUT={CHROMA_TIMEOUT:g}: a real `reportqa serve "
        "--no-ui` must answer GET /healthz and POST /api/v1/ask with 503 within 3x the timeout (the client's "
        "first round trips, then the query), naming neither the store nor a setting; `reportqa ask` must "
        "end with one `error:` line, a hint and exit code 6 (README). Before issue 26 every request hung "
        "with no timeout, and the command line said `unexpected ValueError` with exit 1.",
    )
    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))
    frozen.listen(64)
    url = f"http://127.0.0.1:{frozen.getsockname()[1]}"
    tmp = Path(tempfile.mkdtemp(prefix="rq-chroma-"))
    limit = 3 * CHROMA_TIMEOUT + 1.0
    probes: list[dict[str, Any]] = []
    try:
        import httpx

        extra = {"REPORTQA_CHROMA_URL": url, "REPORTQA_CHROMA_TIMEOUT": str(CHROMA_TIMEOUT)}
        with _serve(world.corpus, world.index, tmp / "serve.log", **extra) as (port, _):
            base = f"http://127.0.0.1:{port}"
            for what, method, path in (("GET /healthz", "GET", "/healthz"),
                                       ("POST /api/v1/ask", "POST", "/api/v1/ask"),
                                       ("GET /healthz again", "GET", "/healthz")):
                t0 = time.monotonic()
                r = httpx.request(method, base + path, timeout=60,
                                  json={"question": QUESTION} if method == "POST" else None)
                sec = time.monotonic() - t0
                named = [w for w in ("chroma", "127.0.0.1", "REPORTQA", url) if w.lower() in r.text.lower()]
                probes.append({"probe": what, "status": r.status_code, "seconds": round(sec, 2),
                               "body": r.json(), "names": named})
                row.count += 1
                if r.status_code != 503 or sec > limit or named:
                    row.fail(probe=what, status=r.status_code, seconds=round(sec, 2), body=r.text[:200])
        t0 = time.monotonic()
        proc = subprocess.run([str(BIN / "reportqa"), "ask", QUESTION], env=_env(world.corpus, world.index,
                              **extra), capture_output=True, text=True, timeout=300)
        sec = time.monotonic() - t0
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(("error:", "hint:"))]
        probes.append({"probe": "reportqa ask", "exit": proc.returncode, "seconds": round(sec, 2),
                       "stderr": lines})
        row.count += 1
        bad = "unexpected" in proc.stderr or "Traceback" in proc.stderr
        if proc.returncode != 6 or len(lines) != 2 or bad:
            row.fail(probe="reportqa ask", exit=proc.returncode, stderr=proc.stderr[-400:])
    finally:
        frozen.close()
        shutil.rmtree(tmp, ignore_errors=True)
    row.info.update({"timeout_seconds": CHROMA_TIMEOUT, "limit_seconds": limit, "probes": probes})
    return dict(row.done())


def _enospc(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _sqlite_full(*args: Any, **kwargs: Any) -> Any:
    from chromadb.errors import InternalError

    raise InternalError("error returned from database: (code: 13) database or disk is full")


def _run_cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """cli.main in this process with `env`'s REPORTQA_ variables, stderr captured."""
    from reportqa.cli import main

    err = io.StringIO()
    with mock.patch.dict(os.environ, env), contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(args)
        except BaseException as exc:  # noqa: BLE001 - what escapes main is a failure of the rule
            import traceback

            traceback.print_exc(file=err)
            code = -1
            del exc
    return code, err.getvalue()


def row_disk(world: Any, row_cls: Any) -> dict[str, Any]:
    row = row_cls(
        "full disk",
        9,
        "unexpected errors under a full disk",
        "OSError(ENOSPC) injected (unittest.mock) at each write point of `reportqa ingest FILE` (the new "
        "report's segment, fsync, the build manifest, the swap of CURRENT, the report file, the corpus "
        "manifest), SQLite's 'database or disk is full' at Chroma's add (`ingest --compact`) and under "
        "`reportqa ask` (Chroma's query), and both at the feedback database behind POST /api/v1/feedback. "
        "A probe fails on a traceback, an 'error: unexpected' line, an exit code other than 7 (DiskFull), an "
        "API answer other than 503 or one naming a path or a setting, or when the build that served before "
        "no longer serves or answers afterwards.",
    )
    from reportqa import corpus as corpus_mod
    from reportqa.config import Config
    from reportqa.index import Layout
    from reportqa.index import build as index_build
    from reportqa.index import segments as index_segments

    tmp = Path(tempfile.mkdtemp(prefix="rq-disk-"))
    new = tmp / "annual-2030-31.md"
    new.write_text(NEW_REPORT, encoding="utf-8")
    add = ["ingest", str(new), "--title", "2030-31 MOPAC Annual Report", "--year", "2030-31", "-q"]
    probes: list[dict[str, Any]] = []
    from chromadb.api.models.Collection import Collection

    cases: list[tuple[str, list[str], Any]] = [
        ("ingest FILE: segment", add, mock.patch.object(index_build, "write_segment", _enospc)),
        ("ingest FILE: fsync", add, mock.patch.object(index_segments, "fsync_tree", _enospc)),
        ("ingest FILE: build manifest", add, mock.patch.object(index_build, "write_build", _enospc)),
        ("ingest FILE: swap", add, mock.patch.object(Layout, "swap", _enospc)),
        ("ingest FILE: report file", add, mock.patch.object(Path, "write_text", _enospc)),
        ("ingest FILE: corpus manifest", add, mock.patch.object(corpus_mod, "save_manifest", _enospc)),
        ("ingest --compact: Chroma add", ["ingest", "--compact", "-q"],
         mock.patch.object(Collection, "add", _sqlite_full)),
        ("ask: Chroma query", ["ask", QUESTION], mock.patch.object(Collection, "query", _sqlite_full)),
    ]
    try:
        for i, (what, args, patch) in enumerate(cases):
            corpus, index = world.clone(tmp / f"case{i}")
            env = {k: v for k, v in _env(corpus, index).items() if k.startswith("REPORTQA_")}
            before = Layout(index).current()
            with patch:
                code, err = _run_cli(args, env)
            lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "hint:"))]
            current = Layout(index).current()
            answers = ""
            try:
                from reportqa.service import Assistant

                answers = Assistant.open(Config(corpus_dir=corpus, index_dir=index)).ask(QUESTION).status
            except Exception as exc:  # noqa: BLE001 - recorded as the failure it is
                answers = f"{type(exc).__name__}: {exc}"
            serves = current == before or what == "ingest FILE: corpus manifest"  # published, then listed
            probes.append({"probe": what, "exit": code, "stderr": lines, "previous_build_serves": serves,
                           "then_asked": answers})
            row.count += 1
            unexpected = "Traceback" in err or "error: unexpected" in err
            if unexpected or code != 7 or len(lines) != 2 or not serves or answers != "answered":
                row.fail(probe=what, exit=code, stderr=err[-500:], serves=serves, then_asked=answers)
            shutil.rmtree(tmp / f"case{i}", ignore_errors=True)
        # the public API's feedback under a full disk
        import sqlite3

        from fastapi.testclient import TestClient

        from reportqa.web.api import create_app

        cfg = Config(corpus_dir=world.corpus, index_dir=world.index)
        api = cfg.api.model_copy(update={"feedback_db": tmp / "feedback.sqlite3"})
        cfg = cfg.model_copy(update={"api": api})
        body = {"question": "How many?", "answer": "12 [1]", "status": "answered", "helpful": True}

        def full_connect(*args: Any, **kwargs: Any) -> Any:
            raise sqlite3.OperationalError("database or disk is full")

        with TestClient(create_app(cfg, ui=False, warm=False)) as c:
            for what, fault in (("feedback: SQLite full", full_connect), ("feedback: ENOSPC", _enospc)):
                patch = mock.patch.object(sqlite3, "connect", fault)
                with patch:
                    r = c.post("/api/v1/feedback", json=body)
                named = [w for w in ("api.", "feedback_db", "sqlite", "REPORTQA", str(tmp)) if w in r.text]
                probes.append({"probe": what, "status": r.status_code, "body": r.json(), "names": named})
                row.count += 1
                if r.status_code != 503 or named or "Traceback" in r.text:
                    row.fail(probe=what, status=r.status_code, body=r.text[:300])
            ok = c.post("/api/v1/feedback", json=body)
            probes.append({"probe": "feedback: space again", "status": ok.status_code})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    row.info["probes"] = json.loads(json.dumps(probes, default=str))
    return dict(row.done())
