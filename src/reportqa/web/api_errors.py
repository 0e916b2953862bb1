"""The public API's errors: `ApiError` (an expected refusal with its status code), the JSON {error, hint}
response every error becomes (with the security headers every API response carries), and the app's exception
handlers, which never show a traceback, a file path or a setting's name.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportqa.errors import BackendError, DiskFull, IndexMissing, InputError, ReportQAError, StoreUnavailable

# the server's log, under the name it has always had (web.api)
log = logging.getLogger("reportqa.web.api")

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
UNAVAILABLE = "the assistant is not available at the moment"
RETRY_SECONDS = 30
# what a public error must never show: a file's path or a setting's name (the server's configuration is
# not the visitor's to read)
_PRIVATE = re.compile(r"REPORTQA_\w+|\b(?:api|config|retrieval|llm)\.[a-z_]+\b"
                      r"|(?:^|[\s(\"'=])(?:/|~/|\.\./)[\w.-]+/|\b[A-Za-z]:\\|\.sqlite3?\b|\.toml\b")


class ApiError(Exception):
    """An expected refusal with its status code, rendered as {error, hint}."""

    def __init__(self, status: int, error: str, hint: str = "", headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.hint = status, error, hint
        self.headers = headers or {}
        self.extra = extra or {}


def error_response(status: int, error: str, hint: str = "", headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    """{error, hint} (and any `extra` fields) with `status`, the security headers and any `headers`."""
    return JSONResponse({"error": error, "hint": hint, **extra}, status_code=status,
                        headers={**SECURITY_HEADERS, **(headers or {})})


def names_private(exc: ReportQAError) -> bool:
    """Does the error's message or hint name a file path or a setting? (Then the public API does not show
    it: an InputError of the command line, such as the feedback database's, reached the API.)"""
    return bool(_PRIVATE.search(exc.message) or _PRIVATE.search(exc.hint or ""))


def first_problem(errors: Any) -> str:
    """One line about the first problem, naming the field but never echoing the input."""
    for e in errors:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        return f"{loc or 'body'}: {e.get('msg', 'invalid')}"
    return "check the request's fields"


def add_error_handlers(app: FastAPI) -> None:
    """Errors always as JSON {error, hint}, never a traceback: an ApiError as it says, a ReportQAError by its
    kind (an InputError that names nothing private as 400, else 502/503/500 with the detail in the log),
    FastAPI's and Starlette's own errors, and anything unexpected as 500."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.hint, exc.headers, **exc.extra)

    @app.exception_handler(ReportQAError)
    async def _reportqa_error(request: Request, exc: ReportQAError) -> JSONResponse:
        if isinstance(exc, InputError) and not names_private(exc):
            return error_response(400, exc.message, exc.hint)
        log.error("service error on %s: %s", request.url.path, exc.message)
        if isinstance(exc, StoreUnavailable | DiskFull):  # the index is intact: it answers again later
            return error_response(503, UNAVAILABLE, "please try again in a few minutes",
                                  headers={"Retry-After": str(RETRY_SECONDS)})
        if isinstance(exc, IndexMissing):
            return error_response(503, "the assistant is not ready",
                                  "the reports index is being prepared; try again later")
        if isinstance(exc, BackendError):
            return error_response(502, "the answering service did not respond",
                                  "please try again in a moment")
        return error_response(500, "something went wrong on our side", "please try again in a moment")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "the request is not valid", first_problem(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail) if exc.detail else "error", "")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "something went wrong on our side", "please try again in a moment")
