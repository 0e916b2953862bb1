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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reportqa.answer.decide import logistic
from reportqa.answer.match_figures import (
    _LONDON,
    _PERIOD,
    _WIDER_AREA,
    _combined,
    _cos,
    _generic,
    _kind_ok,
    _named_with_another,
    _person_fit,
    _phrase_match,
    figures_of,
    measure_words_of,
    predicate_words,
    reports_words,
)
from reportqa.answer.match_figures import MEASURE_FIT as MEASURE_FIT  # re-exported: answer.rerank
from reportqa.answer.match_figures import given_instead as given_instead  # re-exported: answer.extractive
from reportqa.answer.match_figures import measure_fit as measure_fit  # re-exported: answer.rerank
from reportqa.figures import Figure, basis_of
from reportqa.question.query import FIGURE_KINDS, Query
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
# mismatches that rule a candidate out whatever its other features: another year stated, another report's
# without the asked year, a wider area than London, a plan where what happened was asked, a combined figure,
# another kind of figure for the measure. On the dev split none of the 161 sentences that state what was
# asked has one, and the fitted weights alone let strong measure overlap outvote them (a UK-wide arrest count
# answered a London question); vetoing them raised the cross-validated lead balanced accuracy 0.771 -> 0.786
# (scripts/fit_match.py; `vetoed`).
VETO_FEATURES = ("year_conflict", "year_off", "place_other", "plan_for_realised", "combined", "other_kind")


def vetoed(features: Mapping[str, float]) -> bool:
    """Whether a candidate's features (CANDIDATE_FEATURES) hold a mismatch that rules it out (VETO_FEATURES):
    it never leads an answer, whatever P(match)."""
    return any(features.get(k, 0.0) >= 0.5 for k in VETO_FEATURES)


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

