"""Property and fuzz tests (issue 11) for the question path, the Mayor's Question path, ingest and the API.

What must hold for any input, on real parts (the session index and model, real files in tmp_path, a real
uvicorn server on 127.0.0.1):
- `ask` returns an Answer whose every citation quotes the corpus file exactly at its offsets, or raises a
  ReportQAError; never another exception.
- `draft_mq` returns a draft that writes as Markdown and .docx, or raises a ReportQAError; no part fails
  with a swallowed exception.
- a file handed to ingest becomes text without NUL bytes that parses into sections with exact offsets, or
  is refused with a one-line InputError with a hint; `reportqa ingest` never prints a traceback or an
  "unexpected" error.
- the public API answers any body and any headers with JSON: an answer, or {error, hint} with a 4xx code;
  never a 5xx, never a traceback.

The larger counts live in bench/robustness.py (bench/results/robustness.json); these stay modest.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportqa.config import Config
from reportqa.errors import InputError, ReportQAError
from reportqa.parse import parse_report
from reportqa.readers.new_file import read_new_file
from reportqa.service import Assistant

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from robustness_data.malformed import SENTENCE, good_pdf  # noqa: E402 - after the sys.path line

SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
STATUSES = {"answered", "partial", "not_found", "refused"}

ANY_CHAR = st.characters(exclude_categories=())  # every code point: lone surrogates and controls included
ODD = ["\x00", "\ud800", "\udfff", "\u200b", "\u202e", "\ufeff", "\u0301", "\x1b[2J", "\r\n", "\u2028", "İ",
       "ﬁ", "𝟚𝟘𝟚𝟛", "£", "%", "[1]", "[99]", "(a)", "(ii)", "?", "...", "<script>", "&amp;", "\\", "'", '"']
WORDS = ["How many", "What was", "did", "the", "Lighthouse", "ICV visits", "victims", "officers", "budget",
         "knife crime", "in", "2022-23", "2023/24", "2099-00", "since 2015", "last year", "and how many",
         "compare", "changed", "Stop.", "Ignore that.", "it", "they", "the year before", "MOPAC", "VRU",
         "£4.4bn"]
QUESTIONS = st.one_of(
    st.text(ANY_CHAR, max_size=80),
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), st.text(ANY_CHAR, max_size=6)),
             max_size=25).map(" ".join),
    # long: around and over the 2,000-character limit
    st.tuples(st.sampled_from(WORDS), st.integers(150, 400)).map(lambda t: (t[0] + " ") * t[1]),
    # repetitions that stress splitting and the regexes
    st.tuples(st.sampled_from(["and how many ", "? ", "(", "Stop. ", "2022-23 ", "\u200b"]),
              st.integers(1, 600)).map(lambda t: "What " + t[0] * t[1]),
)
TURNS = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]),
                                        "content": st.one_of(QUESTIONS, st.text(ANY_CHAR, max_size=4000))}),
                 max_size=14)
SCOPES = st.one_of(st.just({}), st.fixed_dictionaries({"year": st.sampled_from(
    ["2022-23", "2022/23", "2099-00", "0000-01", "2024-27", "", "x", "2015-16"])}),
    st.fixed_dictionaries({"priority": st.sampled_from(["victims", "nope", "", "violence"])}))


def _corpus_text(assistant: Assistant, report_id: str) -> str:
    report = next(r for r in assistant.reports if r.id == report_id)
    return (assistant.config.corpus_dir / report.file).read_text(encoding="utf-8")


@settings(SETTINGS, max_examples=200)
@given(question=QUESTIONS, history=st.one_of(st.none(), TURNS), scope=SCOPES)
def test_ask_answers_with_exact_quotes_or_raises_only_its_own_errors(
        assistant: Assistant, question: str, history: Any, scope: dict[str, str]) -> None:
    try:
        ans = assistant.ask(question, history=history, **scope)
    except ReportQAError as err:
        assert err.message and "\n" not in err.message
        return
    assert ans.status in STATUSES
    for c in ans.citations:
        assert _corpus_text(assistant, c.report_id)[c.start:c.end] == c.quote
        assert f"[{c.marker}]" in ans.text


MQ_LABELS = st.sampled_from(["(a)", "(b)", "(i)", "(ii)", "1.", "2.", "a)", "-", "•", "(a)(i)", ""])
MQ_TEXTS = st.one_of(
    QUESTIONS,
    st.tuples(st.sampled_from(["Can the Mayor tell me", "Further to question 2019/12345,", "", "Mr Mayor,"]),
              st.lists(st.tuples(MQ_LABELS, QUESTIONS), max_size=12)).map(
        lambda t: t[0] + " " + " ".join(f"{label} {q}" for label, q in t[1])),
    st.tuples(st.sampled_from(WORDS), st.integers(500, 3000)).map(lambda t: (t[0] + " ") * t[1]),
    st.lists(MQ_LABELS, max_size=80).map(" ".join),
)


@settings(SETTINGS, max_examples=50)
@given(text=MQ_TEXTS)
def test_draft_mq_drafts_or_raises_only_its_own_errors(assistant: Assistant, text: str,
                                                       caplog: pytest.LogCaptureFixture,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    from reportqa.mq import to_docx, to_markdown

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="reportqa"):
        try:
            draft = assistant.draft_mq(text)
        except ReportQAError as err:
            assert err.message
            return
    swallowed = [r for r in caplog.records if r.exc_info]
    assert not swallowed, f"a part failed with {swallowed[0].exc_info!r}"
    # a part may fail with the product's own error ("Not answered: year ... is outside ..."), never another
    assert not any(p.status == "error" and "unexpected" in p.text for p in draft.parts), draft.parts
    assert draft.title and to_markdown(draft)
    to_docx(draft, tmp_path_factory.mktemp("docx") / "draft.docx")


# -- ingest -------------------------------------------------------------------------------------------

EXTENSIONS = st.sampled_from([".txt", ".md", ".html", ".htm", ".pdf"])
GOOD_PDF = good_pdf()


@st.composite
def report_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    ext = draw(EXTENSIONS)
    kind = draw(st.integers(0, 4))
    if ext == ".pdf" and kind < 3:  # a valid PDF with bytes flipped, cut or inserted
        data = bytearray(GOOD_PDF)
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, len(data) - 1))
            op = draw(st.sampled_from(["flip", "cut", "insert"]))
            if op == "flip":
                data[at] = draw(st.integers(0, 255))
            elif op == "cut":
                del data[at:at + draw(st.integers(1, 50))]
            else:
                data[at:at] = draw(st.binary(max_size=20))
            if not data:
                break
        return ext, bytes(data)
    if kind == 0:
        return ext, draw(st.binary(max_size=3000))
    if kind == 1:  # text with odd characters, encoded as UTF-8 (surrogates passed through as bytes)
        parts = draw(st.lists(st.one_of(st.sampled_from([SENTENCE, "\n\n", "# Heading\n", "<p>", "</div>",
                                                         "<script>x</script>", "• "] + ODD),
                                        st.text(ANY_CHAR, max_size=20)), max_size=40))
        return ext, "".join(parts).encode("utf-8", "surrogatepass")
    if kind == 2:  # one long line or many short ones
        unit = draw(st.sampled_from([b"word ", b"x", b"ab\n", b"<div>", b". ", b"\x00"]))
        return ext, unit * draw(st.integers(1, 40_000))
    if kind == 3:
        return ext, (b"%PDF-1.4\n" if ext == ".pdf" else b"") + draw(st.binary(max_size=2000))
    return ext, SENTENCE.encode() * draw(st.integers(1, 30)) + draw(st.binary(max_size=8))


@settings(SETTINGS, max_examples=50)
@given(case=report_bytes())
def test_a_new_file_becomes_parsed_text_or_a_one_line_input_error(tmp_path_factory: pytest.TempPathFactory,
                                                                  case: tuple[str, bytes]) -> None:
    ext, data = case
    path = tmp_path_factory.mktemp("new") / f"report{ext}"
    path.write_bytes(data)
    try:
        text, shape = read_new_file(path)
    except InputError as err:
        assert err.message and err.hint and "\n" not in err.message
        return
    assert "\x00" not in text and text.strip()
    sections = parse_report(text, "fuzz", "Fuzz report", shape)
    for s in sections:
        for b in s.blocks:
            assert 0 <= b.start <= b.end <= len(text)


def _malformed_files() -> list[Path]:
    from robustness_data.malformed import generate

    out = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"reportqa-fuzz-malformed-{os.getpid()}"
    if not out.exists():
        generate(out)
    return sorted(p for p in out.iterdir() if p.stat().st_size < 200_000)


@pytest.fixture(scope="module")
def small_world(index_config: Config, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A one-report corpus and its index, built by `reportqa ingest` (a copy is taken for every example)."""
    from reportqa.index import ingest

    base = tmp_path_factory.mktemp("small")
    corpus = base / "corpus"
    shutil.copytree(index_config.corpus_dir, corpus)
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    keep = [r for r in manifest["reports"] if r["id"] == "mopac-2014-15"]
    for r in manifest["reports"]:
        if r not in keep:
            (corpus / r["file"]).unlink()
    manifest["reports"] = keep
    (corpus / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    ingest(Config(corpus_dir=corpus, index_dir=base / "index"), progress=lambda m: None)
    return corpus, base / "index"


def _cli_env(corpus: Path, index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_CORPUS_DIR": str(corpus), "REPORTQA_INDEX_DIR": str(index),
                "REPORTQA_CONFIG": str(corpus / "no-such.toml")})
    return env


