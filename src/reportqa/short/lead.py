"""The answer's lead as the eval's `lead_key_facts` reads it (`lead_span`): the first cited unit run on to its
sentence's end, and the list its colon introduces, as the short answer shows them."""

from __future__ import annotations

from reportqa.short.pieces import _MARKERS, _whole_sentence, lead_unit


def lead_span(text: str) -> str:
    """The answer's lead: its first cited unit (`lead_unit`) run on to its sentence's end when a marker ends
    it mid-sentence ("... 1400 in 2015-16 [1] and 508 in 2023-24 [2]."), as `short_answer` shows it; when
    the answer's first line ends with a colon, that line and the lines of the list it introduces, whatever
    passages cite them (a list split across two passages, "[1]" then "[2]"). Never shorter than `lead_unit`.
    Text in, text out (markers kept)."""
    lead = _whole_sentence(text, lead_unit(text))
    head, _, below = text.partition("\n")
    if not _MARKERS.sub(" ", head).rstrip().endswith(":"):
        return lead
    items: list[str] = []
    for line in below.split("\n"):
        if not line.startswith(("- ", "• ")):
            break
        items.append(line)
    listed = "\n".join([head, *items])
    return listed if len(listed) > len(lead) else lead
