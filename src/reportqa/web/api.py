"""The HTTP API behind the public widget, with the officer workspace (Gradio) mounted at `/`.

Routes: POST /api/v1/ask, POST /api/v1/feedback, GET /api/v1/info, GET /healthz, GET /widget.js,
GET /source/{passage_id}.
Limits: a per-client rate limit (the client read from X-Forwarded-For only when the peer is one of
api.trusted_proxies), a body cap, a question cap and caps on the history a follow-up brings (413: at most
MAX_HISTORY_TURNS turns, a user turn no longer than a question, an assistant turn at most
MAX_ASSISTANT_TURN_CHARS), so one request is at most MAX_ASKS asks of at most 2,000 characters each.
A request from a browser page must come from api.cors_origins or api.public_url (never *, never the Host
header). A kill switch (503). Errors as JSON {error, hint} without tracebacks, also for malformed JSON
(too deeply nested, lone surrogates, over-long numbers: 400). Gradio's /openapi.json and docs are off.
"""

from __future__ import annotations

import asyncio
import functools
import html
import ipaddress
import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
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
from reportqa.conversation import MAX_HISTORY_TURNS_PUBLIC
from reportqa.display import clean_passage as display_passage
from reportqa.display import marked as display_marked
from reportqa.errors import BackendError, DiskFull, IndexMissing, InputError, ReportQAError, StoreUnavailable
from reportqa.web.feedback import FeedbackStorageError, FeedbackStore

if TYPE_CHECKING:
    from reportqa.service import Assistant
    from reportqa.types import Answer, Citation

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
API = "/api/v1"
NOTICE = ("Answers come from published MOPAC reports and may be out of date. "
          "Check the linked source before relying on a figure.")
DISABLED = ("The public assistant is switched off at the moment. "
            "Please try again later, or read MOPAC's published reports directly.")
BUILD_CHECK_SECONDS = 2.0  # how often a request looks whether `reportqa ingest` published a newer build
MAX_HISTORY_TURNS = MAX_HISTORY_TURNS_PUBLIC  # the turns a request may bring (`conversation`)
MAX_ASSISTANT_TURN_CHARS = 2000  # the widget sends the first 600 characters of each answer
MAX_TURN_CHARS = 4000  # any turn, before the finer caps (a user turn: api.max_question_chars)
MAX_FEEDBACK_CITATIONS = 20
MAX_JSON_DEPTH = 6  # the deepest request, {"history": [{"role": ...}]}, nests 3 levels
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
SOURCE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
HEALTH_TIMEOUT_SECONDS = 5.0  # /healthz waits at most this long (and config.chroma_timeout) for the store
HEALTH_CACHE_SECONDS = 1.0  # a store check answers the health checks of the next second too
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


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class FeedbackCitation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marker: int = Field(ge=0, le=1000)
    title: str = Field(default="", max_length=400)
    year: str = Field(default="", max_length=40)
    section: str = Field(default="", max_length=400)
    quote: str = Field(default="", max_length=4000)


