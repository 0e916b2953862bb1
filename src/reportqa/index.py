"""Per-report segments + Chroma + a BM25 sidecar + a manifest; new builds published by one atomic swap.

Layout under `index_dir`:
    CURRENT                 the name of the build that serves (replaced atomically: the one commit point)
    builds/<name>/
        manifest.json       fingerprint (corpus checksums, model, chunker, taxonomy), counts, the segments
                            (one per report) in order, those not yet in Chroma (`pending`), the corpus
                            manifest it was built from, and each corpus file's size, mtime and sha256 (for
                            the stale-index warning)
    segments/<key>/         one report, immutable, named by a digest of the report and the settings:
        passages.jsonl      every passage with its metadata, sentences and offsets
        passages.npy        the passage vectors as embedded (what a later ingest reuses), passage_keys.json
        sentences.npy       the sentence vectors, sentence_keys.json
        bm25.npz            its passages' BM25 term counts (bm25.Postings)
    chroma/                 the persistent Chroma collection shared by the builds (unless a Chroma server is
                            configured): entries `<segment>:<passage id>`, so a build sees only its segments
    models/<fingerprint>/   the embedding model exported to ONNX for the query path (onnx_embed.py)

Adding one report writes one segment and a manifest: the other reports are neither parsed, embedded,
tokenised nor copied. Its passages wait as `pending` (searched exactly, from the segment's passages.npy)
until more than PENDING_MAX_PASSAGES wait; the ingest that passes it adds them all to Chroma in one call, so
a small add does not pay Chroma's fixed cost of an add (10-20 ms at 1,000 reports). A kill at any point
leaves CURRENT naming the previous build, whose segments and Chroma entries are untouched; the next ingest
removes what the kill left.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from reportqa.chunk import CHUNKER_VERSION, chunk_report
from reportqa.config import Config
from reportqa.corpus import MANIFEST, Corpus, load_corpus, save_manifest, sha256_file
from reportqa.embed import Embedder, Tokens, model_fingerprint
from reportqa.errors import (
    DiskFull,
    IndexMissing,
    InputError,
    ReportQAError,
    StoreUnavailable,
    disk_full,
    is_disk_full,
)
from reportqa.hostile import MODEL as HOSTILE_MODEL
from reportqa.hostile import with_model_flags
from reportqa.lexicon import read_text as read_lexicon
from reportqa.parse import parse_report
from reportqa.priorities import assign, load_taxonomy, taxonomy_path
from reportqa.progress import Progress
from reportqa.text import tokenize
from reportqa.types import Filters, Passage, Report
from reportqa.vector_model import model_text

if TYPE_CHECKING:
    import numpy as np

    from reportqa.bm25 import BM25

log = logging.getLogger(__name__)
T = TypeVar("T")
PARSER_VERSION = "parse-v2"  # v2: layout (viewer lines, cover facts, columns, tables), page titles
# The build layout: 2 added sentence vectors (sentences.npy) and exact, single-threaded HNSW settings;
# 3 added the passage vectors (passages.npy), the copy an incremental ingest reuses; 4 split the build into
# per-report segments, a shared Chroma collection and per-segment BM25 counts.
INDEX_FORMAT = 4
# HNSW built on one thread with a wide search beam: the same corpus gives the same neighbours on any
# machine (a multi-threaded build inserts in a racy order, and a narrow beam then misses different
# passages on different builds). Checked with chromadb 1.5.9: the collection's configuration keeps ef 200
# but not num_threads, and below its sync_threshold (1000) the vectors stay in the SQLite log, so the graph
# is rebuilt on open; with ef above the passage count its results equal exact search. Retriever.dense then
# ranks near-ties by id, so the walk order never decides a rank.
HNSW = {"hnsw:space": "cosine", "hnsw:num_threads": 1, "hnsw:construction_ef": 200, "hnsw:search_ef": 200}
EMBED_STEP = 64  # texts per progress step while embedding
# Test hooks: ingest raises ReportQAError at the named step (see PUBLISH_STEPS) when set to it.
PUBLISH_STEPS = ("embedded", "segments", "chroma", "build", "swap", "corpus_manifest", "cleanup")
_fail_at: str | None = None


def _checkpoint(step: str) -> None:
    if _fail_at == step:
        raise ReportQAError(f"ingest interrupted at {step} (test hook)")


# -- passages -------------------------------------------------------------------------------


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


def embed_text(p: Passage) -> str:
    return header_for(p) + "\n" + p.clean


def header_for(p: Passage) -> str:
    return f"{p.title} ({p.year}). {p.section}."


def bm25_tokens(p: Passage) -> list[str]:
    """What BM25 indexes for a passage: its header and text, tokenised as queries are."""
    return tokenize(header_for(p) + " " + p.clean) or ["_"]


# The code that turns a report into passages and sentences. Its digest is part of the index settings, so a
# change to how reports are read re-chunks them at the next ingest (their vectors are reused by text): an
# index left by older code never serves, and the same code gives the same eval figures on any machine.
PASSAGE_CODE = (
    "parse.py", "layout.py", "chunk.py", "text.py", "priorities.py", "periods.py", "kinds.py", "corpus.py",
    "lexicon/layout.toml", "lexicon/kinds.toml", "lexicon/words.txt",
)


def passage_code_digest() -> str:
    """A digest of the files in PASSAGE_CODE (those present), 16 hex characters."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for name in PASSAGE_CODE:
        path = root / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _settings(config: Config) -> dict[str, Any]:
    return {
        "code": passage_code_digest(),
        "model": model_fingerprint(),
        "chunker": {**config.chunk.model_dump(), "chunker": CHUNKER_VERSION, "parser": PARSER_VERSION},
        "taxonomy": hashlib.sha256(taxonomy_path(config.corpus_dir).read_bytes()).hexdigest()[:16],
        # Sentence.flags: the rules and the fitted classifier of text about the document's readers
        "hostile": hashlib.sha256((read_lexicon("hostile") + model_text(HOSTILE_MODEL)).encode("utf-8")
                                  ).hexdigest()[:16],
        "format": INDEX_FORMAT,
    }


