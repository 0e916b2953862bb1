"""Short public answers (issue 24): the sentence that answers, its year and its source, built at the edges.

The public widget and `reportqa ask` lead with this; "More" in the widget and `ask --full` show the whole
answer, and the workspace always shows it whole. It is read off a finished `Answer` (its text and
citations), so how answers are composed and graded is untouched:

- the lead is the answer's first cited unit, as the eval's `lead_key_facts` reads it: the sentences up to
  the end of the first citation marker's run, with the list items a colon introduces;
- the repeated opening "According to the 2022-23 annual report (2022-2023 MOPAC Annual Report): " is
  dropped, the report named once in a source line instead (`ShortAnswer.source`, `.year`, `.url`);
- within `max_words` (60), whole sentences from the lead's start: the first one always, the next while the
  total stays within the limit, so a lead sentence over the limit is shown whole rather than cut;
- a partial answer keeps its gap ("The reports do not give ... What they do say:") before the lead; an
  answer that cites nothing (not found, refused) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from reportqa.display import clean_text
from reportqa.types import Answer, Citation

MAX_WORDS = 60

_MARKERS = re.compile(r"\s*(?:\[\d+\]\s*)+")
_MARKER = re.compile(r"\[(\d+)\]")
_SPACE_BEFORE = re.compile(r"[ \t]+([.,;:!?])")
# a unit ends at a marker run followed by a line break, the end, or a new sentence
_UNIT_END = re.compile(r"(?:\s*\[\d+\])+(?=\s*\n|\s*$|\s+[\"“‘(£]?[A-Z0-9£])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-Z0-9£])")


@dataclass(frozen=True)
class ShortAnswer:
    text: str  # what is shown: the lead, no opening, no markers, no invisible characters
    words: int
    markers: tuple[int, ...] = ()  # the citations the lead rests on
    source: str = ""  # how the lead's report is named: "the 2022-23 annual report"
    title: str = ""  # the report's title
    year: str = ""  # its financial year (or plan period)
    url: str | None = None  # the report's own address (corpus manifest `source_url`), when recorded
    page: int | None = None  # the page the lead's quote starts on, for a PDF (`reportqa.sources`)
    more: bool = False  # the full answer says more than this
    citation: Citation | None = field(default=None, compare=False)  # the lead's first citation

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("citation")
        data["markers"] = list(self.markers)
        return data


def words(text: str) -> int:
    """Words as a reader counts them: runs of non-space characters, markers left out."""
    return len(_MARKERS.sub(" ", text).split())


def lead_unit(text: str) -> str:
    """The answer's first cited unit: the text up to the last `[n]` of the first marker's run (the
    answering sentence with the ones that follow it from the same passage, or the list its colon
    introduces); the whole first line when nothing is cited. The eval's `lead_key_facts` reads this too."""
    first = _MARKER.search(text)
    if first is None:
        return text.split("\n", 1)[0]
    end = first.end()
    for mark in _MARKER.finditer(text, first.end()):
        if mark.group(0) != first.group(0):
            break
        end = mark.end()
    return text[:end]


def _units(lead: str) -> list[str]:
    """The lead cut into sentences (a line of a list is one), each with its markers."""
    out: list[str] = []
    at = 0
    for m in _UNIT_END.finditer(lead):
        out.extend(_sentences(lead[at : m.end()]))
        at = m.end()
    if lead[at:].strip():
        out.extend(_sentences(lead[at:]))
    return [u for u in out if u.strip()]


def _sentences(unit: str) -> list[str]:
    """A unit with no markers inside it may still hold sentences ("The reports do not give X. What they do
    say: ..."); a line break always ends one."""
    out: list[str] = []
    for line in unit.split("\n"):
        if line.strip():
            out.extend(s for s in _SENTENCE_END.split(line) if s.strip())
    if len(out) > 1 and unit.startswith("\n"):
        out[0] = "\n" + out[0]
    return out


def _openings(citations: tuple[Citation, ...]) -> tuple[str, ...]:
    """How the answer opens a report's sentences: "According to the 2015-16 annual report (MOPAC Annual
    Report 2015-16: the end of ...): ", or "In the 2023-24 annual report: " before a later report's."""
    out: list[str] = []
    for c in citations:
        name = _label(c)
        if name:
            out += [f"According to {name} ({c.title}): ", f"In {name}: "]
    return tuple(sorted(set(out), key=len, reverse=True))


