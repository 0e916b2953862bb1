"""The `[n]` citation marker's pattern is written once, as reportqa.types.MARKER (issue 25): other modules
use it, or build longer patterns from MARKER.pattern. A new copy of the pattern fails here."""

from __future__ import annotations

from pathlib import Path

from reportqa.types import MARKER

SRC = Path(__file__).resolve().parents[1] / "src" / "reportqa"
COPIES = (r"\[(\d+)\]", r"\[\d+\]")  # the pattern as source text writes it, with and without its group
# Copies still written out while issue 25's answer-side moves are under way (one marker module there):
# the answer's citation check, and the Mayor's Question drafts' renumbering and rendering.
KNOWN_COPIES = {"answer/verify.py", "mq/compose.py", "mq/render.py"}


def test_the_marker_pattern_is_written_once() -> None:
    written = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
               if any(c in p.read_text(encoding="utf-8") for c in COPIES)}
    assert written - KNOWN_COPIES == {"types.py"}


def test_the_marker_reads_the_number_it_names() -> None:
    assert MARKER.findall("Up 5% [1], then 7% [12].[3]") == ["1", "12", "3"]
    assert MARKER.sub(lambda m: f"[{int(m.group(1)) + 1}]", "a [1] b [2]") == "a [2] b [3]"
    assert not MARKER.search("[a] [1.5] [ 2]")
