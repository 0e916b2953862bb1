"""The HTTP API behind the public widget, with the officer workspace (Gradio) mounted at `/`.

Routes: POST /api/v1/ask, GET /api/v1/info, GET /healthz, GET /widget.js, GET /source/{passage_id}.
Limits: a per-client rate limit, a body cap and a question cap (413), a CORS allowlist (never *),
a kill switch (503), and errors as JSON {error, hint} without tracebacks.
"""

from __future__ import annotations

import html
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportqa.config import Config, offline_environment
from reportqa.errors import BackendError, IndexMissing, InputError, ReportQAError
from reportqa.web.feedback import FeedbackStore

if TYPE_CHECKING:
    from reportqa.service import Assistant
    from reportqa.types import Answer

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
API = "/api/v1"
NOTICE = ("Answers come from published MOPAC reports and may be out of date. "
          "Check the linked source before relying on a figure.")
DISABLED = ("The public assistant is switched off at the moment. "
            "Please try again later, or read MOPAC's published reports directly.")
MAX_HISTORY_TURNS = 12
MAX_TURN_CHARS = 4000
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
SOURCE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class ApiError(Exception):
    """An expected refusal with its status code, rendered as {error, hint}."""

    def __init__(self, status: int, error: str, hint: str = "", headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.hint = status, error, hint
        self.headers = headers or {}
        self.extra = extra or {}


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class RateLimiter:
    """A sliding-window log per client: at most `limit` requests in any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def check(self, client: str) -> float:
        """Record a request; returns 0 if allowed, else the seconds until the client may retry."""
        now = self.clock()
        with self._lock:
            if now - self._last_sweep > self.window:
                self._sweep(now)
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
        self._last_sweep = now


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(config: Config) -> list[str]:
    origins = []
    for o in config.api.cors_origins:
        if o.strip() == "*" or "*" in o:
            raise ReportQAError("api.cors_origins must list sites, not a wildcard",
                                "name each site that embeds the widget, e.g. https://www.london.gov.uk")
        if _origin(o):
            origins.append(_origin(o))
    return origins


def _error(status: int, error: str, hint: str = "", headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "hint": hint, **extra}, status_code=status,
                        headers={**SECURITY_HEADERS, **(headers or {})})


def answer_json(answer: Answer, assistant: Assistant, base_url: str) -> dict[str, Any]:
    urls = {r.id: r.source_url for r in assistant.reports}
    citations = []
    for c in answer.citations:
        item: dict[str, Any] = {"marker": c.marker, "title": c.title, "year": c.year, "section": c.section,
                                "quote": c.quote}
        url = urls.get(c.report_id)
        if url and url.startswith(("https://", "http://")):
            item["url"] = url
        item["passage_url"] = f"{base_url}/source/{urlquote(c.passage_id)}?start={c.start}&end={c.end}"
        citations.append(item)
    related = [{"marker": c.marker, "title": c.title, "year": c.year, "section": c.section, "quote": c.quote}
               for c in answer.related]
    from reportqa.trend import trend_json

    return {"status": answer.status, "text": answer.text, "citations": citations, "related": related,
            "missing": answer.missing, "rewritten_question": answer.rewritten_question,
            "trend": trend_json(answer.trend), "notice": NOTICE}


def source_page(assistant: Assistant, passage_id: str, start: int | None, end: int | None) -> str:
    """The cited passage in its report, escaped, with the quoted span marked."""
    p = assistant.index.by_id.get(passage_id)
    if p is None:
        raise ApiError(404, "no such passage", "the link may be from an older version of the index")
    text = p.text
    a = b = 0
    if start is not None and end is not None and p.start <= start < end <= p.end:
        a, b = start - p.start, end - p.start
    marked = f"<mark>{html.escape(text[a:b])}</mark>" if b > a else ""
    body = html.escape(text[:a]) + marked + html.escape(text[b:])
    title = html.escape(f"{p.title} ({p.year})")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>"
        "body{font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;"
        "max-width:46rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;font:inherit}"
        "mark{background:#ffe066;color:#1a1a1a}.note{color:#3d3d3d}</style></head><body><main>"
        f"<h1>{title}</h1><p>{html.escape(p.section)}</p><pre>{body}</pre>"
        f"<p class='note'>{html.escape(NOTICE)}</p></main></body></html>"
    )


def create_app(config: Config | None = None, assistant: Assistant | None = None, ui: bool = True,
               warm: bool = False) -> FastAPI:
    """The server: the JSON API and widget, and (with ui=True) the Gradio workspace at `/`.

    With warm=True (`reportqa serve`, app_from_env, app.py) the assistant opens and loads its model and
    indexes in the background from the start, and /healthz answers 503 {"status": "starting"} until it has:
    a server reported ready answers its first question as fast as its tenth. A warm-up that fails (no index
    yet) is tried again on the next /healthz.
    """
    offline_environment()
    config = config or Config()
    origins = allowed_origins(config)
    app = FastAPI(title="reportqa", docs_url=None, redoc_url=None, openapi_url=None)
    limiter = RateLimiter(config.api.rate_limit, config.api.rate_window)
    store = FeedbackStore(config.api.feedback_db)
    state: dict[str, Assistant | None] = {"assistant": assistant}
    lock = threading.Lock()

    def get_assistant() -> Assistant:
        with lock:
            current = state["assistant"]
            if current is None:
                from reportqa.service import Assistant

                current = state["assistant"] = Assistant.open(config)
            return current

    ready = threading.Event()
    warming = threading.Lock()

    def warm_up() -> None:
        try:
            get_assistant().warm()
            ready.set()
        except Exception as exc:  # the health check reports it and tries again; questions still get 503s
            log.warning("the assistant could not be loaded: %s", exc)
        finally:
            warming.release()

    def start_warming() -> None:
        if not ready.is_set() and warming.acquire(blocking=False):  # one warm-up at a time
            threading.Thread(target=warm_up, name="reportqa-warm", daemon=True).start()

    if warm:
        start_warming()

    app.state.get_assistant = get_assistant
    app.state.feedback = store
    app.state.limiter = limiter

    # -- errors: always JSON {error, hint}, never a traceback --------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.error, exc.hint, exc.headers, **exc.extra)

    @app.exception_handler(ReportQAError)
    async def _reportqa_error(request: Request, exc: ReportQAError) -> JSONResponse:
        if isinstance(exc, InputError):
            return _error(400, exc.message, exc.hint)
        log.error("service error on %s: %s", request.url.path, exc.message)
        if isinstance(exc, IndexMissing):
            return _error(503, "the assistant is not ready",
                          "the reports index is being prepared; try again later")
        if isinstance(exc, BackendError):
            return _error(502, "the answering service did not respond", "please try again in a moment")
        return _error(500, "something went wrong on our side", "please try again in a moment")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "the request is not valid", _first_problem(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail) if exc.detail else "error", "")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return _error(500, "something went wrong on our side", "please try again in a moment")

    # -- routes --------------------------------------------------------------------------------------
    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        if warm and not ready.is_set():
            start_warming()
            return JSONResponse({"status": "starting", "public_enabled": config.api.public_enabled},
                                status_code=503, headers=SECURITY_HEADERS)
        return JSONResponse({"status": "ok", "public_enabled": config.api.public_enabled},
                            headers=SECURITY_HEADERS)

    @app.get(f"{API}/info")
    async def info() -> JSONResponse:
        return JSONResponse({
            "enabled": config.api.public_enabled,
            "message": None if config.api.public_enabled else DISABLED,
            "notice": NOTICE,
            "max_question_chars": config.api.max_question_chars,
        }, headers=SECURITY_HEADERS)

    @app.post(f"{API}/ask")
    async def ask(request: Request) -> JSONResponse:
        if not config.api.public_enabled:
            raise ApiError(503, DISABLED, "the site's administrator has paused the public assistant")
        _check_origin(request, origins)
        wait = limiter.check(_client(request))
        if wait:
            secs = max(1, math.ceil(wait))
            raise ApiError(429, "too many questions in a short time",
                           f"please wait {secs} seconds and ask again",
                           headers={"Retry-After": str(secs)}, extra={"retry_after": secs})
        body = await _read_capped(request, config.api.max_body_bytes)
        req = _parse(body)
        question = req.question.strip()
        if not question:
            raise ApiError(422, "the question is empty", "type a question about MOPAC's reports")
        if len(question) > config.api.max_question_chars:
            raise ApiError(413, f"the question is too long ({len(question)} characters)",
                           f"keep it under {config.api.max_question_chars} characters")
        a = await run_in_threadpool(get_assistant)  # the first call opens the index
        history = [t.model_dump() for t in req.history]
        answer = await run_in_threadpool(a.ask, question, history)
        if config.api.store_public_questions:
            await run_in_threadpool(store.record_public_question, question, answer.status)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(answer_json(answer, a, base), headers=SECURITY_HEADERS)

    @app.get("/widget.js")
    async def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300", **SECURITY_HEADERS})

    @app.get("/source/{passage_id}")
    async def source(passage_id: str, start: int | None = None, end: int | None = None) -> HTMLResponse:
        page = source_page(await run_in_threadpool(get_assistant), passage_id, start, end)
        return HTMLResponse(page, headers={**SECURITY_HEADERS, "Content-Security-Policy": SOURCE_CSP})

    @app.api_route(API + "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def no_such_route(rest: str) -> JSONResponse:
        return _error(404, "no such API route", f"the API offers POST {API}/ask and GET {API}/info")

    app.add_middleware(
        CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"], expose_headers=["Retry-After"], allow_credentials=False, max_age=600,
    )
    if ui:
        import gradio as gr

        from reportqa.web.ui import CSS, HEAD, build_ui

        blocks = build_ui(config, get_assistant, store)
        app = gr.mount_gradio_app(app, blocks, path="/", footer_links=[], run_history=False, show_error=True,
                                  theme=_theme(), css=CSS, head=HEAD, ssr_mode=False, mcp_server=False,
                                  auth=workspace_auth(config), auth_message="reportqa officer workspace")
    return app


def workspace_auth(config: Config) -> tuple[str, str] | None:
    """The officer workspace's login, from api.workspace_auth ("user:password"), if set."""
    if config.api.workspace_auth is None:
        return None
    user, sep, password = config.api.workspace_auth.get_secret_value().partition(":")
    if not (sep and user.strip() and password):
        raise ReportQAError("api.workspace_auth must look like user:password",
                            "set REPORTQA_API__WORKSPACE_AUTH=officer:a-long-passphrase")
    return user.strip(), password


def _theme() -> Any:
    from reportqa.web.ui import theme

    return theme()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _check_origin(request: Request, origins: list[str]) -> None:
    """A browser request from a site not on the allowlist is refused, not merely left unreadable."""
    origin = request.headers.get("origin")
    if not origin:
        return  # not from a browser page (curl, a server): the rate limit still applies
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    if origin.lower() in origins or origin.lower() == own:
        return
    raise ApiError(403, "this site is not allowed to use the assistant",
                   "the server's api.cors_origins lists the sites that may embed the widget")


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "the request is too large", f"send at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "the request is too large", f"send at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> AskRequest:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "the request body is not JSON",
                       'send {"question": "...", "history": [...]} as application/json') from None
    try:
        return AskRequest.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "the request is not valid", _first_problem(exc.errors())) from None


def _first_problem(errors: Any) -> str:
    """One line about the first problem, naming the field but never echoing the input."""
    for e in errors:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        return f"{loc or 'body'}: {e.get('msg', 'invalid')}"
    return "check the request's fields"


def app_from_env() -> FastAPI:
    """For `uvicorn reportqa.web.api:app_from_env --factory`: settings from REPORTQA_... variables."""
    return create_app(Config(), warm=True)

