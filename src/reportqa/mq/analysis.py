"""`analyse(text)`: a tabled Mayor's Question split into standalone parts (pure text work, no index)."""

from __future__ import annotations

import re

from reportqa.errors import InputError
from reportqa.mq.grammar import (
    _AND_SPLIT,
    _COURTESY,
    _OWN_TIME,
    _TITLE,
    _WH,
    _WH_WORDS,
    _be,
    _determined,
    _is_ask,
    _sentences,
    _tidy,
    programmes,
)
from reportqa.mq.markers import (
    EARLIER,
    QUOTED,
    _find_markers,
    _inline_list,
    _label,
    _tabled,
    _take_quotes,
    _take_references,
)
from reportqa.mq.model import MQAnalysis
from reportqa.mq.resolve import _Ask, _resolve, _State
from reportqa.text import clean_control
from reportqa.years import (
    YEAR_OR_SPAN_PATTERN,
    plan_in,
    years_in,
)


def _split_body(label: str, body: str, stem: str | None, depth: int) -> list[_Ask]:
    """A marked part's text -> its asks: sub-markers (one level down), question marks, 'and what ...'."""
    body = body.strip()
    if depth < 2:
        scheme, markers = _find_markers(body)
        if markers:
            lead = body[: markers[0].start]
            sub_stem, ctx = _stem_of(lead)
            asks: list[_Ask] = []
            for i, mk in enumerate(markers):
                end = markers[i + 1].start if i + 1 < len(markers) else len(body)
                sub = f"{label}.{_label(scheme, mk, i + 1)}" if label else _label(scheme, mk, i + 1)
                for a in _split_body(sub, body[mk.end : end], sub_stem or stem, depth + 1):
                    a.context = ctx + a.context
                    a.marker = _tabled(scheme, body, mk) if a.label == sub else ""
                    asks.append(a)
            return asks
    sentences = _sentences(body) or [body]
    chosen = [s for s in sentences if s.endswith("?") or _WH.match(s) or _is_ask(s)] or [" ".join(sentences)]
    context = [s for s in sentences if s not in chosen]
    pieces = _pieces(chosen)
    if len(pieces) <= 1:
        text, verb = pieces[0] if pieces else (_tidy(body), None)
        return [_Ask(label, text, stem=stem, context=context, verb=verb)]
    return [_Ask(f"{label}.{i + 1}" if label else str(i + 1), p, stem=stem, context=context, verb=v)
            for i, (p, v) in enumerate(pieces)]


def _pieces(sentences: list[str]) -> list[tuple[str, str | None]]:
    """Sentences -> asks split on 'and what ...', each with the courtesy verb of its sentence."""
    out: list[tuple[str, str | None]] = []
    for s in sentences:
        m = _COURTESY.search(s)
        verb = m.group("verb") if m else None
        out += [(p, verb) for p in (_tidy(x) for x in _and_split(s)) if p and p != QUOTED]
    return out


def _and_split(sentence: str) -> list[str]:
    out: list[str] = []
    rest = sentence
    while True:
        cut = None
        for m in _AND_SPLIT.finditer(rest):
            left, right = rest[: m.start()], rest[m.end() :]
            if left.split() and left.split()[-1].lower().strip(",") in _WH_WORDS:
                continue  # "whether, and when, X will happen": coordinated question words share one clause
            if left.count("(") > left.count(")"):
                continue  # inside brackets: "(for example, which groups ... and how ...)" is one aside
            # "..., and if so, what?" is one ask: a bare question word has nothing to search for on its own
            rest_words = re.sub(r"(?i)^if\s+so\b[,\s]*", "", right).split()
            if len(left.split()) >= 3 and len(right.split()) >= 3 and len(rest_words) >= 2:
                cut = m
                break
        if cut is None:
            out.append(rest)
            return out
        out.append(rest[: cut.start()])
        rest = rest[cut.end() :]


