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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reportqa.answer.decide import ANSWER_FEATURES, Model, load_model
from reportqa.answer.evidence import Candidate, EvidenceScorer, Question, Stats, _has, _prefixed, weigh
from reportqa.answer.features import (
    AnswerType,
    alias_tokens,
    answer_type,
    answer_types,
    has_answer_type,
    name_coverage,
    named_things,
    names_found,
)
from reportqa.answer.match import (
    MEASURE_FIT,
    EmbedFn,
    Lead,
    MatchModel,
    given_instead,
    load_match_model,
    match_features,
    measure_fit,
)
from reportqa.kinds import label as document_label
from reportqa.kinds import order as period_order
from reportqa.question.query import Query, read_query
from reportqa.text import strip_bullet
from reportqa.types import Answer, Citation, Hit, Passage, Sentence
from reportqa.years import written_forms

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Evidence", "ExtractiveAnswerer", "Stats", "Unit", "label"]

# (question, hits) -> the cosine of the question with every sentence of each hit, in the hits' order.
DenseFn = Callable[[str, Sequence[Hit]], "list[np.ndarray]"]


def label(p: Passage) -> str:
    """How an answer names a passage's document (`kinds.label`): 'the 2022-23 annual report', 'the
    quarterly report for Q2 2019/20', 'the Police and Crime Plan 2013-16 page'."""
    return document_label(p)


@dataclass(frozen=True)
class Unit:
    """One cited piece of an answer: a chosen sentence and the sentences that complete it, in text order."""

    candidate: Candidate
    sentences: tuple[Sentence, ...]
    passage: Passage | None = None  # when the sentences come from another passage than the candidate's
    heading: str = ""  # a list item that is a sub-section heading of the report: its heading

    @property
    def source(self) -> Passage:
        return self.passage or self.candidate.passage


@dataclass(frozen=True)
class Evidence:
    """The scored candidates for one question and the features the decision was made on."""

    question: Question
    candidates: tuple[Candidate, ...]
    features: dict[str, float]
    decision: str
    probability: float


_PRONOUN_START = re.compile(
    r"^(It|Its|This|These|They|Their|That|Those|He|She|His|Her|The (service|scheme|programme|project|fund|"
    r"partnership|pilot|board|panel|commission|campaign|unit|centre|team|group|groups))\b"
)


