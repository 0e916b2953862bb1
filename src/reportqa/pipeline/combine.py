"""Answers to the asks of one question joined into one answer: `[n]` markers renumbered so that one quoted
span keeps one marker, an ask the reports don't answer said in one line, and each ask's part recorded
(`Answer.parts`: its kind and the line it opens with), and the asks' openings and gap sentences carried as
data (`Answer.openings`, `Answer.gaps`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reportqa.pipeline.asks import MAX_QUESTION_CHARS
from reportqa.question.query import read_query
from reportqa.types import MARKER, Answer, AnswerPart, Citation, Filters, PartKind


def gap_line(asked: str) -> str:
    """The sentence for an ask the reports don't answer: what it asks, from its `Query` (`Query.gap`: the
    measure, never the user's other words, numbers or links), e.g. "The reports do not give the number of
    police dogs." The user's text is never restated."""
    return f"The reports do not give {read_query(asked).gap()}."


def _renumbered(line: str, mapping: Mapping[int, int]) -> str:
    """The line's `[n]` markers as `[mapping[n]]`; a marker missing from `mapping` is kept."""
    return MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", line)


def combine(question: str, answers: Sequence[Answer], elapsed: float) -> Answer:
    """Answers to the asks of one question, joined; markers renumbered so that one quoted span (the same
    passage and offsets) keeps one marker however many asks cite it. `Answer.parts` records each ask's part:
    what it is and its first line."""
    texts: list[str] = []
    parts: list[AnswerPart] = []
    openings: list[str] = []  # the asks' answers' openings and gap sentences, carried as written
    gaps: list[str] = []
    cits: list[Citation] = []
    related: list[Citation] = []
    by_span: dict[tuple[str, int, int], int] = {}
    printed: set[int] = set()
    for ans in answers:
        kind: PartKind
        whole = True  # the part opens with its answer's own first line
        if ans.status in ("answered", "partial"):
            kind = "answered" if ans.status == "answered" else "partial"
            mapping: dict[int, int] = {}
            for c in ans.citations:
                span = (c.passage_id, c.start, c.end)
                if span not in by_span:
                    by_span[span] = len(by_span) + 1
                    cits.append(c.model_copy(update={"marker": by_span[span]}))
                mapping[c.marker] = by_span[span]
            lines = []
            for i, line in enumerate(ans.text.split("\n")):
                line = _renumbered(line, mapping)
                marks = {int(n) for n in MARKER.findall(line)}
                if marks and marks <= printed:
                    whole = whole and i > 0
                    continue  # this sentence is already in the answer under its marker
                printed.update(marks)
                lines.append(line)
            if not lines:
                kind, whole = "recited", True
                lines = [
                    "The same passage answers this part: see "
                    + ", ".join(f"[{n}]" for n in sorted(set(mapping.values())))
                    + " above."
                ]
            texts.append("\n".join(lines))
            openings.extend(ans.openings)
            gaps.extend(ans.gaps)
        elif ans.status == "refused":
            kind = "refused"
            texts.append(ans.text)
        else:
            kind = "gap"
            texts.append(gap_line(ans.rewritten_question))
            gaps.append(texts[-1])
            related.extend(ans.related)
        parts.append(AnswerPart(kind=kind, first_line=texts[-1].split("\n", 1)[0], whole=whole))
    statuses = {a.status for a in answers}
    status = ("answered" if statuses == {"answered"} else "partial") if statuses & {"answered", "partial"} \
        else answers[0].status
    years = tuple(dict.fromkeys(y for a in answers for y in a.filters.years))
    return Answer(
        status=status,
        text="\n".join(texts),
        citations=tuple(cits),
        related=tuple(related[:3]),
        question=question,
        rewritten_question=_joined([a.rewritten_question for a in answers], MAX_QUESTION_CHARS),
        filters=Filters(years=years),
        backend=answers[0].backend,
        hits=tuple(h for a in answers for h in a.hits),
        missing="; ".join(
            a.missing or read_query(a.rewritten_question).gap() for a in answers
            if a.status in ("partial", "not_found")
        ),
        notes=(f"answered as {len(answers)} separate asks",) + tuple(n for a in answers for n in a.notes),
        timings={"total": elapsed},
        parts=tuple(parts),
        openings=tuple(dict.fromkeys(openings)),
        gaps=tuple(dict.fromkeys(gaps)),
    )


def _joined(questions: Sequence[str], limit: int) -> str:
    """The asks' questions as 'a | b | c', each shortened as needed so the whole is at most `limit`."""
    text = " | ".join(questions)
    if len(text) <= limit:
        return text
    each = (limit - 3 * (len(questions) - 1)) // max(1, len(questions))
    return " | ".join(q if len(q) <= each else q[: each - 1].rstrip() + "…" for q in questions)