_TAIL_TIME = re.compile(
    r"\s+(?:in|during|for|over|since|at\s+the\s+end\s+of)\s+(?:the\s+)?(?:financial\s+years?\s+)?"
    rf"(?:{YEAR_OR_SPAN_PATTERN})(?:\s*(?:,|and|to|-|–)\s*{YEAR_OR_SPAN_PATTERN})*\s*\??$",
    re.I,
)


def _share_tail(asks: list[_Ask]) -> None:
    """'What was the budget for (a) X and (b) Y in 2022/23?': the last fragment's time applies to all."""
    stemmed = [a for a in asks if a.stem and not _WH.match(a.text)]
    if len(stemmed) < 2:
        return
    m = _TAIL_TIME.search(stemmed[-1].text)
    if not m:
        return
    for a in stemmed[:-1]:
        if not _OWN_TIME.search(a.text):
            a.text = a.text.rstrip(" ?") + m.group(0).rstrip(" ?")


def _stem_of(lead: str) -> tuple[str | None, list[str]]:
    """The clause that introduces marked parts -> (an interrogative stem, or None; context sentences)."""
    sentences = _sentences(lead)
    if not sentences:
        return None, []
    last = sentences[-1]
    context = sentences[:-1]
    m = _COURTESY.search(last)
    if m:
        before, last = last[: m.start()], last[m.end() :]
        if before.strip(" ,;:"):
            context.append(before.strip(" ,;:"))
        if m.group("verb"):  # "Will the Mayor provide:" - the parts are noun phrases; the rest is context
            rest = _tidy(last)
            if re.search(r"(?i)\b(?:which|that|who|whose|where)$", rest) and len(rest.split()) >= 4:
                # "provide ... all consultation responses which: a) asked for ..., b) ...": each part
                # completes the relative clause
                return f"What {_be(rest, False)} {_determined(rest)}", context
            return None, context + ([rest] if rest else [])
    last = _tidy(last.rstrip("?:"))
    if last and _WH.match(last) and not re.search(r"(?i)\bthe following\b", last) and len(last.split()) >= 3:
        return last, context
    if last:
        context.append(last)
    return None, context


_COMPOUND = re.compile(r"(?<![^\s:;,.?!])\(([a-z]|\d{1,2})\)[ \t]?\(([ivx]{1,5}|[a-z])\)(?=\s)")


def _compound_markers(text: str) -> str:
    """Compound markers as nested ones: "(a)(i) X, (a)(ii) Y, (b) Z" -> "(a) (i) X, (ii) Y, (b) Z"."""
    seen: set[str] = set()

    def nested(m: re.Match[str]) -> str:
        outer, inner = m.group(1), m.group(2)
        if outer in seen:
            return f"({inner})"
        seen.add(outer)
        return f"({outer}) ({inner})"

    return _COMPOUND.sub(nested, text)


def _cut_off(max_chars: int | None) -> InputError:
    return InputError(f"no question found in the first {max_chars or 0:,} characters, which is all that is "
                      "read", "shorten the preamble so that the asks come within the limit")


