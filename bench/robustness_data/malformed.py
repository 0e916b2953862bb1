"""Malformed report files for the ingest path: PDFs, HTML and text that a careless export or an attacker
could hand to `reportqa ingest FILE`.

`generate(out_dir, seed, count)` writes at least `count` files (names say what each is) and returns their
paths. Every file is built here from a seed, so a failing case is reproduced by `generate` with the same seed
and the file's name. Used by bench/robustness.py and tests/test_fuzz.py.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

SENTENCE = (
    "In 2030-31 the Violence Reduction Unit funded 412 community projects across London, and the London "
    "Victim and Witness Service supported 61,200 victims of crime. "
)


# -- PDFs -----------------------------------------------------------------------------------------------


def pdf_file(objects: list[bytes], root: int = 1, xref_shift: int = 0, trailer_extra: bytes = b"") -> bytes:
    """A PDF from numbered object bodies (1-based), with an xref table (its offsets moved by xref_shift).
    The one PDF writer of the bench and the tests, which build PDFs byte by byte to plant what a reader must
    see or miss."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % max(0, off + xref_shift)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        trailer_extra,
        xref,
    )
    return bytes(out)


def _content(text: str, compress: bool = False) -> bytes:
    body = (
        b"BT /F1 12 Tf 72 720 Td ("
        + text.replace("(", "[").replace(")", "]").encode("latin-1", "replace")
        + b") Tj ET"
    )
    if compress:
        data = zlib.compress(body)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def good_pdf(text: str = SENTENCE * 3, compress: bool = False) -> bytes:
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _content(text, compress),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def _encrypted_pdf() -> bytes:
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(BytesIO(good_pdf())))
    w.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = BytesIO()
    w.write(buf)
    return buf.getvalue()


