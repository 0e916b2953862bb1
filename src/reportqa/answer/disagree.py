"""When reports disagree, the answer says so (issue 26 item 3).

An answer leads with one report's figure. When another report of the same year, among the passages the
answer was chosen from, states a different figure for the same measure, the answer gives it too, with its
source, and says the reports differ: it never silently picks one (a planted "correction" in another document
is shown beside the report it contradicts, or the report beside it).

"The same measure" is read by the trends' reader (`reportqa.figures`) and kept strict, since a false "the
reports differ" costs as much as a missed one: the same kind of figure (count, percentage, sum), the same
counted noun, the same basis (an actual, a plan, a change), no other kind of period and no other year
named, and the other sentence holds every word of the question the lead sentence holds. A sentence flagged
at ingest (`reportqa.hostile`) or not quotable is never read.
"""

from __future__ import annotations

from reportqa.answer.verify import citation_span
from reportqa.figures import Figure, basis_of, figures_in, lexicon, period_of
from reportqa.text import tokenize
from reportqa.types import Answer, Citation, Passage, Sentence
from reportqa.years import mentions

__all__ = ["with_disagreement"]

MAX_OTHERS = 2  # other reports' figures shown at most


def _words(text: str) -> set[str]:
    generic = {w for g in lexicon().generic_heads for w in tokenize(g)}
    return {w for w in tokenize(text) if not w[0].isdigit() and w not in generic}


def _years(text: str) -> set[str]:
    return {m.canonical for m in mentions(text) if m.is_year}


def _shown(f: Figure) -> str:
    """'1,410 home visits', '63%', 'over £2m'."""
    if f.kind == "count" and f.counts and f.unit == f.counts.split()[-1].lower():
        return f"{f.shown} {f.counts}"
    return f.shown


def _same(a: Figure, a_text: str, b: Figure, b_text: str) -> bool:
    """Whether two figures state the same measure for the same period (their values aside)."""
    if a.kind != b.kind or not a.head or a.head != b.head:
        return False
    if basis_of(a_text, a).kind != basis_of(b_text, b).kind:
        return False
    pa, pb = period_of(a_text).kind, period_of(b_text).kind
    if "unstated" not in (pa, pb) and pa != pb:
        return False
    ya, yb = _years(a_text), _years(b_text)
    return not (ya and yb and not ya & yb)


def _lead(answer: Answer, passages: dict[str, Passage]) -> tuple[Citation, Sentence, Figure] | None:
    """The lead citation, its sentence and the first figure of it the answer states."""
    c = answer.citations[0]
    p = passages.get(c.passage_id)
    if p is None:
        return None
    for s in p.sentences:
        if s.start < c.end and c.start < s.end:
            for f in figures_in(s.text):
                if f.text in answer.text and f.head:  # a report's figure, as the report writes it
                    return c, s, f
    return None


def with_disagreement(answer: Answer) -> Answer:
    """`answer` with a line giving every other report's different figure for the same measure and year, and
    its citation, when the answer's passages hold one (see the module doc); else `answer` as it is."""
    if answer.status != "answered" or answer.trend is not None or not answer.citations or not answer.hits:
        return answer
    passages = {h.passage.id: h.passage for h in answer.hits}
    lead = _lead(answer, passages)
    if lead is None:
        return answer
    c, s, f = lead
    asked = _words(answer.rewritten_question or answer.question)
    need = asked & _words(s.text)
    if not need:
        return answer
    cited = {x.report_id for x in answer.citations}
    others: list[tuple[Passage, Sentence, Figure]] = []
    for h in answer.hits:
        q = h.passage
        if q.report_id in cited or q.year != c.year or any(o[0].report_id == q.report_id for o in others):
            continue
        for t in q.sentences:
            if t.flags or not t.quotable or not need <= _words(t.text):
                continue
            g = next((g for g in figures_in(t.text) if _same(f, s.text, g, t.text)), None)
            if g is not None and g.value != f.value:
                others.append((q, t, g))
                break
        if len(others) == MAX_OTHERS:
            break
    if not others:
        return answer
    marker = max(x.marker for x in answer.citations)
    added: list[Citation] = []
    parts = [f"{c.title} gives {_shown(f)} [{c.marker}]"]
    for q, t, g in others:
        marker += 1
        added.append(citation_span(marker, q, t.start, t.end))
        parts.append(f"{q.title} gives {_shown(g)} [{marker}]")
    line = f"The reports differ for {c.year}: " + "; ".join(parts) + "."
    return answer.model_copy(update={
        "text": f"{answer.text}\n{line}",
        "citations": (*answer.citations, *added),
        "notes": (*answer.notes, f"the reports differ for {c.year}: "
                                 + ", ".join(q.report_id for q, _, _ in others) + " give another figure"),
    })
