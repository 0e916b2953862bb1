"""Scope and safety: what the assistant refuses, before any retrieval, and what it never quotes.

The refusal policy is data: src/reportqa/lexicon/refusal.toml holds, per category, the message, the
patterns (one intent each, with why it is there) and the questions each category must and must not match.
`check` normalises the question and runs the patterns; `contact_details` finds personal contact details
in a report sentence so that an answerer can skip the sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reportqa.lexicon import Policy, load


@dataclass(frozen=True)
class Refusal:
    category: str
    message: str
    rule: str = ""  # the id of the pattern that matched, for notes and debugging


# ---------------------------------------------------------------------------------------------------
# normalisation

# punctuation that has an ASCII twin the patterns are written with
_PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'",
    "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})
# Cyrillic and Greek letters that look like Latin ones, as used to slip words past filters
_CONFUSABLE = str.maketrans({
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x",
    "\u0456": "i", "\u0458": "j", "\u0455": "s", "\u0501": "d", "\u0261": "g", "\u0131": "i", "\u04cf": "l",
    "\u043a": "k", "\u043c": "m", "\u043d": "h", "\u0442": "t", "\u0432": "b", "\u0491": "r", "\u04bb": "h",
    "\u03bf": "o", "\u03b1": "a", "\u03b5": "e", "\u03b9": "i", "\u03ba": "k", "\u03bd": "v", "\u03c1": "p",
    "\u03c4": "t", "\u03c5": "u", "\u03c7": "x", "\u0251": "a", "\u1d00": "a", "\u0299": "b", "\u1d04": "c",
})
_SQUASH = re.compile(r"[\W_]+")
# ASCII control characters: whitespace ones become a space, the rest go (as `normalise` does for any text)
_ASCII_CONTROLS = str.maketrans({chr(i): (" " if chr(i) in "\t\n\r\v\f" else "") for i in [*range(32), 127]})


def normalise(text: str) -> str:
    """The form every refusal pattern is written against.

    NFKC (full-width and styled letters become plain ones), str.casefold, then NFKD with combining marks
    dropped (so "İ", which case-folds to "i" + U+0307, becomes "i", and accents go), format characters
    (zero-width spaces and joiners, bidi controls, soft hyphens, tag characters) and control characters
    removed, curly quotes and dashes made ASCII, Cyrillic/Greek look-alikes mapped to Latin, and
    whitespace collapsed to single spaces.
    """
    if text.isascii():  # NFKC, NFKD and NFC leave ASCII as it is, and it has no marks or format characters
        t = text.casefold().translate(_ASCII_CONTROLS).translate(_PUNCT)
        return " ".join(t.split())
    t = unicodedata.normalize("NFKC", text).casefold()
    t = unicodedata.normalize("NFKD", t)
    kept = []
    for ch in t:
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me", "Cf"):
            continue
        if cat == "Cc":
            kept.append(" " if ch in "\t\n\r\v\f" else "")
            continue
        kept.append(ch)
    t = unicodedata.normalize("NFC", "".join(kept)).translate(_PUNCT).translate(_CONFUSABLE)
    return " ".join(t.split())


def policy() -> Policy:
    """The refusal policy (loaded and compiled once)."""
    return load("refusal")


def _matches(question: str, first_only: bool) -> list[Refusal]:
    text = normalise(question)
    squashed = _SQUASH.sub("", text)
    out = []
    for category in policy().categories:
        for pattern in category.patterns:
            if pattern.regex.search(squashed if pattern.squashed else text):
                out.append(Refusal(category.name, category.message, pattern.id))
                if first_only:
                    return out
    return out


def check(question: str) -> Refusal | None:
    """A refusal for questions outside the reports' scope or asking for harm; None otherwise."""
    found = _matches(question, first_only=True)
    return found[0] if found else None


def explain(question: str) -> list[Refusal]:
    """Every rule that matches the question, in policy order (check() returns the first)."""
    return _matches(question, first_only=False)


