"""The index: per-report segments + Chroma + a BM25 sidecar + a manifest; new builds published by one atomic
swap.

Layout under `index_dir`:
    CURRENT                 the name of the build that serves (replaced atomically: the one commit point)
    builds/<name>/
        manifest.json       fingerprint (corpus checksums, model, chunker, taxonomy), counts, the segments
                            (one per report) in order, those not yet in Chroma (`pending`), the corpus
                            manifest it was built from, and each corpus file's size, mtime and sha256 (for
                            the stale-index warning)
    segments/<key>/         one report, immutable, named by a digest of the report and the settings:
        passages.jsonl      every passage with its metadata, sentences and offsets
        passages.npy        the passage vectors as embedded (what a later ingest reuses), passage_keys.json
        sentences.npy       the sentence vectors, sentence_keys.json
        bm25.npz            its passages' BM25 term counts (bm25.Postings)
    chroma/                 the persistent Chroma collection shared by the builds (unless a Chroma server is
                            configured): entries `<segment>:<passage id>`, so a build sees only its segments
    models/<fingerprint>/   the embedding model exported to ONNX for the query path (onnx_embed.py)

Adding one report writes one segment and a manifest: the other reports are neither parsed, embedded,
tokenised nor copied. Its passages wait as `pending` (searched exactly, from the segment's passages.npy)
until more than PENDING_MAX_PASSAGES wait; the ingest that passes it adds them all to Chroma in one call, so
a small add does not pay Chroma's fixed cost of an add (10-20 ms at 1,000 reports). A kill at any point
leaves CURRENT naming the previous build, whose segments and Chroma entries are untouched; the next ingest
removes what the kill left.

The modules, each importing only those above it in this list (tests/test_layout_imports.py checks it):
    caches        the process-global caches, all in one place
    keys          segment keys, vector keys, Chroma entry ids, the texts embedded and tokenised
    fingerprints  the index settings and a build's fingerprint
    store         the directory layout, durable writes, build manifests (typed), the swap, the corpus manifest
    segments      one report's passages, vectors and BM25 counts on disk
    chroma        the Chroma client and collections, the pending-passage policy, removing unused entries
    build         passages from reports, and `ingest`
    open          `OpenIndex` for serving, and the stale-corpus check
Import from here; the modules' other names are theirs to change.
"""

from reportqa.index.build import (
    PUBLISH_STEPS,
    IngestResult,
    build_passages,
    ingest,
    ingest_lock,
    passages_for,
)
from reportqa.index.chroma import chroma_client
from reportqa.index.fingerprints import fingerprint
from reportqa.index.keys import bm25_tokens, embed_text, sentence_key, sentence_texts
from reportqa.index.open import CorpusChange, OpenIndex, stale_json, stale_message
from reportqa.index.segments import SentenceVectors
from reportqa.index.store import REBUILD_HINT, Layout, Manifest, sync_corpus_manifest

__all__ = [
    "PUBLISH_STEPS",
    "REBUILD_HINT",
    "CorpusChange",
    "IngestResult",
    "Layout",
    "Manifest",
    "OpenIndex",
    "SentenceVectors",
    "bm25_tokens",
    "build_passages",
    "chroma_client",
    "embed_text",
    "fingerprint",
    "ingest",
    "ingest_lock",
    "passages_for",
    "sentence_key",
    "sentence_texts",
    "stale_json",
    "stale_message",
    "sync_corpus_manifest",
]
