"""reportqa: ingest, corpus, search, ask, chat, draft, eval, serve.

Thin commands: load config, open the service, one call, render. Expected failures are printed as
`error: ...` / `hint: ...` with a non-zero exit code; REPORTQA_DEBUG=1 shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

from reportqa.config import Config, offline_environment
from reportqa.errors import InputError, ReportQAError
from reportqa.types import Answer, Filters

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


# -- ingest and corpus ----------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    from reportqa.index import ingest_lock

    if args.file is None and (args.title or args.id or args.kind or args.plan or args.published or args.url
                              or args.year):
        raise InputError("--title, --year, --id, --kind, --plan, --published and --url describe a new FILE",
                         "give the file: reportqa ingest FILE --title ... --year ...")
    if args.file is not None and args.compact:
        raise InputError("--compact rebuilds the whole index and takes no FILE",
                         "add the file first, then run: reportqa ingest --compact")
    with ingest_lock(config):  # the whole command: writing the file, indexing it and listing it
        return _ingest_locked(args, config)


def _ingest_locked(args: argparse.Namespace, config: Config) -> int:
    from reportqa.corpus import (
        Corpus,
        check_file_name,
        clear_pending,
        load_corpus,
        mark_pending,
        remove_leftovers,
        save_manifest,
    )
    from reportqa.index import ingest, sync_corpus_manifest
    from reportqa.progress import Progress

    progress = Progress.for_cli(args.quiet)  # bars on a terminal, a line per stage otherwise, none with -q
    say = progress.say
    sync_corpus_manifest(config)  # a publish killed after its swap is finished before anything else
    corpus = load_corpus(config.corpus_dir)
    for left in remove_leftovers(corpus):  # what an interrupted ingest left behind
        say(f"removed {left.name}: left by an interrupted ingest, not in the manifest")
    if args.file is None:
        result = ingest(config, corpus, progress=progress, compact=args.compact)
    else:
        report, text = new_report(args, corpus, say, config.ingest_max_bytes)
        target = check_file_name(config.corpus_dir, report.file)
        # the text goes in under a temporary name; the manifest changes only after the index swapped; until
        # then the file is marked pending, so that a killed ingest's file is removed by the next one
        mark_pending(config.corpus_dir, target.name)
        tmp = target.with_suffix(".txt.partial")
        tmp.write_text(text, encoding="utf-8")
        try:
            os.replace(tmp, target)
            new = Corpus(corpus.root, corpus.reports + (report,))
            result = ingest(config, new, progress=progress)
        except BaseException:
            if _serves(config, report.id):  # the new build already serves it: finish the publish
                with contextlib.suppress(Exception):
                    sync_corpus_manifest(config)
                    clear_pending(config.corpus_dir)
            else:
                target.unlink(missing_ok=True)
            raise
        save_manifest(new)
        clear_pending(config.corpus_dir)
        print(f"added {report.id}: {report.kind}, {_period_text(report)}, plan {report.plan or 'none'}",
              file=sys.stderr)
    out = {
        "status": result.status, "passages": result.passages, "embedded": result.embedded,
        "reused": result.reused, "build": str(result.build), "reason": result.reason,
        "seconds": round(result.seconds, 2),
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(
            f"{result.status}: {result.passages} passages, {result.embedded} embedded, "
            f"{result.reused} reused ({result.seconds:.1f}s) -> {result.build}"
        )
    return 0


def _serves(config: Config, report_id: str) -> bool:
    """Does the serving build list `report_id`? (an interrupted `ingest FILE` keeps a file it published)"""
    from reportqa.index import Layout

    current = Layout(config.index_dir).current()
    if current is None:
        return False
    try:
        built = json.loads((current / "manifest.json").read_text(encoding="utf-8"))["corpus"]
    except (OSError, ValueError, KeyError):
        return False
    return any(r.get("id") == report_id for r in built)


def _taxonomy_name(path: Path) -> str:
    """How a note names the taxonomy file: the corpus's own by its path, the shipped one by its role."""
    from reportqa.priorities import DEFAULT_TAXONOMY

    return "the plans and priorities shipped with reportqa" if path == DEFAULT_TAXONOMY else str(path)


