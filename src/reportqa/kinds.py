"""Kinds of document (lexicon/kinds.toml): reading a kind from a title, the default id, and the one way
answers and the coverage text name a document ("the 2022-23 annual report", "the quarterly report for
Q2 2019/20", "the Police and Crime Plan 2017-21").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from reportqa.errors import InputError
from reportqa.lexicon import read_text
from reportqa.periods import Period, parse_period, period_of
from reportqa.years import labelled_year as legacy_labelled_year

PERIOD_KINDS = ("financial_year", "plan", "quarter", "month")
DEFAULT_KIND = "annual report"


@dataclass(frozen=True)
class Kind:
    id: str
    slug: str
    label: str  # "the {period} annual report"
    coverage: str  # "annual reports for {periods}"
    periods: tuple[str, ...]
    annual: bool
    plan: bool
    title_patterns: tuple[re.Pattern[str], ...]
    reference: re.Pattern[str] | None
    must: tuple[str, ...]
    must_not: tuple[str, ...]


class Document(Protocol):
    """What naming a document reads: a `Report`, a `Passage` or a `Citation`."""

    @property
    def kind(self) -> str: ...
    @property
    def year(self) -> str: ...
    @property
    def period(self) -> str | None: ...


@cache
def kinds() -> tuple[Kind, ...]:
    """Every kind in lexicon/kinds.toml, in the file's order (the order titles are read in)."""
    data = tomllib.loads(read_text("kinds"))
    out = []
    for k in data["kind"]:
        bad = [p for p in k.get("periods", ()) if p not in PERIOD_KINDS]
        if bad or "{period}" not in k["label"] or "{periods}" not in k["coverage"]:
            raise ValueError(f"lexicon/kinds.toml: kind {k['id']!r} is malformed ({bad or 'label/coverage'})")
        out.append(Kind(
            id=k["id"], slug=k.get("slug", ""), label=k["label"], coverage=k["coverage"],
            periods=tuple(k["periods"]), annual=bool(k.get("annual", False)), plan=bool(k.get("plan", False)),
            title_patterns=tuple(re.compile(p, re.I) for p in k.get("title_patterns", ())),
            reference=re.compile(k["reference"], re.I) if k.get("reference") else None,
            must=tuple(k.get("must", ())), must_not=tuple(k.get("must_not", ())),
        ))
    return tuple(out)


def kind_ids() -> tuple[str, ...]:
    return tuple(k.id for k in kinds())


def get(kind_id: str) -> Kind:
    """The kind with this id; an unknown id (a manifest written by hand) is read as an annual report."""
    for k in kinds():
        if k.id == kind_id:
            return k
    return next(k for k in kinds() if k.id == DEFAULT_KIND)


def resolve(name: str) -> str:
    """A kind id from what a user typed ('quarterly report', 'Decision Notice', 'plan'), or an InputError."""
    key = " ".join(name.lower().replace("-", " ").replace("_", " ").split())
    for k in kinds():
        if key in (k.id, k.slug) or key == k.id.replace("-", " "):
            return k.id
    raise InputError(f"unknown document kind {name!r}", "one of: " + ", ".join(kind_ids()))


def title_kind(title: str) -> str | None:
    """The kind a title names, by the first matching title pattern; None when no pattern matches."""
    for k in kinds():
        if any(p.search(title) for p in k.title_patterns):
            return k.id
    return None


def infer_kind(title: str, period: Period) -> str:
    """The kind of a new document: from its title, else from its period (a plan period is a plan, a
    quarter a quarterly report, a financial year an annual report); a month needs a title that names the
    kind (InputError otherwise)."""
    named = title_kind(title)
    if named is not None:
        check_period(named, period)
        return named
    if period.kind == "plan":
        return "plan"
    if period.kind == "quarter":
        return "quarterly report"
    if period.kind == "financial_year":
        return DEFAULT_KIND
    raise InputError(
        f"cannot tell what kind of document {title!r} is from its title",
        "give --kind, one of: " + ", ".join(k.id for k in kinds() if period.kind in k.periods),
    )


