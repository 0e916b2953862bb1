"""Chroma: the client and collections an index uses, the pending-passage policy, and removing what no kept
build uses.

Every build's passages are entries `<segment>:<passage id>` of one collection shared by the builds (unless
a Chroma server is configured). A new report's passages wait as `pending` (searched exactly from the
segment's passages.npy) until more than PENDING_MAX_PASSAGES would wait; the ingest that passes it adds them
all in one call.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from reportqa.config import Config
from reportqa.corpus import Corpus
from reportqa.errors import DiskFull, IndexMissing, StoreUnavailable
from reportqa.index.caches import CLIENTS, CLIENTS_LOCK, COLLECTIONS, FAILED
from reportqa.index.keys import entry_id
from reportqa.index.segments import Segment, vectors
from reportqa.index.store import REBUILD_HINT, Layout, Manifest, read_manifest
from reportqa.progress import Progress
from reportqa.types import Passage

log = logging.getLogger("reportqa.index")  # one logger for the package, as when it was one module

# HNSW built on one thread with a wide search beam: the same corpus gives the same neighbours on any
# machine (a multi-threaded build inserts in a racy order, and a narrow beam then misses different
# passages on different builds). Checked with chromadb 1.5.9: the collection's configuration keeps ef 200
# but not num_threads, and below its sync_threshold (1000) the vectors stay in the SQLite log, so the graph
# is rebuilt on open; with ef above the passage count its results equal exact search. Retriever.dense then
# ranks near-ties by id, so the walk order never decides a rank.
HNSW = {"hnsw:space": "cosine", "hnsw:num_threads": 1, "hnsw:construction_ef": 200, "hnsw:search_ef": 200}

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


# -- clients and collections ----------------------------------------------------------------------------


def chroma_client(config: Config, root: Path) -> Any:
    """The Chroma client of an index: the server at config.chroma_url, else the directory root/chroma.

    One client per server or directory in a process: building chromadb's Settings reads the environment
    through pydantic-settings (5-10 ms), and an HttpClient checks its tenant and database with a round trip
    more, so an ingest or a server that asked for a new client at each step paid that several times an add.
    """
    where = chroma_where(config, root)
    with CLIENTS_LOCK:
        client = CLIENTS.get(where)
        if client is None:
            failed = FAILED.get(where)
            if failed is not None and time.monotonic() - failed[0] < config.chroma_timeout:
                raise failed[1]  # callers queued behind a client that timed out do not wait again each
            try:
                client = CLIENTS[where] = _new_chroma_client(config, root)
            except StoreUnavailable as exc:
                FAILED[where] = (time.monotonic(), exc)
                raise
            FAILED.pop(where, None)
        return client


def chroma_where(config: Config, root: Path) -> str:
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


def collection(config: Config, layout: Layout, name: str, listed: dict[str, str] | None = None) -> Any:
    """The collection `name`, created if missing. Kept per process: when `listed` (`listing`) shows it
    under the id it had, it is not asked for again (a round trip to a Chroma server on every add)."""
    where = chroma_where(config, layout.root)
    cached = COLLECTIONS.get((where, name))
    if cached is not None and listed is not None and listed.get(name) == str(cached.id):
        return cached
    col = chroma_client(config, layout.root).get_or_create_collection(
        name, embedding_function=None, metadata=dict(HNSW))
    COLLECTIONS[(where, name)] = col
    if listed is not None:
        listed[name] = str(col.id)
    return col


def listing(config: Config, layout: Layout) -> dict[str, str] | None:
    """The collections of this index's Chroma now, name -> id, in one round trip; None when it fails.
    An ingest lists once: the other indexes a server holds never touch this one's collections."""
    try:
        found = chroma_client(config, layout.root).list_collections()
    except (StoreUnavailable, DiskFull):  # a server that does not answer: not worth asking again
        raise
    except Exception:  # as if none were there: the build goes into a new collection
        return None
    return {str(getattr(c, "name", c)): str(getattr(c, "id", "")) for c in found}


