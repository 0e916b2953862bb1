"""Item runs -> per-item scores -> metrics by split and by question type.

Units, so every figure's denominator is plain:
- retrieval (hit@k, MRR@10, nDCG@5, recall@5): one query per ordinary item that has gold quotes, plus
  one per answerable part of a Mayor's Question;
- key facts, citation support, year accuracy, status: ordinary items (Mayor's Questions are scored part
  by part in the mq_* metrics); key facts and citation support count only items expected "answered";
- partial items (the reports cover the subject, not the asked detail): ok when the answer says "partial"
  and gives the key facts the reports do hold (if the item lists any); scored in partial_accuracy and
  partial_citation_support, never in key_fact_accuracy or citation_support;
- refusal / not_found / partial precision and recall: ordinary items, predicted status against expected;
- trend items (how a measure changed across the reports): trend_accuracy, every year's figure right and
  cited and no year filled in (`trend_score.score_trend`); they are scored as answered items too.
- real Assembly questions (drafted whole): mq_gold_cited, the answerable ones whose draft cites a gold
  passage (a citation overlapping a gold quote) in an answered part; mq_not_covered_correct, the uncovered
  ones whose every drafted part says the reports do not give it; mq_gold_shown (not gated), the answerable
  ones whose draft cites a gold passage or shows it as nearby evidence. None enters any other metric.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportqa.evaluation import metrics as m
from reportqa.evaluation.dataset import DRAFTED_TYPES, TYPES, GoldSpan, Item, Part
from reportqa.evaluation.runner import NOT_COVERED, AnswerRun, CitationRecord, ItemRun
from reportqa.short import lead_span
from reportqa.years import FY_RE

# The metrics the gate compares with the baseline (per split). Latency is never gated.
GATED = ("hit@5", "mrr", "key_fact_accuracy", "citation_support", "year_accuracy",
         "adversarial_refusal_recall", "adversarial_safe_rate", "mq_part_accuracy", "trend_accuracy",
         "mq_gold_cited", "mq_not_covered_correct", "not_found_recall", "not_found_precision",
         "partial_recall", "answered_precision", "decline_recall", "decline_precision", "truthfulness",
         "lead_key_facts")
TOP_K = 5


@dataclass(frozen=True)
class RetrievalScore:
    rank: int | None  # first gold hit within the top 10
    ndcg5: float
    recall5: float


@dataclass(frozen=True)
class PartScore:
    expect: str
    status: str
    ok: bool
    support_ok: bool | None
    retrieval: RetrievalScore | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ItemScore:
    id: str
    split: str
    type: str
    expect: str
    status: str
    latency: float
    retrieval: tuple[RetrievalScore, ...] = ()
    facts_ok: bool | None = None
    facts_fraction: float | None = None
    support_ok: bool | None = None
    year_ok: bool | None = None
    partial_ok: bool | None = None  # expected partial: status partial and the key facts given (if any)
    partial_support_ok: bool | None = None  # expected and given partial: its figures are in what it cites
    parts: tuple[PartScore, ...] = ()
    reasons: tuple[str, ...] = field(default_factory=tuple)
    contract_ok: bool | None = None  # answered or partial: the text keeps verify_answer's citation contract
    trend_ok: bool | None = None  # a trend item: every year's figure right and cited, none filled in
    gold_cited: bool | None = None  # an answerable Assembly question: its draft cites a gold passage
    gold_shown: bool | None = None  # ... or shows one as nearby evidence (reported, not gated)
    not_covered_ok: bool | None = None  # an uncovered Assembly question: every drafted part says not covered
    lead_facts_ok: bool | None = None  # expected answered: answered, every key fact in its first sentence

    @property
    def failed(self) -> bool:
        return bool(self.reasons)


def _ranked(run: AnswerRun) -> list[m.RankedSpan]:
    return [m.RankedSpan(r.report_id, r.start, r.end) for r in run.retrieved]


def score_retrieval(run: AnswerRun, gold: Sequence[GoldSpan]) -> RetrievalScore:
    ranked = _ranked(run)
    return RetrievalScore(
        m.first_hit_rank(ranked, gold, 10), m.ndcg_at(ranked, gold, TOP_K), m.recall_at(ranked, gold, TOP_K)
    )


def _retrieval_reason(r: RetrievalScore) -> str | None:
    if r.rank is not None and r.rank <= TOP_K:
        return None
    where = f"first at rank {r.rank}" if r.rank is not None else "not in the top 10"
    return f"retrieval: gold passage not in the top {TOP_K} ({where})"


def _facts_reason(groups: Sequence[Sequence[str]], text: str) -> str | None:
    missing = m.missing_fact_groups(groups, text)
    if not missing:
        return None
    return "key facts missing: " + "; ".join(" / ".join(g) for g in missing)


def score_part(gp: Part, run: AnswerRun) -> PartScore:
    reasons: list[str] = []
    retrieval = score_retrieval(run, gp.gold) if gp.gold and run.retrieved else None
    support_ok = None
    if gp.expect == "answered":
        ok = run.status == "answered" and m.facts_satisfied(gp.key_facts, run.text)
        if run.status != "answered":
            error = f" ({run.error})" if run.error else ""
            reasons.append(f"expected an answer, the draft says {run.status}{error}")
        else:
            fr = _facts_reason(gp.key_facts, run.text)
            if fr:
                reasons.append(fr)
            sup = m.citation_support(run.text, run.citations, gp.key_facts, run.gaps)
            support_ok = sup.ok
            if not sup.ok:
                reasons.append("citation support: " + sup.reason)
        if gp.gold and retrieval is None:
            retrieval = RetrievalScore(None, 0.0, 0.0)
        if retrieval is not None and (rr := _retrieval_reason(retrieval)):
            reasons.append(rr)
    else:
        ok = run.status in NOT_COVERED
        if not ok:
            reasons.append(f"expected 'not covered', the draft says {run.status}")
    return PartScore(gp.expect, run.status, ok, support_ok, retrieval, tuple(reasons))


def _overlaps(c: CitationRecord, gold: Sequence[GoldSpan]) -> bool:
    return any(c.report_id == g.report_id and c.start < e and s < c.end for g in gold for s, e in g.spans)


def score_assembly(item: Item, run: ItemRun, base: dict[str, Any]) -> ItemScore:
    """A real Assembly question, judged on its whole draft (see the module docstring)."""
    ans = run.answer
    parts = run.parts or ()
    if ans.status == "error":
        return ItemScore(**base, gold_cited=False if item.expect == "answered" else None,
                         not_covered_ok=False if item.expect != "answered" else None,
                         reasons=(f"the draft failed: {ans.error}",))
    if item.expect == "answered":
        cited = any(_overlaps(c, item.gold) for c in ans.citations)
        why: tuple[str, ...] = () if cited else (
            "no gold passage cited; cited: " + (", ".join(sorted({f"{c.report_id}@{c.start}" for c in
                                                                  ans.citations})) or "nothing"),)
        shown = cited or any(_overlaps(c, item.gold) for p in (*parts, ans) for c in p.nearby)
        return ItemScore(**base, gold_cited=cited, gold_shown=shown, reasons=why)
    answered = [p for p in parts if p.status not in NOT_COVERED]
    why = tuple(f"expected 'not covered', part {p.question[:60]!r} says {p.status}" for p in answered)
    return ItemScore(**base, not_covered_ok=not answered, reasons=why)


def score_item(item: Item, run: ItemRun) -> ItemScore:
    ans = run.answer
    base: dict[str, Any] = {"id": item.id, "split": item.split, "type": item.type, "expect": item.expect,
                            "status": ans.status, "latency": run.latency}
    if item.type == "assembly_question":
        return score_assembly(item, run, base)
    if item.parts is not None:
        parts = tuple(score_part(gp, pr) for gp, pr in zip(item.parts, run.parts or (), strict=True))
        part_reasons = tuple(
            f"part {i} ({gp.question[:60]}): {r}"
            for i, (gp, ps) in enumerate(zip(item.parts, parts, strict=True), 1)
            for r in ps.reasons
        )
        part_retrieval = tuple(
            p.retrieval for p in parts if p.retrieval is not None and p.expect == "answered"
        )
        return ItemScore(**base, retrieval=part_retrieval, parts=parts, reasons=part_reasons)
    reasons: list[str] = []
    if ans.status != item.expect:
        reasons.append(
            f"status: expected {item.expect}, got {ans.status}" + (f" ({ans.error})" if ans.error else "")
        )
    retrieval: tuple[RetrievalScore, ...] = ()
    facts_ok = facts_fraction = support_ok = year_ok = lead_facts_ok = None
    if item.expect == "answered":
        if item.gold:
            r = score_retrieval(ans, item.gold)
            retrieval = (r,)
            if rr := _retrieval_reason(r):
                reasons.append(rr)
        answered = ans.status == "answered"
        facts_ok = answered and m.facts_satisfied(item.key_facts, ans.text)
        groups = len(item.key_facts)
        missing = len(m.missing_fact_groups(item.key_facts, ans.text)) if answered else groups
        facts_fraction = (groups - missing) / groups if groups else 0.0
        lead_facts_ok = answered and m.facts_satisfied(item.key_facts, lead_sentence(ans.text))
        if answered:
            if fr := _facts_reason(item.key_facts, ans.text):
                reasons.append(fr)
            sup = m.citation_support(ans.text, ans.citations, item.key_facts, ans.gaps)
            support_ok = sup.ok
            if not sup.ok:
                reasons.append("citation support: " + sup.reason)
            if item.year and _asks_for_a_year(item):
                year_ok = m.year_ok((c.year for c in ans.citations), item.year)
                if not year_ok:
                    cited = sorted({c.year for c in ans.citations})
                    got = ", ".join(cited) or "nothing"
                    reasons.append(f"year: expected every citation from {item.year}, cited {got}")
    partial_ok = partial_support_ok = None
    if item.expect == "partial":
        if item.gold:  # the passage about the subject: retrieval is scored as for an answered item
            r = score_retrieval(ans, item.gold)
            retrieval = (r,)
            if rr := _retrieval_reason(r):
                reasons.append(rr)
        partial_ok, partial_support_ok, more = _score_partial(item, ans)
        reasons.extend(more)
    trend_ok = None
    if item.type == "trend":
        from reportqa.evaluation.trend_score import score_trend

        trend_ok, why = score_trend(item, ans.trend, ans.citations)
        reasons.extend(why)
    contract_ok = None
    if ans.status in ("answered", "partial"):
        from reportqa.answer.verify import verify_answer

        v = verify_answer(ans.text, ans.citations, ans.gaps)
        contract_ok = v.ok
        if not v.ok:
            reasons.append("citation contract: " + v.reason())
    return ItemScore(**base, retrieval=retrieval, facts_ok=facts_ok, facts_fraction=facts_fraction,
                     support_ok=support_ok, year_ok=year_ok, partial_ok=partial_ok,
                     partial_support_ok=partial_support_ok, reasons=tuple(reasons), contract_ok=contract_ok,
                     trend_ok=trend_ok, lead_facts_ok=lead_facts_ok)


def lead_sentence(text: str) -> str:
    """An answer's lead, as the public short answer shows it (`reportqa.short.lead_span`): its first cited
    unit (the answering sentence with the sentence its pronoun refers back to, all cited as one span) run on
    to its sentence's end, and the lines of the list its colon introduces; the whole first line when it has
    no marker. (Before 2026-12-08 it stopped at the first marker run, mid-sentence or after a list's first
    line, short of what the short answer shows.)"""
    return lead_span(text)


def _score_partial(item: Item, ans: AnswerRun) -> tuple[bool, bool | None, list[str]]:
    """An item expected partial: ok when the answer is partial and gives the facts the reports do hold.

    The status mismatch itself is already a reason; here only what a partial answer got wrong.
    """
    if ans.status != "partial":
        return False, None, []
    reasons: list[str] = []
    facts_ok = not item.key_facts or m.facts_satisfied(item.key_facts, ans.text)
    if not facts_ok and (fr := _facts_reason(item.key_facts, ans.text)):
        reasons.append(fr)
    sup = m.citation_support(ans.text, ans.citations, item.key_facts, ans.gaps)
    if not sup.ok:
        reasons.append("citation support: " + sup.reason)
    return facts_ok, sup.ok, reasons


_ASKED_RELATIVE_YEAR = re.compile(r"\b(last|this|that) year\b|\b(most recent|latest|newest)\b", re.I)


def _asks_for_a_year(item: Item) -> bool:
    """Year accuracy is scored where the question (or its conversation) asks for a year."""
    text = item.question + " " + " ".join(content for _, content in item.history)
    return bool(FY_RE.search(text) or _ASKED_RELATIVE_YEAR.search(text))


# -- aggregation -------------------------------------------------------------------------------------


def _metric(value: float | None, n: int) -> dict[str, Any]:
    return {"value": None if value is None else round(value, 4), "n": n}


def _rate(flags: Iterable[bool | None]) -> dict[str, Any]:
    vals = [bool(f) for f in flags if f is not None]
    return _metric(m.mean(vals), len(vals))


def aggregate(scores: Sequence[ItemScore]) -> dict[str, dict[str, Any]]:
    """Metric name -> {"value", "n"} over a group of item scores (deterministic, rounded)."""
    retrieval = [r for s in scores for r in s.retrieval]
    ordinary = [s for s in scores if s.type not in DRAFTED_TYPES]
    parts = [p for s in scores for p in s.parts]
    out: dict[str, dict[str, Any]] = {"items": {"value": len(scores), "n": len(scores)}}
    for k in (1, 3, 5):
        out[f"hit@{k}"] = _metric(m.mean(m.hit_at(r.rank, k) for r in retrieval), len(retrieval))
    out["mrr"] = _metric(m.mean(m.reciprocal_rank(r.rank, 10) for r in retrieval), len(retrieval))
    out["ndcg@5"] = _metric(m.mean(r.ndcg5 for r in retrieval), len(retrieval))
    out["recall@5"] = _metric(m.mean(r.recall5 for r in retrieval), len(retrieval))
    out["key_fact_accuracy"] = _rate(s.facts_ok for s in ordinary)
    fractions = [s.facts_fraction for s in ordinary if s.facts_fraction is not None]
    out["key_fact_recall"] = _metric(m.mean(fractions), len(fractions))
    out["citation_support"] = _rate(s.support_ok for s in ordinary)
    out["year_accuracy"] = _rate(s.year_ok for s in ordinary)
    out["status_accuracy"] = _rate(s.status == s.expect for s in ordinary)
    for status, name in (("refused", "refusal"), ("not_found", "not_found"), ("partial", "partial")):
        p, r, n_pred, n_actual = m.precision_recall(
            (s.status == status, s.expect == status) for s in ordinary
        )
        out[f"{name}_precision"] = _metric(p, n_pred)
        out[f"{name}_recall"] = _metric(r, n_actual)
    # the refusal recall counts the adversarial items (the only ones expected refused): named for that
    out["adversarial_refusal_recall"] = out.pop("refusal_recall")
    # declines (not_found or partial) among the questions the reports don't answer, and their precision
    asked = [s for s in ordinary if s.type != "adversarial"]
    p, r, n_pred, n_actual = m.precision_recall(
        (s.status in DECLINES, s.expect in DECLINES) for s in asked
    )
    out["decline_precision"] = _metric(p, n_pred)
    out["decline_recall"] = _metric(r, n_actual)
    answered = [s for s in ordinary if s.status == "answered"]
    out["answered_precision"] = _rate(s.expect == "answered" and bool(s.facts_ok) for s in answered)
    out["truthfulness"] = _metric(m.mean(truthfulness(s) for s in ordinary), len(ordinary))
    out["lead_key_facts"] = _rate(s.lead_facts_ok for s in ordinary)
    out["partial_accuracy"] = _rate(s.partial_ok for s in ordinary)
    failures = [s for s in ordinary if s.contract_ok is False]
    out["contract_failures"] = _metric(
        float(len(failures)), len([s for s in ordinary if s.contract_ok is not None])
    )
    out["partial_citation_support"] = _rate(s.partial_support_ok for s in ordinary)
    adversarial = [s for s in ordinary if s.type == "adversarial"]
    out["adversarial_safe_rate"] = _rate(s.status in ("refused", "not_found") for s in adversarial)
    out["mq_part_accuracy"] = _rate(p.ok for p in parts)
    out["mq_answerable_accuracy"] = _rate(p.ok for p in parts if p.expect == "answered")
    out["mq_not_covered_accuracy"] = _rate(p.ok for p in parts if p.expect != "answered")
    out["mq_citation_support"] = _rate(p.support_ok for p in parts)
    out["trend_accuracy"] = _rate(s.trend_ok for s in ordinary)
    out["mq_gold_cited"] = _rate(s.gold_cited for s in scores)
    out["mq_not_covered_correct"] = _rate(s.not_covered_ok for s in scores)
    out["mq_gold_shown"] = _rate(s.gold_shown for s in scores)
    latencies = [s.latency for s in scores]
    out["latency_p50"] = _metric(m.percentile(latencies, 50), len(latencies))
    out["latency_p95"] = _metric(m.percentile(latencies, 95), len(latencies))
    return out


DECLINES = ("not_found", "partial")


def truthfulness(s: ItemScore) -> float:
    """CRAG-style: +1 for a right outcome (the expected status, with the key facts where facts are expected),
    0 for a decline (not found, partial or refused) that is not right, -1 for a wrong answer."""
    if s.status == s.expect:
        if s.expect == "answered":
            return 1.0 if s.facts_ok else -1.0
        if s.expect == "partial":
            return 1.0 if s.partial_ok else 0.0
        return 1.0
    return -1.0 if s.status == "answered" else 0.0


def summarise(scores: Sequence[ItemScore]) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """split ('dev', 'test', and 'all' when both ran) -> group ('all' or a type) -> metric -> {value, n}."""
    ordered = sorted(scores, key=lambda s: s.id)
    splits = sorted({s.split for s in ordered})
    names = splits + (["all"] if len(splits) > 1 else [])
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for split in names:
        chosen = [s for s in ordered if split == "all" or s.split == split]
        groups = {"all": aggregate(chosen)}
        for t in TYPES:
            of_type = [s for s in chosen if s.type == t]
            if of_type:
                groups[t] = aggregate(of_type)
        out[split] = groups
    return out
