"""The candidates the match (`answer.match`) compares with the question before an answer is given: the
best `MATCH_WINDOW` candidates (and, when the present is asked, the best of each of the two newest reports),
each with its match features, P(it states what was asked) and the text of the unit it would lead.
`measure_head`: the head word of an asked measure, checked against the reports' words."""

from __future__ import annotations

import re

from reportqa.answer.answerability import DenseFn, Evidence, missing_rare
from reportqa.answer.decide import Model
from reportqa.answer.evidence import Candidate, Stats
from reportqa.answer.features import names_found
from reportqa.answer.match import EmbedFn, Lead, MatchModel, match_features
from reportqa.answer.units import FollowingFn, complete
from reportqa.question.query import Query

MATCH_WINDOW = 6  # the best candidates the match compares with the question
NEWEST_WINDOW = 2  # ... and, when the present is asked, the best of each of the two newest reports


def measure_head(measure: str) -> str:
    """The head word of an asked measure, lower-case ("police dogs" -> "dogs"); "" when it is too short or
    not a plain word to check against the reports."""
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", measure)
    if not words:
        return ""
    head = words[-1].casefold().strip("'’-")
    return head if len(head) >= 4 and head.isalpha() else ""


def match_candidates(
    query: Query, ev: Evidence, subject: list[str], *, stats: Stats, dense: DenseFn, embed: EmbedFn,
    newest: str | None, match: MatchModel, model: Model, following: FollowingFn,
) -> list[tuple[Candidate, dict[str, float], float, str]]:
    """The best `MATCH_WINDOW` candidates, each with its match features (CANDIDATE_FEATURES), P(it states
    what was asked) and the text of the unit it would lead (the sentence and what completes it)."""
    cands = ev.candidates[:MATCH_WINDOW]
    if query.current and newest is not None:
        # the present is asked: the best sentences of the two newest reports are compared too, so a
        # newer report's figure can lead even when an older report's sentence scores higher
        newest_years = sorted({c.passage.year for c in ev.candidates}, reverse=True)[:2]
        for year in newest_years:
            cands += tuple([c for c in ev.candidates if c.passage.year == year
                            and c not in cands][:NEWEST_WINDOW])
    top = cands[0]
    scores = {c.key: c.score for c in ev.candidates}
    text_dense: dict[tuple[str, int], float] = {}
    if query.measure:
        hits = list({c.hit.passage.id: c.hit for c in cands}.values())
        sims = dict(zip((h.passage.id for h in hits), dense(query.measure, hits), strict=True))
        text_dense = {c.key: float(sims[c.passage.id][c.position]) for c in cands}
    out = []
    for i, c in enumerate(cands):
        own, _, more = complete(c, ev.question, scores, top.score, model.neighbour_margin, following)
        sents = tuple(own + more)
        context = c.passage.section + " " + c.passage.clean
        unit_text = c.passage.section + " " + " ".join(s.text for s in sents)
        lead = Lead(sentences=sents, passage=c.passage, dense=c.features.get("dense", 0.0),
                    answerable=ev.probability,
                    missing_rare=missing_rare(ev.question, context, stats),
                    subject=names_found(subject, context) if subject else 1.0,
                    missing_rare_unit=missing_rare(ev.question, unit_text, stats),
                    subject_unit=names_found(subject, unit_text) if subject else 1.0)
        f = match_features(query, lead, stats.idf, embed, newest, text_dense.get(c.key))
        f["score_gap"] = round(top.score - c.score, 5)
        f["first"] = 1.0 if i == 0 else 0.0
        out.append((c, f, match.probability(f), " ".join(s.text for s in sents)))
    return out
