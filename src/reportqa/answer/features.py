"""What a question asks for, read from data files: aliases of named things, and the answer type.

Both lexicons live in `reportqa/lexicon/*.toml` with examples that the tests run. Nothing here decides
on its own whether a question is answered: these are features for the fitted models in `decide.py`
and `evidence.py`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from reportqa.text import tokenize

# What is not a count: years, financial years, dates, percentages and sums of money.
_DATES = re.compile(
    r"\b(?:19|20)\d\d(?:\s?[/\-–]\s?\d{2,4})?\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:January|February|March|April|May|June|"
    r"July|August|September|October|November|December)\b|£\s?[\d.,]+\s?(?:m|bn|k|million|billion)?\b|"
    r"\b\d[\d.,]*\s?(?:%|per ?cent)|\b(?:Q[1-4]|quarter \d)\b",
    re.I,
)
_COUNT = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|dozens?)\b",
    re.I,
)


def _load(name: str) -> dict[str, Any]:
    with resources.files("reportqa").joinpath("lexicon", name).open("rb") as fh:
        return tomllib.load(fh)


def fold(text: str) -> str:
    """NFKC, case-folded, curly quotes straightened, whitespace collapsed: how lexicons are matched."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = t.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", t).strip()


# -- aliases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AliasGroup:
    key: str  # a token standing for the whole group, e.g. "zzaliasa"
    names: tuple[str, ...]


@lru_cache(maxsize=1)
def alias_groups() -> tuple[AliasGroup, ...]:
    data = _load("aliases.toml")
    return tuple(AliasGroup(_group_key(i), tuple(g["names"])) for i, g in enumerate(data.get("group", [])))


def _group_key(i: int) -> str:
    """A letters-only token that the shared tokenizer keeps as one word: 'zzaliasb', 'zzaliasbc'."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(97 + r) + letters
    return "zzalias" + letters


@lru_cache(maxsize=1)
def _alias_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    table: dict[str, str] = {}
    for g in alias_groups():
        for name in g.names:
            table[fold(name)] = g.key
    # longest names first, so "metropolitan police service" wins over "met"
    names = sorted(table, key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace("\\ ", r"\s+") for n in names)
    rx = re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])", re.I) if names else re.compile(r"$^")
    return rx, table


@lru_cache(maxsize=1)
def _lower_aliases() -> frozenset[str]:
    """The aliases listed all in lower case: ordinary words ("cops"), never a verb mistaken for a name."""
    return frozenset(fold(n) for g in alias_groups() for n in g.names if n.islower())


def canonical_aliases(text: str) -> tuple[str, set[str]]:
    """The text with every alias replaced by its group's key, and the keys found.

    Aliases are matched case-insensitively, except that a short alias listed with capitals (MPS, ICV, Met)
    written all in lower case is left alone, so "met" the verb is not read as the police service; a short
    alias listed in lower case ("cops") is a word, and matches as one.
    """
    rx, table = _alias_regex()
    found: set[str] = set()
    src = unicodedata.normalize("NFKC", text).replace("’", "'").replace("–", "-").replace("—", "-")

    def sub(m: re.Match[str]) -> str:
        raw = m.group(0)
        key = table.get(fold(raw))
        if key is None or (len(raw) <= 4 and raw.islower() and fold(raw) not in _lower_aliases()):
            return raw
        found.add(key)
        return " " + key + " "

    return rx.sub(sub, src), found


@lru_cache(maxsize=8192)
def alias_tokens(text: str) -> frozenset[str]:
    """Content-word tokens of `text`, with aliases folded into their group key.

    Cached: a question scores the same passages' texts many times (context, names, missing words)."""
    canon, found = canonical_aliases(text)
    return frozenset(tokenize(canon)) | found


def expansions(text: str) -> list[str]:
    """The other spellings of every aliased name in `text`, for a keyword query."""
    _, found = canonical_aliases(text)
    out: list[str] = []
    for g in alias_groups():
        if g.key in found:
            out.extend(g.names)
    return out


# -- answer types --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerType:
    name: str  # "money" | "percent" | "duration" | "count" | "date"
    patterns: tuple[re.Pattern[str], ...]
    evidence: re.Pattern[str]
    must: tuple[str, ...]
    must_not: tuple[str, ...]


