"""The public widget in a real browser (Debian's chromium, headless) on a partner page of another origin,
against real `reportqa serve --no-ui` servers on 127.0.0.1: answers and their sources, markup shown as
text, the rate limit and kill switch messages, reflow (200% zoom, a phone upright and sideways), the
character counter, the coverage statement and examples, related passages on "not found", Useful / Not
useful, the request time-out, the dark scheme, forced colours, contrast and axe-core.

Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in the repo, which git ignores).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webkit
from webkit import CONTRAST_JS, LONG, PageServer, Server, new_page

from reportqa.config import Config

pytestmark = pytest.mark.slow
browser = webkit.browser  # Debian's chromium, headless
page = webkit.page
pages = webkit.pages

QUESTION = "How many people did the London Victim and Witness Service support?"
NOT_COVERED = "What is the salary of the Deputy Mayor?"
ROOT_JS = "document.querySelector('#reportqa-widget').shadowRoot"
FOCUSED = f"{ROOT_JS}.activeElement"
# viewports, in CSS pixels: 1280x720 at 200% zoom is 640x360 CSS pixels drawn at twice the density
SIZES = {
    "zoom-200": {"viewport": {"width": 640, "height": 360}, "device_scale_factor": 2},
    "phone-375x667": {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2},
    "phone-sideways-667x375": {"viewport": {"width": 667, "height": 375}, "device_scale_factor": 2},
}


def shot(page: Any, name: str) -> Path:
    """The viewport only: the widget is drawn over the partner page's corner."""
    return webkit.shot(page, name, full=False)


# -- fixtures --------------------------------------------------------------------------------------------


def widget_server(name: str, tmp_name: str, **settings: str) -> Any:
    """A module fixture `name`: `reportqa serve --no-ui` with `settings` under a tmp dir `tmp_name`,
    answering the partner page's origin."""

    @pytest.fixture(scope="module", name=name)
    def fixture(index_config: Config, pages: PageServer,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
        s = Server(index_config, tmp_path_factory.mktemp(tmp_name), "serve-no-ui",
                   cors_origins=json.dumps([pages.origin]), **settings)
        yield s
        s.stop()

    return fixture


server = widget_server("server", "widget", rate_limit="1000")
strict_server = widget_server("strict_server", "widget-strict", rate_limit="1", rate_window="600")
closed_server = widget_server("closed_server", "widget-off", public_enabled="false")


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
    assert "50,000" in answer.locator(".short").inner_text()  # the short answer first, with its source
    assert answer.locator(".srcline").inner_text().startswith("Source: the ")
    assert not answer.locator(".sources").first.is_visible()
    more = answer.locator("button.more")
    assert more.get_attribute("aria-expanded") == "false"
    more.click()  # "More": the full answer and every source
    assert more.get_attribute("aria-expanded") == "true"
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
        result = page.evaluate(CONTRAST_JS, "#reportqa-widget")
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
