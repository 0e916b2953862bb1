"""`reportqa corpus`: list the reports, show a report's sections, priorities and flagged sentences, or rehash
a report whose text was edited.
"""

from __future__ import annotations

import argparse
import json
import textwrap

from reportqa.cli.render import period_text
from reportqa.config import Config
from reportqa.errors import InputError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `corpus` command."""
    s = sub.add_parser("corpus", help="list reports, show a report's sections and priorities, rehash")
    s.add_argument("action", choices=["list", "show", "rehash"])
    s.add_argument("id", nargs="?")
    s.add_argument("--json", action="store_true")
    s.add_argument("-v", "--verbose", action="store_true", help="show the blocks of each section")
    s.set_defaults(func=cmd_corpus)


def cmd_corpus(args: argparse.Namespace, config: Config) -> int:
    from reportqa.corpus import load_corpus, save_manifest, sha256_file
    from reportqa.embed import Tokens
    from reportqa.index import passages_for
    from reportqa.parse import parse_report
    from reportqa.priorities import assign, load_taxonomy, taxonomy_path

    corpus = load_corpus(config.corpus_dir)
    if args.action == "list":
        for r in corpus.reports:
            print(f"{r.id:30} {r.kind:20} {period_text(r):12} {r.plan or '-':8} {r.title}")
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
    print(f"{report.title} ({report.kind}, {period_text(report)}, plan {report.plan or 'none'}): "
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
