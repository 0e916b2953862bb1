"""A report's source lines and what each looks like: the lines split with their offsets and two columns set
side by side unwound (`layout`), the patterns of bullets, headings, URLs, page numbers and web-page
furniture, footnote numbers, and whether a line reads as a heading or ends in a word broken by a hyphen."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.layout import column_pieces, find_columns
from reportqa.years import FY_RE

# list glyphs: bullets, circles, squares, diamonds, arrows and ticks (Wingdings' as extracted from PDFs too)
BULLET_GLYPHS = "•●○◦▪▫■□◆◇◾◼‣⁃∙·►▶▸➢➤→✓✔❖\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0e0*–-"
SUB_GLYPHS = "○◦▫□◇"  # a hollow glyph marks a sub-item
BULLET_RE = re.compile(
    r"^(?P<indent>[ \t\xa0]*)(?P<glyph>[" + re.escape(BULLET_GLYPHS) + r"])[ \t\xa0]+(?=\S)"
)
NUMBERED_HEADING_RE = re.compile(r"^\s*(\d{1,2})\.\s+([A-Z][^.!?]{2,80})$")
MD_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
URL_RE = re.compile(r"^\s*(https?://|www\.)\S*\s*$")
URLISH_RE = re.compile(r"^\s*\S*(%20|\.pdf|\.html?|/)\S*\s*$")
DIGITS_RE = re.compile(r"^\s*\d{1,3}\s*$")
LINK_ONLY_RE = re.compile(r"^\s*\[[^\]\n]+\]\([^)\n]*\)\s*$")
_TERMINAL = tuple(".!?:;”\"’)")
JOIN_WORDS = {"the", "of", "and", "for", "in", "to", "a", "an", "on", "with", "by", "&"}

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
BOILERPLATE_RE = re.compile(r"^\s*\[?(" + "|".join(BOILERPLATE) + r")\]?(\(#?[^)]*\))?\s*$", re.I)
# Boilerplate glued to the end of a line (web extraction without a final newline).
TRAILING_BOILERPLATE_RE = re.compile(r"(Share this page|Back to table of contents)\s*$")


@dataclass
class Line:
    """A source line (`layout.Line`): its text and the offset of its first character."""

    text: str  # the raw line, no newline
    start: int  # offset of its first character in the source

    @property
    def stripped(self) -> str:
        return self.text.strip(" \t\xa0")

    @property
    def blank(self) -> bool:
        return not self.stripped


# a line that ends in a word broken by a hyphen ("Visi-", "pan-"): never a heading, always continued
_HYPHEN_END_RE = re.compile(r"[^\W\d_]-$")


def ends_hyphenated(text: str) -> bool:
    """The line ends in a word broken by a hyphen: "Independent Custody Visi-", "works pan-"."""
    return _HYPHEN_END_RE.search(text.rstrip(" \t\xa0")) is not None


def split_lines(source: str) -> list[Line]:
    lines, pos = [], 0
    for raw in source.split("\n"):
        lines.append(Line(raw, pos))
        pos += len(raw) + 1
    return lines


def footnote_numbers(lines: list[Line]) -> set[str]:
    """Numbers that stand alone on a line and are followed by a URL: footnote definitions."""
    found: set[str] = set()
    for i, line in enumerate(lines):
        if not DIGITS_RE.match(line.text):
            continue
        nxt = next((x for x in lines[i + 1 : i + 4] if not x.blank), None)
        if nxt is not None and (URL_RE.match(nxt.text) or URLISH_RE.match(nxt.text)):
            found.add(line.stripped)
    return found


def ends_terminal(text: str) -> bool:
    return text.rstrip().endswith(_TERMINAL)


def word_count(text: str) -> int:
    return len(text.split())


def heading_like(text: str, max_words: int = 10) -> bool:
    s = text.strip(" \t\xa0")
    if not s or len(s) > 90 or word_count(s) > max_words:
        return False
    if s.endswith((".", ",", ";", ":", "?", "!")) or s[-1] in "”\"" or ends_hyphenated(s):
        return False  # a sentence's end, or a word broken at the line's end ("Independent Custody Visi-")
    if not (s[0].isupper() or s[0].isdigit() or s[0] in "‘'"):
        return False
    if re.match(r"^[£$]?\d", s) and not (NUMBERED_HEADING_RE.match(s) or FY_RE.match(s)):
        return False  # a figure: an infographic line, not a heading
    return not (URL_RE.match(s) or BULLET_RE.match(text) or ". " in s)


def unwind_columns(lines: list[Line]) -> tuple[list[Line], set[int]]:
    """The lines with every run of two columns side by side unwound (the left column's lines, a blank line,
    the right column's), and the source offsets of lines whose wide gaps form no columns (`layout`)."""
    runs, loose = find_columns(lines)
    unordered = {lines[k].start for k in loose}
    if not runs:
        return lines, unordered
    out: list[Line] = []
    at = 0
    for run in runs:
        out.extend(lines[at : run.first])
        left, right = column_pieces(lines, run)
        out.extend(Line(text_at(lines, a, b), a) for a, b in left)
        out.append(Line("", right[0][0] if right else lines[run.last - 1].start))
        out.extend(Line(text_at(lines, a, b), a) for a, b in right)
        at = run.last
    out.extend(lines[at:])
    return out, unordered


def text_at(lines: list[Line], a: int, b: int) -> str:
    """The source text [a, b) of one line."""
    for line in lines:
        if line.start <= a <= line.start + len(line.text):
            return line.text[a - line.start : b - line.start]
    return ""