class FeedbackRequest(BaseModel):
    """A widget visitor's Useful / Not useful on one answer, stored like the workspace's feedback."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_TURN_CHARS)
    answer: str = Field(max_length=20_000)
    status: Literal["answered", "partial", "not_found", "refused"]
    helpful: bool = Field(strict=True)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=MAX_FEEDBACK_CITATIONS)


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
    """The origins whose pages may call the API: api.cors_origins and the origin of api.public_url."""
    origins = []
    for o in config.api.cors_origins:
        if o.strip() == "*" or "*" in o:
            raise ReportQAError("api.cors_origins must list sites, not a wildcard",
                                "name each site that embeds the widget, e.g. https://www.london.gov.uk")
        if _origin(o):
            origins.append(_origin(o))
    public = public_base(config)
    if public and _origin(public) not in origins:
        origins.append(_origin(public))
    return origins


def public_base(config: Config) -> str | None:
    """api.public_url without its trailing slash, checked: an http(s) URL naming a host."""
    url = (config.api.public_url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "*" in url or parts.query \
            or parts.fragment:
        raise ReportQAError(f"api.public_url must be the server's address (https://ask.example.org): {url!r}",
                            "set REPORTQA_API__PUBLIC_URL to the address the public reaches the server at")
    return url.rstrip("/")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(config: Config) -> list[Network]:
    """api.trusted_proxies as networks (a single address is a /32 or /128)."""
    out: list[Network] = []
    for p in config.api.trusted_proxies:
        try:
            out.append(ipaddress.ip_network(p.strip(), strict=False))
        except ValueError:
            raise ReportQAError(f"api.trusted_proxies holds {p!r}, which is not an address or a network",
                                'list the reverse proxies, e.g. ["10.0.0.5", "10.1.0.0/16"]') from None
    return out


def _in(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(peer: str, forwarded_for: list[str], proxies: list[Network]) -> str:
    """The client a request counts against: the peer, unless the peer is a trusted proxy; then the
    right-most address of X-Forwarded-For that is not itself a trusted proxy (the left part of the header is
    written by the client and can say anything). A malformed header leaves the peer."""
    if not proxies or not _in(peer, proxies):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",")]
    for hop in reversed(hops):
        if not _in(hop, proxies):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _error(status: int, error: str, hint: str = "", headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, "hint": hint, **extra}, status_code=status,
                        headers={**SECURITY_HEADERS, **(headers or {})})


def answer_json(answer: Answer, assistant: Assistant, base_url: str) -> dict[str, Any]:
    """The answer as the widget reads it; citations and (for not_found) related passages link to /source
    (at the quote: #quote), and carry the report's address (`url`) and the page of the quote (`page`) where
    known (`reportqa.sources`). `short`: the sentence that answers, its report and year (`reportqa.short`);
    the widget shows it first and `text` under "More"."""
    from reportqa.short import short_answer
    from reportqa.sources import with_sources
    from reportqa.trend import trend_json

    answer = with_sources(answer, assistant.reports)

    def passage_url(c: Citation) -> str:
        return f"{base_url}/source/{urlquote(c.passage_id)}?start={c.start}&end={c.end}#quote"

    def item(c: Citation) -> dict[str, Any]:
        out: dict[str, Any] = {"marker": c.marker, "title": c.title, "year": c.year, "section": c.section,
                               "quote": c.quote}
        if c.source_url:
            out["url"] = c.source_url
        if c.page:
            out["page"] = c.page
        out["passage_url"] = passage_url(c)
        return out

    short = short_answer(answer, {r.id: r.source_url for r in assistant.reports})
    short_json = short.to_json()
    if short.citation is not None:
        short_json["passage_url"] = passage_url(short.citation)
        short_json["page"] = short.citation.page
    return {"status": answer.status, "text": answer.text, "short": short_json,
            "citations": [item(c) for c in answer.citations], "related": [item(c) for c in answer.related],
            "missing": answer.missing, "given": answer.given, "rewritten_question": answer.rewritten_question,
            "trend": trend_json(answer.trend), "notice": NOTICE}


def source_page(assistant: Assistant, passage_id: str, start: int | None, end: int | None) -> str:
    """The cited passage's whole section in its report, escaped, with the quoted span marked (id "quote":
    passage links end in #quote, so the browser scrolls it into view), the page it is on and a link to the
    report itself where known."""
    from reportqa.sources import page_at, web_url

    p = assistant.index.by_id.get(passage_id)
    if p is None:
        raise ApiError(404, "no such passage", "the link may be from an older version of the index")
    a = b = 0
    if start is not None and end is not None and p.start <= start < end <= p.end:
        a, b = start - p.start, end - p.start
    report = next((r for r in assistant.reports if r.id == p.report_id), None)
    # shown without soft hyphens, zero-width characters or a PDF's line breaks; the offsets stay exact
    pdf = report is not None and report.shape == "pdf"
    section = sorted((q for q in assistant.index.passages if q.report_id == p.report_id
                      and q.section == p.section), key=lambda q: q.start)
    before_parts = [display_passage(q.text, pdf) for q in section if q.end <= p.start]
    after_parts = [display_passage(q.text, pdf) for q in section if q.start >= p.end]
    before, span, after = display_marked(p.text, a, b, join_lines=pdf)
    marked = f"<mark id='quote' tabindex='-1'>{html.escape(span)}</mark>" if b > a else ""
    body = html.escape(before) + marked + html.escape(after)
    if b <= a:
        body = f"<span id='quote'></span>{body}"
    body = "\n\n".join([*map(html.escape, before_parts), body, *map(html.escape, after_parts)])
    title = html.escape(f"{p.title} ({p.year})")
    facts = [html.escape(p.section)]
    page = page_at(report.pages, start if b > a and start is not None else p.start) if report else None
    if page:
        facts.append(f"page {page}")
    url = web_url(report.source_url) if report else None
    link = (f"<p><a href='{html.escape(url, quote=True)}' rel='noopener noreferrer'>Open the report on its "
            f"publisher's site</a> <span class='note'>({html.escape(url)})</span></p>") if url else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>"
        "body{font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;"
        "max-width:46rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;font:inherit}"
        "mark{background:#ffe066;color:#1a1a1a;scroll-margin-top:40vh}a{color:#0b4f9c}"
        ".note{color:#3d3d3d}</style></head><body><main>"
        f"<h1>{title}</h1><p>{' · '.join(facts)}</p>{link}<pre>{body}</pre>"
        f"<p class='note'>{html.escape(NOTICE)}</p></main></body></html>"
    )


def create_app(config: Config | None = None, assistant: Assistant | None = None, ui: bool = True,
               warm: bool = False) -> FastAPI:
    """The server: the JSON API and widget, and (with ui=True) the Gradio workspace at `/`.

    With warm=True (`reportqa serve`, app_from_env, app.py) the assistant opens and loads its model and
    indexes in the background from the start, and /healthz answers 503 {"status": "starting"} until it has:
    a server reported ready answers its first question as fast as its tenth. A warm-up that fails (no index
    yet) is tried again on the next /healthz.

    A build that `reportqa ingest` publishes while the server runs is noticed by the next request (checked
    at most every BUILD_CHECK_SECONDS), opened and warmed in a background thread, then served; meanwhile,
    and if it cannot be opened (logged once), the build already open answers. Both are in memory while the
    new one loads.
    """
    offline_environment()
    config = config or Config()
    origins = allowed_origins(config)
    public = public_base(config)
    proxies = trusted_networks(config)
    app = FastAPI(title="reportqa", docs_url=None, redoc_url=None, openapi_url=None)
    limiter = RateLimiter(config.api.rate_limit, config.api.rate_window)
    feedback_limiter = RateLimiter(config.api.rate_limit, config.api.rate_window)
    store = FeedbackStore(config.api.feedback_db)
    state: dict[str, Assistant | None] = {"assistant": assistant}
    lock = threading.Lock()
    # a build published after start-up (`reportqa ingest` of a new report) is opened and warmed in the
    # background, then served; until then, and if it cannot be opened, the build already open keeps serving
    follow: dict[str, Any] = {"checked": 0.0, "loading": False, "failed": None}

    def newer_build(current: Assistant) -> Path | None:
        from reportqa.index import Layout

        root = Path(config.index_dir)
        if current.index.layout.root.resolve() != root.resolve():  # an assistant given for another index
            return None
        build = Layout(root).current()
        if build is None or build == current.index.build or build == follow["failed"]:
            return None
        return build

    def open_newer(build: Path) -> None:
        from reportqa.service import Assistant

        try:
            fresh = Assistant.open(config)
            fresh.warm()
            with lock:
                state["assistant"] = fresh
            log.info("serving the new build %s", fresh.index.build.name)
        except Exception as exc:  # the open build keeps serving; this build is not tried again
            follow["failed"] = build
            log.warning("could not open the new build %s (%s); still serving the previous one", build.name,
                        exc)
        finally:
            follow["loading"] = False

    def get_assistant() -> Assistant:
        with lock:
            current = state["assistant"]
            if current is None:
                from reportqa.service import Assistant

                current = state["assistant"] = Assistant.open(config)
            now = time.monotonic()
            if not follow["loading"] and now - follow["checked"] >= BUILD_CHECK_SECONDS:
                follow["checked"] = now
                build = newer_build(current)
                if build is not None:
                    follow["loading"] = True
                    threading.Thread(target=open_newer, args=(build,), name="reportqa-follow",
                                     daemon=True).start()
            return current

    # whether the corpus changed after the build that answers (`stale`, with the files named), looked at
    # most every BUILD_CHECK_SECONDS: a stat of each corpus file, a hash of one that looks changed
    checked_corpus: dict[str, Any] = {"at": -math.inf, "build": None, "state": {}}

    def corpus_state(a: Assistant) -> dict[str, Any]:
        from reportqa.index import stale_json

        now = time.monotonic()
        if checked_corpus["build"] != a.index.build or now - checked_corpus["at"] >= BUILD_CHECK_SECONDS:
            checked_corpus.update(state=stale_json(a.index.changes()), build=a.index.build, at=now)
        return dict(checked_corpus["state"])

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

    def client(request: Request) -> str:
        peer = request.client.host if request.client else "unknown"
        return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)

    def base_url(request: Request) -> str:
        return public or str(request.base_url).rstrip("/")

    def admit(request: Request, which: RateLimiter) -> None:
        """The kill switch, the origin and the client's rate limit, in that order."""
        if not config.api.public_enabled:
            raise ApiError(503, DISABLED, "the site's administrator has paused the public assistant")
        _check_origin(request, origins)
        wait = which.check(client(request))
        if wait:
            secs = max(1, math.ceil(wait))
            raise ApiError(429, "too many questions in a short time",
                           f"please wait {secs} seconds and ask again",
                           headers={"Retry-After": str(secs)}, extra={"retry_after": secs})

    # -- errors: always JSON {error, hint}, never a traceback --------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.error, exc.hint, exc.headers, **exc.extra)

    @app.exception_handler(ReportQAError)
    async def _reportqa_error(request: Request, exc: ReportQAError) -> JSONResponse:
        if isinstance(exc, InputError) and not names_private(exc):
            return _error(400, exc.message, exc.hint)
        log.error("service error on %s: %s", request.url.path, exc.message)
        if isinstance(exc, StoreUnavailable | DiskFull):  # the index is intact: it answers again later
            return _error(503, UNAVAILABLE, "please try again in a few minutes",
                          headers={"Retry-After": str(RETRY_SECONDS)})
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
    health: dict[str, Any] = {"task": None, "at": -math.inf, "problem": ""}

    def check_store(a: Any) -> str:
        """"" when the open build's vector store answers, else why not (for the server's log only)."""
        check = getattr(getattr(a, "index", None), "check_store", None)
        if check is None:  # an assistant without an index of ours (a test's stand-in)
            return ""
        try:
            check()
        except ReportQAError as exc:
            return exc.message
        return ""

    async def store_problem() -> str:
        """Why the open build's store cannot be used ("" when it can), asked at most once a second and never
        waited for longer than HEALTH_TIMEOUT_SECONDS (or config.chroma_timeout): a frozen Chroma server
        makes the health check fail, not hang. One check at a time: a slow one is shared, not repeated."""
        a = state["assistant"]
        now = time.monotonic()
        if a is None or now - health["at"] < HEALTH_CACHE_SECONDS:
            return str(health["problem"]) if a is not None else ""
        task = health["task"]
        if task is None or task.done():
            task = health["task"] = asyncio.ensure_future(run_in_threadpool(check_store, a))
        try:
            problem = await asyncio.wait_for(asyncio.shield(task),
                                             min(HEALTH_TIMEOUT_SECONDS, config.chroma_timeout))
        except TimeoutError:
            problem = "the vector store did not answer in time"
        if problem and problem != health["problem"]:
            log.warning("health check: %s", problem)
        health.update(at=time.monotonic(), problem=problem)
        return str(problem)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        if warm and not ready.is_set():
            start_warming()
            return JSONResponse({"status": "starting", "public_enabled": config.api.public_enabled},
                                status_code=503, headers=SECURITY_HEADERS)
        if await store_problem():  # what is wrong goes to the log; the answer names nothing of the server's
            return JSONResponse({"status": "unavailable", "public_enabled": config.api.public_enabled},
                                status_code=503,
                                headers={**SECURITY_HEADERS, "Retry-After": str(RETRY_SECONDS)})
        return JSONResponse({"status": "ok", "public_enabled": config.api.public_enabled},
                            headers=SECURITY_HEADERS)

    @app.get(f"{API}/info")
    async def info() -> JSONResponse:
        """The widget's opening: whether it is on, the notice, the question cap, what the reports cover
        (null while the index is not ready) and example questions."""
        coverage: str | None = None
        reports: list[dict[str, str]] = []
        if config.api.public_enabled:
            try:
                a = await run_in_threadpool(get_assistant)
                coverage = a.coverage_text()
                reports = [{"title": r.title, "year": r.year} for r in a.reports]
            except ReportQAError as exc:
                log.warning("info without coverage: %s", exc.message)
        return JSONResponse({
            "enabled": config.api.public_enabled,
            "message": None if config.api.public_enabled else DISABLED,
            "notice": NOTICE,
            "max_question_chars": config.api.max_question_chars,
            "coverage": coverage,
            "reports": reports,
            "examples": example_questions() if config.api.public_enabled else [],
        }, headers=SECURITY_HEADERS)

    @app.post(f"{API}/ask")
    async def ask(request: Request) -> JSONResponse:
        admit(request, limiter)
        body = await _read_capped(request, config.api.max_body_bytes)
        req = _validated(AskRequest, _parse(body, 'send {"question": "...", "history": [...]} as JSON'))
        question = req.question.strip()
        if not question:
            raise ApiError(422, "the question is empty", "type a question about MOPAC's reports")
        limit = config.api.max_question_chars
        if len(question) > limit:
            raise ApiError(413, f"the question is too long ({len(question)} characters)",
                           f"keep it to {limit:,} characters or fewer")
        for i, turn in enumerate(req.history):
            cap = limit if turn.role == "user" else MAX_ASSISTANT_TURN_CHARS
            if len(turn.content) > cap:
                raise ApiError(413, f"history turn {i} is too long ({len(turn.content)} characters)",
                               f"send at most {cap} characters of each earlier {turn.role} turn")
        a = await run_in_threadpool(get_assistant)  # the first call opens the index
        history = [t.model_dump() for t in req.history]
        answer = await run_in_threadpool(a.ask, question, history)
        if config.api.store_public_questions:
            try:  # the visitor still gets the answer when the question cannot be kept (a full disk)
                await run_in_threadpool(store.record_public_question, question, answer.status)
            except ReportQAError as exc:
                log.error("public question not stored: %s", exc.message)
        out = {**answer_json(answer, a, base_url(request)), **await run_in_threadpool(corpus_state, a)}
        return JSONResponse(out, headers=SECURITY_HEADERS)

    @app.post(f"{API}/feedback")
    async def feedback(request: Request) -> JSONResponse:
        """Useful / Not useful from the widget: stored in the workspace's feedback table, source "widget"."""
        admit(request, feedback_limiter)
        body = await _read_capped(request, config.api.max_body_bytes)
        req = _validated(FeedbackRequest, _parse(
            body, 'send {"question", "answer", "status", "helpful", "citations"} as application/json'))
        if len(req.question) > config.api.max_question_chars:
            raise ApiError(413, f"the question is too long ({len(req.question)} characters)",
                           f"keep it to {config.api.max_question_chars:,} characters or fewer")
        cites = [c.model_dump() for c in req.citations]
        try:
            rowid = await run_in_threadpool(store.record, req.question, req.answer, req.helpful, "", cites,
                                            "widget", req.status)
        except (FeedbackStorageError, DiskFull) as exc:  # the file and its setting go to the log only
            log.error("widget feedback not stored: %s", exc.message)
            raise ApiError(503, "your feedback could not be saved at the moment", "please try again later",
                           headers={"Retry-After": str(RETRY_SECONDS)}) from None
        return JSONResponse({"stored": True, "id": rowid}, headers=SECURITY_HEADERS)

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
        return _error(404, "no such API route",
                      f"the API offers POST {API}/ask, POST {API}/feedback and GET {API}/info")

    @app.api_route("/gradio_api/openapi.json", methods=["GET", "HEAD"])
    async def no_gradio_schema() -> JSONResponse:
        # Gradio describes every workspace endpoint here without asking for the workspace's login
        return _error(404, "not found", "")

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
                                  auth=workspace_auth(config), auth_message="reportqa officer workspace",
                                  # Gradio's FastAPI app would serve its own /openapi.json, without a login
                                  app_kwargs={"openapi_url": None, "docs_url": None, "redoc_url": None})
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


