"""Short public answers (issue 24): the sentence that answers, its year and its source, built at the edges.

The public widget and `reportqa ask` lead with this; "More" in the widget and `ask --full` show the whole
answer, and the workspace always shows it whole. It is read off a finished `Answer` (its text and
citations), so how answers are composed and graded is untouched:

- the lead is the answer's first cited unit, as the eval's `lead_key_facts` reads it: the sentences up to
  the end of the first citation marker's run, with the list items a colon introduces;
- the repeated opening "According to the 2022-23 annual report (2022-2023 MOPAC Annual Report): " is
  dropped, the report named once in a source line instead (`ShortAnswer.source`, `.year`, `.url`); a
  sentence taken from another report says which ("In the 2015-16 annual report: ...");
- within `max_words` (60), whole sentences: the lead's first one always (a sentence over the limit is shown
  whole rather than cut), then
  - for a question in parts, the sentence that answers each other part; for a question naming several
    years, the best sentence of every asked year the taken ones do not cite;
  - when what is taken holds no figure of the kind asked (a count, a sum, a share, a date, a length of
    time: `question.query.read_query`), the first sentence of the answer that does, one of a later passage
    only when that passage names what was asked about; and when the lead has a sentence whose figure of
    that kind counts what was asked (`figures.counted`, `figures.phrase_match`) better than what is
    taken, that sentence: either with the one before it when it leans on it ("This money ..."), and up to
    `STRETCH` (10) words past the limit;
  - the lead's other sentences in order while the total stays within the limit;
- a list comes with its introduction, whatever marker its lines carry: whole when it fits, else every
  line at its shortest (its first sentence, its own heading "Strategy and Oversight", its first clause or
  first words, a cut marked "…"), the room left lengthening the cut lines in order; a list's introduction
  is never shown without its first line; bullets, dashes and "…" are not counted as words;
- a partial answer keeps its gap ("The reports do not give ... What they do say:") before the lead; an
  answer that cites nothing (not found, refused) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from reportqa.display import clean_text
from reportqa.types import MARKER, Answer, Citation

if TYPE_CHECKING:
    from reportqa.answer.features import AnswerType
    from reportqa.question.query import Query

MAX_WORDS = 60
# how far past `max_words` the sentence holding the asked kind of figure may take the short answer (a sentence
# that answers is not left out for a few words; measured by bench/bench_short.py)
STRETCH = 10

_MARKERS = re.compile(r"\s*(?:" + MARKER.pattern + r"\s*)+")
_SPACE_BEFORE = re.compile(r"[ \t]+([.,;:!?])")
# a unit ends at a marker run followed by a line break, the end, or a new sentence
_UNIT_END = re.compile(r"(?:\s*" + MARKER.pattern + r")+(?=\s*\n|\s*$|\s+[\"“‘(£]?[A-Z0-9£])")
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
    """Words as a reader counts them: runs of non-space characters, markers, bullets, dashes and ellipses
    left out."""
    return sum(1 for w in _MARKERS.sub(" ", text).split() if w not in _NOT_WORDS)


_NOT_WORDS = frozenset({"-", "•", "–", "—", "…"})


def lead_unit(text: str) -> str:
    """The answer's first cited unit: the text up to the last `[n]` of the first marker's run (the
    answering sentence with the ones that follow it from the same passage, or the list its colon
    introduces); the whole first line when nothing is cited. The eval's `lead_key_facts` reads this too."""
    first = MARKER.search(text)
    if first is None:
        return text.split("\n", 1)[0]
    end = first.end()
    for mark in MARKER.finditer(text, first.end()):
        if mark.group(0) != first.group(0):
            break
        end = mark.end()
    return text[:end]


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


@dataclass(frozen=True)
class _Piece:
    """A sentence of the answer's text (a list's line is one, its further sentences follow it), as shown."""

    index: int
    start: int  # offsets in the answer's text
    line: int  # the text's line it is on
    raw: str  # with its markers and any "According to ..." opening
    shown: str
    markers: tuple[int, ...]  # its own, or its unit's when it has none (the unit's earlier sentences)
    gap: bool  # uncited: the partial answer's "The reports do not give ..." sentences
    item: bool  # a list's line ("- ...")
    first_on_line: bool

    @property
    def words(self) -> int:
        return words(self.shown)


