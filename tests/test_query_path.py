"""The query path without torch or llama-index: the ONNX export gives sentence-transformers' vectors,
Chroma is queried with the filters llama-index gave it, and `ask` imports only what it uses."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from reportqa.config import MODEL_MAX_TOKENS, Config
from reportqa.embed import Embedder
from reportqa.index import Layout, OpenIndex, embed_text, ingest, sentence_texts
from reportqa.onnx_embed import MIN_COSINE, OnnxEmbedder, has_graph, install, model_files, query_encoder
from reportqa.retrieve import chroma_where
from reportqa.types import Filters

# Not imported by `reportqa ask` on the default (extractive) backend; each costs from 0.3 to 7 s to import.
HEAVY = ("torch", "sentence_transformers", "transformers", "llama_index", "gradio", "ragas", "langchain",
         "langchain_core", "sklearn", "fastapi", "uvicorn", "openai")
QUESTION = "How many people did the London Victim and Witness Service support in 2022/23?"


@pytest.fixture(scope="module")
def graph(index_config: Config) -> OnnxEmbedder:
    index = OpenIndex.open(index_config)
    assert has_graph(index_config.index_dir, index.model_fingerprint), "ingest exports the model"
    return OnnxEmbedder(model_files(index_config.index_dir, index.model_fingerprint))


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


def test_the_graph_gives_the_stored_vectors_on_1000_texts(
    index_config: Config, graph: OnnxEmbedder, embedder: Embedder
) -> None:
    """Every passage and sentence of the corpus against the vectors ingest stored (sentence-transformers,
    one text per pass), plus texts past the model's 256 word-pieces, which both must cut at the same place."""
    index = OpenIndex.open(index_config)
    build = Layout(index_config.index_dir).current()
    assert build is not None
    texts = [embed_text(p) for p in index.passages] + sentence_texts(index.passages)
    stored = np.concatenate([np.load(s.path / f"{name}.npy") for name in ("passages", "sentences")
                             for s in index.segments])
    assert len(texts) == len(stored)
    # long texts: three neighbouring passages joined, so truncation is exercised, each cut somewhere else
    ps = index.passages
    triples = zip(ps, ps[1:], ps[2:61], strict=False)
    long = [" ".join([embed_text(a), b.clean, c.clean]) for a, b, c in triples]
    assert sum(len(graph.tokenizer.encode(t).ids) == MODEL_MAX_TOKENS for t in long) >= 50
    texts += long
    reference = np.concatenate([stored, embedder.embed(long)])
    got = graph.embed(texts)
    cos = _cosines(got, reference)
    assert len(texts) >= 1000
    assert cos.min() >= MIN_COSINE, texts[int(cos.argmin())][:80]
    assert np.abs(np.linalg.norm(got, axis=1) - 1).max() < 1e-5  # unit vectors, as stored
    # the same word-pieces as sentence-transformers' own tokenisation, truncation included
    model = embedder.model
    prepare = getattr(model, "preprocess", None) or model.tokenize
    for t in texts[::7] + long:
        assert graph.features(t)["input_ids"][0].tolist() == prepare([t])["input_ids"][0].tolist()


def test_a_query_vector_does_not_depend_on_what_was_asked_before(graph: OnnxEmbedder) -> None:
    fresh = OnnxEmbedder(graph.directory)
    q = "confidence in police"
    first = fresh.embed([q])[0]
    fresh.embed(["something much longer about the London Victim and Witness Service, to change the shapes"])
    assert np.array_equal(fresh.embed([q])[0], first)
    assert np.array_equal(np.asarray(graph.embed_query(q), dtype=np.float32), first)


def test_an_index_without_a_graph_falls_back_to_sentence_transformers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="reportqa.onnx_embed"):
        enc = query_encoder(tmp_path / "index", "all-MiniLM-L6-v2:0123456789abcdef")
    assert isinstance(enc, Embedder)
    assert "no ONNX export" in caplog.text and "reportqa ingest" in caplog.text


def test_a_graph_that_fails_its_check_is_not_installed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = SimpleNamespace(onnx_model=b"not an onnx graph", embed=lambda texts: np.zeros((len(texts), 384)))
    with caplog.at_level(logging.WARNING, logger="reportqa.onnx_embed"):
        assert install(tmp_path, "m:1", broken) is None  # type: ignore[arg-type]
    assert "could not export" in caplog.text
    assert not has_graph(tmp_path, "m:1") and not list((tmp_path / "models").iterdir())


