"""Scope and safety: what the assistant refuses, before any retrieval."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    category: str
    message: str


SCOPE = (
    "I can only answer questions about what MOPAC's published reports say "
    "(the annual reports and the Police and Crime Plan)."
)

_RULES: list[tuple[str, str, str]] = [
    (
        "injection",
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|rule|prompt|guideline|polic(y|ies)|previous|above|system)"
        r"|\b(system|hidden|initial|developer)\s+(prompt|message|instruction)s?\b|\bjailbreak|\bDAN\b|\bdeveloper mode\b"
        r"|\byou are now\b|\bpretend (to be|you are)\b|\bact as (an?|the)\b(?!.{0,20}\bofficer)|\breveal your\b|\bprint your\b"
        r"|\brepeat (the|your) (text|words|instructions) above\b|\bnew instructions?\s*:|^\s*(system|assistant)\s*:|###\s*(system|instruction)"
        r"|\b(you must|from now on|henceforth) (now )?(answer|respond|reply|act|say|ignore)\b|\brole-?play\b|\bsudo\b"
        r"|\b(respond|answer|reply) as (if|though) you (were|are)\b|\bwithout (any )?(restrictions|filters|rules)\b",
        "I can't change how I work or share my instructions. " + SCOPE,
    ),
    (
        "fabrication",
        r"\bpretend\b.{0,30}\b(report|reports|mopac|met|mayor|says|said)\b|\b(make up|invent|fabricate|fake)\b.{0,30}\b(figure|number|quote|statistic|report|letter)"
        r"|\b(on|using) (mopac|met|police|city hall|gla)('s)? letterhead\b|\bimpersonat|\bwrite (me )?(a |an )?(fake |realistic |official )?(press release|letter|statement) (from|as|on behalf of|telling|saying)",
        "I can only report what MOPAC's published reports actually say, and I can't write material that "
        "pretends to come from MOPAC, the police or anyone else. " + SCOPE,
    ),
    (
        "personal_data",
        r"\b(home|private|personal|residential)\s+(address|phone|number|email|details)\b"
        r"|\b(phone|mobile|telephone)\s+number\s+(of|for)\b|\bdate of birth\b|\bwhere does .{1,40}\blive\b"
        r"|\bemail address (of|for)\b|\bnational insurance\b|\bcriminal record of\b|\bmedical (record|history) of\b"
        r"|\b(names?|identit(y|ies)|addresses) of (the )?(victims?|survivors?|detainees?|offenders?|informants?|witness(es)?)\b"
        r"|\b(who|which (person|people|officer|officers)) (was|were|is|are) (the )?(victim|victims|suspect|suspects|informant|offender)s?\b"
        r"|\b(where|what street) does .{1,40}\b(live|stay)\b|\b(social media|instagram|facebook) (account|profile) of\b",
        "I can't help with personal information about individuals. " + SCOPE,
    ),
    (
        "crime",
        r"\bhow (do|can|could|would|should) (i|we|you|someone|one)\b.{0,40}\b(steal|burgle|break into|pick a lock|"
        r"hotwire|launder|smuggle|stab|shoot|make a (bomb|weapon|gun|knife)|pick (a |the |this |that |my |someone's )?lock|buy (drugs|a gun|a knife|weapons?)|sell drugs|"
        r"avoid (being|getting) (caught|arrested|stopped|searched)|evade|remove (a|an|my|the) (gps )?tag|cut off (a|an|my|the) tag|"
        r"get away with|hack|defraud|scam|groom|recruit .{0,20}(gang|county lines))"
        r"|\b(make|build) (a )?(bomb|explosive|pipe bomb)|\bwhere (can|do|could) i (buy|get|find) (drugs|cocaine|heroin|weed|cannabis|a gun|a knife|a weapon)"
        r"|\b(without|avoid) (getting )?(caught|detected|noticed|arrested|stopped)\b|\b(hide|stash|conceal) (drugs|a knife|a weapon|a gun|evidence)\b"
        r"|\b(dodge|beat|get round|get around|fool|trick) (a |the )?(stop and search|police|gps tag|tag|curfew|breathalyser|drug test)"
        r"|\bhow to (steal|pick a lock|launder money|make a bomb|evade police|beat a drug test|get away with)",
        "I can't help with that. If you or someone else is in danger, call 999. " + SCOPE,
    ),
    (
        "politics",
        r"\b(who|which (party|candidate)) (should|do you think i should|would you) (i |we )?vote\b|\bvote for\b"
        r"|\bwhich (political )?party\b.{0,30}\b(better|best|vote|support)|\b(better|worse) (than|mayor|party)\b.{0,20}\b(labour|conservative|tory|tories|lib dem|green|reform)\b"
        r"|\b(your|you) (personal )?(opinion|view|think)\b.{0,40}\b(mayor|sadiq|khan|boris|johnson|government|party|labour|conservative|tory|policy)"
        r"|\bis (sadiq khan|boris johnson|the mayor|the government) (a )?(good|bad|doing a good|doing a bad|right|wrong|competent|incompetent)"
        r"|\b(should|will) (sadiq khan|the mayor|he) (resign|be re-?elected|win)\b"
        r"|\b(labour|conservatives?|tories|tory|lib dems?|liberal democrats?|greens?|reform uk)\b.{0,20}\bor\b.{0,20}\b(labour|conservatives?|tories|tory|lib dems?|liberal democrats?|greens?|reform uk)\b"
        r"|\bdo you (support|agree with|like|prefer|back)\b|\bwhat do you (think|feel|believe)\b|\bwhich (politician|candidate|party) (is|was) (better|best|right)\b",
        "I don't offer political opinions. I can tell you what MOPAC's reports say about a topic. " + SCOPE,
    ),
    (
        "off_topic",
        r"\bweather\b|\bwho won\b|\b(arsenal|chelsea|spurs|tottenham|west ham|fulham|crystal palace|brentford|millwall)\b.{0,40}\b(game|match|score|result|won|lost|draw)\b|\b(forecast|temperature|rain(ing)?|sunny)\b.{0,20}\b(today|tomorrow|tonight|this week|weekend)\b|\b(football|premier league|match|score)\b.{0,20}\b(result|score|won|lost|tonight|yesterday|last night)\b"
        r"|\b(recipe|cook|bake)\b|\bstock (price|market)\b|\bbitcoin\b|\blottery\b|\bhoroscope\b"
        r"|\b(election|general election|mayoral election)\b.{0,30}\b(result|win|won|poll|when is|date)\b"
        r"|\bwrite (me )?(a )?(poem|song|story|essay|joke|limerick)\b|\btell me a joke\b|\btranslate\b"
        r"|\bwrite (some |a )?(python|javascript|code|program|script|sql)\b|\bwhat is \d+\s*[-+*/x]\s*\d+\b|\b(capital city|celebrity|movie|film|tv show|netflix)\b",
        "That's outside what I can help with. " + SCOPE,
    ),
]
_COMPILED = [(c, re.compile(p, re.I), m) for c, p, m in _RULES]


def check(question: str) -> Refusal | None:
    """A refusal for questions outside the reports' scope or asking for harm; None otherwise."""
    for category, rx, message in _COMPILED:
        if rx.search(question):
            return Refusal(category, message)
    return None
