"""The one point every answer passes before it is returned: the citation contract, checked.

Extractive answers, multi-ask merges, Mayor's Question parts (which are asked through `Assistant.ask`)
and LLM answers all end here. An answer whose passages hold another report's different figure for the same
measure and year says so, with that report's citation (`answer.disagree`). An answered or partial answer
whose text fails `verify.verify_answer` (its gap sentences, `Answer.gaps`, restate the question and are not
checked) loses the failing sentences; if nothing cited is left it becomes not_found. Either way a note says
so.
"""

from __future__ import annotations

from reportqa.answer.disagree import with_disagreement
from reportqa.answer.verify import verify_answer
from reportqa.types import Answer, Citation, Passage


def finalize(answer: Answer) -> Answer:
    """`answer` with its citation contract enforced (see module doc); refusals and not-found pass as is,
    but for related passages that quote flagged report text, which are dropped."""
    answer = _without_flagged(answer)
    if answer.status not in ("answered", "partial"):
        return answer
    # another report of the same year gives another figure for the same measure: said, with its source
    answer = with_disagreement(answer)
    v = verify_answer(answer.text, answer.citations, answer.gaps)
    if v.ok:
        return answer
    bad = {s for s, _ in v.unsupported}
    kept = [line for line in answer.text.split("\n") if not any(b and b in line for b in bad)]
    text = "\n".join(kept).strip()
    check = verify_answer(text, answer.citations, answer.gaps) if text else None
    note = f"verification removed {len(answer.text.split(chr(10))) - len(kept)} line(s): {v.reason()}"
    if check is None or not check.ok:
        return answer.model_copy(
            update={
                "status": "not_found",
                "text": "The reports don't say: no answer could be checked against its sources.",
                "related": answer.citations[:3],
                "citations": (),
                "openings": (),
                "gaps": (),
                "notes": (*answer.notes, note),
            }
        )
    used = set(check.used_markers)
    return answer.model_copy(update={
        "text": text, "citations": tuple(c for c in answer.citations if c.marker in used),
        "notes": (*answer.notes, note)})


def _without_flagged(answer: Answer) -> Answer:
    """`answer` without what quotes report text flagged as hostile (`reportqa.hostile`: instructions to the
    reader, personal contact details, markup or links), whatever the backend: its lines citing such a quote
    and those citations go; an answer left with no citation becomes not_found."""
    passages = {h.passage.id: h.passage for h in answer.hits}
    bad = {c.marker for c in answer.citations if _quotes_flagged(c, passages)}
    related = tuple(c for c in answer.related if not _quotes_flagged(c, passages))
    if not bad:
        return answer if related == answer.related else answer.model_copy(update={"related": related})
    lines = [ln for ln in answer.text.split("\n") if not any(f"[{m}]" in ln for m in bad)]
    citations = tuple(c for c in answer.citations if c.marker not in bad)
    note = f"{len(bad)} citation(s) of report text flagged at ingest removed"
    if answer.status in ("answered", "partial") and not citations:
        return answer.model_copy(update={
            "status": "not_found", "citations": (), "related": related, "openings": (), "gaps": (),
            "text": "The reports don't say: no answer could be given from text that is not flagged.",
            "notes": (*answer.notes, note)})
    return answer.model_copy(update={"text": "\n".join(lines).strip(), "citations": citations,
                                     "related": related, "notes": (*answer.notes, note)})


def _quotes_flagged(c: Citation, passages: dict[str, Passage]) -> bool:
    """Whether a citation quotes a sentence flagged at ingest: read from its passage's sentences when the
    answer carries the passage, else by running the rules on the quote itself."""
    from reportqa.hostile import quote_flags

    p = passages.get(c.passage_id)
    if p is None:
        return bool(quote_flags(c.quote))
    return any(s.flags for s in p.sentences if s.start < c.end and c.start < s.end)
