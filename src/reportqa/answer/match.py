"""Does the chosen evidence state what was asked? The `Query` compared with the figures the lead sentences
state (their kind, what they count, their period and basis), decided by a fitted logistic regression.

Similarity alone cannot tell "how many police dogs" from a sentence about the Met that holds a number: the
match reads what each figure counts (`figures.figures_in`, the reader trends use), compares that phrase with
the asked measure (word overlap and MiniLM cosine), checks the period and the basis (a target is never an
actual), and whether the passage is about the asked subject. The model is fitted on the dev split by
`scripts/fit_match.py`; weights, threshold and the dev figures are in `answer/match.json`.

Features (MATCH_FEATURES), each in [0, 1] unless noted:
- answerable: P(answerable) of the evidence model (decide.py);
- dense: the question's cosine with the lead sentence;
- figure: a figure question, and the lead sentences state a figure (of any kind; 0 for other questions);
- kind_ok: ... and the figure that best matches the measure is of the asked kind (a count for "how many");
- measure_words: the idf-weighted share of the measure's words in what the best matching figure counts
  (words that name no particular quantity, "people", weigh a quarter);
- measure_sentence: ... in the lead sentences as a whole;
- measure_passage: ... in the lead passage and its section heading;
- measure_dense: the MiniLM cosine of the measure with what the best figure counts (figure questions);
- measure_text_dense: the MiniLM cosine of the measure with the lead sentence;
- year_conflict: a year was asked and the lead sentences name another year and not the asked one;
- year_off: a year was asked and the lead comes from another report without naming the asked year;
- year_named: a year was asked and the lead sentences name it;
- basis_conflict: an actual figure was asked and every matching figure is a target, plan or forecast;
- basis_match: a target or forecast was asked and a figure of the asked kind is one;
- stale: the present was asked (or no year) and a newer report than the lead's is held;
- subject: the share of the question's specific names that the lead passage names;
- missing_rare: the rarest question word the lead passage lacks, as a share of the rarest possible;
- no_measure: no measure was read from the question, or only words that name no particular quantity
  ("how many people take part in ..." asks about its subject).

The match is a pair model: it scores each of the best few candidate sentences (CANDIDATE_FEATURES adds the
candidate's standing in the evidence ranking), the candidate that best states what was asked leads, and the
answer is declined when none does. It is fitted on sentence-level labels from dev: a sentence is positive
when it holds the item's key facts.
- predicate: the idf-weighted share of the words the question says of its measure ("were sent back to
  prison") in the candidate's unit (0 with no predicate read);
- has_predicate: a predicate with content words was read;
- missing_rare_unit: the rarest question word the candidate's unit (and its section heading) lacks, as a
  share of the rarest possible;
- predicate_missing: the rarest predicate word the unit lacks, its idf as a share of the rarest possible;
- subject_unit: the share of the question's specific names that the unit itself (or its heading) names;
- period_missing: the question names a calendar year or a month ("in 2015", "January 2024") that the unit
  does not state;
- score_gap: how far the candidate's evidence score lies below the best candidate's (a logit difference);
- first: 1 for the evidence ranking's best candidate;
- place_other: the question asks about London (it names no wider area) and the candidate's unit speaks of a
  wider area ("in the UK", "nationally", "England and Wales") without naming London;
- plan_for_realised: the question insists on what has happened ("actually", "so far") and the figure that
  best counts the measure is a plan, target or forecast (basis_conflict);
- combined: the figure that best counts the measure counts it together with something the question does
  not ask ("1,551 Volunteers & Special constables" for "how many special constables"), or the unit states
  it for a name asked together with another ("Operation Orochi and Operation Yamata" for Yamata alone);
- other_kind: the unit gives the measure as a figure of another kind than the asked one, better than any
  figure of the asked kind ("91 per cent of 999 calls" for how many calls, "20% of the budget" for the
  budget's amount).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reportqa.answer.decide import logistic
from reportqa.answer.features import alias_groups, alias_tokens, canonical_aliases
from reportqa.figures import Figure, basis_of, counted, figures_in, worded_figures
from reportqa.figures import lexicon as figures_lexicon
from reportqa.question.query import FIGURE_KINDS, Query
from reportqa.question.query import words as qwords
from reportqa.text import tokenize
from reportqa.years import mentions, written_forms

if TYPE_CHECKING:
    from reportqa.types import Passage, Sentence

MATCH_FEATURES = (
    "answerable", "dense", "figure", "kind_ok", "measure_words", "measure_sentence", "measure_passage",
    "measure_dense", "measure_text_dense", "year_conflict", "year_off", "year_named", "basis_conflict",
    "basis_match", "stale", "subject", "missing_rare", "no_measure",
)
CANDIDATE_FEATURES = (
    *MATCH_FEATURES, "predicate", "has_predicate", "missing_rare_unit", "predicate_missing", "subject_unit",
    "period_missing", "score_gap", "first", "place_other", "plan_for_realised", "combined", "other_kind",
)
_NOT_ACTUAL = frozenset({"target", "planned", "plan", "forecast", "ambition", "pledge", "aim", "budgeted"})

# text -> unit vector (a list of floats); the query encoder's embed_query
EmbedFn = Callable[[str], Sequence[float]]


@dataclass(frozen=True)
class Lead:
    """What the match reads of the chosen evidence: the lead unit's sentences and its passage."""

    sentences: tuple[Sentence, ...]
    passage: Passage
    dense: float  # the question's cosine with the lead sentence
    answerable: float  # P(answerable) of the evidence model
    missing_rare: float
    subject: float
    missing_rare_unit: float = 0.0
    subject_unit: float = 1.0


