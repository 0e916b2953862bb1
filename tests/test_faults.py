"""Faults give one line and lose nothing (issue 26, item 6): a full disk during ingest, feedback and ask; the
HTTP server's limits on a request's head and its read timeouts; a Chroma server that accepts and never
answers. Real parts: the real index and model, real sockets on 127.0.0.1, a real `reportqa serve`."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reportqa.config import Config
from reportqa.errors import DiskFull, StoreUnavailable

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
QUESTION = "How many people did the London Victim and Witness Service support in 2022/23?"
PRIVATE = ("api.", "feedback_db", "REPORTQA", "sqlite", "/tmp", str(ROOT), "config", ".toml")
NEW_REPORT = """# 2024-25 MOPAC Annual Report

## 1. Reducing and preventing violence

- In 2024-25 the Violence Reduction Unit reached 12,345 young people through its Pathfinder scheme.
- The Pathfinder scheme ran in seven boroughs.

## 2. Better supporting victims

The London Victim and Witness Service supported 51,234 people in 2024/25.
"""


def enospc(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def work_copy(tmp_path: Path, index_config: Config) -> Config:
    corpus = tmp_path / "corpus"
    shutil.copytree(index_config.corpus_dir, corpus)
    index = tmp_path / "index"
    shutil.copytree(index_config.index_dir, index)
    return Config(corpus_dir=corpus, index_dir=index)


@pytest.fixture
def frozen_chroma() -> Iterator[str]:
    """A real local socket that accepts connections and never answers: a Chroma server stopped with SIGSTOP
    looks the same from outside (the kernel completes the handshake)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}"
    finally:
        s.close()


def env_for(cfg: Config, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_CORPUS_DIR": str(cfg.corpus_dir), "REPORTQA_INDEX_DIR": str(cfg.index_dir),
                "REPORTQA_CONFIG": str(cfg.index_dir / "no-such.toml"), **extra})
    return env


def one_line_error(stderr: str) -> tuple[str, str]:
    lines = [ln for ln in stderr.strip().splitlines() if ln.startswith(("error:", "hint:"))]
    assert len(lines) == 2 and lines[0].startswith("error:") and lines[1].startswith("hint:"), stderr
    assert "Traceback" not in stderr and "unexpected" not in stderr, stderr
    return lines[0], lines[1]


# -- a full disk ---------------------------------------------------------------------------------------


WRITE_POINTS = ("segment", "fsync", "build", "swap")


