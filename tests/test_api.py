"""The public widget's HTTP API, tested against real uvicorn servers on 127.0.0.1 and a real index.

Each server test speaks from its own loopback address (127.0.0.N), so the per-client rate limit of
one test never spends another's budget.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from reportqa.config import Config
from reportqa.web.api import RateLimiter

if TYPE_CHECKING:
    from reportqa.service import Assistant

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How many people did the London Victim and Witness Service support?"
ALLOWED = "http://allowed.example"
REFUSED = "http://evil.example"
RATE_LIMIT = 6
_addresses = itertools.count(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`uvicorn reportqa.web.api:app_from_env --factory` in a subprocess; settings by environment."""

    def __init__(self, index_config: Config, tmp: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.feedback_db = tmp / "feedback.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
        env.update({
            "REPORTQA_INDEX_DIR": str(index_config.index_dir),
            "REPORTQA_CORPUS_DIR": str(index_config.corpus_dir),
            "REPORTQA_CONFIG": str(tmp / "no-such-reportqa.toml"),
            "REPORTQA_API__FEEDBACK_DB": str(self.feedback_db),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            **{f"REPORTQA_API__{k.upper()}": v for k, v in settings.items()},
        })
        self.log = tmp / f"server-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "reportqa.web.api:app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=tmp, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not start in time")

    def client(self) -> httpx.Client:
        """A client on a loopback address of its own: the server sees a new visitor."""
        address = f"127.0.0.{next(_addresses)}"
        return httpx.Client(base_url=self.url, timeout=120,
                            transport=httpx.HTTPTransport(local_address=address))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def server(index_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("api"), rate_limit=str(RATE_LIMIT), rate_window="600",
               max_question_chars="300", max_body_bytes="4096", cors_origins=json.dumps([ALLOWED]))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def closed_server(index_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("api-off"), public_enabled="false")
    yield s
    s.stop()


def assert_error_body(r: httpx.Response) -> dict[str, object]:
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["hint"], str)
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body  # type: ignore[no-any-return]


# -- server tests ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ask_returns_an_answer_with_citations_in_the_documented_shape(server: Server) -> None:
    with server.client() as c:
        r = c.post("/api/v1/ask", json={"question": QUESTION})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"status", "text", "citations", "related", "missing", "rewritten_question",
                             "trend", "notice"}
        assert body["related"] == [] and body["missing"] == "" and body["trend"] is None
        assert body["status"] == "answered"
        assert "50,000" in body["text"] and "[1]" in body["text"]
        assert "out of date" in body["notice"]
        corpus = (ROOT / "corpus" / "mopac-2022-23.txt").read_text(encoding="utf-8")
        for cite in body["citations"]:
            assert {"marker", "title", "year", "section", "quote", "passage_url"} <= set(cite)
            assert set(cite) <= {"marker", "title", "year", "section", "quote", "url", "passage_url"}
            assert f"[{cite['marker']}]" in body["text"]
        first = body["citations"][0]
        assert first["year"] == "2022-23" and first["quote"] in corpus
        assert first["passage_url"].startswith(server.url + "/source/")
        page = c.get(first["passage_url"])
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "<mark>" in page.text and "nearly 50,000 people" in page.text


@pytest.mark.slow
def test_history_carries_the_topic_into_a_follow_up(server: Server) -> None:
    history = [
        {"role": "user", "content": QUESTION.replace("?", " in 2023-24?")},
        {"role": "assistant", "content": "It supported many people."},
    ]
    with server.client() as c:
        r = c.post("/api/v1/ask", json={"question": "And the year before?", "history": history})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rewritten_question"] != "And the year before?"
    assert "Witness Service" in body["rewritten_question"]


@pytest.mark.slow
def test_a_year_outside_the_collection_is_not_found_not_an_error(server: Server) -> None:
    with server.client() as c:
        r = c.post("/api/v1/ask", json={"question": "What was the LVWS budget in 2031-32?"})
    assert r.status_code == 200
    assert r.json()["status"] == "not_found" and r.json()["citations"] == []


@pytest.mark.slow
def test_bad_requests_get_json_errors_without_tracebacks(server: Server) -> None:
    with server.client() as c:
        cases = [
            (c.post("/api/v1/ask", content=b"{not json", headers={"content-type": "application/json"}), 400),
            (c.post("/api/v1/ask", json={}), 422),
            (c.post("/api/v1/ask", json={"question": "  "}), 422),
            (c.post("/api/v1/ask", json={"question": 42}), 422),
            (c.post("/api/v1/ask", json={"question": "hi", "admin": True}), 422),
            (c.post("/api/v1/ask", json={"question": "hi", "history": [{"role": "system", "content": "x"}]}),
             422),
            (c.get("/api/v1/nothing-here"), 404),
            (c.get("/source/no-such-passage"), 404),
        ]
    for r, status in cases:
        assert r.status_code == status, (r.request.url, r.text)
        assert_error_body(r)


