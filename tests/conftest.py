"""Shared fixtures. Tests are offline: outbound sockets fail loudly, loopback is allowed."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime's OneDS uploader (see offline_environment)


class OutboundBlocked(RuntimeError):
    pass


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise OutboundBlocked(f"test tried to reach {address!r}: tests are offline")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise OutboundBlocked(f"test tried to reach {address!r}: tests are offline")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _block_outbound_sockets() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the real corpus, so tests may add reports without touching the repo."""
    dst = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def index_config(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A Config whose index was built, with the real model, from the real corpus under a tmp dir."""
    from reportqa.config import Config, offline_environment
    from reportqa.index import ingest

    offline_environment()
    base = tmp_path_factory.mktemp("index")
    cfg = Config(corpus_dir=CORPUS, index_dir=base / "index")
    ingest(cfg)
    return cfg


@pytest.fixture(scope="session")
def assistant(index_config):  # type: ignore[no-untyped-def]
    from reportqa.service import Assistant

    a = Assistant.open(index_config)
    a.warm()
    return a
