"""Helpful / not helpful feedback on answers, kept in a local SQLite file and exported as CSV.

The same file optionally keeps the public widget's questions, but only when
`config.api.store_public_questions` is on: the default keeps nothing from the public.

The file is in WAL mode with a busy timeout, and a write that still finds the database locked is tried
again, so several server processes may share it. Every field has a size cap; a problem with the file
(unreadable, not a database) is one `FeedbackStorageError`, and a full disk one `DiskFull`, never a
traceback. Their messages name the file: they are for the command line and the server's log, and the public
API answers them without it (503).
"""

from __future__ import annotations

import csv
import json
import logging
import random
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from reportqa.errors import DiskFull, InputError, disk_full, is_disk_full
from reportqa.types import Answer, Citation

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000
MAX_QUESTION_CHARS = 4000  # a question (2,000 characters) with room for a pasted Mayor's Question part
MAX_ANSWER_CHARS = 20_000  # five asks of four sentences each are far below this
MAX_CITATIONS = 40
MAX_CITATIONS_JSON_CHARS = 100_000
MAX_LABEL_CHARS = 40  # source and status
BUSY_TIMEOUT_MS = 10_000  # SQLite waits this long for another writer's lock before reporting "locked"
WRITE_ATTEMPTS = 5  # a write that still finds the database locked is tried again this many times in all
CSV_FIELDS = ("id", "created", "source", "helpful", "comment", "question", "answer", "status", "citations")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells starting so are read as formulas

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    source TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    citations TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS public_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL
);
"""
_HINT = "check that the feedback database (api.feedback_db) is a writable SQLite file on a disk with space"
_DISK_HINT = "free space on the disk holding the feedback database (api.feedback_db); nothing was stored"
T = TypeVar("T")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def citation_record(c: Citation | Mapping[str, object]) -> dict[str, object]:
    """What a feedback row keeps of a citation: enough to find the passage again.

    A mapping (the public API's citation: marker, title, year, section, quote) keeps those of its fields
    whose values are text or numbers.
    """
    if isinstance(c, Citation):
        return {
            "marker": c.marker, "report_id": c.report_id, "title": c.title, "year": c.year,
            "section": c.section, "priority": c.priority, "quote": c.quote, "start": c.start, "end": c.end,
            "passage_id": c.passage_id,
        }
    keep = ("marker", "report_id", "title", "year", "section", "quote", "passage_id", "start", "end")
    return {k: c[k] for k in keep if isinstance(c.get(k), str | int) and not isinstance(c.get(k), bool)}


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class FeedbackStorageError(InputError):
    """The feedback database cannot be opened, read or written (a bad --db for `feedback export`)."""


def _storage_error(verb: str, path: Path, exc: BaseException) -> InputError | DiskFull:
    if is_disk_full(exc):
        return disk_full(f"writing the feedback database {path}", _DISK_HINT)
    return FeedbackStorageError(f"could not {verb} the feedback database {path}: {_one_line(exc)}", _HINT)


def _cap(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InputError(f"the feedback's {name} is too long ({len(value):,} characters)",
                         f"keep it under {limit:,} characters")
    return value


class FeedbackStore:
    """One SQLite file; a short-lived connection per call, so it is safe from any thread and process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in WAL mode with a busy timeout, the schema in place; committed on success."""
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                if not self._ready:
                    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
                    if mode and str(mode[0]).lower() != "wal":
                        log.warning("the feedback database %s is in %s mode, not WAL", self.path, mode[0])
                    conn.executescript(_SCHEMA)
                    self._ready = True
                yield conn
                conn.commit()
            finally:
                conn.close()

    def _run(self, verb: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one transaction, tried again while another process holds the database's lock; any
        database or file error as one InputError."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._connect() as conn:
                    return work(conn)
            except sqlite3.OperationalError as exc:
                if _locked(exc) and attempt < WRITE_ATTEMPTS:
                    log.info("feedback database locked (attempt %d): trying again", attempt)
                    time.sleep(0.05 * attempt + random.random() * 0.05)  # jitter: the writers part
                    continue
                raise _storage_error(verb, self.path, exc) from None
            except (sqlite3.Error, OSError) as exc:
                raise _storage_error(verb, self.path, exc) from None
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def record(
        self,
        question: str,
        answer: Answer | str,
        helpful: bool,
        comment: str = "",
        citations: Sequence[Citation | Mapping[str, object]] = (),
        source: str = "workspace",
        status: str = "",
    ) -> int:
        """Store one judgement; returns the new row id.

        Raises InputError when a field is over its cap (question 4,000, answer 20,000, comment 2,000
        characters, 40 citations) or the database cannot be written.
        """
        comment = _cap("comment", (comment or "").strip(), MAX_COMMENT_CHARS)
        cites: tuple[Citation | Mapping[str, object], ...]
        if isinstance(answer, Answer):
            text, status, cites = answer.text, answer.status, tuple(answer.citations) or tuple(citations)
        else:
            text, cites = answer, tuple(citations)
        if not isinstance(question, str) or not isinstance(text, str):
            raise InputError("feedback needs the question and the answer as text", "pass strings")
        _cap("question", question, MAX_QUESTION_CHARS)
        _cap("answer", text, MAX_ANSWER_CHARS)
        _cap("status", status, MAX_LABEL_CHARS)
        _cap("source", source, MAX_LABEL_CHARS)
        if len(cites) > MAX_CITATIONS:
            raise InputError(f"the feedback has too many citations ({len(cites)})",
                             f"send at most {MAX_CITATIONS}")
        cited = _cap("citations", json.dumps([citation_record(c) for c in cites], ensure_ascii=False),
                     MAX_CITATIONS_JSON_CHARS)
        row = (_now(), source, 1 if helpful else 0, comment, question, text, status, cited)

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO feedback (created, source, helpful, comment, question, answer, status,"
                " citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid or 0)

        rowid = self._run("write", insert)
        log.info("feedback %d stored (%s)", rowid, "helpful" if helpful else "not helpful")
        return rowid

    def record_public_question(self, question: str, status: str) -> None:
        _cap("question", question, MAX_QUESTION_CHARS)
        _cap("status", status, MAX_LABEL_CHARS)
        self._run("write", lambda conn: conn.execute(
            "INSERT INTO public_questions (created, question, status) VALUES (?, ?, ?)",
            (_now(), question, status)))

    def rows(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []

        def read(conn: sqlite3.Connection) -> list[dict[str, object]]:
            conn.row_factory = sqlite3.Row
            query = f"SELECT {', '.join(CSV_FIELDS)} FROM feedback ORDER BY id"
            return [dict(r) for r in conn.execute(query)]

        return self._run("read", read)

    def public_questions(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []

        def read(conn: sqlite3.Connection) -> list[dict[str, object]]:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM public_questions ORDER BY id")]

        return self._run("read", read)

    def export_csv(self, out: Path) -> int:
        """Write every feedback row to `out` as CSV (UTF-8, header first); returns the row count.

        Cells a spreadsheet would run as a formula are prefixed with ' (see `csv_safe`). Raises InputError
        when the database cannot be read or `out` cannot be written.
        """
        rows = self.rows()
        out = Path(out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(CSV_FIELDS))
                writer.writeheader()
                for r in rows:
                    r["helpful"] = "helpful" if r["helpful"] else "not helpful"
                    writer.writerow({k: csv_safe(r[k]) for k in CSV_FIELDS})
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full(f"writing the feedback CSV {out}",
                                "free space on that disk, or write to standard output: --out -") from None
            raise InputError(f"could not write the feedback CSV {out}: {_one_line(exc)}",
                             "choose a folder you can write to, or --out - for standard output") from None
        return len(rows)


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me")


def csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (CSV injection, the OWASP rule).

    A text whose first character, or whose first visible character once leading whitespace and invisible
    characters (zero-width spaces, direction marks, control characters) are skipped, is one of
    = + - @ tab or carriage return (or a full-width form of these) gets a leading '. Other values pass.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_STARTS:
        return "'" + value
    visible = next((ch for ch in value if not _invisible(ch)), "")
    if visible and unicodedata.normalize("NFKC", visible)[:1] in FORMULA_STARTS:
        return "'" + value
    return value