# ---------------------------------------------------------------------------------------------------
# personal contact details in report text
#
# Policy: the assistant never gives personal contact details of individuals (phone numbers, home
# addresses, personal emails), even when a report holds them. Organisational contact points that a
# report publishes for the public to use (a switchboard, a helpline, an enquiries mailbox, an office
# address) are NOT personal, and are not flagged when the text itself shows them to be organisational:
#
# * phone numbers: mobiles (07..., +44 7...) are always flagged. Non-geographic service numbers
#   (0800/0808 freephone, 03xx public-body numbers, 084x/087x) are organisational by design and never
#   flagged. Any other number is flagged unless the same text names an organisation or labels it as a
#   switchboard/enquiries/helpline AND nothing in the text points at a person (a title and surname, "his
#   mobile", "lives at", "personal"...). A bare "Tel: 020 7983 6532" is flagged: when the text can't
#   show whose number it is, the sentence is skipped (a skipped sentence costs little; a leaked number
#   can't be taken back).
# * emails: flagged unless the local part is a role mailbox (enquiries@, press@, foi@...) at a
#   non-webmail domain; firstname.lastname@ and anything at gmail/hotmail/... is always flagged.
# * home addresses: a house number + street name + street type followed by a UK postcode, or a house
#   number + street after "lives at"/"home address". Flagged unless it follows an organisational cue
#   (floor, office, City Hall, police station, ...) with no person cue in the text. A postcode on its
#   own (an area) is not an address.

_ORG_CUE = re.compile(
    r"\b(?:office|offices|floor|city hall|headquarters|hq|police station|station|council|ltd|limited|plc|llp|"
    r"charity|trust|centre|center|suite|house|building|tower|mopac|metropolitan police|met police|"
    r"scotland yard|"
    r"gla|greater london authority|mayor'?s office|hospital|school|university|college|library|switchboard|"
    r"enquiries|enquiry line|helpline|help line|phone ?line|hotline|advice line|reception|main number|"
    r"general enquiries|service|services|department|unit|team|organisation|organization)\b",
    re.I,
)
_PERSON_CUE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Dame|Lord|Lady|DCI|DI|DS|DC|PC|PCSO|Sgt|Sergeant|Inspector|Superintendent|"
    r"Constable|Detective|Cllr|Councillor)\.?\s+[A-Z][a-z]+"
    r"|\b(?i:lives?|living|resides?|residing|home address|home number|personal|private|mobile|mob|"
    r"(?:his|her|their|my|your) (?:home|house|flat|address|number|phone|email|e-mail|mobile|landline))\b"
)

_PHONE = re.compile(
    r"(?<![\w+£$€.,/-])"
    r"(?:(?:\+|00)\s?\d{1,3}[\s.-]?(?:\(0\)[\s.-]?)?\(?\d{1,5}\)?|\(?0\d{1,5}\)?)"
    r"(?:[\s.-]?\d{2,5}){1,4}"
    r"(?![\w%£])"
)
_LABELLED_PHONE = re.compile(
    r"\b(?i:tel|telephone|phone|mobile|mob|call|ring|text|whatsapp|fax|contact (?:him|her|them|me) on)\b"
    r"\.?:?\s*(?i:no\.?|number)?:?\s*(\+?\d[\d\s().-]{5,18}\d)(?![\w%])"
)
_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)\s?(?:@|\[at\]|\(at\))\s?"
    r"([A-Za-z0-9-]+(?:(?:\.|\s?\[dot\]\s?|\s?\(dot\)\s?)[A-Za-z0-9-]+)+)"
)
_WEBMAIL = re.compile(
    r"^(?:gmail|googlemail|hotmail|outlook|live|msn|yahoo|ymail|icloud|me|mac|aol|btinternet|sky|virginmedia|"
    r"talktalk|protonmail|proton|gmx|mail|zoho|tutanota)\.", re.I,
)
_ROLE_WORDS = frozenset(
    re.findall(
        r"\w+",
        """enquiries enquiry info information contact contactus press media news foi freedomofinformation
        admin office hello help helpdesk support complaints complaint feedback team secretariat mailbox
        general reception customerservice customerservices casework correspondence noreply donotreply no
        reply webmaster privacy dpo dataprotection accessibility comms communications events partnerships
        policy governance board committee finance procurement hr recruitment jobs careers victims victim
        safeguarding referrals referral intake switchboard mopac met mps gla vru nhs cps police london hub
        service services unit desk digital web""",
    )
)
_STREET_TYPE = (
    r"(?i:road|rd|street|st|avenue|ave|lane|ln|close|cl|gardens|gdns|drive|dr|way|place|pl|crescent|cres|terrace|"
    r"tce|grove|gr|court|ct|hill|park|square|sq|rise|mews|walk|row|green|parade|vale|view|wharf|yard|gate|"
    r"approach|path|villas|estate|broadway|boulevard|embankment|end)\b\.?"
)
_HOUSE = (
    r"(?:(?i:flat|apartment|apt|unit|room|maisonette)\s*\d+[A-Za-z]?,?\s+)?"
    r"\b\d{1,4}[A-Za-z]?(?:-\d{1,4})?,?\s+(?:[A-Z][A-Za-z'’-]*\s+){1,3}" + _STREET_TYPE
)
_POSTCODE = r"\b(?i:[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b"
_ADDRESS = re.compile(_HOUSE + r"(?:[^.;\n]{0,60}?" + _POSTCODE + r")?")
_RESIDENCE = re.compile(
    r"\b(?i:lives?|living|resides?|residing|home address(?: is)?|home is|address is|staying)"
    r"\s+(?i:at|in|:)?\s*$"
)


