"""What passages, vectors and Chroma entries are stored under: segment keys, vector keys, entry ids, and the
texts an index embeds and tokenises for a passage. The lowest layer of the index: no other index module."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import NotRequired, TypedDict, cast

from reportqa.text import tokenize
from reportqa.types import Passage, Report


class ReportRecord(TypedDict):
    """A report's manifest record (corpus/manifest.json "reports", a build manifest's "corpus"): `Report`'s
    fields as JSON types (`report_record`), validated by `Report.model_validate` where a build is opened.
    Records written by earlier versions may lack the later fields."""

    id: str
    file: str
    title: str
    kind: str
    shape: str
    year: str
    plan: str
    published: NotRequired[str | None]
    source_url: NotRequired[str | None]
    notes: NotRequired[str | None]
    sha256: str
    period: NotRequired[str | None]
    pages: NotRequired[list[int]]  # left out for a document without pages


def embed_text(p: Passage) -> str:
    return header_for(p) + "\n" + p.clean


def header_for(p: Passage) -> str:
    return f"{p.title} ({p.year}). {p.section}."


def bm25_tokens(p: Passage) -> list[str]:
    """What BM25 indexes for a passage: its header and text, tokenised as queries are."""
    return tokenize(header_for(p) + " " + p.clean) or ["_"]


@lru_cache(maxsize=1 << 16)  # an ingesting process keys the same 1,000 reports on every add
def segment_key(report: Report, settings_json: str) -> str:
    """The name of a report's segment, 20 hex characters: a digest of its record (checksum, title, year...)
    and the settings (`fingerprints.index_settings`, as JSON with sorted keys)."""
    blob = json.dumps({"report": report_record(report), **json.loads(settings_json)}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def report_record(report: Report) -> ReportRecord:
    """A report's manifest record (JSON types), a fresh dict each call. Shape: Report's fields."""
    return cast(ReportRecord, dict(_report_record(report)))


@lru_cache(maxsize=1 << 16)  # a frozen model: its record is dumped once, not three times an ingest
def _report_record(report: Report) -> ReportRecord:
    return cast(ReportRecord, report.model_dump(mode="json"))


def sentence_key(text: str) -> str:
    """The key a vector is stored and reused under: a digest of the embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def sentence_texts(passages: list[Passage]) -> list[str]:
    """Every sentence of every passage, in passage then sentence order: the rows of sentences.npy."""
    return [s.text for p in passages for s in p.sentences]


def entry_id(segment: str, passage_id: str) -> str:
    """A passage's id in the shared Chroma collection: its segment and its own id."""
    return f"{segment}:{passage_id}"
