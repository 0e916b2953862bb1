"""Where a report gives a measure's figure: the sentences that may hold it (`Site`), the figures they state
(`_figures`, a table row's read under its headers), and a figure's rank as a candidate (`Choice`, `rank`).

Split out of `reportqa.trend`, which chooses the best candidate of each report (`trend.options`,
`trend.best_figure`) and re-exports these names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportqa.figures import Figure, figures_in, row_figures
from reportqa.layout import read_row
from reportqa.types import Passage, Sentence

if TYPE_CHECKING:
    from reportqa.answer.evidence import Candidate


_PRONOUN_START = re.compile(
    r"^(?:It|Its|This|These|They|Their|That|Those|The (?:service|scheme|programme|fund|unit))\b"
)


@dataclass(frozen=True)
class Site:
    """A sentence that may hold the year's figure, with the score of the evidence that led to it."""

    passage: Passage
    sentence: Sentence
    score: float
    lead: Sentence | None = None  # the sentence introducing the list the sentence is an item of
    order: int = 0  # the candidate's rank (ties go to the better-ranked one)


@dataclass(frozen=True)
class Choice:
    site: Site
    figure: Figure
    rank: float  # see `rank`
    match: float = 0.0  # the phrase match with the measure
    change: bool = False  # a count or a sum stated as a change


def _sites(c: Candidate, order: int, following: Passage | None) -> list[Site]:
    """The candidate's sentence; the next sentence of its paragraph when it goes on about the same subject
    with a pronoun ("It supported nearly 50,000 people"); and the items of a list the candidate (or the next
    sentence of its paragraph) introduces with a colon. Each with the candidate's score. A sentence flagged at
    ingest (`reportqa.hostile`) is never a site: it gives no year a figure."""
    p = c.passage
    sents = p.sentences
    i = c.position
    out = [Site(p, sents[i], c.score, None, order)]
    if (
        i + 1 < len(sents)
        and sents[i + 1].block == sents[i].block
        and _PRONOUN_START.match(sents[i + 1].text)
        and not sents[i + 1].flags
    ):
        out.append(Site(p, sents[i + 1], c.score, None, order))
    lead_i = i if sents[i].text.rstrip().endswith(":") else None
    if (
        lead_i is None
        and i + 1 < len(sents)
        and sents[i + 1].block == sents[i].block
        and sents[i + 1].text.rstrip().endswith(":")
    ):
        lead_i = i + 1
    if lead_i is None:
        return out
    lead = sents[lead_i]
    items = [(p, s) for s in sents[lead_i + 1 :] if s.block != lead.block]
    if not items and following is not None and following.section == p.section:
        items = [(following, s) for s in following.sentences]
    blocks: list[tuple[str, int]] = []
    for q, s in items:
        if (q.id, s.block) not in blocks:
            if len(blocks) == 8:
                break
            blocks.append((q.id, s.block))
        if not s.flags:
            out.append(Site(q, s, c.score, lead if q.id == p.id else None, order))
    return out


def _figures(site: Site) -> tuple[list[Figure], bool]:
    """The figures a site states, and whether it is a table row: a row's figures are read under its row
    and column headers (`figures.row_figures`), never under the words of its other cells."""
    p, s = site.passage, site.sentence
    row = read_row(s.text, p.text[s.start - p.start : s.end - p.start])
    if row is None:
        return figures_in(s.text), False
    return row_figures(s.text, row.cells, row.headers, row.spans), True


def rank(c: Choice, phrase_weight: float, change_penalty: float) -> float:
    """scorer logit + phrase_weight * phrase match - change_penalty (a count or sum stated as a change)."""
    return round(c.site.score + phrase_weight * c.match - change_penalty * c.change, 4)


def _name_context(site: Site) -> str:
    """Where a sentence's subject may be named: its section heading, the list's lead-in, and its paragraph
    up to and including it."""
    p, s = site.passage, site.sentence
    before = [x.text for x in p.sentences if x.block == s.block and x.start <= s.start]
    return " ".join([p.section, site.lead.text if site.lead is not None else "", *before])
