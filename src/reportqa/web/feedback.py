"""Helpful / not helpful feedback on answers, kept in a local SQLite file and exported as CSV.

The same file optionally keeps the public widget's questions, but only when
`config.api.store_public_questions` is on: the default keeps nothing from the public.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reportqa.errors import InputError
from reportqa.types import Answer, Citation

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000
CSV_FIELDS = ("id", "created", "source", "helpful", "comment", "question", "answer", "status", "citations")

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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def citation_record(c: Citation) -> dict[str, object]:
    """What a feedback row keeps of a citation: enough to find the passage again."""
    return {
        "marker": c.marker, "report_id": c.report_id, "title": c.title, "year": c.year, "section": c.section,
        "priority": c.priority, "quote": c.quote, "start": c.start, "end": c.end, "passage_id": c.passage_id,
    }


class FeedbackStore:
    """One SQLite file; a short-lived connection per call, so it is safe from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
            try:
                if not self._ready:
                    conn.executescript(_SCHEMA)
                    self._ready = True
                yield conn
                conn.commit()
            finally:
                conn.close()

    def record(
        self,
        question: str,
        answer: Answer | str,
        helpful: bool,
        comment: str = "",
        citations: Sequence[Citation] = (),
        source: str = "workspace",
    ) -> int:
        """Store one judgement; returns the new row id."""
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise InputError(f"the comment is too long ({len(comment)} characters)",
                             f"keep it under {MAX_COMMENT_CHARS} characters")
        status: str  # "" when only the answer's text is given
        if isinstance(answer, Answer):
            text, status, cites = answer.text, answer.status, tuple(answer.citations) or tuple(citations)
        else:
            text, status, cites = answer, "", tuple(citations)
        row = (_now(), source, 1 if helpful else 0, comment, question, text, status,
               json.dumps([citation_record(c) for c in cites], ensure_ascii=False))
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (created, source, helpful, comment, question, answer, status,"
                " citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            rowid = int(cur.lastrowid or 0)
        log.info("feedback %d stored (%s)", rowid, "helpful" if helpful else "not helpful")
        return rowid

    def record_public_question(self, question: str, status: str) -> None:
        with self._connect() as conn:
            conn.execute("INSERT INTO public_questions (created, question, status) VALUES (?, ?, ?)",
                         (_now(), question, status))

    def rows(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            query = f"SELECT {', '.join(CSV_FIELDS)} FROM feedback ORDER BY id"
            return [dict(r) for r in conn.execute(query)]

    def public_questions(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM public_questions ORDER BY id")]

    def export_csv(self, out: Path) -> int:
        """Write every feedback row to `out` as CSV (UTF-8, header first); returns the row count."""
        rows = self.rows()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(CSV_FIELDS))
            writer.writeheader()
            for r in rows:
                r["helpful"] = "helpful" if r["helpful"] else "not helpful"
                writer.writerow({k: _csv_safe(r[k]) for k in CSV_FIELDS})
        return len(rows)


def _csv_safe(value: object) -> object:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
