"""The eval question set: JSONL items validated line by line, gold quotes located in the corpus.

A malformed line is reported with its line number and skipped (or fails the run with `strict`); a gold
quote that is no longer exact source text is reported by item id. Nothing is dropped silently: every
skipped line or item is a `Problem` the command prints.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reportqa.errors import InputError

log = logging.getLogger(__name__)

ItemType = Literal[
    "single_fact", "year_specific", "multi_hop", "follow_up", "numeric_period", "unanswerable", "adversarial",
    "mayors_question", "paraphrase", "alias", "colloquial", "list", "target_year", "partial", "trend",
    "assembly_question",
]
TYPES: tuple[str, ...] = get_args(ItemType)
# Drafted as a Mayor's Question (`Assistant.draft_mq`), never asked as one question: "mayors_question" items
# are written by us and scored part by part; "assembly_question" items are real Assembly questions (their
# `source_url` on london.gov.uk/questions), scored on the whole draft: is a gold passage cited (answerable)
# or is every part marked not covered (expect "not_found").
DRAFTED_TYPES = ("mayors_question", "assembly_question")
# partial: the reports cover the subject but not the asked detail; the item names that detail in `missing`.
Expect = Literal["answered", "partial", "not_found", "refused"]
SPLITS = ("dev", "test")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GoldQuote(_Model):
    report_id: str
    quote: str = Field(min_length=1)


class HistoryTurn(_Model):
    role: Literal["user", "assistant"]
    content: str


class RawPart(_Model):
    question: str = Field(min_length=1)
    expect: Literal["answered", "not_found"]
    key_facts: list[list[str]] = Field(default_factory=list)
    gold: list[GoldQuote] = Field(default_factory=list)

    @field_validator("key_facts")
    @classmethod
    def _groups(cls, v: list[list[str]]) -> list[list[str]]:
        return _check_groups(v)


class RawItem(_Model):
    """One line of the questions file, as written."""

    id: str = Field(min_length=1)
    split: Literal["dev", "test"]
    type: ItemType
    question: str = Field(min_length=1)
    history: list[HistoryTurn] = Field(default_factory=list)
    expect: Expect
    reference: str = ""
    key_facts: list[list[str]] = Field(default_factory=list)
    gold: list[GoldQuote] = Field(default_factory=list)
    year: str | None = None
    priority: str | None = None
    parts: list[RawPart] | None = None
    missing: str | None = None  # expect "partial" only: the asked detail the reports do not give
    source_url: str | None = None  # assembly_question: the question's page on london.gov.uk/questions

    @field_validator("key_facts")
    @classmethod
    def _groups(cls, v: list[list[str]]) -> list[list[str]]:
        return _check_groups(v)

    @model_validator(mode="after")
    def _missing_iff_partial(self) -> RawItem:
        if self.expect == "partial" and not (self.missing and self.missing.strip()):
            raise ValueError("a partial item needs `missing`: the asked detail the reports do not give")
        if self.expect != "partial" and self.missing is not None:
            raise ValueError("`missing` is only for items that expect partial")
        if self.type == "assembly_question":
            if not (self.source_url or "").startswith("https://"):
                raise ValueError("an assembly_question needs `source_url`, its london.gov.uk/questions page "
                                 "or its Assembly meeting record")
            if self.expect not in ("answered", "not_found"):
                raise ValueError("an assembly_question expects answered (with gold) or not_found")
            if self.expect == "answered" and not self.gold:
                raise ValueError("an answerable assembly_question needs gold quotes")
        elif self.source_url is not None:
            raise ValueError("`source_url` is only for assembly_question items")
        return self


def _check_groups(groups: list[list[str]]) -> list[list[str]]:
    for g in groups:
        if not g or not all(a.strip() for a in g):
            raise ValueError("each key-fact group must be a non-empty list of non-empty strings")
    return groups


@dataclass(frozen=True)
class GoldSpan:
    """A gold quote located in its report: every occurrence counts, so a repeated quote is not ambiguous."""

    report_id: str
    quote: str
    spans: tuple[tuple[int, int], ...]  # [start, end) offsets into the corpus file

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[0][1]


@dataclass(frozen=True)
class Part:
    question: str
    expect: str
    key_facts: tuple[tuple[str, ...], ...]
    gold: tuple[GoldSpan, ...]


@dataclass(frozen=True)
class Item:
    id: str
    split: str
    type: str
    question: str
    history: tuple[tuple[str, str], ...]  # (role, content)
    expect: str
    reference: str
    key_facts: tuple[tuple[str, ...], ...]
    gold: tuple[GoldSpan, ...]
    year: str | None
    priority: str | None
    parts: tuple[Part, ...] | None
    line: int = 0
    missing: str = ""  # for an item that expects partial: the asked detail the reports do not give
    source_url: str = ""  # for an assembly_question: where the real question was tabled

    def history_dicts(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.history]


@dataclass(frozen=True)
class Problem:
    where: str  # "line 12" or "q031"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Dataset:
    path: Path
    items: tuple[Item, ...]
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def select(self, split: str = "all", limit: int | None = None) -> list[Item]:
        chosen = [it for it in self.items if split == "all" or it.split == split]
        return chosen[:limit] if limit else chosen


def fingerprint(items: Sequence[Item]) -> str:
    """A digest of what is asked and expected, so a baseline knows whether it measured the same set."""
    h = hashlib.sha256()
    for it in sorted(items, key=lambda i: i.id):
        fields: list[object] = [it.id, it.question, it.expect, it.key_facts, [g.quote for g in it.gold],
                                [(p.question, p.expect, p.key_facts) for p in it.parts or ()]]
        if it.missing:  # only when present, so an item without it keeps its old digest
            fields.append(it.missing)
        h.update(json.dumps(fields, ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def locate(quote: str, text: str) -> tuple[tuple[int, int], ...]:
    """Every [start, end) where `quote` occurs exactly in `text`."""
    out: list[tuple[int, int]] = []
    i = text.find(quote)
    while i >= 0:
        out.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    return tuple(out)


def _gold(
    raw: Sequence[GoldQuote], corpus: Mapping[str, str], where: str, problems: list[Problem]
) -> tuple[GoldSpan, ...] | None:
    out: list[GoldSpan] = []
    ok = True
    for g in raw:
        text = corpus.get(g.report_id)
        if text is None:
            problems.append(Problem(where, f"gold report_id {g.report_id!r} is not in the corpus"))
            ok = False
            continue
        spans = locate(g.quote, text)
        if not spans:
            short = g.quote if len(g.quote) <= 80 else g.quote[:77] + "..."
            problems.append(Problem(where, f"gold quote no longer matches {g.report_id}: {short!r}"))
            ok = False
            continue
        out.append(GoldSpan(g.report_id, g.quote, spans))
    return tuple(out) if ok else None


def _facts(groups: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(g) for g in groups)


def _validation_message(exc: ValidationError) -> str:
    errs = exc.errors()
    first = errs[0]
    loc = ".".join(str(x) for x in first["loc"]) or "item"
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"{loc}: {first['msg']}{more}"


def parse_lines(lines: Sequence[str], corpus: Mapping[str, str]) -> tuple[list[Item], list[Problem]]:
    items: list[Item] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue  # blank lines are harmless in JSONL
        where = f"line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"invalid JSON ({exc.msg} at column {exc.colno}); line skipped"))
            continue
        try:
            raw = RawItem.model_validate(obj)
        except ValidationError as exc:
            ident = obj.get("id") if isinstance(obj, dict) else None
            label = f"{where} ({ident})" if isinstance(ident, str) else where
            problems.append(Problem(label, _validation_message(exc) + "; line skipped"))
            continue
        if raw.id in seen:
            first = f"duplicate id (first on line {seen[raw.id]}); line skipped"
            problems.append(Problem(f"{where} ({raw.id})", first))
            continue
        seen[raw.id] = n
        if raw.type == "mayors_question" and not raw.parts:
            problems.append(Problem(raw.id, "a mayors_question item needs parts; item skipped"))
            continue
        gold = _gold(raw.gold, corpus, raw.id, problems)
        parts: list[Part] | None = None
        parts_ok = True
        if raw.parts is not None:
            parts = []
            for j, p in enumerate(raw.parts, 1):
                pg = _gold(p.gold, corpus, f"{raw.id} part {j}", problems)
                parts_ok = parts_ok and pg is not None
                parts.append(Part(p.question, p.expect, _facts(p.key_facts), pg or ()))
        if gold is None or not parts_ok:
            problems.append(Problem(raw.id, "item skipped: its gold quotes must be exact corpus text"))
            continue
        items.append(
            Item(
                id=raw.id, split=raw.split, type=raw.type, question=raw.question,
                history=tuple((t.role, t.content) for t in raw.history), expect=raw.expect,
                reference=raw.reference, key_facts=_facts(raw.key_facts), gold=gold, year=raw.year,
                priority=raw.priority, parts=tuple(parts) if parts is not None else None, line=n,
                missing=(raw.missing or "").strip(), source_url=raw.source_url or "",
            )
        )
    items.sort(key=lambda it: it.id)
    return items, problems


def corpus_texts(corpus_dir: Path) -> dict[str, str]:
    from reportqa.corpus import load_corpus

    corpus = load_corpus(corpus_dir)
    return {r.id: corpus.read(r) for r in corpus.reports}


def load_datasets(paths: Sequence[Path], corpus: Mapping[str, str], strict: bool = False) -> Dataset:
    """Several questions files read as one set (ids must stay unique across them); `path` is the first."""
    if not paths:
        raise InputError("no questions file given", "pass --questions FILE (default eval/questions.jsonl)")
    sets = [load_dataset(p, corpus, strict) for p in paths]
    items = [it for d in sets for it in d.items]
    ids: dict[str, Path] = {}
    problems = [p for d in sets for p in d.problems]
    kept: list[Item] = []
    for d in sets:
        for it in d.items:
            if it.id in ids:
                problems.append(Problem(it.id, f"duplicate id (also in {ids[it.id]}); item skipped"))
                continue
            ids[it.id] = d.path
            kept.append(it)
    if strict and len(kept) < len(items):
        raise InputError(f"{len(items) - len(kept)} duplicate id(s) across the questions files",
                         "give every item an id unique across the files")
    kept.sort(key=lambda it: it.id)
    return Dataset(sets[0].path, tuple(kept), tuple(problems))


def load_dataset(path: Path, corpus: Mapping[str, str], strict: bool = False) -> Dataset:
    """Read and validate a questions file. With `strict`, any problem fails the run (InputError)."""
    if not path.is_file():
        raise InputError(f"{path}: no questions file", "pass --questions FILE (default eval/questions.jsonl)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})", "save the file as UTF-8 JSONL") from exc
    items, problems = parse_lines(lines, corpus)
    for p in problems:
        log.warning("%s: %s", path, p)
    if strict and problems:
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InputError(f"{path}: {len(problems)} problem(s): {shown}{more}",
                         "fix the file, or run without --strict to skip them")
    if not items:
        raise InputError(f"{path}: no valid questions",
                         "each line must be one JSON item (see eval/check_questions.py)")
    return Dataset(path, tuple(items), tuple(problems))
