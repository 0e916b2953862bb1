"""The workspace's Mayor's Question tab: the question pasted as tabled, drafted part by part.

The officer pastes the question (up to MQ_MAX_CHARS characters, counted as they type) and gets one
section per part, labelled as the question labels it ("(a)", "ii)", "1.") and worded exactly as tabled: the
part's answer with the evidence it cites; or "The reports do not give ..." with the relevant evidence shown
as background (the exact ask is not in the reports), or the closest passages shown as nearby (nothing in
the reports is about it), never as the answer. Two lists of ticks choose the parts and the evidence that go
into the draft; the draft text (Markdown, as `reportqa.mq.to_markdown` writes it) is rebuilt from the ticks,
can be edited, and downloads as .md (exactly the text) or .docx (`reportqa.mq.docx_from_markdown`, the one
Word writer).

Everything from the corpus or from the officer is escaped before it is put in HTML (`web.markup.esc`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from reportqa.errors import ReportQAError
from reportqa.web.markup import COPY_JS, LIVE_JS, citation_item, esc
from reportqa.web.session import retitled, write_draft_files

if TYPE_CHECKING:
    from reportqa.mq import DraftPart, MQDraft
    from reportqa.service import Assistant
    from reportqa.types import Citation
    from reportqa.web.session import Session

log = logging.getLogger(__name__)

MQ_MAX_CHARS = 12_000
STATUS_TEXT = {
    "answered": "Answered from the reports",
    "not_found": "Not covered by the reports",
    "policy": "For the Mayor's office: a decision or view the reports cannot give",
    "refused": "Not answered from the reports",
    "not_processed": "Not processed",
    "error": "Not answered: an error",
}
# the counter under the question box, updated in the browser as the officer types or pastes
COUNTER_JS = f"""
const max = {MQ_MAX_CHARS};
const show = (n) => {{
  const out = element.querySelector('#rq-mq-count-text');
  if (!out) return;
  const over = n - max;
  const fmt = (x) => x.toLocaleString('en-GB');
  out.textContent = fmt(n) + ' of ' + fmt(max) + ' characters' +
    (over > 0 ? ' — ' + fmt(over) + ' over the limit: shorten the question to draft it.' : '');
  out.classList.toggle('rq-over', over > 0);
}};
document.addEventListener('input', (e) => {{
  const box = e.target && e.target.closest ? e.target.closest('#rq-mq-text') : null;
  if (!box) return;
  e.target.setAttribute('aria-describedby', 'rq-mq-count-text');
  show(e.target.value.length);
}});
"""


def counter_text(n: int) -> str:
    """The counter as the page first shows it, and after the box is filled from the server."""
    over = n - MQ_MAX_CHARS
    text = f"{n:,} of {MQ_MAX_CHARS:,} characters"
    if over > 0:
        text += f" — {over:,} over the limit: shorten the question to draft it."
    cls = " class='rq-over'" if over > 0 else ""
    return f"<p id='rq-mq-count-text'{cls}>{esc(text)}</p>"


def too_long(n: int) -> str:
    """The inline message for a question over the limit: what to do, in the workspace's own terms."""
    return (f"The question is {n:,} characters; the Mayor's Question box takes up to {MQ_MAX_CHARS:,}. "
            "Shorten it (a long quoted earlier answer can go) and draft again.")


BACKGROUND_STATUS = "The reports do not give exactly this: background from them"
RELATED_HEADING = {"background": "Background from the reports — not the answer to this part",
                   "nearby": "Nearby in the reports — not the answer"}


def part_heading(p: DraftPart) -> str:
    """A part's heading: its marker and its words as tabled, never the rewrite the reports were searched
    with."""
    return f"{p.heading_label()} {p.shown()}".strip()


def part_status(p: DraftPart) -> str:
    if p.status == "not_found" and p.related and p.related_as == "background":
        return BACKGROUND_STATUS
    return STATUS_TEXT.get(p.status, p.status)


def _evidence_item(c: Citation, label: Callable[[str], str], nearby: bool) -> str:
    return citation_item(c, label, marker=not nearby, related=nearby)