def interactions(features: dict[str, float]) -> dict[str, float]:
    """`features` with the product of every pair, named "a*b" in CANDIDATE_FEATURES order: the match needs
    conjunctions a sum of single features cannot hold (a figure of the asked kind *and* counting the asked
    measure; a close measure *but* another year)."""
    names = [k for k in CANDIDATE_FEATURES if k in features]
    out = dict(features)
    for i, a in enumerate(names):
        va = features[a]
        for b in names[i + 1:]:
            out[f"{a}*{b}"] = va * features[b]
    return out


@dataclass(frozen=True)
class MatchModel:
    """A logistic regression over CANDIDATE_FEATURES and, when its weights name them ("a*b"), their
    pairwise products (`interactions`); P(match) in [0, 1]."""

    weights: dict[str, float]
    bias: float
    threshold: float
    meta: dict[str, Any]

    def probability(self, features: dict[str, float]) -> float:
        if any("*" in k for k in self.weights):
            features = interactions(features)
        return logistic(self.bias, self.weights, features)


UNFITTED = MatchModel(weights={}, bias=5.0, threshold=0.0, meta={"fitted": False})


@lru_cache(maxsize=1)
def load_match_model() -> MatchModel:
    """The committed fitted model (answer/match.json), or one that keeps every answer when it is absent."""
    ref = resources.files("reportqa.answer").joinpath("match.json")
    if not ref.is_file():
        return UNFITTED
    data = json.loads(ref.read_text(encoding="utf-8"))
    return MatchModel(weights=data["weights"], bias=data["bias"], threshold=data["threshold"],
                      meta=data.get("meta", {}))


def reports_words(phrase: str) -> str:
    """`phrase` with every aliased name in it written as the reports' first spelling (lexicon/aliases.toml):
    "cops" -> "police officers"; unchanged when it names none."""
    _, found = canonical_aliases(phrase)
    if not found:
        return phrase
    out = phrase
    for g in alias_groups():
        if g.key in found:
            names = "|".join(re.escape(n) for n in sorted(g.names, key=len, reverse=True))
            out = re.sub(rf"(?i)\b(?:{names})\b", g.names[0], out)  # one pass: longest spelling first
    return out


def _cos(a: Sequence[float], b: Sequence[float]) -> float:
    return float(sum(x * y for x, y in zip(a, b, strict=True)))


MEASURE_FIT = 0.6  # a figure whose counted words hold this share of the asked measure's counts it


@lru_cache(maxsize=1)
def _persons() -> frozenset[str]:
    return frozenset(w for g in qwords().persons for w in tokenize(g))


def _person_fit(counts: str) -> float:
    """1.0 when what a figure counts names people ("300 volunteers"): what "how many people" asks for."""
    return 1.0 if _persons() & set(alias_tokens(counts)) else 0.0


def _generic() -> frozenset[str]:
    return frozenset(w for g in qwords().generic for w in tokenize(g))


