"""Small corpora the tests build: one real report copied beside its manifest entry, so an index builds in
seconds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = "mopac-2014-15"  # a short web summary


def small_corpus(dst: Path, report_id: str = SMALL) -> Path:
    """`dst` (created) holding the real report `report_id` and a manifest listing only it."""
    dst.mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / f"{report_id}.txt", dst)
    manifest = json.loads((ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    manifest["reports"] = [r for r in manifest["reports"] if r["id"] == report_id]
    (dst / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dst