def parts_html(draft: MQDraft, label: Callable[[str], str] = str) -> str:
    """Every part under its heading as tabled: its status, its answer or gap, and its evidence."""
    out = ["<div class='rq-mq-parts'><h2>The draft, part by part</h2>"]
    if draft.question_title:
        out.append(f"<p class='rq-meta'>Question title: {esc(draft.question_title)}</p>")
    out.append(f"<p class='rq-meta'>{esc(draft.summary)}</p>")
    for note in draft.notes:
        out.append(f"<p class='rq-note'>{esc(note)}</p>")
    for i, p in enumerate(draft.parts):
        kind = "answered" if p.status == "answered" else "policy" if p.status == "policy" else "not-covered"
        status = esc(part_status(p))
        out.append(f"<section class='rq-part rq-part-{kind}' id='rq-part-{i}' "
                   f"aria-labelledby='rq-part-{i}-h'>"
                   f"<h3 id='rq-part-{i}-h'>{esc(part_heading(p))}</h3>"
                   f"<p class='rq-part-status'><strong>{status}</strong></p>")
        if p.status in ("answered", "policy"):
            out.append(f"<p class='rq-part-answer'>{esc(p.text).replace(chr(10), '<br>')}</p>")
            if p.citations:
                out.append("<h4>Evidence cited</h4><ol class='rq-evidence'>")
                out += [_evidence_item(c, label, nearby=False) for c in p.citations]
                out.append("</ol>")
        else:
            out.append(f"<p class='rq-gap'>{esc(p.gap or p.text)}</p>")
            if p.related:
                out.append(f"<h4>{esc(RELATED_HEADING.get(p.related_as, RELATED_HEADING['nearby']))}</h4>"
                           "<ul class='rq-evidence rq-related'>")
                out += [_evidence_item(c, label, nearby=True) for c in p.related]
                out.append("</ul>")
        out.append("</section>")
    if draft.nearby:
        out.append("<section class='rq-part'><h3>What the reports cover nearby — not an answer</h3>"
                   "<ul class='rq-evidence rq-related'>")
        out += [_evidence_item(c, label, nearby=True) for c in draft.nearby]
        out.append("</ul></section>")
    out.append("</div>")
    return "".join(out)


def _short(text: str, width: int) -> str:
    import textwrap

    from reportqa.display import clean_quote

    return textwrap.shorten(clean_quote(text), width, placeholder=" …")


def part_choices(draft: MQDraft) -> list[tuple[str, str]]:
    return [(_short(part_heading(p), 110), str(i)) for i, p in enumerate(draft.parts)]


def evidence_choices(draft: MQDraft) -> tuple[list[tuple[str, str]], list[str]]:
    """The evidence ticks (label, "part:reference") and those ticked at first: the cited and the background
    (relevant evidence, labelled as background in the draft), not the nearby."""
    from reportqa.mq import evidence
    from reportqa.mq.compose import shown_quote

    choices: list[tuple[str, str]] = []
    ticked: list[str] = []
    for i, kind, c in evidence(draft):
        head = draft.parts[i].heading_label() if i >= 0 else "Whole question"
        what = {"cited": f"[{c.marker}] cited", "background": f"[{c.marker}] background, not the answer"}.get(
            kind, "nearby, not the answer")
        value = f"{i}:{c.marker}"
        choices.append((f"{head} {what}: “{_short(shown_quote(c), 90)}” ({c.year} report)", value))
        if kind in ("cited", "background"):
            ticked.append(value)
    return choices, ticked


def chosen_markdown(draft: MQDraft, parts: Sequence[str] | None, evidence: Sequence[str] | None,
                    title: str = "") -> str:
    """The draft text for the ticks: `reportqa.mq.select` then `to_markdown`, under the officer's title."""
    from reportqa.mq import select, to_markdown

    keys = [tuple(int(x) for x in v.split(":", 1)) for v in evidence or ()]
    chosen = select(draft, [int(i) for i in parts or ()], [(k[0], k[1]) for k in keys])
    if title.strip():
        chosen = chosen.model_copy(update={"title": title.strip()})
    return to_markdown(chosen)


