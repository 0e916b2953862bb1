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
