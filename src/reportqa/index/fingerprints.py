"""What a build is made of: the settings (model, chunker, parsing code, taxonomy, format) and the fingerprint
that says two builds are equal. Below everything that writes: a change here re-chunks at the next ingest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypedDict

from reportqa.chunk import CHUNKER_VERSION
from reportqa.config import Config
from reportqa.corpus import Corpus
from reportqa.embed import model_fingerprint
from reportqa.hostile import MODEL as HOSTILE_MODEL
from reportqa.index.keys import segment_key
from reportqa.lexicon import read_text as read_lexicon
from reportqa.priorities import taxonomy_path
from reportqa.vector_model import model_text

PARSER_VERSION = "parse-v2"  # v2: layout (viewer lines, cover facts, columns, tables), page titles
# The build layout: 2 added sentence vectors (sentences.npy) and exact, single-threaded HNSW settings;
# 3 added the passage vectors (passages.npy), the copy an incremental ingest reuses; 4 split the build into
# per-report segments, a shared Chroma collection and per-segment BM25 counts.
INDEX_FORMAT = 4

# The code that turns a report into passages and sentences. Its digest is part of the index settings, so a
# change to how reports are read re-chunks them at the next ingest (their vectors are reused by text): an
# index left by older code never serves, and the same code gives the same eval figures on any machine.
PASSAGE_CODE = (
    "parse.py", "layout.py", "chunk.py", "text.py", "priorities.py", "periods.py", "kinds.py", "corpus.py",
    "lexicon/layout.toml", "lexicon/kinds.toml", "lexicon/words.txt",
    "parsing/lines.py", "parsing/clean.py", "parsing/blocks.py", "readers/new_file.py",  # from parse, corpus
)


class Settings(TypedDict):
    """The index settings (`index_settings`): a change to any of them re-chunks or re-embeds."""

    code: str  # passage_code_digest()
    model: str  # embed.model_fingerprint()
    chunker: dict[str, Any]  # config.chunk's fields, the chunker's and the parser's versions
    taxonomy: str  # a digest of the priorities file in force
    hostile: str  # a digest of the rules and the fitted classifier behind Sentence.flags
    format: int  # INDEX_FORMAT


class Fingerprint(TypedDict):
    """A build's fingerprint: a digest of its reports and segment keys, then the settings (in that order in
    the manifest). A build of an earlier version held the reports' records by id under "reports"."""

    reports: str
    code: str
    model: str
    chunker: dict[str, Any]
    taxonomy: str
    hostile: str
    format: int


def passage_code_digest() -> str:
    """A digest of the files in PASSAGE_CODE (those present), 16 hex characters."""
    h = hashlib.sha256()
    root = Path(__file__).parent.parent  # src/reportqa
    for name in PASSAGE_CODE:
        path = root / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def index_settings(config: Config) -> Settings:
    return {
        "code": passage_code_digest(),
        "model": model_fingerprint(),
        "chunker": {**config.chunk.model_dump(), "chunker": CHUNKER_VERSION, "parser": PARSER_VERSION},
        "taxonomy": hashlib.sha256(taxonomy_path(config.corpus_dir).read_bytes()).hexdigest()[:16],
        # Sentence.flags: the rules and the fitted classifier of text about the document's readers
        "hostile": hashlib.sha256((read_lexicon("hostile") + model_text(HOSTILE_MODEL)).encode("utf-8")
                                  ).hexdigest()[:16],
        "format": INDEX_FORMAT,
    }


def fingerprint(corpus: Corpus, config: Config, keys: dict[str, str] | None = None,
                settings: Settings | None = None) -> Fingerprint:
    """What a build is made of: the settings (model, chunker, parsing code...) and a digest of the reports'
    ids and segment keys in order (each key a digest of the report's record and the settings), so equal
    fingerprints mean an equal index. 32 hex characters, not the records: a build's manifest is read and
    written on every add, and at 1,000 reports the records doubled its size. `keys` and `settings`: the
    segment keys by report id and `index_settings(config)`, when the caller has them."""
    settings = settings if settings is not None else index_settings(config)
    if keys is None:
        settings_json = json.dumps(settings, sort_keys=True)
        keys = {r.id: segment_key(r, settings_json) for r in corpus.reports}
    blob = "".join(f"{r.id}\0{keys[r.id]}\n" for r in corpus.reports)
    return {"reports": hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32], **settings}
