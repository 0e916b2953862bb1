"""One ask -> a standalone part: the programme, year and plan in play carried from the context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.mq.grammar import (
    _ATTRIBUTES,
    _BACKREF,
    _BACKREF_NOUN,
    _COURTESY,
    _INDIRECT_VIEW,
    _INTENT,
    _INVERTED,
    _LEADING_CLAUSE,
    _MODAL_MAYOR,
    _OWN_TIME,
    _POLICY,
    _PRONOUN,
    _RELATIVE,
    _SUBJECT_RE,
    _THEY,
    _WH,
    _asides,
    _be,
    _cap,
    _determined,
    _possessive,
    _tidy,
    programmes,
)
from reportqa.mq.markers import QUOTED
from reportqa.mq.model import MAX_STANDALONE_CHARS, MQPart
from reportqa.temporal import strip_time
from reportqa.text import content_words
from reportqa.years import (
    CANONICAL_PATTERN,
    plan_in,
    previous_year,
    years_in,
)


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
    claim: str = ""  # the preamble's last statement: what "can you confirm this is the case?" asks about


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
    trailing = _TRAILING_QUESTION.search(core) if tabled.rstrip().endswith("?") and not (
        _WH.match(core) or _COURTESY.match(core)) else None
    if trailing:  # "Locally, Brent Council is working on it but what help can we expect ...?"
        asides = [*asides, core[: trailing.start()].strip(" ,;:")]
        core = trailing.group("q")
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
    if verb and not policy:
        # "can you confirm whether you will review ...", or a part of "Could you tell me: - whether you will
        # review ...": what the Mayor will do, asked indirectly
        policy = bool(_MODAL_MAYOR.match(q) or _POLICY.match(q) or _INDIRECT_VIEW.match(q))
    q = _tidy(q.rstrip("?.!").strip())
    if not q or q == QUOTED:
        return None
    # "If not, on what date ...?" follows a yes/no part: the condition is not part of what is asked
    q = re.sub(r"(?i)^if\s+not\s*,?\s*(?=\w)", "", q)
    q = re.sub(r"(?i)^if\s+(?!so\b)", "whether ", q)
    q = _confirmed_claim(q, state.claim)
    indirect = bool(re.match(r"(?i)whether\b", q)) or bool(verb and _WH.match(q) and not _INVERTED.match(q))
    if verb:
        q = _direct(q)
    compared = _comparison(ask, q, state)
    if compared is not None:
        return compared
    subject = None
    if not _WH.match(q) and not policy:
        if ask.stem:
            q = f"{ask.stem} {q}"
        elif _STATEMENT.match(q) and not verb:
            return None  # a statement ("Londoners deserve to know ..."), never "What is <statement>"
        else:
            subject = q
            past = bool(years_in(q) or state.years) or verb in ("provide", "give", "list", "publish", "share")
            q = f"What {_be(q, past)} {_determined(q)}"
    own_topics = programmes(q)
    if own_topics and state.topic and _short_for(own_topics[-1], state.topic):
        own_topics = []  # "the Boards" after "the Safer Neighbourhood Boards": the same thing, named short
    fallback = state.fallback_topics[-1] if state.fallback_topics else None
    topic = own_topics[-1] if own_topics else state.topic or fallback
    resolved = q
    referred = bool(re.match(r"(?i)(?:if\s+(?:so|not)|and)\b", core) or _BACKREF.search(core))
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
                if not re.match(r"(?i)the\s", name):
                    name = f"the {name}"  # "the scheme" -> "the Independent Custody Visitors scheme"
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


# a question clause after a statement in the same sentence, from its question word on
_TRAILING_QUESTION = re.compile(
    r"(?i)(?:[,;:]\s*(?:(?:but|and|so)\s+)?|\s(?:but|so)\s+)(?P<q>(?:what|how|which|who|whom|whose|when|where|"
    r"why|whether|is|are|was|were|do|does|did|has|have|will|would|can|could|should)\b(?:\s+\S+){2,}.*)$"
)
# a sentence that states rather than names what is wanted: an adverb and a comma ("Locally, ..."), a pronoun
# subject, or a capitalised subject and a verb ("Londoners deserve", "Brent Council is")
_STATEMENT = re.compile(
    r"^(?:[A-Za-z]+ly,\s|(?i:i|we|you|he|she|they|it|there)\s+\w|"
    r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,4}\s+(?:[a-z]+ly\s+)?(?:is|are|was|were|has|have|had|will|would|can|"
    r"could|should|must|may|might|do|does|did|deserves?|needs?|wants?|says?|said|believes?|thinks?|seems?|"
    r"appears?|remains?)\b)"
)


def _short_for(name: str, topic: str) -> bool:
    """Whether a one-word name is the last word of the programme in play: "the Boards" for "the Safer
    Neighbourhood Boards"."""
    short = re.sub(r"(?i)^the\s+", "", name).casefold()
    full = re.sub(r"(?i)^the\s+", "", topic).casefold()
    return " " not in short and full != short and full.endswith(" " + short)


_INDIRECT_BE = re.compile(
    r"(?i)^(?P<wh>what|which|who)\s+(?P<np>(?!(?:is|are|was|were)\b).+?)\s+"
    r"(?P<be>is|are|was|were|has\s+been|have\s+been|will\s+be)$"
)


def _direct(q: str) -> str:
    """An indirect question as a direct one: "what that 20-20-20 vision is" -> "what is that 20-20-20 vision".

    Only the form that ends in a form of "be" is turned round; "how many people it supported" reads the
    same either way to the retriever and keeps its indirect wording for the gap sentence."""
    m = _INDIRECT_BE.match(q)
    if not m or len(m.group("np").split()) > 20:
        return q
    return f"{m.group('wh')} {m.group('be')} {m.group('np')}"


_THIS_IS_SO = re.compile(
    r"(?i)^whether\s+(?:this|that|it|the\s+above)\s+is\s+(?:still\s+)?(?:the\s+case|correct|true|accurate|"
    r"right|so)$"
)
_REPORTED = re.compile(
    r"(?i)^(?:.*?\s)?(?:you|the\s+mayor|the\s+deputy\s+mayor|mopac|the\s+met|[\w’'-]+)"
    r"\s+(?:said|stated|told\s+\w+(?:\s+\w+)?|claimed|suggested|indicated|confirmed|announced)\s+(?:that\s+)?"
)


def _confirmed_claim(q: str, claim: str) -> str:
    """"whether this is the case" -> "whether <the preamble's last statement>", without its "you said"."""
    if not claim or not _THIS_IS_SO.match(q):
        return q
    said = _REPORTED.sub("", claim.rstrip(" .")).strip()
    said = re.split(r",\s+which\s+", said)[0]
    return f"whether {said}" if len(said.split()) >= 3 else q
