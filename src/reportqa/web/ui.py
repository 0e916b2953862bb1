"""The officer workspace: a Gradio chat with sources beside each answer, filters, a Mayor's Question
mode (`web.mq_view`), a Trend tab (`web.trend_view`), a draft from the answers the officer ticks, and
helpful / not helpful feedback. Its style sheet and theme: `web.theme`.

Everything from the corpus or from a question is shown as escaped text: `web.markup.esc()` before any HTML.
Gradio is imported only inside build_ui(), so importing this module stays light.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from reportqa.config import Config, offline_environment
from reportqa.errors import ReportQAError
from reportqa.web.feedback import FeedbackStore

# What web.mq_view and web.trend_view share with this module lives below all three (markup, session), so
# none imports another tab's module; callers that imported it from here still may (`x as x`: re-exports).
from reportqa.web.markup import COPY_JS, LIVE_JS, chat_html, esc, md_esc, sources_html
from reportqa.web.markup import answer_plain as answer_plain
from reportqa.web.markup import citation_item as citation_item
from reportqa.web.markup import locate as locate
from reportqa.web.markup import passage_html as passage_html
from reportqa.web.markup import reference_line as reference_line
from reportqa.web.session import Session, retitled, write_draft_files

if TYPE_CHECKING:
    from reportqa.service import Assistant
    from reportqa.types import Answer

log = logging.getLogger(__name__)

ALL = "all"
CHAT_MAX_CHARS = 2000  # service.MAX_QUESTION_CHARS: a longer question is checked here, not sent
DRAFT_BANNER = ("DRAFT — prepared automatically from MOPAC's published reports. "
                "Check every statement and figure against its source before use.")


# -- scope and plain text --------------------------------------------------------------------------------


def scope_text(year: str | None, priority: str | None, label: Callable[[str], str] = str) -> str:
    """The officer's filters in words: "" when every report is searched."""
    bits = []
    if year not in (None, "", ALL):
        bits.append(f"the {year} report")
    if priority not in (None, "", ALL):
        bits.append(f"the priority “{label(str(priority))}”")
    return "Searched only " + " and ".join(bits) if bits else ""


def widen_label(year: str | None, priority: str | None) -> str:
    """The button that asks again without the filters: "Search all years", "... and priorities"."""
    y, p = year not in (None, "", ALL), priority not in (None, "", ALL)
    return ("Search all years and priorities" if y and p else "Search all years" if y
            else "Search all priorities")


def year_choices(assistant: Assistant) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for r in assistant.reports:
        seen.setdefault(r.year, f"{r.year} — {r.title}")
    return [("All years", ALL)] + [(text, year) for year, text in sorted(seen.items())]


def priority_choices() -> list[tuple[str, str]]:
    from reportqa.priorities import GENERAL, load_taxonomy

    tax = load_taxonomy()
    return ([("All priorities", ALL)] + [(f"{p.label} ({p.plan} plan)", p.id) for p in tax.priorities]
            + [("General", GENERAL)])


def answer_choices(session: Session) -> list[tuple[str, int]]:
    out = []
    for i, (q, _) in enumerate(session.turns):
        short = q if len(q) <= 60 else q[:57] + "…"
        out.append((f"Answer {i + 1}: {short}", i))
    return out


def turn_choices(session: Session) -> list[tuple[str, int]]:
    """The draft's ticks: each turn as the standalone question that was answered, with its status."""
    out = []
    for i, (q, a) in enumerate(session.turns):
        asked = a.rewritten_question or q
        short = asked if len(asked) <= 90 else asked[:87] + "…"
        status = {"answered": "", "partial": " (partly answered)", "not_found": " (not in the reports)",
                  "refused": " (not answered)"}.get(a.status, "")
        out.append((f"{i + 1}. {short}{status}", i))
    return out


def draft_pairs(session: Session, ticked: Sequence[int] | None) -> list[tuple[str, Answer]]:
    """The ticked turns, each as its rewritten standalone question, in the order they were asked."""
    chosen = {int(i) for i in ticked or ()}
    return [(a.rewritten_question or q, a) for i, (q, a) in enumerate(session.turns)
            if i in chosen and a.status != "refused"]


def officer_message(exc: ReportQAError) -> str:
    """An error as the workspace shows it: the message, and a hint unless it names a command-line tool."""
    hint = exc.hint or ""
    if re.search(r"`|\breportqa\s+\w|--\w", hint):
        hint = ""
    return exc.message[:1].upper() + exc.message[1:] + (f". {hint[:1].upper() + hint[1:]}" if hint else ".")


