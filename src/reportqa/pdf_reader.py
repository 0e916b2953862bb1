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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pypdf import PageObject
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
)

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in device space (the page's default user space)
RGB = tuple[float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
EVERYWHERE: Box = (-math.inf, -math.inf, math.inf, math.inf)
WHITE: RGB = (1.0, 1.0, 1.0)
BLACK: RGB = (0.0, 0.0, 0.0)

MIN_SIZE = 1.0  # pt: text less high or wide than this on the page is not read
MIN_ALPHA = 0.05  # fill or stroke alpha under which a paint is not seen
OPAQUE_ALPHA = 0.95  # a box at least this opaque (normal blend) hides what is under it
SAME_COLOUR = 0.1  # text whose colour is within this (max over R, G, B) of its background's is not seen
SCAN_SHARE = 0.5  # an image over at least this share of the page is a scan: text over it is its OCR layer
GLYPH_EM = 0.5  # a glyph's advance, in ems, when its font does not give it
MAX_WIDTHS = 65_536  # entries read from a font's /Widths or /W
MAX_FORMS = 1000  # form XObjects painted on one page (each read once per painting)
MAX_FORM_DEPTH = 12
GRID = 48.0  # pt: cell size of the index of painted boxes
_FILL_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PAINT_OPS = _FILL_OPS | {b"S", b"s", b"n"}
_SHOW_OPS = {b"Tj", b"TJ", b"'", b'"'}
_ERRORS = (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError, OverflowError)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: a point p goes to p x m x n)."""
    a, b, c, d, e, f = m
    aa, bb, cc, dd, ee, ff = n
    return (a * aa + b * cc, a * bb + b * dd, c * aa + d * cc, c * bb + d * dd,
            e * aa + f * cc + ee, e * bb + f * dd + ff)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


def _bbox(points: Iterable[tuple[float, float]]) -> Box:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _box_of(m: Matrix, box: Box) -> Box:
    x0, y0, x1, y1 = box
    return _bbox(_apply(m, x, y) for x in (x0, x1) for y in (y0, y1))


def _meet(a: Box, b: Box) -> Box:
    """The intersection of two boxes; an empty one has no area (and overlaps nothing)."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    return x0, y0, max(x0, min(a[2], b[2])), max(y0, min(a[3], b[3]))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _holds(outer: Box, inner: Box, tolerance: float = 0.5) -> bool:
    return (outer[0] - tolerance <= inner[0] and outer[1] - tolerance <= inner[1]
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)


def _area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _centre(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _num(x: Any) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError("not a finite number")
    return v


def _colour(space: str, operands: Sequence[Any]) -> RGB | None:
    """A colour as RGB in 0..1, from the operands of g/rg/k or sc/scn in `space`; None when not read."""
    if space not in ("gray", "rgb", "cmyk") or any(isinstance(v, str) for v in operands):
        return None  # a pattern's name, a separation, an indexed space... not read
    v = [min(1.0, max(0.0, _num(x))) for x in operands]
    if space == "gray" and len(v) == 1:
        return v[0], v[0], v[0]
    if space == "rgb" and len(v) == 3:
        return v[0], v[1], v[2]
    if space == "cmyk" and len(v) == 4:
        c, m, y, k = v
        return (1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)
    return None


_INITIAL = {"gray": BLACK, "rgb": BLACK, "cmyk": BLACK}
_DEVICE = {"/DeviceGray": "gray", "/G": "gray", "/DeviceRGB": "rgb", "/RGB": "rgb", "/DeviceCMYK": "cmyk",
           "/CMYK": "cmyk", "/CalGray": "gray", "/CalRGB": "rgb", "/Lab": ""}
_BY_COMPONENTS = {1: "gray", 3: "rgb", 4: "cmyk"}


@dataclass
class _State:
    """The graphics state this reader needs (saved by q, restored by Q)."""

    ctm: Matrix = IDENTITY
    clip: Box = EVERYWHERE
    fill_space: str = "gray"
    stroke_space: str = "gray"
    fill: RGB | None = BLACK
    stroke: RGB | None = BLACK
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    normal_blend: bool = True
    font_size: float = 0.0
    char_space: float = 0.0
    word_space: float = 0.0
    h_scale: float = 1.0
    leading: float = 0.0
    render: int = 0
    rise: float = 0.0
    font: _Font | None = None


@dataclass
class _Font:
    """A font's advances (ems a glyph) by character code."""

    two_byte: bool = False
    widths: dict[int, float] = field(default_factory=dict)
    default: float = GLYPH_EM

    def advance(self, raw: bytes) -> tuple[float, int, int]:
        """(the glyphs' advances in ems, how many glyphs, how many single-byte spaces) of a shown string."""
        if self.two_byte:
            codes = [raw[j] << 8 | raw[j + 1] for j in range(0, len(raw) - 1, 2)]
            spaces = 0
        else:
            codes = list(raw)
            spaces = raw.count(b" ")
        return sum(self.widths.get(c, self.default) for c in codes), len(codes), spaces


@dataclass
class _Show:
    """A text-showing operator: where it is, how it is painted, and why it is not seen ("" if it may be)."""

    seq: int
    stream: int
    op: int
    box: Box
    paints: list[tuple[RGB | None, float]]
    reason: str
    width: float  # its advance in thousandths of a text-space unit (for the gap that replaces it)


@dataclass
class _Paint:
    seq: int
    box: Box
    colour: RGB | None  # None: not read (an image, a shading, a pattern, a partly transparent fill)
    opaque: bool
    rect: bool  # a box filled whole (a rectangle path) or an image, which hides what is under it
    image: bool


@dataclass
class _Stream:
    ops: list[tuple[Any, bytes]]
    resources: DictionaryObject
    forms: dict[int, tuple[int, DictionaryObject]] = field(default_factory=dict)  # op -> (stream, form)


class _PageReader:
    def __init__(self, page: PageObject, off_layers: set[int]) -> None:
        self.page = page
        self.off_layers = off_layers
        self.page_box = _meet(_page_box(page.mediabox), _page_box(page.cropbox))
        self.streams: list[_Stream] = []
        self.shows: list[_Show] = []
        self.paints: list[_Paint] = []
        self.seq = 0
        self.forms_read = 0
        self.layers: list[bool] = []  # marked content open: whether each hides what it holds
        self.fonts: dict[int, _Font] = {}

    # -- pass 1: read the content streams ---------------------------------------------------------------

    def read(self) -> None:
        resources = _dict(page_resources(self.page))
        contents = self.page.get("/Contents")
        if contents is None:
            return
        self._read(ContentStream(contents.get_object(), self.page.pdf, "bytes"), resources, _State(), 0)

    def _read(self, content: ContentStream, resources: DictionaryObject, state: _State, depth: int) -> int:
        stream = len(self.streams)
        ops = list(content.operations)
        self.streams.append(_Stream(ops, resources))
        st = state
        saved: list[_State] = []
        tm = tlm = IDENTITY
        path: list[tuple[float, float]] = []
        path_ops = 0
        path_rect = False
        clip_next = False
        layers_at_start = len(self.layers)
        for i, (operands, op) in enumerate(ops):
            try:
                if op == b"q":
                    saved.append(st)
                    st = replace(st)
                elif op == b"Q":
                    if saved:
                        st = saved.pop()
                elif op == b"cm":
                    st.ctm = _mul(_matrix(operands), st.ctm)
                elif op == b"BT":
                    tm = tlm = IDENTITY
                elif op == b"Tm":
                    tm = tlm = _matrix(operands)
                elif op in (b"Td", b"TD"):
                    tx, ty = _num(operands[0]), _num(operands[1])
                    if op == b"TD":
                        st.leading = -ty
                    tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, tx, ty), tlm)
                elif op == b"T*":
                    tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -st.leading), tlm)
                elif op == b"Tf":
                    st.font_size = _num(operands[1])
                    fonts = _dict(resources.get("/Font"))
                    st.font = self._font(fonts.raw_get(operands[0]) if operands[0] in fonts else None)
                elif op == b"Tc":
                    st.char_space = _num(operands[0])
                elif op == b"Tw":
                    st.word_space = _num(operands[0])
                elif op == b"Tz":
                    st.h_scale = _num(operands[0]) / 100
                elif op == b"TL":
                    st.leading = _num(operands[0])
                elif op == b"Tr":
                    st.render = int(_num(operands[0]))
                elif op == b"Ts":
                    st.rise = _num(operands[0])
                elif op in _SHOW_OPS:
                    if op in (b"'", b'"'):
                        if op == b'"':
                            st.word_space, st.char_space = _num(operands[0]), _num(operands[1])
                        tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -st.leading), tlm)
                    parts = list(operands[0]) if op == b"TJ" else [operands[-1]]
                    tm = self._show(stream, i, st, tm, parts)
                elif op in (b"g", b"rg", b"k"):
                    st.fill_space = {b"g": "gray", b"rg": "rgb", b"k": "cmyk"}[op]
                    st.fill = _colour(st.fill_space, operands)
                elif op in (b"G", b"RG", b"K"):
                    st.stroke_space = {b"G": "gray", b"RG": "rgb", b"K": "cmyk"}[op]
                    st.stroke = _colour(st.stroke_space, operands)
                elif op in (b"cs", b"CS"):
                    space = _space(resources, operands[0])
                    if op == b"cs":
                        st.fill_space, st.fill = space, _INITIAL.get(space)
                    else:
                        st.stroke_space, st.stroke = space, _INITIAL.get(space)
                elif op in (b"sc", b"scn"):
                    st.fill = _colour(st.fill_space, operands)
                elif op in (b"SC", b"SCN"):
                    st.stroke = _colour(st.stroke_space, operands)
                elif op == b"gs":
                    self._ext_state(resources, operands[0], st)
                elif op in (b"m", b"l"):
                    path.append(_apply(st.ctm, _num(operands[0]), _num(operands[1])))
                    path_ops += 1
                elif op in (b"c", b"v", b"y"):
                    v = [_num(x) for x in operands]
                    path.extend(_apply(st.ctm, v[j], v[j + 1]) for j in range(0, len(v) - 1, 2))
                    path_ops += 1
                elif op == b"re":
                    x, y, w, h = (_num(v) for v in operands[:4])
                    path.extend(_apply(st.ctm, px, py) for px in (x, x + w) for py in (y, y + h))
                    path_rect = path_ops == 0 and _axis_aligned(st.ctm)
                    path_ops += 1
                elif op in (b"W", b"W*"):
                    clip_next = True
                elif op in _PAINT_OPS:
                    box = _bbox(path) if path else None
                    if box is not None and op in _FILL_OPS:
                        self._paint(_meet(box, st.clip), st.fill, st.fill_alpha, st.normal_blend,
                                    rect=path_rect and path_ops == 1, image=False)
                    if clip_next:
                        st.clip = _meet(st.clip, box) if box is not None else _meet(st.clip, (0, 0, 0, 0))
                    path, path_ops, path_rect, clip_next = [], 0, False, False
                elif op == b"sh":
                    self._paint(_meet(self.page_box, st.clip), None, st.fill_alpha, st.normal_blend,
                                rect=False, image=False)
                elif op == b"INLINE IMAGE":
                    self._image(st)
                elif op == b"Do":
                    self._do(stream, i, resources, operands[0], st, depth)
                elif op in (b"BDC", b"BMC"):
                    hidden = False
                    if op == b"BDC" and len(operands) >= 2 and operands[0] == "/OC":
                        hidden = self._layer_off(resources, operands[1])
                    self.layers.append(hidden)
                elif op == b"EMC" and len(self.layers) > layers_at_start:
                    self.layers.pop()
            except _ERRORS:
                continue  # a malformed operator is skipped, as a viewer would
        del self.layers[layers_at_start:]
        return stream

    def _show(self, stream: int, i: int, st: _State, tm: Matrix, parts: list[Any]) -> Matrix:
        tfs, th = st.font_size, st.h_scale
        adv = 0.0
        for part in parts:
            if isinstance(part, (str, bytes)) and not isinstance(part, NameObject):
                ems, n, spaces = (st.font or _Font()).advance(_bytes(part))
                adv += (ems * tfs + n * st.char_space + spaces * st.word_space) * th
            elif isinstance(part, (int, float)):
                adv -= _num(part) / 1000 * tfs * th
        m = _mul(tm, st.ctm)
        lo, hi = st.rise - 0.2 * abs(tfs), st.rise + 0.8 * abs(tfs)
        box = _bbox(_apply(m, x, y) for x in (0.0, adv) for y in (lo, hi))
        high = abs(tfs) * math.hypot(m[2], m[3])
        wide = abs(tfs * th) * math.hypot(m[0], m[1])
        mode = st.render
        paints: list[tuple[RGB | None, float]] = []
        if mode in (0, 2, 4, 6):
            paints.append((st.fill, st.fill_alpha if st.normal_blend else 1.0))
        if mode in (1, 2, 5, 6):
            paints.append((st.stroke, st.stroke_alpha if st.normal_blend else 1.0))
        if any(self.layers):
            reason = "in a layer that is off"
        elif not paints:
            reason = f"render mode {mode} (invisible)"
        elif high < MIN_SIZE or wide < MIN_SIZE:
            reason = f"under {MIN_SIZE:g} pt"
        elif not _overlaps(box, self.page_box):
            reason = "outside the page"
        elif not _overlaps(box, st.clip):
            reason = "clipped away"
        elif all(alpha < MIN_ALPHA for _, alpha in paints):
            reason = "transparent"
        else:
            reason = ""
        scale = tfs * th
        width = adv / scale * 1000 if scale else 0.0
        self.seq += 1
        self.shows.append(_Show(self.seq, stream, i, box, paints, reason, width))
        return _mul((1.0, 0.0, 0.0, 1.0, adv, 0.0), tm)

    def _font(self, ref: Any) -> _Font:
        """The advances of a font resource (cached by object); half an em a glyph for what is not read."""
        obj = ref.get_object() if ref is not None else None
        key = _ref_id(ref) if isinstance(ref, IndirectObject) else id(obj)
        if key in self.fonts:
            return self.fonts[key]
        font = _Font()
        try:
            if isinstance(obj, DictionaryObject):
                font = _read_font(obj)
        except _ERRORS:
            pass
        self.fonts[key] = font
        return font

    def _paint(self, box: Box, colour: RGB | None, alpha: float, normal: bool, *, rect: bool,
               image: bool) -> None:
        if alpha < MIN_ALPHA or _area(box) <= 0:
            return
        opaque = alpha >= OPAQUE_ALPHA and normal
        self.seq += 1
        self.paints.append(_Paint(self.seq, box, colour if opaque else None, opaque, rect or image, image))

    def _image(self, st: _State) -> None:
        box = _meet(_box_of(st.ctm, (0.0, 0.0, 1.0, 1.0)), st.clip)
        self._paint(box, None, st.fill_alpha, st.normal_blend, rect=False, image=True)

    def _do(self, stream: int, i: int, resources: DictionaryObject, name: Any, st: _State,
            depth: int) -> None:
        xobjects = _dict(resources.get("/XObject"))
        xobj = xobjects[name].get_object() if name in xobjects else None
        if not isinstance(xobj, DictionaryObject):
            return
        subtype = xobj.get("/Subtype")
        if subtype == "/Image":
            self._image(st)
            return
        if subtype != "/Form" or depth >= MAX_FORM_DEPTH or self.forms_read >= MAX_FORMS:
            return
        self.forms_read += 1
        inner = replace(st)
        if "/Matrix" in xobj:
            inner.ctm = _mul(_matrix(xobj["/Matrix"]), st.ctm)
        if "/BBox" in xobj:
            x0, y0, x1, y1 = _numbers(xobj["/BBox"], 4)
            inner.clip = _meet(st.clip, _box_of(inner.ctm, (x0, y0, x1, y1)))
        own = xobj.get("/Resources")
        form_resources = _dict(own) if own is not None else resources
        off = "/OC" in xobj and self._layer_off(resources, xobj.raw_get("/OC"))
        self.layers.append(off)
        try:
            child = self._read(ContentStream(xobj, self.page.pdf, "bytes"), form_resources, inner, depth + 1)
        finally:
            self.layers.pop()
        self.streams[stream].forms[i] = (child, xobj)

    def _ext_state(self, resources: DictionaryObject, name: Any, st: _State) -> None:
        states = _dict(resources.get("/ExtGState"))
        gs = states[name].get_object() if name in states else None
        if not isinstance(gs, DictionaryObject):
            return
        if "/ca" in gs:
            st.fill_alpha = _num(gs["/ca"])
        if "/CA" in gs:
            st.stroke_alpha = _num(gs["/CA"])
        if "/BM" in gs:
            bm = gs["/BM"]
            bm = bm[0] if isinstance(bm, ArrayObject) and len(bm) else bm
            st.normal_blend = bm in ("/Normal", "/Compatible")
        if "/Font" in gs:
            font: Any = gs["/Font"]
            st.font_size = _num(font[1])
            st.font = self._font(font[0])

    def _layer_off(self, resources: DictionaryObject, ref: Any) -> bool:
        """Whether optional content (a name in /Properties, an OCG or an OCMD) is off by default."""
        if isinstance(ref, str):
            props = _dict(resources.get("/Properties"))
            if ref not in props:
                return False
            ref = props.raw_get(ref)
        obj = ref.get_object() if ref is not None else None
        if not isinstance(obj, DictionaryObject):
            return False
        if obj.get("/Type") == "/OCMD":
            groups = obj.raw_get("/OCGs") if "/OCGs" in obj else None
            members = list(groups.get_object()) if groups is not None and isinstance(
                groups.get_object(), ArrayObject) else ([groups] if groups is not None else [])
            off = [_ref_id(g) in self.off_layers for g in members]
            if not off:
                return False
            policy = obj.get("/P", "/AnyOn")
            return {"/AllOn": any(off), "/AnyOff": not any(off), "/AllOff": not all(off)}.get(
                str(policy), all(off))
        return _ref_id(ref) in self.off_layers

    # -- pass 2: what is not seen -----------------------------------------------------------------------

    def hidden(self) -> dict[tuple[int, int], _Show]:
        page_area = _area(self.page_box) if all(map(math.isfinite, self.page_box)) else 0.0
        scans = [p for p in self.paints if p.image and page_area
                 and _area(_meet(p.box, self.page_box)) >= SCAN_SHARE * page_area]
        scan_seqs = {p.seq for p in scans}
        grid: dict[tuple[int, int], list[_Paint]] = {}
        for p in self.paints:
            for cell in _cells(_meet(p.box, self.page_box)):
                grid.setdefault(cell, []).append(p)
        out: dict[tuple[int, int], _Show] = {}
        for s in self.shows:
            cx, cy = _centre(s.box)
            on_scan = any(_holds(p.box, (cx, cy, cx, cy), 0.0) for p in scans)
            if s.reason:
                if not (on_scan and s.reason.startswith("render mode 3")):
                    out[(s.stream, s.op)] = s
                continue
            under = grid.get(_cell(cx, cy), [])
            background: RGB | None = WHITE
            for p in reversed(under):
                if p.seq < s.seq and _holds(p.box, (cx, cy, cx, cy), 0.0):
                    background = p.colour
                    break
            if background is not None and all(alpha < MIN_ALPHA or (c is not None and _same(c, background))
                                              for c, alpha in s.paints):
                out[(s.stream, s.op)] = replace(s, reason="the colour of its background")
                continue
            if any(p.seq > s.seq and p.opaque and p.rect and _holds(p.box, s.box) and p.seq not in scan_seqs
                   for p in under):
                out[(s.stream, s.op)] = replace(s, reason="covered by a box painted over it")
        return out

    # -- pass 3: the page without them -----------------------------------------------------------------

    def without(self, hidden: dict[tuple[int, int], _Show]) -> PageObject:
        """A copy of the page (not attached to any document) whose content streams leave out `hidden`."""
        copy = PageObject(self.page.pdf)
        for k, v in self.page.items():
            copy[NameObject(k)] = v
        for k in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
            v = self.page.get_inherited(k)
            if v is not None:
                copy[NameObject(k)] = v
        content, resources = self._rebuild(0, hidden)
        copy[NameObject("/Contents")] = content
        copy[NameObject("/Resources")] = resources
        return copy

    def _rebuild(self, index: int, hidden: dict[tuple[int, int], _Show]
                 ) -> tuple[ContentStream, DictionaryObject]:
        s = self.streams[index]
        resources = DictionaryObject(s.resources)
        xobjects = DictionaryObject(_dict(s.resources.get("/XObject")))
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
                child_content, child_resources = self._rebuild(child, hidden)
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
        content = ContentStream(None, self.page.pdf, "bytes")
        content.operations = ops
        return content, resources