def _pieces(text: str, openings: tuple[str, ...]) -> list[_Piece]:
    """The answer's text cut into sentences: by line, then where a marker run ends a unit, then at sentence
    ends within a unit (a sentence without a marker is cited by the marker that ends its unit)."""
    out: list[_Piece] = []
    at = 0
    for line_no, line in enumerate(text.split("\n")):
        cuts = [0] + [m.end() for m in _UNIT_END.finditer(line)]
        if cuts[-1] < len(line):
            cuts.append(len(line))
        first = True
        for a, b in zip(cuts, cuts[1:], strict=False):
            unit = line[a:b]
            marks = tuple(dict.fromkeys(int(m) for m in MARKER.findall(unit)))
            starts = [0] + [m.end() for m in _SENTENCE_END.finditer(unit)]
            for c, d in zip(starts, [*starts[1:], len(unit)], strict=True):
                sentence = unit[c:d]
                shown = _shown(sentence, openings)
                if not shown:
                    continue
                own = tuple(dict.fromkeys(int(m) for m in MARKER.findall(sentence)))
                gap = not own and (not marks or sentence.lstrip().startswith(_GAP))
                out.append(_Piece(index=len(out), start=at + a + c, line=line_no, raw=sentence.lstrip(),
                                  shown=shown, markers=own or marks, gap=gap, item=shown.startswith(_BULLETS),
                                  first_on_line=first))
                first = False
        at += len(line) + 1
    return out


_BULLETS = ("- ", "• ")
# a sentence that leans on the one before it ("This money is supporting ...", "It also creates ...")
_REFERS_BACK = re.compile(r"(?i)^[\"“‘(]?(?:this|these|that|those|it|its|they|their|them|he|his|she|her|such|"
                          r"both|of these|of those|of them|the same)\b")
# a list line's own heading: "Commissioning and Partnerships: MOPAC spends ...", "Reducing violence – ..."
_HEADING = re.compile(r"^(.{2,80}?[^\W\d_].*?)(?::\s|\s[–—-]\s)")
_CLAUSE = re.compile(r",\s|;\s|\s[–—-]\s|\s\(")
# the line multi-ask answers give a part another part's passage already answers
_SAME_PASSAGE = "The same passage answers this part"
_GAP = "The reports do not give"
_FIGURE_KINDS = ("count", "money", "percent", "duration", "date")


@dataclass(frozen=True)
class _Ask:
    kind: AnswerType  # the answer type (lexicon/answer_types.toml) of the figure asked
    measure: dict[str, float]  # the measure's words (`figures.measure_words`), {} when none was read
    names: tuple[str, ...]  # the names asked about, but those every report holds ("MOPAC", "the Met")


def _asked(answer: Answer) -> list[_Ask]:
    """What each ask of the question wants (`question.query.read_query`, one per part of a multi-part
    question) when it asks for a figure: its kind, its measure and the names it asks about."""
    from reportqa.answer.features import answer_types
    from reportqa.figures import measure_words

    by_name = {t.name: t for t in answer_types()}
    out: list[_Ask] = []
    for ask in _asks(answer):
        query = _query(ask)
        if query.kind in _FIGURE_KINDS and query.kind in by_name:
            names = tuple(n for n in query.subjects if n.casefold().removeprefix("the ") not in _EVERYWHERE)
            out.append(_Ask(by_name[query.kind], measure_words(query.measure) if query.measure_read else {},
                            names))
    return out


# names every report holds: a passage naming one of them is not thereby about what was asked
_EVERYWHERE = frozenset({"mopac", "met", "mps", "metropolitan police", "metropolitan police service", "mayor",
                         "london", "city hall", "the mayor", "mayor's", "home office", "government"})


def _query(ask: str) -> Query:
    from reportqa.question.query import read_query

    return read_query(ask)


def _counts_asked(text: str, kind: str, measure: Mapping[str, float]) -> float:
    """How well the sentence's figures of the asked kind count the asked measure (`figures.phrase_match`
    over what each counts, read widely: `figures.counted`), 0 when it has none."""
    from dataclasses import replace

    from reportqa.figures import counted, figures_in, phrase_match

    best = 0.0
    for f in figures_in(text):
        what = counted(text, f) if f.kind == kind else None
        if what is not None:
            best = max(best, phrase_match(measure, replace(f, counts=what)))
    return best


