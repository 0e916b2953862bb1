"""The Police and Crime Plans (the financial years each covers) and their priority taxonomies; the
section -> priority assignment.

The taxonomy ships inside the package (lexicon/priorities.toml). A corpus directory holding its own
priorities.toml (a new plan, other priorities) uses that instead: `taxonomy_path`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportqa.errors import ReportQAError
from reportqa.types import Section
from reportqa.years import YearError, parse_year

GENERAL = "general"
DEFAULT_TAXONOMY = Path(__file__).resolve().parent / "lexicon" / "priorities.toml"  # shipped in the package
OVERRIDE_NAME = "priorities.toml"  # a corpus directory's own taxonomy, used instead of the shipped one


def taxonomy_path(corpus_dir: Path | None = None) -> Path:
    """The taxonomy file in force: `corpus_dir`/priorities.toml when the corpus has one (the user's own
    plans and priorities), else the one shipped in the package. `corpus_dir` None: the configured corpus
    directory (REPORTQA_CORPUS_DIR, reportqa.toml, else ./corpus)."""
    if corpus_dir is None:
        from reportqa.config import Config

        corpus_dir = Config().corpus_dir
    own = Path(corpus_dir) / OVERRIDE_NAME
    return own if own.is_file() else DEFAULT_TAXONOMY


@dataclass(frozen=True)
class Priority:
    id: str
    label: str
    plan: str
    group: str
    heading_terms: tuple[str, ...]
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A Police and Crime Plan: its period ('2017-21'), title and the financial years it covers."""

    id: str
    title: str
    first_year: str  # "2016-17"
    last_year: str  # "2020-21"

    def covers(self, year: str) -> bool:
        """Whether a financial year ('2018-19') lies in the plan, or `year` is the plan's own period."""
        if year == self.id:
            return True
        try:
            fy = parse_year(year)
        except YearError:
            return False
        return self.first_year <= fy <= self.last_year  # canonical years sort as text


@dataclass(frozen=True)
class Taxonomy:
    priorities: tuple[Priority, ...]
    general_headings: tuple[str, ...] = ()
    plans: tuple[Plan, ...] = ()

    def for_plan(self, plan: str) -> tuple[Priority, ...]:
        return tuple(p for p in self.priorities if p.plan == plan)

    def plan_for_year(self, year: str) -> str | None:
        """The plan a financial year reports against ('2018-19' -> '2017-21'; a plan's own period -> itself
        when known); None when no known plan covers it (a 2012-13 report: before the first plan)."""
        return next((p.id for p in self.plans if p.covers(year)), None)

    def classifying_plan(self, plan: str, year: str = "") -> str | None:
        """The plan whose priorities classify a document under `plan` filed under `year`: the plan itself
        when it has priorities here, else the nearest plan (by first year) that has; None with none."""
        if self.for_plan(plan):
            return plan
        anchor = (plan or year)[:4]
        with_priorities = sorted({p.plan for p in self.priorities})
        if not anchor.isdigit() or not with_priorities:
            return None
        return min(with_priorities, key=lambda x: (abs(int(x[:4]) - int(anchor)), x))

    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.priorities) + (GENERAL,)

    def label(self, pid: str) -> str:
        for p in self.priorities:
            if p.id == pid:
                return p.label
        return "General"

    def resolve(self, name: str) -> str | None:
        """A priority id from an id, a label or a loose phrase ('victims', 'trust and confidence')."""
        key = name.strip().lower()
        for p in self.priorities:
            if key in (p.id, p.label.lower()):
                return p.id
        if key == GENERAL:
            return GENERAL
        for p in self.priorities:
            if key and (key in p.label.lower() or p.id.replace("-", " ") in key):
                return p.id
        return None


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy in `path`, else the one in force for the configured corpus (`taxonomy_path`)."""
    return _load_taxonomy((path or taxonomy_path()).resolve())


@lru_cache(maxsize=4)
def _load_taxonomy(path: Path) -> Taxonomy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        hint = ("fix it, or remove it to use the plans and priorities shipped with reportqa"
                if path != DEFAULT_TAXONOMY else "reinstall reportqa: its data files are incomplete")
        raise ReportQAError(f"{path}: cannot read the plans and priorities ({exc})", hint) from exc
    out = []
    for plan, spec in data["plans"].items():
        for p in spec.get("priorities", ()):
            out.append(
                Priority(
                    id=p["id"],
                    label=p["label"],
                    plan=plan,
                    group=p.get("group", ""),
                    heading_terms=tuple(p.get("heading_terms", ())),
                    terms=tuple(p.get("terms", ())),
                )
            )
    plans = tuple(
        Plan(pid, spec.get("title", f"Police and Crime Plan {pid}"), spec["first_year"], spec["last_year"])
        for pid, spec in data["plans"].items()
        if "first_year" in spec and "last_year" in spec
    )
    return Taxonomy(tuple(out), tuple(data.get("general", {}).get("heading_terms", ())), plans)


def _count(text: str, term: str) -> int:
    """Occurrences of `term` in `text` (lower case) that do not continue a word."""
    if term not in text:  # most terms are absent from a passage: a substring test, not a regex
        return 0
    return len(_term_pattern(term).findall(text))


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])" + re.escape(term))


def classify_text(text: str, plan: str, taxonomy: Taxonomy, year: str = "") -> str:
    """The clearly dominant priority of a text, or 'general' when none stands out. Under a plan with no
    priorities in the taxonomy, by the terms of the nearest plan that has them (`classifying_plan`)."""
    low = text.lower()
    by = taxonomy.classifying_plan(plan, year)
    scores = sorted(
        ((sum(_count(low, t) for t in p.terms), p.id) for p in taxonomy.for_plan(by or "")), reverse=True
    )
    if not scores or scores[0][0] < 3:
        return GENERAL
    if len(scores) > 1 and scores[0][0] < 1.5 * scores[1][0]:
        return GENERAL
    return scores[0][1]


def assign(section: Section, plan: str, taxonomy: Taxonomy, year: str = "") -> Section:
    """From the heading path first (deepest heading wins), from the content otherwise. Under a plan with
    no priorities in the taxonomy (or none: `plan` ""), from the content alone (`classify_text`)."""
    candidates = taxonomy.for_plan(plan)
    for depth, heading in enumerate(reversed(section.path) if candidates else ()):
        low = heading.lower()
        if depth == 0 and any(t in low for t in taxonomy.general_headings):
            # a report's own title section holds everything: its passages are classified one by one
            source = "default" if len(section.path) == 1 and "annual report" in low else "heading"
            return section.model_copy(update={"priority": GENERAL, "priority_source": source})
        best = max(
            ((max((len(t) for t in p.heading_terms if t in low), default=0), p.id) for p in candidates),
            default=(0, GENERAL),
        )
        if best[0]:
            return section.model_copy(update={"priority": best[1], "priority_source": "heading"})
    text = " ".join(b.text for b in section.blocks)
    pid = classify_text(text, plan, taxonomy, year)
    if pid != GENERAL:
        return section.model_copy(update={"priority": pid, "priority_source": "content"})
    return section.model_copy(update={"priority": GENERAL, "priority_source": "default"})