def measure_words_of(query: Query, idf: Callable[[str], float]) -> dict[str, float]:
    """The measure's content words (aliases folded: "MPS" is "Metropolitan Police Service") with their idf;
    words that name no particular quantity ("people") weigh a quarter; no generic head ("number")."""
    if not query.measure:
        return {}
    heads = frozenset(w for g in figures_lexicon().generic_heads for w in tokenize(g))
    generic = _generic()
    return {w: idf(w) / 4 if w in generic else idf(w) for w in alias_tokens(query.measure)
            if not (w[0].isdigit() or w.startswith("£") or w in heads)}


PREFIX_CREDIT = 0.0  # a word sharing only its first five letters: "visitors" are not "visits"


def _phrase_match(words: dict[str, float], counts: str) -> float:
    """The weighted share of the measure's words in what a figure counts, aliases folded (stemmed: "visit"
    meets "visits"; a word sharing only its first five letters earns `PREFIX_CREDIT`)."""
    total = sum(words.values())
    if not total:
        return 0.0
    have = set(alias_tokens(counts))
    have |= {"~" + w[:5] for w in have if len(w) >= 5}
    return sum(v if w in have else v * PREFIX_CREDIT if len(w) >= 5 and "~" + w[:5] in have else 0.0
               for w, v in words.items()) / total


def measure_fit(query: Query, text: str, idf: Callable[[str], float]) -> float:
    """How well the best figure of the asked kind in `text` counts the asked measure (0-1); 0 when the measure
    has only words that name no particular quantity ("how many people"), which any count would fit."""
    words = measure_words_of(query, idf)
    if not words or set(words) <= _generic():
        return 0.0
    return max((_phrase_match(words, counted(text, f) or "") for f in figures_in(text)
                if _kind_ok(query, f) and (f.change == (query.basis == "change"))), default=0.0)


# a calendar year (not part of a financial year: "2015" but not "2015-16" or "2015/16") or a month
_PERIOD = re.compile(r"(?i)\b(?:(?:19|20)\d\d(?![-/–]\d)|jan(?:uary)?|feb(?:ruary)?|march|april|june|july|"
                     r"aug(?:ust)?|sept(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b")


def given_instead(query: Query, sentences: Sequence[Sentence]) -> str:
    """The figure the lead sentences give in place of the asked one, with the period they name when it is
    not the asked one: "£2.6bn (2012-13)", "1,551 Volunteers & Special constables"; "" when they give
    none of the asked kind."""
    if query.kind not in FIGURE_KINDS:
        return ""
    for fig, text in figures_of(sentences):
        if not _kind_ok(query, fig):
            continue
        what = fig.text if fig.kind != "count" else f"{fig.text} {fig.counts}".strip()
        years = [m.canonical for m in mentions(text) if m.is_year and not m.plan]
        other = [y for y in dict.fromkeys(years) if y not in query.years]
        return f"{what} ({other[0]})" if other else what
    return ""


def predicate_words(query: Query, idf: Callable[[str], float]) -> dict[str, float]:
    """The content words of what the question says of its measure, with their idf: no numbers or years, no
    words that name no particular quantity."""
    generic = _generic()
    return {w: idf(w) for w in alias_tokens(query.predicate)
            if not (w[0].isdigit() or w.startswith("£") or w in generic)}


def figures_of(sentences: Sequence[Sentence]) -> list[tuple[Figure, str]]:
    """Every figure `sentences` state, each with its sentence text; a service number ("999 calls") is no
    figure, and each figure's `counts` is what it counts read widely (`figures.counted`). A list item is
    read under its lead-in: "10,316 Staff" after "the Metropolitan Police Workforce consisted of:" counts
    "Staff (Metropolitan Police Workforce)"."""
    out = []
    lead_in = ""
    for s in sentences:
        item = bool(lead_in) and len(s.text) <= _LIST_ITEM_CHARS
        for f in [*figures_in(s.text), *worded_figures(s.text)]:
            what = counted(s.text, f)
            if what is not None:
                out.append((replace(f, counts=f"{what} ({lead_in})" if item and what else what), s.text))
        if s.text.rstrip().endswith(":"):
            lead_in = _lead_in(s.text)
        elif not item:
            lead_in = ""
    return out


_LIST_ITEM_CHARS = 120  # a list item is short: "1,551 Volunteers & Special constables"


