"""Sections -> passages: sentence-aware, within the model's word-piece limit, stable ids, exact offsets."""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from reportqa.config import MODEL_MAX_TOKENS, ChunkConfig
from reportqa.priorities import GENERAL, Taxonomy, classify_text
from reportqa.text import split_sentences
from reportqa.types import Block, Passage, Report, Section, Sentence

CHUNKER_VERSION = "chunk-v1"
_CLAUSE_RE = re.compile(r"(?<=[;:])\s+|(?<=\S)\s+[–-]\s+(?=\S)")


def header(report: Report, section: str) -> str:
    """Context prepended to a passage for embedding and BM25: the chunk never loses its heading and year."""
    return f"{report.title} ({report.year}). {section}."


def block_sentences(block: Block, index: int) -> list[Sentence]:
    """A block's sentences with exact source spans; a table row is one sentence, read with its headers."""
    if block.reading:
        return [Sentence(text=block.reading, start=block.start, end=block.end, block=index)]
    out = []
    for a, b in split_sentences(block.text):
        out.append(
            Sentence(text=block.text[a:b], start=block.offsets[a], end=block.offsets[b - 1] + 1, block=index,
                     quotable=block.quotable)
        )
    return out


# Where an over-long sentence may be cut, best first: after a clause (';', ':', ' – '), between words (not
# next to a figure), at any space, and, for a run of text with no space at all, between any two characters.
_WORD_RE = re.compile(r"(?<=[A-Za-z,)])\s+(?=[A-Za-z(])")
_SPACE_RE = re.compile(r"\s+")
_CUT_LEVELS: tuple[re.Pattern[str] | None, ...] = (_CLAUSE_RE, _WORD_RE, _SPACE_RE, None)


def _split_long(sentence: Sentence, block: Block, count: Callable[[str], int], limit: int) -> list[Sentence]:
    """A sentence over `limit` word-pieces, cut into pieces within it: at clause boundaries (';', ':', ' – ')
    where they suffice, else between words, never inside a number while a space is left to cut at.

    Linear in the sentence's length: each piece is found by a galloping then binary search over the cut
    points, so `count` only ever reads a few pieces' worth of text (a 1.3 MB line is cut in seconds)."""
    if count(sentence.text) <= limit:
        return [sentence]
    base = bisect.bisect_left(block.offsets, sentence.start)
    if base >= len(block.offsets) or block.offsets[base] != sentence.start:
        base = block.offsets.index(sentence.start)
    text = sentence.text
    spans = _fit(text, 0, len(text), count, limit, 0)
    return [p for a, b in spans if (p := _piece(text, a, b, block, base, sentence.block)) is not None]


def _fit(
    text: str, a: int, b: int, count: Callable[[str], int], limit: int, level: int
) -> list[tuple[int, int]]:
    """Spans covering text[a:b], each within `limit` word-pieces where the cut levels allow (the last level,
    between characters, always does), cut as late as possible at the coarsest level that has cuts."""
    rx = _CUT_LEVELS[level]
    if rx is None:
        points: Sequence[int] = range(a + 1, b + 1)
    else:
        points = [m.end() for m in rx.finditer(text, a, b)]
        points = [p for p in points if a < p < b] + [b]
        if len(points) == 1 and level + 1 < len(_CUT_LEVELS):
            return _fit(text, a, b, count, limit, level + 1)  # nothing to cut at on this level
    out: list[tuple[int, int]] = []
    start, k, last = a, 0, 1  # points[k:] lie after start; last: how many cuts the previous piece spanned

    def fits(j: int) -> bool:
        return count(text[start : points[j]]) <= limit

    while start < b:
        j = _furthest(fits, k, len(points), k + last - 1)
        if j is None:  # even the nearest cut is too far: cut this stretch on the next level
            if level + 1 < len(_CUT_LEVELS):
                out.extend(_fit(text, start, points[k], count, limit, level + 1))
            else:
                out.append((start, points[k]))  # one character over the limit: nothing finer to cut at
            start, k = points[k], k + 1
            continue
        out.append((start, points[j]))
        start, k, last = points[j], j + 1, j - k + 1
    return out


def _furthest(fits: Callable[[int], bool], lo: int, hi: int, guess: int) -> int | None:
    """The largest j in [lo, hi) with fits(j), for a `fits` that holds up to some j and not after; None when
    fits(lo) fails. A galloping search from `guess` (the previous piece's size): two or three probes when
    pieces are alike, O(log n) at worst."""
    g = min(max(guess, lo), hi - 1)
    if fits(g):
        good, bad, step = g, hi, 1
        while good + step < bad:
            if not fits(good + step):
                bad = good + step
                break
            good, step = good + step, step * 2
    else:
        good, bad, step = lo - 1, g, 1
        while bad > lo:
            probe = max(lo, bad - step)
            if fits(probe):
                good = probe
                break
            bad, step = probe, step * 2
        if good < lo:
            return None
    while bad - good > 1:  # binary search between the last fit and the first miss
        mid = (good + bad) // 2
        if fits(mid):
            good = mid
        else:
            bad = mid
    return good


def _piece(text: str, a: int, b: int, block: Block, base: int, bidx: int) -> Sentence | None:
    seg = text[a:b]
    lead = len(seg) - len(seg.lstrip())
    seg = seg.strip()
    if not seg:
        return None
    a += lead
    return Sentence(
        text=seg, start=block.offsets[base + a], end=block.offsets[base + a + len(seg) - 1] + 1, block=bidx
    )


# how `render` marks the first line of a block of each kind
_PREFIX = {"bullet": "• ", "subbullet": "  ◦ ", "item": "• ", "quote": ""}


