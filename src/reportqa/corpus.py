"""The corpus manifest: reports, checksums, metadata; and turning a new file into corpus text."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from reportqa.errors import InputError
from reportqa.html_reader import MAX_LIST_INDENT as MAX_LIST_INDENT  # re-exported
from reportqa.html_reader import html_to_text
from reportqa.types import Report

MANIFEST = "manifest.json"
SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf")
# The file naming the report text an ingest is writing, until the manifest lists it: what a killed ingest
# leaves behind is known, and removed by the next (`remove_leftovers`).
PENDING = ".ingest-pending.json"
ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
MAX_ID_CHARS = 80
MAX_TITLE_CHARS = 300


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    """The hex sha256 of a regular file. InputError for anything else (a directory, a FIFO: never read)."""
    _regular(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _regular(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: {'missing' if not path.exists() else 'not a regular file'}",
                         "restore the report's text file (see corpus/manifest.json)")


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
        _regular(self.path(report))
        return self.path(report).read_text(encoding="utf-8")

    def verify(self, known: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        """Every file exists and still has the checksum it was registered with.

        `known`: by report id, {"file", "sha256", "size", "mtime_ns"} as an index build recorded them. A file
        whose name, size and modification time (ns) match a record of the same checksum is not hashed again
        (git's stat cache), so checking 1,000 unchanged reports costs stats, not reads. Returns the records
        of the known files that were hashed and still match (touched, not changed), as they are now, for
        the caller to record. Raises InputError."""
        root = str(self.root)
        try:  # names looked up from the directory once opened: 1,000 stats in 1.5 ms, not 3
            dir_fd: int | None = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            dir_fd = None
        try:
            return self._verify(known or {}, root, dir_fd)
        finally:
            if dir_fd is not None:
                os.close(dir_fd)

    def _verify(self, known: Mapping[str, Mapping[str, Any]], root: str, dir_fd: int | None
                ) -> dict[str, dict[str, Any]]:
        touched: dict[str, dict[str, Any]] = {}
        for r in self.reports:
            try:  # not pathlib: 1,000 reports, checked each ingest
                st = (os.stat(r.file, dir_fd=dir_fd) if dir_fd is not None else
                      os.stat(os.path.join(root, r.file)))
            except OSError:
                st = None
            if st is None or not stat.S_ISREG(st.st_mode):
                p = self.path(r)
                raise InputError(
                    f"{p}: listed in the manifest as {r.id!r} but "
                    f"{'missing' if st is None else 'not a regular file'}",
                    "restore the file, or remove its entry from corpus/manifest.json",
                )
            rec = known.get(r.id)
            if (rec is not None and rec.get("mtime_ns") == st.st_mtime_ns and rec.get("size") == st.st_size
                    and rec.get("sha256") == r.sha256 and rec.get("file") == r.file):
                continue
            p = self.path(r)
            digest = sha256_file(p)
            if digest != r.sha256:
                raise InputError(
                    f"{p}: checksum no longer matches the manifest (sha256 {digest[:12]}..., "
                    f"expected {r.sha256[:12]}...)",
                    f"texts are never hand-edited; restore it, or accept the change with "
                    f"`reportqa corpus rehash {r.id}`",
                )
            if r.id in known:
                touched[r.id] = {"file": r.file, "sha256": r.sha256, "size": st.st_size,
                                 "mtime_ns": st.st_mtime_ns}
        return touched


def load_corpus(root: Path) -> Corpus:
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise InputError(
            f"{mpath}: no corpus manifest", "run from the project root, or set REPORTQA_CORPUS_DIR"
        )
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
        records = data["reports"]
        if not isinstance(records, list):
            raise TypeError("'reports' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{mpath}: malformed manifest ({exc})".splitlines()[0], "fix the JSON by hand"
        ) from exc
    reports = tuple(_report_record(mpath, i, r) for i, r in enumerate(records))
    counts = Counter(r.id for r in reports)
    dupes = {i for i, n in counts.items() if n > 1}
    if dupes:
        raise InputError(f"{mpath}: duplicate report ids {sorted(dupes)}", "give each report a unique id")
    files = Counter(os.path.normpath(r.file) for r in reports)
    shared = sorted(f for f, n in files.items() if n > 1)
    if shared:  # one text indexed twice would answer every question about it twice, under two titles
        ids = [r.id for r in reports if os.path.normpath(r.file) == shared[0]]
        raise InputError(f"{mpath}: {shared[0]} is listed under {len(ids)} ids ({', '.join(ids)})",
                         "keep one entry per file")
    return Corpus(root, reports)


def _report_record(mpath: Path, i: int, record: Any) -> Report:
    """One manifest entry as a Report, or an InputError naming the entry (number and id) and the field."""
    from pydantic import ValidationError

    rid = record.get("id") if isinstance(record, dict) else None
    where = f"report {i + 1}" + (f" ({rid!r})" if isinstance(rid, str) else "")
    if not isinstance(record, dict):
        raise InputError(f"{mpath}: {where} is not a JSON object", "fix the JSON by hand")
    try:
        return Report(**record)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first.get("loc", ())) or "entry"
        raise InputError(f"{mpath}: {where}: {field}: {first.get('msg', 'invalid')}".splitlines()[0],
                         "fix that entry by hand, or restore the manifest (git checkout corpus/manifest.json)"
                         ) from exc
    except TypeError as exc:
        raise InputError(f"{mpath}: {where}: {exc}".splitlines()[0], "fix the JSON by hand") from exc


_LINE = json.JSONEncoder(ensure_ascii=False)


@lru_cache(maxsize=1 << 16)  # adding a report to 1,000 rewrites 1,000 lines, all but one as before
def _manifest_line(record: bytes) -> str:
    """A record's line in corpus/manifest.json, from its compact JSON (orjson's, keys in the record's order:
    a cheap cache key); the line keeps the tracked file's format (json's separators, no ASCII escapes)."""
    return _LINE.encode(json.loads(record))


def save_manifest(corpus: Corpus | Path, records: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Write corpus/manifest.json atomically: a Corpus's reports, or (root, records) already dumped."""
    if isinstance(corpus, Corpus):
        root, records = corpus.root, [r.model_dump() for r in corpus.reports]
    else:
        root, records = corpus, records or []
    mpath = root / MANIFEST
    rows = [_manifest_line(orjson.dumps(r)) for r in records]
    # one report a line, as the tracked corpus/manifest.json is written: readable, diffs by report (indent=
    # runs json's pure-Python encoder; one encoder for all lines, not json.dumps' new one per line)
    text = '{"version": 1, "reports": [\n  ' + ",\n  ".join(rows) + "\n]}\n" if rows else (
        '{"version": 1, "reports": []}\n')
    tmp = mpath.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, mpath)