def _label(c: Citation) -> str:
    from reportqa.kinds import label

    try:
        return label(c)
    except Exception:  # a kind this version does not know: named by its title only
        return ""


def _shown(text: str, openings: tuple[str, ...] = ()) -> str:
    """A unit as shown: openings and markers out, spaces tidied, its list line kept on a line of its own."""
    t = text
    for opening in openings:
        t = t.replace(opening, "")
    t = _SPACE_BEFORE.sub(r"\1", _MARKERS.sub(" ", t))
    t = clean_text(t)
    lines = [" ".join(line.split()) for line in t.split("\n")]
    return "\n".join(line for line in lines if line)


def short_answer(answer: Answer, urls: Mapping[str, str | None] | None = None,
                 max_words: int = MAX_WORDS, fill: bool = False) -> ShortAnswer:
    """The short form of an answer (see the module's notes); `urls`: report id -> its source_url. With
    `fill`, the sentences after the lead follow it while the total stays within `max_words` (measured by
    bench/bench_short.py; not the default: they are the tangents the short answer leaves out)."""
    openings = _openings(answer.citations)
    full = _shown(answer.text, openings)
    if not answer.citations or not _MARKER.search(answer.text):
        return ShortAnswer(text=full, words=words(full))
    lead = _whole_sentence(answer.text, lead_unit(answer.text))
    taken: list[str] = []
    count = 0
    cited = False
    for unit in _units(lead):
        shown = _shown(unit, openings)
        n = words(shown)
        if not shown:
            continue
        gap = not _MARKER.search(unit)  # the partial answer's "The reports do not give ..." sentences
        if cited and not gap and count + n > max_words and not taken[-1].endswith(":"):
            break  # (a list's introduction is never shown without its first item)
        taken.append(shown)
        count += n
        cited = cited or not gap
    if fill:
        for unit in _units(answer.text[len(lead) :]):
            shown = _shown(unit, openings)
            if not shown or count + words(shown) > max_words:
                break
            taken.append(shown)
            count += words(shown)
    text = _join(taken)
    markers = tuple(dict.fromkeys(int(m) for m in _MARKER.findall(lead)))
    by_marker = {c.marker: c for c in answer.citations}
    cite = next((by_marker[m] for m in markers if m in by_marker), answer.citations[0])
    source = _label(cite)
    url = cite.source_url or (urls or {}).get(cite.report_id)
    return ShortAnswer(
        text=text, words=words(text), markers=markers, source=source, title=cite.title, year=cite.year,
        url=url if url and url.startswith(("https://", "http://")) else None, page=cite.page,
        more=_normal(text) != _normal(full), citation=cite,
    )


def _whole_sentence(text: str, lead: str) -> str:
    """The lead run on to its sentence's end when its marker run ends mid-sentence ("... £4bn in 2022-23 [3]
    and £4.4bn in 2023-24 [4].", a trend's summary): to the end of that line."""
    rest = text[len(lead) :]
    line = rest.split("\n", 1)[0]
    if line.strip() and not re.match(r"\s+[\"“‘(£]?[A-Z0-9£]", line):
        return lead + line
    return lead


def _join(units: list[str]) -> str:
    out = ""
    for u in units:
        if not out:
            out = u
        elif u.startswith(("- ", "• ")) or out.endswith(":") and "\n" in u:
            out += "\n" + u
        else:
            out += " " + u
    return out


def _normal(text: str) -> str:
    return " ".join(text.split())


def source_line(short: ShortAnswer) -> str:
    """"Source: the 2022-23 annual report (2022-2023 MOPAC Annual Report), 2022-23 — https://..." """
    if not short.title:
        return ""
    name = f"{short.source} ({short.title})" if short.source else short.title
    year = f", {short.year}" if short.year and short.year not in name else ""
    page = f", p. {short.page}" if short.page else ""
    return f"Source: {name}{year}{page}" + (f" — {short.url}" if short.url else "")
