"""One Config, loaded by the entry points and passed down.

Precedence: explicit overrides (CLI flags) > environment (REPORTQA_..., nested with __)
> a TOML file (reportqa.toml, or REPORTQA_CONFIG) > defaults. Secrets come only from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_MAX_TOKENS = 256  # word-pieces the model reads, special tokens included


class ChunkConfig(BaseModel):
    max_tokens: int = 200  # word-pieces of passage text; the header added for embedding fits in the rest
    overlap_sentences: int = 0
    version: str = "chunk-v1"


class RetrievalConfig(BaseModel):
    k: int = 5
    answer_k: int = 10  # passages whose every sentence the answerer scores as evidence
    candidates: int = 40  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 0.4
    bm25_weight: float = 1.0
    reranker: str = "none"  # "none" | "lexical" | a path to a local cross-encoder directory
    # a Mayor's Question part is searched on its own and with the question's context (title, preamble):
    # the two rankings are fused, the context's at this weight; fitted on the dev split
    context_weight: float = 0.5
    context_chars: int = 600  # at most this much of the context goes into its query


class LLMConfig(BaseModel):
    url: str | None = None  # OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1
    model: str = "default"
    api_key: SecretStr | None = None
    timeout: float = 30.0
    max_tokens: int = 400
    temperature: float = 0.0


class APIConfig(BaseModel):
    public_enabled: bool = True
    rate_limit: int = 20  # requests per client per window
    rate_window: float = 60.0
    max_question_chars: int = 2000
    max_body_bytes: int = 16_384
    cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1", "http://localhost"])
    # the server's own public address (https://ask.example.org): its origin may call the API, and the
    # answers' source links start with it; unset, links follow the request and only cors_origins may call
    public_url: str | None = None
    # reverse proxies (addresses or networks) whose X-Forwarded-For names the client; none: never read
    trusted_proxies: list[str] = Field(default_factory=list)
    store_public_questions: bool = False
    feedback_db: Path = Path("feedback.sqlite3")
    workspace_auth: SecretStr | None = None  # "user:password" guarding the officer workspace (env only)


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REPORTQA_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 for a `chroma run` server
    chroma_timeout: float = Field(default=10.0, gt=0)  # seconds for any request to the Chroma server
    collection: str = "reportqa"
    backend: str = "extractive"  # "extractive" | "llm"
    embed_batch_size: int = 32
    ingest_max_bytes: int = 50_000_000  # a larger new report file is refused (REPORTQA_INGEST_MAX_BYTES)
    chunk: ChunkConfig = ChunkConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    llm: LLMConfig = LLMConfig()
    api: APIConfig = APIConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("REPORTQA_CONFIG", "reportqa.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @classmethod
    def load(cls, **overrides: Any) -> Config:
        return cls(**{k: v for k, v in overrides.items() if v is not None})


def offline_environment() -> None:
    """Close the hidden network calls of the libraries we use. Call before importing them."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # onnxruntime 1.31's native OneDS telemetry: a ProcessInfo event queued at every import in
    # ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db and sent to
    # mobile.events.data.microsoft.com by a native uploader that Python's socket guards never see
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import importlib.util

        # found from the namespace package's paths: find_spec("llama_index.core") would import llama_index
        spec = importlib.util.find_spec("llama_index")
        for root in (spec.submodule_search_locations or ()) if spec else ():
            cache = Path(root) / "core" / "_static" / "tiktoken_cache"
            if cache.is_dir():
                os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
                break
