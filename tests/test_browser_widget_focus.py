"""WCAG 2.2 AA 2.4.11 (Focus Not Obscured) for the public widget, by keyboard, in Debian's chromium (headless)
against a real `reportqa serve --no-ui` on 127.0.0.1: where the open panel covers the partner page (a phone,
375x667, and 200% zoom) it is a modal dialog, and Tab and Shift+Tab never take focus to the page's links
hidden under it; Escape closes it and returns focus to the launcher. Beside the page (a wide screen) it is
not modal: the page's links stay reachable, and Escape on one the panel covers closes the panel. axe finds
no violation, of any impact, in light and dark. Quotes are shown without soft hyphens or zero-width
characters (the server keeps them exact).

Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in the repo, which git ignores).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import webkit
from webkit import LONG, PageServer, Server, new_page

from reportqa.config import Config

pytestmark = pytest.mark.slow
browser = webkit.browser  # Debian's chromium, headless
pages = webkit.pages

QUESTION = "How many people did the London Victim and Witness Service support?"
ROOT_JS = "document.querySelector('#reportqa-widget').shadowRoot"
# viewports in CSS pixels: 1280x720 at 200% zoom is 640x360 CSS pixels drawn at twice the density
COVERED = {
    "phone-375x667": {"viewport": {"width": 375, "height": 667}, "device_scale_factor": 2},
    "zoom-200": {"viewport": {"width": 640, "height": 360}, "device_scale_factor": 2},
}
# where focus is: in the widget's panel (and which element), on the launcher, or on the page
WHERE_JS = f"""
() => {{
  const host = document.querySelector('#reportqa-widget');
  const root = {ROOT_JS};
  const a = document.activeElement;
  if (a !== host) {{
    return {{place: 'page', name: a ? (a.id || a.tagName + ':' + (a.textContent || '').trim()) : ''}};
  }}
  const f = root.activeElement;
  const panel = root.querySelector('.panel');
  const name = f ? (f.id || f.className || f.tagName) + ':' + (f.textContent || '').trim().slice(0, 30) : '';
  return {{place: panel.contains(f) ? 'panel' : 'widget', name: name}};
}}
"""
# every element of the panel a keyboard can reach, in order
FOCUSABLE_JS = f"""
() => [...{ROOT_JS}.querySelector('.panel').querySelectorAll(
          "button:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])")]
      .filter((n) => n.getClientRects().length > 0)
      .map((n) => (n.id || n.className || n.tagName) + ':' + (n.textContent || '').trim().slice(0, 30))
