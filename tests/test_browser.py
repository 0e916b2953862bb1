"""The officer workspace in a real browser (Debian's chromium, headless) against
real servers on 127.0.0.1. Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in
the repo, which git ignores).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webkit
from webkit import CONTRAST_JS, LONG, PageServer, Server, shot

from reportqa.config import Config

pytestmark = pytest.mark.slow
browser = webkit.browser  # Debian's chromium, headless
page = webkit.page
pages = webkit.pages

QUESTION = "How many people did the London Victim and Witness Service support?"


@pytest.fixture(scope="module")
def server(index_config: Config, pages: PageServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("web"), rate_limit="1000",
               cors_origins=json.dumps([pages.origin]))
    yield s
    s.stop()


# -- the officer workspace -------------------------------------------------------------------------------


def open_workspace(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Your question").wait_for()


def ask_in_workspace(page: Any, question: str, n: int = 1) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.locator("#rq-live").get_by_text(f"Answer {n} received").wait_for(timeout=LONG)


def test_workspace_answers_with_sources_beside_it(page: Any, server: Server) -> None:
    open_workspace(page, server)
    ask_in_workspace(page, QUESTION)
    chat = page.locator("#rq-chat")
    assert "50,000" in chat.inner_text() and "[1]" in chat.inner_text()
    sources = page.locator("#rq-sources")
    assert "2022-2023 MOPAC Annual Report" in sources.inner_text()
    assert "Year 2022-23" in sources.inner_text() and "Section:" in sources.inner_text()
    assert "Priority:" in sources.inner_text()
    mark = sources.locator("mark").first
    assert "nearly 50,000 people" in mark.inner_text()
    assert page.locator("#rq-live [aria-live=polite]").get_attribute("role") == "status"
    shot(page, "workspace-answer")


def test_workspace_year_filter_limits_the_sources(page: Any, server: Server) -> None:
    open_workspace(page, server)
    page.get_by_label("Year").click()
    page.get_by_role("option", name=re.compile(r"^2015-16")).click()
    ask_in_workspace(page, "How many victims did Victim Support help?")
    metas = page.locator("#rq-sources .rq-meta").all_inner_texts()
    years = [m for m in metas if m.startswith("Year ")]
    assert years, page.locator("#rq-sources").inner_text()
    assert all(m.startswith("Year 2015-16") for m in years), years
    shot(page, "workspace-year-filter")


def test_workspace_drafts_a_mayors_question_answer_and_downloads_it(page: Any, server: Server,
                                                                    tmp_path: Path) -> None:
    open_workspace(page, server)
    ask_in_workspace(page, QUESTION)
    page.get_by_label("Title of the draft (optional)").fill("Support for victims")
    page.get_by_role("button", name="Draft from the ticked answers", exact=True).click()
    draft = page.get_by_label("Draft answer (editable)")
    page.wait_for_function("() => document.querySelector('#rq-draft-text textarea').value.length > 50",
                           timeout=LONG)
    text = draft.input_value()
    assert "DRAFT" in text.upper() and "References" in text and "50,000" in text
    assert re.search(r"^1\. .*2022-2023 MOPAC Annual Report", text, re.M), text
    shot(page, "workspace-draft")

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download Markdown (.md)").click()
    md = tmp_path / "draft.md"
    dl.value.save_as(md)
    assert md.read_text(encoding="utf-8") == text

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download Word (.docx)").click()
    docx_path = tmp_path / "draft.docx"
    dl.value.save_as(docx_path)
    from docx import Document

    words = "\n".join(p.text for p in Document(str(docx_path)).paragraphs)
    assert "References" in words and "50,000" in words and "DRAFT" in words.upper()

    draft.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nChecked against the 2022-23 report by the officer.")
    page.wait_for_timeout(1500)  # the edit regenerates the files
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download Markdown (.md)").click()
    edited = tmp_path / "edited.md"
    dl.value.save_as(edited)
    assert "Checked against the 2022-23 report by the officer." in edited.read_text(encoding="utf-8")


def feedback_rows(server: Server, where: str, *params: object) -> list[tuple[Any, ...]]:
    if not server.feedback_db.exists():
        return []
    db = sqlite3.connect(server.feedback_db)
    try:
        query = f"SELECT helpful, question, answer, citations FROM feedback WHERE {where}"
        return db.execute(query, params).fetchall()
    except sqlite3.OperationalError:  # the server has not created the table yet
        return []
    finally:
        db.close()


def test_workspace_feedback_is_stored_and_exported(page: Any, server: Server, tmp_path: Path) -> None:
    open_workspace(page, server)
    ask_in_workspace(page, QUESTION)
    # the chat's own like button stores a judgement too
    page.locator("#rq-chat").get_by_role("button", name="Like", exact=True).first.click()
    deadline = time.monotonic() + 30
    while not feedback_rows(server, "helpful = 1 AND question = ?", QUESTION) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert feedback_rows(server, "helpful = 1 AND question = ?", QUESTION)

    page.get_by_label("Not helpful").check()
    comment = "browser test: wanted the 2023-24 figure too"
    page.get_by_label("Comment (optional)").fill(comment)
    page.get_by_role("button", name="Send feedback").click()
    page.locator("#rq-fb-status").get_by_text("feedback on answer 1 saved").wait_for()
    # the status line may still show the like's save: wait for this comment's own row
    deadline = time.monotonic() + 30
    while not feedback_rows(server, "comment = ?", comment) and time.monotonic() < deadline:
        time.sleep(0.3)
    rows = feedback_rows(server, "comment = ?", comment)
    assert len(rows) == 1 and rows[0][0] == 0 and rows[0][1] == QUESTION
    assert "50,000" in rows[0][2] and "mopac-2022-23" in rows[0][3]

    # everyone's questions are exported from the command line only, never from the workspace
    assert page.get_by_text("Feedback export").count() == 0
    from reportqa.cli import main

    out = tmp_path / "feedback.csv"
    assert main(["feedback", "export", "--db", str(server.feedback_db), "--out", str(out)]) == 0
    assert comment in out.read_text(encoding="utf-8")
    shot(page, "workspace-feedback")


def test_workspace_works_from_the_keyboard(page: Any, server: Server) -> None:
    open_workspace(page, server)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.closest('#rq-question') != null"):
            break
    else:
        pytest.fail("Tab never reached the question box")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.locator("#rq-live").get_by_text("Answer 1 received").wait_for(timeout=LONG)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id === 'rq-ask'"):
            break
    else:
        pytest.fail("Tab never reached the Ask button")
    page.keyboard.press("Shift+Tab")  # back into the question box: focus is visible and reversible
    assert page.evaluate("() => document.activeElement.closest('#rq-question') !== null")


def test_workspace_text_contrast_meets_wcag_aa(page: Any, server: Server) -> None:
    open_workspace(page, server)
    ask_in_workspace(page, QUESTION)
    result = page.evaluate(CONTRAST_JS, None)
    assert result["checked"] > 30  # labels, buttons, chat, sources
    assert result["failures"] == [], result["failures"]


# -- the Trend tab (issue 14) --------------------------------------------------------------------------


PLOT_DRAWN_JS = """
() => { const root = document.querySelector('#rq-trend-plot'); if (!root) return false;
  const colours = ['rgb(59, 130, 246)', 'rgb(234, 88, 12)', '#3b82f6', '#ea580c'];
  for (const el of root.querySelectorAll('svg path, svg line')) {
    const stroke = el.getAttribute('stroke') || getComputedStyle(el).stroke;
    if (colours.includes(stroke)) return true; }
  for (const c of root.querySelectorAll('canvas')) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
      if (a > 128 && ((b > 180 && r < 140 && g > 90) || (r > 180 && g < 150 && b < 90))) return true; } }
  return false; }