def collection_names(client: Any) -> list[str]:
    """The names of the client's collections (chromadb 1.x lists Collection objects, 0.6 names)."""
    try:
        return [str(getattr(c, "name", c)) for c in client.list_collections()]
    except Exception:  # a listing that fails only leaves space unfreed
        return []


def ours(config: Config, name: str) -> bool:
    """Is `name` one of this index's collections: its base name, or the base name and a build suffix?"""
    base = collection_name(config)
    return name == base or (name.startswith(base + "-") and len(name) == len(base) + 9)


# -- which collection, and which passages wait ----------------------------------------------------------


def target_collection(
    config: Config, old: Manifest, keys: dict[str, str], new_passages: dict[str, list[Passage]],
    corpus: Corpus, listed: dict[str, str] | None, compact: bool = False,
) -> tuple[str, set[str]]:
    """The collection the new build's passages go in, and the segments already in it.

    The previous build's collection while most of it stays; a new one (the base name and a suffix) when at
    least FRESH_COLLECTION_SHARE of the passages would be (re)added: every segment goes in afresh, and the
    old collection is dropped once no kept build uses it (`cleanup`). `listed`: `listing`."""
    base = collection_name(config)
    old_name = str(old.get("collection") or "")
    if not old or old.get("chroma") != (config.chroma_url or "local") or not ours(config, old_name):
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


def pending_of(manifest: Manifest) -> set[str] | None:
    """The keys of a build's segments not in its Chroma collection (the manifest's `pending`; none in a build
    made before it existed), or None when the field is not a list of keys."""
    pending = manifest.get("pending", [])
    if not isinstance(pending, list) or not all(isinstance(k, str) for k in pending):
        return None
    return set(pending)


def pending_segments(
    old: Manifest, collection: str, in_store: set[str], outside: list[tuple[str, list[Passage] | None]]
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


def add_to_chroma(
    config: Config, layout: Layout, name: str, segments: list[tuple[str, list[Passage] | None]],
    prog: Progress, fresh_collection: bool = False, listed: dict[str, str] | None = None,
) -> None:
    """Put the segments' passages in the collection `name` (after removing any half-added copy of them,
    unless the collection is new). `listed`: `listing`, brought up to date if `name` is created."""
    if not segments:
        return
    col = collection(config, layout, name, listed)
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


# -- removing what no kept build uses ---------------------------------------------------------------------


def cleanup(config: Config, layout: Layout, keep: set[str], read: dict[str, Manifest],
            listed: dict[str, str] | None = None) -> None:
    """Remove builds other than `keep`, then segments no kept build uses (their Chroma entries first).
    `read`: manifests of kept builds already read, by build name; `listed`: `listing` as this ingest
    left it (else Chroma is asked)."""
    if layout.builds.is_dir():
        for d in layout.builds.iterdir():
            if d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)
    used: set[str] = set()
    collections: set[str] = set()
    for name in keep:
        with contextlib.suppress(OSError, ValueError):
            m = read.get(name) or read_manifest(layout.builds / name)
            used |= {s["key"] for s in m.get("segments", [])}
            if m.get("chroma") == (config.chroma_url or "local") and m.get("collection"):
                collections.add(str(m["collection"]))
    if collections:  # this index's collections that no kept build uses are dropped
        client = chroma_client(config, layout.root)
        where = chroma_where(config, layout.root)
        for col_name in list(listed) if listed is not None else collection_names(client):
            if ours(config, col_name) and col_name not in collections:
                with contextlib.suppress(Exception):
                    client.delete_collection(col_name)
                COLLECTIONS.pop((where, col_name), None)
    if not layout.segments.is_dir():
        return
    cols: list[Any] | None = None
    for d in layout.segments.iterdir():
        if d.name in used:
            continue
        if ".partial" not in d.name:
            if cols is None:
                cols = [collection(config, layout, n, listed) for n in sorted(collections)]
            for col in cols:
                with contextlib.suppress(Exception):  # nothing to delete is fine
                    col.delete(where={"segment": d.name})
        shutil.rmtree(d, ignore_errors=True)