@pytest.mark.slow
def test_question_and_body_caps_answer_413(server: Server) -> None:
    with server.client() as c:
        long_q = c.post("/api/v1/ask", json={"question": "why " * 80})  # 320 chars > 300
        assert long_q.status_code == 413
        assert "too long" in assert_error_body(long_q)["error"]
        history = [{"role": "user", "content": "x" * 3000}] * 2  # each turn is valid; together too big
        big = c.post("/api/v1/ask", json={"question": "hi", "history": history})
        assert big.status_code == 413
        assert_error_body(big)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
            yield b'{"question": "hi", "pad": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        streamed = c.post("/api/v1/ask", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        assert_error_body(streamed)


@pytest.mark.slow
def test_rate_limit_answers_429_with_retry_after_per_client(server: Server) -> None:
    with server.client() as c:
        for _ in range(RATE_LIMIT):  # invalid bodies are cheap, and still count against the limit
            assert c.post("/api/v1/ask", json={}).status_code == 422
        r = c.post("/api/v1/ask", json={"question": "How many people did the LVWS support?"})
        assert r.status_code == 429
        body = assert_error_body(r)
        retry = int(r.headers["retry-after"])
        assert 1 <= retry <= 600 and body["retry_after"] == retry
    with server.client() as other:  # another visitor is not affected
        assert other.post("/api/v1/ask", json={}).status_code == 422


@pytest.mark.slow
def test_cors_allows_listed_origins_and_refuses_others(server: Server) -> None:
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    with server.client() as c:
        ok = c.options("/api/v1/ask", headers={"Origin": ALLOWED, **pre})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == ALLOWED
        bad = c.options("/api/v1/ask", headers={"Origin": REFUSED, **pre})
        assert bad.status_code == 400
        assert "access-control-allow-origin" not in bad.headers

        r = c.post("/api/v1/ask", json={}, headers={"Origin": ALLOWED})
        assert r.headers["access-control-allow-origin"] == ALLOWED
        assert "retry-after" in r.headers["access-control-expose-headers"].lower()
        refused = c.post("/api/v1/ask", json={"question": "hi"}, headers={"Origin": REFUSED})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
        assert_error_body(refused)
        for resp in (ok, r, c.get("/healthz", headers={"Origin": REFUSED})):
            assert resp.headers.get("access-control-allow-origin") != "*"


@pytest.mark.slow
def test_widget_script_is_served_and_builds_the_page_from_text(server: Server) -> None:
    with server.client() as c:
        r = c.get("/widget.js")
        info = c.get("/api/v1/info").json()
        health = c.get("/healthz").json()
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert "textContent" in r.text and "innerHTML" not in r.text and "eval(" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert info["enabled"] is True and info["max_question_chars"] == 300
    assert health["status"] == "ok"


@pytest.mark.slow
def test_public_questions_are_not_stored_by_default(server: Server) -> None:
    with server.client() as c:
        assert c.post("/api/v1/ask", json={"question": "What is the Lighthouse?"}).status_code == 200
    from reportqa.web.feedback import FeedbackStore

    assert FeedbackStore(server.feedback_db).public_questions() == []


@pytest.mark.slow
def test_kill_switch_answers_503_politely(closed_server: Server) -> None:
    with closed_server.client() as c:
        r = c.post("/api/v1/ask", json={"question": "How many people did the LVWS support?"})
        info = c.get("/api/v1/info").json()
        widget = c.get("/widget.js")
    assert r.status_code == 503
    body = assert_error_body(r)
    assert "switched off" in str(body["error"]) and "please" in str(body["error"]).lower()
    assert info["enabled"] is False and "switched off" in info["message"]
    assert widget.status_code == 200


# -- in-process tests: the same app, for what a real server cannot be made to do -----------------------


def test_unexpected_errors_become_json_without_internals(index_config: Config, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from reportqa.web.api import create_app

    class Exploding:
        reports: list[object] = []

        def ask(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("secret /etc/internal/path")

    api = index_config.api.model_copy(update={"feedback_db": tmp_path / "f.db"})
    cfg = index_config.model_copy(update={"api": api})
    app = create_app(cfg, assistant=Exploding(), ui=False)  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/ask", json={"question": "anything"})
    assert r.status_code == 500
    body = assert_error_body(r)
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert body["error"] == "something went wrong on our side"


def test_public_questions_are_stored_only_when_configured(assistant: Assistant, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from reportqa.web.api import create_app
    from reportqa.web.feedback import FeedbackStore

    cfg = assistant.config
    db = tmp_path / "f.db"
    api = cfg.api.model_copy(update={"feedback_db": db, "store_public_questions": True})
    app = create_app(cfg.model_copy(update={"api": api}), assistant=assistant, ui=False)
    with TestClient(app) as c:
        r = c.post("/api/v1/ask", json={"question": "What is the Lighthouse?"})
    assert r.status_code == 200
    rows = FeedbackStore(db).public_questions()
    assert [(q["question"], q["status"]) for q in rows] == [("What is the Lighthouse?", r.json()["status"])]


def test_a_wildcard_cors_origin_is_refused(tmp_path: Path) -> None:
    from reportqa.config import Config
    from reportqa.errors import ReportQAError
    from reportqa.web.api import create_app

    cfg = Config(index_dir=tmp_path / "index")
    cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"cors_origins": ["*"]})})
    with pytest.raises(ReportQAError, match="wildcard"):
        create_app(cfg, ui=False)


