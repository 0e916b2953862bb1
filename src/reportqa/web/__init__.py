"""The web front ends: `reportqa serve` (officer workspace + public widget API) and `reportqa feedback`.

Nothing heavy is imported here: FastAPI, Gradio and the service load when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reportqa.config import Config
from reportqa.errors import InputError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = subparsers.add_parser("serve", help="run the officer workspace and the public widget API")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    s.add_argument("--no-ui", action="store_true",
                   help="serve only the API and the widget, not the workspace")
    s.set_defaults(func=cmd_serve)

    s = subparsers.add_parser("feedback", help="export the officers' helpful / not helpful feedback")
    fsub = s.add_subparsers(dest="feedback_action", required=True, metavar="ACTION")
    e = fsub.add_parser("export", help="write the feedback as CSV")
    e.add_argument("--out", required=True, help="CSV file to write ('-' for standard output)")
    e.add_argument("--db", help="feedback database (default: config api.feedback_db)")
    e.set_defaults(func=cmd_feedback_export)


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from reportqa.web.api import create_app
    from reportqa.web.server import run

    app = create_app(config, ui=not args.no_ui, warm=True)
    local = args.host in ("127.0.0.1", "localhost", "::1")
    if not args.no_ui and config.api.workspace_auth is None and not local:
        print(f"warning: the officer workspace is open to anyone who can reach {args.host}; set "
              "REPORTQA_API__WORKSPACE_AUTH=user:password, or serve the public widget with --no-ui",
              file=sys.stderr)
    where = f"http://{args.host}:{args.port}"
    print(f"reportqa: workspace at {where}/ , widget at {where}/widget.js , API at {where}/api/v1/ask",
          file=sys.stderr)
    # uvicorn on h11 with limits on a request's head (size, fields) and timeouts on its head and body; the
    # client address never rewritten from X-Forwarded-For (`web.server`)
    run(app, args.host, args.port)
    return 0


def cmd_feedback_export(args: argparse.Namespace, config: Config) -> int:
    import tempfile

    from reportqa.web.feedback import FeedbackStore

    db = Path(args.db) if args.db else config.api.feedback_db
    if not db.is_file():
        raise InputError(f"no feedback database at {db}",
                         "pass --db FILE, or set REPORTQA_API__FEEDBACK_DB to the server's api.feedback_db")
    store = FeedbackStore(db)
    if args.out == "-":
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "feedback.csv"
            n = store.export_csv(out)
            sys.stdout.write(out.read_text(encoding="utf-8"))
    else:
        n = store.export_csv(Path(args.out))
        print(f"{n} feedback rows written to {args.out}", file=sys.stderr)
    return 0