def _in_list(p: _Piece, pieces: list[_Piece]) -> bool:
    """A list's line, or a further sentence on one."""
    return p.item or not p.first_on_line and any(q.item for q in pieces[: p.index] if q.line == p.line)


def _candidate(p: _Piece, pieces: list[_Piece]) -> bool:
    """A sentence that may be shown on its own: cited, not in a list, not a pointer to another part's
    answer."""
    return not (p.gap or _in_list(p, pieces) or p.raw.startswith(_SAME_PASSAGE))


def _with_referent(p: _Piece, pieces: list[_Piece]) -> list[_Piece]:
    """The sentence, after the one before it when it leans on that one ("This money is ...")."""
    before = pieces[p.index - 1] if p.index else None
    if before is not None and _REFERS_BACK.match(p.shown) and before.line == p.line and not before.gap:
        return [before, p]
    return [p]


def _asks(answer: Answer) -> list[str]:
    """The question's asks: a multi-part question's rewritten form joins them with ' | '."""
    q = answer.rewritten_question or answer.question
    return [a.strip() for a in q.split(" | ") if a.strip()]


def _holds(kind: AnswerType, text: str) -> bool:
    """Does a sentence hold a figure of this kind? As the answerer's lexicon finds it, but a date is a year or
    a month's name as a name ("1 July 2015", "May 2022"), not the verb in "wherever they may be"."""
    from reportqa.answer.features import has_answer_type

    if kind.name == "date":
        return bool(_DATE.search(text))
    return has_answer_type(kind, text)


_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:January|February|March|April|June|July|August|September|October|"
                   r"November|December)\b|\d\s*May\b|\bMay\s*\d")


def _least(item: str) -> str:
    """A list's line at its shortest: its first sentence when short, else its own heading ("Commissioning and
    Partnerships: MOPAC spends ..."), else its first clause, else its first words, a cut marked '…'."""
    bullet, body = item[:2], item[2:]
    first = _SENTENCE_END.split(body, 1)[0]
    if words(first) <= _ITEM_WORDS:
        return bullet + first
    head = _HEADING.match(first)
    if head and 2 <= words(head.group(1)) <= _ITEM_WORDS:  # (one word says too little: "Pursue – ...")
        return bullet + head.group(1).rstrip(" ,;:")
    clause = _CLAUSE.split(first, 1)[0]
    if 3 <= words(clause) <= 12:
        return bullet + clause.rstrip(" ,;:") + " …"
    return bullet + _first_words(first, _ITEM_WORDS)


def _to_clause(item: str, n: int) -> str:
    """A list's line up to the end of its last clause within `n` words, marked '…' ("" when none is)."""
    ends = [m.start() for m in _CLAUSE.finditer(item)]
    fit = [e for e in ends if words(item[2:e]) <= n]
    return item[: fit[-1]].rstrip(" ,;:–—-") + " …" if fit else ""


def _first_words(text: str, n: int) -> str:
    """The text's first `n` words (as `words` counts them), a cut marked '…'."""
    out: list[str] = []
    for token in text.split():
        if n <= 0:
            return " ".join(out).rstrip(" ,;:–—-") + " …"
        out.append(token)
        n -= token not in _NOT_WORDS
    return " ".join(out)


_ITEM_WORDS = 8


def _listed(items: list[str], room: int) -> list[str]:
    """A list's lines within `room` words: all whole when they fit; else each at its shortest, the room left
    lengthening the cut ones (not those shown by their heading), in order, whole or to a clause's end; else
    the first ones that fit at their shortest."""
    if sum(words(t) for t in items) <= room:
        return items
    out = [_least(t) for t in items]
    total = 0
    for i, t in enumerate(out):
        if total + words(t) > room:
            return out[:i]
        total += words(t)
    for i, t in enumerate(items):  # what room is left lengthens the cut lines, the first first
        if out[i].endswith("…") and total < room:
            longer = t if words(t) - words(out[i]) <= room - total else \
                _to_clause(t, words(out[i]) + room - total) or out[i]
            total += words(longer) - words(out[i])
            out[i] = longer
    return out


