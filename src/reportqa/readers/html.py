"""An HTML report as the text a reader sees: `html_to_text`.

Blocks become paragraphs, list items bullets, table rows "| a | b |" lines; scripts, styles, navigation,
headers, footers, forms and buttons are left out. So is what a browser never shows, which would otherwise
become evidence no reader of the page saw (issue 26):

- an element with the `hidden` attribute, aria-hidden="true", or a style (inline, or a <style> rule on a tag,
  a class or an id) of display:none, visibility:hidden|collapse, opacity:0, a zero-size box that clips its
  content, a clip to nothing, or a position far off the page;
- text whose font size is at most ~1 px, or whose colour is its background's (white on the white page,
  unless a background says otherwise; `<font color>` and `bgcolor` count), or transparent;
- <template> and <noscript> (shown only without a script engine: not the page a reader sees).

A document whose markup swallows the rest of itself (an unclosed <script>, <style>, <svg>, <template>...
with text after it that a browser would never show either) is refused with one InputError, rather than
stored as a report of its first few lines.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from reportqa.errors import InputError

MAX_LIST_INDENT = 6  # list levels shown by indentation in text converted from HTML; deeper ones stay at 6
# an element whose text is left out (_HTMLText.SKIP) still open at the end of the document, with more than
# this much text left out after it opened: refused (the rest of the document would be lost)
MAX_SWALLOWED_CHARS = 200
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr", "keygen"}
MAX_END_TAG_SEARCH = 256  # open elements an end tag looks back through for its start tag
MAX_STYLE_RULES = 500  # <style> rules read (a report page has tens); the rest are not
WHITE, BLACK, TRANSPARENT = "#ffffff", "#000000", "transparent"
_NAMED = {
    "white": WHITE, "black": BLACK, "transparent": TRANSPARENT, "red": "#ff0000", "green": "#008000",
    "blue": "#0000ff", "yellow": "#ffff00", "grey": "#808080", "gray": "#808080", "silver": "#c0c0c0",
    "whitesmoke": "#f5f5f5", "snow": "#fffafa", "ivory": "#fffff0", "ghostwhite": "#f8f8ff",
    "navy": "#000080", "orange": "#ffa500", "purple": "#800080", "lightgrey": "#d3d3d3",
    "lightgray": "#d3d3d3",
}


def _colour(value: str) -> str | None:
    """A CSS colour as #rrggbb (or "transparent"); None for what is not read (a variable, currentColor...)."""
    v = value.strip().lower().replace("!important", "").strip()
    if v in _NAMED:
        return _NAMED[v]
    m = re.fullmatch(r"#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})", v)
    if m:
        h = m.group(1)
        if len(h) in (3, 4):
            h = "".join(c * 2 for c in h)
        if len(h) == 8 and h[6:] == "00":
            return TRANSPARENT
        return "#" + h[:6]
    m = re.fullmatch(r"(rgba?|hsla?)\(([^)]*)\)", v)
    if not m:
        return None
    parts = [p for p in re.split(r"[\s,/]+", m.group(2).strip()) if p]
    if len(parts) < 3:
        return None
    try:
        if len(parts) >= 4 and _number(parts[3], 1.0) == 0:
            return TRANSPARENT
        if m.group(1).startswith("rgb"):
            rgb = [min(255, max(0, round(_number(p, 255.0)))) for p in parts[:3]]
        else:
            hue = float(parts[0].removesuffix("deg")) / 360.0
            sat, light = _number(parts[1], 1.0), _number(parts[2], 1.0)
            rgb = [round(c * 255) for c in colorsys.hls_to_rgb(hue % 1.0, light, sat)]
    except ValueError:
        return None
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _number(text: str, scale: float) -> float:
    """A CSS number; a percentage as a share of `scale` (rgb: 255, alpha and hsl: 1)."""
    if text.endswith("%"):
        return float(text[:-1]) / 100.0 * scale
    value = float(text)
    return value if scale != 1.0 or value <= 1.0 else value / 100.0


def _length_px(value: str) -> float | None:
    """A CSS length in px (em and rem at 16 px, % of 16 px); None when it cannot be read."""
    m = re.fullmatch(r"(-?[\d.]+)\s*(px|pt|em|rem|%|vw|vh|ex|ch)?", value.strip().lower())
    if not m:
        return None
    try:
        n = float(m.group(1))
    except ValueError:
        return None
    unit = m.group(2) or "px"
    return n * {"px": 1.0, "pt": 4 / 3, "em": 16.0, "rem": 16.0, "%": 0.16, "vw": 10.0, "vh": 10.0,
                "ex": 8.0, "ch": 8.0}[unit]


