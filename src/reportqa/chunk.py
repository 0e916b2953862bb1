"""Sections -> passages: sentence-aware, within the model's word-piece limit, stable ids, exact offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping

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
    out = []
    for a, b in split_sentences(block.text):
        out.append(
            Sentence(text=block.text[a:b], start=block.offsets[a], end=block.offsets[b - 1] + 1, block=index)
        )
    return out


def _split_long(sentence: Sentence, block: Block, count: Callable[[str], int], limit: int) -> list[Sentence]:
    """A sentence over the limit is cut at clause boundaries (';', ':', ' – '), never inside a number."""
    if count(sentence.text) <= limit:
        return [sentence]
    base = block.offsets.index(sentence.start)
    text = sentence.text
    cuts = [0] + [m.end() for m in _CLAUSE_RE.finditer(text)] + [len(text)]
    if len(cuts) == 2:
        words = [m.end() for m in re.finditer(r"(?<=[A-Za-z,)])\s+(?=[A-Za-z(])", text)]
        cuts = [0] + words + [len(text)]
    pieces: list[Sentence] = []
    start = 0
    for i in range(1, len(cuts)):
        if count(text[start : cuts[i]]) > limit and cuts[i - 1] > start:
            pieces.append(_piece(text, start, cuts[i - 1], block, base, sentence.block))
            start = cuts[i - 1]
    pieces.append(_piece(text, start, len(text), block, base, sentence.block))
    return pieces


def _piece(text: str, a: int, b: int, block: Block, base: int, bidx: int) -> Sentence:
    seg = text[a:b]
    lead = len(seg) - len(seg.lstrip())
    seg = seg.strip()
    a += lead
    return Sentence(
        text=seg, start=block.offsets[base + a], end=block.offsets[base + a + len(seg) - 1] + 1, block=bidx
    )


def render(sentences: Iterable[Sentence], kinds: Mapping[int, str]) -> str:
    """Cleaned passage text: sentences of a block joined by spaces, blocks by new lines, bullets marked."""
    parts: list[str] = []
    last = None
    for s in sentences:
        if s.block != last:
            kind = kinds.get(s.block, "paragraph")
            prefix = {"bullet": "• ", "subbullet": "  ◦ ", "item": "• ", "quote": ""}.get(kind, "")
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
                sents.extend(_split_long(s, block, count, budget))
            units.append(sents)
        groups: list[list[Sentence]] = []
        current: list[Sentence] = []
        for sents in units:
            if current and count(render(current + sents, kinds)) <= budget:
                current.extend(sents)
                continue
            if current and count(render(sents, kinds)) <= budget:
                groups.append(current)  # keep the bullet or paragraph whole in the next passage
                current = list(sents)
                continue
            for s in sents:  # a block longer than a passage: split between its sentences
                if current and count(render([*current, s], kinds)) > budget:
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
                    sentences=tuple(g),
                    tokens=count(head + "\n" + clean) + 2,
                    period=report.period,
                )
            )
    return _dedupe(passages)


def _dedupe(passages: list[Passage]) -> list[Passage]:
    seen: set[str] = set()
    out = []
    for p in passages:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out