def new_report(
    args: argparse.Namespace, corpus: Any, say: Any, max_bytes: int = 50_000_000
) -> tuple[Any, str]:
    """The manifest entry and text of a new document from `ingest FILE --title T --year PERIOD`: the period
    read (a financial year, plan period, quarter or month), the kind from --kind or the title, the plan from
    the period, and an id from the title and period (a taken id gets a suffix, and says whose it is)."""
    from reportqa import kinds
    from reportqa.corpus import (
        check_published,
        check_report_id,
        check_source_url,
        check_title,
        find_duplicate,
        page_starts,
        read_new_pages,
        sha256_text,
    )
    from reportqa.layout import unwind_text
    from reportqa.periods import parse_period
    from reportqa.priorities import load_taxonomy, taxonomy_path
    from reportqa.types import Report
    from reportqa.years import parse_plan

    path = Path(args.file)
    if not args.title or not args.year:
        raise InputError(
            "a new report needs --title and --year",
            'e.g. --title "MOPAC Annual Report 2024-25" --year 2024-25 (or a period: 2017-21, Q2 2019/20, '
            "April 2013)",
        )
    # every field is checked before the file is read or anything is written
    title = check_title(args.title)
    rid_given = check_report_id(args.id) if args.id else None
    published = check_published(args.published) if args.published else None
    url = check_source_url(args.url) if args.url else None
    period = parse_period(args.year)
    kind = kinds.resolve(args.kind) if args.kind else kinds.infer_kind(args.title, period)
    kinds.check_period(kind, period)
    taxonomy_file = taxonomy_path(corpus.root)
    taxonomy = load_taxonomy(taxonomy_file)
    if period.kind == "plan" and not args.kind and period.canonical not in {p.id for p in taxonomy.plans}:
        # "2024-27" is a typo for a financial year far more often than a new plan's page
        raise InputError(
            f"--year {args.year!r} is not a financial year, and no Police and Crime Plan {period.label} is "
            "known",
            "give the financial year, e.g. 2024-25; for a new plan's own page, add --kind plan",
        )
    notes = [f"ingested from {path.name}"]
    if kinds.is_plan(kind):
        plan = period.canonical
    elif args.plan:
        plan = parse_plan(args.plan)
    else:
        plan = taxonomy.plan_for_year(period.filed_year) or ""
        if not plan:
            notes.append(f"no Police and Crime Plan is known to cover {period.filed_year}: filed under none "
                         "(give --plan if it reports against one)")
    if not taxonomy.for_plan(plan):
        by = taxonomy.classifying_plan(plan, period.filed_year)
        notes.append(f"no priority taxonomy for {'plan ' + plan if plan else 'this document'} in "
                     f"{_taxonomy_name(taxonomy_file)}: priorities assigned from content"
                     + (f", by the {by} plan's terms" if by else ""))
    text, shape, pdf_pages = read_new_pages(path, max_bytes)
    text = unwind_text(text)  # columns set side by side, stored in reading order (`layout`)
    pages = page_starts(text, pdf_pages) if pdf_pages else ()  # where each PDF page starts, for citations
    digest = sha256_text(text)
    dup = find_duplicate(corpus, text)  # up to line endings, whitespace and Unicode form
    if dup is not None:
        raise InputError(f"{path}: this text is already in the corpus as {dup.id!r} ({dup.title!r})",
                         "nothing to do (copies that differ only in line endings or spacing count as one)")
    taken = {r.id: r for r in corpus.reports}
    if args.id:
        rid = rid_given or check_report_id(args.id)
        if rid in taken:
            raise InputError(
                f"{path}: the id {rid!r} is already {taken[rid].title!r} ({taken[rid].file})",
                "give another --id, or leave it out to have one made from the title and period",
            )
    else:
        base = kinds.default_id(args.title, kind, period)
        rid, n = base, 1
        while rid in taken:
            n += 1
            rid = f"{base}-{n}"
        if rid != base:  # said even with -q: the user should know which id the document got
            print(f"note: {base} is already {taken[base].title!r}; {args.title!r} is filed as {rid}",
                  file=sys.stderr)
    for note in notes[1:]:
        say(f"note: {note}")
    report = Report(
        id=rid,
        file=f"{rid}.txt",
        title=title,
        kind=kind,
        shape=shape,
        year=period.filed_year,
        plan=plan,
        published=published,
        source_url=url,
        notes="; ".join(notes),
        sha256=digest,
        period=period.canonical if period.canonical != period.filed_year else None,
        pages=pages,
    )
    return report, text


def _period_text(r: Any) -> str:
    from reportqa.kinds import period

    return period(r).label


