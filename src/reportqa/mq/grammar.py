"""The grammar of tabled questions: courtesies, policy asks, sentences, programmes, gaps and breakdowns."""

from __future__ import annotations

import re

from reportqa.text import content_words, split_sentences

_WH = re.compile(
    r"(?i)^(?:(?:and|so|but|also)\s+)?(?:(?:in|on|by|for|from|to|under|at|with|of|over|since|across)\s+)?"
    r"(?:what|how|which|who|whom|whose|when|where|why|whether|if|is|are|was|were|do|does|did|has|have|had|"
    r"will|would|can|could|should|shall|may|might|to what extent)\b"
)
_CLAUSE = r"(?:^|(?<=[,;:.(?!])|(?<=\band)|(?<=\bso))\s*"
# a form of address before the ask: "Mr Mayor", "Madam Deputy Mayor,", "Mr Morley,", "Commissioner,"
_MR = (r"(?:(?:(?:mr\.?|madam|dear)\s+(?:deputy\s+)?mayor,?|(?:mr|mrs|ms|miss|dr|sir|dame|lord|lady|baroness)"
       r"\.?\s+[\w’'-]+(?:\s+[\w’'-]+)?,|(?:deputy\s+mayor|commissioner),)\s*)?")
# an adverb between the modal and the verb: "could you briefly tell us", "could you possibly set out"
_ADVERB = r"(?:(?:please|kindly|also|now|just|perhaps)\s+|(?!(?:supply|apply|reply|rely)\b)[a-z]{3,}ly\s+)?"
_WHO = r"(?:the\s+)?(?:mayor|you|deputy\s+mayor(?:\s+for\s+policing\s+and\s+crime)?|mopac|dmpc)"
# whose view or decision a question asks for: also "he"/"she", the Mayor in the third person
# ("Is he concerned")
_WHO_VIEW = r"(?:" + _WHO + r"|he|she)"
_COURTESY = re.compile(
    r"(?i)" + _CLAUSE + _MR + r"(?:"
    r"(?:please\s+)?(?:will|can|could|would|may|might|shall)\s+" + _WHO + r"\s+" + _ADVERB + r"(?=\w)"
    r"|please\s+(?=(?:tell|inform|advise|update|confirm|explain|set\s+out|outline|clarify|indicate|state|"
    r"specify|detail|describe|provide|give|list|publish|share|supply|send|let)\b)"
    r"|i\s+would\s+(?:be\s+grateful|appreciate\s+it)\s+if\s+" + _WHO + r"\s+(?:could|would|can|will)"
    r"\s+" + _ADVERB
    + r"|i\s+would\s+like\s+" + _WHO + r"\s+to\s+"
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
    r"(?:will|would|can|could|shall)\s+" + _WHO_VIEW + r"\s+(?:please\s+)?(?:now\s+)?(?:commit|agree|"
    r"consider|"
    r"accept|"
    r"support|meet|write|review|ask|lobby|join|condemn|apologi[sz]e|guarantee|pledge|undertake|ensure|"
    r"reconsider|"
    r"reverse|intervene|urge|press|instruct|seek|investigate|launch|act|step\s+in|make\s+representations|"
    r"call\s+(?:on|for)|"
    r"raise|rule\s+out|reinstate|restore|increase|protect|continue|extend|introduce|work\s+with|look\s+into)"
    r"\b"
    r"|(?:does|do|did|is|are|has|have)\s+" + _WHO_VIEW + r"\s+(?:also\s+)?(?:agree|accept|believe|think|feel|"
    r"support|"
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
    r"with|after|because|although|though|while|whilst|if(?!\s+(?:so|not)\b)|unless)\b[^,?]{3,}?),\s+"
    r"(?=(?:what|how|which|who|when|where|why|whether|is|are|was|were|do|does|did|has|have|had|will|would|"
    r"can|could|should|shall)\b)"
)
_WH_WORDS = frozenset("what how which who whom whose when where why whether if".split())
# "will you / the Mayor <verb>" with a verb that is not a request for information ("tell", "set out", ...):
# asks what the Mayor will do, which no published report can say
_MODAL_MAYOR = re.compile(
    r"(?i)" + _CLAUSE + _MR + r"(?:(?:how|what|when|why|which)(?:\s+\w+){0,2}\s+|whether\s+|if\s+)?"
    r"(?:will|would|shall)\s+" + _WHO_VIEW + r"\s+(?:please\s+|now\s+|also\s+)*"
    r"(?!(?:please|kindly|tell|inform|advise|update|remind|confirm|explain|set\s+out|outline|clarify|indicate|"
    r"state|say|specify|detail|describe|summari[sz]e|provide|give|list|publish|share|supply|send|let|"
    r"be\s+able)\b)[a-z]+\b"
)
# the same asked indirectly, after a courtesy: "(can you confirm) whether you will review ...",
# "whether he agrees"
_INDIRECT_VIEW = re.compile(
    r"(?i)^(?:whether|if)\s+" + _WHO_VIEW + r"\s+(?:also\s+|now\s+|still\s+)?(?:"
    r"(?:will|would|shall|intends?\s+to|plans?\s+to)\s+(?!(?:be\s+able|tell|inform|advise|update|confirm|explain|"
    r"set\s+out|provide|give|list|publish|share)\b)[a-z]+"
    r"|(?:agrees?|accepts?|believes?|thinks?|feels?|supports?|welcomes?|recogni[sz]es?|regrets?|"
    r"(?:is|are|was|were)\s+(?:satisfied|confident|concerned|aware|happy|content|worried))\b)"
)
# a question about what someone other than the Mayor will or should do ("will the plan build on ...?")
_INTENT = re.compile(
    r"(?i)^(?:and\s+)?(?:will|would|shall|should)\s+(?!(?:the\s+)?(?:mayor|you|mopac|dmpc|deputy)\b)"
    r"(?!there\s+be\b)(?!it\s+be\s+possible\b)\w"
)
_TRAIL = re.compile(r"(?i)[\s,;:–—-]*(?:\b(?:and|or|and/or|&)\b)?[\s,;:–—-]*$")
# a request in statement form; "I'd like to begin with ..." is a statement, not a request
_REQUEST_START = re.compile(
    r"(?i)^(?:please\s+\w|i\s+would\s+(?:be\s+grateful|appreciate)|(?:i\s+would|i'd|i’d)\s+(?:like|welcome)\s+"
    r"(?:to\s+(?:know|ask|understand|see|have|receive|be\s+told)|an?\s+|the\s+|a\s+|details?|information|"
    r"confirmation|clarification|" + _WHO + r"\s+to)\b|(?:can|could|may)\s+i\s+(?:ask|request|have)\b)"
)


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
    # a name never starts inside a word: "pan-London service" is one name, never "London service"
    rf"(?P<art>\b[Tt]he\s+)?(?<![\w’'-])(?P<name>(?:[a-z]+-)?{_CAP}(?:\s+(?:(?:of|and|for|the|&)\s+)?{_CAP})*"
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
        if not (words[0][:1].isupper() or re.match(r"[a-z]+-[A-Z]", words[0])):
            continue  # "MOPAC continue to fund" less its acronym: no name left
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
    r"academy|alliance|gateway|toolkit)(?:e?s)?)(?P<poss>['’]s?)?\b"
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
    # the dimension ends the phrase ("by borough", "by borough and ward"), never a noun's first word
    # ("by sex offenders")
    r"(?=\s*(?:$|[,.;:?!)]|(?:and|or|for|in|over|since|from|during|between|across|of|per|each|the|last|"
    r"under|within|at|to|with|on|by|this|that|where|which|as|so)\b))"
    r"|\b(?P<dim2>borough|ward)[-\s]by[-\s]\w+\b"
)


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
