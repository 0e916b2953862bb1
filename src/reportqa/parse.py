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
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from reportqa.layout import (
    column_pieces,
    find_columns,
    find_tables,
    is_cover_fact,
    is_viewer_line,
    row_reading,
)
from reportqa.types import Block, BlockKind, Section
from reportqa.years import FY_RE

# list glyphs: bullets, circles, squares, diamonds, arrows and ticks (Wingdings' as extracted from PDFs too)
BULLET_GLYPHS = "•●○◦▪▫■□◆◇◾◼‣⁃∙·►▶▸➢➤→✓✔❖\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0e0*–-"
SUB_GLYPHS = "○◦▫□◇"  # a hollow glyph marks a sub-item
_BULLET_RE = re.compile(
    r"^(?P<indent>[ \t\xa0]*)(?P<glyph>[" + re.escape(BULLET_GLYPHS) + r"])[ \t\xa0]+(?=\S)"
)
_NUMBERED_HEADING_RE = re.compile(r"^\s*(\d{1,2})\.\s+([A-Z][^.!?]{2,80})$")
_MD_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
_URL_RE = re.compile(r"^\s*(https?://|www\.)\S*\s*$")
_URLISH_RE = re.compile(r"^\s*\S*(%20|\.pdf|\.html?|/)\S*\s*$")
_DIGITS_RE = re.compile(r"^\s*\d{1,3}\s*$")
_MD_LINK_RE = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_LINK_ONLY_RE = re.compile(r"^\s*\[[^\]\n]+\]\([^)\n]*\)\s*$")
_TERMINAL = tuple(".!?:;”\"’)")
_JOIN_WORDS = {"the", "of", "and", "for", "in", "to", "a", "an", "on", "with", "by", "&"}

# Web-page furniture, matched against the whole stripped line (case-insensitive).
BOILERPLATE = [
    r"skip to (main )?content",
    r"mayor of london logo.*",
    r"london assembly logo",
    r"home",
    r"share this page",
    r"share( on)? (facebook|twitter|x|linkedin|email)",
    r"back to (the )?(table of )?contents",
    r"back to top",
    r"key information",
    r"publication type:.*",
    r"publication date:.*",
    r"contents",
    r"print this page",
    r"cookie.*",
    r"tel:.*",
    r"email:.*",
    r"website:.*",
    r"twitter:.*",
]
_BOILERPLATE_RE = re.compile(r"^\s*\[?(" + "|".join(BOILERPLATE) + r")\]?(\(#?[^)]*\))?\s*$", re.I)
# Boilerplate glued to the end of a line (web extraction without a final newline).
_TRAILING_BOILERPLATE_RE = re.compile(r"(Share this page|Back to table of contents)\s*$")


@dataclass
class _Line:
    text: str  # the raw line, no newline
    start: int  # offset of its first character in the source

    @property
    def stripped(self) -> str:
        return self.text.strip(" \t\xa0")

    @property
    def blank(self) -> bool:
        return not self.stripped


@dataclass
class _Draft:
    kind: BlockKind
    pieces: list[tuple[int, int]] = field(default_factory=list)  # (start, end) source ranges
    open: bool = True  # still accepting continuation lines
    reading: str = ""  # a table row read with its headers (`Block.reading`)


@dataclass
class _Heading:
    text: str
    level: int
    start: int
    end: int


# a line that ends in a word broken by a hyphen ("Visi-", "pan-"): never a heading, always continued
_HYPHEN_END_RE = re.compile(r"[^\W\d_]-$")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_BROKEN_RE = re.compile(r"[^\W\d_]+-[ \t\xa0]*\n[ \t\xa0]*[^\W\d_]+")