def cmd_corpus(args: argparse.Namespace, config: Config) -> int:
    from reportqa.corpus import load_corpus, save_manifest, sha256_file
    from reportqa.embed import Tokens
    from reportqa.index import passages_for
    from reportqa.parse import parse_report
    from reportqa.priorities import assign, load_taxonomy, taxonomy_path

    corpus = load_corpus(config.corpus_dir)
    if args.action == "list":
        for r in corpus.reports:
            print(f"{r.id:30} {r.kind:20} {_period_text(r):12} {r.plan or '-':8} {r.title}")
        return 0
    if args.action == "rehash":
        if not args.id:
            raise InputError("which report?", "reportqa corpus rehash REPORT_ID")
        report = corpus.get(args.id)
        try:  # the edited text must still be a report: readable UTF-8 that the parser makes passages of
            text = corpus.read(report)
        except UnicodeDecodeError as exc:
            raise InputError(f"{corpus.path(report)}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                             "the manifest keeps its old checksum", "save the file as UTF-8") from exc
        except OSError as exc:
            raise InputError(f"{corpus.path(report)}: cannot be read ({exc.strerror or exc})",
                             "check the file and its permissions") from exc
        if not passages_for(report, text, config, Tokens()):
            what = "empty" if not text.strip() else "no report text in it"
            raise InputError(f"{corpus.path(report)}: {what}; the manifest keeps its old checksum",
                             "restore the report's text (e.g. git checkout), then rehash it")
        digest = sha256_file(corpus.path(report))
        if digest == report.sha256:
            print(f"{report.id}: unchanged; nothing to do")
            return 0
        new = [r.model_copy(update={"sha256": digest}) if r.id == report.id else r for r in corpus.reports]
        save_manifest(type(corpus)(corpus.root, tuple(new)))
        print(f"{report.id}: checksum updated; run `reportqa ingest` to re-index it")
        return 0
    if not args.id:
        raise InputError("which report?", "reportqa corpus show REPORT_ID (see `reportqa corpus list`)")
    report = corpus.get(args.id)
    source = corpus.read(report)
    taxonomy = load_taxonomy(taxonomy_path(config.corpus_dir))
    sections = [
        assign(s, report.plan, taxonomy, report.year)
        for s in parse_report(source, report.id, report.title, report.shape)
    ]
    passages = passages_for(report, source, config, Tokens())
    # the fitted classifier of text about the readers, on the sentences' vectors (as ingest does)
    from reportqa.embed import Embedder
    from reportqa.hostile import model_texts, why, with_model_flags

    texts = sorted({x.text for p in passages for x in p.sentences} | set(model_texts(passages)))
    vectors = dict(zip(texts, Embedder(config.embed_batch_size).embed(texts), strict=True))
    passages = with_model_flags(passages, vectors.__getitem__)
    # sentences flagged as hostile text (lexicon/hostile.toml), never cited: once each, in source order
    flagged = sorted({(x.start, x.end, x.flags, x.text) for p in passages for x in p.sentences if x.flags})
    if args.json:
        rows = [{"index": s.index, "path": list(s.path), "priority": s.priority, "from": s.priority_source,
                 "start": s.start, "end": s.end, "blocks": len(s.blocks),
                 "flagged": [{"start": a, "end": z, "flags": list(f), "why": [why(x) for x in f], "text": t}
                             for a, z, f, t in flagged if s.start <= a < s.end]} for s in sections]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{report.title} ({report.kind}, {_period_text(report)}, plan {report.plan or 'none'}): "
          f"{len(sections)} sections, {len(passages)} passages")
    if report.notes:
        print(f"  notes: {report.notes}")
    for s in sections:
        label = taxonomy.label(s.priority)[:40]
        print(f"  [{s.index:02d}] {label:40} ({s.priority_source:7}) {' > '.join(s.path)}")
        if args.verbose:
            for b in s.blocks:
                print(textwrap.indent(textwrap.shorten(b.text, 150), f"        {b.kind[:4]} "))
    if flagged:
        print(f"  flagged, never cited ({len(flagged)} sentences; rules in lexicon/hostile.toml):")
        for a, z, f, t in flagged:
            print(f"    chars {a}-{z} [{', '.join(f)}] {textwrap.shorten(t, 110)!r}")
            for x in f:
                print(f"      {x}: {why(x)}")
    else:
        print("  flagged: none")
    return 0


# -- search, ask, chat -------------------------------------------------------------------------


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
    print(f"query: {q}   filters: {_filters_text(filters)}")
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