"""


def trace_in_workspace(page: Any, measure: str) -> None:
    page.get_by_role("tab", name="Trend").click()
    page.get_by_label("Measure to trace").fill(measure)
    page.get_by_role("button", name="Trace across the reports").click()
    page.locator("#rq-trend-status").get_by_text("annual reports give a figure").wait_for(timeout=LONG)
    page.locator("#rq-trend-plot canvas, #rq-trend-plot svg").first.wait_for()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_workspace_trend_tab_charts_and_flags_a_measure(page: Any, server: Server, theme: str) -> None:
    page.goto(server.url + ("/?__theme=dark" if theme == "dark" else "/"))
    page.get_by_label("Your question").wait_for()
    trace_in_workspace(page, "body worn video cameras")
    table = page.locator("#rq-trend-table").inner_text()
    assert "20,000" in table and "22,000" in table and "no figure in this report" in table
    assert "planned" in table and "being rolled out" in table
    alt = page.locator("#rq-trend-alt").inner_text()
    assert "Text alternative" in alt and "is not joined to the year before" in alt
    sources = page.locator("#rq-trend-sources").inner_text()
    assert "MOPAC Annual Report 2014-15" in sources and "22,000 body-worn video cameras" in sources
    box = page.locator("#rq-trend-plot").bounding_box()
    assert box is not None and box["height"] > 200
    page.wait_for_function(PLOT_DRAWN_JS)  # the lines are drawn, in the series colours
    page.locator("#rq-trend-tab").scroll_into_view_if_needed()
    shot(page, f"workspace-trend-{theme}")
    result = page.evaluate(CONTRAST_JS, "#rq-trend-tab")
    assert result["checked"] > 10
    assert result["failures"] == [], result["failures"]
    trace_in_workspace(page, "custody visits by ICVs")  # a second trace redraws the chart
    page.get_by_text("3 of 4 annual reports give a figure").wait_for(timeout=LONG)
    assert "508" in page.locator("#rq-trend-table").inner_text()
    page.wait_for_function(PLOT_DRAWN_JS)
    shot(page, f"workspace-trend-visits-{theme}")
