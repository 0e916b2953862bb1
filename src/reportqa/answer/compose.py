"""The one point every answer passes before it is returned: the citation contract, checked.

Extractive answers, multi-ask merges, Mayor's Question parts (which are asked through `Assistant.ask`)
and LLM answers all end here. An answered or partial answer whose text fails `verify.verify_answer`
loses the failing sentences; if nothing cited is left it becomes not_found. Either way a note says so.
"""

from __future__ import annotations

from reportqa.answer.verify import verify_answer
from reportqa.types import Answer


def finalize(answer: Answer) -> Answer:
    """`answer` with its citation contract enforced (see module doc); refusals and not-found pass as is."""
    if answer.status not in ("answered", "partial"):
        return answer
    v = verify_answer(answer.text, answer.citations)
    if v.ok:
        return answer
    bad = {s for s, _ in v.unsupported}
    kept = [line for line in answer.text.split("\n") if not any(b and b in line for b in bad)]
    text = "\n".join(kept).strip()
    check = verify_answer(text, answer.citations) if text else None
    note = f"verification removed {len(answer.text.split(chr(10))) - len(kept)} line(s): {v.reason()}"
    if check is None or not check.ok:
        return answer.model_copy(
            update={
                "status": "not_found",
                "text": "The reports don't say: no answer could be checked against its sources.",
                "related": answer.citations[:3],
                "citations": (),
                "notes": (*answer.notes, note),
            }
        )
    used = set(check.used_markers)
    return answer.model_copy(update={
        "text": text, "citations": tuple(c for c in answer.citations if c.marker in used),
        "notes": (*answer.notes, note)})
