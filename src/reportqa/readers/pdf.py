"""A PDF page as the text a reader sees: `visible_text(page)`.

pypdf extracts every string a page's content stream shows, including strings no reader ever sees, which
would otherwise become evidence (issue 26). Before pypdf extracts a page, the page's content stream (and
those of the forms it paints) is read here with its graphics state, and a text-showing operator is left
out when what it shows is:

- of render mode 3 (neither filled nor stroked) or 7 (a clip only), or in an optional-content layer that is
  off by default (`/OC` marked content, or a form with `/OC`);
- under ~1 pt high or wide (`Tf` size, `Tz` scaling, the text and current transformation matrices);
- outside the page's box (MediaBox within CropBox), or outside the clip (bounded by its paths' boxes);
- painted in its background's colour (white on the white page, or a colour within `SAME_COLOUR` of the
  last opaque box filled under it), or with a fill alpha under `MIN_ALPHA` (ExtGState `/ca`, `/CA`);
- covered by an opaque box or image painted after it.

A string's extent is estimated (each glyph half an em wide, plus its character and word spacing); its
colour is read in DeviceGray, DeviceRGB, DeviceCMYK and ICC-based spaces; a colour read from no such space
(a pattern, a separation, an image or a shading under it) counts as visible. The text layer of a scanned
page is kept: invisible or covered text over an image that fills at least half the page is what the
scan shows (ocrmypdf writes it that way). A page with nothing hidden is extracted exactly as before; on a
page with something hidden, each hidden string becomes a gap of its width (a TJ offset), so the words
either side stay apart.

Pass 1, reading the content streams, is `readers.pdf_content`; passes 2 (what is not seen) and 3 (the page
without it) are here. The geometry is `readers.pdf_geometry`'s; pypdf's objects, colours and fonts are read
in `readers.pdf_resources`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from pypdf import PageObject
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, FloatObject, NameObject

from reportqa.readers.pdf_content import MIN_ALPHA, ContentReader, Paint, Show
from reportqa.readers.pdf_geometry import area, centre, grid_cell, grid_cells, holds, meet
from reportqa.readers.pdf_resources import RGB, WHITE, as_dict, same_colour
from reportqa.readers.pdf_resources import off_layers as off_layers  # re-exported: the reader's interface

SCAN_SHARE = 0.5  # an image over at least this share of the page is a scan: text over it is its OCR layer


# -- pass 2: what is not seen -----------------------------------------------------------------------------


def hidden_shows(reader: ContentReader) -> dict[tuple[int, int], Show]:
    """The text shows of a page read (pass 1) that a reader never sees, by (stream, operator), each with its
    reason: those pass 1 found, and those in their background's colour or covered by a box painted after."""
    page_area = area(reader.page_box) if all(map(math.isfinite, reader.page_box)) else 0.0
    scans = [p for p in reader.paints if p.image and page_area
             and area(meet(p.box, reader.page_box)) >= SCAN_SHARE * page_area]
    scan_seqs = {p.seq for p in scans}
    grid: dict[tuple[int, int], list[Paint]] = {}
    for p in reader.paints:
        for cell in grid_cells(meet(p.box, reader.page_box)):
            grid.setdefault(cell, []).append(p)
    out: dict[tuple[int, int], Show] = {}
    for s in reader.shows:
        cx, cy = centre(s.box)
        on_scan = any(holds(p.box, (cx, cy, cx, cy), 0.0) for p in scans)
        if s.reason:
            if not (on_scan and s.reason.startswith("render mode 3")):
                out[(s.stream, s.op)] = s
            continue
        under = grid.get(grid_cell(cx, cy), [])
        background: RGB | None = WHITE
        for p in reversed(under):
            if p.seq < s.seq and holds(p.box, (cx, cy, cx, cy), 0.0):
                background = p.colour
                break
        if background is not None and all(alpha < MIN_ALPHA or (c is not None and same_colour(c, background))
                                          for c, alpha in s.paints):
            out[(s.stream, s.op)] = replace(s, reason="the colour of its background")
            continue
        if any(p.seq > s.seq and p.opaque and p.rect and holds(p.box, s.box) and p.seq not in scan_seqs
               for p in under):
            out[(s.stream, s.op)] = replace(s, reason="covered by a box painted over it")
    return out


# -- pass 3: the page without them -----------------------------------------------------------------------


def page_without(reader: ContentReader, hidden: dict[tuple[int, int], Show]) -> PageObject:
    """A copy of the page (not attached to any document) whose content streams leave out `hidden`."""
    copy = PageObject(reader.page.pdf)
    for k, v in reader.page.items():
        copy[NameObject(k)] = v
    for k in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
        v = reader.page.get_inherited(k)
        if v is not None:
            copy[NameObject(k)] = v
    content, resources = _rebuild(reader, 0, hidden)
    copy[NameObject("/Contents")] = content
    copy[NameObject("/Resources")] = resources
    return copy


def _rebuild(reader: ContentReader, index: int, hidden: dict[tuple[int, int], Show]
             ) -> tuple[ContentStream, DictionaryObject]:
    s = reader.streams[index]
    resources = DictionaryObject(s.resources)
    xobjects = DictionaryObject(as_dict(s.resources.get("/XObject")))
    ops: list[tuple[Any, bytes]] = []
    for i, (operands, op) in enumerate(s.ops):
        show = hidden.get((index, i))
        if show is not None:
            if op == b"'":
                ops.append(([], b"T*"))
            elif op == b'"':
                ops += [([operands[0]], b"Tw"), ([operands[1]], b"Tc"), ([], b"T*")]
            ops.append(([ArrayObject([FloatObject(-round(show.width, 3))])], b"TJ"))
        elif i in s.forms:
            child, xobj = s.forms[i]
            child_content, child_resources = _rebuild(reader, child, hidden)
            for k, v in xobj.items():
                if k not in ("/Length", "/Filter", "/DecodeParms", "/Resources"):
                    child_content[NameObject(k)] = v
            child_content[NameObject("/Resources")] = child_resources
            name = NameObject(f"/RQVisible{index}x{i}")
            xobjects[name] = child_content
            ops.append(([name], b"Do"))
        else:
            ops.append((operands, op))
    if xobjects:
        resources[NameObject("/XObject")] = xobjects
    content = ContentStream(None, reader.page.pdf, "bytes")
    content.operations = ops
    return content, resources


def _read_page(page: PageObject, layers: set[int] | None
               ) -> tuple[ContentReader, dict[tuple[int, int], Show]]:
    reader = ContentReader(page, off_layers(page.pdf) if layers is None else layers)
    reader.read()
    return reader, hidden_shows(reader)


def hidden_reasons(page: PageObject, layers: set[int] | None = None) -> list[str]:
    """Why each string of the page that a reader never sees is left out, in the page's order."""
    _, hidden = _read_page(page, layers)
    return [s.reason for s in sorted(hidden.values(), key=lambda s: s.seq)]


def visible_text(page: PageObject, layers: set[int] | None = None) -> tuple[str, int]:
    """(the page's text as pypdf extracts it, leaving out what a reader never sees; how many strings were
    left out). `layers`: `off_layers` of the document (computed when not given)."""
    reader, hidden = _read_page(page, layers)
    if not hidden:
        return page.extract_text() or "", 0
    return page_without(reader, hidden).extract_text() or "", len(hidden)
