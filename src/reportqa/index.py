"""Chroma (through llama-index) + a BM25 sidecar + a manifest; build into a new place, swap on success.

Layout under `index_dir`:
    CURRENT                 the name of the build that serves (replaced atomically)
    builds/<name>/
        manifest.json       fingerprint (corpus checksums, model, chunker, taxonomy) and counts
        passages.jsonl      every passage with its metadata, sentences and offsets
        bm25/               the keyword index (bm25s), over the same tokens the queries use
        chroma/             the persistent Chroma collection (unless a Chroma server is configured)
    models/<fingerprint>/   the embedding model exported to ONNX for the query path (onnx_embed.py)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from reportqa.chunk import CHUNKER_VERSION, chunk_report
from reportqa.config import Config
from reportqa.corpus import Corpus, load_corpus
from reportqa.embed import Embedder, Tokens, model_fingerprint
from reportqa.errors import IndexMissing, ReportQAError
from reportqa.parse import parse_report
from reportqa.priorities import DEFAULT_TAXONOMY, assign, load_taxonomy
from reportqa.text import tokenize
from reportqa.types import Passage, Report

log = logging.getLogger(__name__)
PARSER_VERSION = "parse-v1"
# The build layout: 2 added sentence vectors (sentences.npy) and exact, single-threaded HNSW settings;
# 3 added the passage vectors (passages.npy), the copy an incremental ingest reuses.
INDEX_FORMAT = 3
# HNSW built on one thread with a wide search beam: the same corpus gives the same neighbours on any
# machine (a multi-threaded build inserts in a racy order, and a narrow beam then misses different
# passages on different builds). Checked with chromadb 1.5.9: the collection's configuration keeps ef 200
# but not num_threads, and below its sync_threshold (1000) the vectors stay in the SQLite log, so the graph
# is rebuilt on open; with ef above the passage count its results equal exact search. Retriever.dense then
# ranks near-ties by id, so the walk order never decides a rank.
HNSW = {"hnsw:space": "cosine", "hnsw:num_threads": 1, "hnsw:construction_ef": 200, "hnsw:search_ef": 200}
Progress = Callable[[str], None]


# -- passages -------------------------------------------------------------------------------


def build_passages(corpus: Corpus, config: Config, tokens: Tokens | None = None) -> list[Passage]:
    tokens = tokens or Tokens()
    taxonomy = load_taxonomy()
    out: list[Passage] = []
    for report in corpus.reports:
        out.extend(passages_for(report, corpus.read(report), config, tokens))
    del taxonomy
    return out


def passages_for(report: Report, source: str, config: Config, tokens: Tokens) -> list[Passage]:
    taxonomy = load_taxonomy()
    sections = [
        assign(s, report.plan, taxonomy) for s in parse_report(source, report.id, report.title, report.shape)
    ]
    return chunk_report(report, source, sections, tokens.count, config.chunk, taxonomy)


def embed_text(p: Passage) -> str:
    return header_for(p) + "\n" + p.clean


def header_for(p: Passage) -> str:
    return f"{p.title} ({p.year}). {p.section}."


def fingerprint(corpus: Corpus, config: Config) -> dict[str, Any]:
    return {
        "corpus": {r.id: r.sha256 for r in corpus.reports},
        "reports": {r.id: r.model_dump() for r in corpus.reports},
        "model": model_fingerprint(),
        "chunker": {**config.chunk.model_dump(), "chunker": CHUNKER_VERSION, "parser": PARSER_VERSION},
        "taxonomy": hashlib.sha256(DEFAULT_TAXONOMY.read_bytes()).hexdigest()[:16],
        "format": INDEX_FORMAT,
    }


def sentence_key(text: str) -> str:
    """The key a sentence vector is stored and reused under: a digest of the embedded text."""
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

    def current(self) -> Path | None:
        if not self.current_file.is_file():
            return None
        name = self.current_file.read_text(encoding="utf-8").strip()
        path = self.builds / name
        return path if (path / "manifest.json").is_file() else None

    def swap(self, build: Path) -> None:
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(build.name + "\n", encoding="utf-8")
        os.replace(tmp, self.current_file)


def chroma_client(config: Config, build: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if config.chroma_url:
        u = urlparse(config.chroma_url)
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=settings
        )
    return chromadb.PersistentClient(path=str(build / "chroma"), settings=settings)


def collection_name(config: Config, build: Path) -> str:
    return f"{config.collection}-{build.name}" if config.chroma_url else config.collection


def _metadata(p: Passage) -> dict[str, Any]:
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
    }


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


def ingest(
    config: Config,
    corpus: Corpus | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    _fail_after_embedding: bool = False,
) -> IngestResult:
    """Bring the index up to date with the corpus. Builds into a new place; swaps only on success."""
    t0 = time.perf_counter()
    say = progress or (lambda msg: log.info(msg))
    corpus = corpus or load_corpus(config.corpus_dir)
    corpus.verify()
    layout = Layout(config.index_dir)
    fp = fingerprint(corpus, config)
    current = layout.current()
    old_fp: dict[str, Any] = {}
    if current is not None:
        old_fp = json.loads((current / "manifest.json").read_text(encoding="utf-8"))["fingerprint"]
        if old_fp == fp:
            n = json.loads((current / "manifest.json").read_text(encoding="utf-8"))["passages"]
            say("index is up to date: nothing to embed")
            _ensure_query_graph(config, fp["model"], embedder, say)  # an index built before graphs existed
            return IngestResult(
                "unchanged", n, 0, 0, current, "fingerprint unchanged", time.perf_counter() - t0
            )

    say(f"parsing and chunking {len(corpus.reports)} reports")
    tokens = Tokens()
    passages = build_passages(corpus, config, tokens)
    reason = "new index"
    old_pass: dict[str, Any] = {}
    old_sent: dict[str, Any] = {}
    if current is not None:
        same_space = old_fp.get("model") == fp["model"] and old_fp.get("chunker") == fp["chunker"]
        if same_space:
            # Reused from the old build's own .npy files, by a digest of the embedded text, never read back
            # from Chroma: the store renormalises cosine vectors, so a vector passed through it again moves
            # by an ulp or two per incremental build, and near-tied rankings with it.
            old_pass = _old_keyed_vectors(current, "passages.npy", "passage_keys.json")
            old_sent = _old_keyed_vectors(current, "sentences.npy", "sentence_keys.json")
            reason = "corpus changed"
        else:
            reason = "model or chunker changed: rebuilding every vector"
    pkeys = [sentence_key(embed_text(p)) for p in passages]
    reuse = {p.id: old_pass[k] for p, k in zip(passages, pkeys, strict=True) if k in old_pass}
    todo = [p for p in passages if p.id not in reuse]
    say(f"{len(passages)} passages: {len(reuse)} reused, {len(todo)} to embed ({reason})")
    vectors = dict(reuse)
    if todo:
        embedder = embedder or Embedder(config.embed_batch_size)
        arr = embedder.embed([embed_text(p) for p in todo])
        for p, v in zip(todo, arr, strict=True):
            vectors[p.id] = v
    texts = sentence_texts(passages)
    keys = [sentence_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in old_sent}.items())
    if missing:
        say(f"{len(texts)} sentences: {len(texts) - len(missing)} reused, {len(missing)} to embed")
        embedder = embedder or Embedder(config.embed_batch_size)
        arr = embedder.embed([t for _, t in missing])
        for (k, _), v in zip(missing, arr, strict=True):
            old_sent[k] = v
    sent_vectors = (keys, old_sent)
    if _fail_after_embedding:  # used by the crash test: the process dies here
        raise ReportQAError("ingest interrupted (test hook)")
    # before the swap, so the first query on the new build finds the graph of its model
    _ensure_query_graph(config, fp["model"], embedder, say)

    layout.builds.mkdir(parents=True, exist_ok=True)
    build = layout.builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = build.with_name(build.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        _write_build(config, tmp, build, passages, vectors, fp, sent_vectors)
        os.replace(tmp, build)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    layout.swap(build)
    _cleanup(config, layout, keep={build.name, current.name if current else ""})
    from reportqa.onnx_embed import prune

    prune(config.index_dir, keep={fp["model"], old_fp.get("model", fp["model"])})
    say(f"index ready: {build}")
    return IngestResult(
        "built", len(passages), len(todo), len(reuse), build, reason, time.perf_counter() - t0,
        [r.id for r in corpus.reports],
    )


def _ensure_query_graph(config: Config, fingerprint: str, embedder: Embedder | None, say: Progress) -> None:
    """The model exported to ONNX next to the index, for the query path (onnx_embed), unless it is there."""
    from reportqa import onnx_embed

    if onnx_embed.has_graph(config.index_dir, fingerprint):
        return
    say("exporting the embedding model to ONNX, for fast query start-up")
    onnx_embed.install(config.index_dir, fingerprint, embedder or Embedder(config.embed_batch_size))


def _old_keyed_vectors(build: Path, npy: str, keys_json: str) -> dict[str, Any]:
    """The vectors of an earlier build by key (sentence_key of the embedded text), exactly as embedded."""
    try:
        import numpy as np

        keys = json.loads((build / keys_json).read_text(encoding="utf-8"))
        arr = np.load(build / npy)
    except (OSError, ValueError) as exc:  # an old layout or a broken build only costs a re-embed
        log.info("no vectors to reuse from %s/%s: %s", build, npy, exc)
        return {}
    return {k: arr[i] for i, k in enumerate(keys) if i < len(arr)}


def _write_build(
    config: Config,
    tmp: Path,
    final: Path,
    passages: list[Passage],
    vectors: dict[str, Any],
    fp: dict[str, Any],
    sent_vectors: tuple[list[str], dict[str, Any]],
) -> None:
    from llama_index.core.schema import BaseNode, TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    # Chroma writes under the final name's parent: a persistent client is opened on the temp dir
    client = chroma_client(config, tmp)
    name = collection_name(config, final)
    if config.chroma_url:
        with contextlib.suppress(Exception):  # absent is fine
            client.delete_collection(name)
    col = client.create_collection(name, embedding_function=None, metadata=dict(HNSW))
    store = ChromaVectorStore(chroma_collection=col)
    nodes: list[BaseNode] = [
        TextNode(id_=p.id, text=p.clean, metadata=_metadata(p), embedding=[float(x) for x in vectors[p.id]])
        for p in passages
    ]
    for i in range(0, len(nodes), 500):
        store.add(nodes[i : i + 500])
    del store, col, client
    with (tmp / "passages.jsonl").open("w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p.model_dump(mode="json"), ensure_ascii=False) + "\n")
    import numpy as np

    keys, by_key = sent_vectors
    dims = Embedder.dims
    matrix = (
        np.stack([np.asarray(by_key[k], dtype=np.float32) for k in keys])
        if keys
        else np.zeros((0, dims), np.float32)
    )
    np.save(tmp / "sentences.npy", matrix)
    (tmp / "sentence_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    # the passage vectors as embedded (Chroma keeps a renormalised copy): what the next ingest reuses
    pmatrix = (
        np.stack([np.asarray(vectors[p.id], dtype=np.float32) for p in passages])
        if passages
        else np.zeros((0, dims), np.float32)
    )
    np.save(tmp / "passages.npy", pmatrix)
    (tmp / "passage_keys.json").write_text(
        json.dumps([sentence_key(embed_text(p)) for p in passages]), encoding="utf-8"
    )
    import bm25s

    bm = bm25s.BM25()
    bm.index([tokenize(header_for(p) + " " + p.clean) or ["_"] for p in passages], show_progress=False)
    bm.save(str(tmp / "bm25"), show_progress=False)
    manifest = {
        "fingerprint": fp,
        "passages": len(passages),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "chroma": config.chroma_url or "local",
        "collection": name,
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def _cleanup(config: Config, layout: Layout, keep: set[str]) -> None:
    for d in layout.builds.iterdir():
        if d.name in keep:
            continue
        if config.chroma_url and not d.name.endswith(".partial"):
            with contextlib.suppress(Exception):  # already gone
                chroma_client(config, d).delete_collection(collection_name(config, d))
        shutil.rmtree(d, ignore_errors=True)


# -- serving ------------------------------------------------------------------------------------


class OpenIndex:
    """A built index opened for queries: passages, BM25 and the Chroma store."""

    def __init__(self, config: Config, build: Path) -> None:
        self.config = config
        self.build = build
        self.manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        with (build / "passages.jsonl").open(encoding="utf-8") as fh:
            self.passages = [Passage.model_validate_json(line) for line in fh if line.strip()]
        self.by_id = {p.id: p for p in self.passages}
        self.reports = [Report(**r) for r in self.manifest["fingerprint"]["reports"].values()]

    @classmethod
    def open(cls, config: Config) -> OpenIndex:
        build = Layout(config.index_dir).current()
        if build is None:
            raise IndexMissing(f"no index at {config.index_dir}", "run `reportqa ingest` first")
        return cls(config, build)

    @cached_property
    def sentence_vectors(self) -> SentenceVectors:
        return SentenceVectors.load(self.build, self.passages)

    @cached_property
    def bm25(self) -> Any:
        import bm25s

        return bm25s.BM25.load(str(self.build / "bm25"), show_progress=False, verbosity=0)

    @property
    def model_fingerprint(self) -> str:
        """The fingerprint of the model the stored vectors came from (embed.model_fingerprint at ingest)."""
        return str(self.manifest["fingerprint"]["model"])

    @cached_property
    def collection(self) -> Any:
        """The Chroma collection, queried directly (retrieve.Retriever.dense): llama-index is for writing."""
        client = chroma_client(self.config, self.build)
        try:
            return client.get_collection(self.manifest["collection"], embedding_function=None)
        except Exception as exc:
            raise IndexMissing(
                f"the Chroma collection {self.manifest['collection']} is missing",
                "run `reportqa ingest` again",
            ) from exc

    @cached_property
    def store(self) -> Any:
        """The collection as llama-index's vector store (imports llama-index: not on the query path)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)


class SentenceVectors:
    """The unit vectors of every passage sentence, computed at ingest: shape (sentences, 384), float32.

    `for_passage(p)` gives the rows of one passage's sentences, in order, so the answerer scores every
    sentence of the retrieved passages with one matrix product against the query vector.
    """

    def __init__(self, matrix: Any, first_row: dict[str, int]) -> None:
        self.matrix = matrix
        self.first_row = first_row

    @classmethod
    def load(cls, build: Path, passages: list[Passage]) -> SentenceVectors:
        import numpy as np

        try:
            matrix = np.load(build / "sentences.npy", mmap_mode="r")
        except OSError as exc:
            raise IndexMissing(
                f"the index at {build} has no sentence vectors", "run `reportqa ingest` again"
            ) from exc
        first: dict[str, int] = {}
        row = 0
        for p in passages:
            first[p.id] = row
            row += len(p.sentences)
        if row != len(matrix):
            raise IndexMissing(
                f"the index at {build} has {len(matrix)} sentence vectors for {row} sentences",
                "run `reportqa ingest` again",
            )
        return cls(matrix, first)

    def for_passage(self, p: Passage) -> Any:
        start = self.first_row[p.id]
        return self.matrix[start : start + len(p.sentences)]
