"""Policy data shipped with the package: src/reportqa/lexicon/*.toml, read once and compiled.

Two policies: ``refusal`` (lexicon/refusal.toml), per category a user-facing message, its patterns and the
examples each category must and must not match; and ``hostile`` (lexicon/hostile.toml), the report
sentences flagged at ingest and never cited, in the same format (a category may also name a `detector` in
code). Each file's header explains its format;
this module checks it (every fragment defined, every regex compiles, at least eight examples each way)
so that a bad edit fails loudly at first use, naming the pattern, rather than refusing nothing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

MIN_EXAMPLES = 8
_REF = re.compile(r"\{([a-z_]+)\}")


class LexiconError(ValueError):
    """The policy file is malformed."""


@dataclass(frozen=True)
class Pattern:
    id: str
    why: str
    regex: re.Pattern[str]
    squashed: bool  # run on the text with spaces and punctuation removed


@dataclass(frozen=True)
class Category:
    name: str
    message: str
    patterns: tuple[Pattern, ...]
    must_match: tuple[str, ...]
    must_not_match: tuple[str, ...]
    detector: str = ""  # the name of a detector in code that also decides (hostile.toml's "contact_details")


@dataclass(frozen=True)
class Policy:
    categories: tuple[Category, ...]

    def category(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise KeyError(name)


def read_text(name: str) -> str:
    """The text of lexicon/<name>.toml inside the installed package."""
    return resources.files("reportqa").joinpath("lexicon", f"{name}.toml").read_text(encoding="utf-8")


def expand(template: str, fragments: dict[str, str], _seen: tuple[str, ...] = ()) -> str:
    """Replace every {name} by (?:fragment), recursively; regex quantifiers like {0,3} are left alone."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in fragments:
            raise LexiconError(f"unknown fragment {{{name}}}")
        if name in _seen:
            raise LexiconError(f"fragment {{{name}}} refers to itself via {' -> '.join(_seen)}")
        return "(?:" + expand(fragments[name], fragments, (*_seen, name)) + ")"

    return _REF.sub(sub, template)


def _fragments(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise LexiconError("[fragments] must be a table")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out[name] = "|".join(f"(?:{v})" for v in value)
        else:
            raise LexiconError(f"fragment {name!r} must be a string or a non-empty list of strings")
    return out


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        raise LexiconError(f"{where} must be a list of non-empty strings")
    return tuple(raw)


def parse(text: str, min_examples: int = MIN_EXAMPLES) -> Policy:
    """A checked, compiled policy from the text of a policy file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"not valid TOML: {exc}") from exc
    fragments = _fragments(data.get("fragments", {}))
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, dict) or not raw_categories:
        raise LexiconError("no [categories.*] tables")
    order = data.get("order", list(raw_categories))
    if sorted(order) != sorted(raw_categories):
        raise LexiconError(f"order {order} does not list exactly the categories {sorted(raw_categories)}")
    categories = []
    for name in order:
        raw = raw_categories[name]
        message = raw.get("message")
        if not isinstance(message, str) or not message.strip():
            raise LexiconError(f"{name}: missing message")
        patterns = []
        seen_ids: set[str] = set()
        for i, p in enumerate(raw.get("patterns", [])):
            pid = p.get("id") or f"{name}-{i}"
            where = f"{name}/{pid}"
            if pid in seen_ids:
                raise LexiconError(f"{where}: duplicate pattern id")
            seen_ids.add(pid)
            if not isinstance(p.get("rx"), str) or not isinstance(p.get("why"), str) or not p["why"].strip():
                raise LexiconError(f"{where}: a pattern needs rx and why")
            on = p.get("on", "text")
            if on not in ("text", "squashed"):
                raise LexiconError(f"{where}: on must be 'text' or 'squashed'")
            try:
                rx = re.compile(expand(p["rx"], fragments))
            except LexiconError as exc:
                raise LexiconError(f"{where}: {exc}") from exc
            except re.error as exc:
                raise LexiconError(f"{where}: bad regex: {exc}") from exc
            patterns.append(Pattern(pid, p["why"], rx, on == "squashed"))
        detector = raw.get("detector", "")
        if not isinstance(detector, str):
            raise LexiconError(f"{name}: detector must be a name")
        if not patterns and not detector:
            raise LexiconError(f"{name}: no patterns")
        must = _strings(raw.get("must_match"), f"{name}.must_match")
        must_not = _strings(raw.get("must_not_match"), f"{name}.must_not_match")
        if len(must) < min_examples or len(must_not) < min_examples:
            raise LexiconError(f"{name}: needs at least {min_examples} must_match and must_not_match each")
        categories.append(Category(name, message.strip(), tuple(patterns), must, must_not, detector))
    return Policy(tuple(categories))


@cache
def load(name: str = "refusal") -> Policy:
    """The compiled policy lexicon/<name>.toml (cached: read and compiled once per process)."""
    try:
        return parse(read_text(name))
    except LexiconError as exc:
        raise LexiconError(f"lexicon/{name}.toml: {exc}") from exc