def _pdfs(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = good_pdf()
    yield "pdf-zero-length.pdf", b""
    yield "pdf-header-only.pdf", b"%PDF-1.7\n"
    yield "pdf-header-eof.pdf", b"%PDF-1.4\n%%EOF\n"
    yield "pdf-no-header.pdf", good[9:]
    for i, cut in enumerate(sorted(rng.sample(range(10, len(good) - 1), 14))):
        yield f"pdf-truncated-{i:02d}-at-{cut}.pdf", good[:cut]
    for shift in (-40, -7, -1, 1, 3, 55, 10_000):
        yield (
            f"pdf-xref-shift{shift}.pdf",
            pdf_file(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                    b"/Resources << /Font << /F1 5 0 R >> >> >>",
                    _content(SENTENCE),
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                ],
                xref_shift=shift,
            ),
        )
    yield "pdf-startxref-garbage.pdf", good.replace(b"startxref\n", b"startxref\n99999999")
    yield "pdf-startxref-negative.pdf", good.replace(b"startxref\n", b"startxref\n-")
    yield "pdf-xref-missing.pdf", good.split(b"xref\n")[0] + b"%%EOF\n"
    yield "pdf-trailer-no-root.pdf", good.replace(b"/Root 1 0 R", b"")
    yield "pdf-root-not-catalog.pdf", good.replace(b"/Root 1 0 R", b"/Root 4 0 R")
    yield "pdf-root-missing-object.pdf", good.replace(b"/Root 1 0 R", b"/Root 99 0 R")
    yield (
        "pdf-pages-loop.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
                _content(SENTENCE),
            ]
        ),
    )
    yield (
        "pdf-page-self-kid.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            ]
        ),
    )
    yield "pdf-count-huge.pdf", good.replace(b"/Count 1", b"/Count 999999999999")
    yield "pdf-kids-not-array.pdf", good.replace(b"/Kids [3 0 R]", b"/Kids 3")
    yield "pdf-no-pages.pdf", pdf_file([b"<< /Type /Catalog >>"])
    yield "pdf-contents-missing.pdf", good.replace(b"/Contents 4 0 R", b"/Contents 77 0 R")
    yield "pdf-stream-length-wrong.pdf", good.replace(b"/Length ", b"/Length 9")
    yield "pdf-stream-length-negative.pdf", good.replace(b"/Length ", b"/Length -")
    yield "pdf-stream-length-indirect-loop.pdf", good.replace(b"/Length ", b"/Length 4 0 R %")
    yield (
        "pdf-flate-garbage.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
                b"<< /Length 64 /Filter /FlateDecode >>\nstream\n" + rng.randbytes(64) + b"\nendstream",
            ]
        ),
    )
    yield (
        "pdf-unknown-filter.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
                b"<< /Length 8 /Filter /JBIG2Decode >>\nstream\n12345678\nendstream",
            ]
        ),
    )
    yield (
        "pdf-filter-chain.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
                b"<< /Length 8 /Filter [/ASCIIHexDecode /LZWDecode /RunLengthDecode /DCTDecode] >>"
                b"\nstream\nzzzzzzzz\nendstream",
            ]
        ),
    )
    yield (
        "pdf-deep-array.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 5000 + b"]" * 5000 + b" >>",
                b"<< /Type /Pages /Kids [] /Count 0 >>",
            ]
        ),
    )
    yield (
        "pdf-deep-dict.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R /X " + b"<< /A " * 3000 + b">>" * 3000 + b" >>",
                b"<< /Type /Pages /Kids [] /Count 0 >>",
            ]
        ),
    )
    yield (
        "pdf-bad-font.pdf",
        good.replace(b"/BaseFont /Helvetica", b"/BaseFont 5 0 R /Widths 9 0 R /Encoding 3"),
    )
    yield (
        "pdf-text-operator-garbage.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
                b"<< /Length 40 >>\nstream\nBT /F9 Tf Td Tj TJ ' \" ET ET BT Tm cm q Q Q\nendstream",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            ]
        ),
    )
    yield (
        "pdf-no-text-layer.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
            ]
        ),
    )
    yield "pdf-nul-text.pdf", good_pdf("\x00" * 200)
    yield "pdf-control-text.pdf", good_pdf("".join(chr(c) for c in range(1, 32)) * 10 + SENTENCE)
    yield "pdf-compressed-ok.pdf", good_pdf(compress=True)
    yield "pdf-huge-object-number.pdf", good.replace(b"4 0 R", b"4294967296 0 R")
    yield "pdf-generation-huge.pdf", good.replace(b"4 0 R", b"4 99999 R")
    yield "pdf-two-headers.pdf", good + good
    yield "pdf-lf-only-garbage.pdf", b"%PDF-1.4\n" + b"\n" * 20_000
    yield "pdf-encrypted-rc4.pdf", _encrypted_pdf()
    yield (
        "pdf-encrypt-dict-bogus.pdf",
        good.replace(
            b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard /V 9 /R 9 /O (x) /U (y) /P -4 >>"
        ),
    )
    yield (
        "pdf-encrypt-unknown-filter.pdf",
        good.replace(
            b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /NoSuchHandler /V 1 >> /ID [<01><02>]"
        ),
    )
    yield (
        "pdf-objstm-bogus.pdf",
        pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /ObjStm /N 5 /First 999 /Length 10 >>\nstream\n0123456789\nendstream",
            ]
        ),
    )
    for i in range(24):
        size = rng.choice([16, 100, 1000, 5000, 40_000])
        yield (
            f"pdf-random-{i:02d}-{size}.pdf",
            b"%PDF-1." + str(rng.randint(0, 9)).encode() + b"\n" + rng.randbytes(size),
        )
    for i in range(16):
        data = bytearray(good)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(9, len(data))] = rng.randrange(256)
        yield f"pdf-bitflip-{i:02d}.pdf", bytes(data)
    for i in range(6):
        data = bytearray(good)
        a = rng.randrange(9, len(data) - 20)
        del data[a : a + rng.randint(1, 40)]
        yield f"pdf-deleted-span-{i:02d}.pdf", bytes(data)