def _contact_spans(text: str) -> list[tuple[int, int]]:
    try:
        from reportqa.safety import contact_details
    except ImportError:  # pragma: no cover - older safety module
        return []
    return list(contact_details(text))


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
        candidates = [c for c in candidates if not c.sentence.flags and not _contact_spans(c.sentence.text)]
        if require_years:
            candidates = [c for c in candidates
                          if any(written_forms(y).search(c.sentence.text) for y in require_years)]
        candidates = self._prefer_named(q, self._prefer_typed(q, candidates))
        query = read_query(focus or question)
        # whether the reports answer is decided on the best evidence; which sentence leads is the measure's
        features = self.features(q, candidates, asked_years)
        candidates = self._prefer_measure(query, candidates, newest=not asked_years and not require_years)
        if not candidates:
            return Evidence(q, (), features, "not_found", 0.0)
        decision, p = self.model.decide(features, atype is not None)
        if decision == "not_found" and atype is not None:
            # a kind of figure was asked and none was found: if the reports name the question's subject, say
            # what they give about it and name the detail they don't
            about = self._about_subject(q, candidates)
            if about and not any(has_answer_type(atype, t) for c in about[:3] for t in self._unit_text(c)):
                rest = [c for c in candidates if c not in about]
                return Evidence(q, tuple(about + rest), self.features(q, about, asked_years), "partial", p)
        return Evidence(q, tuple(candidates), features, decision, p)

    def _specific_names(self, q: Question) -> list[str]:
        """The question's names that are specific: not the Met or MOPAC, which every report names."""
        generic = self.stats.idf_at_share(0.05)
        return [
            n
            for n in named_things(q.text)
            if max((self.stats.idf(w) for w in alias_tokens(n) if not w[0].isdigit()), default=0.0) > generic
        ]

    def _about_subject(self, q: Question, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates whose passage names every specific name in the question: evidence about the
        subject, whatever it says of it."""
        specific = self._specific_names(q)
        if not specific:
            return []
        return [c for c in candidates
                if names_found(specific, c.passage.section + " " + c.passage.clean) >= 1.0]

    def _prefer_named(self, q: Question, candidates: list[Candidate]) -> list[Candidate]:
        """When the question names something specific ("the Violence Reduction Unit") and the best sentence's
        passage does not name it, the best sentence whose passage does leads instead, if it scores within
        `type_margin` of the best: evidence about the subject before evidence about something near it."""
        if not candidates:
            return candidates
        top = candidates[0]
        about = self._about_subject(q, [top]) or self._about_subject(q, candidates)
        if not about or about[0] is top or about[0].score < top.score - self.model.type_margin:
            return candidates
        return [about[0], *(c for c in candidates if c is not about[0])]

    def _prefer_measure(self, query: Query, candidates: list[Candidate], newest: bool) -> list[Candidate]:
        """For a figure question, the sentence whose figure counts the asked measure leads, if it scores
        within `type_margin` of the best (twice that for a question about the present) and the best sentence's
        figures count something else. For a question about the present (`newest`), the newest report with
        such a sentence leads: an old figure never leads when a newer report gives one."""
        if not candidates or not query.asks_figure or not query.measure:
            return candidates
        top = candidates[0]
        margin = self.model.type_margin * (2 if query.current and newest else 1)
        window = [c for c in candidates if c.score >= top.score - margin]
        fits = {c.key: measure_fit(query, c.sentence.text, self.stats.idf) for c in window}
        # a sentence that names less of what the question names never leads instead ("young people" in
        # another programme's passage for "people in Stop and Search Monitoring Groups")
        good = [c for c in window
                if fits[c.key] >= MEASURE_FIT and c.features["names"] >= top.features["names"]]
        if not good:
            return candidates
        if query.current and newest:
            best = max(good, key=lambda c: (c.passage.year, fits[c.key], c.score))
            if best.passage.year <= top.passage.year and fits[top.key] >= MEASURE_FIT:
                return candidates
        else:
            if fits[top.key] >= MEASURE_FIT:
                return candidates
            best = max(good, key=lambda c: (fits[c.key], c.score))
        return [best, *(c for c in candidates if c is not best)]

    @staticmethod
    def _type_of(query: Query) -> AnswerType | None:
        return next((t for t in answer_types() if t.name == query.kind), None)

    def _prefer_typed(self, q: Question, candidates: list[Candidate]) -> list[Candidate]:
        """When a kind of figure is asked and the best sentence has none, the best sentence that has one
        leads instead, if it scores within `type_margin` of the best and names as much of what the
        question names."""
        if q.answer_type is None or not candidates or candidates[0].features["type_match"] >= 1.0:
            return candidates
        top = candidates[0]
        typed = next((c for c in candidates if c.features["type_match"] >= 1.0
                      and c.features["names"] >= top.features["names"]), None)
        if typed is None or typed.score < top.score - self.model.type_margin:
            return candidates
        return [typed, *(c for c in candidates if c is not typed)]

    def features(
        self, q: Question, candidates: Sequence[Candidate], asked_years: Sequence[str]
    ) -> dict[str, float]:
        """The answerability features (decide.ANSWER_FEATURES) of the best evidence.

        - top: the best sentence's fused score (a logit);
        - top_z: how far the best sentence stands out from all the candidates (standard scores);
        - lead: the best score's lead over the fifth best distinct sentence;
        - type_ok: no answer type was asked, or the best sentence or the one after it holds one;
        - names: share of the question's named things that the best passage names (aliases count);
        - year_ok: no year was asked, or the best sentence comes from that year's report or names it;
        - coverage: idf-weighted share of the question's words in the best passage;
        - missing_rare: the rarest question word the best passage lacks, as a share of the rarest possible
          (1.0: a word no passage holds; 0.0: every question word is there).
        """
        if not candidates:
            return dict.fromkeys(ANSWER_FEATURES, 0.0)
        top = candidates[0]
        type_ok = (
            1.0
            if q.answer_type is None or any(has_answer_type(q.answer_type, t) for t in self._unit_text(top))
            else 0.0
        )
        context = top.passage.section + " " + top.passage.clean
        year_ok = 1.0
        if asked_years:
            year_ok = 1.0 if (top.passage.year in asked_years or top.features["year_named"] >= 1.0) else 0.0
        scores = [c.score for c in candidates]
        mean = sum(scores) / len(scores)
        std = (sum((x - mean) ** 2 for x in scores) / len(scores)) ** 0.5 or 1.0
        return {
            "top": top.score,
            "top_z": (top.score - mean) / std,
            "lead": top.score - scores[min(4, len(scores) - 1)],
            "type_ok": type_ok,
            "names": top.features["names"],
            "year_ok": year_ok,
            "coverage": top.features["context"],
            "missing_rare": missing_rare(q, context, self.stats),
        }

    def _unit_text(self, c: Candidate) -> list[str]:
        """The candidate sentence with its neighbour and antecedent: where an answer type may sit."""
        p = c.passage
        out = [c.sentence.text]
        if c.position + 1 < len(p.sentences):
            out.append(p.sentences[c.position + 1].text)
        return out

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
        subject = self._specific_names(ev.question)
        if ev.decision == "answered" and self.embed is not None and match:
            verdict = self._match(query or read_query(question), ev, chosen, subject, question, hits,
                                  coverage_text)
            if isinstance(verdict, Answer):
                return verdict
            if verdict is not None:  # another candidate states what was asked: it leads
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
        ans = self.compose(question, chosen, asked_years)
        if ev.decision == "partial":
            missing = missing_detail(question, ev.question, self.stats)
            text = f"The reports do not give {missing}.\nWhat they do say: " + ans.text
            ans = ans.model_copy(update={"status": "partial", "text": text, "missing": missing})
        return ans.model_copy(update={"answerability": round(ev.probability, 4), "hits": tuple(hits)})

    def _match(
        self, query: Query, ev: Evidence, chosen: list[Unit], subject: list[str], question: str,
        hits: Sequence[Hit], coverage_text: str,
    ) -> Answer | Evidence | None:
        """Whether the evidence states what `query` asks (`match.match_features`, a fitted pair model over the
        best few candidate sentences). None: the lead does; an Evidence: another candidate does, and leads
        in it; an Answer: none does, and the answer is declined: partial when the evidence is about the
        asked subject, not_found when it is not."""
        if not chosen or self.embed is None:
            return None
        # the topic words of a "who" question are its subject and a verb ("Who did the Mayor pick"), not a
        # measure to look for
        head = _measure_head(query.measure) if query.measure_read or query.kind != "name" else ""
        if head and not self.stats.mentions(head) and not any(t in self.stats.df for t in alias_tokens(head)):
            # what is asked about ("the weather", "police dogs") is a word no report holds in any spelling:
            # the corpus does not cover the subject, whatever the nearest sentence says
            gap = query.gap()
            ans = self.not_found(question, hits, coverage_text, reason=f"They do not give {gap}.",
                                 candidates=ev.candidates)
            return ans.model_copy(update={"answerability": round(ev.probability, 4), "missing": gap})
        if not (query.asks_figure or query.years or query.current):
            return None  # a description, a name or a list asked with no year: the evidence model decides
        scored = self._match_candidates(query, ev, subject)
        if self.candidate_observer is not None:
            self.candidate_observer(query, scored)
        if self.match_observer is not None:
            self.match_observer(query, scored[0][1], scored[0][2])
        # a candidate that states another period than the one asked, and never the asked one, never leads:
        # another year's figure is never given as the asked year's
        fits = [(i, c, p) for i, (c, f, p, _) in enumerate(scored)
                if p >= self.match.threshold and not f["year_conflict"]]
        if fits:
            # the present asked: the newest report whose sentence states what was asked leads
            i, best, _ = max(fits, key=lambda t: ((t[1].passage.year if query.current else ""), t[2], -t[0]))
            if i == 0:
                return None
            return replace(ev, candidates=(best, *(c for c in ev.candidates if c is not best)))
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
        text = f"The reports do not give {gap}.\nWhat they do say: " + ans.text
        return ans.model_copy(update={"status": "partial", "text": text, "missing": gap, "given": given,
                                      "answerability": round(ev.probability, 4), "hits": tuple(hits)})

    def _match_candidates(
        self, query: Query, ev: Evidence, subject: list[str],
    ) -> list[tuple[Candidate, dict[str, float], float, str]]:
        """The best `MATCH_WINDOW` candidates, each with its match features (CANDIDATE_FEATURES), P(it states
        what was asked) and the text of the unit it would lead (the sentence and what completes it)."""
        assert self.embed is not None
        cands = ev.candidates[:MATCH_WINDOW]
        if query.current and self.newest is not None:
            # the present is asked: the best sentences of the two newest reports are compared too, so a
            # newer report's figure can lead even when an older report's sentence scores higher
            newest = sorted({c.passage.year for c in ev.candidates}, reverse=True)[:2]
            for year in newest:
                cands += tuple([c for c in ev.candidates if c.passage.year == year
                                and c not in cands][:NEWEST_WINDOW])
        top = cands[0]
        scores = {c.key: c.score for c in ev.candidates}
        text_dense: dict[tuple[str, int], float] = {}
        if query.measure:
            hits = list({c.hit.passage.id: c.hit for c in cands}.values())
            sims = dict(zip((h.passage.id for h in hits), self.dense(query.measure, hits), strict=True))
            text_dense = {c.key: float(sims[c.passage.id][c.position]) for c in cands}
        out = []
        for i, c in enumerate(cands):
            own, _, more = self._complete(c, ev.question, scores, top.score)
            sents = tuple(own + more)
            context = c.passage.section + " " + c.passage.clean
            unit_text = c.passage.section + " " + " ".join(s.text for s in sents)
            lead = Lead(sentences=sents, passage=c.passage, dense=c.features.get("dense", 0.0),
                        answerable=ev.probability,
                        missing_rare=missing_rare(ev.question, context, self.stats),
                        subject=names_found(subject, context) if subject else 1.0,
                        missing_rare_unit=missing_rare(ev.question, unit_text, self.stats),
                        subject_unit=names_found(subject, unit_text) if subject else 1.0)
            f = match_features(query, lead, self.stats.idf, self.embed, self.newest, text_dense.get(c.key))
            f["score_gap"] = round(top.score - c.score, 5)
            f["first"] = 1.0 if i == 0 else 0.0
            out.append((c, f, self.match.probability(f), " ".join(s.text for s in sents)))
        return out

    def select(self, ev: Evidence, asked_years: Sequence[str]) -> list[Unit]:
        """Units of evidence, best first; no source sentence appears in two units."""
        cands = list(ev.candidates)
        top = cands[0]
        top_names = name_coverage(ev.question.text, top.passage.section + " " + top.passage.clean)
        picked: list[Candidate] = [top]
        if len(asked_years) > 1:
            for year in asked_years:
                if any(c.passage.year == year for c in picked):
                    continue
                best = next((c for c in cands if c.passage.year == year or c.features["year_named"] >= 1.0
                             and written_forms(year).search(c.sentence.text)), None)
                if best is not None and best.score >= top.score - 3 * self.model.select_margin:
                    picked.append(best)
        limit = self.model.max_units + max(0, len(asked_years) - 1)
        for c in cands[1:]:
            if len(picked) >= limit:
                break
            if c.score < top.score - self.model.select_margin:
                break
            if any(c.key == p.key or _same(c.sentence.text, p.sentence.text) for p in picked):
                continue
            if name_coverage(ev.question.text, c.passage.section + " " + c.passage.clean) < top_names:
                continue  # a passage that does not name what the question names
            picked.append(c)
        units: list[Unit] = []
        seen: set[tuple[str, int]] = set()
        scores = {c.key: c.score for c in cands}
        for c in picked:
            own, after, more = self._complete(c, ev.question, scores, top.score)
            sents = [u for u in own if (c.passage.id, u.start) not in seen]
            if not sents:
                continue
            seen.update((c.passage.id, u.start) for u in sents)
            units.append(Unit(c, tuple(sents)))
            if after is not None and more:
                more = [u for u in more if (after.id, u.start) not in seen]
                seen.update((after.id, u.start) for u in more)
                if more:
                    units.append(Unit(c, tuple(more), after))
            elif sents[-1].text.rstrip().endswith(":") and sents[-1] is c.passage.sentences[-1]:
                # a lead-in closing its passage whose list became the report's sub-sections: one item each
                for sub in self._subsections(c.passage):
                    if (sub.id, sub.sentences[0].start) not in seen:
                        seen.add((sub.id, sub.sentences[0].start))
                        units.append(Unit(c, (sub.sentences[0],), sub, sub.section.split(" > ")[-1]))
        return units

    def _subsections(self, p: Passage, limit: int = 8) -> list[Passage]:
        """The first passage of each sub-section that follows `p` under its heading."""
        out: list[Passage] = []
        nxt = self.following(p)
        while nxt is not None and len(out) < limit and nxt.section.startswith(p.section + " > "):
            if not out or nxt.section != out[-1].section:
                out.append(nxt)
            nxt = self.following(nxt)
        return out

    def _complete(
        self, c: Candidate, q: Question, scores: dict[tuple[str, int], float], best: float
    ) -> tuple[list[Sentence], Passage | None, list[Sentence]]:
        """The candidate's sentence with what completes it: the sentence a pronoun refers back to; the next
        sentence of the paragraph (when it holds the asked kind of figure the sentence lacks, continues it
        with a pronoun, or scores within `neighbour_margin` of the best); and the list items a closing colon
        introduces, which may run on into the next passage of the section (returned apart, with it)."""
        p = c.passage
        sents = list(p.sentences)
        i = c.position
        s = sents[i]
        out = [s]
        if (_PRONOUN_START.match(s.text) and i > 0 and sents[i - 1].block == s.block
                and not sents[i - 1].flags):
            out.insert(0, sents[i - 1])
        elif not _table_row(p, s) and (lead_in := _lead_in(sents, i)) is not None:
            out.insert(0, lead_in)  # a list item ("34,503 Officers") is read under what introduces it
        if (not s.text.rstrip().endswith(":") and i + 1 < len(sents) and sents[i + 1].block == s.block
                and not sents[i + 1].flags):
            nxt = sents[i + 1]
            lacks_type = q.answer_type is not None and not has_answer_type(q.answer_type, s.text)
            related = scores.get((p.id, nxt.start), -1e9) >= best - self.model.neighbour_margin
            if (
                (lacks_type and has_answer_type(q.answer_type, nxt.text))
                or _PRONOUN_START.match(nxt.text)
                or related
            ):
                out.append(nxt)
                i += 1
        if not out[-1].text.rstrip().endswith(":"):
            return out, None, []
        # the items of the list the colon introduces: the following blocks, up to 8
        lead = out[-1]
        items = [x for x in sents[i + 1 :] if x.block != lead.block]
        kept = _list_items(items, MAX_LIST_ITEMS)
        nxt_p = self.following(p)
        if nxt_p is None or nxt_p.section != p.section:
            return out + kept, None, []
        if not items:  # the list starts in the next passage
            return out, nxt_p, _list_items(list(nxt_p.sentences), MAX_LIST_ITEMS)
        if kept and kept[-1] is sents[-1] and _one_sentence_blocks(sents, kept):
            # the list runs on into the next passage: its items there are the one-sentence blocks it opens
            # with
            more = _leading_items(list(nxt_p.sentences), MAX_LIST_ITEMS - len({k.block for k in kept}))
            if more:
                return out + kept, nxt_p, more
        return out + kept, None, []

    def compose(self, question: str, units: list[Unit], asked_years: Sequence[str]) -> Answer:
        documents = {label(u.source) for u in units}
        lead_note = ""
        if not asked_years and len(documents) > 1:
            units = sorted(units, key=lambda u: (-period_order(u.candidate.passage)[0], -u.candidate.score))
            lead_note = (f"No year was asked: the answer leads with the most recent of the reports it cites "
                         f"({label(units[0].source).removeprefix('the ')}); other years are marked.")
        parts: list[str] = []
        cits: list[Citation] = []
        lead_label = label(units[0].source)
        for i, unit in enumerate(units):
            p = unit.source
            sentences = unit.sentences
            marker = i + 1
            from reportqa.answer.verify import citation_span

            cits.append(citation_span(marker, p, sentences[0].start, sentences[-1].end))
            body = _render(sentences, marker)
            if unit.heading:
                body = f"- {unit.heading}: {body}"
            elif unit.passage is not None:
                body = f"- {strip_bullet(body)}"  # list items continued from the passage before
            if i == 0:
                intro = f"According to {label(p)} ({p.title}):"
            elif unit.heading:
                intro = ""
            elif label(p) != lead_label:
                intro = f"In {label(p)}:"
            else:
                intro = ""
            parts.append((intro + " " if intro else "") + body)
        return Answer(
            status="answered",
            text="\n".join(parts),
            citations=tuple(cits),
            question=question,
            backend=self.name,
            notes=(lead_note,) if lead_note else (),
        )

    def not_found(
        self, question: str, hits: Sequence[Hit], coverage_text: str, reason: str = "",
        candidates: Sequence[Candidate] = (),
    ) -> Answer:
        related: list[Citation] = []
        if hits and not candidates:
            candidates = self.evidence(question, hits).candidates
        from reportqa.answer.verify import citation_span

        seen: set[str] = set()
        for c in candidates:
            if c.passage.id in seen:
                continue
            seen.add(c.passage.id)
            related.append(citation_span(len(related) + 1, c.passage, c.sentence.start, c.sentence.end))
            if len(related) == 3:
                break
        text = "The reports don't say. " + (reason + " " if reason else "")
        text += "I could not find this in the MOPAC reports I have"
        text += f" ({coverage_text})." if coverage_text else "."
        if related:
            text += " The closest passages are listed as related, in case they help."
        return Answer(
            status="not_found",
            text=text,
            related=tuple(related),
            question=question,
            backend=self.name,
            hits=tuple(hits),
        )


MAX_LIST_ITEMS = 8  # the items of one list an answer carries
MATCH_WINDOW = 6  # the best candidates the match compares with the question
NEWEST_WINDOW = 2  # ... and, when the present is asked, the best of each of the two newest reports


def _measure_head(measure: str) -> str:
    """The head word of an asked measure, lower-case ("police dogs" -> "dogs"); "" when it is too short or
    not a plain word to check against the reports."""
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", measure)
    if not words:
        return ""
    head = words[-1].casefold().strip("'’-")
    return head if len(head) >= 4 and head.isalpha() else ""


def _list_items(items: Sequence[Sentence], limit: int) -> list[Sentence]:
    """The sentences of the first `limit` blocks of `items`, ending before a flagged sentence."""
    blocks: list[int] = []
    kept: list[Sentence] = []
    for item in items:
        if item.flags:
            break  # a flagged sentence is never cited: the list ends before it
        if item.block not in blocks:
            if len(blocks) == limit:
                break
            blocks.append(item.block)
        kept.append(item)
    return kept


def _table_row(p: Passage, s: Sentence) -> bool:
    """A table row ("| Barnet | 1,234 | 567"): already read under its column headers, never under a
    caption."""
    at = s.start - p.start
    line = p.text[p.text.rfind("\n", 0, at) + 1 : s.end - p.start]
    return line.lstrip().startswith("|")


def _lead_in(sents: Sequence[Sentence], i: int) -> Sentence | None:
    """The sentence ending in a colon that introduces the list item sents[i] (only one-sentence blocks, the
    list's items, between them), or None when sents[i] is no list item."""
    def alone(k: int) -> bool:
        return sum(1 for x in sents if x.block == sents[k].block) == 1

    if not alone(i):
        return None
    j = i - 1
    while (j >= 0 and sents[j].block != sents[i].block and alone(j)
           and not sents[j].text.rstrip().endswith(":")):
        j -= 1
    if j >= 0 and sents[j].block != sents[i].block and sents[j].text.rstrip().endswith(":") \
            and not sents[j].flags:
        return sents[j]
    return None


def _one_sentence_blocks(sents: Sequence[Sentence], chosen: Sequence[Sentence]) -> bool:
    """Every block of `chosen` holds one sentence of `sents`: list items, not paragraphs."""
    blocks = {s.block for s in chosen}
    return all(sum(1 for s in sents if s.block == b) == 1 for b in blocks)


def _leading_items(sents: Sequence[Sentence], limit: int) -> list[Sentence]:
    """The one-sentence blocks `sents` opens with (a list continued from the passage before), at most
    `limit`."""
    out: list[Sentence] = []
    for s in sents:
        if len(out) == limit or s.flags or sum(1 for x in sents if x.block == s.block) != 1:
            break
        out.append(s)
    return out


def _render(sentences: Sequence[Sentence], marker: int) -> str:
    """Sentences of one unit, each closed by the unit's marker; list items on their own lines."""
    out: list[str] = []
    last_block = sentences[0].block
    for s in sentences:
        text = s.text.rstrip()
        sep = " " if s.block == last_block or not out else "\n- "
        if sep != " ":
            text = strip_bullet(text)  # the item's own bullet ("- Robbery"): one mark, not "- - Robbery"
        out.append((sep if out else "") + f"{text} [{marker}]")
        last_block = s.block
    return "".join(out)


def missing_detail(question: str, q: Question, stats: Stats) -> str:
    """A short name for the asked detail the reports do not give: the kind of figure asked, and the most
    specific name in the question ("a cost or funding figure for the Lighthouse")."""
    from reportqa.answer.features import alias_tokens, named_things

    kind = {"money": "a cost or funding figure", "percent": "a percentage or rate", "count": "a number",
            "duration": "a length of time", "date": "a date"}.get(
        q.answer_type.name if q.answer_type else "", "the detail asked for")
    names = named_things(question)
    if not names:
        return kind

    def rarity(name: str) -> float:
        return max((stats.idf(w) for w in alias_tokens(name) if not w[0].isdigit()), default=0.0)

    name = max(names, key=rarity)
    the = "the " if re.search(r"(?i)\bthe\s+" + re.escape(name), question) else ""
    return f"{kind} for {the}{name}"


def missing_rare(q: Question, context: str, stats: Stats) -> float:
    """The idf of the rarest question word absent from `context`, over the idf of a word no passage holds."""
    from reportqa.answer.features import alias_tokens

    have = _prefixed(alias_tokens(context))
    absent = [w for t, w in q.weights.items() if not _has(have, t)]
    return max(absent, default=0.0) / stats.idf("")


def _same(a: str, b: str) -> bool:
    from reportqa.text import content_words

    wa, wb = content_words(a), content_words(b)
    return bool(wa) and len(wa & wb) / len(wa | wb) > 0.7