def add_mq_tab(get_assistant: Callable[[], Assistant], session: Any, label: Callable[[str], str],
               private: dict[str, Any]) -> None:
    """The Mayor's Question tab, built inside the caller's gr.Tabs (see web.ui.build_ui)."""
    import gradio as gr

    def run(text: str, title: str, sess: Session) -> tuple[Any, ...]:
        keep = (gr.update(),) * 6
        q = text or ""
        if not q.strip():
            return ("<p class='rq-inline-error'>Paste the Mayor's Question first.</p>", *keep, sess)
        if len(q) > MQ_MAX_CHARS:
            return (f"<p class='rq-inline-error'>{esc(too_long(len(q)))}</p>", *keep, sess)
        try:
            draft = get_assistant().draft_mq(q, max_chars=MQ_MAX_CHARS)
        except ReportQAError as exc:
            return (f"<p class='rq-inline-error'>{esc(exc.message)}.</p>", *keep, sess)
        except Exception:
            log.exception("Mayor's Question draft failed")
            return ("<p class='rq-inline-error'>Something went wrong drafting that question; "
                    "please try again.</p>", *keep, sess)
        sess.mq = draft
        parts = part_choices(draft)
        ev, ticked = evidence_choices(draft)
        md = chosen_markdown(draft, [v for _, v in parts], ticked, title)
        md_path, docx_path = write_draft_files(sess, md, "mayors-question", title or draft.title)
        n = len(draft.parts)
        status = f"Draft ready: {n} part{'s' if n != 1 else ''}. Check it against its sources."
        return (f"<p>{esc(status)}</p>", parts_html(draft, label),
                gr.update(choices=parts, value=[v for _, v in parts]), gr.update(choices=ev, value=ticked),
                md, gr.update(value=str(md_path), interactive=True),
                gr.update(value=str(docx_path), interactive=True), sess)

    def rechoose(parts: list[str], chosen: list[str], title: str, sess: Session) -> tuple[Any, ...]:
        if sess.mq is None:
            return gr.update(), gr.update(), gr.update()
        md = chosen_markdown(sess.mq, parts, chosen, title)
        md_path, docx_path = write_draft_files(sess, md, "mayors-question", title or sess.mq.title)
        return md, gr.update(value=str(md_path)), gr.update(value=str(docx_path))

    def edited(text: str, title: str, sess: Session) -> tuple[Any, Any]:
        if sess.mq is None or not (text or "").strip():
            return gr.update(), gr.update()
        md_path, docx_path = write_draft_files(sess, text, "mayors-question", title or sess.mq.title)
        return gr.update(value=str(md_path)), gr.update(value=str(docx_path))

    def retitle(text: str, title: str, sess: Session) -> tuple[Any, Any, Any]:
        if sess.mq is None or not (text or "").strip() or not (title or "").strip():
            return gr.update(), gr.update(), gr.update()
        text = retitled(text, title)
        md_path, docx_path = write_draft_files(sess, text, "mayors-question", title.strip())
        return text, gr.update(value=str(md_path)), gr.update(value=str(docx_path))

    with gr.Tab("Mayor's Question", elem_id="rq-mq-tab"):
        gr.Markdown(
            "Paste the question as tabled, with its preamble and its parts. The draft answers each part from "
            "the reports, labelled as the question labels it; tick the parts and the evidence that go in, "
            "edit the text, and download it."
        )
        text = gr.Textbox(label="Mayor's Question as tabled", lines=8, max_lines=30, elem_id="rq-mq-text",
                          placeholder="e.g. Will the Mayor tell me (a) how many ..., (b) ... and (c) ...?")
        gr.HTML(counter_text(0), elem_id="rq-mq-count", js_on_load=COUNTER_JS)
        title = gr.Textbox(label="Title of the Mayor's Question draft (optional)", elem_id="rq-mq-title",
                           placeholder="e.g. the question's reference and subject")
        go = gr.Button("Draft the answer part by part", variant="primary", elem_id="rq-mq-go")
        status = gr.HTML("", elem_id="rq-mq-status", js_on_load=LIVE_JS)
        parts_view = gr.HTML("", elem_id="rq-mq-parts", js_on_load=COPY_JS)
        pick_parts = gr.CheckboxGroup([], label="Parts to include", elem_id="rq-mq-pick-parts")
        pick_evidence = gr.CheckboxGroup(
            [], label="Evidence to include", elem_id="rq-mq-pick-evidence",
            info="The evidence each answer cites is ticked, and the background to a part whose exact ask the "
                 "reports do not give (labelled as background in the draft). A passage nearby a part the "
                 "reports do not cover is not its answer: tick it only to show what the reports do say.")
        draft_text = gr.Textbox(label="Mayor's Question draft (editable)", lines=16, max_lines=50,
                                interactive=True, elem_id="rq-mq-draft-text",
                                info="Changing the ticks writes the draft again: edit it last.")
        with gr.Row():
            md_btn = gr.DownloadButton("Download the draft as Markdown (.md)", interactive=False,
                                       elem_id="rq-mq-dl-md")
            docx_btn = gr.DownloadButton("Download the draft as Word (.docx)", interactive=False,
                                         elem_id="rq-mq-dl-docx")
    outs = [status, parts_view, pick_parts, pick_evidence, draft_text, md_btn, docx_btn, session]
    go.click(run, [text, title, session], outs, **private)
    for box in (pick_parts, pick_evidence):
        box.input(rechoose, [pick_parts, pick_evidence, title, session], [draft_text, md_btn, docx_btn],
                  **private)
    title.input(retitle, [draft_text, title, session], [draft_text, md_btn, docx_btn],
                trigger_mode="always_last", **private)
    draft_text.input(edited, [draft_text, title, session], [md_btn, docx_btn], trigger_mode="always_last",
                     **private)
