"""Figures across the years (issue 14): real measures traced through the reports in corpus/, every value
checked against the report texts; the lexicon's examples; trend questions through `ask`; the eval grader."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reportqa.answer.verify import check_citation_quote, verify_answer
from reportqa.figures import (
    basis_of,
    figures_in,
    lexicon,
    parse,
    period_of,
    trend_question,
)
from reportqa.types import Trend, TrendRow

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
YEARS = ["2014-15", "2015-16", "2022-23", "2023-24"]


def source(report_id: str) -> str:
    return (CORPUS / f"{report_id}.txt").read_text(encoding="utf-8")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def rows(t: Trend) -> dict[str, TrendRow]:
    return {r.year: r for r in t.rows}


def check_row(row: TrendRow, figure: str) -> None:
    """The row states `figure`, and cites a quote that is exact report text holding it."""
    assert row.figure == figure, (row.year, row.figure)
    assert row.citation is not None and row.citation.year == row.year
    assert check_citation_quote(source(row.citation.report_id), row.citation)
    assert figure in squash(row.citation.quote)
    assert verify_answer(f"{row.figure} [{row.citation.marker}]", [row.citation]).ok


# -- the lexicon: every example in measures.toml ------------------------------------------------------------


def test_lexicon_parses_and_has_examples() -> None:
    lex = lexicon()
    assert lex.periods and lex.bases and lex.detect
    assert -5 < lex.min_score < 5


@pytest.mark.parametrize("question", lexicon().detect_must)
def test_trend_question_detected(question: str) -> None:
    assert trend_question(question, YEARS) is not None, question


@pytest.mark.parametrize("question", lexicon().detect_must_not)
def test_not_a_trend_question(question: str) -> None:
    assert trend_question(question, YEARS) is None, question


PERIOD_EXAMPLES = [(k.name, s, True) for k in lexicon().periods for s in k.must] + [
    (k.name, s, False) for k in lexicon().periods for s in k.must_not
]


@pytest.mark.parametrize(("name", "text", "must"), PERIOD_EXAMPLES)
def test_period_examples(name: str, text: str, must: bool) -> None:
    kind = next(k for k in lexicon().periods if k.name == name)
    from reportqa.answer.features import fold

    assert any(p.search(fold(text)) for p in kind.patterns) is must, (name, text)


BASIS_EXAMPLES = [(k.name, s, True) for k in lexicon().bases for s in k.must] + [
    (k.name, s, False) for k in lexicon().bases for s in k.must_not
]


@pytest.mark.parametrize(("name", "text", "must"), BASIS_EXAMPLES)
def test_basis_examples(name: str, text: str, must: bool) -> None:
    kind = next(k for k in lexicon().bases if k.name == name)
    if kind.local:  # read around a figure: some figure of the example is (or none is) of this basis
        found = [basis_of(text, f).name for f in figures_in(text)]
        assert (name in found) is must, (name, text, found)
    else:
        from reportqa.answer.features import fold

        assert any(p.search(fold(text)) for p in kind.patterns) is must, (name, text)


def test_a_bad_lexicon_fails_loudly() -> None:
    from reportqa.figures import MeasuresError

    with pytest.raises(MeasuresError):
        parse("[select]\nmin_score = 'x'")
    with pytest.raises(MeasuresError):
        parse("not toml [")


# -- reading a sentence -------------------------------------------------------------------------------------


def test_figures_read_unit_counts_and_period() -> None:
    text = "In 2015/16 our ICVs made 1400 visits, seeing over 7000 detainees."
    figs = figures_in(text)
    assert [(f.text, f.unit, f.counts, f.qualifier) for f in figs] == [
        ("1400", "visits", "visits", ""),
        ("7000", "detainees", "detainees", "over"),
    ]
    assert period_of(text).kind == "financial_year"
    money = figures_in("MOPAC has sold 59 old and underutilised police buildings, raising £294m.")
    assert [(f.text, f.kind) for f in money] == [("59", "count"), ("£294m", "money")]
    assert money[1].value == 294e6
    pct = figures_in("ONS data (year ending June 2023) shows public MPS confidence (51 per cent) was higher")
    assert pct[0].text == "51 per cent" and pct[0].unit == "%" and pct[0].counts == "public MPS confidence"
    # years, days of a month, quarter numbers and names are not figures
    assert figures_in("At the end of Q4 2022/23, on 31 March 2015, the MOPAC 7 and Section 136") == []


# -- the four measures the issue asks for -------------------------------------------------------------------


def test_body_worn_cameras_definition_change_is_flagged(assistant: Any) -> None:
    """2014-15: 'the rollout of 20,000 body worn video cameras' (planned); 2015-16: '22,000 body-worn video
    cameras are being rolled out'. The second is flagged as counting something else."""
    t = assistant.trend("body worn video cameras")
    r = rows(t)
    check_row(r["2014-15"], "20,000")
    check_row(r["2015-16"], "22,000")
    assert "20,000 body worn video cameras" in squash(source("mopac-2014-15"))
    assert "22,000 body-worn video cameras are being rolled out" in squash(source("mopac-2015-16"))
    assert r["2014-15"].basis == "planned" and r["2015-16"].basis == "being_rolled_out"
    assert r["2014-15"].comparable
    assert not r["2015-16"].comparable
    assert "planned" in r["2015-16"].reason and "being rolled out" in r["2015-16"].reason
    assert r["2022-23"].figure is None and r["2023-24"].figure is None  # never filled in


