#!/usr/bin/env python3
"""Chooses the trend threshold (lexicon/measures.toml [select] min_score) on the dev split's trend questions.

For every dev trend question and every annual report, the best figure the trace finds (whatever its score)
is compared with the item: a report the item lists must give one of its figures; any other report must give
none. A threshold gets a report right when the figure scores at or above it and is right, or scores below it
and the item lists no figure for that report. The threshold chosen is the middle of the widest range that
gets the most reports right. The test split is never read.

    .venv/bin/python scripts/fit_trend.py            # print the per-report scores and the best threshold
    .venv/bin/python scripts/fit_trend.py --write    # also write it into measures.toml
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from reportqa.config import Config, offline_environment
from reportqa.evaluation import metrics as m
from reportqa.evaluation.dataset import corpus_texts, load_dataset
from reportqa.figures import lexicon, trend_question
from reportqa.service import Assistant
from reportqa.trend import annual_reports, options, rank

ROOT = Path(__file__).resolve().parents[1]
TOML = ROOT / "src" / "reportqa" / "lexicon" / "measures.toml"


def _best_cut(points: list[tuple[float, bool, bool]]) -> tuple[int, float]:
    """The threshold that gets most report-years right, and how many: the middle of the widest range of
    equally good cuts. A report-year is right when its figure ranks at or above the threshold and is right,
    or below it and no figure was expected."""
    scores = sorted({p[0] for p in points if p[0] != float("-inf")})
    if not scores:
        return sum(1 for p in points if not p[2]), 0.0
    cuts = (
        [scores[0] - 1.0]
        + [(a + b) / 2 for a, b in zip(scores, scores[1:], strict=False)]
        + [scores[-1] + 1.0]
    )

    def correct(t: float) -> int:
        return sum(1 for s, ok, exp in points if (s >= t and ok) or (s < t and not exp))

    best = max(correct(t) for t in cuts)
    idx = [i for i, t in enumerate(cuts) if correct(t) == best]
    runs: list[list[int]] = [[idx[0]]]
    for i in idx[1:]:
        if i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    run = max(runs, key=lambda r: (cuts[r[-1]] - cuts[r[0]] if len(r) > 1 else 0.0, len(r)))
    lo, hi = cuts[run[0]], cuts[run[-1]]
    if len(run) == 1:  # one cut: halfway between the scores either side of it
        return best, round(cuts[run[0]], 2)
    return best, round((lo + hi) / 2, 2)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    ap.add_argument("--write", action="store_true", help="write the chosen min_score into measures.toml")
    args = ap.parse_args(argv)
    offline_environment()
    config = Config.load()
    ds = load_dataset(Path(args.questions), corpus_texts(config.corpus_dir))
    items = [i for i in ds.items if i.type == "trend" and i.split == "dev"]
    assistant = Assistant.open(config)
    lex = lexicon()
    reports = annual_reports(assistant.reports)
    # for every dev item and report: its figures (as options) and the figure expected (None: no figure)
    cases = []
    for item in items:
        tq = trend_question(item.question, [r.year for r in reports])
        if tq is None:
            print(f"{item.id}: not read as a trend question: {item.question!r}")
            continue
        expected = {g.report_id: group for g, group in zip(item.gold, item.key_facts, strict=False)}
        for r in reports:
            if tq.years and r.year not in tq.years:
                continue
            found, _ = options(assistant, tq.measure, r.year)
            cases.append((f"{item.id} {r.year}", found, expected.get(r.id)))

    def right(fig: str, group: tuple[str, ...] | None) -> bool:
        return group is not None and any(m.fact_present(a, m.normalise_fact_text(fig)) for a in group)

    best_total, chosen, weight_chosen = -1, 0.0, 1.0
    for weight in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0):
        points = []
        for _, found, group in cases:
            if not found:
                points.append((float("-inf"), False, group is not None))
                continue
            top = max(found, key=lambda c: (rank(c, weight, lex.change_penalty), -found.index(c)))
            points.append(
                (rank(top, weight, lex.change_penalty), right(top.figure.text, group), group is not None)
            )
        n, t = _best_cut(points)
        print(f"phrase_weight {weight}: {n}/{len(points)} dev report-years right at min_score {t}")
        if n > best_total:
            best_total, chosen, weight_chosen = n, t, weight
    for name, found, group in cases:
        if not found:
            print(f"  {name}: no figure at all; expected {group}")
            continue
        top = max(found, key=lambda c: (rank(c, weight_chosen, lex.change_penalty), -found.index(c)))
        score = rank(top, weight_chosen, lex.change_penalty)
        ok = (score >= chosen and right(top.figure.text, group)) or (score < chosen and group is None)
        print(f"  {name}: {score:7.3f} {top.figure.shown!r:18} {'ok ' if ok else 'BAD'} expected={group}")
    print(
        f"\n{best_total}/{len(cases)} dev report-years right: "
        f"phrase_weight = {weight_chosen}, min_score = {chosen}"
    )
    if args.write:
        text = TOML.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^min_score = .*$", f"min_score = {chosen}", text, count=1)
        text = re.sub(r"(?m)^phrase_weight = .*$", f"phrase_weight = {weight_chosen}", text, count=1)
        TOML.write_text(text, encoding="utf-8")
        print(f"wrote min_score = {chosen}, phrase_weight = {weight_chosen} to {TOML.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