def _read_font(font: DictionaryObject) -> _Font:
    subtype = font.get("/Subtype")
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cid = _dict(descendants[0] if isinstance(descendants, ArrayObject) and descendants else None)
        out = _Font(True, {}, _num(cid.get("/DW", 1000)) / 1000)
        w = cid.get("/W")
        items = list(w.get_object()) if w is not None else []
        j = 0
        while j < len(items) and len(out.widths) < MAX_WIDTHS:
            first = int(_num(items[j]))
            nxt = items[j + 1].get_object() if j + 1 < len(items) else None
            if isinstance(nxt, ArrayObject):
                for k, v in enumerate(nxt[: MAX_WIDTHS]):
                    out.widths[first + k] = _num(v) / 1000
                j += 2
            elif j + 2 < len(items):
                last = min(int(_num(nxt)), first + MAX_WIDTHS)
                for c in range(first, last + 1):
                    out.widths[c] = _num(items[j + 2]) / 1000
                j += 3
            else:
                break
        return out
    scale = 0.001
    if subtype == "/Type3" and "/FontMatrix" in font:
        scale = abs(_numbers(font["/FontMatrix"], 1)[0])
    descriptor = _dict(font.get("/FontDescriptor"))
    missing = _num(descriptor.get("/MissingWidth", 0)) * scale
    out = _Font(False, {}, missing or GLYPH_EM)
    widths = font.get("/Widths")
    if widths is not None:
        first = int(_num(font.get("/FirstChar", 0)))
        for k, v in enumerate(list(widths.get_object())[:256]):
            out.widths[first + k] = _num(v) * scale
        return out
    core = _core_widths(str(font.get("/BaseFont", ""))[1:])
    if core:
        out.widths = {c: core[chr(c)] / 1000 for c in range(256) if chr(c) in core}
        out.default = core.get("default", 500) / 1000 if "default" in core else GLYPH_EM
    return out


