"""The atomic store: the directory layout, durable writes, build manifests and the one commit point.

A build is published by writing its manifest beside the serving one and replacing CURRENT atomically
(`Layout.swap`); everything CURRENT names is on disk first (fsynced). The corpus manifest is brought in step
after the swap (`sync_corpus_manifest`), by the next command when a kill came between the two.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

import orjson

from reportqa.config import Config
from reportqa.corpus import MANIFEST, Corpus, FileRecord, save_manifest
from reportqa.index.caches import parsed
from reportqa.index.fingerprints import Fingerprint
from reportqa.index.keys import ReportRecord, report_record

log = logging.getLogger("reportqa.index")  # one logger for the package, as when it was one module

# the hint when part of an index is missing: --compact builds anew even when the corpus has not changed
REBUILD_HINT = "run `reportqa ingest --compact` (it rebuilds what is missing from what is stored)"
SYNCED = "corpus-synced"  # in a build: its corpus manifest is in corpus/ (or was changed by hand since)

# A corpus file's record, by report id: {"file", "sha256", "size", "mtime_ns"}, as `Corpus.verify` reads them
FileRecords = dict[str, FileRecord]  # by report id


class SegmentEntry(TypedDict):
    """A segment as a build's manifest lists it (its counts are missing in builds of earlier versions)."""

    report_id: str
    key: str
    passages: NotRequired[int]
    sentences: NotRequired[int]


class Manifest(TypedDict, total=False):
    """builds/<name>/manifest.json. Every field is optional to a reader: builds of earlier versions lack
    some (`segments`, `pending`, `corpus`, `files`) or hold others (`corpus_before`)."""

    fingerprint: Fingerprint
    passages: int
    created: str
    ingest_seconds: dict[str, float]  # this build's steps, for benches
    chroma: str  # config.chroma_url, or "local"
    collection: str
    segments: list[SegmentEntry]  # one per report, in corpus order
    pending: list[str]  # keys of the segments not in the Chroma collection (searched from their vectors)
    corpus: list[ReportRecord]  # the corpus manifest this build was made from
    corpus_before_sha256: str | None
    corpus_before: list[ReportRecord] | None  # earlier versions: the whole manifest the build started from
    files: FileRecords


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
        fsync_dir(self.root)  # the swap itself survives a power cut; what it names is on disk already


def fsync_tree(directory: Path) -> None:
    """Every file directly in `directory`, then the directory itself, flushed to disk (os.fsync)."""
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False):
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
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


# -- build manifests ------------------------------------------------------------------------------------


def read_manifest(build: Path) -> Manifest:
    data: Manifest = orjson.loads((build / "manifest.json").read_bytes())
    return data


def ingest_manifest(build: Path, written: Manifest | None = None) -> Manifest:
    """The build's manifest for an ingest, parsed once per change of its file (`caches.parsed`; `written`:
    the one just written there). Not for OpenIndex, which keeps and changes its own copy."""
    data: Manifest = parsed(build / "manifest.json",
                            lambda raw: written if written is not None else orjson.loads(raw),
                            fresh=written is not None)
    return data