def test_an_unchanged_ingest_exports_a_missing_graph(index_config: Config, tmp_path: Path,
                                                     embedder: Embedder) -> None:
    """An index built before graphs existed gets one from `reportqa ingest`, without re-embedding."""
    cfg = Config(corpus_dir=index_config.corpus_dir, index_dir=tmp_path / "index")
    shutil.copytree(index_config.index_dir, cfg.index_dir)
    shutil.rmtree(cfg.index_dir / "models")
    fp = OpenIndex.open(cfg).model_fingerprint
    assert not has_graph(cfg.index_dir, fp)
    result = ingest(cfg, embedder=embedder)
    assert result.status == "unchanged" and result.embedded == 0
    assert has_graph(cfg.index_dir, fp)
    meta = json.loads((model_files(cfg.index_dir, fp) / "export.json").read_text(encoding="utf-8"))
    assert meta["fingerprint"] == fp and meta["min_cosine_at_export"] >= MIN_COSINE


def test_ask_imports_only_what_it_uses(index_config: Config, tmp_path: Path) -> None:
    """`reportqa ask` in a fresh interpreter: the answer, then the modules it loaded."""
    script = (
        "import json, sys\n"
        "from reportqa.cli import main\n"
        f"code = main(['ask', {QUESTION!r}, '--json'])\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env.update({"REPORTQA_INDEX_DIR": str(index_config.index_dir),
                "REPORTQA_CORPUS_DIR": str(index_config.corpus_dir),
                "REPORTQA_CONFIG": str(tmp_path / "no-such.toml")})
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["status"] == "answered"
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    loaded = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert loaded == [], f"the query path imported {loaded}"
    assert {"onnxruntime", "tokenizers", "chromadb"} <= {m.split(".")[0] for m in modules}


@pytest.mark.parametrize("filters", [
    Filters(),
    Filters(years=("2022-23",)),
    Filters(years=("2021-22", "2022-23"), priority="victims"),
    Filters(plan="2022-25", priority="violence", report_id="mopac-2022-23"),
])
def test_the_chroma_filter_is_the_one_llama_index_built(filters: Filters) -> None:
    from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters
    from llama_index.vector_stores.chroma.base import _to_chroma_filter

    conds: list[MetadataFilter | MetadataFilters] = []
    if filters.years:
        conds.append(MetadataFilter(key="year", value=list(filters.years), operator=FilterOperator.IN))
    for key in ("plan", "priority", "report_id"):
        if getattr(filters, key):
            conds.append(MetadataFilter(key=key, value=getattr(filters, key), operator=FilterOperator.EQ))
    expected = _to_chroma_filter(MetadataFilters(filters=conds)) if conds else None
    assert chroma_where(filters) == expected


def test_onnxruntime_queues_no_telemetry_for_upload(index_config: Config, tmp_path: Path) -> None:
    """onnxruntime 1.31 queues a OneDS telemetry event in ~/.cache/Microsoft/DeveloperTools at every import,
    for a native uploader to send to Microsoft (out of reach of the tests' socket guard). After
    `offline_environment()` it queues nothing. The first run, without it, shows the check sees the queue.
    (onnxruntime itself skips it on a machine with CI=true; real users' machines have no such variable.)"""
    index = OpenIndex.open(index_config)
    model = model_files(index_config.index_dir, index.model_fingerprint) / "model.onnx"
    code = ("import sys\n"
            "if sys.argv[1] == 'offline':\n"
            "    from reportqa.config import offline_environment\n"
            "    offline_environment()\n"
            "import onnxruntime as ort\n"
            f"ort.InferenceSession({str(model)!r}, "
            "providers=['CPUExecutionProvider'])\n")
    queues: dict[str, list[Path]] = {}
    for mode in ("library default", "offline"):
        home = tmp_path / mode.replace(" ", "-")
        home.mkdir()
        # onnxruntime also stays quiet when it sees a CI machine (CI=true): both runs are made as on a desk
        env = {k: v for k, v in os.environ.items() if k not in (
            "ORT_DISABLE_TELEMETRY", "CI", "GITHUB_ACTIONS", "TF_BUILD", "CONTINUOUS_INTEGRATION")}
        env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
        subprocess.run([sys.executable, "-c", code, "offline" if mode == "offline" else "default"],
                       env=env, check=True, timeout=120, capture_output=True)
        queues[mode] = list(home.rglob("onnxruntime.db"))
    assert queues["library default"], "onnxruntime no longer queues telemetry here: revisit this test"
    assert queues["offline"] == []
