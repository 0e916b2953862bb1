"""Mayor's Questions as tabled: preamble, quotations, references and several asks, split into parts.

`analyse(text)` separates the asks from the preamble, the courtesies ("Will the Mayor please tell
me...") and quoted earlier answers, splits them on their markers ("(a)", "ii)", "1.", bullets),
question marks and "and what ..." joins, and rewrites every part as a standalone question: the
programme named earlier replaces "it"/"its"/"the service", the year in play (from the preamble or
an earlier part) is added, and a fragment completes its stem ("What was the budget for (a) ...").
Pure text work: no index, no model. Drafting (one `Assistant.ask` per part) is in `mq_draft`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from reportqa.errors import InputError
from reportqa.temporal import strip_time
from reportqa.text import content_words, split_sentences
from reportqa.years import (
    CANONICAL_PATTERN,
    YEAR_OR_SPAN_PATTERN,
    is_financial_year,
    plan_in,
    previous_year,
    years_in,
)

MAX_STANDALONE_CHARS = 1000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MQPart(_Frozen):
    label: str  # "a", "a.ii", "2", "•3", "" for a single-part question
    text: str  # the ask as tabled (marker, joining "and" and quotations removed)
    question: str  # the ask without courtesies, as a question
    standalone: str  # the question with the programme and year in play spelled out
    years: tuple[str, ...] = ()  # financial years that apply (its own, or carried from context)
    year_carried: bool = False  # True when the years came from the preamble or an earlier part
    plan: str | None = None
    topic: str | None = None  # the programme the part is about, when known
    subject: str | None = None  # what is asked for, as a noun phrase ("the LVWS's annual budget")
    indirect: bool = False  # tabled as "tell me how many ... supported": reads after "The reports do not say"
    policy: bool = False  # asks for a decision or view of the Mayor's, which reports cannot give
    marker: str = ""  # the part's marker as tabled: "(a)", "ii)", "1.", "(a) ii)"; "" when it has none

    def display_label(self) -> str:
        return f"({self.label})" if self.label else ""


class MQAnalysis(_Frozen):
    text: str  # the question as received, whitespace tidied
    preamble: str  # context before the asks (quotations shown as [quoted])
    title: str = ""  # the tabled question's title line ("Body Worn Video rollout"), when it has one
    lead_in: str = ""  # the clause that introduces marked parts ("Will the Mayor tell me:")
    quotes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # earlier questions referred to: "2015/1234"
    years: tuple[str, ...] = ()  # financial years named in the preamble and lead-in
    plan: str | None = None
    topics: tuple[str, ...] = ()  # programmes named in the preamble and lead-in
    parts: tuple[MQPart, ...] = ()
    truncated: bool = False
    notes: tuple[str, ...] = ()


# -- references and quotations ------------------------------------------------------------------

_REF_NUM = r"(20\d\d)\s*/\s*(\d{1,5})\b"
_REF_PHRASE = re.compile(
    r"(?i)\b(?:further|following(?:\s+up)?|with\s+reference|in\s+relation|referring|in\s+reference|"
    r"in\s+addition)\s+"
    r"(?:on\s+)?(?:to\s+)?(?:my|the\s+mayor'?s|the|your|a)?\s*(?:(?:mayor'?s|written|oral|previous|earlier|"
    r"last)\s+)*"
    r"(?:question|answer|mq)s?\s*(?:no\.?|number|ref\.?)?\s*" + _REF_NUM + r"[,:;]?\s*"
)
_REF_NAMED = re.compile(
    r"(?i)\b(?:(?:mayor'?s\s+)?question|answer|mq)\s*(?:no\.?|number|ref\.?)?[:.]?\s*" + _REF_NUM
)
_REF_BARE = re.compile(r"(?<![\d/])" + _REF_NUM + r"(?!\s*[/\-–]\d)")


def _take_references(text: str) -> tuple[str, list[str]]:
    refs: list[str] = []

    def keep(m: re.Match[str], replacement: str) -> str:
        ref = f"{m.group(1)}/{m.group(2)}"
        if ref not in refs:
            refs.append(ref)
        return replacement

    text = _REF_PHRASE.sub(lambda m: keep(m, ""), text)
    text = _REF_NAMED.sub(lambda m: keep(m, "an earlier question"), text)
    text = _REF_BARE.sub(
        lambda m: m.group(0) if is_financial_year(m.group(1), m.group(2)) else keep(m, "an earlier question"),
        text,
    )
    return text, refs


_QUOTE_RE = re.compile(r"“[^”]{1,6000}”|\"[^\"]{1,6000}\"|(?m:^[ \t]*>.*(?:\n[ \t]*>.*)*)")
QUOTED = "[quoted]"


def _single_quoted(text: str) -> list[tuple[int, int]]:
    """Spans of ‘...’ and '...' quotations, told from apostrophes (Mayor’s) in one linear pass."""
    spans: list[tuple[int, int]] = []
    for open_ch, close_ch in (("‘", "’"), ("'", "'")):
        n = len(text)
        opens = [i for i, c in enumerate(text) if c == open_ch and (i == 0 or not text[i - 1].isalnum())
                 and i + 1 < n and not text[i + 1].isspace()]
        closes = [i for i, c in enumerate(text) if c == close_ch and (i + 1 == n or not text[i + 1].isalnum())
                  and i > 0 and not text[i - 1].isspace()]
        j = 0
        end = -1
        for o in opens:
            if o <= end:
                continue
            while j < len(closes) and closes[j] <= o:
                j += 1
            if j == len(closes):
                break
            end = closes[j]
            spans.append((o, end + 1))
    return sorted(spans)


def _take_quotes(text: str) -> tuple[str, list[str]]:
    """Long quotations (an earlier answer, a report) out of the way: their asks are not ours."""
    quotes: list[str] = []

    def long_quote(q: str) -> bool:
        inner = q.strip("“”\"‘’'> \t\n")
        if len(inner.split()) >= 8 or "?" in inner or _MARKER_ANY.search(inner) or q.lstrip().startswith(">"):
            quotes.append(re.sub(r"\s+", " ", inner).strip())
            return True
        return False

    text = _QUOTE_RE.sub(lambda m: QUOTED if long_quote(m.group(0)) else m.group(0), text)
    pieces: list[str] = []
    at = 0
    for a, b in _single_quoted(text):
        if a >= at and long_quote(text[a:b]):
            pieces += [text[at:a], QUOTED]
            at = b
    text = "".join(pieces) + text[at:]
    # "... the Mayor said [quoted] How many ...": the quotation ended a sentence
    return re.sub(re.escape(QUOTED) + r"(?=\s+[A-Z])", QUOTED + ".", text), quotes


# -- markers --------------------------------------------------------------------------------------

_V = r"(?P<v>[A-Za-z]|[ivxIVX]{2,5}|\d{1,2})"
_BEFORE = r"(?<![^\s:;,.?!—–\-])"
_MARKER_RES = {
    "paren": re.compile(_BEFORE + r"\(" + _V + r"\)(?=\s)"),
    "half": re.compile(_BEFORE + _V + r"\)(?=\s)"),
    "dot": re.compile(r"(?m)^[ \t]*" + _V + r"[.:](?=[ \t])"),
    "bullet": re.compile(r"(?m)^[ \t]*(?P<v>[-•*·–▪◦●])[ \t]+"),
}
_MARKER_ANY = re.compile(r"(?<![^\s:;,.?!])\(?(?:[a-h]|i{1,3}|iv|\d)\)\s")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
          "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17, "xviii": 18, "xix": 19,
          "xx": 20}


@dataclass(frozen=True)
class _Marker:
    start: int  # where the marker starts
    end: int  # where the part's text starts
    raw: str
    style: str = ""


def _value(scheme: str, raw: str) -> int | None:
    r = raw.lower()
    if scheme == "letter":
        return ord(r) - 96 if len(r) == 1 and r.isalpha() else None
    if scheme == "roman":
        return _ROMAN.get(r)
    if scheme == "number":
        return int(r) if r.isdigit() else None
    return None


def _find_markers(text: str) -> tuple[str, list[_Marker]]:
    """The list scheme whose first marker comes first: letters, roman numerals, numbers or bullets."""
    found: list[_Marker] = []
    for name, rx in _MARKER_RES.items():
        if name == "bullet":
            continue
        for m in rx.finditer(text):
            found.append(_Marker(m.start(), m.end(), m.group("v"), name))
    found.sort(key=lambda m: m.start)
    best: tuple[str, list[_Marker]] = ("", [])
    lone: tuple[str, list[_Marker]] = ("", [])
    for scheme in ("letter", "roman", "number"):
        taken: list[_Marker] = []
        for mk in found:
            if _value(scheme, mk.raw) == len(taken) + 1 and (not taken or mk.start >= taken[-1].end):
                taken.append(mk)
        if len(taken) >= 2 and (not best[1] or taken[0].start < best[1][0].start):
            best = (scheme, taken)
        elif len(taken) == 1 and scheme == "letter" and taken[0].style == "paren" and taken[0].raw == "a":
            lone = (scheme, taken)  # a lone "(a)" still opens a list; a lone "(1)" is often a title's number
    if not best[1] and lone[1]:
        best = lone
    bullets = [_Marker(m.start(), m.end(), "•") for m in _MARKER_RES["bullet"].finditer(text)]
    if bullets and (not best[1] or bullets[0].start < best[1][0].start):
        best = ("bullet", bullets)
    return best


# a marker right after one of these words lists what the sentence is about, not separate asks
_LIST_LEAD = frozenset(("by", "per"))  # "broken down by i) borough and ii) unit": dimensions of one figure


def _inline_list(text: str, markers: list[_Marker]) -> bool:
    """Markers inside one sentence after a preposition, each item a short phrase with no question mark."""
    before = text[: markers[0].start].rstrip()
    last = before.split()[-1].lower().strip(",") if before.split() else ""
    if last not in _LIST_LEAD:
        return False
    items = [text[m.end : (markers[i + 1].start if i + 1 < len(markers) else len(text))]
             for i, m in enumerate(markers)]
    return all(len(it.split()) <= 8 and "?" not in it.rstrip()[:-1]
               and not (set(it.lower().split()) & _WH_WORDS) for it in items[:-1])


def _tabled(scheme: str, text: str, marker: _Marker) -> str:
    """The marker as the question writes it: "(a)", "ii)", "1."; "" for a bullet."""
    return "" if scheme == "bullet" else text[marker.start : marker.end].strip()


def _label(scheme: str, marker: _Marker, n: int) -> str:
    if scheme == "bullet":
        return f"•{n}"
    return marker.raw.lower() if scheme in ("letter", "roman") else marker.raw


# -- sentences and asks -----------------------------------------------------------------------------

_WH = re.compile(
    r"(?i)^(?:(?:and|so|but|also)\s+)?(?:(?:in|on|by|for|from|to|under|at|with|of|over|since|across)\s+)?"
    r"(?:what|how|which|who|whom|whose|when|where|why|whether|if|is|are|was|were|do|does|did|has|have|had|"
    r"will|would|can|could|should|shall|may|might|to what extent)\b"
)
_CLAUSE = r"(?:^|(?<=[,;:.(?!])|(?<=\band)|(?<=\bso))\s*"
_MR = r"(?:(?:mr\.?|madam|dear)\s+(?:deputy\s+)?mayor,?\s*)?"
_WHO = r"(?:the\s+)?(?:mayor|you|deputy\s+mayor(?:\s+for\s+policing\s+and\s+crime)?|mopac|dmpc)"
_COURTESY = re.compile(
    r"(?i)" + _CLAUSE + _MR + r"(?:"
    r"(?:please\s+)?(?:will|can|could|would|may|might|shall)\s+" + _WHO + r"\s+(?:please\s+|kindly\s+)?(?=\w)"
    r"|please\s+(?=(?:tell|inform|advise|update|confirm|explain|set\s+out|outline|clarify|indicate|state|"
    r"specify|detail|describe|provide|give|list|publish|share|supply|send|let)\b)"
    r"|i\s+would\s+(?:be\s+grateful|appreciate\s+it)\s+if\s+" + _WHO + r"\s+(?:could|would|can|will)"
    r"\s+(?:please\s+)?"
    r"|i\s+would\s+like\s+" + _WHO + r"\s+to\s+"
    r"|i(?:\s+would|'d|’d)\s+like\s+to\s+(?:know|ask|understand|see|have|receive)\s+"
    r"|(?:can|could|may)\s+i\s+ask(?:\s+" + _WHO + r")?\s+"
    r")"
    r"(?P<verb>(?:tell|inform|advise|update|remind|confirm|explain|set\s+out|outline|clarify|indicate|state|"
    r"say|"
    r"specify|detail|describe|summari[sz]e|provide|give|list|publish|share|supply|send|let\s+(?:me|us)"
    r"\s+know)\b)?"
    r"\s*(?:(?:me|us|the\s+(?:london\s+)?assembly|assembly\s+members|members|londoners)\b\s*)?"
    r"(?:(?:with|of|on|about|as\s+to)\s+)?"
)
_POLICY = re.compile(
    r"(?i)" + _CLAUSE + _MR + r"(?:"
    r"(?:will|would|can|could|shall)\s+" + _WHO + r"\s+(?:please\s+)?(?:now\s+)?(?:commit|agree|consider|"
    r"accept|"
    r"support|meet|write|review|ask|lobby|join|condemn|apologi[sz]e|guarantee|pledge|undertake|ensure|"
    r"reconsider|"
    r"reverse|intervene|urge|press|instruct|seek|investigate|launch|act|step\s+in|make\s+representations|"
    r"call\s+(?:on|for)|"
    r"raise|rule\s+out|reinstate|restore|increase|protect|continue|extend|introduce|work\s+with|look\s+into)"
    r"\b"
    r"|(?:does|do|did|is|are|has|have)\s+" + _WHO + r"\s+(?:agree|accept|believe|think|feel|support|"
    r"considered|consider|"
    r"share|recogni[sz]e|regret|welcome|satisfied|confident|concerned|aware|happy|content|worried|intend|"
    r"plan|expect)\b"
    r"|what\s+(?:is|are)\s+(?:the\s+mayor'?s|the\s+mayor’s|your)\s+(?:view|views|opinion|assessment|response|"
    r"position)\b"
    r")"
)
_AND_SPLIT = re.compile(
    r"(?i)\s*[,;]?\s+and\s+(?:also\s+)?(?=(?:(?:in|across|for|from|by|at|to|with|on|over)\s+)?(?:what|how|"
    r"when|where|why|whether|if\s+so)\b"
    r"|which\s+(?!(?:is|was|are|were|has|have|had|will|would|can|could|may|might)\b))"
    r"|\s*[,;]\s*and\s+(?:also\s+)?(?=(?:will|would|can|could|does|do|did|is|are|has|have|was|were)\b)"
    r"|;\s+(?=(?:what|how|which|who|when|where|why|whether)\b)"
)
# a subordinate clause before the main question: context for it, never part of what is asked
_LEADING_CLAUSE = re.compile(
    r"(?i)^(?P<clause>(?:now\s+that|given\s+that|given|since|as|following|in\s+light\s+of|in\s+view\s+of|"
    r"with|after|because|although|though|while|whilst)\b[^,?]{3,}?),\s+"
    r"(?=(?:what|how|which|who|when|where|why|whether|is|are|was|were|do|does|did|has|have|had|will|would|"
    r"can|could|should|shall)\b)"
)
_WH_WORDS = frozenset("what how which who whom whose when where why whether if".split())
# "will you / the Mayor <verb>" with a verb that is not a request for information ("tell", "set out", ...):
# asks what the Mayor will do, which no published report can say
_MODAL_MAYOR = re.compile(
    r"(?i)" + _CLAUSE + _MR + r"(?:will|would|shall)\s+" + _WHO + r"\s+(?:please\s+|now\s+|also\s+)*"
    r"(?!(?:please|kindly|tell|inform|advise|update|remind|confirm|explain|set\s+out|outline|clarify|indicate|"
    r"state|say|specify|detail|describe|summari[sz]e|provide|give|list|publish|share|supply|send|let|"
    r"be\s+able)\b)[a-z]+\b"
)
# a question about what someone other than the Mayor will or should do ("will the plan build on ...?")
_INTENT = re.compile(
    r"(?i)^(?:and\s+)?(?:will|would|shall|should)\s+(?!(?:the\s+)?(?:mayor|you|mopac|dmpc|deputy)\b)"
    r"(?!there\s+be\b)(?!it\s+be\s+possible\b)\w"
)
_TRAIL = re.compile(r"(?i)[\s,;:–—-]*(?:\b(?:and|or|and/or|&)\b)?[\s,;:–—-]*$")
_REQUEST_START = re.compile(r"(?i)^(?:please\s+\w|i\s+would|i'd|i’d|can\s+i|could\s+i|may\s+i)")


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        for chunk in re.split(r"(?<=\?)\s+", re.sub(r"\s+", " ", para).strip()):
            out += [chunk[a:b].strip() for a, b in split_sentences(chunk) if chunk[a:b].strip()]
    return out


def _is_ask(sentence: str) -> bool:
    if sentence.rstrip().endswith("?") or _REQUEST_START.match(sentence):
        return True
    m = _COURTESY.search(sentence)
    return bool(m and m.group("verb"))


def _tidy(text: str) -> str:
    t = re.sub(r"\s+", " ", text).strip()
    t = _TRAIL.sub("", t)
    return t.strip(" ,;:-–—")


# -- programmes and years ---------------------------------------------------------------------

_PROG = (
    r"service|services|scheme|partnership|fund|project|programme|program|unit|operation|strategy|board|"
    r"centre|center|hub|hubs|survey|network|panel|commission|initiative|campaign|helpline|forum|academy|"
    r"team|gateway|havens|lighthouse|pilot|alliance|portal|toolkit|visitors|schemes|partnerships|funds|"
    r"projects|programmes|units|boards|centres|networks|panels|teams|pilots"
)
_PROG_WORD = re.compile(rf"(?i)^(?:{_PROG})$")
_CAP = r"(?:[A-Z][\w’'&\-]*)"
_NAME_RE = re.compile(
    rf"(?P<art>\b[Tt]he\s+)?(?P<name>{_CAP}(?:\s+(?:(?:of|and|for|the|&)\s+)?{_CAP})*"
    rf"(?:\s+(?:[a-z][\w\-]*\s+){{0,2}}?(?:{_PROG})\b)?)"
)
_NOT_NAME_WORDS = set(
    """further following given since in according will can could would please mayor mayor's mayor’s mr
    madam dear what how which who when where why whether is are was were does do did has have and the a
    an i my as at on to for of this that these those it its if also so but with by from last during
    after before under over between while although despite thank thanks re answer question annual report
    what's how's there here""".split()
)
_NOT_ACRONYM = set(
    """MOPAC MPS GLA UK MP MPs OBE CB QPM FY MQ MQs BCU BCUs DMPC PCSO PCSOs BAME BME LGBT LGBTQ Q1 Q2 Q3
    Q4 CEO AM AMs PCP ONS NHS""".split()
)


def programmes(text: str) -> list[str]:
    """Named programmes and services, in order of appearance: 'the London Victim and Witness Service'."""
    out: list[str] = []
    for m in _NAME_RE.finditer(text):
        words = m.group("name").split()
        art = bool(m.group("art"))
        while words and (words[0].lower().strip("’'") in _NOT_NAME_WORDS or words[0] in _NOT_ACRONYM):
            art = words[0].lower() == "the"
            words = words[1:]
        while words and words[-1].lower() in ("of", "and", "for", "the", "&"):
            words = words[:-1]
        if not words:
            continue
        words[-1] = re.sub(r"['’]s?$", "", words[-1])
        name = " ".join(words)
        acronym = (len(words) == 1 and re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", name) is not None
                   and name not in _NOT_ACRONYM)
        if not (acronym or any(_PROG_WORD.match(w) for w in words) or words[0] in ("Project", "Operation")):
            continue
        if name.lower() in ("police and crime plan", "annual report", "metropolitan police service"):
            continue
        shown = ("the " if art and not acronym else "") + name
        out.append(shown)
    return out


_OWN_TIME = re.compile(
    r"(?i)\b(?:19|20)\d\d\b|\b(?:last|this|next|previous|each|every|per)\s+(?:financial\s+)?year\b|\bsince\b"
)
_PRONOUN = re.compile(
    r"(?i)\b(?:(?P<np>(?:this|that|the|such)\s+(?:service|scheme|programme|program|project|fund|partnership|"
    r"initiative|"
    r"pilot|unit|board|centre|campaign|team|strategy|operation|hub|network|helpline|forum|survey|panel|"
    r"commission|"
    r"academy|alliance|gateway|toolkit))(?P<poss>['’]s)?\b"
    r"|(?P<its>its)\b|(?P<it>it)\b(?!\s+(?:is|was)\s+(?:possible|true|the\s+case|likely|clear|right|fair|"
    r"expected|intended)))"
)
_SUBJECT_RE = re.compile(
    r"(?i)^what\s+(?:(?:is|was|are|were|has\s+been|have\s+been|will\s+be)\s+(?P<np>(?:the|a|an|[\w’']+['’]s)"
    r"\b.+)"
    r"|(?P<np2>(?:the\s+|[\w’']+['’]s\s+)[^?]+?)\s+(?:is|was|are|were|has\s+been|have\s+been)"
    r"(?P<tail>\s+(?:in|for|during|under)\s+.+)?)$"
)
_BREAKDOWN_RE = re.compile(
    r"(?i)\b(?:by|per|for\s+each|in\s+each|broken\s+down\s+by|across\s+each)\s+"
    r"(?P<dim>borough|ward|bcu|month|quarter|ethnicity|ethnic\s+group|age|gender|sex|force|region)s?\b"
    r"|\b(?P<dim2>borough|ward)[-\s]by[-\s]\w+\b"
)


def gap_sentence(part: MQPart) -> str:
    """What a draft says when the reports do not answer the part: 'The reports do not give ...'."""
    dim = breakdown(part.standalone)
    if dim:
        return f"The reports do not give {dim}."
    if part.subject:
        return f"The reports do not give {part.subject.rstrip(' ?.')}."
    if part.indirect:
        said = re.sub(rf"\s+\([^)]*\)(?=(?:\s+in\s+{CANONICAL_PATTERN}.*)?\?$)", "", part.standalone)
        said = said.rstrip(" ?.")
        return f"The reports do not say {said[:1].lower() + said[1:]}."
    return "The reports do not give an answer to this part."


def breakdown(question: str) -> str | None:
    """'... by borough' -> 'a borough breakdown': what a not-found answer says is missing."""
    m = _BREAKDOWN_RE.search(question)
    if not m:
        return None
    dim = (m.group("dim") or m.group("dim2")).lower()
    return f"a {'BCU' if dim == 'bcu' else dim} breakdown"


_INVERTED = re.compile(
    r"(?i)^(?:\w+\s+){0,4}?(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could)\s+"
    r"(?:the|a|an|it|they|this|these|those|mopac|[A-Z])"
)
_TITLE = re.compile(r"[^\n.?!;]{2,99}[^\n.?!;:,]")
_BACKREF_NOUN = re.compile(
    r"(?i)\b(?:this|that|these|those|such|the)\s+(?!mayor|met\b|mps\b|public|assembly|government|"
    r"home\s+office|commissioner|capital|city|country|uk\b|police\b|number|total|proportion|percentage|"
    r"share|amount|value|level|average|rate|cost|budget|following|same|last|first|next|current|past)[a-z]+"
)
_RELATIVE = re.compile(r"(?i)\b(?:last|this|the\s+(?:past|last|current))\s+(?:financial\s+)?year\b")
_BACKREF = re.compile(
    r"(?i)\b(?:it|its|they|them|their|this|that|these|those|such|the\s+same)\b(?!\s+years?\b)"
)
_THEY = re.compile(r"(?i)\b(?:they|them|their)\b")
_ATTRIBUTES = content_words(
    "budget budgets cost costs spend spent spending funding funded fund money staff staffing employ "
    "employed people person number numbers total annual annually supported support helped help evaluation "
    "evaluated outcome outcomes result results referral referrals target targets achieve achieved launch "
    "launched start started expand expanded capacity contract contracts provider providers run ran manage "
    "managed waiting time times success successful impact performance users clients victims cases size "
    "scale value figure figures breakdown split list how many much when where why long last current "
    "latest carried out done made undertaken published commissioned planned conducted completed received "
    "allocated assessment assessed progress update"
)
_ASIDE = re.compile(r"\s+[—–]\s+(?P<a>[^—–]{12,}?)(?:\s*[—–](?=\s|$|[,;:?.])|$)|\s*\((?P<b>[^()]{30,})\)")


def _asides(text: str) -> tuple[str, list[str]]:
    """Commentary between dashes or in long brackets, out of the ask: '... 2022/23 — I ask because ... —'."""
    found: list[str] = []

    def repl(m: re.Match[str]) -> str:
        found.append((m.group("a") or m.group("b")).strip())
        return ""

    core = _ASIDE.sub(repl, text).strip()
    return (core, found) if len(core.split()) >= 3 else (text, [])


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


_DETERMINER = re.compile(
    r"(?i)^(?:the|a|an|any|all|each|every|its|their|his|her|our|your|this|that|these|those|some|how|"
    r"which|what|[\w’']+['’]s)\b"
)


def _head(np: str) -> str:
    """The head noun of a requested noun phrase: the word before its first "of"/"for"/"on", else its last."""
    words = re.split(r"(?i)\s+(?:of|for|on|about|in|by|from|to|with)\s+", np, maxsplit=1)[0].split()
    return words[-1].lower().strip(",.;:") if words else ""


def _be(np: str, past: bool) -> str:
    """'is'/'are'/'was'/'were' agreeing with a requested noun phrase ("details of ..." -> "are")."""
    head = _head(np)
    plural = head.endswith("s") and not head.endswith(("ss", "us", "is")) or head in ("people", "data")
    return ("were" if plural else "was") if past else ("are" if plural else "is")


def _determined(np: str) -> str:
    """A requested noun phrase with an article when it has no determiner: "details of X" -> "the details"."""
    return np if _DETERMINER.match(np) or np[:1].isupper() else f"the {np}"


def _possessive(name: str) -> str:
    return name + ("’" if name.endswith("s") and not name.isupper() else "'s")


# -- the analysis ----------------------------------------------------------------------------------


@dataclass
class _Ask:
    label: str
    text: str
    stem: str | None = None  # an interrogative lead-in a fragment completes
    verb: str | None = None  # the lead-in's courtesy verb ("tell me:"): its parts are indirect questions
    context: list[str] = field(default_factory=list)  # statements that came with the ask
    marker: str = ""  # as tabled ("(a)", "ii)", "1."); "" for an ask split off without a marker of its own


@dataclass
class _State:
    topic: str | None
    years: list[str]
    plan: str | None
    fallback_topics: list[str]
    title: str = ""
    previous: MQPart | None = None
    context_years: tuple[str, ...] = ()  # from the preamble and lead-in: apply to every part


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
            if len(left.split()) >= 3 and len(right.split()) >= 3:
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
            return None, context + ([rest] if rest else [])
    last = _tidy(last.rstrip("?:"))
    if last and _WH.match(last) and not re.search(r"(?i)\bthe following\b", last) and len(last.split()) >= 3:
        return last, context
    if last:
        context.append(last)
    return None, context


def analyse(text: str, max_chars: int | None = None) -> MQAnalysis:
    """Split a tabled Mayor's Question into standalone parts. Raises InputError on empty text."""
    if not isinstance(text, str):
        raise InputError("the question must be text", "pass the Mayor's Question as a string")
    raw = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" else c for c in text)
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
    work, refs = _take_references(raw_body)
    work, quotes = _take_quotes(work)
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
        chosen = [s for s in sentences if _is_ask(s)] or sentences[-1:]
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
                   context_years=tuple(ctx_years))
    parts = [p for p in (_resolve(a, state) for a in asks) if p is not None]
    if not parts:
        raise InputError("no question found in the text",
                         "include at least one question, e.g. 'How many people did ... support in 2022/23?'")
    if refs:
        notes.append("Refers to earlier question " + ", ".join(refs) + " (a reference, not a year).")
    return MQAnalysis(
        text=raw, preamble=preamble, title=title, lead_in=lead_in.strip(), quotes=tuple(quotes),
        references=tuple(refs), years=tuple(ctx_years), plan=ctx_plan,
        topics=tuple({re.sub(r"^the ", "", t): t for t in ctx_topics}.values()), parts=tuple(parts),
        truncated=truncated, notes=tuple(notes),
    )


