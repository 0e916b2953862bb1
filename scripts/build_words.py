"""Writes src/reportqa/lexicon/words.txt: the words the shipped reports know (corpus/*.txt, lower-cased,
letters only, one a line), read by the parser to tell a word hyphenated at a line's end ("Visi-" / "tors")
from a real hyphen ("pan-" / "London"). A word broken by a line-end hyphen in the corpus itself is left out
(its halves are no words). Run after changing the corpus: `.venv/bin/python scripts/build_words.py`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "reportqa" / "lexicon" / "words.txt"
HEADER = "# The words the shipped reports know (scripts/build_words.py): rejoining line-end hyphenation\n"
_BROKEN = re.compile(r"[^\W\d_]+-[ \t]*\n[ \t]*[^\W\d_]+")
_WORD = re.compile(r"[^\W\d_]{2,}")


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(_BROKEN.sub(" ", text))}


def main() -> int:
    found: set[str] = set()
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        found |= words(path.read_text(encoding="utf-8"))
    OUT.write_text(HEADER + "".join(f"{w}\n" for w in sorted(found)), encoding="utf-8")
    print(f"{len(found)} words -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
