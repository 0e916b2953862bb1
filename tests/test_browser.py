"""The officer workspace in a real browser (Debian's chromium, headless) against
real servers on 127.0.0.1. Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in
the repo, which git ignores).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import sqlite3
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

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PAGE = Path(__file__).resolve().parent / "pages" / "widget.html"
CHROMIUM = os.environ.get("REPORTQA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
QUESTION = "How many people did the London Victim and Witness Service support?"
LONG = 120_000  # ms: the first question loads the model


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def artifacts() -> Path:
    base = Path(os.environ.get("REPORTQA_ARTIFACTS", ROOT / "artifacts"))
    out = base / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


class Server:
    """`reportqa serve` in a subprocess, settings by environment."""

    def __init__(self, index_config: Config, tmp: Path, ui: bool = True, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.feedback_db = tmp / "feedback.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
        env.update({
            "REPORTQA_INDEX_DIR": str(index_config.index_dir),
            "REPORTQA_CORPUS_DIR": str(index_config.corpus_dir),
            "REPORTQA_CONFIG": str(tmp / "no-such-reportqa.toml"),
            "REPORTQA_API__FEEDBACK_DB": str(self.feedback_db),
            "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_TEMP_DIR": str(tmp / "gradio"), "TMPDIR": str(tmp),
            **{f"REPORTQA_API__{k.upper()}": v for k, v in settings.items()},
        })
        cmd = [sys.executable, "-m", "reportqa.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.log = tmp / "server.log"
        self.proc = subprocess.Popen(cmd + ([] if ui else ["--no-ui"]), cwd=tmp, env=env,
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
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

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class PageServer:
    """Serves the partner page from its own origin; /embed/PORT embeds the widget of the server on PORT."""

    def __init__(self) -> None:
        template = PAGE.read_text(encoding="utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                m = re.fullmatch(r"/embed/(\d+)", self.path)
                if not m:
                    self.send_error(404)
                    return
                body = template.replace("__SERVER__", f"http://127.0.0.1:{m.group(1)}").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def embed(self, server: Server) -> str:
        return f"{self.origin}/embed/{server.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    p = PageServer()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def server(index_config: Config, pages: PageServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("web"), rate_limit="1000",
               cors_origins=json.dumps([pages.origin]))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"{CHROMIUM} is not installed: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()


def shot(page: Any, name: str, full: bool = True) -> Path:
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


CONTRAST_JS = """
(scope) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => { const f = lin;
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const up = (e) => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const mix = (c, base, a) => ({r: c.r * a + base.r * (1 - a), g: c.g * a + base.g * (1 - a),
                                b: c.b * a + base.b * (1 - a)});
  const background = (el) => { const layers = [];
    for (let e = el; e; e = up(e)) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255};
    for (let i = layers.length - 1; i >= 0; i--) { const c = layers[i];
      base = mix(c, base, c.a); }
    return base; };
  const roots = [document]; const out = []; const seen = new Set(); let checked = 0;
  for (let i = 0; i < roots.length; i++) {
    roots[i].querySelectorAll('*').forEach((el) => { if (el.shadowRoot) roots.push(el.shadowRoot); });
  }
  for (const root of roots) {
    const base = scope && root === document ? document.querySelector(scope) : root;
    if (!base) continue;
    base.querySelectorAll('*').forEach((el) => {
      if (seen.has(el)) return; seen.add(el);
      const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.getClientRects().length) return;
      const skip = ':disabled, [aria-disabled=true], [aria-hidden=true], .rq-sr-only, .sr, style, script';
      if (el.closest(skip)) return;
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden' || parseFloat(st.opacity) === 0) return;
      const fg = parse(st.color); if (!fg) return;
      checked++;
      const bg = background(el);
      const blend = mix(fg, bg, fg.a);
      const [a, b] = [lum(blend), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
      const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
      if (ratio < need) out.push({text: el.textContent.trim().slice(0, 40),
                                  ratio: Math.round(ratio * 100) / 100, color: st.color, need});
    });
  }
  return {checked, failures: out};
}
"""


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
