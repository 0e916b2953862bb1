"""Quotes as people see and copy them, and answers that say when the corpus changed after the build.

The index keeps every quote exact (its offsets into the corpus file, soft hyphens and PDF line breaks
included); the CLI, the workspace, the /source page and the widget show and copy it without soft hyphens
(U+00AD), zero-width characters or line breaks (`reportqa.display`). A real index is built from a PDF report
with such characters; then its corpus file is edited, and `ask --json` and the API say `stale: true` and
name the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportqa.config import Config
from reportqa.display import INVISIBLE, clean_passage, clean_quote, clean_text, marked
from reportqa.types import Answer, Citation

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CLI = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "reportqa"
# in the PDF text: "The number of murders has \nfallen, from 144 in 2008 to 111 in 2015."
SOFT = ("The number of murders has \nfallen, from 144 in 2008",
        "The num\u00adber of murders has fal\u00ad\nlen, from 144 in 2008")
ZERO_WIDTH = ("Total recorded crime is down 10%.", "Total recorded\u200b crime is down\ufeff 10%.")
QUESTION = "How many murders were there in London in 2015?"
SHOWN = "The number of murders has fallen, from 144 in 2008 to 111 in 2015."


def invisible(text: str) -> set[str]:
    return {c for c in text if c in INVISIBLE}


# -- the cleaning ----------------------------------------------------------------------------------------


def test_a_quote_is_shown_on_one_line_without_invisible_characters() -> None:
    assert clean_quote("It sup\u00adported 19 pro\u00adjects.") == "It supported 19 projects."
    assert clean_quote("It sup\u00ad\nported them") == "It supported them"  # softly hyphenated at a line end
    assert clean_quote("It sup\u00ad ported them") == "It supported them"  # the line break made a space
    assert clean_quote("a\u200bb\u200c c\u200d\u2060d\ufeff") == "ab cd"
    assert clean_quote("supported by the \nMayor's Office\r\n and  the  Met") == (
        "supported by the Mayor's Office and the Met")
    assert clean_quote("the pan-\nLondon service") == "the pan-London service"  # a real hyphen is kept
    assert clean_quote("2015 -\n2016") == "2015 - 2016"
    assert clean_text("Line one sup\u00adported\nline two\u200b") == "Line one supported\nline two"


def test_a_pdf_passage_joins_its_lines_but_keeps_paragraphs_and_list_items() -> None:
    pdf = "First line of a\nparagraph, sup\u00ad\nported.\n\n• one item\n• another\nitem wrapped\n\nEnd."
    assert clean_passage(pdf, join_lines=True) == (
        "First line of a paragraph, supported.\n\n• one item\n• another item wrapped\n\nEnd.")
    web = "# Heading\nA line.\n\n- item\u200b one\n- item two"
    assert clean_passage(web, join_lines=False) == "# Heading\nA line.\n\n- item one\n- item two"


def test_the_marked_span_is_the_exact_span_cleaned() -> None:
    text = "Before it.\nThe num\u00adber has fal\u00ad\nlen to\n111. After it."
    a, b = text.index("The"), text.index("111.") + 4
    before, span, after = marked(text, a, b, join_lines=True)
    assert (before, span, after) == ("Before it. ", "The number has fallen to 111.", " After it.")
    assert marked(text, 0, 0, join_lines=False)[1] == ""


@given(st.text(alphabet=st.sampled_from(list("ab -\n\t.") + list(INVISIBLE)), max_size=60))
def test_cleaning_drops_only_invisible_characters_and_spacing(text: str) -> None:
    shown = clean_quote(text)
    assert not invisible(shown) and "\n" not in shown and "  " not in shown
    letters = re.sub(r"[^ab.]", "", text)
    assert re.sub(r"[^ab.]", "", shown) == letters  # nothing else is lost, nothing added
    for join in (True, False):
        passage = clean_passage(text, join_lines=join)
        assert not invisible(passage) and re.sub(r"[^ab.]", "", passage) == letters


def _answer(quote: str) -> Answer:
    cite = Citation(marker=1, passage_id="p1", report_id="r1", title="MOPAC Annual Report", year="2015-16",
                    section="Foreword", priority="general", quote=quote, start=10, end=10 + len(quote),
                    passage="Before. " + quote + " After.")
    return Answer(status="answered", text="It fell to 111 [1], sup\u00adported by the figures.",
                  citations=[cite], question="q")


def test_the_cli_and_the_workspace_show_and_copy_clean_quotes() -> None:
    from reportqa.cli import render_answer
    from reportqa.web.ui import answer_plain, passage_html, reference_line

    quote = SOFT[1] + " to 111\u200b in 2015."
    ans = _answer(quote)
    shown = render_answer(ans)
    assert "The number of murders has fallen, from 144 in 2008 to 111 in 2015." in shown
    assert "supported by the figures" in shown and not invisible(shown)
    line = reference_line(ans.citations[0])
    assert line.endswith(f"“{SHOWN}”") and not invisible(line)
    copied = answer_plain(ans)
    assert SHOWN in copied and not invisible(copied) and "supported" in copied
    html = passage_html(ans.citations[0].passage, quote)
    assert f"<mark>{SHOWN}</mark>" in html and not invisible(html)
    assert ans.citations[0].quote == quote  # the data keeps the exact text


# -- a real index over a PDF report with soft hyphens and zero-width characters --------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Config:
    from reportqa.config import offline_environment
    from reportqa.corpus import sha256_file
    from reportqa.index import ingest

    offline_environment()
    base = tmp_path_factory.mktemp("display")
    corpus = base / "corpus"
    corpus.mkdir()
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entry = next(r for r in manifest["reports"] if r["id"] == "mopac-2015-16")
    lines = (CORPUS / entry["file"]).read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(lines[:60])  # the foreword and more: enough to answer, quick to index
    for old, new in (SOFT, ZERO_WIDTH):
        assert old in text
        text = text.replace(old, new)
    (corpus / entry["file"]).write_text(text, encoding="utf-8")
    entry = {**entry, "sha256": sha256_file(corpus / entry["file"])}
    (corpus / "manifest.json").write_text(json.dumps({"version": 1, "reports": [entry]}), encoding="utf-8")
    cfg = Config(corpus_dir=corpus, index_dir=base / "index")
    ingest(cfg)
    return cfg


def _served(cfg: Config, tmp: Path) -> Config:
    """`cfg` for a test server: its feedback database under `tmp`, no rate limit in the way."""
    api = cfg.api.model_copy(update={"feedback_db": tmp / "feedback.sqlite3", "rate_limit": 1000})
    return cfg.model_copy(update={"api": api})


def run_cli(cfg: Config, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_CORPUS_DIR": str(cfg.corpus_dir), "REPORTQA_INDEX_DIR": str(cfg.index_dir),
                "REPORTQA_CONFIG": str(cfg.index_dir / "no-such.toml")})
    proc = subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_quotes_keep_exact_offsets_and_are_shown_clean(built: Config) -> None:
    from fastapi.testclient import TestClient

    from reportqa.web.api import create_app

    source = (built.corpus_dir / "mopac-2015-16.txt").read_text(encoding="utf-8")
    data = json.loads(run_cli(built, "ask", "--json", QUESTION).stdout)
    assert data["status"] == "answered", data
    cites = data["citations"]
    for c in cites:
        assert source[c["start"]:c["end"]] == c["quote"]  # the offsets stay exact
    cited = next(c for c in cites if "144 in 2008" in c["quote"])
    assert "\u00ad" in cited["quote"] and "\n" in cited["quote"]  # exact: soft hyphens and the line break
    shown = run_cli(built, "ask", "--full", QUESTION).stdout  # every source shown
    assert SHOWN in shown and not invisible(shown), shown

    with TestClient(create_app(_served(built, built.index_dir.parent), ui=False)) as client:
        r = client.post("/api/v1/ask", json={"question": QUESTION})
        assert r.status_code == 200
        body = r.json()
        api_cite = next(c for c in body["citations"] if "144 in 2008" in c["quote"])
        assert api_cite["quote"] == cited["quote"]  # the data is exact; the widget cleans what it shows
        page = client.get(api_cite["passage_url"].split("testserver", 1)[-1])
    assert page.status_code == 200
    mark = re.search(r"<mark[^>]*>(.*?)</mark>", page.text, re.S)
    assert mark and mark.group(1) == SHOWN
    pre = re.search(r"<pre>(.*?)</pre>", page.text, re.S)
    assert pre and not invisible(pre.group(1))
    paragraphs = pre.group(1).split("\n\n")
    assert len(paragraphs) >= 2 and all("\n" not in p for p in paragraphs)  # a PDF's lines joined


@pytest.mark.slow
def test_ask_json_and_the_api_say_stale_with_the_changed_file_after_an_edit(built: Config,
                                                                            tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from reportqa.web.api import BUILD_CHECK_SECONDS, create_app

    work = _served(Config(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index"), tmp_path)
    shutil.copytree(built.corpus_dir, work.corpus_dir)
    shutil.copytree(built.index_dir, work.index_dir)
    fresh = json.loads(run_cli(work, "ask", "--json", QUESTION).stdout)
    assert (fresh["stale"], fresh["changed_files"], fresh["stale_warning"]) == (False, [], "")

    with TestClient(create_app(work, ui=False)) as client:
        before = client.post("/api/v1/ask", json={"question": QUESTION}).json()
        assert (before["stale"], before["changed_files"]) == (False, [])

        f = work.corpus_dir / "mopac-2015-16.txt"  # edited after the build
        f.write_text(f.read_text(encoding="utf-8").replace("111 in 2015", "112 in 2015"), encoding="utf-8")
        proc = run_cli(work, "ask", "--json", QUESTION)
        data = json.loads(proc.stdout)
        assert data["stale"] is True and data["changed_files"] == ["mopac-2015-16.txt"]
        warning = data["stale_warning"]
        assert "mopac-2015-16.txt changed" in warning and "reportqa ingest" in warning
        assert "mopac-2015-16.txt changed" in proc.stderr  # the warning as before
        assert data["status"] == "answered"  # still answered, from the index as built

        deadline = time.monotonic() + 4 * BUILD_CHECK_SECONDS  # the server looks again every so often
        while True:
            after = client.post("/api/v1/ask", json={"question": QUESTION}).json()
            if after["stale"] or time.monotonic() > deadline:
                break
            time.sleep(BUILD_CHECK_SECONDS / 4)
        assert after["stale"] is True and after["changed_files"] == ["mopac-2015-16.txt"], after
        assert "mopac-2015-16.txt changed" in after["stale_warning"]


@pytest.mark.slow
def test_the_413_hint_allows_the_limit_itself(built: Config, tmp_path: Path) -> None:
    """2,000 characters are allowed: the hint says "2,000 characters or fewer", never "under 2000"."""
    from fastapi.testclient import TestClient

    from reportqa.web.api import create_app

    with TestClient(create_app(_served(built, tmp_path), ui=False)) as client:
        limit = built.api.max_question_chars
        at_limit = client.post("/api/v1/ask", json={"question": ("How many murders? " * 200)[:limit]})
        over = client.post("/api/v1/ask", json={"question": "x" * (limit + 1)})
        feedback = client.post("/api/v1/feedback", json={"question": "x" * (limit + 1), "answer": "",
                                                         "status": "answered", "helpful": True})
    assert limit == 2000 and at_limit.status_code == 200, at_limit.text
    for r in (over, feedback):
        assert r.status_code == 413
        assert r.json()["hint"] == "keep it to 2,000 characters or fewer"