def test_officer_numbers_across_two_plan_eras(assistant: Any) -> None:
    """2013-16 plan: the target headcount of 32,000 officers (2014-15) and around 32,000 (2015-16);
    2022-25 plan: 34,503 officers at the end of Q4 2022/23 (a headcount, so flagged against the target)."""
    t = assistant.trend("officer numbers")
    r = rows(t)
    check_row(r["2014-15"], "32,000")
    check_row(r["2015-16"], "32,000")
    check_row(r["2022-23"], "34,503")
    plans = {
        row.year: next(x.plan for x in assistant.reports if x.year == row.year) for row in t.with_figures
    }
    assert set(plans.values()) == {"2013-16", "2022-25"}
    assert r["2014-15"].basis == "target"
    assert r["2022-23"].basis == "headcount" and r["2022-23"].period_kind == "point_in_time"
    assert not r["2022-23"].comparable
    assert "target" in r["2022-23"].reason and "headcount" in r["2022-23"].reason
    assert r["2023-24"].figure is None


def test_custody_visits_three_years(assistant: Any) -> None:
    """1400 visits in 2015/16, 645 in the 2022/3 financial year, 508 in 2023-24: all financial years of
    visits, so comparable; the 2014-15 summary gives none."""
    t = assistant.trend("custody visits by ICVs")
    r = rows(t)
    check_row(r["2015-16"], "1400")
    check_row(r["2022-23"], "645")
    check_row(r["2023-24"], "508")
    assert all(x.unit == "visits" and x.period_kind == "financial_year" for x in t.with_figures)
    assert all(x.comparable for x in t.rows)
    assert r["2014-15"].figure is None and r["2014-15"].citation is None
    assert [x.year for x in t.rows] == YEARS


def test_a_measure_only_one_report_gives(assistant: Any) -> None:
    """5036 Volunteer Police Cadets: only the 2015-16 report; every other year says it has no figure."""
    t = assistant.trend("Volunteer Police Cadets")
    assert [x.year for x in t.with_figures] == ["2015-16"]
    check_row(rows(t)["2015-16"], "5036")
    assert "5036 Volunteer Police Cadets" in source("mopac-2015-16")
    for row in t.rows:
        if row.year != "2015-16":
            assert row.figure is None and row.value is None and row.citation is None


def test_years_restrict_the_trace(assistant: Any) -> None:
    t = assistant.trend("custody visits by ICVs", years=["2022/23", "2023-24"])
    assert [x.year for x in t.rows] == ["2022-23", "2023-24"]


# -- a trend question through ask ---------------------------------------------------------------------------


def test_ask_answers_a_trend_question_with_the_trend(assistant: Any) -> None:
    ans = assistant.ask("How has the number of custody visits by ICVs changed over the years?")
    assert ans.status == "answered" and ans.trend is not None
    assert verify_answer(ans.text, ans.citations).ok
    for year, figure in (("2015-16", "1400"), ("2022-23", "645"), ("2023-24", "508")):
        line = next(x for x in ans.text.splitlines() if x.startswith(f"- {year}:"))
        assert figure in line
    assert "- 2014-15: no figure in this report" in ans.text
    for c in ans.citations:
        assert check_citation_quote(source(c.report_id), c)
    assert ans.to_json()["trend"]["measure"]


def test_ask_shows_the_flags(assistant: Any) -> None:
    ans = assistant.ask("Body-worn video cameras over the years")
    assert ans.trend is not None
    assert "not comparable" in ans.text and "being rolled out" in ans.text
    assert verify_answer(ans.text, ans.citations).ok


def test_ask_compare_two_named_years(assistant: Any) -> None:
    ans = assistant.ask("Compare the number of custody visits made by ICVs in 2015/16 with 2023/24.")
    assert ans.trend is not None
    assert [r.year for r in ans.trend.rows] == ["2015-16", "2023-24"]
    assert "1400" in ans.text and "508" in ans.text


def test_ask_leaves_other_questions_alone(assistant: Any) -> None:
    ans = assistant.ask("How many custody visits did ICVs make in 2023-24?")
    assert ans.trend is None
    ans = assistant.ask("How has public confidence in London changed since 2008, per the 2015-16 report?")
    assert ans.trend is None
    ans = assistant.ask("How has the number of custody visits changed over the years?", year="2023-24")
    assert ans.trend is None  # a year chosen: one report


