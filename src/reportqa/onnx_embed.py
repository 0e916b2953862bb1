"""Query vectors without torch: the bundled MiniLM exported to ONNX at ingest, run by onnxruntime, tokenizers.

`reportqa ask` spends its first seconds importing, not computing: sentence-transformers and torch take ~9 s to
import, onnxruntime and tokenizers ~0.05 s. So `reportqa ingest` (which loads torch anyway) exports the model
once, next to the index, and the query path encodes with that graph:

    index_dir/models/<model fingerprint>/
        model.onnx       Transformer -> mean pooling over the attention mask -> L2 normalisation (embed.py)
        tokenizer.json   the model's own word-piece tokenizer, read with truncation at 256 word-pieces
        export.json      the torch version, opset and the agreement with sentence-transformers when exported

The directory is keyed by the model fingerprint stored in the index manifest, so queries are always encoded by
the model the stored vectors came from. A text is encoded alone (no padding) on one thread, as at ingest
(Embedder.embed). The vectors agree with sentence-transformers' to float rounding (cosine >= 0.9999 is checked
before a graph is installed, and in tests/test_onnx_embed.py); they are not bit-identical, which the rounding
of similarities in retrieve.py (6 decimals) and service.py (5) absorbs. Without an exported graph (an index
built before this existed, or an export that failed) the query path loads sentence-transformers, with a
warning.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportqa.config import MODEL_MAX_TOKENS
from reportqa.embed import ONNX_INPUTS, ONNX_OPSET, ONNX_OUTPUT, Embedder, QueryEncoder, model_dir

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
MODELS_DIR = "models"
MIN_COSINE = 0.9999  # with sentence-transformers, on every check text, or the graph is not installed
# Checked at export: short, long (past 256 word-pieces, so truncated), figures, punctuation, accents.
CHECK_TEXTS = (
    "victims",
    "How many people did the London Victim and Witness Service support in 2022/23?",
    "MOPAC Annual Report 2022-23 (2022-23). Supporting victims.\nThe Lighthouse supported 256 survivors of "
    "CSA during 2022/23; £1.2m was invested in the CSA Hubs (up 12% on 2021-22).",
    "Café, naïve, coöperate — “quoted” text with an em dash… and odd   spacing.  ",
    " ".join(f"Sentence {i} on policing, confidence and crime in London's 32 boroughs." for i in range(40)),
)


def model_files(index_dir: Path, fingerprint: str) -> Path:
    """Where the graph for the model with this fingerprint (embed.model_fingerprint()) lives."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in fingerprint)
    return index_dir / MODELS_DIR / safe


def has_graph(index_dir: Path, fingerprint: str) -> bool:
    return (model_files(index_dir, fingerprint) / "model.onnx").is_file()


class OnnxEmbedder:
    """The model's exported graph on onnxruntime, tokenised by `tokenizers`: no torch, no transformers."""

    max_tokens = MODEL_MAX_TOKENS
    dims = Embedder.dims

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @cached_property
    def session(self) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # one thread, as Embedder.embed: a vector then does not depend on the core count, and a query is
        # fastest without waking a second busy core
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        path = str(self.directory / "model.onnx")
        return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])

    @cached_property
    def tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        # the file's own settings (truncation at 128, padding to 128) are not what sentence-transformers uses
        tok.enable_truncation(max_length=MODEL_MAX_TOKENS)
        tok.no_padding()
        return tok

    def features(self, text: str) -> dict[str, np.ndarray]:
        """The model's inputs for one text, tokenised as sentence-transformers does (special tokens too)."""
        import numpy as np

        enc = self.tokenizer.encode(text)
        rows = (enc.ids, enc.attention_mask, enc.type_ids)
        return {name: np.asarray([row], dtype=np.int64) for name, row in zip(ONNX_INPUTS, rows, strict=True)}

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, each text its own pass (no padding), as Embedder.embed."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        rows = [self.session.run([ONNX_OUTPUT], self.features(t))[0][0] for t in texts]
        return np.stack(rows).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_vector(text))

    @lru_cache(maxsize=512)  # noqa: B019 - one embedder per assistant; the cache is the point
    def _query_vector(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self.embed([text])[0])


def query_encoder(index_dir: Path, fingerprint: str, batch_size: int = 32) -> QueryEncoder:
    """The exported graph of the index's model if there is one, else sentence-transformers (slow to start)."""
    directory = model_files(index_dir, fingerprint)
    if (directory / "model.onnx").is_file():
        return OnnxEmbedder(directory)
    log.warning(
        "no ONNX export of the embedding model under %s: loading sentence-transformers, which takes seconds; "
        "run `reportqa ingest` to export it", index_dir / MODELS_DIR,
    )
    return Embedder(batch_size)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """The lowest cosine between corresponding rows of two matrices of vectors."""
    import numpy as np

    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    return float(np.min(np.sum(a * b, axis=1) / (na * nb)))


def install(index_dir: Path, fingerprint: str, embedder: Embedder) -> Path | None:
    """Export `embedder`'s model next to the index unless it is there already; the directory, or None.

    The graph is checked against `embedder` on CHECK_TEXTS before it is moved into place (atomically), so a
    query never runs a graph that disagrees with the stored vectors. A failed export is a warning, not an
    error: queries then use sentence-transformers, as before.
    """
    final = model_files(index_dir, fingerprint)
    if (final / "model.onnx").is_file():
        return final
    tmp = final.with_name(f"{final.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        import torch

        tmp.mkdir(parents=True)
        (tmp / "model.onnx").write_bytes(embedder.onnx_model)
        shutil.copyfile(model_dir() / "tokenizer.json", tmp / "tokenizer.json")
        onnx = OnnxEmbedder(tmp)
        texts = list(CHECK_TEXTS)
        cosine = agreement(onnx.embed(texts), embedder.embed(texts))
        if not cosine >= MIN_COSINE:
            raise ValueError(f"the exported graph disagrees with sentence-transformers (cosine {cosine:.6f})")
        del onnx
        meta = {"fingerprint": fingerprint, "torch": torch.__version__, "opset": ONNX_OPSET,
                "inputs": list(ONNX_INPUTS), "output": ONNX_OUTPUT, "max_tokens": MODEL_MAX_TOKENS,
                "min_cosine_at_export": round(cosine, 8)}
        (tmp / "export.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "model.onnx").is_file():  # not another ingest that got there first
                raise
    except Exception as exc:  # any failure only costs the fast start: say so, and go on
        log.warning("could not export the embedding model to ONNX (%s): queries will load "
                    "sentence-transformers", exc)
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def prune(index_dir: Path, keep: set[str]) -> None:
    """Remove the exported graphs of models other than the fingerprints in `keep`, and abandoned partials."""
    root = index_dir / MODELS_DIR
    if not root.is_dir():
        return
    wanted = {model_files(index_dir, fp).name for fp in keep}
    for d in root.iterdir():
        if d.name not in wanted:
            shutil.rmtree(d, ignore_errors=True)
