"""The commands that ask the index: `search` (ranked passages, the debugging view of retrieval), `ask` (one
question), `chat` (an interactive session) and `trend` (one measure through every annual report).
"""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap

from reportqa.cli.render import filters_text, render_answer, render_short
from reportqa.config import Config
from reportqa.errors import ReportQAError
from reportqa.types import Filters


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `search`, `ask`, `chat` and `trend` commands."""
    s = sub.add_parser("search", help="ranked passages for a query: the debugging view of retrieval")
    s.add_argument("query")
    s.add_argument("--year")
    s.add_argument("--priority")
    s.add_argument("--report")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--no-infer", action="store_true", help="do not infer filters from the query")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    for name, func, help_ in (
        ("ask", cmd_ask, "answer one question"),
        ("chat", cmd_chat, "an interactive session"),
    ):
        s = sub.add_parser(name, help=help_)
        if name == "ask":
            s.add_argument("question")
            s.add_argument("--report")
            s.add_argument("--json", action="store_true")
            s.add_argument("--full", action="store_true",
                           help="the whole answer and every source (default: the sentence that answers and "
                                "its source)")
        s.add_argument("--year")
        s.add_argument("--priority")
        s.add_argument("--backend", choices=["extractive", "llm"])
        s.add_argument("--debug", action="store_true", help="show status, rewritten question, filters")
        s.set_defaults(func=func)

    s = sub.add_parser(
        "trend", help="one measure traced through every annual report, changed definitions flagged"
    )
    s.add_argument("measure", help='what to trace, e.g. "officer numbers"')
    s.add_argument("--year", action="append", help="only this report year (repeat for several)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_trend)


def cmd_search(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant, clean_question
    from reportqa.temporal import infer

    a = Assistant.open(config)
    q = clean_question(args.query)
    base = Filters(
        years=(a.resolve_year(args.year),) if args.year else (),
        priority=a.resolve_priority(args.priority),
        report_id=args.report,
    )
    scope = infer(q, a.reports, base) if not args.no_infer else None
    filters = scope.filters if scope else base
    hits = a.retrieve(q, filters, args.k)
    if args.json:
        rows = [{"rank": h.rank, "score": h.score, "scores": h.scores,
                 **h.passage.model_dump(mode="json", exclude={"sentences", "text"})} for h in hits]
        print(json.dumps({"query": q, "filters": filters.model_dump(mode="json"), "hits": rows}, indent=2))
        return 0
    print(f"query: {q}   filters: {filters_text(filters)}")
    width = shutil.get_terminal_size((100, 20)).columns
    for h in hits:
        p = h.passage
        stages = " ".join(f"{k}={v:.3g}" for k, v in h.scores.items())
        print(f"\n#{h.rank}  {p.report_id} ({p.year}, {p.priority})  score={h.score:.4f}  [{stages}]")
        print(f"    {p.section}   offsets {p.start}-{p.end}   id {p.id}")
        print(textwrap.indent(textwrap.fill(textwrap.shorten(p.clean, 400), width - 6), "    "))
    if not hits:
        print("no passages match")
    return 0


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant
    from reportqa.short import short_answer
    from reportqa.sources import with_sources

    a = Assistant.open(config)
    ans = a.ask(
        args.question, year=args.year, priority=args.priority, report_id=args.report, backend=args.backend
    )
    ans = with_sources(ans, a.reports)  # each citation's report address and page, where known
    urls = {r.id: r.source_url for r in a.reports}
    if args.json:
        from reportqa.index import stale_json

        # whether the corpus changed after the build (the warning on stderr says so too), files named
        data = {**ans.to_json(), "short": short_answer(ans, urls).to_json(), **stale_json(a.index.changes())}
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif args.full:
        print(render_answer(ans, args.debug))
    else:
        print(render_short(ans, urls, args.debug))
    return 0


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant
    from reportqa.sources import with_sources

    a = Assistant.open(config)
    history: list[dict[str, str]] = []
    print(f"reportqa chat — MOPAC reports: {a.coverage_text()}.\n"
          "Ask a question; 'new' starts over, 'quit' ends.")
    while True:
        try:
            q = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if q.lower() in ("quit", "exit", ":q"):
            return 0
        if q.lower() in ("new", "reset"):
            history = []
            print("(new conversation)")
            continue
        if not q:
            continue
        try:
            ans = a.ask(q, history=history, year=args.year, priority=args.priority, backend=args.backend)
        except ReportQAError as exc:
            print(f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""))
            continue
        ans = with_sources(ans, a.reports)
        if ans.rewritten_question and ans.rewritten_question != q:
            print(f"(understood as: {ans.rewritten_question})")
        print("\nreportqa> " + render_answer(ans, args.debug))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans.text}]


def cmd_trend(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant
    from reportqa.trend import render_trend

    a = Assistant.open(config)
    t = a.trend(args.measure, args.year or None)
    if args.json:
        print(json.dumps(t.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render_trend(t))
    return 0
