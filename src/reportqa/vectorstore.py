"""The Chroma client an index uses, with every failure of the store as one ReportQAError.

A Chroma server (REPORTQA_CHROMA_URL) is called with a timeout on every request (chromadb's own HTTP client
waits forever: a server stopped with SIGSTOP held each request and its worker for good). A server that does
not answer in time, refuses the connection or drops it is `StoreUnavailable` (exit code 6, HTTP 503); a
store that cannot write because the disk is full is `DiskFull`. Both the server's client and a local
directory's are wrapped (`Guarded`), so that the collections they return translate their errors too.
Nothing here imports chromadb until a client is made.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlparse

from reportqa.errors import DiskFull, ReportQAError, StoreUnavailable, is_disk_full

DEFAULT_TIMEOUT = 10.0  # seconds for a request to a Chroma server (Config.chroma_timeout)
CONNECT_TIMEOUT = 3.0  # at most this long to open the connection itself
STORE_HINT = ("check that the Chroma server at REPORTQA_CHROMA_URL is running and answering (`chroma run "
              "--path DIR --port PORT`); the index on disk is intact and serves again once it answers")
DISK_HINT = ("free space on the disk holding the index (REPORTQA_INDEX_DIR); the index as last built is "
             "unchanged")

_TIMEOUTS: dict[str, float] = {}  # "host:port" -> seconds, read by TimedFastAPI when chromadb builds it
_TIMEOUTS_LOCK = threading.Lock()


def http_client(url: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """A chromadb client of the server at `url` whose every request times out after `timeout` seconds
    (connecting: at most CONNECT_TIMEOUT), its first round trips included. Raises StoreUnavailable when the
    server does not answer."""
    import chromadb
    from chromadb.config import Settings

    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or 8000
    _install_timeouts()
    with _TIMEOUTS_LOCK:
        _TIMEOUTS[f"{host}:{port}"] = timeout
    # a new Settings each client: chromadb.HttpClient writes the server's address into the one it is given
    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=u.scheme == "https", settings=settings)
    except Exception as exc:  # chromadb makes a failed first round trip ValueError("Could not connect...")
        raise unavailable(url, exc) from exc
    return Guarded(client, url)


def _install_timeouts() -> None:
    """Give chromadb's HTTP client (chromadb.api.fastapi.FastAPI, whose httpx session has no timeout) the
    timeout set for its server in _TIMEOUTS, from its construction on: the client's first round trips
    (its tenant and database) are made while chromadb.HttpClient builds it. Once per process."""
    import httpx
    from chromadb.api.fastapi import FastAPI

    with _TIMEOUTS_LOCK:
        if getattr(FastAPI, "_reportqa_timed", False):
            return
        original = FastAPI.__init__

        def __init__(self: Any, system: Any) -> None:
            original(self, system)
            key = f"{system.settings.chroma_server_host}:{system.settings.chroma_server_http_port}"
            with _TIMEOUTS_LOCK:
                seconds = _TIMEOUTS.get(key, DEFAULT_TIMEOUT)
            self._session.timeout = httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))

        FastAPI.__init__ = __init__  # type: ignore[method-assign]
        FastAPI._reportqa_timed = True  # type: ignore[attr-defined]


def unavailable(url: str, exc: BaseException) -> StoreUnavailable:
    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
    if _is_timeout(exc):
        detail = "no answer in time"
    return StoreUnavailable(f"the Chroma server at {url} is not answering ({detail})", STORE_HINT)


def _is_timeout(exc: BaseException) -> bool:
    import httpx

    e: BaseException | None = exc
    while e is not None:
        if isinstance(e, httpx.TimeoutException) or "timed out" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
    return False


def translate(exc: BaseException, where: str) -> ReportQAError | None:
    """The ReportQAError for a failure of the store at `where` (a URL, or a directory), or None when `exc` is
    not about the store being reachable or writable (a missing collection, a bad argument...)."""
    import httpx

    if isinstance(exc, ReportQAError):
        return exc
    if is_disk_full(exc):
        return DiskFull("the disk is full: the vector store (Chroma) could not write", DISK_HINT)
    if not where.startswith(("http://", "https://")):
        return None
    e: BaseException | None = exc
    while e is not None:
        if isinstance(e, httpx.TransportError) or "could not connect to" in str(e).lower():
            return unavailable(where, exc)
        e = e.__cause__ or e.__context__
    return None


class Guarded:
    """A chromadb client or collection whose method calls raise `translate`'s error instead of the store's
    own; what they return that is a client object (a collection) is wrapped the same way."""

    def __init__(self, target: Any, where: str) -> None:
        self._target = target
        self._where = where

    @property
    def unwrapped(self) -> Any:
        return self._target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value) or isinstance(value, type):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                out = value(*args, **kwargs)
            except Exception as exc:
                err = translate(exc, self._where)
                if err is None or err is exc:
                    raise
                raise err from exc
            return Guarded(out, self._where) if _is_collection(out) else out

        return call

    def __repr__(self) -> str:
        return f"Guarded({self._target!r})"


def _is_collection(obj: Any) -> bool:
    return type(obj).__name__ == "Collection" and hasattr(obj, "query")