"""


@pytest.fixture(scope="module")
def server(index_config: Config, pages: PageServer, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("widget-focus"), "serve-no-ui", rate_limit="1000",
               cors_origins=json.dumps([pages.origin]))
    yield s
    s.stop()


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    launcher = page.get_by_role("button", name="Ask about MOPAC's reports")
    launcher.focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="Ask about MOPAC's reports").wait_for()
    page.wait_for_function(f"() => {ROOT_JS}.querySelectorAll('.example').length > 0", timeout=LONG)


def ask_by_keyboard(page: Any, question: str, replies: int) -> None:
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"(n) => {ROOT_JS}.querySelectorAll('.msg.bot, .msg.error').length >= n",
                           arg=replies, timeout=LONG)


def where(page: Any) -> dict[str, str]:
    return dict(page.evaluate(WHERE_JS))


def axe_violations(page: Any) -> list[tuple[str, str, list[Any]]]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, context={"include": [["#reportqa-widget"]]},
                       options={"resultTypes": ["violations"]})
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result.response["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(COVERED))
def test_focus_never_leaves_the_panel_that_covers_the_page(browser: Any, server: Server, pages: PageServer,
                                                            size: str, scheme: str) -> None:
    page = new_page(browser, color_scheme=scheme, **COVERED[size])
    try:
        page.goto(pages.embed(server))
        # the control: closed, the page's links are reached by Tab like anything else
        page.focus("#page-first-link")
        assert where(page) == {"place": "page", "name": "page-first-link"}
        open_widget(page, pages.embed(server))
        ask_by_keyboard(page, QUESTION, 1)
        panel = page.evaluate(f"() => {{ const r = {ROOT_JS}.querySelector('.panel').getBoundingClientRect();"
                              " return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight]; }")
        assert panel[:2] == [0, 0] and panel[2:4] == panel[4:], panel  # it covers the whole page
        dialog = page.get_by_role("dialog", name="Ask about MOPAC's reports")
        assert dialog.get_attribute("aria-modal") == "true"
        reachable = page.evaluate(FOCUSABLE_JS)
        assert len(reachable) >= 6 and any(n.startswith("a") or "Useful" in n for n in reachable), reachable
        for key in ("Tab", "Shift+Tab"):
            seen = []
            for _ in range(2 * len(reachable) + 3):  # round the panel twice, and more
                page.keyboard.press(key)
                now = where(page)
                assert now["place"] == "panel", (key, seen[-3:], now)  # never the page under the panel
                seen.append(now["name"])
            assert set(seen) == set(reachable), (key, sorted(set(reachable) - set(seen)))
        # focus moved to the page by a script (or a screen reader) comes back to the panel
        page.evaluate("() => document.querySelector('#page-last-link').focus()")
        assert where(page)["place"] == "panel"
        violations = axe_violations(page)
        assert violations == [], violations
        webkit.shot(page, f"widget-modal-{size}-{scheme}", full=False)
        page.keyboard.press("Escape")
        assert dialog.is_hidden()
        assert where(page)["name"].startswith("launcher")
        page.keyboard.press("Tab")  # closed: the page is reachable again
        assert where(page)["place"] in ("page", "widget")
    finally:
        page.context.close()


def test_beside_the_page_the_panel_is_not_modal_and_escape_uncovers_a_hidden_link(
    browser: Any, server: Server, pages: PageServer
) -> None:
    page = new_page(browser, viewport={"width": 1280, "height": 800})
    try:
        open_widget(page, pages.embed(server))
        dialog = page.get_by_role("dialog", name="Ask about MOPAC's reports")
        assert dialog.get_attribute("aria-modal") == "false"
        # a page link placed under the panel, reached by keyboard
        page.evaluate(f"""() => {{
            const r = {ROOT_JS}.querySelector('.panel').getBoundingClientRect();
            const a = document.querySelector('#page-last-link');
            const at = {{left: (r.left + 20) + 'px', top: (r.top + 80) + 'px'}};
            Object.assign(a.style, {{position: 'fixed', ...at}});
        }}""")
        page.focus("#page-last-link")
        assert where(page) == {"place": "page", "name": "page-last-link"}
        page.keyboard.press("Escape")
        assert dialog.is_hidden()
        assert where(page) == {"place": "page", "name": "page-last-link"}  # focus stays, now in view
        hit = page.evaluate("() => { const a = document.querySelector('#page-last-link');"
                            " const r = a.getBoundingClientRect();"
                            " return document.elementFromPoint(r.left + 2, r.top + 2) === a; }")
        assert hit
        # Escape on a page element the panel does not cover leaves it open
        page.get_by_role("button", name="Ask about MOPAC's reports").focus()
        page.keyboard.press("Enter")
        dialog.wait_for()
        page.evaluate("() => Object.assign(document.querySelector('#page-first-link').style,"
                      " {position: 'fixed', left: '8px', top: '8px'})")  # clear of the panel
        page.focus("#page-first-link")
        page.keyboard.press("Escape")
        assert dialog.is_visible()
    finally:
        page.context.close()


def test_the_widget_shows_quotes_without_soft_hyphens_or_zero_width_characters(
    browser: Any, server: Server, pages: PageServer
) -> None:
    exact = "The num\u00adber of vic\u00ad\ntims sup\u00adported rose\u200b to 50,000\ufeff people."
    reply = {"status": "answered", "text": "It sup\u00adported 50,000 people [1].", "missing": "",
             "rewritten_question": QUESTION, "trend": None, "notice": "",
             "citations": [{"marker": 1, "title": "2022-2023 MOPAC Annual Report", "year": "2022-23",
                            "section": "Victims", "quote": exact, "passage_url": server.url + "/source/x"}],
             "related": [], "stale": False, "changed_files": []}
    page = new_page(browser)
    try:
        page.route("**/api/v1/ask", lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(reply),
            headers={"Access-Control-Allow-Origin": pages.origin}))
        open_widget(page, pages.embed(server))
        ask_by_keyboard(page, QUESTION, 1)
        answer = page.locator("#reportqa-widget .msg.bot").last
        quote = answer.locator(".quote").inner_text()
        assert quote == "\u201cThe number of victims supported rose to 50,000 people.\u201d"
        assert answer.locator(".text").inner_text() == "It supported 50,000 people [1]."
        # what a reader copies is what is shown: the text content itself is clean
        raw = page.evaluate(f"() => {ROOT_JS}.querySelector('.msg.bot .quote').textContent")
        assert not any(c in raw for c in "\u00ad\u200b\ufeff\n"), repr(raw)
    finally:
        page.context.close()