def short_answer(answer: Answer, urls: Mapping[str, str | None] | None = None,
                 max_words: int = MAX_WORDS, fill: bool = False) -> ShortAnswer:
    """The short form of an answer (see the module's notes); `urls`: report id -> its source_url. With
    `fill`, the sentences after the lead follow it while the total stays within `max_words` (measured by
    bench/bench_short.py; not the default: they are the tangents the short answer leaves out)."""
    openings = _openings(answer.citations)
    full = _shown(answer.text, openings)
    if not answer.citations or not MARKER.search(answer.text):
        return ShortAnswer(text=full, words=words(full))
    lead_end = len(_whole_sentence(answer.text, lead_unit(answer.text)))
    pieces = _pieces(answer.text, openings)
    by_marker = {c.marker: c for c in answer.citations}
    lead = [p for p in pieces if p.start < lead_end]
    first = next((p for p in lead if not p.gap), None)
    if first is None:
        return ShortAnswer(text=full, words=words(full))
    cite = next((by_marker[m] for m in first.markers if m in by_marker), answer.citations[0])
    shown: dict[int, str] = {}  # the pieces taken, by index, as shown (a list's line perhaps compacted)

    def count() -> int:
        return sum(words(t) for t in shown.values())

    def items_of(p: _Piece) -> list[_Piece]:
        """The lines of the list a sentence ending in a colon introduces (the first sentence of each)."""
        if not p.shown.endswith(":") or any(q.line == p.line for q in pieces[p.index + 1 :][:1]):
            return []
        out: list[_Piece] = []
        line = p.line
        for q in pieces[p.index + 1 :]:
            if q.line == line:
                continue  # an item's further sentences
            if q.line != line + 1 or not q.first_on_line or not q.item:
                break
            out.append(q)
            line = q.line
        return out

    def take(ps: list[_Piece], limit: int | None) -> bool:
        """Take these pieces (and the list a last one introduces, its lines shortened to fit) when they fit
        within `limit` words (None: always)."""
        ps = [p for p in ps if p.index not in shown]
        n = sum(p.words for p in ps)
        items = items_of(ps[-1]) if ps else []
        room = (limit if limit is not None else max_words) - count() - n
        if limit is not None and room < 0:
            return False
        listed: list[str] = []
        if items:
            listed = _listed([p.shown for p in items], room)
            if not listed and limit is None:  # a list's introduction is never shown without its first line
                listed = [_least(items[0].shown)]
            if not listed:
                return False
        for p in ps:
            shown[p.index] = p.shown
        for p, t in zip(items, listed, strict=False):  # (the lines that fit)
            shown[p.index] = t
        return True

    def intro_of(p: _Piece) -> _Piece | None:
        """The sentence introducing the list a line (or a line's further sentence) belongs to."""
        for q in reversed(pieces[: p.index]):
            if not _in_list(q, pieces):
                return q if any(i.line == p.line for i in items_of(q)) else None
        return None

    # the lead: the partial answer's gap, the sentence that answers (and the list it introduces)
    take([p for p in lead if p.gap and p.index < first.index] + [first], None)
    # a question in parts: every other part's answer opens a line of its own, naming its report in full (or
    # saying the reports do not give it, or that a passage above answers it): the sentence that answers it
    asks = _asks(answer)
    starts = [p for p in pieces[first.index + 1 :] if p.first_on_line and p.raw.startswith(
        (_GAP, _SAME_PASSAGE, *(o for o in openings if o.startswith("According to "))))]
    if len(asks) > 1 and len(starts) == len(asks) - 1:
        for p in starts:
            if not p.gap and not p.raw.startswith(_SAME_PASSAGE):
                take([p], max_words)
    # a question naming several years: the best sentence of every year asked that what is taken does not
    # cite (the answer holds the best of every asked year), a figure of the asked kind counting what was
    # asked first
    asked = _asked(answer)
    years = list(dict.fromkeys(y for a in _asks(answer) for y in _query(a).years))
    for year in years if len(years) > 1 else []:
        if any(by_marker[m].year == year for i in shown for m in pieces[i].markers if m in by_marker):
            continue
        of_year = [p for p in pieces[first.index + 1 :] if _candidate(p, pieces)
                   and any(by_marker[m].year == year for m in p.markers if m in by_marker)]
        if of_year:
            best = max(of_year, key=lambda p: (
                max((_counts_asked(p.shown, a.kind.name, a.measure) for a in asked if a.measure),
                    default=0.0),
                any(_holds(a.kind, p.shown) for a in asked), -p.index))
            take(_with_referent(best, pieces), max_words)
    # the asked kind of figure: when what is taken holds none, the first sentence that does (one of a later
    # passage only when that passage names what was asked about); and the lead's sentence whose figure of
    # that kind counts what was asked, when another's is taken
    if answer.status == "answered":
        from reportqa.answer.features import names_found

        for ask in asked:
            taken = [pieces[i] for i in shown if not pieces[i].gap]
            if not any(_holds(ask.kind, p.shown) for p in taken):
                for p in pieces[first.index + 1 :]:
                    if p.index in shown or p.gap or p.raw.startswith(_SAME_PASSAGE) \
                            or not _holds(ask.kind, p.shown):
                        continue
                    if p.start >= lead_end and ask.names and not names_found(
                            list(ask.names), " ".join(q.shown for q in pieces if q.line == p.line)):
                        continue
                    intro = intro_of(p) if _in_list(p, pieces) else None
                    if intro is not None:
                        take([intro], max_words + STRETCH)  # the list's lines, shortened to fit
                    elif not p.item:
                        take(_with_referent(p, pieces), max_words + STRETCH)
                    break
                continue
            if not ask.measure:
                continue
            fits = {p.index: _counts_asked(p.shown, ask.kind.name, ask.measure) for p in lead
                    if _candidate(p, pieces)}
            top = max(fits, key=lambda i: (fits[i], -i), default=None)
            if top is not None and top not in shown and fits[top] > max(
                    (fits.get(p.index, 0.0) for p in taken), default=0.0):
                take(_with_referent(pieces[top], pieces), max_words + STRETCH)
    # then the lead's other sentences in order, while they fit (a list's lines come with its introduction)
    for p in lead:
        if p.index in shown or p.gap or _in_list(p, pieces) and intro_of(p) is not None:
            continue
        if not take([p], max_words):
            break
    if fill:
        for p in pieces:
            if p.start < lead_end or p.index in shown or _in_list(p, pieces) and intro_of(p) is not None:
                continue
            if not take([p], max_words):
                break
    taken = [pieces[i] for i in sorted(shown)]
    text = _join_pieces(taken, shown, cite, by_marker)
    markers = tuple(dict.fromkeys(m for p in taken for m in p.markers))
    source = _label(cite)
    url = cite.source_url or (urls or {}).get(cite.report_id)
    return ShortAnswer(
        text=text, words=words(text), markers=markers, source=source, title=cite.title, year=cite.year,
        url=url if url and url.startswith(("https://", "http://")) else None, page=cite.page,
        more=_normal(text) != _normal(full), citation=cite,
    )