def analyse(text: str, max_chars: int | None = None) -> MQAnalysis:
    """Split a tabled Mayor's Question into standalone parts. Raises InputError on empty text."""
    if not isinstance(text, str):
        raise InputError("the question must be text", "pass the Mayor's Question as a string")
    raw = clean_control(text)
    raw = re.sub(r"[ \t]+", " ", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not raw.strip(" .?!,;:-"):
        raise InputError("the Mayor's Question is empty",
                         "paste the question as tabled, e.g. 'Will the Mayor tell me (a) ..., (b) ...?'")
    notes: list[str] = []
    truncated = False
    if max_chars is not None and len(raw) > max_chars:
        cut = raw.rfind(" ", 0, max_chars)
        raw = raw[: cut if cut > max_chars // 2 else max_chars]
        truncated = True
        notes.append(f"The question was longer than {max_chars:,} characters; "
                     "the text after that was not read.")
    title = ""
    first, _, rest = raw.partition("\n")
    if rest.strip() and _TITLE.fullmatch(first.strip()):
        title, raw_body = first.strip(), rest
    else:
        raw_body = raw
    originals: list[str] = []
    work, refs = _take_references(raw_body, originals)
    work, quotes = _take_quotes(work)
    work = _compound_markers(work)
    scheme, markers = _find_markers(work)
    if markers and _inline_list(work, markers):
        scheme, markers = "", []  # "broken down by i) borough and ii) unit": one ask listing its dimensions
    asks: list[_Ask] = []
    if markers:
        pre = work[: markers[0].start]
        pre_sentences = _sentences(pre)
        lead_in = pre_sentences[-1] if pre_sentences else ""
        stem, lead_context = _stem_of(pre)
        lead_courtesy = _COURTESY.search(_sentences(pre)[-1]) if pre.strip() and _sentences(pre) else None
        lead_verb = lead_courtesy.group("verb") if lead_courtesy else None
        preamble_list = lead_context
        # a full question in the preamble is an ask of its own, never dropped
        intro = [s for s in pre_sentences[:-1]
                 if s.endswith("?") and s in preamble_list and len(s.split()) >= 4]
        for n, s in enumerate(intro, 1):
            preamble_list.remove(s)
            asks.append(_Ask("intro" if len(intro) == 1 else f"intro.{n}", s))
        for i, mk in enumerate(markers):
            end = markers[i + 1].start if i + 1 < len(markers) else len(work)
            label, tabled = _label(scheme, mk, i + 1), _tabled(scheme, work, mk)
            for a in _split_body(label, work[mk.end : end], stem, 1):
                a.verb = a.verb or lead_verb
                nested = f"{tabled} {a.marker}" if tabled and a.marker else ""
                a.marker = tabled if a.label == label else nested
                asks.append(a)
    else:
        lead_in = ""
        sentences = _sentences(work)
        chosen = [s for s in sentences if _is_ask(s)]
        if not chosen and truncated:  # the asks are in the part not read: never guess from the preamble
            raise _cut_off(max_chars)
        chosen = chosen or sentences[-1:]
        preamble_list = [s for s in sentences if s not in chosen]
        pieces = _pieces(chosen)
        asks = [_Ask("" if len(pieces) == 1 else str(i + 1), p, verb=v) for i, (p, v) in enumerate(pieces)]
    _share_tail(asks)
    preamble = " ".join(preamble_list).strip()
    context_text = " ".join(preamble_list)
    ctx_years = years_in(context_text)
    ctx_plan = plan_in(context_text)
    ctx_topics = programmes(context_text)
    quote_topics = [t for q in quotes for t in programmes(q)]
    title_text = re.sub(r"\s*\(\d+\)$", "", title)
    quote_topics = programmes(title_text) + quote_topics  # the title names the topic, at the lowest priority
    state = _State(ctx_topics[-1] if ctx_topics else None, ctx_years, ctx_plan, quote_topics,
                   title=title_text,
                   context_years=tuple(ctx_years), claim=preamble_list[-1] if preamble_list else "")
    parts = [p for p in (_resolve(a, state) for a in asks) if p is not None]
    if not parts and truncated:
        raise _cut_off(max_chars)
    if not parts:
        raise InputError("no question found in the text",
                         "include at least one question, e.g. 'How many people did ... support in 2022/23?'")
    if refs:
        notes.append("Refers to earlier question " + ", ".join(refs) + " (a reference, not a year).")
    # the tabled question's own text, with `EARLIER` standing in for each reference while it was read
    if originals:  # each part shows its reference as tabled ("in question 2022/0036")
        taken = iter(originals)
        parts = [p.model_copy(update={"text": re.sub(re.escape(EARLIER), lambda m: next(taken, m.group(0)),
                                                     p.text)}) for p in parts]
    return MQAnalysis(
        text=raw, preamble=preamble, title=title, lead_in=lead_in.strip(), quotes=tuple(quotes),
        references=tuple(refs), years=tuple(ctx_years), plan=ctx_plan,
        topics=tuple({re.sub(r"^the ", "", t): t for t in ctx_topics}.values()), parts=tuple(parts),
        truncated=truncated, notes=tuple(notes),
    )
