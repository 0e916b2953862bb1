"""The parser: a report's lines read into drafts of blocks (paragraphs, bullets and sub-bullets, pull
quotes, list items, table rows read with their headers) and headings, each block a list of source ranges
(`parse.parse_report` cleans them and assembles the sections).

PDF-extracted text and web pages are read differently (`shape`): in a PDF a leading space marks a page's
start, a paragraph runs on over line and page breaks until its sentence ends, and headings are short lines;
a web page's headings may be numbered or markdown, and a colon introduces a list of short items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.layout import find_tables, is_cover_fact, is_viewer_line, row_reading
from reportqa.parsing.clean import known_words
from reportqa.parsing.lines import (
    BOILERPLATE_RE,
    BULLET_RE,
    DIGITS_RE,
    JOIN_WORDS,
    LINK_ONLY_RE,
    MD_HEADING_RE,
    NUMBERED_HEADING_RE,
    SUB_GLYPHS,
    TRAILING_BOILERPLATE_RE,
    URL_RE,
    URLISH_RE,
    Line,
    ends_hyphenated,
    ends_terminal,
    footnote_numbers,
    heading_like,
    split_lines,
    unwind_columns,
    word_count,
)
from reportqa.types import BlockKind


@dataclass
class Draft:
    """A block being read: its kind and the source ranges of its lines."""

    kind: BlockKind
    pieces: list[tuple[int, int]] = field(default_factory=list)  # (start, end) source ranges
    open: bool = True  # still accepting continuation lines
    reading: str = ""  # a table row read with its headers (`Block.reading`)


@dataclass
class Heading:
    """A heading read: its text, its level (-1: a repeated running heading, dropped) and source range."""

    text: str
    level: int
    start: int
    end: int


class Parser:
    """One report's lines read into drafts and headings, in order (`run`)."""

    def __init__(self, source: str, shape: str) -> None:
        self.source = source
        self.shape = shape
        self.lines, self.unordered = unwind_columns(split_lines(source))
        self.tables = {t.first: t for t in find_tables(self.lines)}
        self.notes = footnote_numbers(self.lines) if shape == "pdf" else set()
        self.known = known_words(source)
        self.items: list[Draft | Heading] = []
        self.bullet_indent = 0
        self.numbered = any(NUMBERED_HEADING_RE.match(x.text) for x in self.lines)

    # -- helpers ---------------------------------------------------------
    def _last_draft(self) -> Draft | None:
        for item in reversed(self.items):
            if isinstance(item, Draft):
                return item
            return None
        return None

    def _last_open_paragraph(self) -> Draft | None:
        """The most recent paragraph, skipping quotes, if it still waits for its sentence to end."""
        for item in reversed(self.items):
            if isinstance(item, Heading):
                return None
            if item.kind == "quote":
                continue
            return item if item.open else None
        return None

    def _piece(self, line: Line) -> tuple[int, int]:
        text = line.text
        m = TRAILING_BOILERPLATE_RE.search(text)
        end = line.start + (m.start() if m else len(text))
        return (line.start, end)

    def _close(self, draft: Draft) -> None:
        last = self.source[draft.pieces[-1][0] : draft.pieces[-1][1]]
        draft.open = not ends_terminal(last)

    def _next_nonblank(self, i: int) -> Line | None:
        for k in range(i + 1, len(self.lines)):  # no slice: a copy of the rest per line is quadratic
            if not self.lines[k].blank:
                return self.lines[k]
        return None

    # -- main loop -------------------------------------------------------
    def run(self) -> list[Draft | Heading]:
        lines = self.lines
        i = 0
        prev_blank = True
        while i < len(lines):
            line = lines[i]
            s = line.stripped
            if line.blank:
                prev_blank = True
                i += 1
                continue
            page_start = (
                self.shape == "pdf"
                and re.match(r"^ \S", line.text) is not None
                and (i == 0 or not prev_blank)
            )
            had_blank = prev_blank
            prev_blank = False
            if i in self.tables:
                i = self._take_table(i)
                continue
            if is_cover_fact(line.text):  # "Reference code: PCD 280": a sentence of its own, never a heading
                self.items.append(Draft("paragraph", [self._piece(line)], open=False))
                i += 1
                continue
            if is_viewer_line(line.text):  # "File Type: pdf, Size: 1020Kb"
                i += 1
                continue
            if BOILERPLATE_RE.match(line.text) or LINK_ONLY_RE.match(line.text) and self._in_link_list(i):
                i += 1
                continue
            if URL_RE.match(line.text) or (
                self.shape == "pdf" and URLISH_RE.match(line.text) and " " not in s
            ):
                i += 1
                continue
            if DIGITS_RE.match(line.text) and self.shape == "pdf":
                i += 1  # page numbers and footnote numbers
                continue
            if set(s) <= set("_-–—=·. "):
                i += 1
                continue
            if self.shape == "pdf" and s[0] in "“\"" and self._quote_follows(i):
                i = self._take_quote(i)
                continue
            bullet = BULLET_RE.match(line.text)
            if bullet is None and self.shape == "pdf" and re.match(r"^ \S", line.text) and not page_start:
                prev = self._last_draft()
                if prev is not None and (
                    prev.kind in ("bullet", "subbullet") or self._last_text(prev).endswith(":")
                ):
                    bullet = re.match(r"^ ", line.text)
            if bullet is not None:
                indent = len(bullet.group(0)) - len(bullet.group(0).lstrip(" \t\xa0"))
                glyph = bullet.group("glyph") if "glyph" in bullet.groupdict() else ""
                last_bullet = self._last_draft()
                nested = (
                    last_bullet is not None
                    and last_bullet.kind in ("bullet", "subbullet")
                    and indent > self.bullet_indent
                )
                kind: BlockKind = "subbullet" if nested or (glyph and glyph in SUB_GLYPHS) else "bullet"
                if kind == "bullet":
                    self.bullet_indent = indent
                cont = self._last_open_paragraph()
                if (
                    kind == "bullet"
                    and self.shape == "pdf"
                    and glyph in "–-"
                    and cont is not None
                    and cont.kind != "bullet"
                ):
                    cont.pieces.append(self._piece(line))  # a dash mid-sentence after a page break
                    self._close(cont)
                else:
                    draft = Draft(kind, [self._piece(line)])
                    self.items.append(draft)
                    self._close(draft)
                i += 1
                continue
            heading = self._heading_at(i, page_start)
            if heading is not None:
                h, i = heading
                self.items.append(h)
                continue
            prev_item = self._last_draft()
            if (
                self.shape != "pdf"
                and prev_item is not None
                and (prev_item.kind == "item" or self._last_text(prev_item).endswith(":"))
                and heading_like(line.text)
            ):
                self.items.append(Draft("item", [self._piece(line)], open=False))
                i += 1
                continue
            # paragraph text: continue an open paragraph or start a new one
            cont = self._last_open_paragraph()
            # a line after a word broken at the line's end continues it, whatever its case ("pan-" / "London")
            starts_lower = s[0].islower() or s[0] in "(&,;%" or (
                cont is not None and not had_blank and ends_hyphenated(self._last_text(cont))
            )
            join = cont is not None and (
                starts_lower
                or (self.shape == "pdf" and cont.kind in ("paragraph", "bullet", "subbullet"))
            )
            if (
                cont is not None
                and cont.kind in ("bullet", "subbullet")
                and not starts_lower
                and (self.shape != "pdf" or had_blank)
            ):
                join = False
            if join and cont is not None and self._starts_new_figure(cont, s):
                join = False
            if (
                join
                and cont is not None
                and page_start
                and not starts_lower
                and re.match(r"^[£]?\d", self._first_text(cont))
            ):
                join = False  # an infographic line does not run on into the next page
            if join and cont is not None:
                cont.pieces.append(self._piece(line))
                self._close(cont)
            else:
                draft = Draft("paragraph", [self._piece(line)])
                self.items.append(draft)
                self._close(draft)
            i += 1
        return self.items

    def _take_table(self, i: int) -> int:
        """A table's data rows, each a block read with its row and column headers; the header row itself is
        in every row's reading. Returns the index of the line after the table."""
        table = self.tables[i]
        for k, cells in table.rows:
            line = self.lines[k]
            texts = [line.text[a:b].strip() for a, b in cells]
            span = (line.start + cells[0][0], line.start + max(b for _, b in cells))
            self.items.append(Draft("row", [span], open=False, reading=row_reading(table.header, texts)))
        return table.last

    def _text(self, draft: Draft) -> str:
        return " ".join(self.source[a:b].strip() for a, b in draft.pieces)

    # What the per-line tests read of a draft: its first or last piece, never the joined text (joining a
    # growing paragraph for every line made 100,000 short lines quadratic).
    def _first_text(self, draft: Draft) -> str:
        """How `_text(draft)` starts: its first piece (an empty first piece starts it with a space)."""
        a, b = draft.pieces[0]
        return self.source[a:b].strip() or " "

    def _last_text(self, draft: Draft) -> str:
        """How `_text(draft)` ends: its last piece (an empty last piece ends it with a space)."""
        a, b = draft.pieces[-1]
        return self.source[a:b].strip() or " "

    def _starts_new_figure(self, cont: Draft, s: str) -> bool:
        """Infographic boxes: a new statistic starts with a figure after a statistic line."""
        first = self._first_text(cont)
        return bool(
            re.match(r"^[£]?\d[\d,.]*(%|m|bn)?\s+\w", s)
            and re.match(r"^[£]?\d[\d,.]*(%|m|bn)?\s+\w", first)
            and word_count(s) >= 3
        )

    def _in_link_list(self, i: int) -> bool:
        return True

    def _quote_follows(self, i: int) -> bool:
        """A pull quote: a run of short lines opened by a quotation mark and closed within a dozen lines."""
        for x in self.lines[i : i + 16]:
            if x.blank:
                continue
            if x.stripped.rstrip(" ").endswith(("”", '"', "”.", '".')):
                return True
        return False

    def _take_quote(self, i: int) -> int:
        draft = Draft("quote", [])
        j = i
        # the quoted lines
        while j < len(self.lines):
            line = self.lines[j]
            if not line.blank:
                draft.pieces.append(self._piece(line))
                if line.stripped.endswith(("”", '"', "”.", '".')):
                    j += 1
                    break
            j += 1
        # the attribution: short lines right after, up to a page start or a long line
        k = j
        taken = 0
        while k < len(self.lines) and taken < 5:
            line = self.lines[k]
            if line.blank:
                k += 1
                continue
            if re.match(r"^ \S", line.text) and taken > 0:
                break  # a page start ends the attribution
            s = line.stripped
            if len(s) > 45 or s[0] in "“\"" or URL_RE.match(line.text) or DIGITS_RE.match(line.text):
                break
            if taken == 0 and not (s[0].isupper() and ("," in s or word_count(s) <= 6)):
                break
            draft.pieces.append(self._piece(line))
            taken += 1
            k += 1
            if ends_terminal(s) and not s.endswith(")"):
                break
        draft.open = False
        if draft.pieces:
            self.items.append(draft)
        return k if taken else j

    def _heading_at(self, i: int, page_start: bool) -> tuple[Heading, int] | None:
        line = self.lines[i]
        s = line.stripped
        m = NUMBERED_HEADING_RE.match(line.text)
        if m:
            return Heading(s, 1, line.start, line.start + len(line.text)), i + 1
        md = MD_HEADING_RE.match(line.text)
        if md and self.shape != "pdf":  # "## Calls for service": a markdown heading, its level its '#'s
            return Heading(md.group(2), len(md.group(1)), line.start, line.start + len(line.text)), i + 1
        if not heading_like(line.text, 12 if page_start else 9):
            return None
        nxt = self._next_nonblank(i)
        prev = self.items[-1] if self.items else None
        open_para = self._last_open_paragraph()
        if open_para is not None and ends_hyphenated(self._last_text(open_para)):
            return None  # the rest of a word broken at the line's end ("Visi-" / "Tors made ...")
        if self.shape == "pdf":
            if open_para is not None and not page_start:
                return None  # mid-sentence: a wrapped line, not a heading
            if open_para is not None and page_start and word_count(s) > 6:
                return None
            if nxt is not None and nxt.stripped[:1].islower() and s.split()[-1].lower() not in JOIN_WORDS:
                return None
        else:
            listed = isinstance(prev, Draft) and (prev.kind == "item" or self._last_text(prev).endswith(":"))
            if listed and (
                (nxt is not None and heading_like(nxt.text))
                or (isinstance(prev, Draft) and prev.kind == "item")
            ):
                return None  # an item of a short list introduced by a colon
        if s.split()[-1].lower() in JOIN_WORDS and not (nxt is not None and heading_like(nxt.text, 4)):
            return None  # "... from the Ministry of" is a wrapped line
        end = line.start + len(line.text.rstrip())
        text = s
        j = i + 1
        # a heading broken over two lines: "Building Confidence in the" / "Police"
        if s.split()[-1].lower() in JOIN_WORDS and nxt is not None and heading_like(nxt.text, 4):
            text = f"{s} {nxt.stripped}"
            end = nxt.start + len(nxt.text.rstrip())
            j = next(k for k in range(i + 1, len(self.lines)) if self.lines[k] is nxt) + 1
        # in a numbered document an unnumbered heading is a subheading; so is a PDF heading in mid-page
        level = 1 if not self.numbered and (page_start or self.shape != "pdf") else 2
        # a repeated running heading: same text as the heading just before, nothing between
        if isinstance(prev, Heading) and _norm(prev.text) == _norm(text):
            return Heading("", -1, line.start, end), j
        return Heading(text, level, line.start, end), j


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()
