"""pypdf objects as the PDF reader reads them: dictionaries and references, colour spaces and colours,
fonts' glyph advances, a page's resources and the document's optional-content layers that are off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pypdf import PageObject
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from reportqa.readers.pdf_geometry import num, numbers

RGB = tuple[float, float, float]
WHITE: RGB = (1.0, 1.0, 1.0)
BLACK: RGB = (0.0, 0.0, 0.0)

SAME_COLOUR = 0.1  # text whose colour is within this (max over R, G, B) of its background's is not seen
GLYPH_EM = 0.5  # a glyph's advance, in ems, when its font does not give it
MAX_WIDTHS = 65_536  # entries read from a font's /Widths or /W
ERRORS = (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError, OverflowError)


def read_colour(space: str, operands: Sequence[Any]) -> RGB | None:
    """A colour as RGB in 0..1, from the operands of g/rg/k or sc/scn in `space`; None when not read."""
    if space not in ("gray", "rgb", "cmyk") or any(isinstance(v, str) for v in operands):
        return None  # a pattern's name, a separation, an indexed space... not read
    v = [min(1.0, max(0.0, num(x))) for x in operands]
    if space == "gray" and len(v) == 1:
        return v[0], v[0], v[0]
    if space == "rgb" and len(v) == 3:
        return v[0], v[1], v[2]
    if space == "cmyk" and len(v) == 4:
        c, m, y, k = v
        return (1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)
    return None


INITIAL_COLOUR = {"gray": BLACK, "rgb": BLACK, "cmyk": BLACK}
_DEVICE = {"/DeviceGray": "gray", "/G": "gray", "/DeviceRGB": "rgb", "/RGB": "rgb", "/DeviceCMYK": "cmyk",
           "/CMYK": "cmyk", "/CalGray": "gray", "/CalRGB": "rgb", "/Lab": ""}
_BY_COMPONENTS = {1: "gray", 3: "rgb", 4: "cmyk"}


@dataclass
class Font:
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


def read_font(font: DictionaryObject) -> Font:
    subtype = font.get("/Subtype")
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cid = as_dict(descendants[0] if isinstance(descendants, ArrayObject) and descendants else None)
        out = Font(True, {}, num(cid.get("/DW", 1000)) / 1000)
        w = cid.get("/W")
        items = list(w.get_object()) if w is not None else []
        j = 0
        while j < len(items) and len(out.widths) < MAX_WIDTHS:
            first = int(num(items[j]))
            nxt = items[j + 1].get_object() if j + 1 < len(items) else None
            if isinstance(nxt, ArrayObject):
                for k, v in enumerate(nxt[: MAX_WIDTHS]):
                    out.widths[first + k] = num(v) / 1000
                j += 2
            elif j + 2 < len(items):
                last = min(int(num(nxt)), first + MAX_WIDTHS)
                for c in range(first, last + 1):
                    out.widths[c] = num(items[j + 2]) / 1000
                j += 3
            else:
                break
        return out
    scale = 0.001
    if subtype == "/Type3" and "/FontMatrix" in font:
        scale = abs(numbers(font["/FontMatrix"], 1)[0])
    descriptor = as_dict(font.get("/FontDescriptor"))
    missing = num(descriptor.get("/MissingWidth", 0)) * scale
    out = Font(False, {}, missing or GLYPH_EM)
    widths = font.get("/Widths")
    if widths is not None:
        first = int(num(font.get("/FirstChar", 0)))
        for k, v in enumerate(list(widths.get_object())[:256]):
            out.widths[first + k] = num(v) * scale
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


def same_colour(a: RGB, b: RGB) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= SAME_COLOUR


def as_bytes(s: Any) -> bytes:
    if isinstance(s, bytes):
        return s
    original = getattr(s, "get_original_bytes", None)
    if original is not None:
        return bytes(original())
    return str(s).encode("latin-1", "replace")


def as_dict(obj: Any) -> DictionaryObject:
    obj = obj.get_object() if obj is not None else None
    return obj if isinstance(obj, DictionaryObject) else DictionaryObject()


def ref_id(ref: Any) -> int:
    return ref.idnum if isinstance(ref, IndirectObject) else -1


def colour_space(resources: DictionaryObject, name: Any) -> str:
    """A colour space's kind: "gray", "rgb", "cmyk", or "" when its colours are not read here."""
    if name in _DEVICE:
        return _DEVICE[str(name)]
    spaces = as_dict(resources.get("/ColorSpace"))
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
        props = as_dict(pdf.trailer["/Root"].get_object().get("/OCProperties"))
        default = as_dict(props.get("/D"))
        if default.get("/BaseState") == "/OFF":
            on = {ref_id(r) for r in default.get("/ON", [])}
            groups: Any = props.raw_get("/OCGs").get_object() if "/OCGs" in props else []
            return {ref_id(r) for r in groups} - on
        off = default.raw_get("/OFF") if "/OFF" in default else None
        return {ref_id(r) for r in off.get_object()} if off is not None else set()
    except ERRORS:
        return set()