# -- the eval grader ----------------------------------------------------------------------------------------


def test_trend_grader(assistant: Any) -> None:
    from reportqa.evaluation.dataset import GoldSpan
    from reportqa.evaluation.runner import trend_lines
    from reportqa.evaluation.trend_score import score_trend

    class Item:
        key_facts = (("1400", "1,400"), ("645",), ("508",))
        gold = (
            GoldSpan("mopac-2015-16", "x", ((0, 1),)),
            GoldSpan("mopac-2022-23", "x", ((0, 1),)),
            GoldSpan("mopac-2023-24", "x", ((0, 1),)),
        )

    ans = assistant.ask("How has the number of custody visits by ICVs changed over the years?")
    assert ans.trend is not None
    rows = trend_lines(ans.trend)  # the rows as the eval records them, read off `Answer.trend`
    assert [(r.year, r.report_id) for r in rows] == [(r.year, r.report_id) for r in ans.trend.rows]
    # each row with a figure states what its table line says after the year, with its citation's marker
    assert all(f"- {r.year}: {r.statement}" in ans.text.split("\n") for r in rows if r.marker is not None)
    ok, why = score_trend(Item(), rows, ans.citations)
    assert ok, why

    class Fewer(Item):
        key_facts = (("1400",), ("645",))
        gold = Item.gold[:2]

    ok, why = score_trend(Fewer(), rows, ans.citations)
    assert not ok and any("2023-24" in w for w in why)  # a figure the item does not expect: filled in
    ok, why = score_trend(Item(), trend_lines(None), ans.citations)  # an answer without a trend
    assert not ok and why == ["trend: the answer has no table of years"]


# -- where it appears: the API's answer and the CLI ---------------------------------------------------------


def test_api_answer_has_the_trend(assistant: Any) -> None:
    from reportqa.web.api import answer_json

    ans = assistant.ask("How has the number of custody visits by ICVs changed over the years?")
    body = answer_json(ans, assistant, "http://127.0.0.1:1")
    trend = body["trend"]
    assert trend is not None and [r["year"] for r in trend["rows"]] == YEARS
    by_year = {r["year"]: r for r in trend["rows"]}
    assert by_year["2014-15"]["figure"] is None and by_year["2014-15"]["marker"] is None
    assert by_year["2023-24"]["figure"] == "508" and by_year["2023-24"]["value"] == 508.0
    markers = {c["marker"] for c in body["citations"]}
    assert all(r["marker"] in markers for r in trend["rows"] if r["figure"] is not None)
    plain = answer_json(assistant.ask("How many custody visits did ICVs make in 2023-24?"), assistant, "x")
    assert plain["trend"] is None


def test_cli_trend(index_config: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from reportqa.cli import main

    idx = str(index_config.index_dir)
    assert main(["--index", idx, "trend", "Volunteer Police Cadets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["figure"] for r in data["rows"]] == [None, "5036", None, None]
    assert main(["--index", idx, "trend", "body worn video cameras"]) == 0
    out = capsys.readouterr().out
    assert (
        "20,000" in out and "22,000" in out and "Not comparable" in out and "no figure in this report" in out
    )
    assert main(["--index", idx, "trend", "custody visits", "--year", "2019-20"]) == 2
    assert "no annual report for 2019-20" in capsys.readouterr().err


def test_mq_draft_uses_the_trend_for_a_part_that_asks_how_something_changed(assistant: Any) -> None:
    draft = assistant.draft_mq(
        "Independent custody visiting\n\nWill the Mayor set out (a) how the number of custody visits made by "
        "ICVs has changed over the years, and (b) what the ICV scheme is?"
    )
    first = draft.parts[0]
    assert first.status == "answered"
    for figure in ("1400", "645", "508"):
        assert figure in first.text
    assert "- 2014-15: no figure in this report" in first.text


MEASURE_KIND_EXAMPLES = [(k.name, s, True) for k in lexicon().measure_kinds for s in k.must] + [
    (k.name, s, False) for k in lexicon().measure_kinds for s in k.must_not
]


@pytest.mark.parametrize(("name", "measure", "must"), MEASURE_KIND_EXAMPLES)
def test_measure_kind_examples(name: str, measure: str, must: bool) -> None:
    from reportqa.figures import measure_kind

    assert (measure_kind(measure) == name) is must, (name, measure, measure_kind(measure))


def test_a_budget_trend_takes_only_sums_of_money(assistant: Any) -> None:
    t = assistant.trend("Metropolitan Police budget")
    # 2015-16's best sentence is about officer numbers "at a time of budget reductions": no count stands in
    assert all(r.figure is None or r.unit == "£" for r in t.rows)
    newest = rows(t)["2023-24"].figure
    assert newest is not None and "4.4bn" in newest
