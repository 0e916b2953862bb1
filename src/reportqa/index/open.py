"""Serving: a built index opened for queries (`OpenIndex`), and whether the corpus changed since it was built.

Opens the build CURRENT names: its passages, BM25 counts and sentence vectors from the segments, the Chroma
collection, and the pending passages searched exactly from their stored vectors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from reportqa.config import Config
from reportqa.corpus import sha256_file
from reportqa.embed import Embedder
from reportqa.errors import DiskFull, IndexMissing, ReportQAError, StoreUnavailable
from reportqa.index.chroma import chroma_client, collection_names, pending_of
from reportqa.index.keys import ReportRecord, entry_id
from reportqa.index.segments import Segment, SentenceVectors, vectors
from reportqa.index.store import (
    REBUILD_HINT,
    Layout,
    Manifest,
    corpus_on_disk,
    file_state,
    read_manifest,
    sync_corpus_manifest,
)
from reportqa.types import Filters, Passage, Report

if TYPE_CHECKING:
    import numpy as np

    from reportqa.bm25 import BM25

log = logging.getLogger("reportqa.index")  # one logger for the package, as when it was one module


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


class OpenIndex:
    """A built index opened for queries: passages, BM25 and the Chroma store."""

    def __init__(self, config: Config, build: Path) -> None:
        self.config = config
        self.build = build
        self.layout = Layout(build.parent.parent)
        self.manifest: Manifest = read_manifest(build)
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
            legacy = cast(dict[str, ReportRecord], self.manifest["fingerprint"]["reports"])  # no digest then
            records = list(legacy.values())
        self.reports = [Report.model_validate(r) for r in records]

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
        on_disk = corpus_on_disk(self.config)
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
            state = file_state(path)
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
            names = set(collection_names(client))
            if name in names:
                return False
            newer = str(read_manifest(current)["collection"])
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
