"""reportqa: ingest, corpus, search, ask, chat, draft, eval, serve.

Thin commands: load config, open the service, one call, render. Expected failures are printed as
`error: ...` / `hint: ...` with a non-zero exit code; REPORTQA_DEBUG=1 shows the traceback.

Here: the parser, the logging and `main`. Each command group registers its own subcommands: `cli.ingest`,
`cli.corpus`, `cli.query` (search, ask, chat, trend; printed by `cli.render`) and the FEATURES (the Mayor's
Question draft, eval, serve and feedback), each a module with `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from reportqa.cli import corpus, ingest, query
from reportqa.cli.render import render_answer as render_answer
from reportqa.cli.render import render_short as render_short
from reportqa.config import Config, offline_environment
from reportqa.errors import ReportQAError

FEATURES = ("reportqa.mq", "reportqa.evaluation.command", "reportqa.web")


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "backend", None):
        overrides["backend"] = args.backend
    return Config.load(**overrides)


# -- parser and main ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The `reportqa` parser: the core commands, then each installed feature's."""
    p = argparse.ArgumentParser(
        prog="reportqa", description="Answers with verified citations from MOPAC's reports."
    )
    p.add_argument("--index", help="index directory (default: ./index or REPORTQA_INDEX_DIR)")
    p.add_argument("--corpus", help="corpus directory (default: ./corpus or REPORTQA_CORPUS_DIR)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for group in (ingest, corpus, query):  # the core commands, in the order --help lists them
        group.register(sub)

    for mod in FEATURES:
        try:
            importlib.import_module(mod).register(sub)
        except ModuleNotFoundError as exc:  # a feature not installed in this build
            logging.getLogger(__name__).debug("feature %s unavailable: %s", mod, exc)
    return p


NOISY_LOGGERS = ("httpx", "chromadb", "sentence_transformers", "bm25s", "transformers", "pypdf")


def _quiet_libraries(record: logging.LogRecord) -> bool:
    """False for a record to drop: a third-party library's below WARNING, or pypdf's below ERROR."""
    top = record.name.split(".", 1)[0]
    if top == "pypdf":
        return record.levelno >= logging.ERROR
    return top not in NOISY_LOGGERS or record.levelno >= logging.WARNING


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        # bm25s sets its own logger to DEBUG when imported (after this), so levels set here do not hold: the
        # handler drops what those libraries log below WARNING, and pypdf's warnings about a malformed PDF
        # (the one-line error says it cannot be read)
        handler.addFilter(_quiet_libraries)
    try:
        config = _config(args)
        return int(args.func(args, config) or 0)
    except ReportQAError as exc:
        if os.environ.get("REPORTQA_DEBUG"):
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `reportqa corpus list | head -2`: the reader left; say nothing more
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure still gets one line, not a traceback
        if os.environ.get("REPORTQA_DEBUG"):
            raise
        from reportqa.errors import DiskFull, is_disk_full

        if is_disk_full(exc):  # a write no command expected to fail: still the one line for a full disk
            detail = str(exc).splitlines()[0] if str(exc) else ""
            print(f"error: the disk is full ({type(exc).__name__}: {detail})", file=sys.stderr)
            print("hint: free some space on the disk holding the index, the corpus or the output, then run "
                  "the command again; the index as last built is unchanged", file=sys.stderr)
            return DiskFull.exit_code
        print(
            f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            file=sys.stderr,
        )
        print("hint: run again with REPORTQA_DEBUG=1 for the traceback, and report it", file=sys.stderr)
        return 1
