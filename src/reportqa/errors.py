"""The only exceptions users see: a one-line message, a hint and an exit code."""

from __future__ import annotations


class ReportQAError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class InputError(ReportQAError):
    """Bad input from the user: a file, a question, a flag."""

    exit_code = 2


class IndexMissing(ReportQAError):
    exit_code = 4


class BackendError(ReportQAError):
    """An LLM endpoint failed (time-out, refused connection, bad reply)."""

    exit_code = 5


class StoreUnavailable(ReportQAError):
    """The vector store (a Chroma server, REPORTQA_CHROMA_URL) does not answer in time or refuses the
    connection. The index on disk is intact; it serves again when the server is back."""

    exit_code = 6


class DiskFull(ReportQAError):
    """A write found the disk full (ENOSPC, a quota, SQLite's "database or disk is full"). Nothing published
    is lost: an ingest leaves the previous build serving."""

    exit_code = 7


_DISK_FULL_ERRNOS = {28, 122}  # ENOSPC, EDQUOT (Linux)
_DISK_FULL_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) reports a full disk: an OSError with ENOSPC or
    EDQUOT, or a database error in those words (SQLite's, Chroma's)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _DISK_FULL_ERRNOS:
            return True
        if any(w in str(e).lower() for w in _DISK_FULL_WORDS):
            return True
        e = e.__cause__ or e.__context__
    return False


def disk_full(what: str, hint: str) -> DiskFull:
    """The one-line error for a full disk while doing `what` ("writing the index at index/")."""
    return DiskFull(f"the disk is full: {what} stopped", hint)