@cache
def shipped_words() -> frozenset[str]:
    """The words the shipped reports know (lexicon/words.txt, lower-cased; scripts/build_words.py)."""
    text = resources.files("reportqa").joinpath("lexicon", "words.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split("\n") if w and not w.startswith("#"))


def known_words(source: str) -> frozenset[str]:
    """The words a hyphen at a line's end may be rejoined into: the shipped reports' and this report's own
    (its words broken at a line's end left out: their halves are no words)."""
    own = {w.lower() for w in _WORD_RE.findall(_BROKEN_RE.sub(" ", source))}
    return shipped_words() | own


def ends_hyphenated(text: str) -> bool:
    """The line ends in a word broken by a hyphen: "Independent Custody Visi-", "works pan-"."""
    return _HYPHEN_END_RE.search(text.rstrip(" \t\xa0")) is not None


def split_lines(source: str) -> list[_Line]:
    lines, pos = [], 0
    for raw in source.split("\n"):
        lines.append(_Line(raw, pos))
        pos += len(raw) + 1
    return lines


def footnote_numbers(lines: list[_Line]) -> set[str]:
    """Numbers that stand alone on a line and are followed by a URL: footnote definitions."""
    found: set[str] = set()
    for i, line in enumerate(lines):
        if not _DIGITS_RE.match(line.text):
            continue
        nxt = next((x for x in lines[i + 1 : i + 4] if not x.blank), None)
        if nxt is not None and (_URL_RE.match(nxt.text) or _URLISH_RE.match(nxt.text)):
            found.add(line.stripped)
    return found


def _footnote_marks(text: str, notes: set[str]) -> list[tuple[int, int]]:
    """Spans of footnote reference numbers glued to words or years ("Wales2.", "2011/121")."""
    if not notes:
        return []
    spans = []
    patterns = [
        r"(?<=[a-z\)])(\d{1,2})(?=[\s.,;:)]|$)",  # Wales2. / Dashboard7,
        r"(?<=\d{4}/\d\d)(\d{1,2})(?=[\s.,;:]|$)",  # 2011/121
        r"(?<=\b20\d\d)(\d{1,2})(?=[.,;:]|$)",  # 201711.
        r"(?<=%\.)(\d{1,2})(?=\s)",  # 63%.5 The
    ]
    for pat in patterns:
        for m in re.finditer(pat, text):
            if m.group(1) in notes:
                spans.append((m.start(1), m.end(1)))
    return spans


def clean_pieces(
    source: str, pieces: list[tuple[int, int]], notes: set[str], known: Container[str] = frozenset()
) -> tuple[str, tuple[int, ...]]:
    """Join raw line pieces into cleaned text, keeping the source offset of every character.

    A word broken by a hyphen at a line's end is rejoined without it when the whole word is one of `known`
    ("Visi-" / "tors": "Visitors"), and keeps its hyphen otherwise ("pan-" / "London": "pan-London"); the
    hyphen and the line break are dropped from the text, never from the source, so every character kept
    still has its exact offset."""
    chars: list[str] = []
    offs: list[int] = []
    prev_end = 0
    for start, end in pieces:
        seg = source[start:end]
        drop = [False] * len(seg)
        m = _BULLET_RE.match(seg)
        if m:
            for j in range(m.end()):
                drop[j] = True
        for lm in _MD_LINK_RE.finditer(seg):
            for j in range(lm.start(), lm.start(1)):
                drop[j] = True
            for j in range(lm.end(1), lm.end()):
                drop[j] = True
        for a, b in _footnote_marks(seg, notes):
            for j in range(a, b):
                drop[j] = True
        kept = [(c, start + j) for j, c in enumerate(seg) if not drop[j]]
        # collapse whitespace and trim
        line_chars: list[tuple[str, int]] = []
        for c, o in kept:
            if c.isspace() or c in "\u200b\ufeff":
                if line_chars and line_chars[-1][0] != " ":
                    line_chars.append((" ", o))
            else:
                line_chars.append((c, o))
        while line_chars and line_chars[-1][0] == " ":
            line_chars.pop()
        if not line_chars:
            continue
        if chars:
            prev = chars[-1]
            first = line_chars[0][0]
            hyphen_join = prev == "-" and len(chars) > 1 and chars[-2].isalpha() and first.isalpha()
            if hyphen_join and _rejoins(chars, line_chars, known):
                chars.pop()  # the hyphen of a word broken at the line's end
                offs.pop()
            if not hyphen_join and prev != " ":
                chars.append(" ")
                offs.append(
                    prev_end if prev_end < len(source) and source[prev_end].isspace() else offs[-1] + 1
                )
        for c, o in line_chars:
            chars.append(c)
            offs.append(o)
        prev_end = end
    return "".join(chars), tuple(offs)


def _rejoins(chars: list[str], line_chars: list[tuple[str, int]], known: Container[str]) -> bool:
    """`chars` ends in "<letters>-" and `line_chars` starts with letters: whether those letters joined make a
    word of `known`. A word already hyphenated before ("cross-bor-" / "der") keeps its hyphen."""
    k = len(chars) - 1
    while k > 0 and chars[k - 1].isalpha():
        k -= 1
    if k > 0 and chars[k - 1] == "-":
        return False
    head = "".join(chars[k:-1])
    tail = "".join(c for c, _ in itertools.takewhile(lambda x: x[0].isalpha(), line_chars))
    return (head + tail).lower() in known


def _ends_terminal(text: str) -> bool:
    return text.rstrip().endswith(_TERMINAL)


def _word_count(text: str) -> int:
    return len(text.split())


def _heading_like(text: str, max_words: int = 10) -> bool:
    s = text.strip(" \t\xa0")
    if not s or len(s) > 90 or _word_count(s) > max_words:
        return False
    if s.endswith((".", ",", ";", ":", "?", "!")) or s[-1] in "”\"" or ends_hyphenated(s):
        return False  # a sentence's end, or a word broken at the line's end ("Independent Custody Visi-")
    if not (s[0].isupper() or s[0].isdigit() or s[0] in "‘'"):
        return False
    if re.match(r"^[£$]?\d", s) and not (_NUMBERED_HEADING_RE.match(s) or FY_RE.match(s)):
        return False  # a figure: an infographic line, not a heading
    return not (_URL_RE.match(s) or _BULLET_RE.match(text) or ". " in s)


class _Parser:
    def __init__(self, source: str, shape: str) -> None:
        self.source = source
        self.shape = shape
        self.lines, self.unordered = unwind_columns(split_lines(source))
        self.tables = {t.first: t for t in find_tables(self.lines)}
        self.notes = footnote_numbers(self.lines) if shape == "pdf" else set()
        self.known = known_words(source)
        self.items: list[_Draft | _Heading] = []
        self.bullet_indent = 0
        self.numbered = any(_NUMBERED_HEADING_RE.match(x.text) for x in self.lines)

    # -- helpers ---------------------------------------------------------
    def _last_draft(self) -> _Draft | None:
        for item in reversed(self.items):
            if isinstance(item, _Draft):
                return item
            return None
        return None

    def _last_open_paragraph(self) -> _Draft | None:
        """The most recent paragraph, skipping quotes, if it still waits for its sentence to end."""
        for item in reversed(self.items):
            if isinstance(item, _Heading):
                return None
            if item.kind == "quote":
                continue
            return item if item.open else None
        return None

    def _piece(self, line: _Line) -> tuple[int, int]:
        text = line.text
        m = _TRAILING_BOILERPLATE_RE.search(text)
        end = line.start + (m.start() if m else len(text))
        return (line.start, end)

    def _close(self, draft: _Draft) -> None:
        last = self.source[draft.pieces[-1][0] : draft.pieces[-1][1]]
        draft.open = not _ends_terminal(last)

    def _next_nonblank(self, i: int) -> _Line | None:
        for k in range(i + 1, len(self.lines)):  # no slice: a copy of the rest per line is quadratic
            if not self.lines[k].blank:
                return self.lines[k]
        return None

    # -- main loop -------------------------------------------------------
    def run(self) -> list[_Draft | _Heading]:
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
                self.items.append(_Draft("paragraph", [self._piece(line)], open=False))
                i += 1
                continue
            if is_viewer_line(line.text):  # "File Type: pdf, Size: 1020Kb"
                i += 1
                continue
            if _BOILERPLATE_RE.match(line.text) or _LINK_ONLY_RE.match(line.text) and self._in_link_list(i):
                i += 1
                continue
            if _URL_RE.match(line.text) or (
                self.shape == "pdf" and _URLISH_RE.match(line.text) and " " not in s
            ):
                i += 1
                continue
            if _DIGITS_RE.match(line.text) and self.shape == "pdf":
                i += 1  # page numbers and footnote numbers
                continue
            if set(s) <= set("_-–—=·. "):
                i += 1
                continue
            if self.shape == "pdf" and s[0] in "“\"" and self._quote_follows(i):
                i = self._take_quote(i)
                continue
            bullet = _BULLET_RE.match(line.text)
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
                    draft = _Draft(kind, [self._piece(line)])
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
                and _heading_like(line.text)
            ):
                self.items.append(_Draft("item", [self._piece(line)], open=False))
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
                draft = _Draft("paragraph", [self._piece(line)])
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
            self.items.append(_Draft("row", [span], open=False, reading=row_reading(table.header, texts)))
        return table.last

    def _text(self, draft: _Draft) -> str:
        return " ".join(self.source[a:b].strip() for a, b in draft.pieces)

    # What the per-line tests read of a draft: its first or last piece, never the joined text (joining a
    # growing paragraph for every line made 100,000 short lines quadratic).
    def _first_text(self, draft: _Draft) -> str:
        """How `_text(draft)` starts: its first piece (an empty first piece starts it with a space)."""
        a, b = draft.pieces[0]
        return self.source[a:b].strip() or " "

    def _last_text(self, draft: _Draft) -> str:
        """How `_text(draft)` ends: its last piece (an empty last piece ends it with a space)."""
        a, b = draft.pieces[-1]
        return self.source[a:b].strip() or " "

    def _starts_new_figure(self, cont: _Draft, s: str) -> bool:
        """Infographic boxes: a new statistic starts with a figure after a statistic line."""
        first = self._first_text(cont)
        return bool(
            re.match(r"^[£]?\d[\d,.]*(%|m|bn)?\s+\w", s)
            and re.match(r"^[£]?\d[\d,.]*(%|m|bn)?\s+\w", first)
            and _word_count(s) >= 3
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
        draft = _Draft("quote", [])
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
            if len(s) > 45 or s[0] in "“\"" or _URL_RE.match(line.text) or _DIGITS_RE.match(line.text):
                break
            if taken == 0 and not (s[0].isupper() and ("," in s or _word_count(s) <= 6)):
                break
            draft.pieces.append(self._piece(line))
            taken += 1
            k += 1
            if _ends_terminal(s) and not s.endswith(")"):
                break
        draft.open = False
        if draft.pieces:
            self.items.append(draft)
        return k if taken else j

    def _heading_at(self, i: int, page_start: bool) -> tuple[_Heading, int] | None:
        line = self.lines[i]
        s = line.stripped
        m = _NUMBERED_HEADING_RE.match(line.text)
        if m:
            return _Heading(s, 1, line.start, line.start + len(line.text)), i + 1
        md = _MD_HEADING_RE.match(line.text)
        if md and self.shape != "pdf":  # "## Calls for service": a markdown heading, its level its '#'s
            return _Heading(md.group(2), len(md.group(1)), line.start, line.start + len(line.text)), i + 1
        if not _heading_like(line.text, 12 if page_start else 9):
            return None
        nxt = self._next_nonblank(i)
        prev = self.items[-1] if self.items else None
        open_para = self._last_open_paragraph()
        if open_para is not None and ends_hyphenated(self._last_text(open_para)):
            return None  # the rest of a word broken at the line's end ("Visi-" / "Tors made ...")
        if self.shape == "pdf":
            if open_para is not None and not page_start:
                return None  # mid-sentence: a wrapped line, not a heading
            if open_para is not None and page_start and _word_count(s) > 6:
                return None
            if nxt is not None and nxt.stripped[:1].islower() and s.split()[-1].lower() not in _JOIN_WORDS:
                return None
        else:
            listed = isinstance(prev, _Draft) and (prev.kind == "item" or self._last_text(prev).endswith(":"))
            if listed and (
                (nxt is not None and _heading_like(nxt.text))
                or (isinstance(prev, _Draft) and prev.kind == "item")
            ):
                return None  # an item of a short list introduced by a colon
        if s.split()[-1].lower() in _JOIN_WORDS and not (nxt is not None and _heading_like(nxt.text, 4)):
            return None  # "... from the Ministry of" is a wrapped line
        end = line.start + len(line.text.rstrip())
        text = s
        j = i + 1
        # a heading broken over two lines: "Building Confidence in the" / "Police"
        if s.split()[-1].lower() in _JOIN_WORDS and nxt is not None and _heading_like(nxt.text, 4):
            text = f"{s} {nxt.stripped}"
            end = nxt.start + len(nxt.text.rstrip())
            j = next(k for k in range(i + 1, len(self.lines)) if self.lines[k] is nxt) + 1
        # in a numbered document an unnumbered heading is a subheading; so is a PDF heading in mid-page
        level = 1 if not self.numbered and (page_start or self.shape != "pdf") else 2
        # a repeated running heading: same text as the heading just before, nothing between
        if isinstance(prev, _Heading) and _norm(prev.text) == _norm(text):
            return _Heading("", -1, line.start, end), j
        return _Heading(text, level, line.start, end), j


def unwind_columns(lines: list[_Line]) -> tuple[list[_Line], set[int]]:
    """The lines with every run of two columns side by side unwound (the left column's lines, a blank line,
    the right column's), and the source offsets of lines whose wide gaps form no columns (`layout`)."""
    runs, loose = find_columns(lines)
    unordered = {lines[k].start for k in loose}
    if not runs:
        return lines, unordered
    out: list[_Line] = []
    at = 0
    for run in runs:
        out.extend(lines[at : run.first])
        left, right = column_pieces(lines, run)
        out.extend(_Line(text_at(lines, a, b), a) for a, b in left)
        out.append(_Line("", right[0][0] if right else lines[run.last - 1].start))
        out.extend(_Line(text_at(lines, a, b), a) for a, b in right)
        at = run.last
    out.extend(lines[at:])
    return out, unordered


def text_at(lines: list[_Line], a: int, b: int) -> str:
    """The source text [a, b) of one line."""
    for line in lines:
        if line.start <= a <= line.start + len(line.text):
            return line.text[a - line.start : b - line.start]
    return ""


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


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
    parser = _Parser(source, "pdf" if shape == "pdf" else "web")
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

    page_title: list[_Heading] = []  # the headings before the document's first block
    for item in items:
        if isinstance(item, _Heading):
            if item.level < 0:
                continue
            flush(item.start)
            blocks = []
            heading = item.text
            level = item.level
            # a page title's next line ("Police and Crime Plan 2017-2021") nests under it; a numbered heading
            # ("1. About MOPAC") starts the body
            before_first_block = not sections and not _NUMBERED_HEADING_RE.match(item.text)
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
