"""The assistant a server answers with, over its lifetime: opened on first use or warmed in the background
from the start, replaced by a newer build when `reportqa ingest` publishes one while the server runs, asked
whether the corpus changed after its build, and whether its vector store answers (the health check).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from reportqa.config import Config
from reportqa.errors import ReportQAError

if TYPE_CHECKING:
    from reportqa.service import Assistant

# the server's log, under the name it has always had (web.api)
log = logging.getLogger("reportqa.web.api")

BUILD_CHECK_SECONDS = 2.0  # how often a request looks whether `reportqa ingest` published a newer build
HEALTH_TIMEOUT_SECONDS = 5.0  # /healthz waits at most this long (and config.chroma_timeout) for the store
HEALTH_CACHE_SECONDS = 1.0  # a store check answers the health checks of the next second too


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


class ServedAssistant:
    """The assistant of one server (`web.api.create_app`).

    `get()` opens it on first use. `start_warming()` opens it and loads its model and indexes in a background
    thread, setting `ready` when done; a warm-up that fails (no index yet) may be started again.

    A build that `reportqa ingest` publishes while the server runs is noticed by the next `get()` (checked at
    most every BUILD_CHECK_SECONDS), opened and warmed in a background thread, then served; meanwhile, and if
    it cannot be opened (logged once), the build already open answers. Both are in memory while the new one
    loads.
    """

    def __init__(self, config: Config, assistant: Assistant | None = None) -> None:
        self.config = config
        self.assistant = assistant
        self._lock = threading.Lock()
        # following newer builds: when last looked, whether one is loading, the one that failed to open
        self._checked = 0.0
        self._loading = False
        self._failed: Path | None = None
        # whether the corpus changed after the build that answers, as last looked at (`corpus_state`)
        self._corpus_at = -math.inf
        self._corpus_build: Path | None = None
        self._corpus_state: dict[str, Any] = {}
        self.ready = threading.Event()
        self._warming = threading.Lock()
        # the store check of the health check: the one running (shared), when it last ended, what it found
        self._health_task: asyncio.Future[str] | None = None
        self._health_at = -math.inf
        self._health_problem = ""

    # -- the assistant, following newer builds -----------------------------------------------------------
    def _newer_build(self, current: Assistant) -> Path | None:
        from reportqa.index import Layout

        root = Path(self.config.index_dir)
        if current.index.layout.root.resolve() != root.resolve():  # an assistant given for another index
            return None
        build = Layout(root).current()
        if build is None or build == current.index.build or build == self._failed:
            return None
        return build

    def _open_newer(self, build: Path) -> None:
        from reportqa.service import Assistant

        try:
            fresh = Assistant.open(self.config)
            fresh.warm()
            with self._lock:
                self.assistant = fresh
            log.info("serving the new build %s", fresh.index.build.name)
        except Exception as exc:  # the open build keeps serving; this build is not tried again
            self._failed = build
            log.warning("could not open the new build %s (%s); still serving the previous one", build.name,
                        exc)
        finally:
            self._loading = False

    def get(self) -> Assistant:
        """The assistant to answer with (opened on first use); looks for a newer build now and then."""
        with self._lock:
            current = self.assistant
            if current is None:
                from reportqa.service import Assistant

                current = self.assistant = Assistant.open(self.config)
            now = time.monotonic()
            if not self._loading and now - self._checked >= BUILD_CHECK_SECONDS:
                self._checked = now
                build = self._newer_build(current)
                if build is not None:
                    self._loading = True
                    threading.Thread(target=self._open_newer, args=(build,), name="reportqa-follow",
                                     daemon=True).start()
            return current

    def corpus_state(self, a: Assistant) -> dict[str, Any]:
        """Whether the corpus changed after the build that answers (`stale`, with the files named), looked at
        most every BUILD_CHECK_SECONDS: a stat of each corpus file, a hash of one that looks changed."""
        from reportqa.index import stale_json

        now = time.monotonic()
        if self._corpus_build != a.index.build or now - self._corpus_at >= BUILD_CHECK_SECONDS:
            self._corpus_state, self._corpus_build, self._corpus_at = (
                stale_json(a.index.changes()), a.index.build, now)
        return dict(self._corpus_state)

    # -- warming up ------------------------------------------------------------------------------------
    def _warm_up(self) -> None:
        try:
            self.get().warm()
            self.ready.set()
        except Exception as exc:  # the health check reports it and tries again; questions still get 503s
            log.warning("the assistant could not be loaded: %s", exc)
        finally:
            self._warming.release()

    def start_warming(self) -> None:
        """Open and warm the assistant in a background thread, unless it is ready or already warming."""
        if not self.ready.is_set() and self._warming.acquire(blocking=False):  # one warm-up at a time
            threading.Thread(target=self._warm_up, name="reportqa-warm", daemon=True).start()

    # -- the health check ------------------------------------------------------------------------------
    async def store_problem(self) -> str:
        """Why the open build's store cannot be used ("" when it can), asked at most once a second and never
        waited for longer than HEALTH_TIMEOUT_SECONDS (or config.chroma_timeout): a frozen Chroma server
        makes the health check fail, not hang. One check at a time: a slow one is shared, not repeated."""
        a = self.assistant
        now = time.monotonic()
        if a is None or now - self._health_at < HEALTH_CACHE_SECONDS:
            return str(self._health_problem) if a is not None else ""
        task = self._health_task
        if task is None or task.done():
            task = self._health_task = asyncio.ensure_future(run_in_threadpool(check_store, a))
        try:
            problem = await asyncio.wait_for(asyncio.shield(task),
                                             min(HEALTH_TIMEOUT_SECONDS, self.config.chroma_timeout))
        except TimeoutError:
            problem = "the vector store did not answer in time"
        if problem and problem != self._health_problem:
            log.warning("health check: %s", problem)
        self._health_at, self._health_problem = time.monotonic(), problem
        return str(problem)
