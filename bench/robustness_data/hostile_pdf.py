"""A PDF report with hidden text, built from a hostile_docs.json document of format "pdf" (issue 26 item 1).

A document's "lines" are [text, how it is hidden] pairs: "" is seen; "white" is white on the white page,
"invisible" is render mode 3, "tiny" is 0.4 pt, "off-page" starts far left of the page, "covered" is
painted over by a white box, "same-as-box" is navy on a navy box. A line ending without a full stop and
shown first is the title (16 pt); other lines without one are headings (13 pt); the rest are 10 pt
Helvetica, one line each, top down on one page.
"""

from __future__ import annotations

from robustness_data.malformed import pdf_file

HIDING = ("", "white", "invisible", "tiny", "off-page", "covered", "same-as-box")


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")


def _line(text: str, x: float, y: float, size: str, before: bytes = b"") -> bytes:
    return (b"BT /F1 " + size.encode() + b" Tf " + before + b" %g %g Td (" % (x, y) + _escape(text)
            + b") Tj ET\n")


def content(lines: list[list[str]]) -> bytes:
    out = b""
    y = 740.0
    for n, (text, hide) in enumerate(lines):
        if hide not in HIDING:
            raise ValueError(f"unknown hiding {hide!r}")
        heading = not hide and not text.rstrip().endswith((".", "?", "!"))
        size = "16" if heading and n == 0 else ("13" if heading else "10")
        if hide == "":
            out += _line(text, 56, y, size)
        elif hide == "white":
            out += b"q 1 1 1 rg " + _line(text, 56, y, size) + b"Q\n"
        elif hide == "invisible":
            out += b"q " + _line(text, 56, y, size, b"3 Tr") + b"0 Tr Q\n"
        elif hide == "tiny":
            out += _line(text, 56, y, "0.4")
        elif hide == "off-page":
            out += _line(text, -2400, y, size)
        elif hide == "covered":
            out += b"q " + _line(text, 56, y, size) + b"1 g 40 %g 540 18 re f Q\n" % (y - 5)
        else:  # same-as-box
            out += b"q 0.1 0.15 0.35 rg 40 %g 540 18 re f " % (y - 5) + _line(text, 56, y, size) + b"Q\n"
        y -= 30 if heading else 18
    return out


def build(lines: list[list[str]]) -> bytes:
    """The PDF's bytes: one Letter page, the lines in Helvetica (WinAnsi)."""
    body = content(lines)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_file(objs)


def text(lines: list[list[str]]) -> str:
    """Every line's text, hidden ones included (what pypdf alone would extract)."""
    return "\n".join(t for t, _ in lines)