def _core_widths(name: str) -> dict[str, float]:
    """The standard 14 fonts' widths by character (from pypdf's metrics), for fonts without /Widths."""
    try:
        from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS
    except ImportError:  # pragma: no cover - pypdf's layout changed: the half-em estimate stands
        return {}
    metrics = CORE_FONT_METRICS.get(name.split("+")[-1])
    return dict(metrics.character_widths) if metrics is not None else {}


def _page_box(rect: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in list(rect)[:4])
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _same(a: RGB, b: RGB) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= SAME_COLOUR


def _matrix(obj: Any) -> Matrix:
    a, b, c, d, e, f = _numbers(obj, 6)
    return a, b, c, d, e, f


def _numbers(obj: Any, n: int) -> list[float]:
    if isinstance(obj, IndirectObject):
        obj = obj.get_object()
    values = [_num(v) for v in list(obj)[:n]]
    if len(values) < n:
        raise ValueError(f"{n} numbers expected")
    return values


def _cell(x: float, y: float) -> tuple[int, int]:
    return int(math.floor(x / GRID)), int(math.floor(y / GRID))


def _cells(box: Box) -> Iterable[tuple[int, int]]:
    if _area(box) <= 0 or not all(map(math.isfinite, box)):
        return []
    x0, y0 = _cell(box[0], box[1])
    x1, y1 = _cell(box[2], box[3])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _axis_aligned(m: Matrix) -> bool:
    return (abs(m[1]) < 1e-9 and abs(m[2]) < 1e-9) or (abs(m[0]) < 1e-9 and abs(m[3]) < 1e-9)