@pytest.mark.parametrize("point", WRITE_POINTS)
def test_a_full_disk_while_adding_a_report_is_one_line_and_the_previous_build_serves(
    point: str, work_copy: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reportqa.cli import main
    from reportqa.index import Layout
    from reportqa.index import build as index_build
    from reportqa.index import segments as index_segments

    before = Layout(work_copy.index_dir).current()
    manifest = (work_copy.corpus_dir / "manifest.json").read_bytes()
    # each write point where ingest looks it up
    target = {"segment": (index_build, "write_segment"), "fsync": (index_segments, "fsync_tree"),
              "build": (index_build, "write_build")}
    if point == "swap":
        monkeypatch.setattr(Layout, "swap", enospc)
    else:
        monkeypatch.setattr(*target[point], enospc)
    for key, value in env_for(work_copy).items():
        monkeypatch.setenv(key, value)
    new = tmp_path / "annual-2024-25.md"
    new.write_text(NEW_REPORT, encoding="utf-8")
    code = main(["ingest", str(new), "--title", "2024-25 MOPAC Annual Report", "--year", "2024-25", "-q"])
    error, hint = one_line_error(capsys.readouterr().err)
    assert code == DiskFull.exit_code == 7
    assert "disk is full" in error and "reportqa ingest" in hint and "keeps serving" in hint
    # nothing published: the build that served still serves, the corpus lists what it listed
    assert Layout(work_copy.index_dir).current() == before
    assert (work_copy.corpus_dir / "manifest.json").read_bytes() == manifest
    assert not list(work_copy.corpus_dir.glob("*2024-25*"))
    monkeypatch.undo()
    from reportqa.service import Assistant

    answer = Assistant.open(work_copy).ask(QUESTION)
    assert answer.status == "answered" and answer.citations


def test_a_full_disk_while_adding_to_chroma_is_a_disk_full_error(
    work_copy: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite under Chroma reports a full disk in words ("database or disk is full"), not as an OSError."""
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    from reportqa.index import Layout, OpenIndex, ingest

    def full(*args: Any, **kwargs: Any) -> None:
        raise InternalError("error returned from database: (code: 13) database or disk is full")

    before = Layout(work_copy.index_dir).current()
    monkeypatch.setattr(Collection, "add", full)
    with pytest.raises(DiskFull) as info:
        ingest(work_copy, compact=True)  # every vector copied into a new collection
    assert "\n" not in info.value.message and info.value.hint
    assert Layout(work_copy.index_dir).current() == before
    monkeypatch.undo()
    ix = OpenIndex.open(work_copy)
    assert ix.collection.count() >= len(ix.passages) - ix.pending_passages


def test_a_full_disk_under_ask_is_one_line_on_the_command_line_and_503_in_the_api(
    index_config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError
    from fastapi.testclient import TestClient

    from reportqa.cli import main
    from reportqa.service import Assistant
    from reportqa.web.api import create_app

    def full(*args: Any, **kwargs: Any) -> None:
        raise InternalError("error returned from database: (code: 13) database or disk is full")

    assistant = Assistant.open(index_config)
    monkeypatch.setattr(Collection, "query", full)
    for key, value in env_for(index_config).items():
        monkeypatch.setenv(key, value)
    assert main(["ask", QUESTION]) == 7
    error, hint = one_line_error(capsys.readouterr().err)
    assert "disk is full" in error and "free space" in hint
    cfg = index_config.model_copy(update={"api": index_config.api.model_copy(
        update={"feedback_db": tmp_path / "f.db"})})
    with TestClient(create_app(cfg, assistant=assistant, ui=False, warm=False)) as c:
        r = c.post("/api/v1/ask", json={"question": QUESTION})
    assert r.status_code == 503 and r.headers["retry-after"]
    assert not any(w.lower() in r.text.lower() for w in PRIVATE), r.text


def test_a_full_disk_under_feedback_is_503_naming_no_path_or_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from fastapi.testclient import TestClient

    from reportqa.web import feedback as feedback_mod
    from reportqa.web.api import create_app

    db = tmp_path / "feedback.sqlite3"
    cfg = Config(index_dir=tmp_path / "index")
    cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"feedback_db": db})})
    body = {"question": "How many?", "answer": "12 [1]", "status": "answered", "helpful": True}
    real_connect = sqlite3.connect

    def full_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.close()
        raise sqlite3.OperationalError("database or disk is full")

    with TestClient(create_app(cfg, ui=False, warm=False)) as c:
        for fault in ("sqlite", "oserror"):
            with monkeypatch.context() as m:
                if fault == "sqlite":
                    m.setattr(sqlite3, "connect", full_connect)
                else:
                    m.setattr(Path, "mkdir", enospc)
                    c.app.state.feedback._ready = False  # type: ignore[attr-defined]  # makes its folder again
                r = c.post("/api/v1/feedback", json=body)
            assert r.status_code == 503, r.text
            assert r.json()["error"] and r.headers["retry-after"]
            assert not any(w.lower() in r.text.lower() for w in PRIVATE), r.text
        ok = c.post("/api/v1/feedback", json=body)  # space again: stored
    assert ok.status_code == 200 and ok.json()["stored"] is True
    with pytest.raises(DiskFull) as info, monkeypatch.context() as m:
        m.setattr(sqlite3, "connect", full_connect)
        feedback_mod.FeedbackStore(db).record("q", "a", True)
    assert "disk is full" in info.value.message and info.value.hint


def test_an_input_error_naming_a_file_or_a_setting_never_reaches_the_public(tmp_path: Path) -> None:
    """A bad feedback database (not a disk problem) is the command line's InputError naming the file and
    its setting; the API answers it without either."""
    from fastapi.testclient import TestClient

    from reportqa.web.api import create_app

    garbage = tmp_path / "not-a-db.sqlite3"
    garbage.write_bytes(b"this is not a database " * 100)
    cfg = Config(index_dir=tmp_path / "index")
    cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"feedback_db": garbage})})
    body = {"question": "How many?", "answer": "12 [1]", "status": "answered", "helpful": False}
    with TestClient(create_app(cfg, ui=False, warm=False)) as c:
        r = c.post("/api/v1/feedback", json=body)
    assert r.status_code == 503
    assert not any(w.lower() in r.text.lower() for w in PRIVATE), r.text


# -- a Chroma server that accepts and never answers ------------------------------------------------------


def test_a_frozen_chroma_server_is_503_within_the_timeout_and_healthz_says_so(
    index_config: Config, frozen_chroma: str, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from reportqa.service import Assistant
    from reportqa.web.api import create_app

    cfg = index_config.model_copy(update={
        "chroma_url": frozen_chroma, "chroma_timeout": 1.0,
        "api": index_config.api.model_copy(update={"feedback_db": tmp_path / "f.db"})})
    assistant = Assistant.open(cfg)  # opening reads the build on disk; Chroma is asked at the first search
    with TestClient(create_app(cfg, assistant=assistant, ui=False, warm=False)) as c:
        t0 = time.monotonic()
        health = c.get("/healthz")
        took = time.monotonic() - t0
        assert health.status_code == 503 and health.json()["status"] == "unavailable", health.text
        assert took < 3 * cfg.chroma_timeout + 1, took
        t0 = time.monotonic()
        r = c.post("/api/v1/ask", json={"question": QUESTION})
        took = time.monotonic() - t0
    assert r.status_code == 503 and r.headers["retry-after"], r.text
    assert took < 4 * cfg.chroma_timeout + 2, took  # the client's first round trips, then nothing more
    assert not any(w.lower() in (r.text + health.text).lower() for w in (*PRIVATE, "chroma", "127.0.0.1"))


def test_a_frozen_chroma_server_on_the_command_line_is_one_line_with_exit_code_6(
    index_config: Config, frozen_chroma: str
) -> None:
    env = env_for(index_config, REPORTQA_CHROMA_URL=frozen_chroma, REPORTQA_CHROMA_TIMEOUT="1")
    t0 = time.monotonic()
    proc = subprocess.run([str(VENV_BIN / "reportqa"), "ask", QUESTION], env=env, capture_output=True,
                          text=True, timeout=120)
    took = time.monotonic() - t0
    assert proc.returncode == StoreUnavailable.exit_code == 6, proc.stderr
    error, hint = one_line_error(proc.stderr)
    assert "Chroma server" in error and "not answering" in error and "chroma run" in hint
    assert took < 60, took


def test_a_stopped_chroma_server_is_store_unavailable_not_a_value_error(index_config: Config) -> None:
    from reportqa.index import OpenIndex

    cfg = index_config.model_copy(update={"chroma_url": f"http://127.0.0.1:{free_port()}",
                                          "chroma_timeout": 1.0})
    ix = OpenIndex.open(cfg)
    with pytest.raises(StoreUnavailable) as info:
        ix.check_store()
    assert "not answering" in info.value.message and info.value.exit_code == 6


# -- the HTTP server's limits -----------------------------------------------------------------------------


class InProcessServer:
    """The API on uvicorn with `web.server`'s protocol, in a thread of this process (short timeouts)."""

    def __init__(self, tmp: Path, head_timeout: float = 1.0, body_timeout: float = 1.0) -> None:
        import uvicorn

        from reportqa.web.api import create_app
        from reportqa.web.server import limited_protocol, server_config

        cfg = Config(index_dir=tmp / "index")
        cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"feedback_db": tmp / "f.db"})})
        self.port = free_port()
        config = server_config(create_app(cfg, ui=False, warm=False), "127.0.0.1", self.port,
                               protocol=limited_protocol(head_timeout, body_timeout))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[InProcessServer]:
    s = InProcessServer(tmp_path)
    try:
        yield s
    finally:
        s.stop()


