"""The citation contract, checked: pure functions, no I/O.

An answer's `[n]` markers refer to 1-based positions in the passages it was given. Markers that point
nowhere are dropped and counted. Every figure a sentence states must appear in a passage that sentence
cites (the passage's report title, year and section count as part of it, so "In 2022-23" is checked
too); a sentence that states figures without citing anything fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from reportqa.text import content_words, numbers_in, split_sentences, unsupported_numbers
from reportqa.types import MARKER, Citation, Passage, Sentence

# "[1]", "[1, 2]", "[1;2]", "[passage 1]"; the whitespace before a marker goes with it when it is dropped.
_MARKER_RE = re.compile(
    r"([ \t]*)\[\s*(?:passages?|source|n\s*=)?\s*(\d{1,6}(?:\s*[,;]\s*\d{1,6})*)\s*\]", re.I
)
_ENUMERATOR_RE = re.compile(r"^\s*(?:[-*•◦]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class CitedSentence:
    text: str  # without markers
    markers: tuple[int, ...]  # valid markers; a lead-in ending in ':' takes those of the lines below


@dataclass(frozen=True)
class Verification:
    text: str  # the answer with invalid markers dropped and valid ones written [n][m]
    used_markers: tuple[int, ...]  # sorted, distinct, all within 1..len(passages)
    dropped_markers: int  # markers pointing outside the passages
    unsupported: tuple[tuple[str, tuple[str, ...]], ...]  # (sentence, figures not in its cited passages)
    uncited_sentences: tuple[str, ...]
    sentences: tuple[CitedSentence, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unsupported and bool(self.used_markers)

    def reason(self) -> str:
        """One line saying why the check failed ("" when it passed)."""
        if self.ok:
            return ""
        if not self.used_markers:
            extra = f" ({self.dropped_markers} pointed to no passage)" if self.dropped_markers else ""
            figures = sorted({n for _, missing in self.unsupported for n in missing})
            if figures:
                extra += f"; uncited figure(s) {', '.join(figures)}"
            return "no valid citation markers" + extra
        sent, missing = self.unsupported[0]
        more = f" (and {len(self.unsupported) - 1} more sentence(s))" if len(self.unsupported) > 1 else ""
        short = sent if len(sent) <= 80 else sent[:77] + "..."
        return f"figure(s) {', '.join(missing)} not in the cited passages: {short!r}{more}"


def clean_markers(text: str, n_passages: int) -> tuple[str, int]:
    """Drop markers outside 1..n_passages (counting each number dropped); write the rest as [a][b]."""
    dropped = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal dropped
        valid: list[int] = []
        for raw in re.split(r"\s*[,;]\s*", m.group(2)):
            n = int(raw)
            if 1 <= n <= n_passages:
                if n not in valid:
                    valid.append(n)
            else:
                dropped += 1
        if not valid:
            return ""
        return m.group(1) + "".join(f"[{n}]" for n in valid)

    return _MARKER_RE.sub(sub, text), dropped


def cited_sentences(clean_text: str) -> list[CitedSentence]:
    """Sentences of a cleaned answer with the markers each one carries.

    A marker belongs to the sentence it sits in, or to the sentence just before it when it follows a
    full stop ("... 19%. [2]"). A lead-in without markers that ends with ':' takes the markers of the
    lines under it, up to the next lead-in.
    """
    out: list[CitedSentence] = []
    for line in clean_text.split("\n"):
        line = _ENUMERATOR_RE.sub("", line)  # "2. ..." and "- ..." are list marks, not sentences or figures
        bare = ""
        positions: list[tuple[int, int]] = []
        last = 0
        for m in MARKER.finditer(line):
            start = m.start()
            while start > last and line[start - 1] in " \t":
                start -= 1
            bare += line[last:start]
            positions.append((len(bare), int(m.group(1))))
            last = m.end()
        bare += line[last:]
        spans = split_sentences(bare)
        if not spans:
            continue
        marks: list[list[int]] = [[] for _ in spans]
        for pos, n in positions:
            idx = next((i for i, (_, b) in enumerate(spans) if pos <= b), len(spans) - 1)
            if n not in marks[idx]:
                marks[idx].append(n)
        for (a, b), ms in zip(spans, marks, strict=True):
            text = bare[a:b].strip()
            if text:
                out.append(CitedSentence(text, tuple(ms)))
    return _lend_to_lead_ins(out)


def _lend_to_lead_ins(sentences: list[CitedSentence]) -> list[CitedSentence]:
    result = list(sentences)
    for i, s in enumerate(sentences):
        if s.markers or not s.text.endswith(":"):
            continue
        borrowed: list[int] = []
        for t in sentences[i + 1 :]:
            if t.text.endswith(":") and not t.markers:
                break
            borrowed.extend(n for n in t.markers if n not in borrowed)
        result[i] = CitedSentence(s.text, tuple(borrowed))
    return result


def evidence(p: Passage) -> str:
    """What a citation of this passage vouches for: its report, year, plan, section and text."""
    return f"{p.title}\n{p.year}\n{p.plan}\n{p.section}\n{p.text}\n{p.clean}"


def verify_text(text: str, passages: Sequence[Passage]) -> Verification:
    """The contract for a model's draft, whose [n] are 1-based positions in `passages`: markers outside
    them are dropped and counted; every figure must be in a passage its sentence cites."""
    cleaned, dropped = clean_markers(text, len(passages))
    return _check(cleaned, dropped, lambda n: evidence(passages[n - 1]), skip_questions=False)


def _check(
    cleaned: str, dropped: int, evidence_of: Callable[[int], str | None], skip_questions: bool,
    gaps: Sequence[str] = (),
) -> Verification:
    """Every sentence of `cleaned`: its markers must each have evidence (`evidence_of(n)` is None for a
    marker that cites nothing), and every figure it states must be in that evidence. A sentence of one of
    `gaps` (read as the text is read), uncited, is skipped: it names what the reports lack."""
    sentences = cited_sentences(cleaned)
    gap_sentences = {s.text for g in gaps for s in cited_sentences(g) if not s.markers}
    used: set[int] = set()
    unsupported: list[tuple[str, tuple[str, ...]]] = []
    uncited: list[str] = []
    for s in sentences:
        if skip_questions and s.text.rstrip().endswith("?"):
            continue  # a question restated ("The reports don't say: who paid in 2021-22?") asserts nothing
        if not s.markers and s.text in gap_sentences:
            continue  # "The reports do not give a cost figure for PCD 280." names a gap, asserts nothing
        figures = numbers_in(s.text)
        found = {m: evidence_of(m) for m in s.markers}
        dangling = [m for m, ev in found.items() if ev is None]
        if dangling:
            unsupported.append((s.text, tuple(f"[{m}] cites nothing" for m in dangling)))
            continue
        if not s.markers:
            uncited.append(s.text)
            if figures:
                unsupported.append((s.text, tuple(sorted(figures))))
            continue
        used.update(s.markers)
        if figures:
            missing = unsupported_numbers(s.text, "\n".join(ev for ev in found.values() if ev is not None))
            if missing:
                unsupported.append((s.text, tuple(sorted(missing))))
    return Verification(
        text=cleaned.strip(),
        used_markers=tuple(sorted(used)),
        dropped_markers=dropped,
        unsupported=tuple(unsupported),
        uncited_sentences=tuple(uncited),
        sentences=tuple(sentences),
    )


def first_use_order(clean_text: str) -> list[int]:
    order: list[int] = []
    for m in MARKER.finditer(clean_text):
        n = int(m.group(1))
        if n not in order:
            order.append(n)
    return order


def renumber(clean_text: str, mapping: Mapping[int, int]) -> str:
    """Rewrite the markers of a cleaned answer through `mapping` (old -> new)."""
    return MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]", clean_text)


def check_citation_quote(source_text: str, citation: Citation) -> bool:
    """The quote is exactly the source text at the citation's offsets."""
    if not 0 <= citation.start <= citation.end <= len(source_text):
        return False
    return source_text[citation.start : citation.end] == citation.quote


