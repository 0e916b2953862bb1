"""Building an index: reports -> passages (parse, chunk, classify), and `ingest`, which brings the index up to
date with the corpus and publishes the new build by one atomic swap (`store.Layout.swap`).

Only reports whose segment is missing are parsed and embedded; the vectors of unchanged text are reused from
their previous segment. The steps (PUBLISH_STEPS) are named so tests can stop an ingest at any of them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportqa.chunk import chunk_report
from reportqa.config import Config
from reportqa.corpus import MANIFEST, Corpus, load_corpus
from reportqa.embed import Embedder, Tokens
from reportqa.errors import DiskFull, InputError, ReportQAError, disk_full, is_disk_full
from reportqa.hostile import model_texts, with_model_flags
from reportqa.index.caches import LOCKS
from reportqa.index.chroma import add_to_chroma, cleanup, listing, pending_segments, target_collection
from reportqa.index.fingerprints import fingerprint, index_settings
from reportqa.index.keys import embed_text, segment_key, sentence_key, sentence_texts
from reportqa.index.segments import Segment, keyed, write_segment
from reportqa.index.store import (
    Layout,
    Manifest,
    corpus_manifest_read,
    files_record,
    ingest_manifest,
    record_files,
    segments_present,
    sync_corpus_manifest,
    write_build,
)
from reportqa.parse import parse_report
from reportqa.priorities import assign, load_taxonomy, taxonomy_path
from reportqa.progress import Progress
from reportqa.types import Passage, Report

log = logging.getLogger("reportqa.index")  # one logger for the package, as when it was one module

EMBED_STEP = 64  # texts per progress step while embedding
# Test hooks: ingest raises ReportQAError at the named step (see PUBLISH_STEPS) when set to it.
PUBLISH_STEPS = ("embedded", "segments", "chroma", "build", "swap", "corpus_manifest", "cleanup")
_fail_at: str | None = None

INGEST_DISK_HINT = ("free some space on that disk, then run `reportqa ingest` again (it removes what this "
                    "one left); the index as last built keeps serving")


def _checkpoint(step: str) -> None:
    if _fail_at == step:
        raise ReportQAError(f"ingest interrupted at {step} (test hook)")


# -- passages -------------------------------------------------------------------------------------------


def build_passages(corpus: Corpus, config: Config, tokens: Tokens | None = None) -> list[Passage]:
    tokens = tokens or Tokens()
    out: list[Passage] = []
    for report in corpus.reports:
        out.extend(passages_for(report, corpus.read(report), config, tokens))
    return out


def passages_for(report: Report, source: str, config: Config, tokens: Tokens) -> list[Passage]:
    taxonomy = load_taxonomy(taxonomy_path(config.corpus_dir))
    sections = [
        assign(s, report.plan, taxonomy) for s in parse_report(source, report.id, report.title, report.shape)
    ]
    return chunk_report(report, source, sections, tokens.count, config.chunk, taxonomy)


# -- ingest ---------------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    status: str  # "unchanged" | "built"
    passages: int
    embedded: int
    reused: int
    build: Path
    reason: str = ""
    seconds: float = 0.0
    reports: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, for the benches


@contextlib.contextmanager
def ingest_lock(config: Config) -> Iterator[None]:
    """One ingest at a time on an index: an exclusive flock on index/.ingest.lock, re-entrant within this
    process (`reportqa ingest FILE` holds it across writing the file, indexing and listing it). Raises
    InputError at once when another process holds it; the lock goes with the process, even when killed."""
    import fcntl

    key = str(config.index_dir.resolve())
    if key in LOCKS:
        LOCKS[key][1] += 1
        try:
            yield
        finally:
            LOCKS[key][1] -= 1
        return
    config.index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.index_dir / ".ingest.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(f"another `reportqa ingest` is running on the index at {config.index_dir}",
                         "wait for it to finish, then run this again") from None
    LOCKS[key] = [fd, 1]
    try:
        yield
    finally:
        del LOCKS[key]
        os.close(fd)


def ingest(
    config: Config,
    corpus: Corpus | None = None,
    progress: Progress | Callable[[str], None] | None = None,
    embedder: Embedder | None = None,
    _fail_after_embedding: bool = False,
    compact: bool = False,
) -> IngestResult:
    """Bring the index up to date with `corpus` (default: the corpus directory's manifest).

    Only reports whose segment is missing are parsed and embedded (vectors of unchanged text reused from
    the report's previous segment). Everything is written beside the serving build and published by one
    atomic replace of CURRENT; then the corpus manifest is brought in step with the build (a report added
    with `reportqa ingest FILE` is listed only once its index serves). Raises InputError for a corpus
    that does not verify, ReportQAError from the embedder or Chroma; the previous build keeps serving.
    `compact`: build anew even when nothing changed, every passage copied into a new Chroma collection (the
    stored vectors, nothing embedded), the old one dropped once no kept build uses it. Holds `ingest_lock`.
    """
    with ingest_lock(config):
        try:
            return _ingest(config, corpus, progress, embedder, _fail_after_embedding, compact)
        except DiskFull:
            raise
        except Exception as exc:  # a write that found the disk full, wherever it was
            if not is_disk_full(exc):
                raise
            raise disk_full(f"writing the index at {config.index_dir}", INGEST_DISK_HINT) from exc
def _ingest(
    config: Config,
    corpus: Corpus | None,
    progress: Progress | Callable[[str], None] | None,
    embedder: Embedder | None,
    _fail_after_embedding: bool,
    compact: bool,
) -> IngestResult:
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    prog = Progress.from_callable(progress if progress is not None else (lambda msg: log.info(msg)))
    layout = Layout(config.index_dir)
    current = layout.current()
    old: Manifest = {}
    if current is not None:
        old = ingest_manifest(current)
        sync_corpus_manifest(config, (current, old))
    on_disk = corpus_manifest_read(config)  # the records, and a digest of the file as the build started
    corpus = corpus or load_corpus(config.corpus_dir)
    if not corpus.reports and old.get("corpus"):  # an emptied manifest never replaces a working index
        raise InputError(f"{config.corpus_dir / MANIFEST} lists no reports; the index of "
                         f"{len(old['corpus'])} reports keeps serving",
                         "restore the manifest (e.g. git checkout corpus/manifest.json); to start an empty "
                         "collection, use a new --index directory")
    touched = corpus.verify(known=old.get("files"))  # files unchanged since the build are not hashed again
    settings = index_settings(config)
    settings_json = json.dumps(settings, sort_keys=True)
    keys = {r.id: segment_key(r, settings_json) for r in corpus.reports}
    fp = fingerprint(corpus, config, keys, settings)
    if (current is not None and old.get("fingerprint") == fp and not compact
            and segments_present(layout, old)):
        if touched:  # touched, not changed (a checkout, a copy): recorded, so no command hashes them again
            record_files(current, old, touched)
        prog.say("index is up to date: nothing to embed")
        _ensure_query_graph(config, fp["model"], embedder, prog)  # an index built before graphs existed
        return IngestResult(
            "unchanged", int(old["passages"]), 0, 0, current, "fingerprint unchanged",
            time.perf_counter() - t0,
        )
    old_fp = old.get("fingerprint", {})
    same_space = bool(old) and old_fp.get("model") == fp["model"] and old_fp.get("chunker") == fp["chunker"]
    reason = "new index" if not old else ("compacting" if compact and old.get("fingerprint") == fp else
                                          "corpus changed" if same_space else
                                           "model or chunker changed: rebuilding every vector")
    # a segment directory is complete once it has its name (written beside it, then renamed): those the
    # serving build lists are not opened again, so adding one report to 1,000 costs one directory listing
    present = set(os.listdir(layout.segments)) if layout.segments.is_dir() else set()
    if compact:  # maintenance reads every segment back: one that does not read whole is rebuilt
        present -= {keys[r.id] for r in corpus.reports if keys[r.id] in present
                    and not Segment(keys[r.id], layout.segments / keys[r.id]).intact()}
    listed = {s["key"] for s in old.get("segments", [])}
    todo_reports = [
        r for r in corpus.reports
        if keys[r.id] not in present
        or (keys[r.id] not in listed and not (layout.segments / keys[r.id] / "segment.json").is_file())
    ]
    kept = len(corpus.reports) - len(todo_reports)

    timings["prepare"] = time.perf_counter() - t0  # manifests read, corpus verified, segments listed
    # parse and chunk only the reports without a segment
    t = time.perf_counter()
    tokens = Tokens()
    new_passages: dict[str, list[Passage]] = {}
    with prog.stage(f"parsing and chunking {len(todo_reports)} of {len(corpus.reports)} reports",
                    len(todo_reports)) as advance:
        for r in todo_reports:
            new_passages[r.id] = passages_for(r, corpus.read(r), config, tokens)
            advance(1)
    timings["parse"] = time.perf_counter() - t

    # vectors of unchanged text come from the report's previous segment (or an older build's .npy files)
    pvec: dict[str, Any] = {}
    svec: dict[str, Any] = {}
    if same_space and new_passages:
        for seg_dir in _reuse_sources(layout, current, old, set(new_passages)):
            pv, sv = Segment(seg_dir.name, seg_dir).keyed_vectors() if seg_dir.is_dir() else ({}, {})
            pvec.update(pv)
            svec.update(sv)
        if current is not None and "segments" not in old:  # a format-3 build: one pair for the collection
            pvec.update(keyed(current, "passages.npy", "passage_keys.json"))
            svec.update(keyed(current, "sentences.npy", "sentence_keys.json"))
    all_new = [p for ps in new_passages.values() for p in ps]
    ptexts = {sentence_key(embed_text(p)): embed_text(p) for p in all_new}
    # the sentences, and the cells of table rows the classifier of text about the readers also reads
    stexts = {sentence_key(s): s for s in [*sentence_texts(all_new), *model_texts(all_new)]}
    p_todo = sorted(k for k in ptexts if k not in pvec)
    s_todo = sorted(k for k in stexts if k not in svec)
    p_missing = set(p_todo)
    embedded = sum(1 for p in all_new if sentence_key(embed_text(p)) in p_missing)
    prog.say(f"{kept} reports unchanged; {len(all_new)} passages in {len(todo_reports)} reports: "
             f"{len(all_new) - embedded} reused, {embedded} to embed ({reason})")
    t = time.perf_counter()
    todo_texts = [(k, ptexts[k], pvec) for k in p_todo] + [(k, stexts[k], svec) for k in s_todo]
    if todo_texts:
        embedder = embedder or Embedder(config.embed_batch_size)
        with prog.stage(f"embedding {len(p_todo)} passages and {len(s_todo)} sentences",
                        len(todo_texts)) as advance:
            for i in range(0, len(todo_texts), EMBED_STEP):
                part = todo_texts[i : i + EMBED_STEP]
                arr = embedder.embed([text for _, text, _ in part])
                for (k, _, into), v in zip(part, arr, strict=True):
                    into[k] = v
                advance(len(part))
    timings["embed"] = time.perf_counter() - t
    if _fail_after_embedding:  # used by the crash test: the process dies here
        raise ReportQAError("ingest interrupted (test hook)")
    _checkpoint("embedded")
    # text about the document's readers, decided on the sentence vectors just computed or reused
    new_passages = {rid: with_model_flags(ps, lambda text: svec[sentence_key(text)])
                    for rid, ps in new_passages.items()}
    # before the swap, so the first query on the new build finds the graph of its model
    _ensure_query_graph(config, fp["model"], embedder, prog)

    t = time.perf_counter()
    for r in todo_reports:
        write_segment(layout, keys[r.id], new_passages[r.id], pvec, svec)
    timings["segments"] = time.perf_counter() - t
    _checkpoint("segments")

    t = time.perf_counter()
    collections = listing(config, layout)
    collection, in_store = target_collection(config, old, keys, new_passages, corpus, collections, compact)
    outside = [(keys[r.id], new_passages.get(r.id)) for r in corpus.reports if keys[r.id] not in in_store]
    pending = pending_segments(old, collection, in_store, outside)
    if pending is None:
        pending = []
        fresh = not in_store and collection != old.get("collection")
        add_to_chroma(config, layout, collection, outside, prog, fresh_collection=fresh, listed=collections)
    timings["chroma"] = time.perf_counter() - t
    _checkpoint("chroma")

    t = time.perf_counter()
    known = {s["key"]: s for s in old.get("segments", []) if "passages" in s and "sentences" in s}
    files = files_record(corpus, old.get("files") or {}, touched)
    build, written = write_build(config, layout, corpus, keys, fp, on_disk, timings, known, collection,
                                  files, pending)
    timings["build"] = time.perf_counter() - t
    _checkpoint("build")
    t = time.perf_counter()
    layout.swap(build)
    _checkpoint("swap")
    # the commit is done: what follows only brings the corpus manifest in step and frees space
    try:
        sync_corpus_manifest(config, (build, written))
    except OSError as exc:  # the next command that opens the index tries again
        log.warning("could not update %s: %s", config.corpus_dir / MANIFEST, exc)
    _checkpoint("corpus_manifest")
    timings["publish"] = time.perf_counter() - t  # CURRENT replaced, the corpus manifest brought in step
    t = time.perf_counter()
    try:
        read = {build.name: written, **({current.name: old} if current else {})}
        cleanup(config, layout, keep={build.name, current.name if current else ""}, read=read,
                 listed=collections)
        from reportqa.onnx_embed import prune

        prune(config.index_dir, keep={fp["model"], old_fp.get("model", fp["model"])})
        _checkpoint("cleanup")
    except OSError as exc:  # leftovers cost only space; the next ingest tries again
        log.warning("could not remove old index files: %s", exc)
    timings["cleanup"] = time.perf_counter() - t
    total = int(written["passages"])
    prog.say(f"index ready: {build}")
    return IngestResult(
        "built", total, embedded, total - embedded, build, reason, time.perf_counter() - t0,
        [r.id for r in corpus.reports], timings,
    )


def _reuse_sources(
    layout: Layout, current: Path | None, old: Manifest, report_ids: set[str]
) -> list[Path]:
    """The previous segments of the reports being (re)built, whose vectors of unchanged text are reused."""
    if current is None:
        return []
    return [layout.segments / s["key"] for s in old.get("segments", []) if s["report_id"] in report_ids]


def _ensure_query_graph(config: Config, fingerprint: str, embedder: Embedder | None, prog: Progress) -> None:
    """The model exported to ONNX next to the index, for the query path (onnx_embed), unless it is there."""
    from reportqa import onnx_embed

    if onnx_embed.has_graph(config.index_dir, fingerprint):
        return
    prog.say("exporting the embedding model to ONNX, for fast query start-up")
    onnx_embed.install(config.index_dir, fingerprint, embedder or Embedder(config.embed_batch_size))
