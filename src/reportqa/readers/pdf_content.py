"""Pass 1 of reading a PDF page: its content streams (and those of the forms it paints) read with their
graphics state, recording each text-showing operator (where it is, how it is painted, and why it is not seen
when that can be told from the operator alone) and each box or image painted (for `readers.pdf`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from pypdf import PageObject
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, IndirectObject, NameObject

from reportqa.readers.pdf_geometry import (
    EVERYWHERE,
    IDENTITY,
    Box,
    Matrix,
    apply,
    area,
    axis_aligned,
    bbox,
    box_of,
    matrix,
    meet,
    multiply,
    num,
    numbers,
    overlaps,
    page_box,
)
from reportqa.readers.pdf_resources import (
    BLACK,
    ERRORS,
    INITIAL_COLOUR,
    RGB,
    Font,
    as_bytes,
    as_dict,
    colour_space,
    page_resources,
    read_colour,
    read_font,
    ref_id,
)

MIN_SIZE = 1.0  # pt: text less high or wide than this on the page is not read
MIN_ALPHA = 0.05  # fill or stroke alpha under which a paint is not seen
OPAQUE_ALPHA = 0.95  # a box at least this opaque (normal blend) hides what is under it
MAX_FORMS = 1000  # form XObjects painted on one page (each read once per painting)
MAX_FORM_DEPTH = 12
_FILL_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PAINT_OPS = _FILL_OPS | {b"S", b"s", b"n"}
_SHOW_OPS = {b"Tj", b"TJ", b"'", b'"'}


@dataclass
class State:
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
    font: Font | None = None


@dataclass
class Show:
    """A text-showing operator: where it is, how it is painted, and why it is not seen ("" if it may be)."""

    seq: int
    stream: int
    op: int
    box: Box
    paints: list[tuple[RGB | None, float]]
    reason: str
    width: float  # its advance in thousandths of a text-space unit (for the gap that replaces it)


@dataclass
class Paint:
    seq: int
    box: Box
    colour: RGB | None  # None: not read (an image, a shading, a pattern, a partly transparent fill)
    opaque: bool
    rect: bool  # a box filled whole (a rectangle path) or an image, which hides what is under it
    image: bool


@dataclass
class Stream:
    ops: list[tuple[Any, bytes]]
    resources: DictionaryObject
    forms: dict[int, tuple[int, DictionaryObject]] = field(default_factory=dict)  # op -> (stream, form)


class ContentReader:
    """A page's content streams as read (pass 1): its text shows, its paints, and the streams themselves."""

    def __init__(self, page: PageObject, off_layers: set[int]) -> None:
        self.page = page
        self.off_layers = off_layers
        self.page_box = meet(page_box(page.mediabox), page_box(page.cropbox))
        self.streams: list[Stream] = []
        self.shows: list[Show] = []
        self.paints: list[Paint] = []
        self.seq = 0
        self.forms_read = 0
        self.layers: list[bool] = []  # marked content open: whether each hides what it holds
        self.fonts: dict[int, Font] = {}

    # -- pass 1: read the content streams ---------------------------------------------------------------

    def read(self) -> None:
        resources = as_dict(page_resources(self.page))
        contents = self.page.get("/Contents")
        if contents is None:
            return
        self._read(ContentStream(contents.get_object(), self.page.pdf, "bytes"), resources, State(), 0)

    def _read(self, content: ContentStream, resources: DictionaryObject, state: State, depth: int) -> int:
        stream = len(self.streams)
        ops = list(content.operations)
        self.streams.append(Stream(ops, resources))
        st = state
        saved: list[State] = []
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
                    st.ctm = multiply(matrix(operands), st.ctm)
                elif op == b"BT":
                    tm = tlm = IDENTITY
                elif op == b"Tm":
                    tm = tlm = matrix(operands)
                elif op in (b"Td", b"TD"):
                    tx, ty = num(operands[0]), num(operands[1])
                    if op == b"TD":
                        st.leading = -ty
                    tm = tlm = multiply((1.0, 0.0, 0.0, 1.0, tx, ty), tlm)
                elif op == b"T*":
                    tm = tlm = multiply((1.0, 0.0, 0.0, 1.0, 0.0, -st.leading), tlm)
                elif op == b"Tf":
                    st.font_size = num(operands[1])
                    fonts = as_dict(resources.get("/Font"))
                    st.font = self._font(fonts.raw_get(operands[0]) if operands[0] in fonts else None)
                elif op == b"Tc":
                    st.char_space = num(operands[0])
                elif op == b"Tw":
                    st.word_space = num(operands[0])
                elif op == b"Tz":
                    st.h_scale = num(operands[0]) / 100
                elif op == b"TL":
                    st.leading = num(operands[0])
                elif op == b"Tr":
                    st.render = int(num(operands[0]))
                elif op == b"Ts":
                    st.rise = num(operands[0])
                elif op in _SHOW_OPS:
                    if op in (b"'", b'"'):
                        if op == b'"':
                            st.word_space, st.char_space = num(operands[0]), num(operands[1])
                        tm = tlm = multiply((1.0, 0.0, 0.0, 1.0, 0.0, -st.leading), tlm)
                    parts = list(operands[0]) if op == b"TJ" else [operands[-1]]
                    tm = self._show(stream, i, st, tm, parts)
                elif op in (b"g", b"rg", b"k"):
                    st.fill_space = {b"g": "gray", b"rg": "rgb", b"k": "cmyk"}[op]
                    st.fill = read_colour(st.fill_space, operands)
                elif op in (b"G", b"RG", b"K"):
                    st.stroke_space = {b"G": "gray", b"RG": "rgb", b"K": "cmyk"}[op]
                    st.stroke = read_colour(st.stroke_space, operands)
                elif op in (b"cs", b"CS"):
                    space = colour_space(resources, operands[0])
                    if op == b"cs":
                        st.fill_space, st.fill = space, INITIAL_COLOUR.get(space)
                    else:
                        st.stroke_space, st.stroke = space, INITIAL_COLOUR.get(space)
                elif op in (b"sc", b"scn"):
                    st.fill = read_colour(st.fill_space, operands)
                elif op in (b"SC", b"SCN"):
                    st.stroke = read_colour(st.stroke_space, operands)
                elif op == b"gs":
                    self._ext_state(resources, operands[0], st)
                elif op in (b"m", b"l"):
                    path.append(apply(st.ctm, num(operands[0]), num(operands[1])))
                    path_ops += 1
                elif op in (b"c", b"v", b"y"):
                    v = [num(x) for x in operands]
                    path.extend(apply(st.ctm, v[j], v[j + 1]) for j in range(0, len(v) - 1, 2))
                    path_ops += 1
                elif op == b"re":
                    x, y, w, h = (num(v) for v in operands[:4])
                    path.extend(apply(st.ctm, px, py) for px in (x, x + w) for py in (y, y + h))
                    path_rect = path_ops == 0 and axis_aligned(st.ctm)
                    path_ops += 1
                elif op in (b"W", b"W*"):
                    clip_next = True
                elif op in _PAINT_OPS:
                    box = bbox(path) if path else None
                    if box is not None and op in _FILL_OPS:
                        self._paint(meet(box, st.clip), st.fill, st.fill_alpha, st.normal_blend,
                                    rect=path_rect and path_ops == 1, image=False)
                    if clip_next:
                        st.clip = meet(st.clip, box) if box is not None else meet(st.clip, (0, 0, 0, 0))
                    path, path_ops, path_rect, clip_next = [], 0, False, False
                elif op == b"sh":
                    self._paint(meet(self.page_box, st.clip), None, st.fill_alpha, st.normal_blend,
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
            except ERRORS:
                continue  # a malformed operator is skipped, as a viewer would
        del self.layers[layers_at_start:]
        return stream

    def _show(self, stream: int, i: int, st: State, tm: Matrix, parts: list[Any]) -> Matrix:
        tfs, th = st.font_size, st.h_scale
        adv = 0.0
        for part in parts:
            if isinstance(part, (str, bytes)) and not isinstance(part, NameObject):
                ems, n, spaces = (st.font or Font()).advance(as_bytes(part))
                adv += (ems * tfs + n * st.char_space + spaces * st.word_space) * th
            elif isinstance(part, (int, float)):
                adv -= num(part) / 1000 * tfs * th
        m = multiply(tm, st.ctm)
        lo, hi = st.rise - 0.2 * abs(tfs), st.rise + 0.8 * abs(tfs)
        box = bbox(apply(m, x, y) for x in (0.0, adv) for y in (lo, hi))
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
        elif not overlaps(box, self.page_box):
            reason = "outside the page"
        elif not overlaps(box, st.clip):
            reason = "clipped away"
        elif all(alpha < MIN_ALPHA for _, alpha in paints):
            reason = "transparent"
        else:
            reason = ""
        scale = tfs * th
        width = adv / scale * 1000 if scale else 0.0
        self.seq += 1
        self.shows.append(Show(self.seq, stream, i, box, paints, reason, width))
        return multiply((1.0, 0.0, 0.0, 1.0, adv, 0.0), tm)

    def _font(self, ref: Any) -> Font:
        """The advances of a font resource (cached by object); half an em a glyph for what is not read."""
        obj = ref.get_object() if ref is not None else None
        key = ref_id(ref) if isinstance(ref, IndirectObject) else id(obj)
        if key in self.fonts:
            return self.fonts[key]
        font = Font()
        try:
            if isinstance(obj, DictionaryObject):
                font = read_font(obj)
        except ERRORS:
            pass
        self.fonts[key] = font
        return font

    def _paint(self, box: Box, colour: RGB | None, alpha: float, normal: bool, *, rect: bool,
               image: bool) -> None:
        if alpha < MIN_ALPHA or area(box) <= 0:
            return
        opaque = alpha >= OPAQUE_ALPHA and normal
        self.seq += 1
        self.paints.append(Paint(self.seq, box, colour if opaque else None, opaque, rect or image, image))

    def _image(self, st: State) -> None:
        box = meet(box_of(st.ctm, (0.0, 0.0, 1.0, 1.0)), st.clip)
        self._paint(box, None, st.fill_alpha, st.normal_blend, rect=False, image=True)

    def _do(self, stream: int, i: int, resources: DictionaryObject, name: Any, st: State,
            depth: int) -> None:
        xobjects = as_dict(resources.get("/XObject"))
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
            inner.ctm = multiply(matrix(xobj["/Matrix"]), st.ctm)
        if "/BBox" in xobj:
            x0, y0, x1, y1 = numbers(xobj["/BBox"], 4)
            inner.clip = meet(st.clip, box_of(inner.ctm, (x0, y0, x1, y1)))
        own = xobj.get("/Resources")
        form_resources = as_dict(own) if own is not None else resources
        off = "/OC" in xobj and self._layer_off(resources, xobj.raw_get("/OC"))
        self.layers.append(off)
        try:
            child = self._read(ContentStream(xobj, self.page.pdf, "bytes"), form_resources, inner, depth + 1)
        finally:
            self.layers.pop()
        self.streams[stream].forms[i] = (child, xobj)

    def _ext_state(self, resources: DictionaryObject, name: Any, st: State) -> None:
        states = as_dict(resources.get("/ExtGState"))
        gs = states[name].get_object() if name in states else None
        if not isinstance(gs, DictionaryObject):
            return
        if "/ca" in gs:
            st.fill_alpha = num(gs["/ca"])
        if "/CA" in gs:
            st.stroke_alpha = num(gs["/CA"])
        if "/BM" in gs:
            bm = gs["/BM"]
            bm = bm[0] if isinstance(bm, ArrayObject) and len(bm) else bm
            st.normal_blend = bm in ("/Normal", "/Compatible")
        if "/Font" in gs:
            font: Any = gs["/Font"]
            st.font_size = num(font[1])
            st.font = self._font(font[0])

    def _layer_off(self, resources: DictionaryObject, ref: Any) -> bool:
        """Whether optional content (a name in /Properties, an OCG or an OCMD) is off by default."""
        if isinstance(ref, str):
            props = as_dict(resources.get("/Properties"))
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
            off = [ref_id(g) in self.off_layers for g in members]
            if not off:
                return False
            policy = obj.get("/P", "/AnyOn")
            return {"/AllOn": any(off), "/AnyOff": not any(off), "/AllOff": not all(off)}.get(
                str(policy), all(off))
        return ref_id(ref) in self.off_layers