def _declarations(style: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in style.split(";"):
        name, sep, value = decl.partition(":")
        if sep:
            out[name.strip().lower()] = value.replace("!important", "").strip().lower()
    return out


@dataclass(frozen=True)
class _Look:
    """What an element's style says about whether its text is seen."""

    hides: bool = False  # the element and everything in it is not shown
    colour: str | None = None  # its text colour, when set
    background: str | None = None  # its background colour, when set
    tiny: bool | None = None  # its font size is at most ~1 px (None: not set)


def _look(decls: dict[str, str]) -> _Look:
    hides = (
        decls.get("display", "").startswith("none")
        or decls.get("visibility", "").split(" ")[0] in ("hidden", "collapse")
        or _opacity_zero(decls.get("opacity", ""))
        or _clipped_to_nothing(decls)
        or _off_page(decls)
    )
    colour = _colour(decls["color"]) if "color" in decls else None
    background = None
    if "background-color" in decls:
        background = _colour(decls["background-color"])
    elif "background" in decls:
        for token in re.findall(r"#[0-9a-f]+|(?:rgba?|hsla?)\([^)]*\)|[a-z]+", decls["background"]):
            background = _colour(token)
            if background is not None:
                break
    tiny = None
    if "font-size" in decls:
        px = _length_px(decls["font-size"])
        tiny = px is not None and px <= 1.5
    elif "font" in decls:  # the shorthand: "0/0 a" or "1px serif"
        m = re.match(r"(?:[a-z-]+\s+)*(-?[\d.]+(?:px|pt|em|rem|%)?)(?:/\S+)?\s", decls["font"] + " ")
        if m:
            px = _length_px(m.group(1))
            tiny = px is not None and px <= 1.5
    return _Look(hides, colour, background, tiny)


def _opacity_zero(value: str) -> bool:
    try:
        return value != "" and _number(value.strip(), 1.0) <= 0.01
    except ValueError:
        return False


def _clipped_to_nothing(d: dict[str, str]) -> bool:
    """A box of zero width or height that hides what overflows it, or clipped to an empty rectangle."""
    overflow = d.get("overflow", "") + d.get("overflow-x", "") + d.get("overflow-y", "")
    if "hidden" in overflow or "clip" in overflow:
        for side in ("width", "height", "max-width", "max-height"):
            px = _length_px(d.get(side, "x"))
            if px is not None and px <= 1:
                return True
    clip = d.get("clip", "") + " " + d.get("clip-path", "")
    return bool(re.search(r"rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)|inset\(\s*50%", clip))


def _off_page(d: dict[str, str]) -> bool:
    """Positioned or indented thousands of pixels off the page (the old "text-indent: -9999px")."""
    for side in ("left", "top", "right", "text-indent", "margin-left"):
        px = _length_px(d.get(side, "x"))
        if px is not None and px <= -1000 and (side in ("text-indent", "margin-left")
                                               or d.get("position") in ("absolute", "fixed")):
            return True
    return False


class _Rules:
    """The rules of a document's <style> blocks on a tag, a .class or an #id (or tag.class, tag#id), in
    document order; descendant, child and attribute selectors are not read."""

    def __init__(self, html: str) -> None:
        self.rules: list[tuple[str, str, str, dict[str, str]]] = []  # (tag, class, id, declarations)
        for block in re.findall(r"<style\b[^>]*>(.*?)</style\s*>", html[:5_000_000], re.I | re.S):
            block = re.sub(r"/\*.*?\*/", "", block, flags=re.S)
            for selectors, body in re.findall(r"([^{}@]+)\{([^{}]*)\}", block):
                decls = _declarations(body)
                if not decls:
                    continue
                if len(self.rules) >= MAX_STYLE_RULES:  # each element is matched against every rule
                    return
                for sel in selectors.split(","):
                    m = re.fullmatch(r"\s*([a-z][a-z0-9-]*)?(?:\.([\w-]+))?(?:#([\w-]+))?\s*", sel, re.I)
                    if m and any(m.groups()):
                        self.rules.append(((m.group(1) or "").lower(), m.group(2) or "", m.group(3) or "",
                                           decls))

    def declarations(self, tag: str, classes: list[str], element_id: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for rtag, rclass, rid, decls in self.rules:
            if rtag in ("", tag) and (not rclass or rclass in classes) and rid in ("", element_id):
                out.update(decls)
        return out


@dataclass
class _Open:
    tag: str
    hides: bool
    colour: str
    background: str
    tiny: bool
    dropped_at: int  # characters of text left out (in SKIP elements) before the element opened
    line: int


class _HTMLText(HTMLParser):
    BLOCK = {
        "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "ul", "ol", "table",
    }
    SKIP = {"script", "style", "nav", "header", "footer", "noscript", "svg", "form", "button", "template"}
    # a start tag of these closes an open <p> (as browsers do), so a hidden <p> left open hides no more
    CLOSES_P = {"p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table",
                "header", "footer", "nav", "form", "blockquote", "pre", "hr", "figure", "aside", "main"}

    def __init__(self, rules: _Rules) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.depth = 0
        self.rules = rules
        self.stack: list[_Open] = []
        self.hidden = 0  # open elements that hide everything in them
        self.dropped = 0
        self.closed_by_others: list[_Open] = []  # SKIP elements closed only by an ancestor's end tag

    # -- what is seen -----------------------------------------------------------------------------------
    def _top(self) -> tuple[str, str, bool]:
        if self.stack:
            t = self.stack[-1]
            return t.colour, t.background, t.tiny
        return BLACK, WHITE, False

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        decls = {}
        if self.rules.rules:
            decls = self.rules.declarations(tag, a.get("class", "").split(), a.get("id", ""))
        decls.update(_declarations(a.get("style", "")))
        look = _look(decls)
        colour, background, tiny = self._top()
        if tag == "font" and "color" in a:
            colour = _colour(a["color"]) or colour
        if "bgcolor" in a:
            background = _colour(a["bgcolor"]) or background
        if look.colour is not None:
            colour = look.colour
        if look.background is not None and look.background != TRANSPARENT:
            background = look.background
        if look.tiny is not None:
            tiny = look.tiny
        hides = (look.hides or ("hidden" in a and a["hidden"].strip().lower() != "until-found")
                 or a.get("aria-hidden", "").strip().lower() == "true"
                 or (tag == "input" and a.get("type", "").lower() == "hidden"))
        self.stack.append(_Open(tag, hides, colour, background, tiny, self.dropped, self.getpos()[0]))
        self.hidden += hides

    def _close(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, max(-1, len(self.stack) - 1 - MAX_END_TAG_SEARCH), -1):
            if self.stack[i].tag == tag:
                for entry in self.stack[i:]:
                    self.hidden -= entry.hides
                    if entry.tag in self.SKIP and entry is not self.stack[i]:
                        self.closed_by_others.append(entry)  # its text is still left out (self.skip)
                del self.stack[i:]
                return

    def _implicit_close(self, tag: str) -> None:
        if not self.stack:
            return
        top = self.stack[-1].tag
        if (top == tag and tag in ("li", "dt", "dd", "tr", "option")) or (
                top in ("td", "th") and tag in ("td", "th", "tr")) or (top == "p" and tag in self.CLOSES_P):
            self._close(top)

    def _invisible(self) -> bool:
        if self.hidden:
            return True
        colour, background, tiny = self._top()
        return tiny or colour in (TRANSPARENT, background)

    # -- the parser's events --------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self._implicit_close(tag)
        hidden_before = bool(self.hidden)
        if tag not in VOID:
            self._open(tag, attrs)
        if tag in self.SKIP:
            self.skip += 1
        elif tag in ("ul", "ol"):
            self.depth += 1
        if hidden_before or self.hidden:
            return  # nothing of a hidden element is written, not even its line breaks
        if tag in self.BLOCK:
            self.out.append("\n\n")
        if tag == "li" and not self.skip:
            # indented to at most MAX_LIST_INDENT levels: 20,000 nested lists once made 400 million spaces
            self.out.append("  " * min(self.depth, MAX_LIST_INDENT) + "• ")
        if tag == "tr":  # a table row on one line, its cells between bars: "| Barnet | 1,234 |"
            self.out.append("\n|")
        if tag in ("td", "th") and not self.skip:
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        hidden = bool(self.hidden)
        if tag not in VOID:
            self._close(tag)
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag in ("ul", "ol") and self.depth:
            self.depth -= 1
        if hidden or self.hidden:
            return
        if tag in self.BLOCK:
            self.out.append("\n\n")
        if tag in ("td", "th") and not self.skip:
            self.out.append(" |")

    def handle_data(self, data: str) -> None:
        if self.skip:
            self.dropped += len(data.strip())
        elif not self._invisible():
            self.out.append(re.sub(r"\s+", " ", data))

    def swallowed(self) -> tuple[_Open, int] | None:
        """The first element of SKIP never closed after which more than MAX_SWALLOWED_CHARS of text were left
        out, and how many. Call after close(): what an unclosed <script> or <style> held is counted too."""
        if self.skip and self.rawdata:  # an unclosed <script>/<style>: the parser still holds the rest
            self.dropped += len("".join(self.rawdata.split()))
            self.rawdata = ""
        for entry in sorted([*self.stack, *self.closed_by_others], key=lambda e: e.dropped_at):
            lost = self.dropped - entry.dropped_at
            if entry.tag in self.SKIP and lost > MAX_SWALLOWED_CHARS:
                return entry, lost
        return None


def html_to_text(html: str) -> str:
    """The text a reader of the page sees, as paragraphs; raises InputError for markup that swallows the rest
    of the document (an unclosed <script>, <svg>...)."""
    p = _HTMLText(_Rules(html) if "<style" in html.lower() else _Rules(""))
    p.feed(html)
    p.close()
    swallowed = p.swallowed()
    if swallowed is not None:
        gone, lost = swallowed
        raise InputError(
            f"the HTML has a <{gone.tag}> at line {gone.line} that is never closed: the {lost:,} characters "
            "of text after it would be lost",
            f"close the <{gone.tag}> element (</{gone.tag}>) or re-export the page, then ingest it again",
        )
    text = "".join(p.out)
    lines = [ln.rstrip() for ln in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text
