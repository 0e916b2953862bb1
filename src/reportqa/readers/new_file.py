"""A new report file as the text the corpus stores: `read_new_pages` checks the file, reads it with the
reader of its type (`readers.pdf` for a PDF, `readers.html` for a web page; a text or markdown file as it
is), makes its text uniform (`clean_text`), and refuses a file that holds no passages; `page_starts` finds
where each page of a PDF starts in that text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from reportqa.errors import InputError
from reportqa.readers.html import html_to_text

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf")


def read_new_file(path: Path, max_bytes: int = 50_000_000) -> tuple[str, str]:
    """(text, shape) of a new report file, or a one-line InputError saying what to do (`read_new_pages`)."""
    text, shape, _ = read_new_pages(path, max_bytes)
    return text, shape


def read_new_pages(path: Path, max_bytes: int = 50_000_000) -> tuple[str, str, list[str]]:
    """(text, shape, pages) of a new report file, or a one-line InputError saying what to do; `pages`: a
    PDF's pages as pypdf reads them, in order, empty pages included (other files: none), for `page_starts`;
    a PDF's text is what a reader sees (`readers.pdf.visible_text`: no invisible, background-coloured, tiny,
    covered or off-page text).

    The text is `clean_text`'s (line endings, control characters, NFC) and holds words that the parser
    makes passages of; files over `max_bytes` (Config.ingest_max_bytes) and text files with a NUL byte
    anywhere are refused."""
    if not path.exists():
        raise InputError(f"{path}: no such file", "check the path")
    if not path.is_file():
        raise InputError(f"{path}: not a file", "give the path of a .txt, .md, .html or .pdf report")
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise InputError(
            f"{path}: unsupported file type {ext or '(none)'!r}", "use a .txt, .md, .html or .pdf file"
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{path}: {size:,} bytes, over the {max_bytes:,}-byte limit for a report",
            "split the report, or raise REPORTQA_INGEST_MAX_BYTES",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})", "check its permissions") from exc
    if not raw.strip():
        raise InputError(f"{path}: the file is empty", "check that the export worked")
    pages: list[str] = []
    if ext == ".pdf":
        pages = _pdf_pages(path, raw)
        text, shape = clean_text(_pdf_join(path, pages)), "pdf"
    else:
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise InputError(
                f"{path}: looks binary, not text (a NUL byte at offset {nul})",
                "export the report as UTF-8 text, HTML or PDF",
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: not UTF-8 text (bad byte at offset {exc.start})",
                f"convert it first, e.g. iconv -f cp1252 -t utf-8 {path} > fixed{ext}",
            ) from exc
        text = clean_text(text)
        shape = "markdown" if ext == ".md" else "auto"
        if ext in (".html", ".htm"):
            try:  # only what a reader sees; markup that swallows the rest of the page is refused
                text, shape = clean_text(html_to_text(text)), "web"
            except InputError as exc:
                raise InputError(f"{path}: {exc.message}", exc.hint) from None
    if not re.search(r"\w", text):
        raise InputError(
            f"{path}: holds no text" + (" once its markup and scripts are removed" if shape == "web" else ""),
            "check that the export worked",
        )
    _check_passages(path, text, shape)
    return text, shape, pages


def page_starts(text: str, pages: Sequence[str]) -> tuple[int, ...]:
    """Where each page of a PDF starts in its stored text (after `clean_text` and `layout.unwind_text`):
    offset i is page i + 1's first character. Each page's first line is found in order; an empty page, or
    one whose first line cannot be found, starts where the next one does (it holds no text to cite)."""
    found: list[int | None] = []
    at = 0
    for page in pages:
        first = next((x.strip(" \t\xa0") for x in clean_text(page).split("\n") if x.strip()), "")
        pos = text.find(first[:60], at) if first else -1
        if pos < 0:
            found.append(None)
            continue
        line = text.rfind("\n", 0, pos) + 1
        found.append(line if not text[line:pos].strip() else pos)  # from the line's start (its space)
        at = pos + 1
    out: list[int] = []
    nxt = len(text)
    for k in reversed(found):
        if k is not None:
            nxt = k
        out.append(nxt)
    out.reverse()
    if out:
        out[0] = 0  # the first page starts the text (a cover's furniture dropped before it included)
    return tuple(out)


def clean_text(text: str) -> str:
    """Report text as the corpus stores it: line endings made \\n (also form feeds, vertical tabs and Unicode
    line separators), other control characters removed (tab kept), bidirectional-override and byte-order
    marks removed, and Unicode NFC."""
    text = text.replace("\r\n", "\n")
    text = text.translate(_CONTROL)
    return unicodedata.normalize("NFC", text)


# \r, \v, \f, NEL and the Unicode line and paragraph separators end lines; other C0/C1 controls (but
# \t and \n), the bidirectional embeddings/overrides/isolates and a byte-order mark are removed
_REMOVED = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x200E, 0x200F,
            *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
_CONTROL: dict[int, str | None] = dict.fromkeys(_REMOVED)
_CONTROL.update({0x0D: "\n", 0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"})


def _check_passages(path: Path, text: str, shape: str) -> None:
    """Refuse a text the parser finds no paragraph, bullet or heading text in (it would be a report of 0
    passages, and every later empty file would be "already in the corpus")."""
    from reportqa.parse import parse_report

    sections = parse_report(text, "new", "", None if shape == "auto" else shape)
    if not any(b.text.strip() for s in sections for b in s.blocks):
        raise InputError(
            f"{path}: holds no report text (only navigation, links or page furniture)",
            "check that the export worked, or ingest the report's text or PDF",
        )


def _pdf_pages(path: Path, raw: bytes) -> list[str]:
    if not raw.startswith(b"%PDF"):
        raise InputError(
            f"{path}: not a PDF file (no %PDF header)", "check the file, or give it its real extension"
        )
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("it is encrypted with a password")
        from reportqa.readers.pdf import off_layers, visible_text

        layers = off_layers(reader)  # only what a reader sees: no invisible, white, tiny or off-page text
        pages = [visible_text(page, layers)[0] for page in reader.pages]
    except FileNotDecryptedError as exc:
        raise InputError(f"{path}: the PDF is encrypted", "remove the password first, e.g. "
                         f"qpdf --decrypt --password=... {path.name} open.pdf") from exc
    except (PyPdfError, DependencyError, NotImplementedError) as exc:
        raise InputError(_pdf_error(path, exc), "re-export the PDF, or run it through qpdf") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: the PDF's objects nest too deeply to read", "re-export the PDF") from exc
    except Exception as exc:  # pypdf raises Python's own errors (TypeError, IndexError...) on malformed input
        raise InputError(_pdf_error(path, exc), "re-export the PDF, or run it through qpdf") from exc
    return pages


def _pdf_join(path: Path, pages: Sequence[str]) -> str:
    # a page starts with a space, as in the PDF extractions the parser knows
    text = "\n".join(" " + p.strip("\n") for p in pages if p.strip())
    if len(re.sub(r"\s", "", text)) < 20:
        raise InputError(
            f"{path}: the PDF has no text layer (a scan?)",
            "run OCR on it first (for example ocrmypdf) and ingest the result",
        )
    return text


def _pdf_error(path: Path, exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:160] or type(exc).__name__
    return f"{path}: the PDF cannot be read ({type(exc).__name__}: {detail})"