def names_private(exc: ReportQAError) -> bool:
    """Does the error's message or hint name a file path or a setting? (Then the public API does not show
    it: an InputError of the command line, such as the feedback database's, reached the API.)"""
    return bool(_PRIVATE.search(exc.message) or _PRIVATE.search(exc.hint or ""))


def _check_origin(request: Request, origins: list[str]) -> None:
    """A browser request from a site not on the allowlist (api.cors_origins and api.public_url's origin) is
    refused, not merely left unreadable. The Host header is never trusted: a client writes it. The refusal
    names no setting: the visitor cannot change it, and the server's configuration is not theirs to read."""
    origin = request.headers.get("origin")
    if not origin:
        return  # not from a browser page (curl, a server): the rate limit still applies
    if origin.strip().lower() in origins:
        return
    raise ApiError(403, "this site is not allowed to use the assistant",
                   "the assistant answers on the sites it was set up for")


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


def _parse(body: bytes, shape: str) -> Any:
    """The body as JSON, or a 400 ApiError: not UTF-8, not JSON, nested too deeply for the parser, a number
    too long to read, or text holding a lone surrogate (which no response could encode again)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except RecursionError:
        raise ApiError(400, "the request body is nested too deeply", shape) from None
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError, and ints over Python's digit limit
        raise ApiError(400, "the request body is not JSON", shape) from None
    problem = _json_problem(data)
    if problem == "depth":
        raise ApiError(400, "the request body is nested too deeply",
                       f"no field of the API nests deeper than {MAX_JSON_DEPTH} levels; {shape}")
    if problem == "surrogate":
        raise ApiError(400, "the request holds text that is not valid Unicode (a lone surrogate)",
                       "send text as UTF-8; \\ud800-\\udfff escapes must come in pairs")
    return data


def _json_problem(data: Any) -> str | None:
    """"depth" when parsed JSON nests deeper than MAX_JSON_DEPTH, "surrogate" when a string (key or value)
    holds a lone surrogate, else None. Iterative: no recursion however deep the input."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "surrogate"
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return "depth"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "the request is not valid", _first_problem(exc.errors())) from None
    except RecursionError:
        raise ApiError(400, "the request body is nested too deeply", "send the documented fields") from None


@functools.cache
def example_questions() -> list[str]:
    """Two or three questions the widget offers on opening (static/examples.json)."""
    data = json.loads((STATIC / "examples.json").read_text(encoding="utf-8"))
    return [str(q) for q in data["examples"]]


def _first_problem(errors: Any) -> str:
    """One line about the first problem, naming the field but never echoing the input."""
    for e in errors:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        return f"{loc or 'body'}: {e.get('msg', 'invalid')}"
    return "check the request's fields"


def app_from_env() -> FastAPI:
    """For `uvicorn reportqa.web.api:app_from_env --factory --no-proxy-headers` (the app reads X-Forwarded-For
    itself, from api.trusted_proxies only): settings from REPORTQA_... variables."""
    return create_app(Config(), warm=True)

