"""The answer's text as the short answer reads it: cut into sentences (`_Piece`, `_pieces`: by line, where a
marker run ends a unit, at sentence ends), each as shown (markers and the openings `Answer.openings` records
out), with its citations and whether it is the partial answer's gap or a list's line; the lead unit
(`lead_unit`), words as a reader counts them (`words`) and the lines where a several-ask answer's parts start
(`part_starts`, read off `Answer.parts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportqa.display import clean_text
from reportqa.types import MARKER, Answer, AnswerPart, Citation

_MARKERS = re.compile(r"\s*(?:" + MARKER.pattern + r"\s*)+")
_SPACE_BEFORE = re.compile(r"[ \t]+([.,;:!?])")
# a unit ends at a marker run followed by a line break, the end, or a new sentence
_UNIT_END = re.compile(r"(?:\s*" + MARKER.pattern + r")+(?=\s*\n|\s*$|\s+[\"“‘(£]?[A-Z0-9£])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-Z0-9£])")


def words(text: str) -> int:
    """Words as a reader counts them: runs of non-space characters, markers, bullets, dashes and ellipses
    left out."""
    return sum(1 for w in _MARKERS.sub(" ", text).split() if w not in _NOT_WORDS)


_NOT_WORDS = frozenset({"-", "•", "–", "—", "…"})


def lead_unit(text: str) -> str:
    """The answer's first cited unit: the text up to the last `[n]` of the first marker's run (the
    answering sentence with the ones that follow it from the same passage, or the list its colon
    introduces); the whole first line when nothing is cited. The eval's `lead_key_facts` reads this too."""
    first = MARKER.search(text)
    if first is None:
        return text.split("\n", 1)[0]
    end = first.end()
    for mark in MARKER.finditer(text, first.end()):
        if mark.group(0) != first.group(0):
            break
        end = mark.end()
    return text[:end]


def _openings(answer: Answer) -> tuple[str, ...]:
    """The openings the answer's composer wrote before report sentences ("According to the 2015-16 annual
    report (MOPAC Annual Report 2015-16: the end of ...): ", "In the 2023-24 annual report: "), as it
    recorded them (`Answer.openings`), longest first: `_shown` takes them out of the sentences shown."""
    return tuple(sorted(set(answer.openings), key=len, reverse=True))


def _label(c: Citation) -> str:
    from reportqa.kinds import label

    try:
        return label(c)
    except Exception:  # a kind this version does not know: named by its title only
        return ""


def _shown(text: str, openings: tuple[str, ...] = ()) -> str:
    """A unit as shown: openings and markers out, spaces tidied, its list line kept on a line of its own."""
    t = text
    for opening in openings:
        t = t.replace(opening, "")
    t = _SPACE_BEFORE.sub(r"\1", _MARKERS.sub(" ", t))
    t = clean_text(t)
    lines = [" ".join(line.split()) for line in t.split("\n")]
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class _Piece:
    """A sentence of the answer's text (a list's line is one, its further sentences follow it), as shown."""

    index: int
    start: int  # offsets in the answer's text
    line: int  # the text's line it is on
    raw: str  # with its markers and any opening (`Answer.openings`)
    shown: str
    markers: tuple[int, ...]  # its own, or its unit's when it has none (the unit's earlier sentences)
    gap: bool  # in a unit that cites nothing: what the answer says without a source (a partial answer's gap)
    item: bool  # a list's line ("- ...")
    first_on_line: bool
    # on a line of a several-ask answer that cites only passages cited on lines above it: a part answered by a
    # passage an earlier part already gave, pointing back to it (`service.combine`)
    recited: bool = False

    @property
    def words(self) -> int:
        return words(self.shown)