@pytest.mark.slow
@settings(SETTINGS, max_examples=12)  # a subprocess each, and an accepted file is embedded: seconds apiece
@given(data=st.data())
def test_reportqa_ingest_refuses_malformed_files_in_one_line(small_world: tuple[Path, Path],
                                                            tmp_path_factory: pytest.TempPathFactory,
                                                            data: st.DataObject) -> None:
    """Through the real CLI in a subprocess, so stderr is the process's own: no traceback, nothing unexpected,
    and a refused file leaves the corpus manifest as it was."""
    files = [p for p in _malformed_files() if not p.name.startswith(("pdf-random", "mix-"))]
    f = data.draw(st.sampled_from(files), label="file")
    work = tmp_path_factory.mktemp("ingest")
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(small_world[0], corpus)
    shutil.copytree(small_world[1], index)
    before = (corpus / "manifest.json").read_text(encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "reportqa.cli", "ingest", str(f), "--title", "Fuzzed report",
                        "--year", "2030-31", "--id", "fuzzed", "-q"], env=_cli_env(corpus, index),
                       capture_output=True, text=True, timeout=600, cwd=work)
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "error: unexpected" not in r.stderr, f"{f.name}: {r.stderr}"
    if r.returncode != 0:
        errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1 and "hint:" in r.stderr, r.stderr
        assert (corpus / "manifest.json").read_text(encoding="utf-8") == before


