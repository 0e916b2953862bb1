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

Here: the app and its routes. Beside it: who may ask and how often (`web.access`), reading and validating a
request's body (`web.request_body`), the errors (`web.api_errors`), what a route sends back (`web.payloads`)
and the assistant over the server's lifetime, its warm-up, newer builds and health (`web.serving`).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from reportqa.config import Config, offline_environment
from reportqa.conversation import MAX_HISTORY_TURNS_PUBLIC
from reportqa.errors import DiskFull, ReportQAError
from reportqa.web.access import RateLimiter as RateLimiter
from reportqa.web.access import allowed_origins, check_origin, public_base, trusted_networks
from reportqa.web.access import client_address as client_address
from reportqa.web.api_errors import (
    RETRY_SECONDS,
    SECURITY_HEADERS,
    ApiError,
    add_error_handlers,
    error_response,
)
from reportqa.web.feedback import FeedbackStorageError, FeedbackStore
from reportqa.web.payloads import NOTICE, STATIC, example_questions, source_page
from reportqa.web.payloads import answer_json as answer_json
from reportqa.web.request_body import FeedbackRequest, HistoryTurn, parse_json, read_capped, validated
from reportqa.web.serving import BUILD_CHECK_SECONDS as BUILD_CHECK_SECONDS
from reportqa.web.serving import ServedAssistant

if TYPE_CHECKING:
    from reportqa.service import Assistant

log = logging.getLogger(__name__)

API = "/api/v1"
DISABLED = ("The public assistant is switched off at the moment. "
            "Please try again later, or read MOPAC's published reports directly.")
MAX_HISTORY_TURNS = MAX_HISTORY_TURNS_PUBLIC  # the turns a request may bring (`conversation`)
MAX_ASSISTANT_TURN_CHARS = 2000  # the widget sends the first 600 characters of each answer
SOURCE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


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
    new one loads (`web.serving.ServedAssistant`).
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
    served = ServedAssistant(config, assistant)
    get_assistant = served.get
    if warm:
        served.start_warming()

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
        check_origin(request, origins)
        wait = which.check(client(request))
        if wait:
            secs = max(1, math.ceil(wait))
            raise ApiError(429, "too many questions in a short time",
                           f"please wait {secs} seconds and ask again",
                           headers={"Retry-After": str(secs)}, extra={"retry_after": secs})

    add_error_handlers(app)  # always JSON {error, hint}, never a traceback

    # -- routes --------------------------------------------------------------------------------------
    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        if warm and not served.ready.is_set():
            served.start_warming()
            return JSONResponse({"status": "starting", "public_enabled": config.api.public_enabled},
                                status_code=503, headers=SECURITY_HEADERS)
        # what is wrong goes to the log; the answer names nothing of the server's
        if await served.store_problem():
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
        body = await read_capped(request, config.api.max_body_bytes)
        req = validated(AskRequest, parse_json(body, 'send {"question": "...", "history": [...]} as JSON'))
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
        out = answer_json(answer, a, base_url(request))
        out = {**out, **await run_in_threadpool(served.corpus_state, a)}
        return JSONResponse(out, headers=SECURITY_HEADERS)

    @app.post(f"{API}/feedback")
    async def feedback(request: Request) -> JSONResponse:
        """Useful / Not useful from the widget: stored in the workspace's feedback table, source "widget"."""
        admit(request, feedback_limiter)
        body = await read_capped(request, config.api.max_body_bytes)
        req = validated(FeedbackRequest, parse_json(
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
        return error_response(404, "no such API route",
                              f"the API offers POST {API}/ask, POST {API}/feedback and GET {API}/info")

    @app.api_route("/gradio_api/openapi.json", methods=["GET", "HEAD"])
    async def no_gradio_schema() -> JSONResponse:
        # Gradio describes every workspace endpoint here without asking for the workspace's login
        return error_response(404, "not found", "")

    app.add_middleware(
        CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"], expose_headers=["Retry-After"], allow_credentials=False, max_age=600,
    )
    if ui:
        import gradio as gr

        from reportqa.web.theme import CSS, HEAD, theme
        from reportqa.web.ui import build_ui

        blocks = build_ui(config, get_assistant, store)
        app = gr.mount_gradio_app(app, blocks, path="/", footer_links=[], run_history=False, show_error=True,
                                  theme=theme(), css=CSS, head=HEAD, ssr_mode=False, mcp_server=False,
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


def app_from_env() -> FastAPI:
    """For `uvicorn reportqa.web.api:app_from_env --factory --no-proxy-headers` (the app reads X-Forwarded-For
    itself, from api.trusted_proxies only): settings from REPORTQA_... variables."""
    return create_app(Config(), warm=True)