def _filters_text(f: Filters) -> str:
    parts = [f"year={','.join(f.years)}" if f.years else "", f"plan={f.plan}" if f.plan else "",
             f"priority={f.priority}" if f.priority else "", f"report={f.report_id}" if f.report_id else ""]
    return " ".join(p for p in parts if p) or "none"


def render_answer(ans: Answer, debug: bool = False) -> str:
    from reportqa.display import clean_quote, clean_text

    lines = [clean_text(ans.text)]
    if ans.citations:
        lines.append("\nSources:")
        for c in ans.citations:
            quote = textwrap.shorten(clean_quote(c.quote), 200)
            page = f", p. {c.page}" if c.page else ""
            lines.append(f"  [{c.marker}] {c.title} ({c.year}), {c.section}{page} — \"{quote}\""
                         f" (chars {c.start}-{c.end})" + (f" {c.source_url}" if c.source_url else ""))
    if ans.related:
        lines.append("\nRelated passages:")
        for c in ans.related:
            quote = textwrap.shorten(clean_quote(c.quote), 160)
            lines.append(f"  - {c.title} ({c.year}), {c.section} — \"{quote}\"")
    if debug:
        lines.append(f"\n[status={ans.status} backend={ans.backend} rewritten={ans.rewritten_question!r} "
                     f"filters={_filters_text(ans.filters)} notes={list(ans.notes)}]")
    return "\n".join(lines)


def render_short(ans: Answer, urls: dict[str, str | None], debug: bool = False) -> str:
    """The short answer `ask` prints by default: the sentence that answers, then one source line (the report,
    its year, its address when recorded); `--full` prints `render_answer` instead (`reportqa.short`)."""
    from reportqa.short import short_answer, source_line

    short = short_answer(ans, urls)
    lines = [short.text]
    if line := source_line(short):
        lines.append(line)
    if ans.status == "not_found" and ans.related:
        lines.append(f"(--full: the {len(ans.related)} closest passages)")
    elif short.more or len(ans.citations) > 1:
        n = len(ans.citations)
        lines.append(f"(--full: the whole answer and its {n} source{'s' if n != 1 else ''})")
    if debug:
        lines.append(f"\n[status={ans.status} backend={ans.backend} rewritten={ans.rewritten_question!r} "
                     f"filters={_filters_text(ans.filters)} notes={list(ans.notes)}]")
    return "\n".join(lines)


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


# -- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reportqa", description="Answers with verified citations from MOPAC's reports."
    )
    p.add_argument("--index", help="index directory (default: ./index or REPORTQA_INDEX_DIR)")
    p.add_argument("--corpus", help="corpus directory (default: ./corpus or REPORTQA_CORPUS_DIR)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("ingest", help="index the corpus, or add a new report file")
    s.add_argument("file", nargs="?", help="a new report (.txt, .md, .html or .pdf)")
    s.add_argument("--title")
    s.add_argument("--year", "--period", dest="year",
                   help="the period it covers: a financial year (2024-25, 2024/25, FY2024/25), a plan "
                        "period (2017-21), a quarter (Q2 2019/20) or a month (April 2013)")
    s.add_argument("--id", help="report id (default: from the title and period, e.g. mopac-qpr-2019-20-q2)")
    s.add_argument("--kind", help="annual report, report summary, plan, plan page, quarterly report, "
                                  "decision notice, business plan update or meeting slides (default: from "
                                  "the title)")
    s.add_argument("--plan", help="the Police and Crime Plan it reports against (default: from the period)")
    s.add_argument("--published", help="publication date, YYYY-MM-DD")
    s.add_argument("--url", help="source URL")
    s.add_argument("--compact", action="store_true",
                   help="copy every stored vector into a new Chroma collection (nothing is re-embedded), for "
                        "an index that earlier versions' rebuilds left slower to search; the old collection "
                        "is dropped by the next ingest that builds, once no running server can be using it")
    s.add_argument("--json", action="store_true")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("corpus", help="list reports, show a report's sections and priorities, rehash")
    s.add_argument("action", choices=["list", "show", "rehash"])
    s.add_argument("id", nargs="?")
    s.add_argument("--json", action="store_true")
    s.add_argument("-v", "--verbose", action="store_true", help="show the blocks of each section")
    s.set_defaults(func=cmd_corpus)

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


if __name__ == "__main__":
    sys.exit(main())