# -- reading new reports ---------------------------------------------------------------------


def read_new_file(path: Path, max_bytes: int = 50_000_000) -> tuple[str, str]:
    """(text, shape) of a new report file, or a one-line InputError saying what to do (`read_new_pages`)."""
    text, shape, _ = read_new_pages(path, max_bytes)
    return text, shape


def read_new_pages(path: Path, max_bytes: int = 50_000_000) -> tuple[str, str, list[str]]:
    """(text, shape, pages) of a new report file, or a one-line InputError saying what to do; `pages`: a
    PDF's pages as pypdf reads them, in order, empty pages included (other files: none), for `page_starts`;
    a PDF's text is what a reader sees (`pdf_reader.visible_text`: no invisible, background-coloured, tiny,
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


def normalised_digest(text: str) -> str:
    """The sha256 of a text with its line endings, whitespace runs and Unicode form made uniform: a copy
    with CRLF line endings, other spacing or decomposed accents has the same digest."""
    norm = " ".join(unicodedata.normalize("NFC", text.replace("\r\n", "\n")).split())
    return sha256_text(norm)


def find_duplicate(corpus: Corpus, text: str) -> Report | None:
    """The report of the corpus whose text is `text` up to `normalised_digest`, if any."""
    digest = normalised_digest(text)
    for r in corpus.reports:
        p = corpus.path(r)
        if r.sha256 == sha256_text(text) or (p.is_file() and normalised_digest(corpus.read(r)) == digest):
            return r
    return None


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


# -- checking a new report's fields ------------------------------------------------------------------


def check_report_id(rid: str) -> str:
    """A report id as given (`--id`): lower-case letters, digits, '.', '_' and '-', starting with a letter
    or a digit, no '..', at most MAX_ID_CHARS. It names the corpus file, so nothing else is accepted."""
    if not ID_RE.fullmatch(rid) or ".." in rid or len(rid) > MAX_ID_CHARS:
        example = re.sub(r"[^a-z0-9]+", "-", rid.lower()).strip("-")[:MAX_ID_CHARS] or "mopac-2024-25"
        raise InputError(
            f"--id {rid!r} is not a report id",
            f"use lower-case letters, digits, '.', '_' and '-' (no '/' or '..'), e.g. {example}",
        )
    return rid


def check_title(title: str) -> str:
    """A title (`--title`): one line of text, at most MAX_TITLE_CHARS; surrounding space removed."""
    t = title.strip()
    if not t or len(t) > MAX_TITLE_CHARS or any(unicodedata.category(c) in ("Cc", "Cf") for c in t):
        raise InputError(
            f"--title {title[:60]!r} is not a title",
            f"give one line of at most {MAX_TITLE_CHARS} characters, without control characters",
        )
    return unicodedata.normalize("NFC", t)


def check_published(text: str) -> str:
    """A publication date (`--published`) in ISO form, 'YYYY-MM-DD', between 2000 and today's year + 1."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--published {text!r} is not a date", "write it as YYYY-MM-DD, e.g. 2024-07-15"
        ) from None
    if not 2000 <= day.year <= date.today().year + 1:
        raise InputError(f"--published {text!r} is not a plausible publication date",
                         "write the date the report was published, as YYYY-MM-DD")
    return day.isoformat()


