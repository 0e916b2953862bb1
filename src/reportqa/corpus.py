"""The corpus manifest: reports, checksums, metadata; a new report's duplicate and fields checked; the
leftovers of an interrupted ingest. Turning a new file into corpus text is `readers.new_file`'s."""

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
from typing import Any, NotRequired, TypedDict

import orjson

from reportqa.errors import InputError
from reportqa.readers.new_file import page_starts as page_starts  # re-exported: cli imports it from here
from reportqa.readers.new_file import read_new_pages as read_new_pages  # re-exported, as page_starts
from reportqa.types import Report


class FileRecord(TypedDict):
    """A corpus file as an index build records it (builds/<name>/manifest.json "files", by report id): its
    name under corpus/, its sha256 and, once stat'ed, its size (bytes) and modification time (ns)."""

    file: str
    sha256: str
    size: NotRequired[int]
    mtime_ns: NotRequired[int]

MANIFEST = "manifest.json"
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

    def verify(self, known: Mapping[str, FileRecord] | None = None) -> dict[str, FileRecord]:
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

    def _verify(self, known: Mapping[str, FileRecord], root: str, dir_fd: int | None
                ) -> dict[str, FileRecord]:
        touched: dict[str, FileRecord] = {}
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