def _lead_in(text: str) -> str:
    """What a list's lead-in sentence says its items are: the clause before the colon, from its last comma,
    without its verb ("the Metropolitan Police Workforce consisted of:" -> "Metropolitan Police
    Workforce")."""
    clause = text.rstrip().rstrip(":").rsplit(",", 1)[-1]
    clause = re.sub(r"(?i)\b(?:consist(?:s|ed)?\s+of|compris(?:es|ed)|includ(?:es|ed|ing)|were|was|are|"
                    r"is)\b.*$", "", clause)
    return re.sub(r"(?i)^\s*(?:the|this|these|our)\s+", "", clause).strip()


def _combined(words: dict[str, float], counts: str) -> bool:
    """What a figure counts joins the asked measure with something else the question does not ask: its
    parts ("Volunteers & Special constables") split at "&", "and" or commas, one part holding the measure's
    words and another holding none of them."""
    head = re.split(r"\s+\(", counts, maxsplit=1)[0]  # not a list's lead-in
    parts = [p for p in re.split(r"(?i)\s*(?:&|,|\band\b)\s*", head) if p.strip()]
    if len(parts) < 2:
        return False
    fits = [_phrase_match(words, p) for p in parts]
    if not max(fits):
        return False
    # another thing counted: a name or a plural noun ("Volunteers", "items of correspondence"), not a
    # word qualifying the measure ("old and underutilised police buildings") or a clause ("and received")
    return any(not fit and not re.match(r"\w+ed\b", p) and (p[0].isupper() or re.search(r"[^s]s\b", p))
               for fit, p in zip(fits, parts, strict=True))


def _named_with_another(name: str, question: str, text: str) -> bool:
    """`text` names `name` joined by "and" or "&" to another name the question does not ask about
    ("Through Operation Orochi and Operation Yamata" when only Yamata is asked)."""
    cap = r"(?:[A-Z][\w'’-]*\s+){0,3}[A-Z][\w'’-]*"
    esc = re.escape(name)
    for m in re.finditer(rf"(?:({cap})\s+(?:and|&)\s+{esc}|{esc}\s+(?:and|&)\s+({cap}))", text):
        other = (m.group(1) or m.group(2) or "").strip()
        last = other.split()[-1] if other else ""
        if last and last not in question and last not in name:
            return True
    return False


# an area wider than London, and London itself (its boroughs are named with it in the reports)
_WIDER_AREA = re.compile(r"(?i)\b(?:UK|United Kingdom|Britain|British|England|Wales|national(?:ly)?|"
                         r"nationwide|the country|countrywide)\b")
_LONDON = re.compile(r"(?i)\b(?:London(?:ers?)?|capital|MPS|Met|Metropolitan Police|borough|city)\b")
_TIME_UNIT = re.compile(r"(?i)\b(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b")


def _kind_ok(query: Query, figure: Figure) -> bool:
    """A figure of the asked kind; "how big" and "how much" questions take a sum or a count, and a question
    that leaves the kind open ("the latest figure for ...") any figure."""
    timed = figure.kind == "count" and bool(_TIME_UNIT.match(figure.counts or ""))
    if timed and query.kind == "count":
        # "within 10 seconds" is a length of time, not a count of what was asked ("how many 999 calls"),
        # unless a time unit is what is asked ("how many days")
        return bool(_TIME_UNIT.search(query.measure))
    if timed and query.kind == "duration":
        return True
    if figure.kind == query.kind or query.kind == "figure":
        return True
    sized = re.search(r"(?i)\bhow (?:big|large|much)\b", query.text)
    return bool(sized) and figure.kind in ("count", "money")


