"""`reportqa draft`: the command line for Mayor's Question drafts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reportqa.errors import InputError

if TYPE_CHECKING:
    from reportqa.config import Config
from reportqa.mq.analysis import analyse
from reportqa.mq.draft import draft_mq
from reportqa.mq.render import to_docx, to_markdown


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "draft", help="draft an answer to a Mayor's Question, part by part, with sources"
    )
    p.add_argument("text", nargs="?", help="the question as tabled ('-' reads standard input)")
    p.add_argument("--file", help="read the question from a text file")
    p.add_argument("--format", choices=["md", "docx"], default="md", help="output format (default md)")
    p.add_argument("--out", help="write the draft to this file (required for docx)")
    p.add_argument("--json", action="store_true", help="print the draft as JSON")
    p.add_argument("--max-parts", type=int, default=8, help="answer at most this many parts (default 8)")
    p.add_argument("--backend", choices=["extractive", "llm"])
    p.set_defaults(func=cmd_draft)


def _read_question(args: argparse.Namespace) -> str:
    if args.file and args.text:
        raise InputError("give the question as text or with --file, not both",
                         "reportqa draft --file question.txt")
    if args.file:
        path = Path(args.file)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(f"{path}: no such file", "check the path given to --file") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text", "save the question as plain text (UTF-8)") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot read it ({exc.strerror})",
                             "check the path given to --file") from exc
    if args.text == "-":
        return sys.stdin.read()
    if args.text:
        return str(args.text)
    raise InputError("no question given",
                     "reportqa draft \"Will the Mayor tell me (a) ..., (b) ...?\" or --file question.txt")


def cmd_draft(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant

    text = _read_question(args)
    if args.format == "docx" and not args.out:
        raise InputError("a Word draft needs --out",
                         "e.g. reportqa draft --file q.txt --format docx --out draft.docx")
    if args.max_parts < 1:
        raise InputError("--max-parts must be at least 1", "e.g. --max-parts 8")
    if not text.strip():
        analyse(text)  # raises the empty-question error with its hint
    assistant = Assistant.open(config)
    draft = draft_mq(assistant, text, max_parts=args.max_parts, backend=getattr(args, "backend", None))
    if args.out:
        out = Path(args.out)
        if args.format == "docx":
            to_docx(draft, out)
        else:
            try:
                out.write_text(to_markdown(draft), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"cannot write {out}: {exc.strerror or exc}",
                                 "choose another --out path") from exc
        print(f"wrote {out}", file=sys.stderr)
    if args.json:
        print(json.dumps(draft.to_json(), indent=2, ensure_ascii=False))
    elif not args.out:
        print(to_markdown(draft))
    return 0
