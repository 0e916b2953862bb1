"""How an extractive answer is written: its units as text with their [n] markers and citations, the
not-found answer with the closest passages as related, and the name of a detail the reports do not give.

- `compose_answer`: the units, each naming its report and year (the openings written are recorded as
  `Answer.openings`); without an asked year, the most recent report it cites leads;
- `not_found_answer`: "The reports don't say", with up to three related passages;
- `missing_detail`: the asked detail a partial answer names as missing;
- `label`: how an answer names a passage's document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportqa.answer.evidence import Candidate, Question, Stats
from reportqa.answer.units import Unit
from reportqa.kinds import label as document_label
from reportqa.kinds import order as period_order
from reportqa.text import strip_bullet
from reportqa.types import Answer, Citation, Hit, Passage, Sentence


def label(p: Passage) -> str:
    """How an answer names a passage's document (`kinds.label`): 'the 2022-23 annual report', 'the
    quarterly report for Q2 2019/20', 'the Police and Crime Plan 2013-16 page'."""
    return document_label(p)


def compose_answer(question: str, units: list[Unit], asked_years: Sequence[str], backend: str,
                   lead_fixed: bool = False) -> Answer:
    """The answered answer of `units` (`backend` names the answerer). `lead_fixed`: the first unit states
    what was asked (the match decided it) and leads whatever its year; the others follow, newest first."""
    documents = {label(u.source) for u in units}
    lead_note = ""
    if not asked_years and len(documents) > 1:
        def newest_first(us: list[Unit]) -> list[Unit]:
            return sorted(us, key=lambda u: (-period_order(u.candidate.passage)[0], -u.candidate.score))

        newest = newest_first(units)
        # the match's lead stays first; when it is older than the newest report cited, the note says why
        older = period_order(units[0].candidate.passage)[0] < period_order(newest[0].candidate.passage)[0]
        units = [units[0], *newest_first(units[1:])] if lead_fixed else newest
        led_by = ("the report that states what was asked" if lead_fixed and older
                  else "the most recent of the reports it cites")
        lead_note = (f"No year was asked: the answer leads with {led_by} "
                     f"({label(units[0].source).removeprefix('the ')}); other years are marked.")
    parts: list[str] = []
    openings: list[str] = []  # each as written before its unit's sentences (`Answer.openings`)
    cits: list[Citation] = []
    lead_label = label(units[0].source)
    for i, unit in enumerate(units):
        p = unit.source
        sentences = unit.sentences
        marker = i + 1
        from reportqa.answer.verify import citation_span

        cits.append(citation_span(marker, p, sentences[0].start, sentences[-1].end))
        body = _render(sentences, marker)
        if unit.heading:
            body = f"- {unit.heading}: {body}"
        elif unit.passage is not None:
            body = f"- {strip_bullet(body)}"  # list items continued from the passage before
        if i == 0:
            intro = f"According to {label(p)} ({p.title}):"
        elif unit.heading:
            intro = ""
        elif label(p) != lead_label:
            intro = f"In {label(p)}:"
        else:
            intro = ""
        if intro:
            openings.append(intro + " ")
        parts.append((intro + " " if intro else "") + body)
    return Answer(
        status="answered",
        text="\n".join(parts),
        citations=tuple(cits),
        question=question,
        backend=backend,
        notes=(lead_note,) if lead_note else (),
        openings=tuple(openings),
    )


def not_found_answer(
    question: str, hits: Sequence[Hit], coverage_text: str, reason: str, candidates: Sequence[Candidate],
    backend: str,
) -> Answer:
    """The not-found answer, with the passages of the first three candidates' distinct passages as related."""
    related: list[Citation] = []
    from reportqa.answer.verify import citation_span

    seen: set[str] = set()
    for c in candidates:
        if c.passage.id in seen:
            continue
        seen.add(c.passage.id)
        related.append(citation_span(len(related) + 1, c.passage, c.sentence.start, c.sentence.end))
        if len(related) == 3:
            break
    text = "The reports don't say. " + (reason + " " if reason else "")
    text += "I could not find this in the MOPAC reports I have"
    text += f" ({coverage_text})." if coverage_text else "."
    if related:
        text += " The closest passages are listed as related, in case they help."
    return Answer(
        status="not_found",
        text=text,
        related=tuple(related),
        question=question,
        backend=backend,
        hits=tuple(hits),
    )


def _render(sentences: Sequence[Sentence], marker: int) -> str:
    """Sentences of one unit, each closed by the unit's marker; list items on their own lines."""
    out: list[str] = []
    last_block = sentences[0].block
    for s in sentences:
        text = s.text.rstrip()
        sep = " " if s.block == last_block or not out else "\n- "
        if sep != " ":
            text = strip_bullet(text)  # the item's own bullet ("- Robbery"): one mark, not "- - Robbery"
        out.append((sep if out else "") + f"{text} [{marker}]")
        last_block = s.block
    return "".join(out)


def missing_detail(question: str, q: Question, stats: Stats) -> str:
    """A short name for the asked detail the reports do not give: the kind of figure asked, and the most
    specific name in the question ("a cost or funding figure for the Lighthouse")."""
    from reportqa.answer.features import alias_tokens, named_things

    kind = {"money": "a cost or funding figure", "percent": "a percentage or rate", "count": "a number",
            "duration": "a length of time", "date": "a date"}.get(
        q.answer_type.name if q.answer_type else "", "the detail asked for")
    names = named_things(question)
    if not names:
        return kind

    def rarity(name: str) -> float:
        return max((stats.idf(w) for w in alias_tokens(name) if not w[0].isdigit()), default=0.0)

    name = max(names, key=rarity)
    the = "the " if re.search(r"(?i)\bthe\s+" + re.escape(name), question) else ""
    return f"{kind} for {the}{name}"