def _bytes(s: Any) -> bytes:
    if isinstance(s, bytes):
        return s
    original = getattr(s, "get_original_bytes", None)
    if original is not None:
        return bytes(original())
    return str(s).encode("latin-1", "replace")


def _dict(obj: Any) -> DictionaryObject:
    obj = obj.get_object() if obj is not None else None
    return obj if isinstance(obj, DictionaryObject) else DictionaryObject()


def _ref_id(ref: Any) -> int:
    return ref.idnum if isinstance(ref, IndirectObject) else -1


def _space(resources: DictionaryObject, name: Any) -> str:
    """A colour space's kind: "gray", "rgb", "cmyk", or "" when its colours are not read here."""
    if name in _DEVICE:
        return _DEVICE[str(name)]
    spaces = _dict(resources.get("/ColorSpace"))
    cs = spaces[name].get_object() if name in spaces else None
    if isinstance(cs, NameObject):
        return _DEVICE.get(str(cs), "")
    if isinstance(cs, ArrayObject) and cs:
        kind = str(cs[0])
        if kind == "/ICCBased" and len(cs) > 1:
            return _BY_COMPONENTS.get(int(cs[1].get_object().get("/N", 0)), "")
        return _DEVICE.get(kind, "")
    return ""


def page_resources(page: PageObject) -> Any:
    return page.get_inherited("/Resources") or page.get("/Resources")


def off_layers(pdf: Any) -> set[int]:
    """The object numbers of the document's optional-content groups that are off by default."""
    try:
        props = _dict(pdf.trailer["/Root"].get_object().get("/OCProperties"))
        default = _dict(props.get("/D"))
        if default.get("/BaseState") == "/OFF":
            on = {_ref_id(r) for r in default.get("/ON", [])}
            groups: Any = props.raw_get("/OCGs").get_object() if "/OCGs" in props else []
            return {_ref_id(r) for r in groups} - on
        off = default.raw_get("/OFF") if "/OFF" in default else None
        return {_ref_id(r) for r in off.get_object()} if off is not None else set()
    except _ERRORS:
        return set()


def _read_page(page: PageObject, layers: set[int] | None) -> tuple[_PageReader, dict[tuple[int, int], _Show]]:
    reader = _PageReader(page, off_layers(page.pdf) if layers is None else layers)
    reader.read()
    return reader, reader.hidden()


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
    return reader.without(hidden).extract_text() or "", len(hidden)
