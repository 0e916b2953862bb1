"""The units of an extractive answer: each a chosen sentence with the sentences that complete it.

- `select`: the units of evidence, best first (the best sentence, the others within `select_margin` of it,
  the best of every asked year), no source sentence in two units;
- `complete`: a sentence with what completes it: the sentence a pronoun refers back to, the lead-in of a list
  item, the next sentence of the paragraph, and the list items a closing colon introduces (which may run on
  into the next passage of the section);
- `subsections`: the report's sub-sections a closing lead-in introduces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportqa.answer.answerability import Evidence
from reportqa.answer.decide import Model
from reportqa.answer.evidence import Candidate, Question
from reportqa.answer.features import has_answer_type, name_coverage
from reportqa.types import Passage, Sentence
from reportqa.years import written_forms

MAX_LIST_ITEMS = 8  # the items of one list an answer carries

# the passage after a passage in its report (a list a colon introduces may run into it)
FollowingFn = Callable[[Passage], "Passage | None"]


@dataclass(frozen=True)
class Unit:
    """One cited piece of an answer: a chosen sentence and the sentences that complete it, in text order."""

    candidate: Candidate
    sentences: tuple[Sentence, ...]
    passage: Passage | None = None  # when the sentences come from another passage than the candidate's
    heading: str = ""  # a list item that is a sub-section heading of the report: its heading

    @property
    def source(self) -> Passage:
        return self.passage or self.candidate.passage


_PRONOUN_START = re.compile(
    r"^(It|Its|This|These|They|Their|That|Those|He|She|His|Her|The (service|scheme|programme|project|fund|"
    r"partnership|pilot|board|panel|commission|campaign|unit|centre|team|group|groups))\b"
)


def select(ev: Evidence, asked_years: Sequence[str], model: Model, following: FollowingFn) -> list[Unit]:
    """Units of evidence, best first; no source sentence appears in two units."""
    cands = list(ev.candidates)
    top = cands[0]
    top_names = name_coverage(ev.question.text, top.passage.section + " " + top.passage.clean)
    picked: list[Candidate] = [top]
    if len(asked_years) > 1:
        for year in asked_years:
            if any(c.passage.year == year for c in picked):
                continue
            best = next((c for c in cands if c.passage.year == year or c.features["year_named"] >= 1.0
                         and written_forms(year).search(c.sentence.text)), None)
            if best is not None and best.score >= top.score - 3 * model.select_margin:
                picked.append(best)
    limit = model.max_units + max(0, len(asked_years) - 1)
    for c in cands[1:]:
        if len(picked) >= limit:
            break
        if c.score < top.score - model.select_margin:
            break
        if any(c.key == p.key or _same(c.sentence.text, p.sentence.text) for p in picked):
            continue
        if name_coverage(ev.question.text, c.passage.section + " " + c.passage.clean) < top_names:
            continue  # a passage that does not name what the question names
        picked.append(c)
    units: list[Unit] = []
    seen: set[tuple[str, int]] = set()
    scores = {c.key: c.score for c in cands}
    for c in picked:
        own, after, more = complete(c, ev.question, scores, top.score, model.neighbour_margin, following)
        sents = [u for u in own if (c.passage.id, u.start) not in seen]
        if not sents:
            continue
        seen.update((c.passage.id, u.start) for u in sents)
        units.append(Unit(c, tuple(sents)))
        if after is not None and more:
            more = [u for u in more if (after.id, u.start) not in seen]
            seen.update((after.id, u.start) for u in more)
            if more:
                units.append(Unit(c, tuple(more), after))
        elif sents[-1].text.rstrip().endswith(":") and sents[-1] is c.passage.sentences[-1]:
            # a lead-in closing its passage whose list became the report's sub-sections: one item each
            for sub in subsections(c.passage, following):
                if (sub.id, sub.sentences[0].start) not in seen:
                    seen.add((sub.id, sub.sentences[0].start))
                    units.append(Unit(c, (sub.sentences[0],), sub, sub.section.split(" > ")[-1]))
    return units


def subsections(p: Passage, following: FollowingFn, limit: int = 8) -> list[Passage]:
    """The first passage of each sub-section that follows `p` under its heading."""
    out: list[Passage] = []
    nxt = following(p)
    while nxt is not None and len(out) < limit and nxt.section.startswith(p.section + " > "):
        if not out or nxt.section != out[-1].section:
            out.append(nxt)
        nxt = following(nxt)
    return out


def complete(
    c: Candidate, q: Question, scores: dict[tuple[str, int], float], best: float, neighbour_margin: float,
    following: FollowingFn,
) -> tuple[list[Sentence], Passage | None, list[Sentence]]:
    """The candidate's sentence with what completes it: the sentence a pronoun refers back to; the next
    sentence of the paragraph (when it holds the asked kind of figure the sentence lacks, continues it
    with a pronoun, or scores within `neighbour_margin` of the best); and the list items a closing colon
    introduces, which may run on into the next passage of the section (returned apart, with it)."""
    p = c.passage
    sents = list(p.sentences)
    i = c.position
    s = sents[i]
    out = [s]
    if (_PRONOUN_START.match(s.text) and i > 0 and sents[i - 1].block == s.block
            and not sents[i - 1].flags):
        out.insert(0, sents[i - 1])
    elif not _table_row(p, s) and (lead_in := _lead_in(sents, i)) is not None:
        out.insert(0, lead_in)  # a list item ("34,503 Officers") is read under what introduces it
    if (not s.text.rstrip().endswith(":") and i + 1 < len(sents) and sents[i + 1].block == s.block
            and not sents[i + 1].flags):
        nxt = sents[i + 1]
        lacks_type = q.answer_type is not None and not has_answer_type(q.answer_type, s.text)
        related = scores.get((p.id, nxt.start), -1e9) >= best - neighbour_margin
        if (
            (lacks_type and has_answer_type(q.answer_type, nxt.text))
            or _PRONOUN_START.match(nxt.text)
            or related
        ):
            out.append(nxt)
            i += 1
    if not out[-1].text.rstrip().endswith(":"):
        return out, None, []
    # the items of the list the colon introduces: the following blocks, up to 8
    lead = out[-1]
    items = [x for x in sents[i + 1 :] if x.block != lead.block]
    kept = _list_items(items, MAX_LIST_ITEMS)
    nxt_p = following(p)
    if nxt_p is None or nxt_p.section != p.section:
        return out + kept, None, []
    if not items:  # the list starts in the next passage
        return out, nxt_p, _list_items(list(nxt_p.sentences), MAX_LIST_ITEMS)
    if kept and kept[-1] is sents[-1] and _one_sentence_blocks(sents, kept):
        # the list runs on into the next passage: its items there are the one-sentence blocks it opens
        # with
        more = _leading_items(list(nxt_p.sentences), MAX_LIST_ITEMS - len({k.block for k in kept}))
        if more:
            return out + kept, nxt_p, more
    return out + kept, None, []


def _list_items(items: Sequence[Sentence], limit: int) -> list[Sentence]:
    """The sentences of the first `limit` blocks of `items`, ending before a flagged sentence."""
    blocks: list[int] = []
    kept: list[Sentence] = []
    for item in items:
        if item.flags:
            break  # a flagged sentence is never cited: the list ends before it
        if item.block not in blocks:
            if len(blocks) == limit:
                break
            blocks.append(item.block)
        kept.append(item)
    return kept


def _table_row(p: Passage, s: Sentence) -> bool:
    """A table row ("| Barnet | 1,234 | 567"): already read under its column headers, never under a
    caption."""
    at = s.start - p.start
    line = p.text[p.text.rfind("\n", 0, at) + 1 : s.end - p.start]
    return line.lstrip().startswith("|")


def _lead_in(sents: Sequence[Sentence], i: int) -> Sentence | None:
    """The sentence ending in a colon that introduces the list item sents[i] (only one-sentence blocks, the
    list's items, between them), or None when sents[i] is no list item."""
    def alone(k: int) -> bool:
        return sum(1 for x in sents if x.block == sents[k].block) == 1

    if not alone(i):
        return None
    j = i - 1
    while (j >= 0 and sents[j].block != sents[i].block and alone(j)
           and not sents[j].text.rstrip().endswith(":")):
        j -= 1
    if j >= 0 and sents[j].block != sents[i].block and sents[j].text.rstrip().endswith(":") \
            and not sents[j].flags:
        return sents[j]
    return None


def _one_sentence_blocks(sents: Sequence[Sentence], chosen: Sequence[Sentence]) -> bool:
    """Every block of `chosen` holds one sentence of `sents`: list items, not paragraphs."""
    blocks = {s.block for s in chosen}
    return all(sum(1 for s in sents if s.block == b) == 1 for b in blocks)


def _leading_items(sents: Sequence[Sentence], limit: int) -> list[Sentence]:
    """The one-sentence blocks `sents` opens with (a list continued from the passage before), at most
    `limit`."""
    out: list[Sentence] = []
    for s in sents:
        if len(out) == limit or s.flags or sum(1 for x in sents if x.block == s.block) != 1:
            break
        out.append(s)
    return out


def _same(a: str, b: str) -> bool:
    from reportqa.text import content_words

    wa, wb = content_words(a), content_words(b)
    return bool(wa) and len(wa & wb) / len(wa | wb) > 0.7
