"""Rendering eval results: the terminal summary, the Markdown report of failures, the JSON record."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from reportqa.evaluation.dataset import Item, Problem
from reportqa.evaluation.gate import GateResult
from reportqa.evaluation.runner import AnswerRun, ItemRun
from reportqa.evaluation.scoring import GATED, ItemScore

# (column title, metric) for the summary tables; "n" is the number of items in the group
COLUMNS = (
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("MRR", "mrr"), ("nDCG@5", "ndcg@5"),
    ("facts", "key_fact_accuracy"), ("support", "citation_support"), ("year", "year_accuracy"),
    ("status", "status_accuracy"), ("answered P", "answered_precision"), ("truth", "truthfulness"),
    ("lead facts", "lead_key_facts"),
    ("safe", "adversarial_safe_rate"), ("MQ parts", "mq_part_accuracy"), ("MQ gold", "mq_gold_cited"),
    ("MQ uncov", "mq_not_covered_correct"), ("p50 s", "latency_p50"),
)
RATES = (
    ("adversarial refusal P/R", "refusal_precision", "adversarial_refusal_recall"),
    ("decline P/R", "decline_precision", "decline_recall"),
    ("not_found P/R", "not_found_precision", "not_found_recall"),
)
RAGAS_COLUMNS = (("ctx recall", "non_llm_context_recall"), ("ctx precision", "non_llm_context_precision"),
                 ("string sim", "string_similarity"), ("ROUGE-L", "rouge_l"), ("presence", "string_presence"),
                 ("faithfulness", "faithfulness"), ("relevancy", "answer_relevancy"))


def _fmt(cell: Mapping[str, Any] | None, seconds: bool = False) -> str:
    if not cell or cell.get("value") is None:
        return "-"
    v = float(cell["value"])
    return f"{v:.2f}" if seconds else f"{v:.3f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(r: Sequence[str]) -> str:
        cells = zip(r, widths, strict=True)
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(cells))

    return [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def summary_tables(
    summary: Mapping[str, Any], ragas: Mapping[str, Any] | None, markdown: bool = False
) -> list[str]:
    out: list[str] = []
    for split, groups in summary.items():
        out += [f"### split: {split}", ""] if markdown else [f"split: {split}"]
        header = ["group", "n", *[c for c, _ in COLUMNS], *[c for c, _, _ in RATES]]
        rows = []
        for group, ms in groups.items():
            row = [group, str(ms["items"]["value"])]
            row += [_fmt(ms.get(metric), metric.startswith("latency")) for _, metric in COLUMNS]
            row += [f"{_fmt(ms.get(p))}/{_fmt(ms.get(r))}" for _, p, r in RATES]
            rows.append(row)
        out += _table(header, rows, markdown)
        rg = (ragas or {}).get(split)
        if rg:
            names = [(t, m) for t, m in RAGAS_COLUMNS if any(m in g for g in rg.values())]
            out.append("")
            title = f"ragas ({split}; no-LLM metrics always, judged ones only with a judge)"
            out += [f"#### {title}", ""] if markdown else [title]
            out += _table(["group", *[t for t, _ in names]],
                          [[g, *[_fmt(ms.get(m)) for _, m in names]] for g, ms in rg.items()], markdown)
        out.append("")
    return out


def gate_lines(gate: GateResult | None, markdown: bool = False) -> list[str]:
    if gate is None:
        return []
    out = [f"{'## ' if markdown else ''}gate: {'PASSED' if gate.passed else 'FAILED'}"]
    out += [""] if markdown else []
    rows = [
        [
            c.split,
            c.metric,
            f"{c.baseline:.3f}",
            "-" if c.current is None else f"{c.current:.3f}",
            "-" if c.delta is None else f"{c.delta:+.3f}",
            f"{c.tolerance:.3f}",
            "FAIL" if c.failed else "ok",
        ]
        for c in gate.checks
    ]
    if rows:
        out += _table(["split", "metric", "baseline", "now", "change", "tolerance", ""], rows, markdown)
    out += [("- " if markdown else "note: ") + n for n in gate.notes]
    return out + [""]


def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width, placeholder=" ...")


def _facts(groups: Sequence[Sequence[str]]) -> str:
    return "; ".join(" / ".join(f"`{a}`" for a in g) for g in groups) or "(none)"


def _answer_md(run: AnswerRun, indent: str = "") -> list[str]:
    out = [f"{indent}- answer ({run.status}):" + (f" error: {run.error}" if run.error else "")]
    body = run.text.strip() or "(empty)"
    out += [f"{indent}  > {line}" if line.strip() else f"{indent}  >" for line in body.split("\n")]
    if run.rewritten_question and run.rewritten_question != run.question:
        out.append(f"{indent}- understood as: {run.rewritten_question}")
    if run.filters:
        out.append(f"{indent}- filters: " + ", ".join(f"{k}={v}" for k, v in run.filters))
    for c in run.citations:
        out.append(f"{indent}- [{c.marker}] {c.report_id} ({c.year}), {c.section}, chars {c.start}-{c.end}: "
                   f"“{_shorten(c.quote, 220)}”")
    if run.retrieved:
        top = ", ".join(f"{r.report_id}@{r.start}-{r.end}" for r in run.retrieved[:5])
        out.append(f"{indent}- top 5 retrieved: {top}")
    return out


def failure_section(items: Sequence[Item], runs: Sequence[ItemRun], scores: Sequence[ItemScore]) -> list[str]:
    by_run = {r.item_id: r for r in runs}
    by_item = {i.id: i for i in items}
    failed = [s for s in sorted(scores, key=lambda s: s.id) if s.failed]
    out = [f"## Failed items ({len(failed)} of {len(scores)})", ""]
    for s in failed:
        item, run = by_item[s.id], by_run[s.id]
        out.append(f"### {s.id} ({s.split}, {s.type}) — expected {s.expect}, got {s.status}")
        out.append("")
        for role, content in item.history:
            out.append(f"- history ({role}): {_shorten(content, 300)}")
        out.append("- question: " + _shorten(item.question, 1200))
        out.append(f"- reference: {item.reference}")
        if item.parts is None:
            out.append(f"- expected facts: {_facts(item.key_facts)}")
            for g in item.gold:
                out.append(f"- gold: {g.report_id} chars {g.start}-{g.end}: “{_shorten(g.quote, 220)}”")
        out += [f"- **{r}**" for r in s.reasons]
        if item.source_url:
            out.append(f"- tabled: {item.source_url}")
        if item.parts is None:
            out += _answer_md(run.answer)
            for j, pr in enumerate(run.parts or (), 1):  # an Assembly question's drafted parts
                out.append(f"- drafted part {j}: {pr.question}")
                out += _answer_md(pr, "  ")
        else:
            for j, (gp, pr, ps) in enumerate(zip(item.parts, run.parts or (), s.parts, strict=False), 1):
                mark = "ok" if ps.ok else "FAILED"
                out.append(
                    f"- part {j} [{mark}]: {gp.question} — expected {gp.expect}, facts {_facts(gp.key_facts)}"
                )
                out += _answer_md(pr, "  ")
        out.append("")
    return out


def markdown_report(meta: Mapping[str, Any], summary: Mapping[str, Any], ragas: Mapping[str, Any] | None,
                    gate: GateResult | None, problems: Sequence[Problem], items: Sequence[Item],
                    runs: Sequence[ItemRun], scores: Sequence[ItemScore], notes: Sequence[str] = ()) -> str:
    out = ["# reportqa eval report", ""]
    out += [f"- {k}: {v}" for k, v in meta.items()]
    out += [f"- gated metrics (per split): {', '.join(GATED)}", ""]
    out += [f"- note: {n}" for n in notes]
    out.append("")
    if problems:
        out += [f"## Problems in the questions file ({len(problems)})", ""]
        out += [f"- {p}" for p in problems] + [""]
    out += gate_lines(gate, markdown=True)
    out += ["## Summary", ""] + summary_tables(summary, ragas, markdown=True)
    out += failure_section(items, runs, scores)
    return "\n".join(out).rstrip() + "\n"


def item_records(
    items: Sequence[Item], runs: Sequence[ItemRun], scores: Sequence[ItemScore]
) -> list[dict[str, Any]]:
    by_run = {r.item_id: r for r in runs}
    by_item = {i.id: i for i in items}
    out = []
    for s in sorted(scores, key=lambda s: s.id):
        rec = asdict(s)
        run = by_run[s.id]
        rec["question"] = by_item[s.id].question
        rec["answer"] = _run_record(run.answer)
        if run.parts is not None:
            rec["part_answers"] = [_run_record(p) for p in run.parts]
        out.append(rec)
    return out


def _run_record(run: AnswerRun) -> dict[str, Any]:
    rec = asdict(run)
    rec["retrieved"] = [{k: v for k, v in r.items() if k != "text"} for r in rec["retrieved"]]
    rec["citations"] = [{k: v for k, v in c.items() if k != "passage"} for c in rec["citations"]]
    rec["filters"] = dict(run.filters)
    return rec
