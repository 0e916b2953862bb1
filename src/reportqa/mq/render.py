"""Drafts rendered: Markdown, and the one Word writer (`docx_from_markdown`); the officer's selections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportqa.errors import InputError
from reportqa.mq.compose import _summary
from reportqa.mq.draft_model import DRAFT_NOTICE, DraftPart, MQDraft
from reportqa.mq.quotes import _shorten, _source_label, related_text, shown_quote
from reportqa.text import strip_bullet
from reportqa.types import MARKER, Citation

PRODUCT = "reportqa"  # the author a written draft names (Word's core properties)
NO_EVIDENCE = "No evidence was chosen for this part."


def _reference_line(c: Citation) -> str:
    """One reference: the report's full title, its year, the section (headings from the top), the page the
    quote starts on where the report has pages (a PDF ingested with them), the quote, and the report's
    address when the corpus manifest records one (`reportqa.sources.cite`)."""
    section = " › ".join(x.strip() for x in c.section.split(" > ") if x.strip())
    page = f", p. {c.page}" if c.page else ""
    line = f"{c.title} ({c.year}), section “{section}”{page}: “{_shorten(shown_quote(c), 400)}”"
    return f"{line} {c.source_url}" if c.source_url else line


def evidence(draft: MQDraft) -> list[tuple[int, str, Citation]]:
    """Every passage a draft offers, in order: (part index, or -1 for the draft's `nearby`; "cited" for an
    answer's evidence, "background" for relevant evidence to a part whose exact ask the reports do not
    give, "nearby" for what the reports say close to a part they do not cover; the citation, its marker
    the draft's reference number)."""
    out: list[tuple[int, str, Citation]] = []
    for i, p in enumerate(draft.parts):
        out += [(i, "cited", c) for c in p.citations]
        out += [(i, p.related_as, c) for c in p.related]
    out += [(-1, "nearby", c) for c in draft.nearby]
    return out


_SEGMENT = re.compile(r".*?(?:\s*" + MARKER.pattern + r")+[.;,]?|.+$")


def _keep_segments(text: str, chosen: set[int]) -> str:
    """The text without the sentences whose [n] markers are all unchosen; lines without markers stay."""
    out = []
    for line in text.split("\n"):
        segments = [m.group(0) for m in _SEGMENT.finditer(line) if m.group(0).strip()]
        kept = [s for s in segments
                if not (markers := {int(x) for x in MARKER.findall(s)}) or markers & chosen]
        if kept:
            out.append(" ".join(s.strip() for s in kept))
    return "\n".join(out)


def select(draft: MQDraft, parts: Sequence[int], chosen: Sequence[tuple[int, int]]) -> MQDraft:
    """The draft as an officer chose it: only `parts` (indices into draft.parts), and only the evidence in
    `chosen` ((part index or -1, reference number), as listed by `evidence`).

    A sentence whose markers all name unchosen evidence is left out; a part the reports do not answer shows
    its background or nearby passages only when they are chosen, still labelled as such; an answered part
    left with no chosen evidence says so. The references are renumbered 1, 2, ... in order of first use, and
    the summary is written again for the chosen parts.
    """
    keep = set(parts)
    picked = set(chosen)
    new_parts: list[DraftPart] = []
    for i, p in enumerate(draft.parts):
        if i not in keep:
            continue
        mine = {n for j, n in picked if j == i}
        if p.related_listed:
            related = tuple(c for c in p.related if c.marker in mine)
            text = " ".join(x for x in (p.gap, related_text(related, p.related_as)) if x)
            new_parts.append(p.model_copy(update={"text": text, "related": related}))
            continue
        text = _keep_segments(p.text, mine)
        if (p.citations or p.related) and not MARKER.search(text):
            text = (p.gap + " " + NO_EVIDENCE).strip() if p.gap else NO_EVIDENCE
        new_parts.append(p.model_copy(update={
            "text": text, "citations": tuple(c for c in p.citations if c.marker in mine),
            "related": tuple(c for c in p.related if c.marker in mine)}))
    nearby = tuple(c for c in draft.nearby if (-1, c.marker) in picked)
    order = [int(x) for p in new_parts for x in MARKER.findall(p.text)] + [c.marker for c in nearby]
    number = {old: new for new, old in enumerate(dict.fromkeys(order), 1)}

    def renumbered(cs: Sequence[Citation]) -> tuple[Citation, ...]:
        return tuple(c.model_copy(update={"marker": number[c.marker]}) for c in cs if c.marker in number)

    new_parts = [p.model_copy(update={
        "text": MARKER.sub(lambda m: f"[{number[int(m.group(1))]}]", p.text),
        "citations": renumbered(p.citations), "related": renumbered(p.related)}) for p in new_parts]
    refs = sorted(renumbered([c for c in draft.references if c.marker in number]), key=lambda c: c.marker)
    processed = sum(p.status != "not_processed" for p in draft.parts)
    return draft.model_copy(update={
        "parts": tuple(new_parts), "references": tuple(refs), "nearby": renumbered(nearby),
        "summary": _summary(new_parts, draft.coverage, processed) if new_parts else "No part was chosen.",
    })


def _sections(draft: MQDraft) -> list[tuple[str, list[tuple[str, str]]]]:
    """The draft as (heading, [(kind, text)]) blocks: kinds part (a part's heading, labelled as tabled),
    para, bullet, note and ref."""
    answer: list[tuple[str, str]] = []
    for p in draft.parts:
        if p.status == "not_processed":
            continue
        # the part as tabled: what the reports were searched with is never shown as the question
        answer.append(("part", f"{p.heading_label()} {p.shown()}".strip()))
        lines = [ln for ln in p.text.split("\n") if ln.strip()]
        if lines:
            answer.append(("para", lines[0]))
            # a line that is already a list item keeps one mark: "- Robbery", never "- - Robbery"
            answer += [("bullet", strip_bullet(ln)) for ln in lines[1:]]
    out: list[tuple[str, list[tuple[str, str]]]] = [("Answer", answer)]
    if draft.nearby:
        items = [("bullet", f"“{_shorten(shown_quote(c), 200)}” ({_source_label(c)}) [{c.marker}]")
                 for c in draft.nearby]
        intro = [("para", f"The reports cover {draft.coverage}.")]
        out.append(("What the reports cover nearby", intro + items))
    missing = draft.parts_with("not_found", "refused", "error", "policy")
    if missing:
        out.append(("Not covered by the reports",
                    [("bullet", f"{p.heading_label()} {p.gap or p.text}".strip()) for p in missing]))
    skipped = draft.parts_with("not_processed")
    if skipped:
        out.append(("Not processed", [("bullet", f"{p.heading_label()} {_shorten(p.shown(), 200)}".strip())
                                      for p in skipped]))
    if draft.references:
        out.append(("References", [("ref", _reference_line(c)) for c in draft.references]))
    return out


# a "<" that could open an HTML tag, comment or declaration: a letter, "/", "!" or "?" right after it
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def md_text(text: str) -> str:
    """Report, question or title text placed in Markdown, readable as the officer edits it (no HTML entity,
    "&gt;", ever appears): a "<" that could open a tag ("<script", "</b", "<!--") gets a space after it, so
    no tag, comment or script survives an export opened as HTML or rendered as Markdown, while "<5%" or
    "a < b" stay as written; a ">" opening a line is backslash-escaped (not a block quote); a Markdown link
    or image ("[x](url)") is backslash-escaped to show as written."""
    t = _TAG_OPEN.sub("< ", text)
    t = re.sub(r"(?m)^(\s*)>", r"\1\\>", t)
    return re.sub(r"(!?)\[([^\]\n]*)\]\(", r"\1\\[\2\\](", t)


def _one_line(question: str) -> str:
    """A tabled question on one line, its paragraphs kept apart: a title line without closing punctuation
    ("Police and Crime Plan") gets a full stop, so it does not run into the preamble."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", question) if p.strip()]
    return " ".join(p if p[-1] in ".?!:;…)”\"'’" else p + "." for p in paras)


def to_markdown(draft: MQDraft) -> str:
    """The draft as Markdown: `# title`, the notice, the question and summary, `## ` sections, each part
    under a `### ` heading labelled as tabled, and the numbered references. `docx_from_markdown` reads it.
    Every text from a report, the question or a title goes through `md_text` (HTML escaped)."""
    lines = [f"# {md_text(draft.title)}", "", f"> **{draft.notice}**", ""]
    question = _one_line(draft.question)
    if draft.question_title:
        # the question's own title is kept as its own line, whatever title the officer gives the draft
        lines += [f"**Question title:** {md_text(draft.question_title)}", ""]
        said = _one_line(draft.question_title)
        question = question.removeprefix(said).strip() or question
    lines += [f"**Question:** {md_text(_shorten(question, 2000))}", ""]
    if draft.earlier_questions:
        lines += [f"*Further to question {md_text(', '.join(draft.earlier_questions))}.*", ""]
    lines += [f"**Summary:** {md_text(draft.summary)}", ""]
    for heading, blocks in _sections(draft):
        lines += [f"## {heading}", ""]
        n = 0
        prev = ""
        for kind, raw in blocks:
            text = md_text(raw)
            if prev in ("bullet", "ref") and kind not in ("bullet", "ref"):
                lines.append("")
            prev = kind
            if kind == "part":
                lines += [f"### {text}", ""]
            elif kind == "para":
                lines += [text, ""]
            elif kind == "bullet":
                lines.append(f"- {text}")
            elif kind == "note":
                lines += ["", f"*{text}*", ""]
            elif kind == "ref":
                n += 1
                lines.append(f"{n}. {text}")
        lines.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def to_docx(draft: MQDraft, path: str | Path) -> Path:
    """Write the draft as a Word document: `to_markdown` read by `docx_from_markdown`. Raises InputError."""
    return docx_from_markdown(to_markdown(draft), path, title=draft.title, notice=draft.notice)


# what XML 1.0 (and so Word) cannot hold: control characters, lone surrogates, U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with the characters an XML document cannot hold replaced by U+FFFD (a pasted question may
    carry control characters or lone surrogates; Word would refuse the whole file)."""
    return _NOT_XML.sub("\ufffd", text)


def docx_from_markdown(text: str, path: str | Path, title: str = "", notice: str = DRAFT_NOTICE) -> Path:
    """The one Word writer: a draft in Markdown (as `to_markdown` writes it, or an officer's edit of it) as
    a .docx at `path`.

    `#`, `##` and `###` headings become Word headings 1-3 (the title, the sections, the parts as tabled);
    bullets "List Bullet"; a numbered list keeps its own numbers ("3. ..."), so references match the [n]
    markers after an edit; a block quote is bold (the notice); **bold** and *italic* are kept, line breaks
    too. The title is the first `#` heading, else `title`, which is then put on top; `notice` is added when
    the text no longer says DRAFT. Core properties: title, author and last modified by "reportqa".
    Raises InputError when the folder does not exist or the file cannot be written.
    """
    text, title, notice = xml_safe(text), xml_safe(title), xml_safe(notice)
    from docx import Document  # lazy: only when a .docx is asked for
    from markdown_it import MarkdownIt

    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path.parent} is not a directory", "create it first, or choose another --out path")
    tokens = MarkdownIt("commonmark", {"html": False}).parse(text)
    heading = next((t for prev, t in zip(tokens, tokens[1:], strict=False)
                    if prev.tag == "h1" and t.type == "inline"), None)
    doc = Document()
    doc_title = heading.content.strip() if heading is not None else title
    if heading is None and title:
        doc.add_heading(title, level=1)
    if "DRAFT" not in text.upper() and notice:
        doc.add_paragraph().add_run(notice).bold = True
    lists: list[str] = []
    quoted = 0
    number = ""
    for i, t in enumerate(tokens):
        if t.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(t.type)
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "blockquote_open":
            quoted += 1
        elif t.type == "blockquote_close":
            quoted -= 1
        elif t.type == "list_item_open":
            number = t.info
        elif t.type in ("fence", "code_block"):
            doc.add_paragraph(t.content.rstrip("\n"))
        elif t.type == "inline":
            block = tokens[i - 1]
            if block.type == "heading_open":
                para = doc.add_heading("", level=min(int(block.tag[1:]), 9))
            elif lists and lists[-1] == "bullet_list_open":
                depth = min(len(lists), 3)
                para = doc.add_paragraph(style="List Bullet" + (f" {depth}" if depth > 1 else ""))
            elif lists:
                para = doc.add_paragraph(style="List Paragraph")
                if number:
                    para.add_run(f"{number}. ")
                    number = ""
            else:
                para = doc.add_paragraph()
            _add_runs(para, t.children or [], bold=quoted > 0)
    props = doc.core_properties
    props.title = doc_title
    props.author = props.last_modified_by = PRODUCT
    props.comments = notice
    try:
        doc.save(str(path))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", "choose another --out path") from exc
    return path


def _add_runs(para: Any, children: Sequence[Any], bold: bool = False) -> None:
    """Markdown inline tokens as Word runs: text, **bold**, *italic*, code and line breaks; a link's text."""
    strong = em = 0
    for c in children:
        if c.type == "strong_open":
            strong += 1
        elif c.type == "strong_close":
            strong -= 1
        elif c.type == "em_open":
            em += 1
        elif c.type == "em_close":
            em -= 1
        elif c.type in ("softbreak", "hardbreak"):
            para.add_run().add_break()
        elif c.type in ("text", "code_inline") or (c.type == "image" and c.content):
            run = para.add_run(c.content)
            run.bold = bold or strong > 0 or None
            run.italic = em > 0 or None