def _resolve(ask: _Ask, state: _State) -> MQPart | None:
    """One ask -> a standalone part, reading and updating the programme and year in play."""
    tabled = ask.text
    core, asides = _asides(tabled)
    lead = _LEADING_CLAUSE.match(core)
    if lead:  # "Now that you have confirmed X, will the plan ...?": the clause is context, the rest the ask
        asides = [*asides, lead.group("clause")]
        core = core[lead.end() :]
    local_years: list[str] = []
    for c in ask.context + asides:  # statements that came with the part are context for it and what follows
        progs = programmes(c)
        if progs:
            state.topic = progs[-1]
        local_years = years_in(c) or local_years
    # asks for the Mayor's decision or view, or what a plan or body will do: not in any published report
    policy = bool(_POLICY.search(core) or _INTENT.match(core) or _MODAL_MAYOR.search(core))
    q = core
    verb = None
    m = _COURTESY.search(q)
    if m and not policy:
        verb = m.group("verb") or ask.verb
        q = q[m.end() :] if m.end() < len(q) else ""
        if not q.strip(" ?.,:;"):
            return None  # a courtesy with nothing after it: a lead-in, not an ask
    elif policy:
        q = re.sub(r"(?i)^(?:(?:mr\.?|madam)\s+mayor,?\s*)", "", q)
    else:
        verb = ask.verb
    q = _tidy(q.rstrip("?.!").strip())
    if not q or q == QUOTED:
        return None
    q = re.sub(r"(?i)^if\s+(?!so\b)", "whether ", q)
    indirect = bool(re.match(r"(?i)whether\b", q)) or bool(verb and _WH.match(q) and not _INVERTED.match(q))
    compared = _comparison(ask, q, state)
    if compared is not None:
        return compared
    subject = None
    if not _WH.match(q) and not policy:
        if ask.stem:
            q = f"{ask.stem} {q}"
        else:
            subject = q
            past = bool(years_in(q) or state.years) or verb in ("provide", "give", "list", "publish", "share")
            q = f"What {_be(q, past)} {_determined(q)}"
    own_topics = programmes(q)
    fallback = state.fallback_topics[-1] if state.fallback_topics else None
    topic = own_topics[-1] if own_topics else state.topic or fallback
    resolved = q
    referred = bool(re.match(r"(?i)(?:if\s+so|and)\b", core) or _BACKREF.search(core))
    if not own_topics and topic:
        pm = _PRONOUN.search(resolved)
        plural = topic.endswith("s") and not topic.endswith("ss") and not topic.isupper()
        tm = _THEY.search(resolved) if plural and not pm else None
        if tm:
            rep = _possessive(topic) if tm.group(0).lower() == "their" else topic
            resolved = resolved[: tm.start()] + rep + resolved[tm.end() :]
        elif pm:
            name = topic
            noun = pm.group("np").split()[-1] if pm.group("np") else ""
            if noun and noun.lower() not in topic.lower():
                name = f"{topic} {noun.lower()}"  # "the partnership" -> "the ... To Combat Hate partnership"
            rep = _possessive(name) if pm.group("its") or pm.group("poss") else name
            resolved = resolved[: pm.start()] + rep + resolved[pm.end() :]
            if subject is not None:
                def named(x: re.Match[str], name: str = topic) -> str:
                    return _possessive(name) if x.group("its") or x.group("poss") else name

                subject = _PRONOUN.sub(named, subject, count=1)
        elif content_words(resolved) <= _ATTRIBUTES:
            # elliptical: "(c) what was the annual budget?" is the budget of the programme in play
            resolved = f"{resolved} ({topic})"
            referred = True
    if resolved == q and not own_topics and state.title and _BACKREF_NOUN.search(q) and not (
        content_words(state.title) & content_words(q)
    ):  # "the trial", "those volunteers": what the question's title is about
        resolved = f"{resolved} ({state.title})"
    own_years = years_in(resolved)
    # "over the last year" is read against the year in play, not the newest report, when there is one
    own_time = bool(_OWN_TIME.search(_RELATIVE.sub(" ", resolved))) or plan_in(resolved) is not None
    years = own_years
    carried = False
    if not own_years and not own_time:
        # the part's own context, else the part it refers back to, else the preamble's years
        years = local_years or (state.years if referred else []) or list(state.context_years)
        carried = bool(years)
        if years:
            resolved = f"{resolved} in {' and '.join(years)}"
    if years:
        state.years = list(years)
    plan = plan_in(resolved)
    if plan is None and not own_time and not years and state.plan:
        plan = state.plan
        resolved = f"{resolved} under the Police and Crime Plan {plan}"
    if own_topics:
        state.topic = own_topics[-1]
    if len(resolved) > MAX_STANDALONE_CHARS:
        resolved = resolved[: resolved.rfind(" ", 0, MAX_STANDALONE_CHARS)]
    question = _cap(q) + "?"
    if subject is None:
        sm = _SUBJECT_RE.match(resolved.split(" (")[0] if not own_topics else resolved)
        subject = (sm.group("np") or sm.group("np2") + (sm.group("tail") or "")) if sm else None
    if subject is not None:
        years_tail = rf"\s+in\s+{CANONICAL_PATTERN}(?:\s+and\s+{CANONICAL_PATTERN})*$"
        subject = re.sub(years_tail, "", subject).strip()
        prev = state.previous
        listing = re.match(r"(?i)(?:a|the)\s+(?:breakdown|split|list)\b", subject)
        if listing and " of " not in subject and prev:
            what = prev.subject or prev.question.rstrip("?")
            subject = f"{subject} of {what}"
            resolved = re.sub(r"\s*\([^)]*\)$", "", f"What is {subject}") if not own_topics else resolved
    resolved = re.sub(r"\s+", " ", re.sub(r"(?i)^if\s+so,?\s*", "", resolved)).strip()
    part = MQPart(
        label=ask.label, text=_tidy(tabled), question=question,
        standalone=_cap(resolved.strip()) + "?", years=tuple(years), year_carried=carried, plan=plan,
        topic=topic, subject=subject, policy=policy, indirect=indirect, marker=ask.marker,
    )
    state.previous = part
    return part