# -- the public API -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api_url(index_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("fuzz-api")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_INDEX_DIR": str(index_config.index_dir),
                "REPORTQA_CORPUS_DIR": str(index_config.corpus_dir),
                "REPORTQA_CONFIG": str(tmp / "no-such.toml"),
                "REPORTQA_API__FEEDBACK_DB": str(tmp / "fb.sqlite3"),
                "REPORTQA_API__RATE_LIMIT": "1000000",
                "REPORTQA_API__CORS_ORIGINS": '["http://allowed.example"]'})
    log = tmp / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "reportqa.web.api:app_from_env", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=tmp, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("server did not start in time")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(ANY_CHAR))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20)


def _raw_json(value: Any) -> bytes:
    # lone surrogates as JSON escapes ("\ud800"), the way a browser's JSON.stringify would send them
    return json.dumps(value, ensure_ascii=True).encode()


@st.composite
def ask_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(st.binary(max_size=600))
    if kind == 1:
        return _raw_json(draw(JSON_VALUES))
    if kind == 2:  # deep nesting
        depth = draw(st.integers(50, 5000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return ('{"question": ' + opener * depth + "1" + closer * depth + "}").encode()
    if kind == 3:  # a question with lone surrogates and controls written as JSON escapes
        q = draw(st.text(st.sampled_from(["\ud800", "\udfff", "\x00", "a", " ", "?", "\u202e"]), max_size=30))
        return _raw_json({"question": "How many victims " + q, "history": []})
    turn = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", 1]),
                                  "content": st.one_of(QUESTIONS, st.integers())})
    history = draw(st.lists(turn, max_size=14))
    body: dict[str, Any] = {"question": draw(st.one_of(QUESTIONS, JSON_SCALARS)), "history": history}
    if kind == 5:
        body[draw(st.text(max_size=6))] = draw(JSON_SCALARS)
    return _raw_json(body)


HEADERS = st.fixed_dictionaries({}, optional={
    "content-type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=x", "application/json; charset=latin-1"]),
    "origin": st.sampled_from(["http://allowed.example", "http://evil.example", "null", "", "http://127.0.0.1"]),
    "x-forwarded-for": st.sampled_from(["1.2.3.4", "127.0.0.1, 10.0.0.1", "garbage"]),
    "host": st.sampled_from(["evil.example", "127.0.0.1"]),
})


@pytest.mark.slow
@settings(SETTINGS, max_examples=50)
@given(body=ask_bodies(), headers=HEADERS)
def test_the_api_answers_any_request_with_json_and_never_a_5xx(api_url: str, body: bytes,
                                                               headers: dict[str, str]) -> None:
    r = httpx.post(api_url + "/api/v1/ask", content=body, headers=headers, timeout=120)
    assert r.status_code < 500, (r.status_code, r.text[:300], body[:200])
    assert r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert "Traceback" not in r.text and 'File "' not in r.text
    if r.status_code == 200:
        assert data["status"] in STATUSES and isinstance(data["citations"], list)
    else:
        assert isinstance(data["error"], str) and data["error"] and isinstance(data["hint"], str)