def write_build(
    config: Config,
    layout: Layout,
    corpus: Corpus,
    keys: dict[str, str],
    fp: Fingerprint,
    on_disk: tuple[list[ReportRecord] | None, str | None],
    timings: dict[str, float],
    known: dict[str, SegmentEntry],
    collection: str,
    files: FileRecords,
    pending: list[str],
) -> tuple[Path, Manifest]:
    """Write a build's manifest beside the serving one. `known`: segment entries of the previous build by
    key (their counts), so an add to a large collection does not reread every segment.json. `pending`: the
    keys of its segments not in the Chroma collection."""
    segments: list[SegmentEntry] = []
    total = 0
    for r in corpus.reports:
        meta = known.get(keys[r.id]) or json.loads(
            (layout.segments / keys[r.id] / "segment.json").read_text(encoding="utf-8"))
        segments.append({"report_id": r.id, "key": keys[r.id], "passages": meta["passages"],
                         "sentences": meta["sentences"]})
        total += int(meta["passages"])
    reports = [report_record(r) for r in corpus.reports]
    manifest: Manifest = {
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
        fsync_dir(tmp)
        os.replace(tmp, build)
        fsync_dir(layout.builds)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return build, ingest_manifest(build, manifest)


def record_files(build: Path, manifest: Manifest, files: FileRecords) -> None:
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


def segments_present(layout: Layout, manifest: Manifest) -> bool:
    """Does the segments directory still hold every segment the build lists? (one directory listing)"""
    try:
        present = set(os.listdir(layout.segments))
    except OSError:
        return False
    return all(s["key"] in present for s in manifest.get("segments", []))


# -- the corpus files a build records ----------------------------------------------------------------


class FileState(TypedDict):
    """A file's size (bytes) and modification time (ns), as `file_state` reads them."""

    size: int
    mtime_ns: int


def file_state(path: Path) -> FileState | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def files_record(corpus: Corpus, old: FileRecords, touched: FileRecords) -> FileRecords:
    """Each corpus file's {"file", "sha256", "size", "mtime_ns"} for a build's manifest, as `Corpus.verify`
    checked them: a record of the previous build it did not hash again still holds (it matched the file's
    stat), one it hashed is in `touched`; only the other files (new reports) are stat'ed here."""
    files: FileRecords = {}
    for r in corpus.reports:
        rec = touched.get(r.id) or old.get(r.id)
        if rec is None or (rec.get("file"), rec.get("sha256")) != (r.file, r.sha256) or "size" not in rec:
            rec = FileRecord(file=r.file, sha256=r.sha256)
            state = file_state(corpus.path(r))
            if state is not None:
                rec["size"], rec["mtime_ns"] = state["size"], state["mtime_ns"]
        files[r.id] = rec
    return files


# -- the corpus manifest, brought in step with the serving build -------------------------------------------


def corpus_on_disk(config: Config) -> list[ReportRecord] | None:
    """The reports corpus/manifest.json lists now (None without one)."""
    return corpus_manifest_read(config)[0]


def corpus_manifest_read(
    config: Config, written: list[ReportRecord] | None = None
) -> tuple[list[ReportRecord] | None, str | None]:
    """(the reports corpus/manifest.json lists, sha256 of its bytes); (None, None) without a readable one.
    Parsed once per change of the file (`caches.parsed`; `written`: the records just written there)."""
    def parse(data: bytes) -> tuple[list[ReportRecord], str]:
        records = list(written) if written is not None else list(json.loads(data)["reports"])
        return records, hashlib.sha256(data).hexdigest()

    try:
        return parsed(config.corpus_dir / MANIFEST, parse, fresh=written is not None)
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def sync_corpus_manifest(config: Config, serving: tuple[Path, Manifest] | None = None) -> bool:
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
            m = read_manifest(current)
        except (OSError, ValueError):
            return False
    built = m.get("corpus")
    if built is None:
        return False
    if "corpus_before" in m:  # a build of an earlier version kept the whole manifest it started from
        before = m["corpus_before"]
        if before is None or built == before:
            return False
        on_disk = corpus_on_disk(config)
        unchanged_since = on_disk == before
    else:
        digest = m.get("corpus_before_sha256")
        if digest is None:  # the build lists what the corpus manifest listed: nothing to bring in step
            return False
        on_disk, now = corpus_manifest_read(config)
        unchanged_since = now == digest
    wrote = False
    if unchanged_since:
        save_manifest(config.corpus_dir, built)  # the records as the build holds them, not revalidated
        corpus_manifest_read(config, written=built)  # the next ingest starts from them, not from parsing
        log.info("corpus manifest brought in step with the index %s", current.name)
        wrote = True
    if wrote or on_disk == built:  # done: a later edit by hand is never rolled over again
        (current / SYNCED).write_bytes(b"")  # a marker: no rewrite of a 1.5 MB manifest
    return wrote