def best_sentence(passage: Passage, sentence: str | None = None) -> Sentence | None:
    """The passage sentence that shares the most figures, then words, with an answer sentence.

    The passage's own report year is not counted as a shared figure: "In the 2022-23 report, ..."
    says which report, not which sentence.
    """
    if not passage.sentences:
        return None
    if not sentence:
        return passage.sentences[0]
    nums = numbers_in(sentence) - numbers_in(f"{passage.year} {passage.plan} {passage.title}")
    words = content_words(sentence)

    def score(s: Sentence) -> tuple[int, int]:
        return (len(nums & numbers_in(s.text)), len(words & content_words(s.text)))

    return max(passage.sentences, key=score)  # max keeps the first of equals


def citation_for(marker: int, passage: Passage, sentence: str | Sequence[str] | None = None) -> Citation:
    """A citation of `passage` quoting the passage sentence most relevant to `sentence`.

    Given several answer sentences citing the same passage, the quote runs from the first to the last
    of their most relevant passage sentences. The quote is cut from the passage's exact source text by
    offsets, so it equals source[start:end].
    """
    said: list[str | None] = (
        [sentence] if isinstance(sentence, str) or sentence is None else [*sentence] or [None]
    )
    best = [b for b in (best_sentence(passage, s) for s in said) if b is not None]
    if best:
        start, end = min(b.start for b in best), max(b.end for b in best)
    else:
        start, end = passage.start, passage.end
    return citation_span(marker, passage, start, end)


def citation_span(marker: int, passage: Passage, start: int, end: int) -> Citation:
    """The one way a citation is made: the quote is cut from the passage's exact source text by offsets."""
    return Citation(
        marker=marker,
        passage_id=passage.id,
        report_id=passage.report_id,
        title=passage.title,
        year=passage.year,
        section=passage.section,
        priority=passage.priority,
        quote=passage.text[start - passage.start : end - passage.start],
        start=start,
        end=end,
        passage=passage.clean,
        kind=passage.kind,
        period=passage.period,
    )


class Cited(Protocol):
    """What the contract reads of a citation (a `Citation`, or the eval's record of one)."""

    @property
    def marker(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def year(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def passage(self) -> str: ...


def citation_evidence(c: Cited) -> str:
    """What a citation vouches for: its report title, year, section, exact quote and whole passage."""
    return f"{c.title}\n{c.year}\n{c.section}\n{c.quote}\n{c.passage}"


def verify_answer(text: str, citations: Sequence[Cited], gaps: Sequence[str] = ()) -> Verification:
    """The citation contract for a finished answer: every marker names one of its citations, and every
    figure of every sentence is in what that sentence cites (a sentence stating figures must cite; a
    sentence that is a question asserts nothing). `gaps`: the answer's sentences that say what the reports
    do not give, as its composer recorded them (`Answer.gaps`): their figures are the question's ("PCD
    280"), never claimed as facts, and are not checked.

    The same check runs on every answer before it is returned (`answer.compose.finalize`) and in the
    eval's grader.
    """
    by_marker = {c.marker: c for c in citations}
    cleaned, dropped = clean_markers(text, 10**6)  # normalise "[1, 2]" to "[1][2]"; judge each marker below

    def evidence_of(n: int) -> str | None:
        c = by_marker.get(n)
        return None if c is None else citation_evidence(c)

    return _check(cleaned, dropped, evidence_of, skip_questions=True, gaps=gaps)
