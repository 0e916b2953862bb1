"""`reportqa ingest`: index the corpus, or add a new report file to it (the manifest entry made from
--title, --year and the other options, the text read and checked, published only once the index serves it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from reportqa.cli.render import period_text
from reportqa.config import Config
from reportqa.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `ingest` command."""
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
        print(f"added {report.id}: {report.kind}, {period_text(report)}, plan {report.plan or 'none'}",
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