def read_response(sock: socket.socket, limit: float = 10.0) -> bytes:
    sock.settimeout(limit)
    out = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return out


def send_huge_header(port: int, size: int) -> tuple[bytes, int]:
    """Send a request whose one header is `size` bytes, in 64 KB writes, until the server answers or closes;
    returns its answer and how many bytes were sent."""
    import select

    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sent = 0
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        chunk = b"a" * 65536
        while sent < size:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return read_response(sock), sent
    finally:
        sock.close()


def test_a_huge_header_is_431_after_a_bounded_read(http_server: InProcessServer) -> None:
    answer, sent = send_huge_header(http_server.port, 100 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert sent < 8 * 1024 * 1024, sent  # refused long before the 100 MB were sent
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["error"] and body["hint"]


def test_too_many_header_fields_are_431(http_server: InProcessServer) -> None:
    headers = {f"x-h{i}": "1" for i in range(150)}
    r = httpx.get(f"http://127.0.0.1:{http_server.port}/healthz", headers=headers, timeout=10)
    assert r.status_code == 431 and r.json()["error"]
    ok = httpx.get(f"http://127.0.0.1:{http_server.port}/healthz", headers=dict(list(headers.items())[:50]),
                   timeout=10)
    assert ok.status_code == 200


def test_a_slow_head_a_slow_body_and_a_silent_connection_time_out_with_408(
    http_server: InProcessServer,
) -> None:
    port = http_server.port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the head never ends
        t0 = time.monotonic()
        answer = read_response(s)
        assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - t0 < 5, answer[:100]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{\"question\":")  # 12 of the 100 bytes promised
        t0 = time.monotonic()
        answer = read_response(s)
        assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - t0 < 5, answer[:100]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # connects, says nothing
        t0 = time.monotonic()
        answer = read_response(s)
        assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - t0 < 5, answer[:100]
    # an ordinary client, kept alive between requests, is not disturbed
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
        for _ in range(3):
            assert c.get("/healthz").status_code == 200
            time.sleep(0.3)
        assert c.post("/api/v1/feedback", json={"question": "q", "answer": "a", "status": "answered",
                                                "helpful": True}).status_code == 200


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


@pytest.mark.slow
def test_reportqa_serve_refuses_a_100_mb_header_with_431_in_bounded_memory(tmp_path: Path) -> None:
    """The real command: four 100 MB headers at once; the server's peak memory grows by a few MB."""
    port = free_port()
    cfg = Config(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    env = env_for(cfg, REPORTQA_API__FEEDBACK_DB=str(tmp_path / "f.db"))
    server = subprocess.Popen([str(VENV_BIN / "reportqa"), "serve", "--no-ui", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "serve exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        time.sleep(1.0)  # the failed warm-up (there is no index) has settled
        peak_before = _rss_kb(server.pid, "VmHWM")
        results: list[tuple[bytes, int]] = []
        threads = [threading.Thread(target=lambda: results.append(send_huge_header(port, 100 * 1024 * 1024)))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        peak_after = _rss_kb(server.pid, "VmHWM")
        assert len(results) == 4 and all(a.startswith(b"HTTP/1.1 431 ") for a, _ in results), results
        assert peak_after - peak_before < 20_000, (peak_before, peak_after)  # KB
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_callers_queued_behind_a_frozen_chroma_server_do_not_each_wait_the_timeout(
    index_config: Config, frozen_chroma: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from reportqa.index import OpenIndex

    cfg = index_config.model_copy(update={"chroma_url": frozen_chroma, "chroma_timeout": 1.0})
    ix = OpenIndex.open(cfg)

    def check() -> str:
        try:
            ix.check_store()
        except StoreUnavailable as exc:
            return exc.message
        return "answered"

    t0 = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: check(), range(6)))
    took = time.monotonic() - t0
    assert all("not answering" in r for r in results), results
    assert took < 3 * cfg.chroma_timeout + 1, took  # one client's round trips, not six in turn