@lru_cache(maxsize=1)
def answer_types() -> tuple[AnswerType, ...]:
    data = _load("answer_types.toml")
    return tuple(
        AnswerType(
            t["name"],
            tuple(re.compile(p, re.I) for p in t["patterns"]),
            re.compile(t["evidence"], re.I),
            tuple(t.get("must", ())),
            tuple(t.get("must_not", ())),
        )
        for t in data.get("type", [])
    )


def answer_type(question: str) -> AnswerType | None:
    """The answer type the question asks for, or None for an open question ("what does X do?")."""
    q = fold(question)
    for t in answer_types():
        if any(p.search(q) for p in t.patterns):
            return t
    return None


def has_answer_type(t: AnswerType | None, text: str) -> bool:
    """Does `text` hold an answer of type `t`? Any text does when no type is asked."""
    if t is None:
        return True
    text = unicodedata.normalize("NFKC", text)
    if t.name == "count":
        return bool(_COUNT.search(_DATES.sub(" ", text)))
    return bool(t.evidence.search(text))


# -- named things --------------------------------------------------------------------------------------

# Closed-class words that open a sentence without being part of a name, and month names (dates).
_OPENERS = frozenset(
    "how what which who whom whose when where why did does do is are was were can could will would "
    "should has have had the a an in on at by for and but so tell please give list show since under "
    "according besides if".split()
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
_NAME_RE = re.compile(
    r"(?<![\w'’])([A-Z][\w'’&-]*|[A-Z]{2,}s?)(?:\s+(?:(?:of|and|for|the|&|on)\s+)?([A-Z][\w'’&-]*|\d+))*"
)


def named_things(question: str) -> list[str]:
    """Capitalised names in a question, not counting the first word of a sentence on its own.

    "How many ICVs did MOPAC recruit?" -> ["ICVs", "MOPAC"]. A sentence-opening word only counts when it
    is part of a longer name ("Stop and Search Monitoring Groups").
    """
    out: list[str] = []
    for m in _NAME_RE.finditer(question):
        name = m.group(0).strip()
        before = question[: m.start()].rstrip()
        opens = not before or before[-1] in ".?!:;\"“(" or before.endswith("\n")
        words = name.split()
        if opens and (len(words) == 1 or words[0].lower() in _OPENERS):
            words = words[1:]
        while words and words[0].lower() in ("of", "and", "for", "the", "&", "on"):
            words = words[1:]
        if words and words[0].lower() in _MONTHS:
            continue  # a date, not a name
        name = " ".join(words)
        name = re.sub(r"['’]s$", "", name)
        if len(name) < 3 or name.isdigit():
            continue
        if name.lower() in ("i", "i'm", "i've"):
            continue
        out.append(name)
    return out


def name_coverage(question: str, context: str) -> float:
    """Share of the question's named things whose content words all appear in `context` (1.0 if none).

    A loose test (the words may stand apart), used as a ranking feature. Aliases count: "the Met" is found
    in a passage that says "MPS".
    """
    names = named_things(question)
    if not names:
        return 1.0
    have = alias_tokens(context)
    have |= {"~" + w[:5] for w in have if len(w) >= 5}
    found = 0
    for n in names:
        words = alias_tokens(n)
        if all(w in have or (len(w) >= 5 and "~" + w[:5] in have) for w in words if not w[0].isdigit()):
            found += 1
    return found / len(names)


def names_found(names: list[str], context: str) -> float:
    """Share of `names` that `context` names as phrases (1.0 for no names): the strict test.

    A name is found as a phrase, case-insensitively, with its aliases ("the Met" meets "MPS") and a plural
    or possessive ending either side: "London Victim and Witness Service" is not found in a passage that
    merely uses the words London, victim, witness and service apart.
    """
    if not names:
        return 1.0
    have = " " + _phrase_text(context) + " "
    found = 0
    for n in names:
        phrase = _phrase_text(n)
        if phrase and re.search(r"(?<![\w])" + re.escape(phrase) + r"(?:s|es|'s|')?(?![\w])", have):
            found += 1
    return found / len(names)


@lru_cache(maxsize=8192)
def _phrase_text(text: str) -> str:
    """Text folded for phrase matching: aliases to their group key, case and punctuation folded."""
    canon, _ = canonical_aliases(text)
    t = fold(canon)
    t = re.sub(r"'s\b", "", t)
    t = re.sub(r"[^\w&]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()
