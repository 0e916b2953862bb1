"""The corpus manifest: reports, checksums, metadata; and turning a new file into corpus text."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from reportqa.errors import InputError
from reportqa.types import Report

MANIFEST = "manifest.json"
SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Corpus:
    root: Path
    reports: tuple[Report, ...]

    def path(self, report: Report) -> Path:
        return self.root / report.file

    def get(self, report_id: str) -> Report:
        for r in self.reports:
            if r.id == report_id:
                return r
        known = ", ".join(r.id for r in self.reports)
        raise InputError(f"no report with id {report_id!r}", f"known reports: {known}")

    def read(self, report: Report) -> str:
        return self.path(report).read_text(encoding="utf-8")

    def verify(self) -> None:
        """Every file exists and still has the checksum it was registered with."""
        for r in self.reports:
            p = self.path(r)
            if not p.is_file():
                raise InputError(
                    f"{p}: listed in the manifest as {r.id!r} but missing",
                    "restore the file, or remove its entry from corpus/manifest.json",
                )
            digest = sha256_file(p)
            if digest != r.sha256:
                raise InputError(
                    f"{p}: checksum no longer matches the manifest (sha256 {digest[:12]}..., "
                    f"expected {r.sha256[:12]}...)",
                    f"texts are never hand-edited; restore it, or accept the change with "
                    f"`reportqa corpus rehash {r.id}`",
                )


def load_corpus(root: Path) -> Corpus:
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise InputError(
            f"{mpath}: no corpus manifest", "run from the project root, or set REPORTQA_CORPUS_DIR"
        )
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
        reports = tuple(Report(**r) for r in data["reports"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{mpath}: malformed manifest ({exc})".splitlines()[0], "fix the JSON by hand"
        ) from exc
    ids = [r.id for r in reports]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise InputError(f"{mpath}: duplicate report ids {sorted(dupes)}", "give each report a unique id")
    return Corpus(root, reports)


def save_manifest(corpus: Corpus) -> None:
    mpath = corpus.root / MANIFEST
    data = {"version": 1, "reports": [r.model_dump() for r in corpus.reports]}
    tmp = mpath.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, mpath)


# -- reading new reports ---------------------------------------------------------------------


def read_new_file(path: Path) -> tuple[str, str]:
    """(text, shape) of a new report file, or a one-line InputError saying what to do."""
    if not path.exists():
        raise InputError(f"{path}: no such file", "check the path")
    if not path.is_file():
        raise InputError(f"{path}: not a file", "give the path of a .txt, .md, .html or .pdf report")
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise InputError(
            f"{path}: unsupported file type {ext or '(none)'!r}", "use a .txt, .md, .html or .pdf file"
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"{path}: the file is empty", "check that the export worked")
    if ext == ".pdf":
        return _pdf_text(path, raw), "pdf"
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: looks binary, not text", "export the report as text, HTML or PDF")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start})",
            f"convert it first, e.g. iconv -f cp1252 -t utf-8 {path} > fixed{ext}",
        ) from exc
    text = text.lstrip("\ufeff")
    if ext in (".html", ".htm"):
        return html_to_text(text), "web"
    if not text.strip():
        raise InputError(f"{path}: the file holds only whitespace", "check that the export worked")
    return text, ("markdown" if ext == ".md" else "auto")


def _pdf_text(path: Path, raw: bytes) -> str:
    if not raw.startswith(b"%PDF"):
        raise InputError(
            f"{path}: not a PDF file (no %PDF header)", "check the file, or give it its real extension"
        )
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(raw))
        pages = [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(
            f"{path}: the PDF cannot be read ({exc})".splitlines()[0], "re-export the PDF"
        ) from exc
    # a page starts with a space, as in the PDF extractions the parser knows
    text = "\n".join(" " + p.strip("\n") for p in pages if p.strip())
    if len(re.sub(r"\s", "", text)) < 20:
        raise InputError(
            f"{path}: the PDF has no text layer (a scan?)",
            "run OCR on it first (for example ocrmypdf) and ingest the result",
        )
    return text


class _HTMLText(HTMLParser):
    BLOCK = {
        "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "ul", "ol",
    }
    SKIP = {"script", "style", "nav", "header", "footer", "noscript", "svg", "form", "button"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in ("ul", "ol"):
            self.depth += 1
        if tag in self.BLOCK:
            self.out.append("\n\n")
        if tag == "li" and not self.skip:
            self.out.append("  " * self.depth + "• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag in ("ul", "ol") and self.depth:
            self.depth -= 1
        if tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    p = _HTMLText()
    p.feed(html)
    text = "".join(p.out)
    lines = [ln.rstrip() for ln in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text

