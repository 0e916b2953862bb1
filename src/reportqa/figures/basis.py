"""The period a sentence says its figure covers (`period_of`: "In 2015/16", "12 months to January 2024")
and the figure's basis (`basis_of`: planned, a target, a forecast, a change, an amount raised, a
headcount...), each a `Kind` of lexicon/measures.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.answer.features import fold
from reportqa.figures.measures import STATED, UNSTATED, Kind, lexicon
from reportqa.figures.reading import Figure


@dataclass(frozen=True)
class Period:
    kind: str  # a [[period]] name, or "unstated"
    text: str  # as the report writes it
    label: str


def period_of(text: str) -> Period:
    """The period a sentence says its figure covers: the first kind (in the lexicon's order) that matches."""
    for k in lexicon().periods:
        for p in k.patterns:
            m = p.search(fold(text))
            if m:
                # the words as the report writes them (folding keeps lengths for this text, else folded words)
                raw = text[m.start() : m.end()] if len(fold(text)) == len(text) else m.group(0)
                return Period(k.name, raw.strip(" ,.;:()"), k.label)
    return Period(UNSTATED.name, "not stated", UNSTATED.label)


def _clause(text: str, a: int, b: int) -> str:
    """The clause around text[a:b]: between the nearest sentence or clause breaks (; : – and full stops)."""
    left = max(text.rfind(c, 0, a) for c in (";", ":", "–", ". ", "(", ")"))
    rights = [i for i in (text.find(c, b) for c in (";", "–", ". ", "(", ")")) if i >= 0]
    return text[left + 1 : min(rights) if rights else len(text)]


def basis_of(text: str, figure: Figure | None = None, context: str = "") -> Kind:
    """What kind of figure it is: the first basis (in the lexicon's order) found near it; "stated" if none.

    A change is read only around the figure; the others in the figure's clause, then in `context` (the
    sentence that introduces a list).
    """
    if figure is not None and figure.change:
        window = fold(text[max(0, figure.start - 40) : figure.end + 30])
        fig = re.escape(fold(text[figure.start : figure.end]).strip())
        for k in lexicon().bases:
            if k.local and any(re.search(src.replace("<FIG>", fig), window, re.I) for src in k.sources):
                return k
    near = fold(_clause(text, figure.start, figure.end) if figure is not None else text)
    usable = [
        k
        for k in lexicon().bases
        if not k.local and not (k.money_only and figure is not None and figure.kind != "money")
    ]
    for k in usable:
        if any(p.search(near) for p in k.patterns):
            return k
    ctx = fold(context)
    for k in usable:
        if ctx and any(p.search(ctx) for p in k.patterns):
            return k
    return STATED


def basis_kind(name: str) -> Kind:
    return STATED if name == STATED.name else lexicon().basis(name)


def period_kind(name: str) -> Kind:
    return UNSTATED if name == UNSTATED.name else lexicon().period(name)
