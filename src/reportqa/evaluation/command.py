"""`reportqa eval`: score the assistant on the question set, explain failures, gate on the baseline.

Exit codes: 0 passed (or baseline written), 3 a gated metric fell below the baseline by more than its
tolerance, 2 bad input (including a missing baseline, after the scores are shown), others as usual.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from reportqa.config import Config
from reportqa.errors import InputError
from reportqa.evaluation.dataset import Dataset, Item, corpus_texts, fingerprint, load_datasets
from reportqa.evaluation.gate import (
    GateResult,
    compare,
    load_baseline,
    missing_baseline_message,
    new_baseline,
    write_baseline,
)
from reportqa.evaluation.ragas_runner import JudgeConfig, RagasResult, run_ragas, samples_from
from reportqa.evaluation.report import gate_lines, item_records, markdown_report, summary_tables
from reportqa.evaluation.runner import ItemRun, run_items
from reportqa.evaluation.scoring import ItemScore, score_item, summarise

if TYPE_CHECKING:
    from reportqa.service import Assistant

log = logging.getLogger(__name__)

EXIT_REGRESSION = 3
# our curated questions, then real Assembly questions (drafted whole; see evaluation.scoring)
DEFAULT_QUESTIONS = (Path("eval/questions.jsonl"), Path("eval/assembly_questions.jsonl"))
DEFAULT_BASELINE = Path("eval/baseline.json")


class Progress:
    """Progress on stderr: a rich bar with the count and ETA on a terminal (reportqa.progress), a line per
    10% otherwise."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self._last_decile = -1
        self._bar: Any = None
        self._advance: Any = None
        self._done = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        elapsed = time.perf_counter() - self.t0
        if self.tty:
            from reportqa.progress import BarProgress

            if self._bar is None:
                self._bar = BarProgress(self.stream).stage("eval", total)
                self._advance = self._bar.__enter__()
            self._advance(done - self._done)
            self._done = done
            if done == total:
                self._bar.__exit__(None, None, None)
            return
        decile = done * 10 // max(total, 1)
        if decile != self._last_decile or done == total:
            self._last_decile = decile
            self.stream.write(
                f"eval: {done}/{total} items ({done * 100 // max(total, 1)}%), {elapsed:.1f}s\n"
            )
            self.stream.flush()