def _organisational(text: str) -> bool:
    return bool(_ORG_CUE.search(text)) and not _PERSON_CUE.search(text)


def _phone_kind(raw: str) -> str | None:
    """"mobile", "service" (freephone/non-geographic), "other", or None when it is not a phone number."""
    digits = re.sub(r"\D", "", raw)
    lead = raw.lstrip("( ")
    if lead.startswith(("+", "00")):
        cc = digits[2:] if lead.startswith("00") else digits
        if not cc.startswith("44"):
            return "other" if 8 <= len(cc) <= 15 else None
        national = "0" + cc[2:].lstrip("0")
    else:
        national = digits
    if national.startswith("0"):
        if not 10 <= len(national) <= 11:
            return None
    elif not 7 <= len(national) <= 11:
        return None
    if national.startswith("07"):
        return "mobile"
    if national.startswith(("080", "03", "084", "087", "0500")):
        return "service"
    return "other"


_REFERENCE = re.compile(
    r"\b(?i:ref(?:erence)?|case|crime|incident|account|invoice|order|policy|claim|cad)\.?\s*(?i:number|no\.?|#)?\s*:?\s*$"
)


def _phone_spans(text: str) -> list[tuple[int, int]]:
    found = [(m.start(), m.end(), m.group()) for m in _PHONE.finditer(text)
             if not _REFERENCE.search(text[max(0, m.start() - 30) : m.start()])]
    for m in _LABELLED_PHONE.finditer(text):
        if not any(s <= m.start(1) < e for s, e, _ in found):
            found.append((m.start(1), m.end(1), m.group(1)))
    org = _organisational(text)
    spans = []
    for start, end, raw in found:
        kind = _phone_kind(raw)
        if kind == "mobile" or (kind == "other" and not org):
            spans.append((start, end))
    return spans


def _email_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _EMAIL.finditer(text):
        local, domain = m.group(1).lower(), m.group(2).lower()
        tokens = [t for t in re.split(r"[._%+-]+", local) if t and not t.isdigit()]
        role = bool(tokens) and all(t in _ROLE_WORDS for t in tokens)
        if _WEBMAIL.match(domain) or not role:
            spans.append((m.start(), m.end()))
    return spans


def _address_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    person = bool(_PERSON_CUE.search(text))
    for m in _ADDRESS.finditer(text):
        before = text[max(0, m.start() - 120) : m.start()]
        residence = bool(_RESIDENCE.search(before))
        has_postcode = re.search(_POSTCODE + r"$", m.group()) is not None
        if not (residence or has_postcode):
            continue  # "2 officers walk" is no address: a numbered street needs a postcode or "lives at"
        if not residence and not person and _ORG_CUE.search(before + m.group()):
            continue  # an office address
        spans.append((m.start(), m.end()))
    return spans


