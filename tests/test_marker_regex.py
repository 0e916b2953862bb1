"""The `[n]` citation marker's pattern is written once, as reportqa.types.MARKER (issue 25): other modules
use it, or build longer patterns from MARKER.pattern. A new copy of the pattern fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from reportqa.types import MARKER

SRC = Path(__file__).resolve().parents[1] / "src" / "reportqa"
COPIES = (r"\[(\d+)\]", r"\[\d+\]")  # the pattern as source text writes it, with and without its group
# the same in other spellings: the digit class as [0-9], the group or not, escaped or raw
SPELLED = re.compile(r"\\\\?\[\(?(?:\\\\?d|\[0-9\])\+\)?\\\\?\]")
# No module but types.py writes the pattern (issue 25): a new copy fails.


def _copies(source: str) -> bool:
    """Whether module source writes the marker's pattern itself: in its text as written, or in a string
    constant's value (however it is quoted or escaped)."""
    if any(c in source for c in COPIES) or SPELLED.search(source):
        return True
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str)
               and any(c in node.value for c in COPIES)
               for node in ast.walk(ast.parse(source)))


def test_the_marker_pattern_is_written_once() -> None:
    written = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if _copies(p.read_text(encoding="utf-8"))}
    assert written == {"types.py"}


def test_a_copy_is_seen_however_it_is_spelled() -> None:
    for source in ('X = re.compile(r"\\[(\\d+)\\]")', 'X = "\\\\[(\\\\d+)\\\\]"', 'X = r"\\[([0-9]+)\\]"',
                   'X = re.search(r"\\[\\d+\\]", t)', 'X = r"(?:\\s*\\[\\d+\\])+"'):
        assert _copies(source), source
    for source in ('X = re.compile(r"\\s*" + MARKER.pattern)', 'X = "[1]"', 'X = rf"\\[{n}\\]"'):
        assert not _copies(source), source


def test_the_marker_reads_the_number_it_names() -> None:
    assert MARKER.findall("Up 5% [1], then 7% [12].[3]") == ["1", "12", "3"]
    assert MARKER.sub(lambda m: f"[{int(m.group(1)) + 1}]", "a [1] b [2]") == "a [2] b [3]"
    assert not MARKER.search("[a] [1.5] [ 2]")
