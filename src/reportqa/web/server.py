"""The HTTP server of `reportqa serve`: uvicorn on its h11 protocol, with limits on what a client may send.

uvicorn picks httptools when it is installed, and httptools reads a request's head whatever its size (one
100 MB header was read and answered 200; four at once took the server from 420 MB to 893 MB). Here:

- h11's own cap on an incomplete event (uvicorn's `h11_max_incomplete_event_size`): a request head larger
  than MAX_HEAD_BYTES is refused with 431 once that much has arrived, so a connection holds at most that
  plus one socket read (256 KB) however large the header it is sent;
- at most MAX_HEADERS header fields (431);
- a head not complete within HEAD_TIMEOUT seconds of its first byte, or of the connection opening, is
  answered 408 and the connection closed (slowloris); so is a body not complete within BODY_TIMEOUT seconds
  of its head (uvicorn has neither timeout: its keep-alive timeout only closes idle connections between
  requests).

uvicorn answers every h11 protocol error with 400 and ignores h11's status hint (431 for a head too large);
LimitedH11Protocol sends the hinted status, as JSON {error, hint} like the API's other errors.
For `uvicorn ... --http reportqa.web.server:LimitedH11Protocol --h11-max-incomplete-event-size 32768`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEAD_BYTES = 32 * 1024  # the request line and every header; browsers send 1-8 KB
MAX_HEADERS = 100
HEAD_TIMEOUT = 10.0  # seconds for a request's head to arrive
BODY_TIMEOUT = 30.0  # seconds for its body (the API's bodies are at most api.max_body_bytes, 16 KB)

_REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}
_MESSAGES = {
    400: ("the request is not valid HTTP", "send a well-formed HTTP/1.1 request"),
    408: ("the request took too long to arrive", "send the request again"),
    431: ("the request's headers are too large",
          f"send at most {MAX_HEADERS} header fields and {MAX_HEAD_BYTES // 1024} KB of headers"),
}


def error_bytes(status: int) -> bytes:
    """A complete HTTP/1.1 response for `status` that closes the connection, with a JSON {error, hint}."""
    error, hint = _MESSAGES[status]
    body = json.dumps({"error": error, "hint": hint}).encode("utf-8")
    head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + body


class _Connection(h11.Connection):
    """h11's connection that also refuses a head of more than MAX_HEADERS fields, remembers the status hint of
    the last protocol error, and tells its protocol when a request's head and its end have arrived."""

    def __init__(self, max_incomplete_event_size: int, protocol: LimitedH11Protocol) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_incomplete_event_size)
        self.protocol = protocol
        self.error_status = 400

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.error_status = exc.error_status_hint if exc.error_status_hint in _REASONS else 400
            raise
        if isinstance(event, h11.Request):
            if len(event.headers) > self.protocol.max_headers:
                self.error_status = 431
                raise h11.RemoteProtocolError("too many header fields", error_status_hint=431)
            self.protocol.head_received()
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            self.protocol.body_received()
        return event


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol: a head size and field count limit (431), head and body timeouts (408)."""

    max_headers = MAX_HEADERS
    head_timeout = HEAD_TIMEOUT
    body_timeout = BODY_TIMEOUT

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        size = config.h11_max_incomplete_event_size or MAX_HEAD_BYTES
        self.conn = _Connection(size, self)
        self._timer: asyncio.TimerHandle | None = None

    # -- timeouts ------------------------------------------------------------------------------------
    def _arm(self, seconds: float, phase: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._timed_out, phase)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm(self.head_timeout, "head")  # a connection that sends nothing is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._timer is None and self.conn.their_state is h11.IDLE:  # the first bytes of the next request
            self._arm(self.head_timeout, "head")
        super().data_received(data)

    def head_received(self) -> None:
        self._arm(self.body_timeout, "body")  # disarmed at once by the end of a request without a body

    def body_received(self) -> None:
        self._disarm()

    def _timed_out(self, phase: str) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        started = phase == "body" and cycle is not None and cycle.response_started
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's receive() gets http.disconnect; what it sends is dropped
            cycle.message_event.set()
        self.logger.info("closing a connection whose request %s did not arrive in time", phase)
        if not started:
            self.transport.write(error_bytes(408))
        self.transport.close()

    # -- the status h11 hinted, not always 400 ---------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        status = self.conn.error_status if isinstance(self.conn, _Connection) else 400
        self._disarm()
        self.transport.write(error_bytes(status))
        self.transport.close()


def limited_protocol(head_timeout: float = HEAD_TIMEOUT, body_timeout: float = BODY_TIMEOUT,
                     max_headers: int = MAX_HEADERS) -> type[LimitedH11Protocol]:
    """LimitedH11Protocol with other limits (the tests' short timeouts)."""
    return type("LimitedH11Protocol", (LimitedH11Protocol,),
                {"head_timeout": head_timeout, "body_timeout": body_timeout, "max_headers": max_headers})


def server_config(app: Any, host: str, port: int, protocol: type[LimitedH11Protocol] = LimitedH11Protocol,
                  max_head_bytes: int = MAX_HEAD_BYTES) -> Any:
    """uvicorn's Config for `reportqa serve`: the limited h11 protocol, no Server header, and no rewriting
    of the client's address from X-Forwarded-For (the app reads it itself, from api.trusted_proxies only;
    by default uvicorn believes the header from 127.0.0.1)."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level="warning", server_header=False,
                          proxy_headers=False, http=protocol, h11_max_incomplete_event_size=max_head_bytes)


def run(app: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.Server(server_config(app, host, port)).run()