def mq_hint(question: str) -> str:
    """A note for a multi-part Mayor's Question typed into the chat: the Mayor's Question tab drafts it."""
    from reportqa.errors import InputError
    from reportqa.mq import analyse

    try:
        parts = analyse(question).parts
    except InputError:
        return ""
    if len(parts) >= 2 and all(p.marker for p in parts):
        return (f"This reads as a Mayor's Question with {len(parts)} parts: the Mayor's Question tab "
                "drafts an answer part by part.")
    return ""


def build_ui(config: Config, get_assistant: Callable[[], Assistant], store: FeedbackStore) -> Any:
    """The Blocks of the workspace; mount it with gr.mount_gradio_app (see web.api.create_app).

    The feedback of every officer is exported by `reportqa feedback export`, not from the workspace.
    """
    offline_environment()
    import gradio as gr

    from reportqa.priorities import load_taxonomy

    assistant = get_assistant()
    tax = load_taxonomy()

    def answer_turn(q: str, year: str | None, priority: str | None, session: Session,
                    chat: list[dict[str, Any]], ticked: list[int] | None) -> tuple[Any, ...]:
        """Ask, record the turn, and every output of an answered turn (see `outs`)."""
        y = None if year in (ALL, None) else year
        p = None if priority in (ALL, None) else priority
        ans = get_assistant().ask(q, session.history(), year=y, priority=p)
        scope = scope_text(y, p, tax.label)
        session.turns.append((q, ans))
        session.scopes.append(scope)
        n = len(session.turns)
        reply = ans.text
        if ans.rewritten_question and ans.rewritten_question != q:
            reply = f"(Understood as: {ans.rewritten_question})\n{reply}"
        if scope and ans.status in ("not_found", "partial"):
            reply += f"\n{scope} — {widen_label(y, p).lower()}? Use the “{widen_label(y, p)}” button."
        elif scope:
            reply += f"\n({scope}.)"
        if hint := mq_hint(q):
            reply += f"\n{hint}"
        chat = list(chat or []) + [{"role": "user", "content": chat_html(q)},
                                   {"role": "assistant", "content": chat_html(reply)}]
        cites = len(ans.citations)
        live = esc(f"Answer {n} received, citing {cites} source{'s' if cites != 1 else ''}.")
        chosen = list(ticked or []) + ([n - 1] if ans.status in ("answered", "partial") else [])
        return ("", "", chat, session, sources_html(ans, n, tax.label, scope),
                gr.update(choices=answer_choices(session), value=n - 1), live,
                gr.update(choices=turn_choices(session), value=chosen),
                gr.update(visible=bool(scope), value=widen_label(y, p) if scope else "Search all years"))

    def ask(question: str, year: str, priority: str, session: Session, chat: list[dict[str, Any]],
            ticked: list[int] | None) -> tuple[Any, ...]:
        q = (question or "").strip()
        keep = (gr.update(),) * 7
        if not q:
            return (question, "<p class='rq-inline-error'>Type a question first.</p>", *keep)
        if len(q) > CHAT_MAX_CHARS:
            msg = (f"This question is {len(q):,} characters; a chat question takes up to "
                   f"{CHAT_MAX_CHARS:,}. Shorten it, or paste a long Mayor's Question in the Mayor's "
                   "Question tab, which takes up to 12,000 characters and drafts each part.")
            return (question, f"<p class='rq-inline-error'>{esc(msg)}</p>", *keep)
        try:
            return answer_turn(q, year, priority, session, chat, ticked)
        except ReportQAError as exc:
            return (question, f"<p class='rq-inline-error'>{esc(officer_message(exc))}</p>", *keep)
        except Exception:
            log.exception("ask failed")
            return (question, "<p class='rq-inline-error'>Something went wrong answering that question; "
                              "please try again.</p>", *keep)

    def search_all(session: Session, chat: list[dict[str, Any]], ticked: list[int] | None) -> tuple[Any, ...]:
        """The last question asked again over every report, in place of its filtered answer."""
        keep = (gr.update(),) * 9
        if not session.turns:
            return (gr.update(value=ALL), gr.update(value=ALL), *keep)
        q, _ = session.turns.pop()
        session.scopes.pop()
        chat = list(chat or [])[:-2]
        left = [i for i in (ticked or []) if i < len(session.turns)]
        try:
            out = answer_turn(q, None, None, session, chat, left)
        except ReportQAError as exc:
            return (gr.update(value=ALL), gr.update(value=ALL), "",
                    f"<p class='rq-inline-error'>{esc(officer_message(exc))}</p>", *keep[2:])
        return (gr.update(value=ALL), gr.update(value=ALL), *out)

    def scope_status(year: str, priority: str) -> str:
        y = None if year in (ALL, None) else year
        p = None if priority in (ALL, None) else priority
        scope = scope_text(y, p, tax.label)
        return (f"<p class='rq-scope'>{esc(scope.replace('Searched only', 'Searching only'))}.</p>" if scope
                else "<p class='rq-meta'>Searching all reports and priorities.</p>")

    def show_sources(index: int | None, session: Session) -> str:
        if index is None or not (0 <= int(index) < len(session.turns)):
            return ""
        i = int(index)
        scope = session.scopes[i] if i < len(session.scopes) else ""
        return sources_html(session.turns[i][1], i + 1, tax.label, scope)

    def new_conversation() -> tuple[Any, ...]:
        off = gr.update(value=None, interactive=False)
        return ([], Session(), "<p>Sources appear here after an answer.</p>",
                gr.update(choices=[], value=None), "", off, off, "New conversation started.",
                gr.update(value=ALL), gr.update(value=ALL),
                gr.update(choices=[], value=[]), gr.update(visible=False), "", "")

    def send_feedback(index: int | None, verdict: str | None, comment: str,
                      session: Session) -> tuple[str, str]:
        if index is None or not (0 <= int(index) < len(session.turns)):
            return comment, "Ask a question first, then rate its answer."
        if verdict not in ("Helpful", "Not helpful"):
            return comment, "Choose Helpful or Not helpful first."
        q, ans = session.turns[int(index)]
        try:
            store.record(q, ans, verdict == "Helpful", comment or "", source="workspace")
        except ReportQAError as exc:
            return comment, esc(officer_message(exc))
        return "", esc(f"Thank you: feedback on answer {int(index) + 1} saved.")

    def like(data: Any, comment: str, session: Session) -> str:
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(idx) // 2
        if not (0 <= turn < len(session.turns)):
            return ""
        q, ans = session.turns[turn]
        store.record(q, ans, bool(data.liked), comment or "", source="workspace")
        return esc(f"Thank you: feedback on answer {turn + 1} saved.")

    like.__annotations__["data"] = gr.LikeData  # Gradio finds the event data by this annotation

    def draft(title: str, ticked: list[int] | None, session: Session) -> tuple[Any, ...]:
        from reportqa.mq import draft_from_answers, to_markdown

        pairs = draft_pairs(session, ticked)
        if not any(a.status in ("answered", "partial") for _, a in pairs):
            return (gr.update(), gr.update(), gr.update(),
                    "Tick at least one answer the reports give, then draft.")
        try:
            session.draft = draft_from_answers(pairs, title=(title or "").strip() or None,
                                               coverage=get_assistant().coverage_text())
        except ReportQAError as exc:
            return (gr.update(), gr.update(), gr.update(), esc(officer_message(exc)))
        text = to_markdown(session.draft)
        md_path, docx_path = write_draft_files(session, text, title=session.draft.title)
        n = len(pairs)
        return (text, gr.update(value=str(md_path), interactive=True),
                gr.update(value=str(docx_path), interactive=True),
                f"Draft ready from {n} answer{'s' if n != 1 else ''}: check it against its sources.")

    def draft_edited(text: str, title: str, session: Session) -> tuple[Any, Any]:
        if not (text or "").strip():
            return gr.update(), gr.update()
        md_path, docx_path = write_draft_files(session, text, title=(title or "").strip())
        return gr.update(value=str(md_path)), gr.update(value=str(docx_path))

    def draft_retitled(text: str, title: str, session: Session) -> tuple[Any, Any, Any]:
        if not (text or "").strip() or not (title or "").strip():
            return gr.update(), gr.update(), gr.update()
        text = retitled(text, title)
        md_path, docx_path = write_draft_files(session, text, title=title.strip())
        return text, gr.update(value=str(md_path)), gr.update(value=str(docx_path))

    private: dict[str, Any] = {"api_visibility": "private"}  # the UI's events are not a public API
    with gr.Blocks(title="reportqa — officer workspace", analytics_enabled=False) as demo:
        session = gr.State(Session())
        gr.Markdown(
            "# MOPAC reports — officer workspace\n"
            f"Answers are drawn only from MOPAC's published reports ({md_esc(assistant.coverage_text())}); "
            "every numbered marker points to the quoted source on the right."
        )
        gr.HTML("", elem_id="rq-copy-status", js_on_load=LIVE_JS, elem_classes=["rq-sr-only"])
        with gr.Tabs(elem_id="rq-tabs"):
            with gr.Tab("Ask", elem_id="rq-ask-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(label="Conversation", height=460, render_markdown=False,
                                          sanitize_html=True, latex_delimiters=[], allow_tags=False,
                                          elem_id="rq-chat", feedback_options=("Like", "Dislike"), buttons=[])
                        question = gr.Textbox(
                            label="Your question", lines=1, max_lines=4, elem_id="rq-question",
                            placeholder="e.g. How many people did the LVWS support in 2022-23?")
                        q_status = gr.HTML("", elem_id="rq-question-status", js_on_load=LIVE_JS)
                        with gr.Row():
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="rq-ask")
                            new_btn = gr.Button("New conversation", elem_id="rq-new")
                        with gr.Row():
                            year = gr.Dropdown(year_choices(assistant), value=ALL, label="Year",
                                               elem_id="rq-year")
                            priority = gr.Dropdown(priority_choices(), value=ALL, elem_id="rq-priority",
                                                   label="Police and Crime Plan priority")
                        scope = gr.HTML(scope_status(ALL, ALL), elem_id="rq-scope")
                        widen = gr.Button("Search all years", visible=False, elem_id="rq-search-all")
                        live = gr.HTML("", elem_id="rq-live", js_on_load=LIVE_JS, elem_classes=["rq-sr-only"])
                    with gr.Column(scale=2):
                        pick = gr.Dropdown(choices=[], value=None, label="Show sources for",
                                           elem_id="rq-pick")
                        sources = gr.HTML("<p>Sources appear here after an answer.</p>", elem_id="rq-sources",
                                          js_on_load=COPY_JS)
                        with gr.Group():
                            verdict = gr.Radio(["Helpful", "Not helpful"], label="Was this answer helpful?",
                                               elem_id="rq-verdict")
                            comment = gr.Textbox(label="Comment (optional)", lines=2, elem_id="rq-comment")
                            fb_btn = gr.Button("Send feedback", elem_id="rq-send-feedback")
                        fb_status = gr.HTML("", elem_id="rq-fb-status", js_on_load=LIVE_JS)
                with gr.Accordion("Draft from this conversation", open=True, elem_id="rq-draft-section"):
                    gr.HTML(f"<p class='rq-draft-banner'>{esc(DRAFT_BANNER)}</p>", js_on_load=None)
                    turns = gr.CheckboxGroup([], value=[], type="value", elem_id="rq-turns",
                                             label="Answers to include in the draft",
                                             info="Each as the standalone question that was answered. "
                                                  "Answers the reports give are ticked as they arrive.")
                    mq_title = gr.Textbox(label="Title of the draft (optional)", elem_id="rq-mq-title-chat",
                                          placeholder="e.g. the Mayor's Question reference and subject")
                    draft_btn = gr.Button("Draft from the ticked answers", variant="primary",
                                          elem_id="rq-draft")
                    draft_text = gr.Textbox(label="Draft answer (editable)", lines=14, max_lines=40,
                                            interactive=True, elem_id="rq-draft-text")
                    with gr.Row():
                        md_btn = gr.DownloadButton("Download Markdown (.md)", interactive=False,
                                                   elem_id="rq-dl-md")
                        docx_btn = gr.DownloadButton("Download Word (.docx)", interactive=False,
                                                     elem_id="rq-dl-docx")
                    draft_status = gr.HTML("", elem_id="rq-draft-status", js_on_load=LIVE_JS)
            from reportqa.web.mq_view import add_mq_tab
            from reportqa.web.trend_view import add_trend_tab

            add_mq_tab(get_assistant, session, tax.label, private)
            add_trend_tab(get_assistant, tax.label, private)

        outs = [question, q_status, chat, session, sources, pick, live, turns, widen]
        ask_btn.click(ask, [question, year, priority, session, chat, turns], outs, **private)
        question.submit(ask, [question, year, priority, session, chat, turns], outs, **private)
        widen.click(search_all, [session, chat, turns], [year, priority, *outs], **private)
        for box in (year, priority):
            box.change(scope_status, [year, priority], scope, show_progress="hidden", **private)
        cleared = [chat, session, sources, pick, draft_text, md_btn, docx_btn, live, year, priority, turns,
                   widen, q_status, draft_status]
        new_btn.click(new_conversation, None, cleared, **private)
        chat.clear(new_conversation, None, cleared, **private)  # the chat's own clear button starts anew
        pick.change(show_sources, [pick, session], sources, show_progress="hidden", **private)
        fb_btn.click(send_feedback, [pick, verdict, comment, session], [comment, fb_status], **private)
        chat.like(like, [comment, session], fb_status, **private)
        draft_btn.click(draft, [mq_title, turns, session], [draft_text, md_btn, docx_btn, draft_status],
                        **private)
        draft_text.input(draft_edited, [draft_text, mq_title, session], [md_btn, docx_btn],
                         trigger_mode="always_last", **private)
        mq_title.input(draft_retitled, [draft_text, mq_title, session], [draft_text, md_btn, docx_btn],
                       trigger_mode="always_last", **private)
    return demo
