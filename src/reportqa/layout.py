"""Layout a document's text carries besides its prose, for the parser: repository-viewer furniture and
cover-page facts (lexicon/layout.toml), text set in two columns side by side, and tables.

Everything here works on lines with their source offsets and returns source spans, so the parser keeps
exact offsets: a column or a table cell is a slice of one source line.

- Two columns side by side (a PDF extracted with its layout): a run of lines that each hold two runs of
  prose split by a wide gap at about the same place. The run is unwound: the left column's lines, then
  the right column's. Lines with wide gaps that do not line up into columns cannot be unwound; their
  starts are returned so the parser can flag the passage as not quotable as sentences.
- Tables: a run of lines split into the same number of cells by '|' (markdown, and HTML tables as
  `corpus.html_to_text` writes them), by tabs, or by wide gaps, whose rows below the first hold figures.
  Each data row is read with its row header and the column headers ("Borough Barnet: Burglary 1,234").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from reportqa.lexicon import read_text

_GAP_RE = re.compile(r"(?<=\S)( {3,}|\t+)(?=\S)")
_PIPE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# a cell that holds a figure: "1,234", "£2.5m", "63%", "49 per cent", "up 300 per cent.", "about 1,200", "n/a"
_FIGURE_RE = re.compile(
    r"^(?:(?:up|down|about|around|over|under|nearly|almost|approximately|approx\.?|c\.|some|"
    r"(?:more|less|fewer) than)\s+(?:by\s+)?)?"
    r"[£$]?[-+]?\d[\d,.]*\s*(%|m|bn|k|per\s?cent|percent|percentage points?|million|billion)?\.?$"
    r"|^(n/?a|-|–|—)$",
    re.I,
)
MIN_COLUMN_LINES = 3  # lines with both columns before text is read as set in two columns
MIN_TABLE_ROWS = 2  # a header and at least one row of figures


class Line(Protocol):
    """A source line as the parser holds it: its text (no newline) and the offset of its first character."""

    @property
    def text(self) -> str: ...
    @property
    def start(self) -> int: ...


@dataclass(frozen=True)
class Patterns:
    viewer: tuple[re.Pattern[str], ...]
    cover_fact: tuple[re.Pattern[str], ...]
    examples: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # section -> (must, must_not)


@cache
def patterns() -> Patterns:
    data = tomllib.loads(read_text("layout"))
    compiled = {k: tuple(re.compile(p, re.I) for p in data[k]["patterns"]) for k in ("viewer", "cover_fact")}
    examples = {k: (tuple(data[k]["must"]), tuple(data[k]["must_not"])) for k in ("viewer", "cover_fact")}
    return Patterns(compiled["viewer"], compiled["cover_fact"], examples)


def _matches(kind: str, text: str) -> bool:
    s = " ".join(text.split())
    return any(p.fullmatch(s) for p in getattr(patterns(), kind))


def is_viewer_line(text: str) -> bool:
    """A repository viewer's furniture ("File Type: pdf, Size: 1020Kb", "Total Page:16")."""
    return _matches("viewer", text)


def is_cover_fact(text: str) -> bool:
    """A cover-page fact kept as a sentence ("Reference code: PCD 280", "Decision by: ...")."""
    return _matches("cover_fact", text)


# -- two columns -----------------------------------------------------------------------------------------


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z]{2,}", text))


def _split_at_gap(text: str) -> tuple[int, int] | None:
    """(end of the left part, start of the right part) at the line's only wide gap; None otherwise."""
    gaps = list(_GAP_RE.finditer(text))
    if len(gaps) != 1:
        return None
    return gaps[0].start(), gaps[0].end()


@dataclass(frozen=True)
class Columns:
    """Lines [first, last) set in two columns; `column`: where the right column starts."""

    first: int
    last: int
    column: int