_COMPARE = re.compile(
    r"(?i)^(?:and\s+)?how\s+(?:does|do|did|has|have|is|are)\s+(?:this|that|these|those|it|they|"
    r"the\s+(?:figure|figures|"
    r"number|numbers|total|totals))\s+(?:compared?|changed|differ)\s*(?:(?:with|to|against|since|from)"
    r"\s+(?P<target>.+))?$"
)


def _comparison(ask: _Ask, q: str, state: _State) -> MQPart | None:
    """'How does this compare with 2022-23?' -> the previous part asked again for that year."""
    m = _COMPARE.match(q)
    prev = state.previous
    if not m or prev is None:
        return None
    target = m.group("target") or ""
    years = years_in(target)
    earlier = re.search(r"(?i)\b(?:previous|last|prior|preceding|year before|earlier)\b", target)
    if not years and earlier and prev.years:
        years = [previous_year(prev.years[0])]
    if target and not years:
        return None  # compared with something else ("other services"): an ordinary part
    base = strip_time(prev.standalone).rstrip("?")
    base = re.sub(r"\s+", " ", base).strip()
    standalone = f"{base} in {' and '.join(years)}?" if years else base + "?"
    return MQPart(
        label=ask.label, text=_tidy(ask.text), question=_cap(q) + "?", standalone=_cap(standalone),
        years=tuple(years), plan=prev.plan, topic=prev.topic, subject=prev.subject, marker=ask.marker,
    )


# Drafting lives in mq_draft, which imports the analysis above; its names are served from here lazily,
# so `reportqa.mq` is the one API and importing either module first works.
_DRAFT_NAMES = (
    "DraftPart", "MQDraft", "draft_mq", "draft_from_answers", "to_markdown", "to_docx", "register",
)


def __getattr__(name: str) -> object:
    if name in _DRAFT_NAMES:
        from reportqa import mq_draft

        return getattr(mq_draft, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MQAnalysis", "MQPart", "analyse", "programmes", "breakdown", "gap_sentence", *_DRAFT_NAMES,
]
