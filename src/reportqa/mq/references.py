"""A draft's one reference list: every passage span numbered once across the parts (`_References`), each
part's markers renumbered to it (`_renumber`), references that quote the same report text merged into one
(`_one_number_per_sentence`), and each reference given its report's address and page (`_with_sources`).

Split out of `reportqa.mq.compose`, which composes the parts with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reportqa.mq.draft_model import DraftPart
from reportqa.mq.quotes import related_text
from reportqa.types import MARKER, Citation, Report


class _References:
    """One numbering for the whole draft: the same passage span keeps one number."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._index: dict[tuple[str, int, int], int] = {}

    def number(self, c: Citation) -> Citation:
        key = (c.passage_id, c.start, c.end)
        if key not in self._index:
            for have in self.items:  # a span inside one already listed cites that reference
                if have.passage_id == c.passage_id and have.start <= c.start and c.end <= have.end:
                    self._index[key] = have.marker
                    return have

            self._index[key] = len(self.items) + 1
            self.items.append(c.model_copy(update={"marker": len(self.items) + 1}))
        return self.items[self._index[key] - 1]


def _renumber(text: str, mapping: dict[int, Citation]) -> str:
    """Local [n] -> the draft's numbers; a marker that names no citation is dropped."""
    def repl(m: re.Match[str]) -> str:
        c = mapping.get(int(m.group(1)))
        return f"[{c.marker}]" if c else ""

    return MARKER.sub(repl, text)


def _same_sentence(a: Citation, b: Citation) -> bool:
    """Whether two references quote any of the same report text: overlapping spans of one report, or the
    same words wherever they stand."""
    if a.report_id == b.report_id and a.start < b.end and b.start < a.end:
        return True
    return " ".join(a.quote.split()).casefold() == " ".join(b.quote.split()).casefold()


def _union(group: Sequence[Citation]) -> Citation:
    """One reference for quotes that overlap: the first one's number, the whole span they cover together
    (a quote is its report's text source[start:end], so the union of overlapping quotes is exact)."""
    first = min(group, key=lambda c: c.marker)
    cur = first
    grown = True
    while grown:
        grown = False
        for c in group:
            if c.report_id != cur.report_id or not (c.start < cur.end and cur.start < c.end):
                continue
            if c.start < cur.start or c.end > cur.end:
                head = c.quote[: cur.start - c.start] if c.start < cur.start else ""
                tail = c.quote[cur.end - c.start:] if c.end > cur.end else ""
                cur = cur.model_copy(update={"quote": head + cur.quote + tail,
                                             "start": min(c.start, cur.start), "end": max(c.end, cur.end)})
                grown = True
    widest = max((c for c in group if c.report_id == cur.report_id),
                 key=lambda c: (c.end - c.start, -c.marker))
    return cur.model_copy(update={"passage_id": widest.passage_id, "passage": widest.passage})


def _one_number_per_sentence(parts: list[DraftPart], items: list[Citation], nearby: tuple[Citation, ...]
                             ) -> tuple[list[DraftPart], list[Citation], tuple[Citation, ...]]:
    """The same report sentence is never cited under two numbers in one draft: references that quote the
    same text (overlapping spans, or the same words) become one, and the numbers are made consecutive again
    in order of first use."""
    root = list(range(len(items)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if _same_sentence(items[i], items[j]):
                root[find(j)] = find(i)
    groups: dict[int, list[Citation]] = {}
    for i, c in enumerate(items):
        groups.setdefault(find(i), []).append(c)
    if len(groups) == len(items):
        return parts, items, nearby
    merged = {r: _union(g) for r, g in groups.items()}
    order = sorted(groups, key=lambda r: min(c.marker for c in groups[r]))
    renumbered = {r: merged[r].model_copy(update={"marker": n}) for n, r in enumerate(order, 1)}
    by_old = {c.marker: renumbered[find(i)] for i, c in enumerate(items)}

    def cites(cs: Sequence[Citation]) -> tuple[Citation, ...]:
        return tuple(dict.fromkeys(by_old[c.marker] for c in cs if c.marker in by_old))

    def text(t: str) -> str:
        t = MARKER.sub(lambda m: f"[{by_old[int(m.group(1))].marker}]"
                       if int(m.group(1)) in by_old else m.group(0), t)
        return re.sub("(" + MARKER.pattern + r")(?:\s*\[\2\])+", r"\1", t)  # "[2] [2]" after a merge: once

    new_parts = []
    for p in parts:
        related = cites(p.related)
        new_text = text(p.text)
        if p.related_listed:  # listed again, so one passage is never listed twice
            new_text = " ".join(x for x in (p.gap, related_text(related, p.related_as)) if x)
        new_parts.append(p.model_copy(update={"text": new_text, "citations": cites(p.citations),
                                              "related": related}))
    return new_parts, [renumbered[r] for r in order], cites(nearby)


_Drafted = tuple[list[DraftPart], list[Citation], tuple[Citation, ...]]


def _with_sources(parts: list[DraftPart], refs: list[Citation], nearby: tuple[Citation, ...],
                  reports: Mapping[str, Report]) -> _Drafted:
    """Every reference, wherever the draft holds it, with its report's address and the page of its quote."""
    from reportqa.sources import cite

    by_marker = {c.marker: cite(c, reports.get(c.report_id)) for c in refs}

    def sourced(cs: Sequence[Citation]) -> tuple[Citation, ...]:
        return tuple(by_marker.get(c.marker, c) for c in cs)

    parts = [p.model_copy(update={"citations": sourced(p.citations), "related": sourced(p.related)})
             for p in parts]
    return parts, [by_marker[c.marker] for c in refs], sourced(nearby)
