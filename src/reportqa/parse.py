"""Report text -> sections. Pure and offset-preserving.

Handles the shapes our reports arrive in:
- PDF-extracted text: hard line breaks (often with blank lines between every line), page starts
  marked by a leading space, headings as short lines, pull quotes with attributions mid-page,
  footnote numbers glued to words ("2011/121"), footnote and URL lines, bullets whose glyph was lost.
- Web pages: navigation and share boilerplate, "Back to table of contents", bullets and indented
  sub-bullets ("•", "-", "○"), markdown link placeholders ("[text](#)"), numbered headings
  ("4. Reducing and preventing violence").

Every cleaned character keeps the offset of the source character it came from, so any span of
cleaned text maps back to an exact slice of the source file.

The work is done in `reportqa.parsing`: `lines` (the source's lines and what each looks like), `clean`
(cleaned text with offsets), `blocks` (the parser); here a report's blocks become its sections.
"""

from __future__ import annotations

from reportqa.parsing.blocks import Heading, Parser
from reportqa.parsing.clean import clean_pieces
from reportqa.parsing.clean import known_words as known_words  # re-exported: display imports it from here
from reportqa.parsing.clean import shipped_words as shipped_words  # re-exported: tests import it from here
from reportqa.parsing.lines import NUMBERED_HEADING_RE
from reportqa.parsing.lines import ends_hyphenated as ends_hyphenated  # re-exported, as shipped_words
from reportqa.types import Block, Section


def detect_shape(source: str) -> str:
    lines = source.split("\n")
    nonblank = [x for x in lines if x.strip()]
    if not nonblank:
        return "web"
    long_wrapped = sum(
        1 for x in nonblank if 70 <= len(x.rstrip()) <= 110 and not x.rstrip().endswith((".", ":"))
    )
    if long_wrapped / len(nonblank) > 0.25:
        return "pdf"
    return "web"


def parse_report(source: str, report_id: str, title: str, shape: str | None = None) -> list[Section]:
    """Split one report's text into sections of cleaned blocks with exact source offsets."""
    shape = shape if shape in ("pdf", "web", "markdown") else detect_shape(source)
    parser = Parser(source, "pdf" if shape == "pdf" else "web")
    items = parser.run()
    sections: list[Section] = []
    path: list[str] = []
    levels: list[int] = []
    heading = title
    sec_start = 0
    blocks: list[Block] = []


    def flush(end: int) -> None:
        if blocks:
            sections.append(
                Section(
                    report_id=report_id,
                    index=len(sections),
                    heading=heading,
                    path=tuple(path) or (heading,),
                    start=blocks[0].start,
                    end=max(b.end for b in blocks),
                    blocks=tuple(blocks),
                )
            )

    page_title: list[Heading] = []  # the headings before the document's first block
    for item in items:
        if isinstance(item, Heading):
            if item.level < 0:
                continue
            flush(item.start)
            blocks = []
            heading = item.text
            level = item.level
            # a page title's next line ("Police and Crime Plan 2017-2021") nests under it; a numbered heading
            # ("1. About MOPAC") starts the body
            before_first_block = not sections and not NUMBERED_HEADING_RE.match(item.text)
            if before_first_block and levels and levels[-1] >= level:
                level = levels[-1] + 1
            while levels and levels[-1] >= level:
                levels.pop()
                path.pop()
            levels.append(level)
            path.append(item.text)
            sec_start = item.start
            page_title = [*page_title, item] if before_first_block else []
            continue
        text, offs = clean_pieces(source, item.pieces, parser.notes, parser.known)
        if not text:
            continue
        if not sections and not blocks and len(page_title) >= 2:
            # a page title of two or more lines is the document's own name as printed: quotable
            name, name_offs = clean_pieces(source, [(h.start, h.end) for h in page_title], parser.notes)
            blocks.append(Block(kind="paragraph", text=name, offsets=name_offs))
        quotable = not any(a <= u < b for a, b in item.pieces for u in parser.unordered)
        blocks.append(Block(kind=item.kind, text=text, offsets=offs, reading=item.reading, quotable=quotable))
    flush(len(source))
    del sec_start
    return sections