def _pieces(text: str, openings: tuple[str, ...], several: bool = False) -> list[_Piece]:
    """The answer's text cut into sentences: by line, then where a marker run ends a unit, then at sentence
    ends within a unit (a sentence without a marker is cited by the marker that ends its unit). `several`:
    the answer joins several asks' answers (its lines that only cite what lines above cite are `recited`)."""
    out: list[_Piece] = []
    at = 0
    cited: set[str] = set()  # the markers of the lines above
    for line_no, line in enumerate(text.split("\n")):
        line_marks = set(MARKER.findall(line))
        recited = several and bool(line_marks) and line_marks <= cited
        cited |= line_marks
        cuts = [0] + [m.end() for m in _UNIT_END.finditer(line)]
        if cuts[-1] < len(line):
            cuts.append(len(line))
        first = True
        for a, b in zip(cuts, cuts[1:], strict=False):
            unit = line[a:b]
            marks = tuple(dict.fromkeys(int(m) for m in MARKER.findall(unit)))
            starts = [0] + [m.end() for m in _SENTENCE_END.finditer(unit)]
            for c, d in zip(starts, [*starts[1:], len(unit)], strict=True):
                sentence = unit[c:d]
                shown = _shown(sentence, openings)
                if not shown:
                    continue
                own = tuple(dict.fromkeys(int(m) for m in MARKER.findall(sentence)))
                out.append(_Piece(index=len(out), start=at + a + c, line=line_no, raw=sentence.lstrip(),
                                  shown=shown, markers=own or marks, gap=not own and not marks,
                                  item=shown.startswith(_BULLETS), first_on_line=first, recited=recited))
                first = False
        at += len(line) + 1
    return out


_BULLETS = ("- ", "• ")
# a sentence that leans on the one before it ("This money is supporting ...", "It also creates ...")
_REFERS_BACK = re.compile(r"(?i)^[\"“‘(]?(?:this|these|that|those|it|its|they|their|them|he|his|she|her|such|"
                          r"both|of these|of those|of them|the same)\b")


def part_starts(text: str, parts: Sequence[AnswerPart]) -> frozenset[int]:
    """The lines of the answer's text (0-based) where the parts of a several-ask answer start, as
    `pipeline.combine` records them (`Answer.parts`: each part's first line), found in order. Only a part
    that opens with its own answer is told apart: a part the reports answer (in full, or partly after saying
    what they do not give), don't answer, or a passage above answers; not one that opens partway into its
    answer (its answer's first sentence is above, under an earlier part) or a refusal. A part whose first
    line is no longer in the text (taken out when the answer was checked) has none."""
    lines = [line.strip() for line in text.split("\n")]
    out: set[int] = set()
    at = 0
    for part in parts:
        first = part.first_line.strip()
        if not first or part.kind == "refused" or not part.whole:
            continue
        i = next((i for i in range(at, len(lines)) if lines[i] == first), None)
        if i is not None:
            out.add(i)
            at = i + 1
    return frozenset(out)


def _in_list(p: _Piece, pieces: list[_Piece]) -> bool:
    """A list's line, or a further sentence on one."""
    return p.item or not p.first_on_line and any(q.item for q in pieces[: p.index] if q.line == p.line)


def _candidate(p: _Piece, pieces: list[_Piece]) -> bool:
    """A sentence that may be shown on its own: cited, not in a list, not a pointer to another part's
    answer."""
    return not (p.gap or _in_list(p, pieces) or p.recited)


def _with_referent(p: _Piece, pieces: list[_Piece]) -> list[_Piece]:
    """The sentence, after the one before it when it leans on that one ("This money is ...")."""
    before = pieces[p.index - 1] if p.index else None
    if before is not None and _REFERS_BACK.match(p.shown) and before.line == p.line and not before.gap:
        return [before, p]
    return [p]


def _whole_sentence(text: str, lead: str) -> str:
    """The lead run on to its sentence's end when its marker run ends mid-sentence ("... £4bn in 2022-23 [3]
    and £4.4bn in 2023-24 [4].", a trend's summary): to the end of that line."""
    rest = text[len(lead) :]
    line = rest.split("\n", 1)[0]
    if line.strip() and not re.match(r"\s+[\"“‘(£]?[A-Z0-9£]", line):
        return lead + line
    return lead


def _normal(text: str) -> str:
    return " ".join(text.split())
