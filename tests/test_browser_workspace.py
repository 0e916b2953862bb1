"""The officer workspace (issue 10) in Debian's chromium against a real `reportqa serve` on 127.0.0.1 and the
real index: the Mayor's Question mode, drafts from ticked turns, filters named in answers, copying as
officers paste, inline length checks, and axe-core (critical and serious) with text contrast in both themes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webkit
from webkit import CONTRAST_JS, LONG, Server, shot

from reportqa.config import Config

pytestmark = pytest.mark.slow
browser = webkit.browser  # Debian's chromium, headless
page = webkit.page

MQ = ("Will the Mayor tell me (a) how many young people the Empower programme supported in 2022/23, (b) how "
      "many CSA survivors The Lighthouse supported, and (c) what the annual budget of the Lighthouse is?")
QUESTION = "How many people did the London Victim and Witness Service support?"


@pytest.fixture(scope="module")
def ws(index_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("workspace"), rate_limit="1000")
    yield s
    s.stop()


def open_ws(page: Any, ws: Server, theme: str = "light") -> None:
    page.goto(ws.url + ("/?__theme=dark" if theme == "dark" else "/"))
    page.get_by_label("Your question").wait_for()


def ask(page: Any, question: str, n: int) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.locator("#rq-live").get_by_text(f"Answer {n} received").wait_for(timeout=LONG)


def draft_mq(page: Any, text: str, title: str = "") -> None:
    page.get_by_role("tab", name="Mayor's Question").click()
    box = page.get_by_label("Mayor's Question as tabled")
    box.fill(text)
    if title:
        page.get_by_label("Title of the Mayor's Question draft (optional)").fill(title)
    page.get_by_role("button", name="Draft the answer part by part").click()
    page.locator("#rq-mq-status").get_by_text("Draft ready").wait_for(timeout=LONG)


def no_error_badges(page: Any) -> None:
    """Gradio shows a failed event as red "Error" badges on its outputs and an error toast: none here."""
    assert page.locator(".toast-body.error, .toast-wrap .error").count() == 0
    assert page.get_by_text("Error", exact=True).count() == 0


def download(page: Any, button: str, to: Path) -> Path:
    with page.expect_download() as dl:
        page.get_by_role("button", name=button).click()
    dl.value.save_as(to)
    return to


def settle(page: Any) -> None:
    """Every event done: no output is still drawn faded as pending."""
    page.wait_for_function("() => !document.querySelector('.pending, .wrap:not(.hide) .eta-bar')")
    page.wait_for_timeout(400)  # CSS transitions end


def axe_serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    settle(page)
    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"] if v["impact"] in ("critical", "serious")]


# -- the Mayor's Question mode ---------------------------------------------------------------------------


def test_mq_mode_drafts_each_part_as_tabled_and_exports_word(page: Any, ws: Server, tmp_path: Path) -> None:
    open_ws(page, ws)
    page.get_by_role("tab", name="Mayor's Question").click()
    box = page.get_by_label("Mayor's Question as tabled")
    box.click()
    page.keyboard.insert_text(MQ)  # pasted: the counter follows as it would for a paste
    page.keyboard.type(" ")
    assert page.locator("#rq-mq-count").inner_text().strip() == f"{len(MQ) + 1:,} of 12,000 characters"
    title = "MQ 2024/0123: Empower and the Lighthouse"
    draft_mq(page, MQ, title)
    no_error_badges(page)

    sections = [page.locator(f"#rq-part-{i}") for i in range(3)]
    heads = [s.locator("h3").inner_text() for s in sections]
    assert [h[:4] for h in heads] == ["(a) ", "(b) ", "(c) "], heads
    for section, figure in zip(sections[:2], ("92", "256"), strict=True):
        assert "Answered from the reports" in section.inner_text()
        answer = section.locator(".rq-part-answer").inner_text()
        assert re.search(rf"\b{figure}\b", answer), answer
        cited = section.locator("li.rq-cited")
        assert cited.count() >= 1
        backing = [cited.nth(i).inner_text() for i in range(cited.count())
                   if re.search(rf"\b{figure}\b", cited.nth(i).locator("mark").inner_text())]
        assert backing and all("Year 2022-23" in b for b in backing), backing
    not_covered = sections[2].inner_text()
    # (c)'s exact ask is not in the reports: its status says so, and what they give is background to it
    assert ("Not covered by the reports" in not_covered or "background from them" in not_covered)
    assert "The reports do not give" in not_covered
    assert sections[2].locator("li.rq-cited").count() == 0  # background is never shown as its answer
    if sections[2].locator("li.rq-related").count():
        assert "not the answer" in not_covered and "Not cited" in not_covered
    shot(page, "workspace-mq-parts")

    # ticks: every part, the cited evidence and the background; nearby evidence is offered but not ticked
    parts = page.locator("#rq-mq-pick-parts input[type=checkbox]")
    assert parts.count() == 3 and all(parts.nth(i).is_checked() for i in range(3))
    evidence = page.locator("#rq-mq-pick-evidence label")
    for i in range(evidence.count()):
        label = evidence.nth(i)
        assert label.locator("input").is_checked() == ("nearby" not in label.inner_text()), label.inner_text()

    text_box = page.get_by_label("Mayor's Question draft (editable)")
    text = text_box.input_value()
    assert text.startswith(f"# {title}\n") and "### (a) " in text and "### (c) " in text
    assert "Nearby, the reports say" not in text

    # the officer edits the draft, then downloads it
    text_box.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nChecked against the 2022-23 report by the officer.")
    page.wait_for_timeout(1500)  # the edit writes the files again
    md = download(page, "Download the draft as Markdown (.md)", tmp_path / "d.md").read_text(encoding="utf-8")
    assert md == text_box.input_value() and md.endswith("by the officer.")

    import docx

    doc = docx.Document(str(download(page, "Download the draft as Word (.docx)", tmp_path / "draft.docx")))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert paras[0] == ("Heading 1", title)
    part_heads = [t for s, t in paras if s == "Heading 3"]
    assert [t[:4] for t in part_heads] == ["(a) ", "(b) ", "(c) "], part_heads
    words = "\n".join(t for _, t in paras)
    assert re.search(r"\b92\b", words) and re.search(r"\b256\b", words) and "The reports do not give" in words
    assert "Checked against the 2022-23 report by the officer." in words
    assert doc.core_properties.author == "reportqa" and doc.core_properties.title == title

    # unticking part (b) takes it out of the draft
    page.locator("#rq-mq-pick-parts label").nth(1).click()
    page.wait_for_function(
        "() => !document.querySelector('#rq-mq-draft-text textarea').value.includes('### (b)')", timeout=LONG)
    assert "### (a) " in text_box.input_value() and "### (c) " in text_box.input_value()


def test_too_long_questions_are_checked_inline(page: Any, ws: Server) -> None:
    open_ws(page, ws)
    long_chat = "How many people did the LVWS support? " * 60  # ~2,300 characters
    page.get_by_label("Your question").fill(long_chat)
    page.get_by_role("button", name="Ask", exact=True).click()
    status = page.locator("#rq-question-status")
    status.get_by_text("takes up to 2,000").wait_for()
    message = status.inner_text()
    assert "Mayor's Question tab" in message and "reportqa" not in message and "`" not in message
    assert page.get_by_label("Your question").input_value() == long_chat  # nothing lost
    no_error_badges(page)

    page.get_by_role("tab", name="Mayor's Question").click()
    page.get_by_label("Mayor's Question as tabled").fill(MQ + " " + "x" * (12_001 - len(MQ)))
    page.keyboard.type("y")
    assert "over the limit" in page.locator("#rq-mq-count").inner_text()
    page.get_by_role("button", name="Draft the answer part by part").click()
    page.locator("#rq-mq-status").get_by_text("takes up to 12,000").wait_for()
    assert "reportqa" not in page.locator("#rq-mq-status").inner_text()
    no_error_badges(page)
    shot(page, "workspace-too-long")


# -- the chat: filters, drafts from ticked turns, copying ------------------------------------------------


def test_filters_are_named_and_reset(page: Any, ws: Server) -> None:
    open_ws(page, ws)
    page.get_by_label("Year", exact=True).click()
    page.get_by_role("option", name=re.compile(r"^2015-16")).click()
    page.locator("#rq-scope").get_by_text("Searching only the 2015-16 report").wait_for()
    ask(page, "How many survivors of child sexual abuse did The Lighthouse support?", 1)
    reply = page.locator("#rq-chat .message").last.inner_text()
    assert "Searched only the 2015-16 report" in reply, reply
    assert "Searched only the 2015-16 report" in page.locator("#rq-sources").inner_text()
    widen = page.get_by_role("button", name="Search all years")
    widen.click()
    page.locator("#rq-live").get_by_text("Answer 1 received").wait_for(timeout=LONG)
    page.wait_for_function("() => !document.querySelector('#rq-chat').innerText.includes('Searched only')",
                           timeout=LONG)
    assert "256" in page.locator("#rq-chat").inner_text()
    assert page.get_by_label("Year", exact=True).input_value() == "All years"
    assert widen.is_hidden()

    page.get_by_label("Police and Crime Plan priority").click()
    page.get_by_role("option").nth(1).click()
    page.locator("#rq-scope").get_by_text("Searching only the priority").wait_for()
    page.get_by_role("button", name="New conversation").click()
    page.locator("#rq-live").get_by_text("New conversation started").wait_for()
    assert page.get_by_label("Police and Crime Plan priority").input_value() == "All priorities"
    page.locator("#rq-scope").get_by_text("Searching all reports").wait_for()
    assert page.locator("#rq-turns input[type=checkbox]").count() == 0


def test_the_chats_clear_button_starts_a_new_conversation(page: Any, ws: Server) -> None:
    open_ws(page, ws)
    ask(page, QUESTION, 1)
    assert page.locator("#rq-turns input[type=checkbox]").count() == 1
    page.locator("#rq-chat").get_by_role("button", name=re.compile("clear", re.I)).click()
    page.locator("#rq-live").get_by_text("New conversation started").wait_for()
    assert page.locator("#rq-turns input[type=checkbox]").count() == 0
    ask(page, "How many visits did Independent Custody Visitors make in 2023-24?", 1)  # numbered afresh
    assert page.locator("#rq-turns input[type=checkbox]").count() == 1


def test_a_chat_draft_uses_only_the_ticked_turns_as_standalone_questions(page: Any, ws: Server) -> None:
    open_ws(page, ws)
    ask(page, QUESTION, 1)
    ask(page, "How many survivors of child sexual abuse did The Lighthouse support in 2022/23?", 2)
    ask(page, "And in 2023/24?", 3)
    turns = page.locator("#rq-turns label")
    labels = [turns.nth(i).inner_text() for i in range(turns.count())]
    assert len(labels) == 3 and "And in 2023/24" not in labels[2], labels  # the rewritten, standalone form
    # no report gives the Lighthouse's 2023-24 figure (the 2023-24 report never names it): the follow-up is
    # not found, never answered with 2022-23's 256, and is not ticked for the draft
    assert labels[2].endswith("(not in the reports)"), labels
    turns.nth(0).click()  # the first answer is left out
    page.get_by_role("button", name="Draft from the ticked answers").click()
    page.wait_for_function("() => document.querySelector('#rq-draft-text textarea').value.length > 50",
                           timeout=LONG)
    text = page.get_by_label("Draft answer (editable)").input_value()
    assert "50,000" not in text and "Victim and Witness" not in text
    assert "256" in text and "And in 2023/24" not in text
    assert text.count("\n### ") == 1, text  # the ticked answer, and only it
    shot(page, "workspace-chat-draft")


def test_copying_answers_and_sources_as_officers_paste_them(page: Any, ws: Server) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ws.url)
    open_ws(page, ws)
    ask(page, QUESTION, 1)
    sources = page.locator("#rq-sources")
    sources.get_by_role("button", name="Copy answer").click()
    sources.get_by_role("button", name="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "50,000" in copied and "[1]" in copied
    assert "\nReferences:\n[1] 2022-2023 MOPAC Annual Report (2022-23)" in copied
    assert not re.search(r"&(?:amp|lt|gt|quot|#\d+);|<br>", copied), copied

    first = sources.locator("li.rq-cited").first
    first.get_by_role("button", name="Copy quote + reference").click()
    quote = page.evaluate("navigator.clipboard.readText()")
    assert quote.startswith("[1] 2022-2023 MOPAC Annual Report (2022-23), section “") and "50,000" in quote

    link = first.get_by_role("link", name=re.compile("Open in report"))
    assert (link.get_attribute("href") or "").startswith("/source/")
    with page.expect_popup() as popup:
        link.click()
    report = popup.value
    report.wait_for_load_state()
    assert "nearly 50,000 people" in report.locator("mark").inner_text()
    page.bring_to_front()

    # related passages do not look like cited ones
    styles = page.evaluate(
        "() => [...document.querySelectorAll('#rq-sources li')].map(li => [li.className,"
        " getComputedStyle(li.querySelector('.rq-passage')).borderLeftStyle])")
    cited = {s for c, s in styles if c == "rq-cited"}
    related = {s for c, s in styles if c == "rq-related"}
    assert cited == {"solid"}
    if related:
        assert related == {"dashed"}


# -- accessibility in both themes ------------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_workspace_has_no_serious_axe_violations_and_readable_text(page: Any, ws: Server, theme: str) -> None:
    open_ws(page, ws, theme)
    ask(page, QUESTION, 1)
    assert page.locator("#rq-chat button[aria-label='']").count() == 0
    assert page.locator("#rq-chat").get_by_role("button", name=re.compile("share", re.I)).count() == 0
    assert page.get_by_text("Feedback export").count() == 0  # everyone's questions: CLI only
    assert axe_serious(page) == []
    settle(page)
    result = page.evaluate(CONTRAST_JS, None)
    assert result["checked"] > 30 and result["failures"] == [], result["failures"]
    draft_mq(page, MQ)
    shot(page, f"workspace-mq-{theme}")
    assert axe_serious(page) == []
    settle(page)
    result = page.evaluate(CONTRAST_JS, "#rq-mq-tab")
    assert result["checked"] > 30 and result["failures"] == [], result["failures"]
