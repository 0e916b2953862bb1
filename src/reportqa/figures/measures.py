"""The measures lexicon (lexicon/measures.toml), checked and compiled: the words figures are read with.

- `Lexicon`: the compiled file (how a trend question is detected, the words around a figure, its kinds of
  period and basis); `Kind`: one kind of period or basis, with its patterns;
- `parse` checks a text of the file, `lexicon` reads the shipped one once per process (`MeasuresError` when
  it is malformed);
- `measure_kind`: the kind of figure a measure names (count, percent, money), when its words say.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


class MeasuresError(ValueError):
    """lexicon/measures.toml is malformed."""


@dataclass(frozen=True)
class Kind:
    """A period kind or a basis: a name, a label for reasons, its patterns and examples."""

    name: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    kind: str = ""  # for a basis: plan | actual | change
    local: bool = False  # a basis matched only around the figure (its patterns hold <FIG>)
    exclusive: bool = False  # a basis that differs from any other exclusive basis
    sources: tuple[str, ...] = ()  # the patterns as written (the local ones need the figure put in)
    short: str = ""  # a basis named on its own: "a forecast", "headcount"
    money_only: bool = False  # a basis only a sum of money can have


@dataclass(frozen=True)
class Lexicon:
    min_score: float
    phrase_weight: float
    change_penalty: float
    k: int
    candidates: int
    detect: tuple[re.Pattern[str], ...]
    detect_not: tuple[re.Pattern[str], ...]
    detect_must: tuple[str, ...]
    detect_must_not: tuple[str, ...]
    strip: tuple[re.Pattern[str], ...]
    qualifiers: tuple[str, ...]
    not_after: frozenset[str]
    stop_after: frozenset[str]
    ing_nouns: frozenset[str]
    clause_start: frozenset[str]
    link_words: frozenset[str]
    link_verbs: frozenset[str]
    generic_heads: frozenset[str]
    max_words: int
    baseline: tuple[str, ...]
    periods: tuple[Kind, ...]
    bases: tuple[Kind, ...]
    measure_kinds: tuple[Kind, ...] = ()  # the kind of figure a measure is (count, percent, money), if said

    def period(self, name: str) -> Kind:
        return next(p for p in self.periods if p.name == name)

    def basis(self, name: str) -> Kind:
        return next(b for b in self.bases if b.name == name)


STATED = Kind("stated", "as stated", (), (), (), kind="actual", short="an actual figure")
UNSTATED = Kind("unstated", "no stated period", (), (), ())


def _rx(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.I)
    except re.error as exc:
        raise MeasuresError(f"{where}: bad regex {pattern!r}: {exc}") from exc


def _strs(raw: Any, where: str, min_items: int = 1) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) < min_items or not all(isinstance(v, str) and v for v in raw):
        raise MeasuresError(f"{where} must be a list of at least {min_items} non-empty strings")
    return tuple(raw)


def _kinds(raw: Any, where: str, basis: bool) -> tuple[Kind, ...]:
    if not isinstance(raw, list) or not raw:
        raise MeasuresError(f"no [[{where}]] tables")
    out = []
    for t in raw:
        name = t.get("name")
        w = f"{where}.{name}"
        sources = _strs(t.get("patterns"), f"{w}.patterns")
        local = bool(t.get("local", False))
        if local and not all("<FIG>" in s for s in sources):
            raise MeasuresError(f"{w}: every pattern of a local basis needs <FIG>")
        pats = tuple(_rx(s.replace("<FIG>", r"\d"), w) for s in sources)
        kind = str(t.get("kind", ""))
        if basis and kind not in ("plan", "actual", "change"):
            raise MeasuresError(f"{w}: kind must be plan, actual or change")
        out.append(
            Kind(
                str(name),
                str(t.get("label", name)),
                pats,
                _strs(t.get("must"), f"{w}.must", 2),
                _strs(t.get("must_not"), f"{w}.must_not", 2),
                kind,
                local,
                bool(t.get("exclusive", False)),
                sources,
                str(t.get("short", t.get("label", name))),
                bool(t.get("money_only", False)),
            )
        )
    return tuple(out)


def parse(text: str) -> Lexicon:
    """A checked, compiled lexicon from the text of measures.toml."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MeasuresError(f"not valid TOML: {exc}") from exc
    try:
        return _lexicon(data)
    except MeasuresError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MeasuresError(f"malformed: {type(exc).__name__} {exc}") from exc


def _lexicon(data: dict[str, Any]) -> Lexicon:
    sel, det, fig = data.get("select", {}), data.get("detect", {}), data.get("figure", {})
    return Lexicon(
        min_score=float(sel["min_score"]),
        phrase_weight=float(sel["phrase_weight"]),
        change_penalty=float(sel["change_penalty"]),
        k=int(sel["k"]),
        candidates=int(sel["candidates"]),
        detect=tuple(_rx(p, "detect.patterns") for p in _strs(det.get("patterns"), "detect.patterns")),
        detect_not=tuple(
            _rx(p, "detect.not_patterns") for p in _strs(det.get("not_patterns"), "detect.not_patterns")
        ),
        detect_must=_strs(det.get("must"), "detect.must", 8),
        detect_must_not=_strs(det.get("must_not"), "detect.must_not", 8),
        strip=tuple(_rx(p, "detect.strip") for p in _strs(det.get("strip"), "detect.strip")),
        qualifiers=tuple(sorted(_strs(fig.get("qualifiers"), "figure.qualifiers"), key=len, reverse=True)),
        not_after=frozenset(_strs(fig.get("not_after"), "figure.not_after")),
        stop_after=frozenset(_strs(fig.get("stop_after"), "figure.stop_after")),
        ing_nouns=frozenset(_strs(fig.get("ing_nouns"), "figure.ing_nouns")),
        clause_start=frozenset(_strs(fig.get("clause_start"), "figure.clause_start")),
        link_words=frozenset(_strs(fig.get("link_words"), "figure.link_words")),
        link_verbs=frozenset(_strs(fig.get("link_verbs"), "figure.link_verbs")),
        generic_heads=frozenset(_strs(fig.get("generic_heads"), "figure.generic_heads")),
        max_words=int(fig.get("max_words", 5)),
        baseline=_strs(fig.get("baseline_patterns"), "figure.baseline_patterns"),
        periods=_kinds(data.get("period"), "period", basis=False),
        bases=_kinds(data.get("basis"), "basis", basis=True),
        measure_kinds=_kinds(data.get("measure_kind"), "measure_kind", basis=False),
    )


@cache
def lexicon() -> Lexicon:
    """lexicon/measures.toml, read and compiled once per process."""
    text = resources.files("reportqa").joinpath("lexicon", "measures.toml").read_text(encoding="utf-8")
    try:
        return parse(text)
    except (MeasuresError, KeyError, TypeError, ValueError) as exc:
        raise MeasuresError(f"lexicon/measures.toml: {exc}") from exc


def measure_kind(measure: str) -> str | None:
    """The kind of figure a measure names: "count", "percent" or "money" ("the Met's budget" -> money,
    "officer numbers" -> count, "public confidence" -> percent), or None when its words do not say
    ("knife crime" is counted, and changes as a percentage). The first [[measure_kind]] whose pattern matches
    wins (lexicon/measures.toml)."""
    from reportqa.answer.features import fold

    folded = fold(measure)
    return next((k.name for k in lexicon().measure_kinds if any(p.search(folded) for p in k.patterns)), None)