# -- HTML -----------------------------------------------------------------------------------------------


def _htmls(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "html-empty.html", b""
    yield "html-whitespace.html", b"   \n\t \n"
    yield (
        "html-script-only.html",
        b"<html><head><script>var a = 1;</script></head><body><script>alert(1)</script></body></html>",
    )
    yield "html-style-only.html", b"<style>body{color:red}</style>"
    yield "html-nav-footer-only.html", b"<nav>Home | About</nav><footer>Copyright MOPAC</footer>"
    yield "html-comments-only.html", b"<!-- " + SENTENCE.encode() + b" -->"
    yield "html-tags-only.html", b"<div><span></span><p></p></div>" * 200
    yield "html-unclosed-script.html", b"<p>" + SENTENCE.encode() + b"</p><script>" + SENTENCE.encode() * 20
    for depth in (1_000, 20_000, 100_000):
        yield f"html-nested-div-{depth}.html", b"<div>" * depth + SENTENCE.encode() + b"</div>" * depth
    yield "html-nested-li-20000.html", b"<ul><li>" * 20_000 + SENTENCE.encode()
    yield "html-unclosed-tags.html", b"<p><b><i><u>" * 5000 + SENTENCE.encode()
    yield "html-latin1.html", ("<p>Caf\xe9 cr\xe8me " + SENTENCE + "</p>").encode("latin-1")
    yield "html-utf16.html", ("<p>" + SENTENCE + "</p>").encode("utf-16")
    yield "html-invalid-utf8.html", b"<p>" + SENTENCE.encode() + b"\xff\xfe\xc3\x28</p>"
    yield "html-nul.html", b"<p>" + SENTENCE.encode() + b"\x00</p>"
    yield "html-nul-late.html", b"<p>" + SENTENCE.encode() * 200 + b"\x00</p>"
    yield "html-entities-flood.html", b"<p>" + b"&amp;&lt;&#0;&#x110000;&#xD800;&bogus;" * 3000 + b"</p>"
    yield "html-entity-nul.html", b"<p>" + SENTENCE.encode() + b"&#0;&#x0;</p>"
    yield "html-entity-surrogate.html", b"<p>" + SENTENCE.encode() + b"&#xD83D;&#55357;</p>"
    yield "html-entity-control.html", b"<p>" + SENTENCE.encode() + b"&#1;&#7;&#27;&#127;&#x85;</p>"
    yield "html-huge-attribute.html", b'<p title="' + b"x" * 500_000 + b'">' + SENTENCE.encode() + b"</p>"
    yield "html-cdata.html", b"<![CDATA[" + SENTENCE.encode() + b"]]>"
    yield "html-doctype-garbage.html", b"<!DOCTYPE " + b"<" * 10000 + b">" + SENTENCE.encode()
    yield "html-lt-flood.html", b"<" * 100_000
    yield "html-one-line-1mb.html", b"<p>" + (b"word " * 200_000) + b"</p>"
    yield "html-no-spaces-1mb.html", b"<p>" + b"x" * 1_000_000 + b"</p>"
    yield "html-bom-only.html", b"\xef\xbb\xbf"
    yield "html-bom-whitespace.html", b"\xef\xbb\xbf  <p> </p>"
    yield (
        "html-markdown-link-title.html",
        b"<title>[Official login](https://evil.example/login)</title><p>" + SENTENCE.encode() + b"</p>",
    )
    yield "html-svg-script.html", b"<svg><script>alert(1)</script></svg><p>" + SENTENCE.encode() + b"</p>"
    yield "html-iframe-srcdoc.html", b'<iframe srcdoc="<script>alert(1)</script>"></iframe>'
    for i in range(12):
        yield f"html-random-bytes-{i:02d}.html", b"<html>" + rng.randbytes(rng.choice([50, 500, 5000]))
    for i in range(10):
        tags = [
            "p",
            "div",
            "li",
            "ul",
            "ol",
            "script",
            "style",
            "br",
            "h1",
            "table",
            "tr",
            "td",
            "nav",
            "svg",
            "form",
        ]
        parts = []
        for _ in range(rng.randint(20, 400)):
            t = rng.choice(tags)
            parts.append(
                rng.choice(
                    [
                        f"<{t}>",
                        f"</{t}>",
                        SENTENCE[: rng.randint(0, len(SENTENCE))],
                        "&#",
                        "<",
                        ">",
                        "<!--",
                        "-->",
                    ]
                )
            )
        yield f"html-tag-soup-{i:02d}.html", "".join(parts).encode()


# -- text -----------------------------------------------------------------------------------------------


def _texts(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    s = SENTENCE.encode()
    yield "txt-empty.txt", b""
    yield "txt-whitespace.txt", b" \n\t\r\n  \x0b\x0c"
    yield "txt-nul-start.txt", b"\x00" + s * 3
    yield "txt-nul-middle.txt", s * 3 + b"\x00" + s * 3
    yield "txt-nul-after-8k.txt", s * 200 + b"\x00" + s
    yield "txt-nul-end.txt", s * 3 + b"\x00"
    yield "txt-nul-only.txt", b"\x00" * 100
    yield "txt-control-chars.txt", bytes(range(1, 32)).replace(b"\n", b"") * 40 + s
    yield "txt-control-interleaved.txt", b"".join(bytes([c, 7]) for c in s * 3)
    yield "txt-escape-sequences.txt", b"\x1b[31m\x1b[2J\x1b]0;pwned\x07" + s * 2
    yield "txt-c1-controls.txt", ("\x85\x90\x9b\x9f" * 20 + SENTENCE).encode()
    yield "txt-del.txt", b"\x7f" * 100 + s
    yield "txt-only-punctuation.txt", b"!?.,;:-" * 500
    yield "txt-only-digits.txt", b"1234567890 " * 500
    yield "txt-1mb-one-line-words.txt", s.strip() * (1_000_000 // len(s))
    yield "txt-1mb-one-line-no-space.txt", b"a" * 1_000_000
    yield "txt-1mb-one-sentence.txt", b"The unit funded " + b"projects and " * 80_000 + b"more."
    yield "txt-100k-short-lines.txt", b"ab\n" * 100_000
    yield "txt-20k-headings.txt", b"".join(b"Heading %d\n\n" % i for i in range(20_000))
    yield (
        "txt-deep-bullets.txt",
        b"".join(b"  " * (i % 200) + b"\xe2\x80\xa2 " + s + b"\n" for i in range(2000)),
    )
    yield "txt-crlf.txt", s.replace(b". ", b".\r\n") * 20
    yield "txt-cr-only.txt", s.replace(b". ", b".\r") * 20
    yield "txt-binary-random.txt", rng.randbytes(20_000)
    yield "txt-binary-elf.txt", b"\x7fELF\x02\x01\x01" + rng.randbytes(4000)
    yield "txt-binary-zip.txt", b"PK\x03\x04" + rng.randbytes(4000)
    yield "txt-utf16-bom.txt", ("\ufeff" + SENTENCE * 5).encode("utf-16-le")
    yield "txt-utf16-no-bom.txt", (SENTENCE * 5).encode("utf-16-be")
    yield "txt-utf32.txt", (SENTENCE * 5).encode("utf-32")
    yield "txt-latin1.txt", ("Caf\xe9 " + SENTENCE).encode("latin-1")
    yield "txt-overlong-utf8.txt", b"\xc0\xaf\xe0\x80\xaf" + s
    yield "txt-surrogate-utf8.txt", b"\xed\xa0\x80\xed\xbf\xbf" + s
    yield "txt-bom-only.txt", b"\xef\xbb\xbf"
    yield "txt-many-boms.txt", b"\xef\xbb\xbf" * 5000 + s
    yield "txt-zero-width.txt", ("\u200b\u200c\u200d\u2060\ufeff" * 400 + SENTENCE).encode()
    yield "txt-bidi.txt", ("\u202e\u2066\u2067" * 100 + SENTENCE).encode()
    yield "txt-combining-flood.txt", ("a" + "\u0301" * 50_000 + " " + SENTENCE).encode()
    yield "txt-emoji.txt", ("\U0001f46e\u200d\u2640\ufe0f " * 2000 + SENTENCE).encode()
    yield "txt-private-use.txt", ("".join(chr(0xE000 + i) for i in range(3000)) + SENTENCE).encode()
    yield "txt-noncharacters.txt", ("\ufffe\uffff\U0010ffff" * 300 + SENTENCE).encode()
    yield "txt-line-separators.txt", ((SENTENCE + "\u2028\u2029\x85") * 50).encode()
    yield "txt-form-feeds.txt", (SENTENCE + "\f").encode() * 200
    yield "txt-markdown-bomb.md", b"#" * 10_000 + b" " + s + b"\n" + b"> " * 5000 + s
    yield "txt-md-nested-lists.md", b"".join(b"  " * i + b"- " + s + b"\n" for i in range(3000))
    yield "txt-md-table-huge.md", b"|" + b" a |" * 5000 + b"\n|" + b"---|" * 5000 + b"\n"
    yield "txt-md-link-flood.md", b"[Official login](https://evil.example/login) " * 5000
    yield "txt-long-word-lines.txt", (b"x" * 30_000 + b"\n") * 30
    yield "txt-numbers-flood.txt", b" ".join(b"%d" % rng.randrange(10**12) for _ in range(50_000))
    yield "txt-regex-bomb.txt", (b"(" * 5000 + b"a" * 5000 + b")" * 5000 + b"\n") + s
    yield "txt-repeat-period.txt", b"." * 500_000
    yield "txt-years-flood.txt", b" ".join(b"%d-%02d" % (y, (y + 1) % 100) for y in range(1000, 9999))
    for i in range(10):
        alphabet = [chr(rng.randrange(0x20, 0x3000)) for _ in range(60)] + ["\n", " ", ".", "\x00", "\x1b"]
        yield (
            f"txt-random-unicode-{i:02d}.txt",
            "".join(rng.choice(alphabet) for _ in range(rng.choice([10, 1000, 20_000]))).encode(
                "utf-8", "surrogatepass"
            ),
        )


def generate(out_dir: Path, seed: int = 11, count: int = 200) -> list[Path]:
    """Write the malformed files into out_dir (at least `count`, topped up with random mixtures)."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    sources: list[Callable[[random.Random], Iterator[tuple[str, bytes]]]] = [_pdfs, _htmls, _texts]
    paths: list[Path] = []
    for source in sources:
        for name, data in source(rng):
            p = out_dir / name
            p.write_bytes(data)
            paths.append(p)
    i = 0
    while len(paths) < count:
        ext = rng.choice([".txt", ".md", ".html", ".pdf"])
        head = b"%PDF-1.4\n" if ext == ".pdf" else b""
        body = b"".join(
            rng.choice(
                [
                    SENTENCE.encode(),
                    rng.randbytes(rng.randint(1, 64)),
                    b"\x00",
                    b"\n" * 3,
                    b"<p>",
                    b"</div>",
                    b"\r\n",
                    "\u200b".encode(),
                ]
            )
            for _ in range(rng.randint(1, 60))
        )
        p = out_dir / f"mix-{i:03d}{ext}"
        p.write_bytes(head + body)
        paths.append(p)
        i += 1
    return paths


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/reportqa-malformed")
    print(len(generate(target)), "files in", target)