def find_columns(lines: Sequence[Line]) -> tuple[list[Columns], list[int]]:
    """Runs of prose set in two columns, and the indices of lines with wide gaps that form no such run
    (only where two or more such lines lie within three lines of each other).

    A run is a stretch of non-blank lines where at least MIN_COLUMN_LINES lines hold prose on both sides of
    one wide gap starting within two characters of the same column, and every other line holds only the
    left column (it ends before that column) or only the right one (it is indented to it)."""
    runs: list[Columns] = []
    loose: list[int] = []
    i = 0
    while i < len(lines):
        split = _split_at_gap(lines[i].text)
        text = lines[i].text
        if split is None or _words(text[: split[0]]) < 2 or _words(text[split[1] :]) < 2:
            if _GAP_RE.search(text.strip()) and _words(text) >= 6 and "|" not in text:
                loose.append(i)
            i += 1
            continue
        column = split[1]
        j, both = i, 0
        while j < len(lines) and lines[j].text.strip():
            t = lines[j].text
            sp = _split_at_gap(t)
            if sp is not None and abs(sp[1] - column) <= 2 and _words(t[sp[1] :]) >= 1:
                both += 1
            elif len(t.rstrip()) < column - 2 and not _GAP_RE.search(t.strip()):
                pass  # the left column alone
            elif len(t) - len(t.lstrip(" ")) >= column - 2:
                pass  # the right column alone
            else:
                break
            j += 1
        if both >= MIN_COLUMN_LINES and not _table_like(lines, i, j):
            runs.append(Columns(i, j, column))
            i = j
        else:
            if _words(text) >= 6:
                loose.append(i)
            i += 1
    # one line with a wide gap is a stray in the extraction; several close together are columns out of line
    return runs, [k for k in loose if any(0 < abs(k - o) <= 3 for o in loose)]


def column_pieces(lines: Sequence[Line], run: Columns) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The source spans (start, end) of the left column's lines and of the right column's, in order."""
    left: list[tuple[int, int]] = []
    right: list[tuple[int, int]] = []
    for line in lines[run.first : run.last]:
        t = line.text
        sp = _split_at_gap(t)
        if sp is not None and abs(sp[1] - run.column) <= 2:
            left.append((line.start, line.start + sp[0]))
            right.append((line.start + sp[1], line.start + len(t.rstrip())))
        elif len(t) - len(t.lstrip(" ")) >= run.column - 2:
            lead = len(t) - len(t.lstrip(" "))
            right.append((line.start + lead, line.start + len(t.rstrip())))
        else:
            left.append((line.start, line.start + len(t.rstrip())))
    return left, right


@dataclass(frozen=True)
class _TextLine:
    text: str
    start: int


def unwind_text(text: str) -> str:
    """The text with every run of two columns side by side rewritten in reading order: the left column's
    paragraphs (its wrapped lines rejoined), a blank line, then the right column's. A new document's text
    is stored this way, so that its quotes read as the document does; everything else is left exactly as
    it was."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(_TextLine(raw, pos))
        pos += len(raw) + 1
    runs, _ = find_columns(lines)
    if not runs:
        return text
    out: list[str] = []
    at = 0
    for run in runs:
        out.extend(line.text for line in lines[at : run.first])
        left, right = column_pieces(lines, run)
        out.extend(_paragraphs([text[a:b] for a, b in left]))
        out.append("")
        out.extend(_paragraphs([text[a:b] for a, b in right]))
        at = run.last
    out.extend(line.text for line in lines[at:])
    return "\n".join(out)


def _paragraphs(column: list[str]) -> list[str]:
    """A column's wrapped lines rejoined, one line a paragraph, paragraphs apart by a blank line: a
    paragraph ends at a line that ends a sentence well short of the column's width."""
    width = max((len(x.strip()) for x in column), default=0)
    out: list[str] = []
    words: list[str] = []
    for line in column:
        s = line.strip()
        if s:
            words.append(s)
        if s.endswith((".", "!", "?", ":")) and len(s) < 0.85 * width or not s and words:
            out += [" ".join(words), ""]
            words = []
    if words:
        out.append(" ".join(words))
    return out[:-1] if out and out[-1] == "" else out


# -- tables ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Line indices [first, last); the header's cell texts; every data row's line index and cell spans."""

    first: int
    last: int
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]


def _cells(text: str) -> list[tuple[int, int]] | None:
    """Cell spans of one line (offsets in the line), split by '|', tabs or wide gaps; None for no cells."""
    s = text.rstrip()
    if "|" in s and s.strip().startswith("|") or s.count("|") >= 2:
        spans = []
        pos = 0
        for part in s.split("|"):
            a, b = pos, pos + len(part)
            pos = b + 1
            lead = len(part) - len(part.lstrip())
            if part.strip():
                spans.append((a + lead, a + len(part.rstrip())))
            elif a > 0 and b < len(s):
                spans.append((a, a))  # an empty cell between two bars
        return spans if len(spans) >= 2 else None
    parts = re.split(r"( {2,}|\t+)", s)
    if len(parts) < 3:
        return None
    spans, pos = [], 0
    for k, part in enumerate(parts):
        if k % 2 == 0 and part.strip():
            lead = len(part) - len(part.lstrip())
            spans.append((pos + lead, pos + len(part)))
        pos += len(part)
    return spans if len(spans) >= 2 else None


