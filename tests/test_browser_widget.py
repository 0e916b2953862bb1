"""The public widget in a real browser (Debian's chromium, headless) on a partner page of another origin,
against real `reportqa serve --no-ui` servers on 127.0.0.1: answers and their sources, markup shown as
text, the rate limit and kill switch messages, reflow (200% zoom, a phone upright and sideways), the
character counter, the coverage statement and examples, related passages on "not found", Useful / Not
useful, the request time-out, the dark scheme, forced colours, contrast and axe-core.

Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in the repo, which git ignores).
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
from urllib.parse import parse_qs, urlsplit

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
NOT_COVERED = "What is the salary of the Deputy Mayor?"
LONG = 120_000  # ms: the first question loads the model
ROOT_JS = "document.querySelector('#reportqa-widget').shadowRoot"
FOCUSED = f"{ROOT_JS}.activeElement"
# viewports, in CSS pixels: 1280x720 at 200% zoom is 640x360 CSS pixels drawn at twice the density
SIZES = {
    "zoom-200": {"viewport": {"width": 640, "height": 360}, "device_scale_factor": 2},
    "phone-375x667": {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2},
    "phone-sideways-667x375": {"viewport": {"width": 667, "height": 375}, "device_scale_factor": 2},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def artifacts() -> Path:
    out = Path(os.environ.get("REPORTQA_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def shot(page: Any, name: str) -> Path:
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


class Server:
    """`reportqa serve --no-ui` in a subprocess, settings by environment."""

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
            "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "TMPDIR": str(tmp),
            **{f"REPORTQA_API__{k.upper()}": v for k, v in settings.items()},
        })
        cmd = [sys.executable, "-m", "reportqa.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--no-ui"]
        self.log = tmp / "server.log"
        self.proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=self.log.open("wb"),
                                     stderr=subprocess.STDOUT)
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
    """The partner page from an origin of its own: /embed/PORT embeds the widget of the server on PORT;
    ?timeout=MS sets the widget's data-timeout."""

    def __init__(self) -> None:
        template = PAGE.read_text(encoding="utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                url = urlsplit(self.path)
                m = re.fullmatch(r"/embed/(\d+)", url.path)
                if not m:
                    self.send_error(404)
                    return
                body = template.replace("__SERVER__", f"http://127.0.0.1:{m.group(1)}")
                timeout = parse_qs(url.query).get("timeout", [""])[0]
                if timeout.isdigit():
                    body = body.replace("data-endpoint=", f'data-timeout="{timeout}" data-endpoint=')
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def embed(self, server: Server, timeout_ms: int | None = None) -> str:
        return f"{self.origin}/embed/{server.port}" + (f"?timeout={timeout_ms}" if timeout_ms else "")

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
    s = Server(index_config, tmp_path_factory.mktemp("widget"), rate_limit="1000",
               cors_origins=json.dumps([pages.origin]))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def strict_server(index_config: Config, pages: PageServer,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("widget-strict"), rate_limit="1", rate_window="600",
               cors_origins=json.dumps([pages.origin]))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def closed_server(index_config: Config, pages: PageServer,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("widget-off"), public_enabled="false",
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


def new_page(browser: Any, **context: Any) -> Any:
    ctx = browser.new_context(**{"viewport": {"width": 1366, "height": 1000}, **context})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()

    pg.on("dialog", on_dialog)
    return pg


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    pg = new_page(browser)
    yield pg
    pg.context.close()


def widget(page: Any) -> Any:
    return page.locator("#reportqa-widget")


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    launcher = page.get_by_role("button", name="Ask about MOPAC's reports")
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard, not a mouse
    page.get_by_role("dialog", name="Ask about MOPAC's reports").wait_for()


def count(page: Any, selector: str) -> int:
    return int(page.evaluate(f"(s) => {ROOT_JS}.querySelectorAll(s).length", selector))


def wait_replies(page: Any, replies: int) -> None:
    page.wait_for_function(f"(n) => {ROOT_JS}.querySelectorAll('.msg.bot, .msg.error').length >= n",
                           arg=replies, timeout=LONG)


def ask_in_widget(page: Any, question: str, replies: int) -> None:
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    wait_replies(page, replies)


def wait_intro(page: Any) -> None:
    page.wait_for_function(f"() => {ROOT_JS}.querySelectorAll('.example').length > 0", timeout=LONG)


CONTRAST_JS = """
() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const up = (e) => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const mix = (c, base, a) => ({r: c.r * a + base.r * (1 - a), g: c.g * a + base.g * (1 - a),
                                b: c.b * a + base.b * (1 - a)});
  const background = (el) => { const layers = [];
    for (let e = el; e; e = up(e)) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255};
    for (let i = layers.length - 1; i >= 0; i--) base = mix(layers[i], base, layers[i].a);
    return base; };
  const root = document.querySelector('#reportqa-widget').shadowRoot;
  const out = []; let checked = 0;
  root.querySelectorAll('*').forEach((el) => {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) return;
    if (el.closest(':disabled, [aria-disabled=true], [aria-hidden=true], .sr, style, script')) return;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || parseFloat(st.opacity) === 0) return;
    const fg = parse(st.color); if (!fg) return;
    checked++;
    const bg = background(el);
    const [a, b] = [lum(mix(fg, bg, fg.a)), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) out.push({text: el.textContent.trim().slice(0, 40),
                                ratio: Math.round(ratio * 100) / 100, color: st.color, need});
  });
  return {checked, failures: out};
}
"""

# where each part of the panel is, and whether the element at its centre is itself (not covered)
LAYOUT_JS = f"""
() => {{
  const root = {ROOT_JS};
  const box = (sel) => {{ const el = root.querySelector(sel); const r = el.getBoundingClientRect();
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height,
             reachable: hit === el || el.contains(hit)}}; }};
  const log = root.querySelector('.log');
  return {{viewport: {{width: innerWidth, height: innerHeight}}, panel: box('.panel'), input: box('#rq-q'),
           send: box('.send'), log: box('.log'), logScroll: {{scrollHeight: log.scrollHeight,
           clientHeight: log.clientHeight, overflowY: getComputedStyle(log).overflowY}},
           panelScrollWidth: root.querySelector('.panel').scrollWidth,
           panelClientWidth: root.querySelector('.panel').clientWidth}};
}}
"""


def inside(b: dict[str, float], vp: dict[str, int]) -> bool:
    return b["left"] >= 0 and b["top"] >= 0 and b["right"] <= vp["width"] and b["bottom"] <= vp["height"]


# -- what the widget does --------------------------------------------------------------------------------


def test_widget_answers_with_source_links(page: Any, server: Server, pages: PageServer) -> None:
    open_widget(page, pages.embed(server))
    assert page.evaluate(f"() => {FOCUSED}.id") == "rq-q"
    assert "may be out of date" in widget(page).locator(".notice").inner_text()
    assert widget(page).locator("[role=log]").get_attribute("aria-live") == "polite"
    ask_in_widget(page, QUESTION, 1)
    answer = widget(page).locator(".msg.bot").last
    assert "50,000" in answer.inner_text()
    link = answer.locator(".sources a").first
    href = link.get_attribute("href")
    assert href and href.startswith(server.url + "/source/"), href
    assert link.get_attribute("rel") == "noopener noreferrer"
    shot(page, "widget-answer")
    with page.expect_popup() as popup:
        link.click()
    source = popup.value
    source.wait_for_load_state()
    assert "nearly 50,000 people" in source.locator("mark").inner_text()
    shot(source, "widget-source-page")
    page.bring_to_front()
    page.get_by_label("Your question").press("Escape")
    assert widget(page).locator(".panel").is_hidden()
    assert page.evaluate(f"() => {FOCUSED}.className") == "launcher"


def test_widget_shows_markup_in_questions_as_plain_text(page: Any, server: Server, pages: PageServer) -> None:
    open_widget(page, pages.embed(server))
    attacks = ["<img src=x onerror=alert(1)>", "<script>alert(document.domain)</script> What is MOPAC?",
               "\"><svg onload=alert(2)> How many ICV visits?"]
    for i, attack in enumerate(attacks, 1):
        ask_in_widget(page, attack, i)
    shown = widget(page).locator(".msg.user .text").all_inner_texts()
    assert shown == attacks
    counts = page.evaluate(
        f"() => {{ const r = {ROOT_JS}; return [r.querySelectorAll('img, svg').length,"
        " r.querySelectorAll('script').length, document.querySelectorAll('img, svg').length]; }")
    assert counts == [0, 0, 0]
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_widget_renders_hostile_answer_data_as_text(page: Any, server: Server, pages: PageServer) -> None:
    """Whatever the server returns (a planted report's title, quote or link) is shown as text; only http(s)
    links become links; no script runs."""
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    hostile = {"status": "not_found", "text": f"The reports don't say. {payload}", "missing": "",
               "rewritten_question": payload, "trend": None, "notice": payload,
               "citations": [{"marker": 1, "title": payload, "year": "<b>2022-23</b>", "section": payload,
                              "quote": payload, "url": "javascript:alert(3)",
                              "passage_url": "javascript:alert(4)"}],
               "related": [{"marker": "<i>1</i>", "title": payload, "year": "2022-23", "section": payload,
                            "quote": payload, "passage_url": "data:text/html,<script>alert(5)</script>"}]}
    page.route("**/api/v1/ask", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(hostile),
        headers={"Access-Control-Allow-Origin": pages.origin}))
    open_widget(page, pages.embed(server))
    ask_in_widget(page, QUESTION, 1)
    answer = widget(page).locator(".msg.bot").last
    assert payload in answer.locator(".text").inner_text()
    assert payload in answer.locator(".quote").first.inner_text()
    counts = page.evaluate(
        f"() => {{ const r = {ROOT_JS}; return [r.querySelectorAll('img, script, b, i').length,"
        " r.querySelectorAll('a').length, document.querySelectorAll('img').length]; }")
    assert counts == [0, 0, 0], counts  # no element from data, and no link from a non-http(s) URL
    page.wait_for_timeout(300)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_widget_shows_the_rate_limit_message(page: Any, strict_server: Server, pages: PageServer) -> None:
    open_widget(page, pages.embed(strict_server))
    ask_in_widget(page, QUESTION, 1)
    ask_in_widget(page, "And the year before?", 2)
    error = widget(page).locator(".msg.error").last
    assert re.search(r"Please wait \d+ seconds", error.inner_text()), error.inner_text()
    shot(page, "widget-rate-limit")


def test_widget_shows_the_kill_switch_message(page: Any, closed_server: Server, pages: PageServer) -> None:
    open_widget(page, pages.embed(closed_server))
    notice = widget(page).locator(".msg.error").first
    notice.wait_for()
    assert "switched off" in notice.inner_text()
    assert page.get_by_label("Your question").is_disabled()
    assert count(page, ".example") == 0
    shot(page, "widget-switched-off")


def test_widget_opens_with_the_coverage_and_example_questions(page: Any, server: Server,
                                                               pages: PageServer) -> None:
    open_widget(page, pages.embed(server))
    wait_intro(page)
    coverage = widget(page).locator(".coverage").inner_text()
    assert "annual reports for" in coverage and "2023-24" in coverage
    assert "personal information" in widget(page).locator("#rq-privacy").inner_text()
    described = page.get_by_label("Your question").get_attribute("aria-describedby") or ""
    assert "rq-privacy" in described.split()
    examples = widget(page).locator(".example")
    assert 2 <= examples.count() <= 3
    first = examples.first.inner_text()
    examples.first.click()
    wait_replies(page, 1)
    assert widget(page).locator(".msg.user .text").first.inner_text() == first
    assert widget(page).locator(".msg.bot .sources li").count() >= 1
    shot(page, "widget-intro-example")


def test_widget_counts_characters_and_refuses_an_over_long_question_without_cutting_it(
    page: Any, server: Server, pages: PageServer
) -> None:
    open_widget(page, pages.embed(server))
    wait_intro(page)
    box = page.get_by_label("Your question")
    counter = widget(page).locator("#rq-count")
    assert counter.inner_text() == "0 of 2,000 characters"
    box.fill("a" * 1999 + "?")
    assert counter.inner_text() == "2,000 of 2,000 characters"
    assert box.get_attribute("aria-invalid") is None
    box.press("End")
    box.type("x")  # one over: the counter says so and nothing is cut
    assert counter.inner_text() == "1 character too many (limit 2,000)"
    assert box.get_attribute("aria-invalid") == "true"
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/v1/ask") else None)
    box.press("Enter")
    error = widget(page).locator("#rq-err")
    error.wait_for()
    assert "2,001 characters long" in error.inner_text() and "nothing was sent" in error.inner_text()
    assert error.get_attribute("role") == "alert"
    assert len(box.input_value()) == 2001  # not silently cut
    assert asked == [] and count(page, ".msg.user") == 0
    shot(page, "widget-counter-over")
    box.press("Backspace")
    assert counter.inner_text() == "2,000 of 2,000 characters"
    assert error.is_hidden()


def test_widget_shows_related_passages_when_the_reports_do_not_say(page: Any, server: Server,
                                                                     pages: PageServer) -> None:
    open_widget(page, pages.embed(server))
    ask_in_widget(page, NOT_COVERED, 1)
    answer = widget(page).locator(".msg.bot").last
    assert "related" in answer.locator(".text").inner_text()
    assert answer.locator(".srchead").inner_text() == "Related passages"
    items = answer.locator(".sources li")
    assert 1 <= items.count() <= 3
    href = items.first.locator("a").first.get_attribute("href")
    assert href and href.startswith(server.url + "/source/")
    assert items.first.locator(".quote").inner_text().strip("\u201c\u201d")
    shot(page, "widget-not-found-related")


def test_widget_useful_buttons_store_feedback_like_the_workspace(page: Any, server: Server,
                                                                  pages: PageServer) -> None:
    open_widget(page, pages.embed(server))
    ask_in_widget(page, QUESTION, 1)
    answer = widget(page).locator(".msg.bot").last
    group = answer.get_by_role("group", name="Was this answer useful?")
    group.get_by_role("button", name="Not useful").click()
    answer.locator(".fb-status").get_by_text("Thank you for your feedback.").wait_for()
    assert group.get_by_role("button", name="Not useful").get_attribute("aria-pressed") == "true"
    assert group.get_by_role("button", name="Useful", exact=True).is_disabled()
    db = sqlite3.connect(server.feedback_db)
    try:
        rows = db.execute("SELECT source, helpful, question, answer, status, citations FROM feedback"
                          " WHERE question = ?", (QUESTION,)).fetchall()
    finally:
        db.close()
    assert len(rows) == 1
    source, helpful, _, text, status, citations = rows[0]
    assert (source, helpful, status) == ("widget", 0, "answered")
    assert "50,000" in text and json.loads(citations)[0]["year"] == "2022-23"


def test_widget_says_when_an_answer_takes_too_long(page: Any, server: Server, pages: PageServer) -> None:
    held: list[Any] = []
    page.route("**/api/v1/ask", lambda route: held.append(route))  # never answered
    open_widget(page, pages.embed(server, timeout_ms=1500))
    ask_in_widget(page, QUESTION, 1)
    error = widget(page).locator(".msg.error").last
    assert "took too long" in error.inner_text()
    assert held and not page.get_by_label("Your question").is_disabled()
    assert widget(page).locator(".send").inner_text() == "Ask"
    shot(page, "widget-timeout")


# -- reflow: 200% zoom, a phone upright and held sideways ------------------------------------------------


@pytest.mark.parametrize("size", list(SIZES))
def test_widget_reflows_with_the_form_in_view_and_the_log_scrolling(browser: Any, server: Server,
                                                                    pages: PageServer, size: str) -> None:
    page = new_page(browser, **SIZES[size])
    try:
        open_widget(page, pages.embed(server))
        wait_intro(page)
        before = page.evaluate(LAYOUT_JS)
        vp = before["viewport"]
        assert vp == SIZES[size]["viewport"]
        for part in ("panel", "input", "send"):
            assert inside(before[part], vp), (part, before[part], vp)
        assert before["input"]["reachable"] and before["send"]["reachable"], before
        assert before["panelScrollWidth"] <= before["panelClientWidth"]  # nothing to scroll sideways
        assert before["input"]["height"] >= 32 and before["log"]["height"] >= 60, before
        for i, question in enumerate((QUESTION, "And the year before?"), 1):
            page.get_by_label("Your question").click()  # reached by pointer, typed by keyboard
            page.keyboard.type(question)
            widget(page).locator(".send").click()
            wait_replies(page, i)
        after = page.evaluate(LAYOUT_JS)
        for part in ("input", "send"):
            assert inside(after[part], vp) and after[part]["reachable"], (part, after[part])
        scroll = after["logScroll"]
        assert scroll["overflowY"] == "auto" and scroll["scrollHeight"] > scroll["clientHeight"], scroll
        top = page.evaluate(f"() => {{ const r = {ROOT_JS};"
                            " const log = r.querySelector('.log').getBoundingClientRect();"
                            " const last = [...r.querySelectorAll('.msg.bot')].pop().getBoundingClientRect();"
                            " return [last.top - log.top, log.height]; }")
        assert 0 <= top[0] < top[1] / 2, top  # the new answer starts at the top of the log, in view
        shot(page, f"widget-reflow-{size}")
        # the log scrolls back to the first question, and the form is still there
        page.evaluate(f"() => {{ {ROOT_JS}.querySelector('.log').scrollTop = 0; }}")
        assert page.evaluate(f"() => {ROOT_JS}.querySelector('.log').scrollTop") == 0
        assert inside(page.evaluate(LAYOUT_JS)["input"], vp)
        page.keyboard.press("Escape")
        launcher = page.get_by_role("button", name="Ask about MOPAC's reports")
        assert launcher.is_visible() and page.evaluate(f"() => {FOCUSED}.className") == "launcher"
    finally:
        page.context.close()


# -- colours, focus and automated accessibility checks ---------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_widget_follows_the_colour_scheme_with_aa_contrast_and_no_serious_axe_violations(
    browser: Any, server: Server, pages: PageServer, scheme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = new_page(browser, color_scheme=scheme)
    try:
        open_widget(page, pages.embed(server))
        wait_intro(page)
        ask_in_widget(page, QUESTION, 1)
        ask_in_widget(page, NOT_COVERED, 2)
        background = page.evaluate(f"() => getComputedStyle({ROOT_JS}.querySelector('.panel'))"
                                   ".backgroundColor")
        level = sum(int(v) for v in re.findall(r"\d+", background)[:3]) / 3
        assert (level > 200) if scheme == "light" else (level < 60), background
        result = page.evaluate(CONTRAST_JS)
        assert result["checked"] > 15  # heading, notice, coverage, examples, messages, sources, form
        assert result["failures"] == [], result["failures"]
        axe = Axe().run(page, context={"include": [["#reportqa-widget"]]},
                        options={"resultTypes": ["violations"]})
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                   for v in axe.response["violations"] if v["impact"] in ("critical", "serious")]
        assert serious == [], serious
        shot(page, f"widget-{scheme}")
    finally:
        page.context.close()


def test_widget_keeps_a_visible_focus_outline_in_forced_colours(browser: Any, server: Server,
                                                                 pages: PageServer) -> None:
    page = new_page(browser)
    try:
        page.emulate_media(forced_colors="active")
        open_widget(page, pages.embed(server))
        wait_intro(page)
        assert page.evaluate("() => matchMedia('(forced-colors: active)').matches")
        state = (f"() => {{ const f = {FOCUSED}; const s = getComputedStyle(f);"
                 " return [f.className || f.id, s.outlineStyle, parseFloat(s.outlineWidth)]; }")
        outlines = {"textarea": page.evaluate(state)}  # focused on opening, from the keyboard
        page.keyboard.press("Tab")
        outlines["send"] = page.evaluate(state)
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        outlines["example"] = page.evaluate(state)
        assert [v[0] for v in outlines.values()] == ["rq-q", "send", "example"], outlines
        for name, (_, style, width) in outlines.items():
            assert style == "solid" and width >= 2, (name, outlines)
        shot(page, "widget-forced-colours")
    finally:
        page.context.close()
