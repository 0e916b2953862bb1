"""Who may call the public API, and how often.

- Origins: a request from a browser page must come from api.cors_origins or the origin of api.public_url
  (never *, never the Host header, which a client writes).
- Clients: the client a request counts against is the peer, read from X-Forwarded-For only when the peer is
  one of api.trusted_proxies.
- Rate limit: a sliding-window log per client.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import Request

from reportqa.config import Config
from reportqa.errors import ReportQAError
from reportqa.web.api_errors import ApiError


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


# -- origins ---------------------------------------------------------------------------------------------


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


def check_origin(request: Request, origins: list[str]) -> None:
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


# -- clients behind trusted proxies ----------------------------------------------------------------------

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