# -- units ----------------------------------------------------------------------------------------------


def test_rate_limiter_slides_its_window() -> None:
    now = [100.0]
    rl = RateLimiter(limit=2, window=10, clock=lambda: now[0])
    assert rl.check("a") == 0 and rl.check("a") == 0
    assert rl.check("a") == pytest.approx(10)
    assert rl.check("b") == 0  # per client
    now[0] = 105.0
    assert rl.check("a") == pytest.approx(5)
    now[0] = 110.5
    assert rl.check("a") == 0


def test_feedback_is_stored_and_exported_as_csv(assistant: Assistant, tmp_path: Path) -> None:
    from reportqa.cli import main
    from reportqa.web.feedback import FeedbackStore

    ans = assistant.ask(QUESTION)
    db = tmp_path / "fb.sqlite3"
    store = FeedbackStore(db)
    store.record(ans.question, ans, True, "clear, with the figure")
    store.record(ans.question, ans, False, "=HYPERLINK(\"http://x\")")
    out = tmp_path / "out" / "feedback.csv"
    assert main(["feedback", "export", "--db", str(db), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["helpful"] for r in rows] == ["helpful", "not helpful"]
    assert rows[0]["question"] == ans.question and rows[0]["answer"] == ans.text
    cites = json.loads(rows[0]["citations"])
    assert cites[0]["report_id"] == "mopac-2022-23" and cites[0]["quote"] == ans.citations[0].quote
    assert rows[1]["comment"].startswith("'=")  # a spreadsheet will not run it as a formula


def test_source_rendering_escapes_corpus_text_and_marks_the_quote() -> None:
    from reportqa.web.ui import chat_html, esc, locate, passage_html

    hostile = "Before <script>alert(1)</script> ${x} {{y}} and <img src=x onerror=alert(1)> after."
    out = passage_html(hostile, "<img src=x onerror=alert(1)>")
    assert "<script>" not in out and "<img" not in out and "${" not in out and "{{" not in out
    assert "<mark>&lt;img src=x onerror=alert(1)&gt;</mark>" in out
    assert locate("It supported nearly\n50,000 people.", "supported nearly 50,000") == (3, 26)
    assert locate("• The  Lighthouse relaunched", "The Lighthouse relaunched") == (2, 28)
    assert passage_html("abc", "zzz").startswith("<mark>zzz</mark>")
    assert chat_html("a<b>\nc") == "a&lt;b&gt;<br>c"
    assert esc("`$`") == "&#96;&#36;&#96;"


def test_workspace_login_guards_the_workspace_not_the_public_api(
    assistant: Assistant, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from reportqa.web.api import create_app

    cfg = assistant.config
    login = SecretStr("officer:pw-123")
    api = cfg.api.model_copy(update={"feedback_db": tmp_path / "f.db", "workspace_auth": login})
    app = create_app(cfg.model_copy(update={"api": api}), assistant=assistant, ui=True)
    with TestClient(app) as c:
        assert c.get("/config").status_code == 401
        assert c.post("/login", data={"username": "officer", "password": "wrong"}).status_code == 400
        assert c.post("/api/v1/ask", json={"question": "What is the Lighthouse?"}).status_code == 200
        assert c.post("/login", data={"username": "officer", "password": "pw-123"}).status_code == 200
        assert c.get("/config").status_code == 200


def test_a_warming_server_is_not_healthy_until_the_assistant_is_loaded(tmp_path: Path) -> None:
    """`reportqa serve` loads the model and indexes before /healthz says ok; a failed load is tried again."""
    import threading

    from fastapi.testclient import TestClient

    from reportqa.web.api import create_app

    release = threading.Event()
    calls: list[str] = []

    class Slow:
        reports: list[object] = []

        def warm(self) -> None:
            calls.append("warm")
            if len(calls) == 1:
                raise RuntimeError("no index yet")
            assert release.wait(30)

    cfg = Config(index_dir=tmp_path / "index")
    cfg = cfg.model_copy(update={"api": cfg.api.model_copy(update={"feedback_db": tmp_path / "f.db"})})
    app = create_app(cfg, assistant=Slow(), ui=False, warm=True)  # type: ignore[arg-type]

    def health() -> httpx.Response:
        deadline = time.monotonic() + 30
        while True:  # the thread of the previous warm-up may still be ending
            r = c.get("/healthz")
            if r.status_code == 200 or len(calls) >= 2 or time.monotonic() > deadline:
                return r
            time.sleep(0.05)

    with TestClient(app) as c:
        r = health()  # the first warm-up failed; this health check started a second one, which waits
        assert r.status_code == 503 and r.json()["status"] == "starting" and calls == ["warm", "warm"]
        assert c.get("/healthz").status_code == 503
        release.set()
        deadline = time.monotonic() + 30
        while c.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert c.get("/healthz").json()["status"] == "ok" and calls == ["warm", "warm"]
