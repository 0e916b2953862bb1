"""Segments: one report's passages, vectors and BM25 counts under segments/<key>/, immutable once named.

Written beside their final name and renamed into place (`write_segment`); read back by ingest (the vectors of
unchanged text, reused), by `ingest --compact` (`Segment.intact`) and by serving (`SentenceVectors`, the
pending passages' vectors).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportqa.embed import Embedder
from reportqa.errors import IndexMissing
from reportqa.index.keys import bm25_tokens, embed_text, sentence_key, sentence_texts
from reportqa.index.store import REBUILD_HINT, Layout, fsync_dir, fsync_tree
from reportqa.types import Passage

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("reportqa.index")  # one logger for the package, as when it was one module


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
        return (keyed(self.path, "passages.npy", "passage_keys.json"),
                keyed(self.path, "sentences.npy", "sentence_keys.json"))

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


def keyed(path: Path, npy: str, keys_json: str) -> dict[str, Any]:
    """The vectors stored in `path`/`npy` by their keys in `path`/`keys_json`; {} when they cannot be read."""
    try:
        keys = json.loads((path / keys_json).read_text(encoding="utf-8"))
        arr = vectors(path / npy, len(keys))
    except (OSError, ValueError, TypeError) as exc:  # an old layout or a broken build only costs a re-embed
        log.info("no vectors to reuse from %s/%s: %s", path, npy, exc)
        return {}
    return dict(zip(keys, arr, strict=True))


def write_segment(
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
        fsync_tree(tmp)  # a segment is complete once it has its name: on disk before it gets it
        if final.exists():  # the same content, left by an interrupted ingest
            shutil.rmtree(final)
        os.replace(tmp, final)
        fsync_dir(layout.segments)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
