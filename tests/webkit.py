"""Scaffolding shared by the web tests (test_api, test_browser, test_browser_widget, test_browser_workspace):
real reportqa servers in subprocesses on 127.0.0.1, the partner page server, Debian's chromium through
Playwright (headless, --no-sandbox) and page helpers. A plain module, not a conftest: a test file takes the
fixtures it uses by name (`browser = webkit.browser`), so they keep the test file's module scope.

Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in the repo, which git ignores).
"""

from __future__ import annotations

import http.server
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from reportqa.config import Config

ROOT = Path(__file__).resolve().parents[1]
PAGE = Path(__file__).resolve().parent / "pages" / "widget.html"
CHROMIUM = os.environ.get("REPORTQA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LONG = 120_000  # ms: the first question loads the model
_addresses = itertools.count(10)  # 127.0.0.N for Server.client, one a client

Launch = Literal["serve", "serve-no-ui", "uvicorn"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A reportqa server in a subprocess on 127.0.0.1 over the index of `index_config`, with its feedback
    database, log and temporary files under `tmp`; `settings` are api.* settings given by environment
    (`rate_limit="6"` is REPORTQA_API__RATE_LIMIT=6), any REPORTQA_* variable of the caller left out.

    launch: "serve" is `reportqa serve` (the officer workspace and the API), "serve-no-ui" is
    `reportqa serve --no-ui` (the API and the widget), "uvicorn" is
    `uvicorn reportqa.web.api:app_from_env --factory --no-proxy-headers` (the API app alone).
    Raises RuntimeError when the server exits or has not answered /healthz within 180 s.
    """

    def __init__(self, index_config: Config, tmp: Path, launch: Launch = "serve", **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.feedback_db = tmp / "feedback.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
        env.update({
            "REPORTQA_INDEX_DIR": str(index_config.index_dir),
            "REPORTQA_CORPUS_DIR": str(index_config.corpus_dir),
            "REPORTQA_CONFIG": str(tmp / "no-such-reportqa.toml"),
            "REPORTQA_API__FEEDBACK_DB": str(self.feedback_db),
            "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            **({"GRADIO_TEMP_DIR": str(tmp / "gradio")} if launch == "serve" else {}),
            **({"TMPDIR": str(tmp)} if launch != "uvicorn" else {}),
            **{f"REPORTQA_API__{k.upper()}": v for k, v in settings.items()},
        })
        address = ["--host", "127.0.0.1", "--port", str(self.port)]
        if launch == "uvicorn":
            cmd = [sys.executable, "-m", "uvicorn", "reportqa.web.api:app_from_env", "--factory",
                   "--no-proxy-headers", *address, "--log-level", "warning"]
        else:
            cmd = [sys.executable, "-m", "reportqa.cli", "serve", *address,
                   *(["--no-ui"] if launch == "serve-no-ui" else [])]
        self.log = tmp / f"server-{self.port}.log"
        self.proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=self.log.open("wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not start in time")

    def client(self, address: str | None = None) -> httpx.Client:
        """A client on a loopback address of its own (or `address`): the server sees a new visitor."""
        address = address or f"127.0.0.{next(_addresses)}"
        return httpx.Client(base_url=self.url, timeout=120,
                            transport=httpx.HTTPTransport(local_address=address))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class PageServer:
    """The partner page (tests/pages/widget.html) from an origin of its own: /embed/PORT embeds the widget of
    the server on PORT; ?timeout=MS sets the widget's data-timeout."""

    def __init__(self) -> None:
        template = PAGE.read_text(encoding="utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                url = urlsplit(self.path)
                m = re.fullmatch(r"/embed/(\d+)", url.path)
                if not m:
                    self.send_error(404)
                    return
                body = template.replace("__SERVER__", f"http://127.0.0.1:{m.group(1)}")
                timeout = parse_qs(url.query).get("timeout", [""])[0]
                if timeout.isdigit():
                    body = body.replace("data-endpoint=", f'data-timeout="{timeout}" data-endpoint=')
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def embed(self, server: Server, timeout_ms: int | None = None) -> str:
        return f"{self.origin}/embed/{server.port}" + (f"?timeout={timeout_ms}" if timeout_ms else "")

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- fixtures (a test file takes them by name: `browser = webkit.browser`) -----------------------------------


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    p = PageServer()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless; skipped where it is not installed, failed on CI."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"{CHROMIUM} is not installed: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def new_page(browser: Any, **context: Any) -> Any:
    """A page in a new context (1366x1000 CSS px unless `context` says otherwise), 30 s default timeout;
    dialogs are dismissed and their messages kept in `page.dialogs`. Close it with `page.context.close()`."""
    ctx = browser.new_context(**{"viewport": {"width": 1366, "height": 1000}, **context})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.dialogs = []

    def on_dialog(d: Any) -> None:
        pg.dialogs.append(d.message)
        d.dismiss()

    pg.on("dialog", on_dialog)
    return pg


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    pg = new_page(browser, accept_downloads=True)
    yield pg
    pg.context.close()


# -- helpers ---------------------------------------------------------------------------------------------


def artifacts() -> Path:
    out = Path(os.environ.get("REPORTQA_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def shot(page: Any, name: str, full: bool = True) -> Path:
    """A PNG of the page (the whole page, or the viewport when not `full`) at artifacts()/NAME.png."""
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


# WCAG 2 AA text contrast of every visible element with text of its own, in the document and every shadow
# root; the argument is a selector limiting the document's part (null: the whole document). Returns
# {checked: N, failures: [{text, ratio, color, need}]}; 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
CONTRAST_JS = """
(scope) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => { const f = lin;
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const up = (e) => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const mix = (c, base, a) => ({r: c.r * a + base.r * (1 - a), g: c.g * a + base.g * (1 - a),
                                b: c.b * a + base.b * (1 - a)});
  const background = (el) => { const layers = [];
    for (let e = el; e; e = up(e)) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255};
    for (let i = layers.length - 1; i >= 0; i--) { const c = layers[i];
      base = mix(c, base, c.a); }
    return base; };
  const roots = [document]; const out = []; const seen = new Set(); let checked = 0;
  for (let i = 0; i < roots.length; i++) {
    roots[i].querySelectorAll('*').forEach((el) => { if (el.shadowRoot) roots.push(el.shadowRoot); });
  }
  for (const root of roots) {
    const base = scope && root === document ? document.querySelector(scope) : root;
    if (!base) continue;
    base.querySelectorAll('*').forEach((el) => {
      if (seen.has(el)) return; seen.add(el);
      const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.getClientRects().length) return;
      const skip = ':disabled, [aria-disabled=true], [aria-hidden=true], .rq-sr-only, .sr, style, script';
      if (el.closest(skip)) return;
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden' || parseFloat(st.opacity) === 0) return;
      const fg = parse(st.color); if (!fg) return;
      checked++;
      const bg = background(el);
      const blend = mix(fg, bg, fg.a);
      const [a, b] = [lum(blend), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
      const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
      if (ratio < need) out.push({text: el.textContent.trim().slice(0, 40),
                                  ratio: Math.round(ratio * 100) / 100, color: st.color, need});
    });
  }
  return {checked, failures: out};
}
"""