def contact_details(text: str) -> list[tuple[int, int]]:
    """Character spans of personal contact details in a report sentence: phone numbers, personal email
    addresses and home addresses (house number + street with a postcode). Organisational switchboards,
    helplines, role mailboxes and office addresses are not included (see the policy above). Sorted, with
    overlapping spans merged."""
    spans = sorted(_phone_spans(text) + _email_spans(text) + _address_spans(text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------------------------------------------
# intent across the conversation: the patterns on every user turn, and a fitted classifier beside them
#
# A harmful ask can be split across turns ("I'm on a GPS tag." ... "How do I stop it reporting where I
# am?"): the crime patterns read the last user turns joined with the question, as well as the question
# alone. A window that already matched without the question was refused when it was asked; it refuses the
# question too only when the question goes on from it (a follow-up: "and for a sobriety tag?"), so an
# ordinary question after a refusal is answered. The classifier (lexicon/intent_model.json, fitted by
# scripts/fit_intent.py on refusal.toml's and intent.toml's examples and the eval's dev questions; classes
# answer, crime, politics and personal_data) reads the question's vector, the one retrieval computes anyway,
# and, when there are earlier user turns, each window of the last ones joined with the question (a harmful
# ask made two turns back and followed by an innocent-looking one is still read with the question).

INTENT_MODEL = "intent_model"  # lexicon/intent_model.json
INTENT_CATEGORIES = ("crime", "politics", "personal_data")  # refusal.toml categories the classifier decides
CONVERSATION_TURNS = 3  # earlier user turns read with the question
# a question that goes on from the turn before rather than standing alone
_CONTINUES = re.compile(
    r"^(?:and|but|so|ok(?:ay)?|also|then|what about|how about|what if|and if|or|same|again)\b"
    r"|\b(?:it|its|it's|them|they|that|this|those|these|there|one)\b"
)


def intent_examples(with_sources: bool = False) -> Any:
    """The classifier's training examples from the lexicons: (texts, labels) or, `with_sources`, (texts,
    labels, the file each came from). refusal.toml's must_match of INTENT_CATEGORIES as those classes, its
    must_not_match of every category as "answer"; intent.toml's examples under their class."""
    import tomllib

    from reportqa.lexicon import read_text

    texts: list[str] = []
    labels: list[str] = []
    sources: list[str] = []

    def add(items: Sequence[str], label: str, source: str) -> None:
        texts.extend(items)
        labels.extend([label] * len(items))
        sources.extend([source] * len(items))

    for c in policy().categories:
        if c.name in INTENT_CATEGORIES:
            add(c.must_match, c.name, "refusal.toml")
        add(c.must_not_match, "answer", "refusal.toml")
    extra = tomllib.loads(read_text("intent"))
    for label in ("answer", *INTENT_CATEGORIES):
        add(tuple(extra[label]["examples"]), label, "intent.toml")
    return (texts, labels, sources) if with_sources else (texts, labels)


def intent(vector: Sequence[float]) -> tuple[str, float]:
    """The classifier's decision for a question's vector: ("crime" | "politics", P) at or above its
    threshold, else ("answer", P(answer))."""
    from reportqa.vector_model import load as load_model

    return load_model(INTENT_MODEL).decide(vector)


def _category_match(text: str, category: str) -> Refusal | None:
    c = policy().category(category)
    norm = normalise(text)
    squashed = _SQUASH.sub("", norm)
    for p in c.patterns:
        if p.regex.search(squashed if p.squashed else norm):
            return Refusal(c.name, c.message, p.id)
    return None


def by_model(text: str, embed: Callable[[str], Sequence[float]], only: Sequence[str] = INTENT_CATEGORIES
             ) -> Refusal | None:
    """The classifier's refusal of `text` (`embed`: text -> unit vector) when its class is one of `only`."""
    label, p = intent(embed(text))
    if label in only:
        c = policy().category(label)
        return Refusal(c.name, c.message, f"intent-model:{p:.2f}")
    return None


def check_conversation(
    question: str, turns: Sequence[Any] = (), embed: Callable[[str], Sequence[float]] | None = None
) -> Refusal | None:
    """`check` on the question, then the crime and evasion intent across the conversation's user turns
    (`turns`: objects with .role and .content, the last CONVERSATION_TURNS user ones read), then the fitted
    classifier on the question's vector (`embed`: text -> unit vector, e.g. `Embedder.embed_query`, whose
    cache retrieval then reuses) and on each window of the last 1..CONVERSATION_TURNS user turns joined
    with it. A window refuses the question when it scores above the cut-off and either the question goes
    on from it or the turns alone do not; a question that goes on from a turn the policy refuses is refused
    too. None: answer it."""
    found = check(question)
    if found is not None:
        return found
    users = [str(t.content) for t in turns if getattr(t, "role", "") == "user"][-CONVERSATION_TURNS:]
    goes_on = bool(_CONTINUES.search(normalise(question)))
    for k in range(1, len(users) + 1):
        before = " ".join(users[-k:])
        hit = _category_match(f"{before} {question}", "crime")
        if hit is not None and (goes_on or _category_match(before, "crime") is None):
            return hit
    if embed is None:
        return None
    found = by_model(question, embed)
    for k in range(1, len(users) + 1):
        if found is not None:
            break
        before = " ".join(users[-k:])
        earlier = check(users[-k]) or by_model(users[-k], embed)
        if goes_on and earlier is not None:
            return earlier  # a follow-up of an ask the policy refuses
        hit = by_model(f"{before} {question}", embed)
        if hit is not None and (goes_on or by_model(before, embed) is None):
            found = hit
    return found