def check_period(kind_id: str, period: Period) -> None:
    """A kind covers only some periods: an annual report a financial year, a plan a plan period."""
    k = get(kind_id)
    if period.kind not in k.periods:
        want = " or ".join(p.replace("_", " ") for p in k.periods)
        example = {"financial_year": "2018-19", "plan": "2017-21", "quarter": "Q2 2019/20",
                   "month": "April 2013"}[k.periods[0]]
        raise InputError(
            f"a {k.id} covers a {want}, not a {period.kind.replace('_', ' ')} ({period.label})",
            f"give --year like {example}, or another --kind",
        )


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def default_id(title: str, kind_id: str, period: Period, prefix: str = "mopac") -> str:
    """The id a new document is filed under: 'mopac-2018-19', 'mopac-pcp-2017-21', 'mopac-qpr-2019-20-q2',
    'mopac-decision-pcd-280-2018-19'. Short, readable and the same for the same title, kind and period."""
    k = get(kind_id)
    parts = [prefix, k.slug]
    if k.reference is not None and (m := k.reference.search(title)):
        parts.append(slugify(m.group(0)))
    parts.append(period.slug)
    return "-".join(p for p in parts if p)


def period(doc: Document) -> Period:
    """The period a document covers (documents filed before periods were kept: their year)."""
    return period_of(doc.year, doc.period, plan=get(doc.kind).plan)


def label(doc: Document) -> str:
    """How answers name a document: 'the 2022-23 annual report', 'the quarterly report for Q2 2019/20',
    'the Police and Crime Plan 2017-21', 'the Police and Crime Plan 2013-16 page'."""
    return get(doc.kind).label.format(period=period(doc).label)


_PERIOD_IN_LABEL = r"(Q[1-4] 20\d\d/\d\d|[A-Z][a-z]+ 20\d\d|20\d\d-\d\d)"


@cache
def _label_re() -> re.Pattern[str]:
    alternatives = []
    for k in kinds():
        if not k.plan:
            before, after = (re.escape(x) for x in k.label.split("{period}"))
            alternatives.append(before + _PERIOD_IN_LABEL + after)
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def labelled_year(text: str) -> str | None:
    """The financial year of the first document `label` in a text that names one ('According to the
    2022-23 annual report ...' -> '2022-23'; 'the quarterly report for Q2 2019/20' -> '2019-20'); plans,
    filed under a plan period, name none."""
    for m in _label_re().finditer(text):
        written = next(g for g in m.groups() if g)
        try:
            return parse_period(written).financial_year
        except InputError:
            continue
    return legacy_labelled_year(text)  # "the 2022-23 report", as answers named reports before kinds


def order(doc: Document) -> tuple[int, int]:
    """Sort key, earliest first: by the start of the period covered, then its end."""
    return period(doc).order()


def is_annual(kind_id: str) -> bool:
    return get(kind_id).annual


def is_plan(kind_id: str) -> bool:
    return get(kind_id).plan


def coverage(docs: Iterable[Document]) -> str:
    """What the collection covers, grouped by kind, each period once, earliest first: 'annual reports for
    2014-15, 2015-16 and 2022-23, quarterly reports for Q2 2019/20, and the Police and Crime Plan 2013-16
    page'."""
    groups: dict[str, list[Period]] = {}
    rank: dict[str, int] = {}
    annual_first = sorted(kinds(), key=lambda k: not k.annual)
    for doc in docs:
        k = get(doc.kind)
        groups.setdefault(k.coverage, []).append(period(doc))
        rank[k.coverage] = annual_first.index(k) if k.coverage not in rank else rank[k.coverage]
    if not groups:
        return "no reports"
    texts = []
    for cov in sorted(groups, key=lambda c: rank[c]):
        labels = [p.label for p in sorted(groups[cov], key=Period.order)]
        texts.append(cov.format(periods=and_list(list(dict.fromkeys(labels)))))
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + ", and " + texts[-1]


def and_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
