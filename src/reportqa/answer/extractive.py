"""The offline, deterministic default answerer: report sentences chosen as evidence, each with its [n].

1. Every sentence of the retrieved passages is scored (`evidence.EvidenceScorer`: a fitted fusion of
   dense similarity and lexical match).
2. Answerability is decided from features of the best evidence (`decide.Model`): answered, partial
   (the subject is covered, the asked detail is not) or not found.
3. The answer is the best sentence, the others within a fitted margin of it (at most `max_units`),
   the best of every asked year, and, where they carry what was asked: the next sentence of the same
   paragraph, the list items a colon introduces, and the sentence a pronoun refers back to.
4. It names each sentence's report and year, leads with the asked year, else with the most recent report
   it cites, and never prints one source sentence under two markers.

This module wires the steps; each lives in its own module: `answerability` (Evidence, the decision's
features), `rerank` (which candidate leads), `units` (select, complete), `match_candidates` (what the match
compares), `render` (the answer's text and citations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from reportqa.answer.answerability import (
    DenseFn,
    Evidence,
    about_subject,
    answer_features,
    contact_spans,
    specific_names,
    unit_text,
)
from reportqa.answer.decide import Model, load_model
from reportqa.answer.evidence import Candidate, EvidenceScorer, Question, Stats, weigh
from reportqa.answer.features import alias_tokens, answer_type, has_answer_type, names_found
from reportqa.answer.match import EmbedFn, MatchModel, given_instead, load_match_model, vetoed
from reportqa.answer.match_candidates import match_candidates, measure_head
from reportqa.answer.render import compose_answer, label, missing_detail, not_found_answer
from reportqa.answer.rerank import prefer_measure, prefer_named, prefer_typed
from reportqa.answer.units import Unit
from reportqa.answer.units import select as select_units
from reportqa.question.query import Query, read_query
from reportqa.types import Answer, Hit, Passage
from reportqa.years import written_forms

__all__ = ["Evidence", "ExtractiveAnswerer", "Stats", "Unit", "label"]


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self, stats: Stats, dense: DenseFn, model: Model | None = None,
        following: Callable[[Passage], Passage | None] | None = None,
        embed: EmbedFn | None = None, newest: str | None = None, match: MatchModel | None = None,
    ) -> None:
        self.stats = stats
        self.dense = dense
        # the query encoder (text -> unit vector) for the match's phrase similarities, and the newest
        # report year held ("now" questions)
        self.embed = embed
        self.newest = newest
        self.match = match or load_match_model()
        # called with (query, match features, P(match)) of the lead for every answer the match decides on,
        # and with every candidate the match scored (candidate, features, P(match), its unit's text)
        self.match_observer: Callable[[Query, dict[str, float], float], None] | None = None
        self.candidate_observer: Callable[
            [Query, list[tuple[Candidate, dict[str, float], float, str]]], None] | None = None
        # the passage after a passage in its report (a list a colon introduces may run into it)
        self.following = following or (lambda p: None)
        self.model = model or load_model()
        self.scorer = EvidenceScorer(stats, self.model.sentence_weights, self.model.sentence_bias)
        # called with every Evidence the answerer decides on (the fitting script records them)
        self.observer: Callable[[Evidence], None] | None = None

    # -- evidence and decision -----------------------------------------------------------------
    def evidence(
        self, question: str, hits: Sequence[Hit], asked_years: Sequence[str] = (), focus: str = "",
        require_years: Sequence[str] = (),
    ) -> Evidence:
        atype = answer_type(focus) if focus else None
        atype = atype or answer_type(question)
        q = weigh(question, self.stats, atype, tuple(asked_years) or tuple(require_years))
        candidates = self.scorer.score(q, hits, self.dense(question, hits)) if hits else []
        # a sentence flagged at ingest (lexicon/hostile.toml: instructions, contact details, markup) is never
        # evidence; contact details are also checked here for an index built before the flags
        candidates = [c for c in candidates if not c.sentence.flags and not contact_spans(c.sentence.text)]
        if require_years:
            candidates = [c for c in candidates
                          if any(written_forms(y).search(c.sentence.text) for y in require_years)]
        margin = self.model.type_margin
        candidates = prefer_named(q, prefer_typed(q, candidates, margin), self.stats, margin)
        query = read_query(focus or question)
        # whether the reports answer is decided on the best evidence; which sentence leads is the measure's
        features = self.features(q, candidates, asked_years)
        newest = not asked_years and not require_years
        candidates = prefer_measure(query, candidates, newest, self.stats, margin)
        if not candidates:
            return Evidence(q, (), features, "not_found", 0.0)
        decision, p = self.model.decide(features, atype is not None)
        if decision == "not_found" and atype is not None:
            # a kind of figure was asked and none was found: if the reports name the question's subject, say
            # what they give about it and name the detail they don't
            about = about_subject(q, candidates, self.stats)
            if about and not any(has_answer_type(atype, t) for c in about[:3] for t in unit_text(c)):
                rest = [c for c in candidates if c not in about]
                return Evidence(q, tuple(about + rest), self.features(q, about, asked_years), "partial", p)
        return Evidence(q, tuple(candidates), features, decision, p)

    def features(
        self, q: Question, candidates: Sequence[Candidate], asked_years: Sequence[str]
    ) -> dict[str, float]:
        """The answerability features (decide.ANSWER_FEATURES) of the best evidence
        (`answerability.answer_features`)."""
        return answer_features(q, candidates, asked_years, self.stats)

    # -- answering ---------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        asked_years: Sequence[str] = (),
        coverage_text: str = "",
        focus: str = "",
        require_years: Sequence[str] = (),
        query: Query | None = None,
        match: bool = True,
    ) -> Answer:
        """The answer to `question` from `hits`. `match`: decline evidence that does not state what was asked
        (`_match`); a Mayor's Question part is drafted without it (the draft has its own threshold)."""
        ev = self.evidence(question, hits, asked_years, focus, require_years)
        if self.observer is not None:
            self.observer(ev)
        return self.answer_from(ev, question, hits, asked_years, coverage_text, query, match)

    def answer_from(
        self, ev: Evidence, question: str, hits: Sequence[Hit], asked_years: Sequence[str],
        coverage_text: str, query: Query | None = None, match: bool = True,
    ) -> Answer:
        if ev.decision == "not_found":
            ans = self.not_found(question, hits, coverage_text, candidates=ev.candidates)
            return ans.model_copy(update={"answerability": round(ev.probability, 4)})
        chosen = self.select(ev, asked_years)
        atype = ev.question.answer_type
        subject = specific_names(ev.question, self.stats)
        if ev.decision == "answered" and self.embed is not None and match:
            verdict = self._match(query or read_query(question), ev, chosen, subject, question, hits,
                                  coverage_text)
            if isinstance(verdict, Answer):
                return verdict
            if verdict is not None:  # a candidate states what was asked: it leads
                ev = verdict
                chosen = self.select(ev, asked_years)
        named = [u for u in chosen if names_found(subject, u.source.section + " " + u.source.clean) >= 1.0]
        if atype is not None and not any(has_answer_type(atype, s.text) for u in (named or chosen)
                                         for s in u.sentences):
            # the evidence about the subject holds no figure of the asked kind (a figure from a passage that
            # does not name the subject does not count): say what it does give
            ev = replace(ev, decision="partial")
        if ev.decision == "partial":  # what the reports say about the subject comes first
            chosen = named + [u for u in chosen if u not in named]
        ans = self.compose(question, chosen, asked_years, lead_fixed=ev.matched and ev.decision == "answered")
        if ev.decision == "partial":
            missing = missing_detail(question, ev.question, self.stats)
            gap_sentence = f"The reports do not give {missing}."
            text = f"{gap_sentence}\nWhat they do say: " + ans.text
            ans = ans.model_copy(update={"status": "partial", "text": text, "missing": missing,
                                         "gaps": (gap_sentence,)})
        return ans.model_copy(update={"answerability": round(ev.probability, 4), "hits": tuple(hits)})

    def _match(
        self, query: Query, ev: Evidence, chosen: list[Unit], subject: list[str], question: str,
        hits: Sequence[Hit], coverage_text: str,
    ) -> Answer | Evidence | None:
        """Whether the evidence states what `query` asks (`match.match_features`, a fitted pair model over the
        best few candidate sentences). None: the match does not decide; an Evidence (`matched`): a candidate
        does, and leads in it whatever its year; an Answer: none does, and the answer is declined: partial
        when the evidence is about the asked subject, not_found when it is not."""
        if not chosen or self.embed is None:
            return None
        # the topic words of a "who" question are its subject and a verb ("Who did the Mayor pick"), not a
        # measure to look for
        head = measure_head(query.measure) if query.measure_read or query.kind != "name" else ""
        if head and not self.stats.mentions(head) and not any(t in self.stats.df for t in alias_tokens(head)):
            # what is asked about ("the weather", "police dogs") is a word no report holds in any spelling:
            # the corpus does not cover the subject, whatever the nearest sentence says
            gap = query.gap()
            ans = self.not_found(question, hits, coverage_text, reason=f"They do not give {gap}.",
                                 candidates=ev.candidates)
            return ans.model_copy(update={"answerability": round(ev.probability, 4), "missing": gap})
        if not (query.asks_figure or query.years or query.current):
            return None  # a description, a name or a list asked with no year: the evidence model decides
        assert self.embed is not None
        scored = match_candidates(query, ev, subject, stats=self.stats, dense=self.dense, embed=self.embed,
                                  newest=self.newest, match=self.match, model=self.model,
                                  following=self.following)
        if self.candidate_observer is not None:
            self.candidate_observer(query, scored)
        if self.match_observer is not None:
            self.match_observer(query, scored[0][1], scored[0][2])
        # a candidate with a mismatch never leads (`match.vetoed`): another year's figure is never given as
        # the asked year's, nor a UK figure as London's, a plan as what happened, a combined one as a part's
        fits = [(i, c, p) for i, (c, f, p, _) in enumerate(scored)
                if p >= self.match.threshold and not vetoed(f)]
        if fits:
            # the present asked: the newest report whose sentence states what was asked leads
            i, best, _ = max(fits, key=lambda t: ((t[1].passage.year if query.current else ""), t[2], -t[0]))
            return replace(ev, candidates=(best, *(c for c in ev.candidates if c is not best)), matched=True)
        feats = scored[0][1]
        unit = chosen[0]
        context = unit.source.section + " " + unit.source.clean
        lead_subject = names_found(subject, context) if subject else 1.0
        # partial when the evidence is about the asked subject: it names the question's names, holds the
        # measure's words, or gives the measure for another year than the one asked
        about = lead_subject >= 1.0 and (feats["measure_sentence"] >= 0.5 or feats["no_measure"] >= 1.0
                                         or bool(subject) or feats["year_conflict"] >= 1.0)
        gap = query.gap()
        if not about:
            ans = self.not_found(question, hits, coverage_text, reason=f"They do not give {gap}.",
                                 candidates=ev.candidates)
            return ans.model_copy(update={"answerability": round(ev.probability, 4), "missing": gap})
        ans = self.compose(question, chosen[:2], query.years)
        # what they give instead travels as a field; the text quotes it, with its marker, after the gap
        given = given_instead(query, chosen[0].sentences)
        gap_sentence = f"The reports do not give {gap}."
        text = f"{gap_sentence}\nWhat they do say: " + ans.text
        return ans.model_copy(update={"status": "partial", "text": text, "missing": gap, "given": given,
                                      "gaps": (gap_sentence,),
                                      "answerability": round(ev.probability, 4), "hits": tuple(hits)})

    def select(self, ev: Evidence, asked_years: Sequence[str]) -> list[Unit]:
        """Units of evidence, best first; no source sentence appears in two units (`units.select`)."""
        return select_units(ev, asked_years, self.model, self.following)

    def compose(self, question: str, units: list[Unit], asked_years: Sequence[str],
                lead_fixed: bool = False) -> Answer:
        return compose_answer(question, units, asked_years, self.name, lead_fixed)

    def not_found(
        self, question: str, hits: Sequence[Hit], coverage_text: str, reason: str = "",
        candidates: Sequence[Candidate] = (),
    ) -> Answer:
        if hits and not candidates:
            candidates = self.evidence(question, hits).candidates
        return not_found_answer(question, hits, coverage_text, reason, candidates, self.name)