@dataclass
class EvalResult:
    items: list[Item]
    runs: list[ItemRun]
    scores: list[ItemScore]
    summary: dict[str, Any]
    ragas: RagasResult
    seconds: float
    fingerprints: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def pin_inference_threads(n: int = 1) -> None:
    """One intra-op thread for model inference in this process.

    Scores then do not depend on the machine's core count (float sums keep one order), and one-query
    embeddings stay fast when other processes share the CPU: with torch's default of one thread per
    core, a busy 2-core machine spends ~0.5 s per query spinning instead of ~0.02 s. Queries are encoded by
    onnxruntime on one thread (onnx_embed) and Embedder.embed pins torch itself, so torch is not imported
    for this: only set if something already loaded it.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)


def evaluate(assistant: Assistant, items: Sequence[Item], backend: str | None = None,
             progress: Callable[[int, int, str], None] | None = None,
             judge: JudgeConfig | None = None) -> EvalResult:
    """Run, score and summarise; the same inputs give the same scores (latency aside)."""
    t0 = time.perf_counter()
    ordered = sorted(items, key=lambda i: i.id)
    runs = run_items(assistant, ordered, backend, progress)
    scores = [score_item(i, r) for i, r in zip(ordered, runs, strict=True)]
    summary = summarise(scores)
    embedder = getattr(assistant, "embedder", None) if judge is not None else None
    ragas = run_ragas(samples_from(ordered, runs), judge, embedder)
    splits = sorted({i.split for i in ordered})
    return EvalResult(
        items=ordered,
        runs=runs,
        scores=scores,
        summary=summary,
        ragas=ragas,
        seconds=time.perf_counter() - t0,
        fingerprints={s: fingerprint([i for i in ordered if i.split == s]) for s in splits},
        counts={s: sum(1 for i in ordered if i.split == s) for s in splits},
    )


def _json_record(
    meta: dict[str, Any], result: EvalResult, dataset: Dataset, gate: GateResult | None
) -> dict[str, Any]:
    return {
        "meta": meta,
        "problems": [str(p) for p in dataset.problems],
        "summary": result.summary,
        "ragas": {"summary": result.ragas.summary, "judge": result.ragas.judge, "notes": result.ragas.notes,
                  "scores": result.ragas.scores},
        "gate": None if gate is None else {
            "passed": gate.passed, "notes": gate.notes,
            "checks": [{"split": c.split, "metric": c.metric, "baseline": c.baseline, "current": c.current,
                        "tolerance": c.tolerance, "failed": c.failed} for c in gate.checks],
        },
        "items": item_records(result.items, result.runs, result.scores),
    }


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from reportqa.service import Assistant

    files = [Path(q) for q in (args.questions or DEFAULT_QUESTIONS)]
    questions = files[0]
    baseline_path = Path(args.baseline)
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1", "e.g. --limit 20")
    if args.limit and args.update_baseline:
        raise InputError("--update-baseline with --limit would gate on a subset", "run the whole split")
    if args.questions is None:  # the default slices that exist (a checkout may predate the Assembly slice)
        files = [f for f in files if f == questions or f.is_file()]
    dataset = load_datasets(files, corpus_texts(config.corpus_dir), strict=args.strict)
    for p in dataset.problems:
        print(f"warning: {questions}: {p}", file=sys.stderr)
    items = dataset.select(args.split, args.limit)
    if not items:
        raise InputError(f"{questions}: no items in split {args.split!r}", "use --split dev, test or all")

    gating = not (args.update_baseline or args.no_gate or args.limit)
    # read before the run, so that an unreadable baseline fails fast
    baseline = load_baseline(baseline_path) if gating and baseline_path.is_file() else None

    pin_inference_threads()
    assistant = Assistant.open(config)
    assistant.warm()
    judge = JudgeConfig.from_env()
    result = evaluate(assistant, items, args.backend, None if args.quiet else Progress(), judge)

    notes: list[str] = list(result.ragas.notes)
    gate: GateResult | None = None
    exit_code = 0
    previous: dict[str, Any] | None = None
    if args.update_baseline:
        if baseline_path.is_file():
            previous = load_baseline(baseline_path)
        write_baseline(
            baseline_path, new_baseline(result.summary, result.fingerprints, result.counts, previous)
        )
        notes.append(
            f"baseline written to {baseline_path} (splits: {', '.join(sorted(result.counts))}); commit it"
        )
    elif args.no_gate:
        notes.append("gate skipped (--no-gate)")
    elif args.limit:
        notes.append("gate skipped: --limit scores a subset, which the baseline does not describe")
    elif baseline is None:
        message, hint = missing_baseline_message(baseline_path)
        notes.append(f"{message}; {hint}")
        exit_code = 2
    else:
        gate = compare(result.summary, baseline, result.fingerprints)
        exit_code = 0 if gate.passed else EXIT_REGRESSION

    meta = {"questions": ", ".join(str(f) for f in files), "split": args.split,
            "backend": args.backend or config.backend,
            "items": len(items), "problems": len(dataset.problems), "baseline": str(baseline_path),
            "judge": judge.model if judge else "none"}
    for out in (args.json, args.report):
        if out:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
    if args.json:
        record = _json_record({**meta, "seconds": round(result.seconds, 2)}, result, dataset, gate)
        Path(args.json).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.report:
        Path(args.report).write_text(
            markdown_report(meta, result.summary, result.ragas.summary, gate, dataset.problems, result.items,
                            result.runs, result.scores, notes), encoding="utf-8")

    failed = sum(1 for s in result.scores if s.failed)
    lines = summary_tables(result.summary, result.ragas.summary)
    lines.append(f"{len(items)} items in {result.seconds:.1f}s; {failed} with a failure"
                 + (f" (details: {args.report})" if args.report else " (details: --report FILE)"))
    lines += gate_lines(gate)
    print("\n".join(lines))
    for n in notes:
        print(("error: " if exit_code == 2 else "note: ") + n, file=sys.stderr)
    if gate is not None and not gate.passed:
        worst = ", ".join(f"{c.split} {c.metric} {c.baseline:.3f} -> {c.current:.3f}" for c in gate.failures)
        print(f"error: gated metric(s) fell below the baseline: {worst}", file=sys.stderr)
        print("hint: fix the regression, or accept it deliberately with `reportqa eval --update-baseline`",
              file=sys.stderr)
    return exit_code


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "eval",
        help="score retrieval and answers on the question set; fail on a regression",
        description="Score the assistant on eval/questions.jsonl and compare gated metrics with "
        "eval/baseline.json. Exit 3 when a gated metric falls below the baseline by more than its tolerance.",
    )
    p.add_argument("--questions", nargs="+", metavar="FILE",
                   help="questions file(s), JSONL (default: eval/questions.jsonl and the Assembly slice)")
    p.add_argument("--split", choices=["dev", "test", "all"], default="all")
    p.add_argument("--backend", choices=["extractive", "llm"], help="answerer (default: the configured one)")
    p.add_argument("--baseline", default=str(DEFAULT_BASELINE), help="baseline file the gate compares with")
    p.add_argument("--json", metavar="OUT", help="write every score, answer and citation as JSON")
    p.add_argument("--report", metavar="OUT", help="write a Markdown report listing every failed item")
    p.add_argument("--strict", action="store_true", help="fail on any malformed line or stale gold quote")
    p.add_argument(
        "--update-baseline", action="store_true", help="accept this run's scores as the new baseline"
    )
    p.add_argument("--no-gate", action="store_true", help="show the scores without comparing with a baseline")
    p.add_argument("--limit", type=int, help="only the first N items of the split (no gating)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)