def check_source_url(url: str) -> str:
    """A source URL (`--url`): http or https with a host (it is shown as a link)."""
    from urllib.parse import urlparse

    u = urlparse(url.strip())
    if u.scheme not in ("http", "https") or not u.netloc or any(c.isspace() for c in url.strip()):
        raise InputError(f"--url {url[:80]!r} is not a web address", "give an http:// or https:// address")
    return url.strip()


def check_file_name(corpus_root: Path, name: str) -> Path:
    """The path of a corpus file named `name`, which must be a plain file name inside the corpus directory."""
    target = corpus_root / name
    if Path(name).name != name or name in ("", ".", "..") or target.resolve().parent != corpus_root.resolve():
        raise InputError(f"{name!r} is not a file name inside {corpus_root}", "use a plain report id")
    return target


# -- leftovers of an interrupted ingest --------------------------------------------------------------


def mark_pending(root: Path, name: str) -> None:
    """Record that the report file `name` is being written: until the manifest lists it, it is a leftover."""
    tmp = root / (PENDING + ".tmp")
    tmp.write_text(json.dumps({"file": name}), encoding="utf-8")
    os.replace(tmp, root / PENDING)


def clear_pending(root: Path) -> None:
    (root / PENDING).unlink(missing_ok=True)


def remove_leftovers(corpus: Corpus) -> list[Path]:
    """Remove what an interrupted ingest left in the corpus directory: `*.partial` files, and the report
    file it was writing (named in PENDING) when the manifest does not list it. Returns what was removed."""
    listed = {r.file for r in corpus.reports}
    removed: list[Path] = []
    pending = corpus.root / PENDING
    if pending.is_file():
        try:
            name = str(json.loads(pending.read_text(encoding="utf-8")).get("file", ""))
        except (ValueError, AttributeError, OSError):
            name = ""
        p = corpus.root / name
        if name and Path(name).name == name and name not in listed and p.is_file():
            p.unlink()
            removed.append(p)
        pending.unlink(missing_ok=True)
    for p in sorted(corpus.root.glob("*.partial")):
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed


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
        from reportqa.pdf_reader import off_layers, visible_text

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
