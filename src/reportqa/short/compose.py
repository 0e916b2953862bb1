"""The short answer composed (`short_answer`): the lead's first sentence, then what each part, each asked year
and the asked kind of figure need, the sentence saying most of what was asked, then the lead's other
sentences and the answer's that say enough of what was asked, within `max_words`; and its source line
(`source_line`). The rules are in the package's notes (`reportqa.short`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from reportqa.short.asks import _asked, _asked_names, _asks, _counts_asked, _holds, _query
from reportqa.short.lists import _least, _listed
from reportqa.short.pieces import (
    _candidate,
    _in_list,
    _label,
    _normal,
    _openings,
    _Piece,
    _pieces,
    _shown,
    _whole_sentence,
    _with_referent,
    lead_unit,
    part_starts,
    words,
)
from reportqa.short.relevance import question_words, relevance
from reportqa.types import MARKER, Answer, Citation

MAX_WORDS = 60
# how far past `max_words` the sentence holding the asked kind of figure may take the short answer (a sentence
# that answers is not left out for a few words; measured by bench/bench_short.py)
STRETCH = 10
# how much of what was asked (`relevance`), as a share of what the answer's sentence saying most of it says, a
# further sentence of the answer must say to be shown when it fits (measured by bench/bench_short.py)
SAYS_ENOUGH = 0.5


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


def short_answer(answer: Answer, urls: Mapping[str, str | None] | None = None,
                 max_words: int = MAX_WORDS, fill: bool = False) -> ShortAnswer:
    """The short form of an answer (see the module's notes); `urls`: report id -> its source_url. With
    `fill`, the sentences after the lead follow it while the total stays within `max_words` (measured by
    bench/bench_short.py; not the default: they are the tangents the short answer leaves out)."""
    openings = _openings(answer)
    full = _shown(answer.text, openings)
    if not answer.citations or not MARKER.search(answer.text):
        return ShortAnswer(text=full, words=words(full))
    lead_end = len(_whole_sentence(answer.text, lead_unit(answer.text)))
    asks = _asks(answer)
    pieces = _pieces(answer.text, openings, several=len(asks) > 1)
    by_marker = {c.marker: c for c in answer.citations}
    lead = [p for p in pieces if p.start < lead_end]
    first = next((p for p in lead if not p.gap), None)
    if first is None:
        return ShortAnswer(text=full, words=words(full))
    cite = next((by_marker[m] for m in first.markers if m in by_marker), answer.citations[0])
    shown: dict[int, str] = {}  # the pieces taken, by index, as shown (a list's line perhaps compacted)

    def count(more: list[_Piece] | None = None) -> int:
        """The words shown, with these pieces added: as joined, each other report's name included."""
        taking = {**shown, **{p.index: p.shown for p in more or []}}
        return words(_join_pieces([pieces[i] for i in sorted(taking)], taking, cite, by_marker))

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

    def take(ps: list[_Piece], limit: int | None, reserve: int = 0) -> bool:
        """Take these pieces (and the list a last one introduces, its lines shortened to fit) when they fit
        within `limit` words (None: always)."""
        ps = [p for p in ps if p.index not in shown]
        items = items_of(ps[-1]) if ps else []
        room = (limit if limit is not None else max_words) - count(ps) - reserve
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

    # how much of what was asked each sentence says (`relevance`: the asked words it holds); the answer's
    # other sentences that may be shown for it, the one saying most first (when the question names years,
    # those of an asked year's report)
    said = relevance(question_words(answer.question, *asks), [p.shown for p in pieces])
    years = list(dict.fromkeys(y for a in asks for y in _query(a).years))
    others = sorted((p for p in pieces[first.index + 1 :] if _candidate(p, pieces) and (
        not years or any(by_marker[m].year in years for m in p.markers if m in by_marker))),
                    key=lambda p: (-said[p.index], p.index))
    names = list(_asked_names(answer))

    def names_asked(p: _Piece) -> bool:
        """A sentence of the lead, or of a passage that names what was asked about."""
        from reportqa.answer.features import names_found

        return p.start < lead_end or not names or bool(
            names_found(names, " ".join(q.shown for q in pieces if q.line == p.line)))

    # the lead: the partial answer's gap, the sentence that answers (and the list it introduces, its lines
    # leaving room for the sentence saying most of what was asked when that one says more than they do and
    # fits beside the list's first line at its shortest)
    opening = [p for p in lead if p.gap and p.index < first.index] + [first]
    listed = items_of(first)
    reserve = 0
    if listed and others and said[others[0].index] > max(said[p.index] for p in [first, *listed]):
        extra = count([*opening, others[0]]) - count(opening)  # its words, its report's name included
        if count(opening) + extra + words(_least(listed[0].shown)) <= max_words + STRETCH:
            reserve = extra
    take(opening, None, reserve)
    # a question in parts: every other part's answer opens a line of its own (`Answer.parts` records it; or
    # it says the reports do not give it, or that a passage above answers it): the sentence that answers it
    opens = part_starts(answer.text, answer.parts)
    starts = [p for p in pieces[first.index + 1 :] if p.first_on_line and p.line in opens]
    if len(asks) > 1 and len(starts) == len(asks) - 1:
        for p in starts:
            if not p.gap and not p.recited:
                take([p], max_words)
    # a question naming several years: the best sentence of every year asked that what is taken does not
    # cite (the answer holds the best of every asked year), a figure of the asked kind counting what was
    # asked first
    asked = _asked(answer)
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
                    if p.index in shown or p.gap or p.recited \
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
    # the answer's sentence that says most of what was asked (`relevance`: the asked words it holds), when it
    # says more of it than every sentence taken: the answer's lead does not always hold the asked detail
    if others and others[0].index not in shown and said[others[0].index] > max(
            (said[i] for i in shown if not pieces[i].gap), default=0.0):
        take(_with_referent(others[0], pieces), max_words + STRETCH)
    # then the lead's other sentences in order, while they fit (a list's lines come with its introduction)
    for p in lead:
        if p.index in shown or p.gap or _in_list(p, pieces) and intro_of(p) is not None:
            continue
        if not take([p], max_words):
            break
    # then the answer's other sentences that say at least `SAYS_ENOUGH` of what the one saying most of it
    # says, the most first, each that fits
    enough = SAYS_ENOUGH * max(said, default=0.0)
    for p in others:
        if p.index not in shown and said[p.index] > 0.0 and said[p.index] >= enough and names_asked(p):
            take([p], max_words)
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


def source_line(short: ShortAnswer) -> str:
    """"Source: the 2022-23 annual report (2022-2023 MOPAC Annual Report), 2022-23 — https://..." """
    if not short.title:
        return ""
    name = f"{short.source} ({short.title})" if short.source else short.title
    year = f", {short.year}" if short.year and short.year not in name else ""
    page = f", p. {short.page}" if short.page else ""
    return f"Source: {name}{year}{page}" + (f" — {short.url}" if short.url else "")
