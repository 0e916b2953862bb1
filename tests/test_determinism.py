"""Same code, same figures: vectors and rankings do not depend on batching, core count or build history."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import reportqa.embed as embed_mod
from reportqa.config import Config
from reportqa.corpus import load_corpus
from reportqa.embed import Embedder
from reportqa.index import Layout, OpenIndex, build_passages, embed_text, ingest
from reportqa.retrieve import Retriever
from reportqa.types import Filters

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("mopac-2014-15", "mopac-pcp-2013-16")  # the two smallest reports: a few passages each
QUERIES = ("police officers on the streets", "victims of crime", "Mayor of London", "confidence in police")


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def test_a_texts_vector_does_not_depend_on_its_batch_or_the_core_count(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # passages of very different lengths, so a shared batch would pad them
    corpus = load_corpus(ROOT / "corpus")
    ps = sorted(build_passages(corpus, Config()), key=lambda p: len(p.clean))
    texts = [embed_text(p) for p in ps[:: max(1, len(ps) // 6)]] + ["Mayor of London", "victims"]
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    for cores in (1, 2, 3):
        monkeypatch.setattr(embed_mod, "_cores", lambda cores=cores: cores)
        assert np.array_equal(embedder.embed(texts), alone), f"{cores} worker(s)"
        assert np.array_equal(embedder.embed(texts[::-1])[::-1], alone)
        assert np.array_equal(embedder.embed(texts[1::2]), alone[1::2])
    # a query that is a stored text gets exactly the stored vector
    assert np.array_equal(np.asarray(embedder.embed_query(texts[0]), dtype=np.float32), alone[0])


def _small_corpus(dst: Path, ids: tuple[str, ...]) -> Path:
    shutil.copytree(ROOT / "corpus", dst)
    manifest = json.loads((dst / "manifest.json").read_text(encoding="utf-8"))
    manifest["reports"] = [r for r in manifest["reports"] if r["id"] in ids]
    (dst / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dst


def _vectors(cfg: Config) -> dict[str, np.ndarray]:
    build = Layout(cfg.index_dir).current()
    assert build is not None
    index = OpenIndex(cfg, build)
    got = index.collection.get(ids=list(index.by_entry), include=["embeddings"])
    stored = {index.by_entry[i]: e for i, e in zip(got["ids"], got["embeddings"], strict=True)}
    return {
        "passages.npy": np.concatenate([np.load(s.path / "passages.npy") for s in index.segments]),
        "sentences.npy": np.concatenate([np.load(s.path / "sentences.npy") for s in index.segments]),
        "chroma": np.stack([np.asarray(stored[p.id], dtype=np.float32) for p in index.passages]),
    }


def test_an_incremental_build_matches_a_fresh_one(embedder: Embedder, tmp_path: Path) -> None:
    fresh = Config(corpus_dir=_small_corpus(tmp_path / "c1", SMALL), index_dir=tmp_path / "fresh")
    assert ingest(fresh, embedder=embedder).status == "built"
    # the same corpus reached in two steps: the second ingest reuses the first's vectors
    grown = Config(corpus_dir=_small_corpus(tmp_path / "c2", SMALL[:1]), index_dir=tmp_path / "grown")
    ingest(grown, embedder=embedder)
    shutil.copy(fresh.corpus_dir / "manifest.json", grown.corpus_dir / "manifest.json")
    step = ingest(grown, embedder=embedder)
    assert step.reused > 0 and step.embedded < step.passages

    a, b = _vectors(fresh), _vectors(grown)
    for name in a:
        assert a[name].shape == b[name].shape and np.array_equal(a[name], b[name]), name

    ra = Retriever(OpenIndex.open(fresh), embedder, fresh.retrieval)
    rb = Retriever(OpenIndex.open(grown), embedder, grown.retrieval)
    for q in QUERIES:
        assert ra.dense(q, Filters(), 10) == rb.dense(q, Filters(), 10), q
        ha, hb = ([(h.passage.id, h.score, h.scores) for h in r.search(q)] for r in (ra, rb))
        assert ha == hb, q


def test_dense_ties_are_ranked_by_passage_id() -> None:
    """Near-equal similarities (float noise) rank by id, not by the order the store returns them in."""

    ids = [f"r-{i:02d}" for i in range(12)]

    class Collection:  # every passage at one similarity, give or take float noise, in reverse id order
        def query(self, **kwargs):  # type: ignore[no-untyped-def]
            order = sorted(ids, reverse=True)
            return {"ids": [order], "distances": [[-math.log(0.5 + i * 1e-9) for i in range(len(order))]]}

    index = SimpleNamespace(
        collection=Collection(), by_id=dict.fromkeys(ids), by_entry={i: i for i in ids}, foreign=0,
        pending=set(),
    )
    query_embedder = SimpleNamespace(embed_query=lambda text: [0.0] * Embedder.dims)
    retriever = Retriever(index, query_embedder, Config().retrieval)  # type: ignore[arg-type]
    assert [pid for pid, _ in retriever.dense("anything", Filters(), 10)] == ids[:10]


def test_the_waiting_passages_nearest_are_those_of_a_full_sort() -> None:
    # passages not yet in Chroma are searched exactly; the n best are picked without sorting every row
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((300, Embedder.dims)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    passages = [SimpleNamespace(id=f"p{i:03d}") for i in range(300)]
    index = SimpleNamespace(pending={"seg"}, pending_vectors=(np.arange(300), matrix), passages=passages,
                            mask=lambda f: None)
    retriever = Retriever(index, SimpleNamespace(), Config().retrieval)  # type: ignore[arg-type]
    vec = matrix[7] * 0.6 + matrix[8] * 0.4
    full = sorted(((f"p{i:03d}", 1.0 - float(matrix[i] @ vec)) for i in range(300)), key=lambda x: x[1])
    got = retriever._pending_nearest(list(vec), Filters(), 10)  # and DENSE_SLACK more, for ties at the cut
    assert len(got) >= 10 and [pid for pid, _ in got] == [pid for pid, _ in full[: len(got)]]
    assert got[0][0] == "p007"
