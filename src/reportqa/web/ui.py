"""The officer workspace: a Gradio chat with sources beside each answer, filters, a Mayor's Question
draft, and helpful / not helpful feedback.

Everything from the corpus or from a question is shown as escaped text: `esc()` before any HTML.
Gradio is imported only inside build_ui(), so importing this module stays light.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportqa.config import Config, offline_environment
from reportqa.errors import ReportQAError
from reportqa.web.feedback import FeedbackStore

if TYPE_CHECKING:
    from reportqa.mq_draft import MQDraft
    from reportqa.service import Assistant
    from reportqa.types import Answer, Citation

log = logging.getLogger(__name__)

ALL = "all"
DRAFT_BANNER = ("DRAFT — prepared automatically from MOPAC's published reports. "
                "Check every statement and figure against its source before use.")
CSS = """
.rq-sources ol { padding-left: 1.25rem; }
.rq-sources li { margin-bottom: 0.9rem; }
.rq-src-head { margin: 0 0 0.25rem 0; }
.rq-passage { margin: 0; padding: 0.5rem 0.75rem; border-left: 4px solid #1d4ed8; background: #f8fafc;
  color: #1a1a1a; white-space: pre-wrap; font-size: 0.95rem; line-height: 1.5; }
.rq-passage mark { background: #ffe066; color: #1a1a1a; padding: 0 0.1em; }
.rq-meta { color: #374151; }
.dark .rq-meta { color: #d1d5db; }
#rq-tabs [role=tab][aria-selected=true] { color: #1d4ed8; }
.dark #rq-tabs [role=tab][aria-selected=true] { color: #93c5fd; }
.rq-note, .rq-draft-banner { color: #7c2d12; background: #fff7ed; border: 1px solid #c2410c;
  padding: 0.5rem 0.75rem; border-radius: 4px; }
.rq-sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important; }
"""
HEAD = '<meta name="description" content="reportqa officer workspace: cited answers from MOPAC reports">'
LIVE_JS = "element.setAttribute('role', 'status'); element.setAttribute('aria-live', 'polite');"


def esc(text: str) -> str:
    """HTML-escape, and neutralise the characters Gradio's HTML template language would read."""
    return (html.escape(text, quote=True).replace("$", "&#36;").replace("{", "&#123;")
            .replace("}", "&#125;").replace("`", "&#96;"))


def chat_html(text: str) -> str:
    """A chat message as escaped text, line breaks kept."""
    return esc(text).replace("\n", "<br>")


_WORD = re.compile(r"[0-9A-Za-z]")


def _alnum_map(s: str) -> tuple[str, list[int]]:
    chars, where = [], []
    for i, ch in enumerate(s):
        if _WORD.match(ch):
            chars.append(ch.lower())
            where.append(i)
    return "".join(chars), where


def locate(passage: str, quote: str) -> tuple[int, int] | None:
    """Where the quoted source text sits in the cleaned passage (which may differ in spacing and glyphs)."""
    if not quote.strip():
        return None
    i = passage.find(quote)
    if i >= 0:
        return i, i + len(quote)
    hay, where = _alnum_map(passage)
    needle, _ = _alnum_map(quote)
    if not needle:
        return None
    j = hay.find(needle)
    if j >= 0:
        return where[j], where[j + len(needle) - 1] + 1
    head, tail = needle[:40], needle[-40:]
    a = hay.find(head)
    b = hay.find(tail, a + 1) if a >= 0 else -1
    if a >= 0 and b >= 0 and b - a < len(needle) * 2:
        return where[a], where[b + len(tail) - 1] + 1
    return None


def passage_html(passage: str, quote: str) -> str:
    """The passage with the cited sentence marked; the quote alone if it cannot be placed."""
    span = locate(passage, quote) if passage else None
    if span is None:
        body = f"<mark>{esc(quote)}</mark>"
        if passage:
            body += "\n\n" + esc(passage)
        return body
    a, b = span
    return esc(passage[:a]) + f"<mark>{esc(passage[a:b])}</mark>" + esc(passage[b:])


def sources_html(answer: Answer, number: int, label: Callable[[str], str] = str) -> str:
    if not answer.citations and not answer.related:
        return (f"<div class='rq-sources'><h3>Sources for answer {number}</h3>"
                "<p>This answer cites no passage.</p></div>")
    parts = [f"<div class='rq-sources'><h3>Sources for answer {number}</h3>",
             f"<div class='rq-meta'>Question: {esc(answer.question)}</div>"]
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        parts.append(f"<div class='rq-meta'>Understood as: {esc(answer.rewritten_question)}</div>")
    if answer.citations:
        parts.append("<ol>")
        parts += [_citation_item(c, label) for c in answer.citations]
        parts.append("</ol>")
    if answer.related:
        parts.append("<h4>Related passages (not cited)</h4><ul>")
        parts += [_citation_item(c, label, marker=False) for c in answer.related]
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def _citation_item(c: Citation, label: Callable[[str], str], marker: bool = True) -> str:
    head = f"[{c.marker}] " if marker else ""
    return (
        f"<li><div class='rq-src-head'><strong>{esc(head + c.title)}</strong></div>"
        f"<div class='rq-meta'>Year {esc(c.year)} · Section: {esc(c.section)} · "
        f"Priority: {esc(label(c.priority))}</div>"
        f"<blockquote class='rq-passage'>{passage_html(c.passage, c.quote)}</blockquote></li>"
    )


@dataclass
class Session:
    """One officer's conversation: the questions and the answers, in order."""

    turns: list[tuple[str, Answer]] = field(default_factory=list)
    draft: MQDraft | None = None
    workdir: str = ""

    def history(self) -> list[dict[str, str]]:
        out = []
        for q, a in self.turns:
            out += [{"role": "user", "content": q}, {"role": "assistant", "content": a.text}]
        return out

    def folder(self) -> Path:
        if not self.workdir:
            self.workdir = tempfile.mkdtemp(prefix="reportqa-ws-")
        return Path(self.workdir)


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


def write_draft_files(session: Session, text: str) -> tuple[Path, Path]:
    """The draft as Markdown (exactly the edited text) and as .docx."""
    from reportqa.mq_draft import to_docx, to_markdown

    folder = session.folder()
    md_path, docx_path = folder / "mayors-question-draft.md", folder / "mayors-question-draft.docx"
    md_path.write_text(text, encoding="utf-8")
    draft = session.draft
    if draft is not None and text.strip() == to_markdown(draft).strip():
        to_docx(draft, docx_path)
    else:
        docx_from_text(text, docx_path)
    return md_path, docx_path


def docx_from_text(text: str, path: Path) -> None:
    """An officer's edited draft (Markdown as written by mq_draft.to_markdown) as a .docx."""
    from docx import Document

    doc = Document()
    if "DRAFT" not in text.upper():
        doc.add_paragraph().add_run(DRAFT_BANNER).bold = True
    for line in text.splitlines():
        line = line.rstrip()
        if not line.strip():
            continue
        if m := re.match(r"^(#{1,3})\s+(.*)$", line):
            doc.add_heading(_plain(m.group(2)), level=len(m.group(1)))
        elif m := re.match(r"^\s*[-*•]\s+(.*)$", line):
            doc.add_paragraph(_plain(m.group(1)), style="List Bullet")
        elif m := re.match(r"^\s*\d+[.)]\s+(.*)$", line):
            doc.add_paragraph(_plain(m.group(1)), style="List Number")
        elif line.lstrip().startswith(">"):
            doc.add_paragraph().add_run(_plain(line.lstrip()[1:])).bold = True
        else:
            doc.add_paragraph(_plain(line))
    doc.save(str(path))


def _plain(text: str) -> str:
    """Markdown emphasis markers dropped: the Word file shows the words, not the asterisks."""
    return re.sub(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))", "", text).strip()


def theme() -> Any:
    """Gradio's default theme in blues whose text contrast meets WCAG 2.2 AA."""
    import gradio as gr

    return gr.themes.Default(primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.slate).set(
        button_primary_background_fill="#1d4ed8",
        button_primary_background_fill_hover="#1e40af",
        button_primary_text_color="#ffffff",
        button_secondary_text_color="#1f2937",
        body_text_color_subdued="#4b5563",
        block_info_text_color="#4b5563",
        input_placeholder_color="#6b7280",
    )


def build_ui(config: Config, get_assistant: Callable[[], Assistant], store: FeedbackStore) -> Any:
    """The Blocks of the workspace; mount it with gr.mount_gradio_app (see web.api.create_app)."""
    offline_environment()
    import gradio as gr

    from reportqa.priorities import load_taxonomy

    assistant = get_assistant()
    tax = load_taxonomy()

    def ask(question: str, year: str, priority: str, session: Session,
            chat: list[dict[str, Any]]) -> tuple[Any, ...]:
        q = (question or "").strip()
        if not q:
            gr.Warning("Type a question first.")
            return (question, chat, session, gr.update(), gr.update(), gr.update())
        try:
            ans = get_assistant().ask(q, session.history(), year=None if year in (ALL, None) else year,
                                      priority=None if priority in (ALL, None) else priority)
        except ReportQAError as exc:
            raise gr.Error(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
        except Exception:
            log.exception("ask failed")
            raise gr.Error("Something went wrong answering that question; please try again.") from None
        session.turns.append((q, ans))
        n = len(session.turns)
        reply = ans.text
        if ans.rewritten_question and ans.rewritten_question != q:
            reply = f"(Understood as: {ans.rewritten_question})\n{reply}"
        chat = list(chat or []) + [{"role": "user", "content": chat_html(q)},
                                   {"role": "assistant", "content": chat_html(reply)}]
        cites = len(ans.citations)
        live = esc(f"Answer {n} received, citing {cites} source{'s' if cites != 1 else ''}.")
        return ("", chat, session, sources_html(ans, n, tax.label),
                gr.update(choices=answer_choices(session), value=n - 1), live)

    def show_sources(index: int | None, session: Session) -> str:
        if index is None or not (0 <= int(index) < len(session.turns)):
            return ""
        return sources_html(session.turns[int(index)][1], int(index) + 1, tax.label)

    def new_conversation() -> tuple[Any, ...]:
        off = gr.update(value=None, interactive=False)
        return ([], Session(), "", gr.update(choices=[], value=None), "", off, off,
                "New conversation started.")

    def send_feedback(index: int | None, verdict: str | None, comment: str,
                      session: Session) -> tuple[str, str]:
        if index is None or not (0 <= int(index) < len(session.turns)):
            gr.Warning("Ask a question first, then rate its answer.")
            return comment, ""
        if verdict not in ("Helpful", "Not helpful"):
            gr.Warning("Choose Helpful or Not helpful.")
            return comment, ""
        q, ans = session.turns[int(index)]
        try:
            store.record(q, ans, verdict == "Helpful", comment or "", source="workspace")
        except ReportQAError as exc:
            raise gr.Error(exc.message) from None
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

    def draft(title: str, session: Session) -> tuple[Any, ...]:
        from reportqa.mq_draft import draft_from_answers, to_markdown

        if not any(a.status in ("answered", "partial") for _, a in session.turns):
            gr.Warning("Ask at least one question the reports answer before drafting.")
            return (gr.update(), gr.update(), gr.update(), "")
        pairs = [(q, a) for q, a in session.turns if a.status != "refused"]
        try:
            session.draft = draft_from_answers(pairs, title=(title or "").strip() or None,
                                               coverage=get_assistant().coverage_text())
        except ReportQAError as exc:
            raise gr.Error(exc.message) from None
        text = to_markdown(session.draft)
        md_path, docx_path = write_draft_files(session, text)
        return (text, gr.update(value=str(md_path), interactive=True),
                gr.update(value=str(docx_path), interactive=True),
                "Draft ready: check it against its sources.")

    def draft_edited(text: str, session: Session) -> tuple[Any, Any]:
        if not (text or "").strip():
            return gr.update(), gr.update()
        md_path, docx_path = write_draft_files(session, text)
        return gr.update(value=str(md_path)), gr.update(value=str(docx_path))

    def export_feedback(session: Session) -> Any:
        out = session.folder() / "reportqa-feedback.csv"
        n = store.export_csv(out)
        return gr.update(value=str(out), visible=True, label=f"Feedback export ({n} rows)")

    with gr.Blocks(title="reportqa — officer workspace", analytics_enabled=False) as demo:
        session = gr.State(Session())
        gr.Markdown(
            "# MOPAC reports — officer workspace\n"
            f"Answers are drawn only from MOPAC's published reports ({esc(assistant.coverage_text())}); "
            "every numbered marker points to the quoted source on the right."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=460, render_markdown=False, sanitize_html=True,
                                  latex_delimiters=[], allow_tags=False, elem_id="rq-chat",
                                  feedback_options=("Like", "Dislike"))
                question = gr.Textbox(label="Your question", lines=1, max_lines=4, elem_id="rq-question",
                                      placeholder="e.g. How many people did the LVWS support in 2022-23?")
                with gr.Row():
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="rq-ask")
                    new_btn = gr.Button("New conversation", elem_id="rq-new")
                with gr.Row():
                    year = gr.Dropdown(year_choices(assistant), value=ALL, label="Year", elem_id="rq-year")
                    priority = gr.Dropdown(priority_choices(), value=ALL, elem_id="rq-priority",
                                           label="Police and Crime Plan priority")
                live = gr.HTML("", elem_id="rq-live", js_on_load=LIVE_JS, elem_classes=["rq-sr-only"])
            with gr.Column(scale=2):
                pick = gr.Dropdown(choices=[], value=None, label="Show sources for", elem_id="rq-pick")
                sources = gr.HTML("<p>Sources appear here after an answer.</p>", elem_id="rq-sources",
                                  js_on_load=None)
                with gr.Group():
                    verdict = gr.Radio(["Helpful", "Not helpful"], label="Was this answer helpful?",
                                       elem_id="rq-verdict")
                    comment = gr.Textbox(label="Comment (optional)", lines=2, elem_id="rq-comment")
                    fb_btn = gr.Button("Send feedback", elem_id="rq-send-feedback")
                fb_status = gr.HTML("", elem_id="rq-fb-status", js_on_load=LIVE_JS)
        from reportqa.web.trend_view import add_trend_tab

        add_trend_tab(get_assistant, tax.label, {"api_visibility": "private"})
        with gr.Accordion("Mayor's Question draft", open=True, elem_id="rq-draft-section"):
            gr.HTML(f"<p class='rq-draft-banner'>{esc(DRAFT_BANNER)}</p>", js_on_load=None)
            mq_title = gr.Textbox(label="Title of the draft (optional)", elem_id="rq-mq-title",
                                  placeholder="e.g. the Mayor's Question reference and subject")
            draft_btn = gr.Button("Draft Mayor's Question answer", variant="primary", elem_id="rq-draft")
            draft_text = gr.Textbox(label="Draft answer (editable)", lines=14, max_lines=40, interactive=True,
                                    elem_id="rq-draft-text")
            with gr.Row():
                md_btn = gr.DownloadButton("Download Markdown (.md)", interactive=False, elem_id="rq-dl-md")
                docx_btn = gr.DownloadButton("Download Word (.docx)", interactive=False, elem_id="rq-dl-docx")
            draft_status = gr.HTML("", elem_id="rq-draft-status", js_on_load=LIVE_JS)
        with gr.Accordion("Feedback export", open=False, elem_id="rq-export-section"):
            export_btn = gr.Button("Export feedback as CSV", elem_id="rq-export")
            export_file = gr.File(label="Feedback export", visible=False, interactive=False,
                                  elem_id="rq-export-file")

        private: dict[str, Any] = {"api_visibility": "private"}  # the UI's events are not a public API
        outs = [question, chat, session, sources, pick, live]
        ask_btn.click(ask, [question, year, priority, session, chat], outs, **private)
        question.submit(ask, [question, year, priority, session, chat], outs, **private)
        new_btn.click(new_conversation, None,
                      [chat, session, sources, pick, draft_text, md_btn, docx_btn, live], **private)
        pick.change(show_sources, [pick, session], sources, **private)
        fb_btn.click(send_feedback, [pick, verdict, comment, session], [comment, fb_status], **private)
        chat.like(like, [comment, session], fb_status, **private)
        draft_btn.click(draft, [mq_title, session], [draft_text, md_btn, docx_btn, draft_status], **private)
        draft_text.input(draft_edited, [draft_text, session], [md_btn, docx_btn], trigger_mode="always_last",
                         **private)
        export_btn.click(export_feedback, [session], export_file, **private)
    return demo