def fingerprint(corpus: Corpus, config: Config, keys: dict[str, str] | None = None,
                settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a build is made of: the settings (model, chunker, parsing code...) and a digest of the reports'
    ids and segment keys in order (each key a digest of the report's record and the settings), so equal
    fingerprints mean an equal index. 32 hex characters, not the records: a build's manifest is read and
    written on every add, and at 1,000 reports the records doubled its size. `keys` and `settings`: the
    segment keys by report id and `_settings(config)`, when the caller has them."""
    settings = settings if settings is not None else _settings(config)
    if keys is None:
        settings_json = json.dumps(settings, sort_keys=True)
        keys = {r.id: segment_key(r, settings_json) for r in corpus.reports}
    blob = "".join(f"{r.id}\0{keys[r.id]}\n" for r in corpus.reports)
    return {"reports": hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32], **settings}


@lru_cache(maxsize=1 << 16)  # an ingesting process keys the same 1,000 reports on every add
def segment_key(report: Report, settings_json: str) -> str:
    """The name of a report's segment, 20 hex characters: a digest of its record (checksum, title, year...)
    and the settings (`_settings`, as JSON with sorted keys)."""
    blob = json.dumps({"report": report_record(report), **json.loads(settings_json)}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def report_record(report: Report) -> dict[str, Any]:
    """A report's manifest record (JSON types), a fresh dict each call. Shape: Report's fields."""
    return dict(_report_record(report))


@lru_cache(maxsize=1 << 16)  # a frozen model: its record is dumped once, not three times an ingest
def _report_record(report: Report) -> dict[str, Any]:
    return report.model_dump(mode="json")


def sentence_key(text: str) -> str:
    """The key a vector is stored and reused under: a digest of the embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def sentence_texts(passages: list[Passage]) -> list[str]:
    """Every sentence of every passage, in passage then sentence order: the rows of sentences.npy."""
    return [s.text for p in passages for s in p.sentences]


# -- layout and Chroma ------------------------------------------------------------------------


@dataclass
class Layout:
    root: Path

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    @property
    def segments(self) -> Path:
        return self.root / "segments"

    def current(self) -> Path | None:
        if not self.current_file.is_file():
            return None
        name = self.current_file.read_text(encoding="utf-8").strip()
        path = self.builds / name
        return path if (path / "manifest.json").is_file() else None

    def swap(self, build: Path) -> None:
        tmp = self.root / "CURRENT.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(build.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.current_file)
        _fsync_dir(self.root)  # the swap itself survives a power cut; what it names is on disk already


def chroma_client(config: Config, root: Path) -> Any:
    """The Chroma client of an index: the server at config.chroma_url, else the directory root/chroma.

    One client per server or directory in a process: building chromadb's Settings reads the environment
    through pydantic-settings (5-10 ms), and an HttpClient checks its tenant and database with a round trip
    more, so an ingest or a server that asked for a new client at each step paid that several times an add.
    """
    where = _chroma_where(config, root)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(where)
        if client is None:
            failed = _FAILED.get(where)
            if failed is not None and time.monotonic() - failed[0] < config.chroma_timeout:
                raise failed[1]  # callers queued behind a client that timed out do not wait again each
            try:
                client = _CLIENTS[where] = _new_chroma_client(config, root)
            except StoreUnavailable as exc:
                _FAILED[where] = (time.monotonic(), exc)
                raise
            _FAILED.pop(where, None)
        return client


_CLIENTS: dict[str, Any] = {}
_FAILED: dict[str, tuple[float, StoreUnavailable]] = {}  # where -> when a client could not be made, and why
_CLIENTS_LOCK = threading.Lock()


def _chroma_where(config: Config, root: Path) -> str:
    """Which Chroma an index uses: the server's URL, or the absolute path of its directory."""
    return config.chroma_url or str((root / "chroma").absolute())


def _new_chroma_client(config: Config, root: Path) -> Any:
    """A server's client with a timeout on every request (config.chroma_timeout), or the directory's; both
    raise StoreUnavailable or DiskFull for a store that cannot be reached or written (`vectorstore`)."""
    from reportqa import vectorstore

    if config.chroma_url:
        return vectorstore.http_client(config.chroma_url, config.chroma_timeout)
    import chromadb
    from chromadb.config import Settings

    where = str(root / "chroma")
    try:
        client = chromadb.PersistentClient(path=where, settings=Settings(anonymized_telemetry=False,
                                                                         allow_reset=False))
    except Exception as exc:
        err = vectorstore.translate(exc, where)
        if err is None:
            raise
        raise err from exc
    return vectorstore.Guarded(client, where)


def collection_name(config: Config) -> str:
    """One collection per index: on a shared server, named after the index directory too."""
    if not config.chroma_url:
        return config.collection
    where = hashlib.sha256(str(config.index_dir.resolve()).encode("utf-8")).hexdigest()[:10]
    return f"{config.collection}-{where}"


def entry_id(segment: str, passage_id: str) -> str:
    return f"{segment}:{passage_id}"


def _metadata(p: Passage, segment: str) -> dict[str, Any]:
    return {
        "report_id": p.report_id,
        "year": p.year,
        "plan": p.plan,
        "priority": p.priority,
        "section": p.section,
        "title": p.title,
        "kind": p.kind,
        "start": p.start,
        "end": p.end,
        "segment": segment,
    }


# -- segments -----------------------------------------------------------------------------------


@dataclass
class Segment:
    """One report's passages, vectors and BM25 counts, as stored under segments/<key>/."""

    key: str
    path: Path

    def passages(self) -> list[Passage]:
        with (self.path / "passages.jsonl").open(encoding="utf-8") as fh:
            return [Passage.model_validate_json(line) for line in fh if line.strip()]

    def keyed_vectors(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(passage vectors, sentence vectors) by sentence_key of the embedded text, exactly as embedded."""
        return (_keyed(self.path, "passages.npy", "passage_keys.json"),
                _keyed(self.path, "sentences.npy", "sentence_keys.json"))

    def intact(self) -> bool:
        """Do the segment's files read back whole: its passages, vectors of the right shape (finite), its
        BM25 counts? Reads everything: for `ingest --compact`, which rebuilds a segment that does not."""
        from reportqa.bm25 import Postings

        try:
            meta = json.loads((self.path / "segment.json").read_text(encoding="utf-8"))
            n, m = int(meta["passages"]), int(meta["sentences"])
            vectors(self.path / "passages.npy", n)
            vectors(self.path / "sentences.npy", m)
            Postings.load(self.path / "bm25.npz")
            return len(self.passages()) == n
        except Exception as exc:  # whatever is wrong with it, it is rebuilt
            log.warning("segment %s is damaged (%s): rebuilding it", self.key, str(exc).splitlines()[0][:200])
            return False


def vectors(path: Path, rows: int | None = None) -> np.ndarray:
    """A stored matrix of unit vectors (a segment's passages.npy or sentences.npy) as float32, shape (rows,
    Embedder.dims). Raises ValueError when the file is not such a matrix (empty, truncated, another shape or
    type, non-finite values), OSError when it cannot be read."""
    import numpy as np

    try:
        arr = np.load(path, allow_pickle=False)
    except (EOFError, ValueError) as exc:  # an empty or truncated file
        raise ValueError(f"{path.name} is not a stored matrix ({exc})") from exc
    if not isinstance(arr, np.ndarray) or arr.ndim != 2 or arr.shape[1] != Embedder.dims or (
            rows is not None and arr.shape[0] != rows) or arr.dtype.kind != "f":
        shape = getattr(arr, "shape", "?")
        raise ValueError(f"{path.name} holds {shape} values, not {rows if rows is not None else 'n'} vectors "
                         f"of {Embedder.dims}")
    out = np.asarray(arr, dtype=np.float32)
    if not np.isfinite(out).all():
        raise ValueError(f"{path.name} holds values that are not finite")
    return out


def _keyed(path: Path, npy: str, keys_json: str) -> dict[str, Any]:
    try:
        keys = json.loads((path / keys_json).read_text(encoding="utf-8"))
        arr = vectors(path / npy, len(keys))
    except (OSError, ValueError, TypeError) as exc:  # an old layout or a broken build only costs a re-embed
        log.info("no vectors to reuse from %s/%s: %s", path, npy, exc)
        return {}
    return dict(zip(keys, arr, strict=True))


def _write_segment(
    layout: Layout, key: str, passages: list[Passage], pvec: dict[str, Any], svec: dict[str, Any]
) -> None:
    import numpy as np

    from reportqa.bm25 import Postings

    final = layout.segments / key
    tmp = layout.segments / f"{key}.partial-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    try:
        with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
            for p in passages:
                fh.write(json.dumps(p.model_dump(mode="json"), ensure_ascii=False) + "\n")
        dims = Embedder.dims
        pkeys = [sentence_key(embed_text(p)) for p in passages]
        skeys = [sentence_key(t) for t in sentence_texts(passages)]
        for name, keys, vecs in (("passages", pkeys, pvec), ("sentences", skeys, svec)):
            matrix = (np.stack([np.asarray(vecs[k], dtype=np.float32) for k in keys]) if keys
                      else np.zeros((0, dims), np.float32))
            np.save(tmp / f"{name}.npy", matrix)
            (tmp / f"{name[:-1]}_keys.json").write_text(json.dumps(keys), encoding="utf-8")
        Postings.from_tokens([bm25_tokens(p) for p in passages]).save(tmp / "bm25.npz")
        (tmp / "segment.json").write_text(
            json.dumps({"key": key, "passages": len(passages), "sentences": len(skeys)}), encoding="utf-8"
        )
        _fsync_tree(tmp)  # a segment is complete once it has its name: on disk before it gets it
        if final.exists():  # the same content, left by an interrupted ingest
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(layout.segments)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_tree(directory: Path) -> None:
    """Every file directly in `directory`, then the directory itself, flushed to disk (os.fsync)."""
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    """The directory's entries (a file renamed into it) flushed to disk; a no-op where directories cannot be
    opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory; the rename is as durable as they make it
        pass
    finally:
        os.close(fd)


# -- ingest -------------------------------------------------------------------------------------


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


_LOCKS: dict[str, list[int]] = {}  # index directory -> [descriptor, depth] of the lock this process holds


@contextlib.contextmanager
def ingest_lock(config: Config) -> Iterator[None]:
    """One ingest at a time on an index: an exclusive flock on index/.ingest.lock, re-entrant within this
    process (`reportqa ingest FILE` holds it across writing the file, indexing and listing it). Raises
    InputError at once when another process holds it; the lock goes with the process, even when killed."""
    import fcntl

    key = str(config.index_dir.resolve())
    if key in _LOCKS:
        _LOCKS[key][1] += 1
        try:
            yield
        finally:
            _LOCKS[key][1] -= 1
        return
    config.index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.index_dir / ".ingest.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(f"another `reportqa ingest` is running on the index at {config.index_dir}",
                         "wait for it to finish, then run this again") from None
    _LOCKS[key] = [fd, 1]
    try:
        yield
    finally:
        del _LOCKS[key]
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


INGEST_DISK_HINT = ("free some space on that disk, then run `reportqa ingest` again (it removes what this "
                    "one left); the index as last built keeps serving")


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
    old: dict[str, Any] = {}
    if current is not None:
        old = _ingest_manifest(current)
        sync_corpus_manifest(config, (current, old))
    on_disk = _corpus_manifest_read(config)  # the records, and a digest of the file as the build started
    corpus = corpus or load_corpus(config.corpus_dir)
    if not corpus.reports and old.get("corpus"):  # an emptied manifest never replaces a working index
        raise InputError(f"{config.corpus_dir / MANIFEST} lists no reports; the index of "
                         f"{len(old['corpus'])} reports keeps serving",
                         "restore the manifest (e.g. git checkout corpus/manifest.json); to start an empty "
                         "collection, use a new --index directory")
    touched = corpus.verify(known=old.get("files"))  # files unchanged since the build are not hashed again
    settings = _settings(config)
    settings_json = json.dumps(settings, sort_keys=True)
    keys = {r.id: segment_key(r, settings_json) for r in corpus.reports}
    fp = fingerprint(corpus, config, keys, settings)
    if (current is not None and old.get("fingerprint") == fp and not compact
            and _segments_present(layout, old)):
        if touched:  # touched, not changed (a checkout, a copy): recorded, so no command hashes them again
            _record_files(current, old, touched)
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
            pvec.update(_keyed(current, "passages.npy", "passage_keys.json"))
            svec.update(_keyed(current, "sentences.npy", "sentence_keys.json"))
    all_new = [p for ps in new_passages.values() for p in ps]
    ptexts = {sentence_key(embed_text(p)): embed_text(p) for p in all_new}
    stexts = {sentence_key(s): s for s in sentence_texts(all_new)}
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
        _write_segment(layout, keys[r.id], new_passages[r.id], pvec, svec)
    timings["segments"] = time.perf_counter() - t
    _checkpoint("segments")

    t = time.perf_counter()
    collections = _listing(config, layout)
    collection, in_store = _target_collection(config, old, keys, new_passages, corpus, collections, compact)
    outside = [(keys[r.id], new_passages.get(r.id)) for r in corpus.reports if keys[r.id] not in in_store]
    pending = _pending(old, collection, in_store, outside)
    if pending is None:
        pending = []
        fresh = not in_store and collection != old.get("collection")
        _add_to_chroma(config, layout, collection, outside, prog, fresh_collection=fresh, listed=collections)
    timings["chroma"] = time.perf_counter() - t
    _checkpoint("chroma")

    t = time.perf_counter()
    known = {s["key"]: s for s in old.get("segments", []) if "passages" in s and "sentences" in s}
    files = _files_record(corpus, old.get("files") or {}, touched)
    build, written = _write_build(config, layout, corpus, keys, fp, on_disk, timings, known, collection,
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
        _cleanup(config, layout, keep={build.name, current.name if current else ""}, read=read,
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


def _record_files(build: Path, manifest: dict[str, Any], files: dict[str, dict[str, Any]]) -> None:
    """The serving build's record of its corpus files' sizes and mtimes brought up to date (same
    checksums), written beside it and put in place atomically. A failure only costs re-hashing later."""
    manifest["files"] = {**manifest.get("files", {}), **files}
    tmp = build / "manifest.json.tmp"
    try:
        with tmp.open("wb") as fh:
            fh.write(orjson.dumps(manifest))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, build / "manifest.json")
    except OSError as exc:
        log.info("could not record the corpus files' state in %s: %s", build, exc)
        tmp.unlink(missing_ok=True)


def _segments_present(layout: Layout, manifest: dict[str, Any]) -> bool:
    """Does the segments directory still hold every segment the build lists? (one directory listing)"""
    try:
        present = set(os.listdir(layout.segments))
    except OSError:
        return False
    return all(s["key"] in present for s in manifest.get("segments", []))


def _reuse_sources(
    layout: Layout, current: Path | None, old: dict[str, Any], report_ids: set[str]
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


def _collection(config: Config, layout: Layout, name: str, listed: dict[str, str] | None = None) -> Any:
    """The collection `name`, created if missing. Kept per process: when `listed` (`_listing`) shows it
    under the id it had, it is not asked for again (a round trip to a Chroma server on every add)."""
    where = _chroma_where(config, layout.root)
    cached = _COLLECTIONS.get((where, name))
    if cached is not None and listed is not None and listed.get(name) == str(cached.id):
        return cached
    col = chroma_client(config, layout.root).get_or_create_collection(
        name, embedding_function=None, metadata=dict(HNSW))
    _COLLECTIONS[(where, name)] = col
    if listed is not None:
        listed[name] = str(col.id)
    return col


_COLLECTIONS: dict[tuple[str, str], Any] = {}


def _listing(config: Config, layout: Layout) -> dict[str, str] | None:
    """The collections of this index's Chroma now, name -> id, in one round trip; None when it fails.
    An ingest lists once: the other indexes a server holds never touch this one's collections."""
    try:
        found = chroma_client(config, layout.root).list_collections()
    except (StoreUnavailable, DiskFull):  # a server that does not answer: not worth asking again
        raise
    except Exception:  # as if none were there: the build goes into a new collection
        return None
    return {str(getattr(c, "name", c)): str(getattr(c, "id", "")) for c in found}


def _ours(config: Config, name: str) -> bool:
    """Is `name` one of this index's collections: its base name, or the base name and a build suffix?"""
    base = collection_name(config)
    return name == base or (name.startswith(base + "-") and len(name) == len(base) + 9)


# Passages of new segments kept out of Chroma, searched exactly from their stored vectors (a matrix product
# over at most this many rows: ~0.2 ms a query), until an ingest would leave more waiting: that ingest puts
# them all into Chroma in one add (about a second per 1,000 passages locally, four with a Chroma server), as
# does `ingest --compact`. Chroma's own cost of an add (its log, HNSW insert and metadata) is 10-20 ms
# however few the passages, a fifth of the time it takes to embed a four-passage report.
PENDING_MAX_PASSAGES = 5000

# At least this share of a build's passages (re)added to Chroma, and they go into a new collection instead:
# Chroma's HNSW index keeps deleted entries, so re-adding a whole collection over itself (a new version of
# the parsing code re-chunks every report) left it four times its size and twice as slow to search.
FRESH_COLLECTION_SHARE = 0.5


def _target_collection(
    config: Config, old: dict[str, Any], keys: dict[str, str], new_passages: dict[str, list[Passage]],
    corpus: Corpus, listed: dict[str, str] | None, compact: bool = False,
) -> tuple[str, set[str]]:
    """The collection the new build's passages go in, and the segments already in it.

    The previous build's collection while most of it stays; a new one (the base name and a suffix) when at
    least FRESH_COLLECTION_SHARE of the passages would be (re)added: every segment goes in afresh, and the
    old collection is dropped once no kept build uses it (`_cleanup`). `listed`: `_listing`."""
    base = collection_name(config)
    old_name = str(old.get("collection") or "")
    if not old or old.get("chroma") != (config.chroma_url or "local") or not _ours(config, old_name):
        return base, set()
    waiting = pending_of(old)
    if waiting is None:  # a manifest that no longer says which segments are in Chroma: all anew
        return f"{base}-{uuid.uuid4().hex[:8]}", set()
    in_store = {s["key"] for s in old.get("segments", [])} - waiting
    if compact:
        return f"{base}-{uuid.uuid4().hex[:8]}", set()
    if old_name not in (listed or {}):  # removed by hand: all anew
        return f"{base}-{uuid.uuid4().hex[:8]}", set()
    counts = {s["key"]: int(s.get("passages", 0)) for s in old.get("segments", [])}
    total = adding = 0
    for r in corpus.reports:
        n = len(new_passages[r.id]) if r.id in new_passages else counts.get(keys[r.id], 0)
        total += n
        adding += n if keys[r.id] not in in_store else 0
    if total and adding >= FRESH_COLLECTION_SHARE * total and adding > 0 and in_store:
        return f"{base}-{uuid.uuid4().hex[:8]}", set()
    return old_name, in_store


def pending_of(manifest: dict[str, Any]) -> set[str] | None:
    """The keys of a build's segments not in its Chroma collection (the manifest's `pending`; none in a build
    made before it existed), or None when the field is not a list of keys."""
    pending = manifest.get("pending", [])
    if not isinstance(pending, list) or not all(isinstance(k, str) for k in pending):
        return None
    return set(pending)


def _pending(
    old: dict[str, Any], collection: str, in_store: set[str], outside: list[tuple[str, list[Passage] | None]]
) -> list[str] | None:
    """The segments the new build leaves out of Chroma (`pending`), or None when they all go in now: into a
    new collection, or once more than PENDING_MAX_PASSAGES would wait. `outside`: (key, new passages or None)
    of the build's segments not in the collection."""
    if not in_store or collection != old.get("collection"):
        return None
    counts = {s["key"]: int(s.get("passages", 0)) for s in old.get("segments", [])}
    # a segment found on disk but not in the previous build (an older build's): of unknown size, so it goes in
    waiting = sum(len(ps) if ps is not None else counts.get(key, PENDING_MAX_PASSAGES + 1)
                  for key, ps in outside)
    return [key for key, _ in outside] if waiting <= PENDING_MAX_PASSAGES else None


def _add_to_chroma(
    config: Config, layout: Layout, name: str, segments: list[tuple[str, list[Passage] | None]],
    prog: Progress, fresh_collection: bool = False, listed: dict[str, str] | None = None,
) -> None:
    """Put the segments' passages in the collection `name` (after removing any half-added copy of them,
    unless the collection is new). `listed`: `_listing`, brought up to date if `name` is created."""
    if not segments:
        return
    col = _collection(config, layout, name, listed)
    total = 0
    loaded: list[tuple[str, list[Passage]]] = []
    for key, passages in segments:
        ps = passages if passages is not None else Segment(key, layout.segments / key).passages()
        loaded.append((key, ps))
        total += len(ps)

    with prog.stage(f"adding {total} passages to Chroma", total) as advance:
        for (key, ps), (_, fresh) in zip(loaded, segments, strict=True):
            if fresh is None and not fresh_collection:  # an interrupted ingest may have added part of it
                col.delete(where={"segment": key})
            try:
                vecs = vectors(layout.segments / key / "passages.npy", len(ps))
            except (OSError, ValueError) as exc:
                raise IndexMissing(f"segment {key} cannot be read ({exc})", REBUILD_HINT) from exc
            for i in range(0, len(ps), 1000):
                part = ps[i : i + 1000]
                col.add(
                    ids=[entry_id(key, p.id) for p in part],
                    embeddings=vecs[i : i + len(part)],
                    metadatas=[_metadata(p, key) for p in part],
                )  # no documents: texts live in the segment (Chroma's full-text index cost 10-30 ms an add)
                advance(len(part))


def _corpus_on_disk(config: Config) -> list[dict[str, Any]] | None:
    """The reports corpus/manifest.json lists now (None without one)."""
    return _corpus_manifest_read(config)[0]


def _corpus_manifest_read(
    config: Config, written: list[dict[str, Any]] | None = None
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(the reports corpus/manifest.json lists, sha256 of its bytes); (None, None) without a readable one.
    Parsed once per change of the file (`_parsed`; `written`: the records just written there)."""
    def parse(data: bytes) -> tuple[list[dict[str, Any]], str]:
        records = list(written) if written is not None else list(json.loads(data)["reports"])
        return records, hashlib.sha256(data).hexdigest()

    try:
        return _parsed(config.corpus_dir / MANIFEST, parse, fresh=written is not None)
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


@dataclass(frozen=True)
class CorpusChange:
    """One way the corpus differs from what an index was built from: the corpus file concerned (its
    name in the corpus directory) and what happened to it, in words ("mopac-2014-15.txt changed")."""

    file: str
    what: str


def stale_message(changes: list[CorpusChange]) -> str:
    """The one-line stale-index warning for `changes` ("" for none)."""
    if not changes:
        return ""
    more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
    return ("the corpus changed since the index was built (" + "; ".join(c.what for c in changes[:3]) + more
            + "); answers come from the index as built: run `reportqa ingest`")


def stale_json(changes: list[CorpusChange]) -> dict[str, Any]:
    """What an answer's JSON says about the corpus changing after the build (`ask --json`, the API):
    {"stale": bool, "changed_files": [corpus file names, each once], "stale_warning": the one line}."""
    return {"stale": bool(changes), "changed_files": sorted({c.file for c in changes}),
            "stale_warning": stale_message(changes)}


def _file_state(path: Path) -> dict[str, Any] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _files_record(
    corpus: Corpus, old: dict[str, dict[str, Any]], touched: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each corpus file's {"file", "sha256", "size", "mtime_ns"} for a build's manifest, as `Corpus.verify`
    checked them: a record of the previous build it did not hash again still holds (it matched the file's
    stat), one it hashed is in `touched`; only the other files (new reports) are stat'ed here."""
    files: dict[str, dict[str, Any]] = {}
    for r in corpus.reports:
        rec = touched.get(r.id) or old.get(r.id)
        if rec is None or (rec.get("file"), rec.get("sha256")) != (r.file, r.sha256) or "size" not in rec:
            rec = {"file": r.file, "sha256": r.sha256, **(_file_state(corpus.path(r)) or {})}
        files[r.id] = rec
    return files


def _write_build(
    config: Config,
    layout: Layout,
    corpus: Corpus,
    keys: dict[str, str],
    fp: dict[str, Any],
    on_disk: tuple[list[dict[str, Any]] | None, str | None],
    timings: dict[str, float],
    known: dict[str, dict[str, Any]],
    collection: str,
    files: dict[str, dict[str, Any]],
    pending: list[str],
) -> tuple[Path, dict[str, Any]]:
    """Write a build's manifest beside the serving one. `known`: segment entries of the previous build by
    key (their counts), so an add to a large collection does not reread every segment.json. `pending`: the
    keys of its segments not in the Chroma collection."""
    segments = []
    total = 0
    for r in corpus.reports:
        meta = known.get(keys[r.id]) or json.loads(
            (layout.segments / keys[r.id] / "segment.json").read_text(encoding="utf-8"))
        segments.append({"report_id": r.id, "key": keys[r.id], "passages": meta["passages"],
                         "sentences": meta["sentences"]})
        total += int(meta["passages"])
    reports = [report_record(r) for r in corpus.reports]
    manifest = {
        "fingerprint": fp,
        "passages": total,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "ingest_seconds": {k: round(v, 3) for k, v in timings.items()},  # this build's steps, for benches
        "chroma": config.chroma_url or "local",
        "collection": collection,
        "segments": segments,
        "pending": sorted(pending),
        # the corpus manifest this build was made from and, when the one on disk as it started lists other
        # records, a digest of that file: if a kill lands between the swap and writing
        # corpus/manifest.json, sync_corpus_manifest finishes the job
        "corpus": reports,
        "corpus_before_sha256": on_disk[1] if on_disk[0] is not None and on_disk[0] != reports else None,
        "files": files,
    }
    layout.builds.mkdir(parents=True, exist_ok=True)
    build = layout.builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = build.with_name(build.name + ".partial")
    tmp.mkdir(parents=True)
    try:
        with (tmp / "manifest.json").open("wb") as fh:
            fh.write(orjson.dumps(manifest))  # UTF-8 JSON; 1 ms at 1,000 reports, json's C encoder 7 ms
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(tmp)
        os.replace(tmp, build)
        _fsync_dir(layout.builds)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return build, _ingest_manifest(build, manifest)


def _read_manifest(build: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((build / "manifest.json").read_bytes())
    return data


def _ingest_manifest(build: Path, written: dict[str, Any] | None = None) -> dict[str, Any]:
    """The build's manifest for an ingest, parsed once per change of its file (`_parsed`; `written`: the one
    just written there). Not for OpenIndex, which keeps and changes its own copy."""
    data: dict[str, Any] = _parsed(build / "manifest.json",
                                   lambda raw: written if written is not None else orjson.loads(raw),
                                   fresh=written is not None)
    return data


# What `_parsed` read last, by file: (size, mtime_ns, value). The manifests an ingesting process read or wrote
# are not parsed again on its next add (600 KB at 1,000 reports). Values are read-only for callers.
_PARSED: dict[str, tuple[int, int, Any]] = {}
_PARSED_MAX = 4  # the build manifests of the last adds and the corpus manifest


def _parsed(path: Path, parse: Callable[[bytes], T], fresh: bool = False) -> T:
    """`parse(path's bytes)`, kept with the file's size and mtime and given again until they change;
    `fresh`: parse even so (the caller has just written the file). Raises OSError from reading."""
    st = path.stat()
    key = str(path.absolute())
    hit = _PARSED.get(key)
    if not fresh and hit is not None and hit[:2] == (st.st_size, st.st_mtime_ns):
        value: T = hit[2]
        return value
    value = parse(path.read_bytes())
    _PARSED.pop(key, None)
    while len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = (st.st_size, st.st_mtime_ns, value)
    return value


# the hint when part of an index is missing: --compact builds anew even when the corpus has not changed
REBUILD_HINT = "run `reportqa ingest --compact` (it rebuilds what is missing from what is stored)"
SYNCED = "corpus-synced"  # in a build: its corpus manifest is in corpus/ (or was changed by hand since)


def sync_corpus_manifest(config: Config, serving: tuple[Path, dict[str, Any]] | None = None) -> bool:
    """Finish a publish a kill interrupted: write the serving build's corpus manifest to the corpus directory
    when that still holds the manifest the build started from. True when it wrote. A manifest changed since
    by hand is left alone (OpenIndex warns that the index is stale). `serving`: the serving build and its
    manifest, when the caller has just written them (else both are read)."""
    if serving is not None:
        current, m = serving
        if (current / SYNCED).exists():
            return False
    else:
        found = Layout(config.index_dir).current()
        if found is None or (found / SYNCED).exists():
            return False
        current = found
        try:
            m = _read_manifest(current)
        except (OSError, ValueError):
            return False
    built = m.get("corpus")
    if built is None:
        return False
    if "corpus_before" in m:  # a build of an earlier version kept the whole manifest it started from
        before = m["corpus_before"]
        if before is None or built == before:
            return False
        on_disk = _corpus_on_disk(config)
        unchanged_since = on_disk == before
    else:
        digest = m.get("corpus_before_sha256")
        if digest is None:  # the build lists what the corpus manifest listed: nothing to bring in step
            return False
        on_disk, now = _corpus_manifest_read(config)
        unchanged_since = now == digest
    wrote = False
    if unchanged_since:
        save_manifest(config.corpus_dir, built)  # the records as the build holds them, not revalidated
        _corpus_manifest_read(config, written=built)  # the next ingest starts from them, not from parsing
        log.info("corpus manifest brought in step with the index %s", current.name)
        wrote = True
    if wrote or on_disk == built:  # done: a later edit by hand is never rolled over again
        (current / SYNCED).write_bytes(b"")  # a marker: no rewrite of a 1.5 MB manifest
    return wrote


def _cleanup(config: Config, layout: Layout, keep: set[str], read: dict[str, dict[str, Any]],
             listed: dict[str, str] | None = None) -> None:
    """Remove builds other than `keep`, then segments no kept build uses (their Chroma entries first).
    `read`: manifests of kept builds already read, by build name; `listed`: `_listing` as this ingest
    left it (else Chroma is asked)."""
    if layout.builds.is_dir():
        for d in layout.builds.iterdir():
            if d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)
    used: set[str] = set()
    collections: set[str] = set()
    for name in keep:
        with contextlib.suppress(OSError, ValueError):
            m = read.get(name) or _read_manifest(layout.builds / name)
            used |= {s["key"] for s in m.get("segments", [])}
            if m.get("chroma") == (config.chroma_url or "local") and m.get("collection"):
                collections.add(str(m["collection"]))
    if collections:  # this index's collections that no kept build uses are dropped
        client = chroma_client(config, layout.root)
        where = _chroma_where(config, layout.root)
        for col_name in list(listed) if listed is not None else _collection_names(client):
            if _ours(config, col_name) and col_name not in collections:
                with contextlib.suppress(Exception):
                    client.delete_collection(col_name)
                _COLLECTIONS.pop((where, col_name), None)
    if not layout.segments.is_dir():
        return
    cols: list[Any] | None = None
    for d in layout.segments.iterdir():
        if d.name in used:
            continue
        if ".partial" not in d.name:
            if cols is None:
                cols = [_collection(config, layout, n, listed) for n in sorted(collections)]
            for col in cols:
                with contextlib.suppress(Exception):  # nothing to delete is fine
                    col.delete(where={"segment": d.name})
        shutil.rmtree(d, ignore_errors=True)


def _collection_names(client: Any) -> list[str]:
    """The names of the client's collections (chromadb 1.x lists Collection objects, 0.6 names)."""
    try:
        return [str(getattr(c, "name", c)) for c in client.list_collections()]
    except Exception:  # a listing that fails only leaves space unfreed
        return []


# -- serving ------------------------------------------------------------------------------------


class OpenIndex:
    """A built index opened for queries: passages, BM25 and the Chroma store."""

    def __init__(self, config: Config, build: Path) -> None:
        self.config = config
        self.build = build
        self.layout = Layout(build.parent.parent)
        self.manifest = _read_manifest(build)
        if "segments" not in self.manifest:
            raise IndexMissing(
                f"the index at {build} was built by an older version of reportqa",
                "run `reportqa ingest` (it reuses the stored vectors)",
            )
        self.segments = [
            Segment(s["key"], self.layout.segments / s["key"]) for s in self.manifest["segments"]
        ]
        self.passages: list[Passage] = []
        self.by_entry: dict[str, str] = {}
        pending = pending_of(self.manifest)  # segments searched here, not in Chroma
        if pending is None:
            raise IndexMissing(f"the index at {build} has a damaged manifest (its pending segments)",
                               REBUILD_HINT)
        self.pending = pending
        self._pending_rows: list[tuple[Segment, int, int]] = []  # (segment, first passage, passages)
        try:
            for seg in self.segments:
                ps = seg.passages()
                if seg.key in self.pending:
                    self._pending_rows.append((seg, len(self.passages), len(ps)))
                self.passages.extend(ps)
                self.by_entry.update((entry_id(seg.key, p.id), p.id) for p in ps)
        except OSError as exc:
            raise IndexMissing(f"the index at {build} is missing a segment ({exc})",
                               REBUILD_HINT) from exc
        self.by_id = {p.id: p for p in self.passages}
        records = self.manifest.get("corpus")
        if records is None:  # a build of an earlier version kept the records in its fingerprint
            records = list(self.manifest["fingerprint"]["reports"].values())
        self.reports = [Report(**r) for r in records]

    @classmethod
    def open(cls, config: Config) -> OpenIndex:
        try:
            sync_corpus_manifest(config)
        except OSError as exc:  # a read-only corpus: the stale warning below says what is out of step
            log.info("could not bring the corpus manifest in step: %s", exc)
        build = Layout(config.index_dir).current()
        if build is None:
            where = config.index_dir.resolve()
            hint = "run `reportqa ingest` first"
            if not config.index_dir.is_absolute():
                # run from another directory, the relative default points at the wrong place
                hint = (f"run reportqa from the project directory (the one holding corpus/ and index/), set "
                        f"REPORTQA_INDEX_DIR and REPORTQA_CORPUS_DIR, or run `reportqa ingest` here to build "
                        f"an index in {where}")
            raise IndexMissing(f"no index at {where}", hint)
        index = cls(config, build)
        stale = index.stale()
        if stale:
            log.warning("%s", stale)
        return index

    def stale(self) -> str:
        """One line when the corpus no longer matches what this index was built from, else "".

        Compares corpus/manifest.json with the reports the build lists, and each corpus file's size and
        mtime with those recorded at ingest (a file that differs is hashed, so a touched but unchanged
        file is not reported). No corpus directory: "" (an index can serve without its sources)."""
        return stale_message(self.changes())

    def changes(self) -> list[CorpusChange]:
        """What changed in the corpus since this index was built, file by file (`stale`); [] when
        nothing did, or there is no corpus directory."""
        on_disk = _corpus_on_disk(self.config)
        if on_disk is None:
            return []
        built_records = {str(r["id"]): r for r in self.manifest.get("corpus", [])}
        listed = {str(r.get("id")): r for r in on_disk}
        changed = [CorpusChange(str(listed[rid].get("file") or rid), f"{rid} is not indexed")
                   for rid in sorted(listed.keys() - built_records.keys())]
        changed += [CorpusChange(str(built_records[rid].get("file") or rid),
                                 f"{rid} is no longer in the corpus")
                    for rid in sorted(built_records.keys() - listed.keys())]
        for rec in self.manifest.get("files", {}).values():
            path = self.config.corpus_dir / rec["file"]
            state = _file_state(path)
            if state is None:
                changed.append(CorpusChange(rec["file"], f"{rec['file']} is missing"))
            elif not path.is_file():  # a directory or a FIFO in its place: never read (a FIFO would block)
                changed.append(CorpusChange(rec["file"], f"{rec['file']} is not a regular file"))
            elif (state["size"], state["mtime_ns"]) != (rec.get("size"), rec.get("mtime_ns")) and (
                sha256_file(path) != rec["sha256"]
            ):
                changed.append(CorpusChange(rec["file"], f"{rec['file']} changed"))
        return changed

    @cached_property
    def sentence_vectors(self) -> SentenceVectors:
        return SentenceVectors.load(self.segments, self.passages)

    @cached_property
    def bm25(self) -> BM25:
        from reportqa.bm25 import BM25, Postings

        try:
            return BM25([Postings.load(s.path / "bm25.npz") for s in self.segments])
        except (OSError, ValueError) as exc:
            raise IndexMissing(f"the index at {self.build} has no BM25 counts ({exc})",
                               REBUILD_HINT) from exc

    @cached_property
    def id_order(self) -> np.ndarray:
        """Each passage's position in id order: ties in a score are ranked by passage id."""
        import numpy as np

        order = sorted(range(len(self.passages)), key=lambda i: self.passages[i].id)
        ranks = np.empty(len(order), dtype=np.int64)
        ranks[order] = np.arange(len(order))
        return ranks

    def mask(self, f: Filters) -> np.ndarray | None:
        """Which passages match the filters (years, plan, priority, report): bool, shape (passages,)."""
        import numpy as np

        if not (f.years or f.plan or f.priority or f.report_id):
            return None
        cols = self._columns
        m = np.ones(len(self.passages), dtype=bool)
        if f.years:
            m &= np.isin(cols["year"], list(f.years))
        for name, value in (("plan", f.plan), ("priority", f.priority), ("report_id", f.report_id)):
            if value:
                m &= cols[name] == value
        return m

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        import numpy as np

        return {name: np.array([getattr(p, name) or "" for p in self.passages], dtype=object)
                for name in ("year", "plan", "priority", "report_id")}

    @property
    def model_fingerprint(self) -> str:
        """The fingerprint of the model the stored vectors came from (embed.model_fingerprint at ingest)."""
        return str(self.manifest["fingerprint"]["model"])

    def follow_collection(self, exc: Exception) -> bool:
        """After a query failed with `exc`: when this build's collection is gone (a later build replaced it
        while this index stayed open, as in `reportqa serve`), switch to the serving build's collection and
        say so once; its entries of segments this build does not hold count as foreign. False when the
        collection is still there (the failure is something else) or there is nothing to switch to."""
        if isinstance(exc, ReportQAError):  # the store is unreachable or full: asking again would not help
            return False
        name = str(self.manifest["collection"])
        current = self.layout.current()
        if current is None or current == self.build:
            return False
        try:
            client = chroma_client(self.config, self.layout.root)
            names = set(_collection_names(client))
            if name in names:
                return False
            newer = str(_read_manifest(current)["collection"])
            col = client.get_collection(newer, embedding_function=None)
        except Exception:  # nothing better to switch to: the query's own error stands
            log.debug("no collection to follow after %s", exc)
            return False
        log.warning("the Chroma collection %s was replaced by a newer build; searching %s until restart",
                    name, newer)
        self.manifest["collection"] = newer
        self.__dict__["collection"] = col
        self.__dict__.pop("foreign", None)
        return True

    @cached_property
    def collection(self) -> Any:
        """The Chroma collection, queried directly (retrieve.Retriever.dense); it may also hold the entries
        of a neighbouring build (`foreign`), which the retriever skips."""
        client = chroma_client(self.config, self.layout.root)
        try:
            return client.get_collection(self.manifest["collection"], embedding_function=None)
        except (StoreUnavailable, DiskFull):  # not cached: the next call tries again
            raise
        except Exception as exc:
            raise IndexMissing(
                f"the Chroma collection {self.manifest['collection']} is missing",
                REBUILD_HINT,
            ) from exc

    def check_store(self) -> None:
        """Ask the vector store for this build's collection (a count: one round trip to a Chroma server,
        bounded by config.chroma_timeout). Raises StoreUnavailable, DiskFull or IndexMissing."""
        self.collection.count()

    @cached_property
    def foreign(self) -> int:
        """How many entries of the collection belong to other builds (asked for on top, then skipped)."""
        return max(0, int(self.collection.count()) - (len(self.passages) - self.pending_passages))

    @property
    def pending_passages(self) -> int:
        """How many of the build's passages are in `pending` segments (searched here, not in Chroma)."""
        return sum(n for _, _, n in self._pending_rows)

    @cached_property
    def pending_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The passages of the `pending` segments (not yet in Chroma) and their vectors, for an exact search:
        (positions in `passages`, int64, shape (n,); unit vectors, float32, shape (n, 384)). Raises
        IndexMissing when a segment's vectors cannot be read."""
        import numpy as np

        positions: list[np.ndarray] = []
        matrix: list[np.ndarray] = []
        for seg, first, n in self._pending_rows:
            try:
                matrix.append(vectors(seg.path / "passages.npy", n))
            except (OSError, ValueError) as exc:
                raise IndexMissing(f"the index at {self.build} cannot read segment {seg.key} ({exc})",
                                   REBUILD_HINT) from exc
            positions.append(np.arange(first, first + n, dtype=np.int64))
        if not positions:
            return np.zeros(0, dtype=np.int64), np.zeros((0, Embedder.dims), dtype=np.float32)
        return np.concatenate(positions), np.concatenate(matrix)

    @cached_property
    def store(self) -> Any:
        """The collection as llama-index's vector store (imports llama-index: not on the query path)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)


class SentenceVectors:
    """The unit vectors of every passage sentence, computed at ingest: one (sentences, 384) float32 matrix
    per segment, memory-mapped.

    `for_passage(p)` gives the rows of one passage's sentences, in order, so the answerer scores every
    sentence of the retrieved passages with one matrix product against the query vector.
    """

    def __init__(self, matrices: list[Any], first_row: dict[str, tuple[int, int]]) -> None:
        self.matrices = matrices
        self.first_row = first_row

    @classmethod
    def load(cls, segments: list[Segment], passages: list[Passage]) -> SentenceVectors:
        import numpy as np

        matrices = []
        first: dict[str, tuple[int, int]] = {}
        it = iter(passages)
        for i, seg in enumerate(segments):
            try:
                matrix = np.load(seg.path / "sentences.npy", mmap_mode="r")
                count = int(json.loads((seg.path / "segment.json").read_text(encoding="utf-8"))["passages"])
            except (OSError, ValueError) as exc:
                raise IndexMissing(
                    f"the index segment {seg.path} has no sentence vectors", REBUILD_HINT
                ) from exc
            row = 0
            for _ in range(count):
                p = next(it)
                first[p.id] = (i, row)
                row += len(p.sentences)
            if row != len(matrix):
                raise IndexMissing(
                    f"the index segment {seg.path} has {len(matrix)} sentence vectors for {row} sentences",
                    REBUILD_HINT,
                )
            matrices.append(matrix)
        return cls(matrices, first)

    def for_passage(self, p: Passage) -> Any:
        i, start = self.first_row[p.id]
        return self.matrices[i][start : start + len(p.sentences)]