def _is_figure(cell: str) -> bool:
    return bool(_FIGURE_RE.match(cell.strip()))


def _table_like(lines: Sequence[Line], first: int, last: int) -> bool:
    rows = [_cells(lines[k].text) for k in range(first, last)]
    figures = sum(1 for r, k in zip(rows, range(first, last), strict=True) if r and any(
        _is_figure(lines[k].text[a:b]) for a, b in r[1:]))
    return figures >= max(1, (last - first) // 2)


def find_tables(lines: Sequence[Line]) -> list[Table]:
    """Tables: runs of consecutive lines with the same number of cells, whose first row names columns and
    whose other rows hold a figure in a cell after the first. A markdown separator row ("|---|---|") under
    the first row makes it the header and every following row of as many cells a data row, figures or not:
    a row whose figure the reader cannot tell ("up 300 per cent.") never becomes the header of the rows
    after it."""
    out: list[Table] = []
    i = 0
    while i < len(lines):
        head = _cells(lines[i].text)
        # a markdown separator under a line makes it the header, whatever its cells hold ("| Area | 2019 |")
        marked = head is not None and i + 1 < len(lines) and bool(_PIPE_SEP_RE.match(lines[i + 1].text))
        if head is None or not marked and any(_is_figure(lines[i].text[a:b]) for a, b in head[1:]):
            i += 1
            continue
        n = len(head)
        j = i + 2 if marked else i + 1
        rows: list[tuple[int, tuple[tuple[int, int], ...]]] = []
        while j < len(lines):
            cells = _cells(lines[j].text)
            if cells is None or len(cells) != n:
                break
            if not marked and not any(_is_figure(lines[j].text[a:b]) for a, b in cells[1:]):
                break  # under a separator every row of the same width is a row: markdown says so
            rows.append((j, tuple(cells)))
            j += 1
        if len(rows) + 1 >= MIN_TABLE_ROWS:
            header = tuple(lines[i].text[a:b].strip() for a, b in head)
            out.append(Table(i, j, header, tuple(rows)))
            i = j
        else:
            i += 1
    return out


def row_reading(header: Sequence[str], cells: Sequence[str]) -> str:
    """A table row read with its headers: ('Borough', 'Burglary', 'Robbery') and ('Barnet', '1,234', '567')
    -> 'Borough Barnet: Burglary 1,234; Robbery 567'."""
    label = f"{header[0]} {cells[0]}".strip() if header and header[0] else cells[0]
    values = [f"{h} {c}".strip() for h, c in zip(header[1:], cells[1:], strict=False) if c.strip()]
    return f"{label}: " + "; ".join(values) if values else label


@dataclass(frozen=True)
class Row:
    """A table row as `row_reading` read it: its cells (the row label first), each cell's column header
    ("" where the reading gives none) and each cell's span in the reading."""

    cells: tuple[str, ...]
    headers: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @property
    def label(self) -> str:
        return self.cells[0]


def read_row(reading: str, source: str) -> Row | None:
    """The row a sentence is, from its reading (`row_reading`) and its exact source text ("Barnet | 1,234 |
    567", or cells apart by tabs or wide gaps); None for a sentence that is no table row (its source is not
    cells every one of which its reading holds, in order, after its header)."""
    if reading == source or ": " not in reading:
        return None
    split = r"\|" if "|" in source else r"\t+| {2,}"
    cells = tuple(c.strip() for c in re.split(split, source) if c.strip())
    if len(cells) < 2:
        return None
    first = reading.find(cells[0])
    if first < 0 or not reading.startswith(": ", first + len(cells[0])):
        return None
    headers = [reading[:first].strip()]
    spans = [(first, first + len(cells[0]))]
    at = first + len(cells[0]) + 2
    for c in cells[1:]:
        pos = reading.find(c, at)
        while pos >= 0 and not (pos + len(c) == len(reading) or reading.startswith("; ", pos + len(c))):
            pos = reading.find(c, pos + 1)
        if pos < 0 or (pos > at and reading[pos - 1] != " "):
            return None
        headers.append(reading[at:pos].strip())
        spans.append((pos, pos + len(c)))
        at = pos + len(c) + 2
    return Row(cells, tuple(headers), tuple(spans))