def _join_pieces(taken: list[_Piece], shown: Mapping[int, str], cite: Citation,
                 by_marker: Mapping[int, Citation]) -> str:
    """The pieces taken as one text: a list's line on a line of its own (and what follows a list too), a
    sentence from another report than the lead's opening with its name ("In the 2015-16 annual report: ")."""
    out = ""
    name = _label(cite)
    prev: _Piece | None = None
    for p in taken:
        t = shown[p.index]
        other = next((by_marker[m] for m in p.markers if m in by_marker), None)
        label = _label(other) if other is not None else ""
        if label and name and label != name and not p.gap:
            t = f"In {label}: {t}"
            name = label
        if prev is None:
            out = t
        elif p.line != prev.line and (p.item or prev.item or out.endswith(":")):
            out += "\n" + t
        else:
            out += " " + t
        prev = p
    return out


def _whole_sentence(text: str, lead: str) -> str:
    """The lead run on to its sentence's end when its marker run ends mid-sentence ("... £4bn in 2022-23 [3]
    and £4.4bn in 2023-24 [4].", a trend's summary): to the end of that line."""
    rest = text[len(lead) :]
    line = rest.split("\n", 1)[0]
    if line.strip() and not re.match(r"\s+[\"“‘(£]?[A-Z0-9£]", line):
        return lead + line
    return lead


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