def match_features(
    query: Query, lead: Lead, idf: Callable[[str], float], embed: EmbedFn, newest: str | None,
    text_dense: float | None = None,
) -> dict[str, float]:
    """MATCH_FEATURES of the lead evidence for `query` (see the module's docstring). `text_dense`: the
    measure's cosine with the lead sentence when the caller has it from the stored sentence vectors (else
    the lead text is embedded)."""
    text = " ".join(s.text for s in lead.sentences)
    measure = query.measure
    words = measure_words_of(query, idf)
    generic_only = set(words) <= _generic()  # "how many people ...": what they did says what is counted
    f: dict[str, float] = dict.fromkeys(MATCH_FEATURES, 0.0)
    f.update(predicate=0.0, has_predicate=0.0, missing_rare_unit=0.0, predicate_missing=0.0,
             subject_unit=lead.subject_unit, period_missing=0.0, place_other=0.0,
             plan_for_realised=0.0, combined=0.0, other_kind=0.0)
    f["answerable"] = lead.answerable
    f["dense"] = lead.dense
    f["subject"] = lead.subject
    f["missing_rare"] = lead.missing_rare
    f["no_measure"] = 0.0 if words and not generic_only else 1.0
    if words:
        f["measure_sentence"] = _phrase_match(words, text)
        f["measure_passage"] = _phrase_match(words, lead.passage.section + " " + lead.passage.clean)
        f["measure_text_dense"] = (text_dense if text_dense is not None
                                   else _cos(embed(measure), embed(text[:400])))
    if query.kind in FIGURE_KINDS:
        figs = figures_of(lead.sentences)
        if figs:
            f["figure"] = 1.0
            best_fig = figs[0][0]
            pool: list[tuple[float, float, Figure, str]] = []
            if words:
                # the measure as asked and in the reports' own words ("cops": "police officers")
                mvs = [embed(m) for m in dict.fromkeys((measure, reports_words(measure)))]
                # "how many people": a figure that counts people of any name counts what was asked
                scored = [(_person_fit(fig.counts) if generic_only else _phrase_match(words, fig.counts),
                           max(_cos(mv, embed(fig.counts)) for mv in mvs) if fig.counts else 0.0, fig, st)
                          for fig, st in figs]
                # the figure of the asked kind that best counts the measure: "91 per cent of 999 calls" is no
                # count of 999 calls, so a sentence with no figure of the asked kind fits no measure
                pool = [t for t in scored if _kind_ok(query, t[2])]
                other = max((t[0] for t in scored if not _kind_ok(query, t[2])), default=0.0)
                if other >= 0.5 and other > max((t[0] for t in pool), default=0.0):
                    f["other_kind"] = 1.0
                if pool:
                    best = max(pool, key=lambda t: (t[0] + t[1], -t[2].start))
                    f["measure_words"], f["measure_dense"], best_fig = best[0], best[1], best[2]
                    f["combined"] = 1.0 if _combined(words, best_fig.counts) else 0.0
            f["kind_ok"] = 1.0 if _kind_ok(query, best_fig) else 0.0
            # the basis of the figure that best counts the measure ("over 1,000 women ... will receive
            # support" is a plan, whatever else the sentence states), of any figure of the asked kind when
            # no measure was read
            kinds = ([basis_of(st, fig).name for fig, st in figs if fig is best_fig] if words and pool else
                     [basis_of(st, fig).name for fig, st in figs if _kind_ok(query, fig)])
            if query.basis == "actual":
                f["basis_conflict"] = 1.0 if kinds and all(k in _NOT_ACTUAL for k in kinds) else 0.0
                f["plan_for_realised"] = f["basis_conflict"] if query.realised else 0.0
            elif query.basis in ("target", "forecast"):
                f["basis_match"] = 1.0 if any(k in _NOT_ACTUAL for k in kinds) else 0.0
    if query.years:
        named = [m.canonical for m in mentions(text) if m.is_year and not m.plan]
        asked_named = any(written_forms(y).search(text) for y in query.years)
        if named and not asked_named and not set(named) & set(query.years):
            f["year_conflict"] = 1.0
        f["year_named"] = 1.0 if asked_named else 0.0
        if lead.passage.year not in query.years and not asked_named:
            f["year_off"] = 1.0
    elif newest is not None and lead.passage.year < newest and query.asks_figure:
        f["stale"] = 1.0 if query.current else 0.5
    pred = predicate_words(query, idf)
    if pred:
        f["has_predicate"] = 1.0
        where = lead.passage.section + " " + text
        f["predicate"] = _phrase_match(pred, where)
        absent = [v for w, v in pred.items() if _phrase_match({w: 1.0}, where) < 1.0]
        f["predicate_missing"] = max(absent, default=0.0) / idf("")
    periods = _PERIOD.findall(query.text)
    if periods and any(not re.search(r"(?i)\b" + re.escape(x), text) for x in periods):
        f["period_missing"] = 1.0
    f["missing_rare_unit"] = lead.missing_rare_unit
    if any(_named_with_another(n, query.text, text) for n in query.subjects):
        f["combined"] = 1.0
    if not _WIDER_AREA.search(query.text) and _WIDER_AREA.search(text) and not _LONDON.search(text):
        f["place_other"] = 1.0
    return {k: round(v, 5) for k, v in f.items()}