def render(sentences: Iterable[Sentence], kinds: Mapping[int, str]) -> str:
    """Cleaned passage text: sentences of a block joined by spaces, blocks by new lines, bullets marked."""
    parts: list[str] = []
    last = None
    for s in sentences:
        if s.block != last:
            kind = kinds.get(s.block, "paragraph")
            prefix = _PREFIX.get(kind, "")
            parts.append(("\n" if parts else "") + prefix + s.text)
            last = s.block
        else:
            parts.append(" " + s.text)
    return "".join(parts)


def passage_id(report_id: str, section_path: str, clean: str) -> str:
    digest = hashlib.sha256(f"{report_id}\x1f{section_path}\x1f{clean}".encode()).hexdigest()[:12]
    return f"{report_id}-{digest}"


def chunk_report(
    report: Report,
    source: str,
    sections: list[Section],
    count: Callable[[str], int],
    config: ChunkConfig,
    taxonomy: Taxonomy,
) -> list[Passage]:
    passages: list[Passage] = []
    real_count = _remembered(count)  # a sentence is counted once: to cut it, to fill a passage, to size it
    count = _bounded(real_count)
    for section in sections:
        sec_name = " > ".join(section.path)
        head = header(report, sec_name)
        budget = min(config.max_tokens, MODEL_MAX_TOKENS - 2 - count(head) - 2)
        budget = max(budget, 48)
        kinds = {i: b.kind for i, b in enumerate(section.blocks)}
        units: list[list[Sentence]] = []  # one list per block
        for i, block in enumerate(section.blocks):
            sents: list[Sentence] = []
            for s in block_sentences(block, i):
                sents.extend(_split_long(s, block, count, budget) if not block.reading else [s])
            units.append(sents)
        groups: list[list[Sentence]] = []
        current: list[Sentence] = []
        size = _rendered_size(real_count, kinds)
        for sents in units:
            if current and size(current + sents) <= budget:
                current.extend(sents)
                continue
            if current and size(sents) <= budget:
                groups.append(current)  # keep the bullet or paragraph whole in the next passage
                current = list(sents)
                continue
            for s in sents:  # a block longer than a passage: split between its sentences
                if current and size([*current, s]) > budget:
                    groups.append(current)
                    current = []
                current.append(s)
        if current:
            groups.append(current)
        for g in groups:
            clean = render(g, kinds)
            priority = section.priority
            if section.priority_source in ("default", "content"):
                own = classify_text(clean, report.plan, taxonomy, report.year)
                priority = own if own != GENERAL else priority
            start, end = min(x.start for x in g), max(x.end for x in g)
            passages.append(
                Passage(
                    id=passage_id(report.id, sec_name, clean),
                    report_id=report.id,
                    title=report.title,
                    year=report.year,
                    plan=report.plan,
                    kind=report.kind,
                    priority=priority,
                    section=sec_name,
                    text=source[start:end],
                    clean=clean,
                    start=start,
                    end=end,
                    sentences=tuple(_flagged(s, source) for s in g),
                    tokens=real_count(head + "\n" + clean) + 2,
                    period=report.period,
                )
            )
    return _dedupe(passages)


# A word of over 100 characters is one [UNK] to the model's tokenizer, so a run of text with no space (a
# pasted blob) counts as a single word-piece: sizes are measured as at least one word-piece per this many
# characters (prose averages 4 to 5), so such a run is still cut into passages of readable length.
MAX_CHARS_PER_TOKEN = 10


def _rendered_size(
    count: Callable[[str], int], kinds: Mapping[int, str]
) -> Callable[[Sequence[Sentence]], int]:
    """`_bounded(count)(render(sentences, kinds))`, summed over the sentences and bullet marks.

    The model's tokenizer (BERT normaliser, whitespace-and-punctuation pre-tokeniser, word-pieces within a
    word) never joins text across whitespace, and `render` joins sentences with spaces and blocks with new
    lines, so a rendering's word-pieces are the sum of its parts'. Growing a passage sentence by sentence
    then costs one count per sentence instead of one per prefix (`count`: `_remembered`): linear in the
    section, not quadratic."""

    def size(sentences: Sequence[Sentence]) -> int:
        total = chars = 0
        last = None
        for s in sentences:
            if s.block != last:
                prefix = _PREFIX.get(kinds.get(s.block, "paragraph"), "")
                total += count(prefix)
                chars += len(prefix) + (1 if last is not None else 0)
                last = s.block
            else:
                chars += 1
            total += count(s.text)
            chars += len(s.text)
        return max(total, -(-chars // MAX_CHARS_PER_TOKEN))

    return size


def _remembered(count: Callable[[str], int], longest: int = 4000) -> Callable[[str], int]:
    """`count`, remembering the counts of texts up to `longest` characters (sentences, bullet marks)."""
    memo: dict[str, int] = {}

    def remembered(text: str) -> int:
        n = memo.get(text)
        if n is None:
            n = count(text)
            if len(text) <= longest:
                memo[text] = n
        return n

    return remembered


def _bounded(count: Callable[[str], int]) -> Callable[[str], int]:
    """`count`, but never less than len(text) / MAX_CHARS_PER_TOKEN."""
    return lambda text: max(count(text), -(-len(text) // MAX_CHARS_PER_TOKEN))


def _flagged(s: Sentence, source: str) -> Sentence:
    """The sentence with the hostile-text rules it breaks (`reportqa.hostile`), read on its cleaned text and
    on its exact source text (which keeps what cleaning drops, such as a Markdown link's address)."""
    from reportqa.hostile import flags

    found = flags(s.text, source[s.start : s.end])
    return s.model_copy(update={"flags": found}) if found else s


def _dedupe(passages: list[Passage]) -> list[Passage]:
    seen: set[str] = set()
    out = []
    for p in passages:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out
