"""The question read once into a `Query`, and the match decision on the issue's examples (real index)."""

from __future__ import annotations

import pytest

from reportqa.answer.features import fold
from reportqa.answer.match import CANDIDATE_FEATURES, load_match_model
from reportqa.question.query import read_query, words
from reportqa.service import Assistant

# -- the lexicon's examples, run as tests ---------------------------------------------------------------


def _examples(kind: str) -> list[tuple[str, str, str]]:
    qw = words()
    out = []
    for group, entries in (("measure", qw.measures), ("basis", qw.bases), ("present", (qw.present,)),
                           ("realised", (qw.realised,))):
        for e in entries:
            for ex in (e.must if kind == "must" else e.must_not):
                out.append((group, e.name, ex))
    return out


@pytest.mark.parametrize("group, name, example", _examples("must"))
def test_every_must_example_matches_its_entry(group: str, name: str, example: str) -> None:
    q = read_query(example)
    if group == "measure":
        entry = next(e for e in words().measures if e.name == name)
        m = entry.search(fold(example))
        assert m is not None and m.group("m").strip(), example
        assert q.measure, (example, q)
    elif group == "basis":
        assert q.basis == name, (example, q)
    elif group == "realised":
        assert q.realised, (example, q)
    else:
        assert q.current, (example, q)


@pytest.mark.parametrize("group, name, example", _examples("must_not"))
def test_every_must_not_example_is_left_alone(group: str, name: str, example: str) -> None:
    q = read_query(example)
    if group == "measure":
        entry = next(e for e in words().measures if e.name == name)
        assert entry.search(fold(example)) is None, example
    elif group == "basis":
        assert q.basis != name, (example, q)
    elif group == "realised":
        assert not q.realised, (example, q)
    else:
        assert not q.current, (example, q)


def test_generic_measure_words_are_read_from_the_lexicon() -> None:
    # a top-level key: placed after a table in the TOML, it would silently belong to that table
    assert {"people", "londoners"} <= words().generic


def test_a_query_holds_kind_measure_period_and_present() -> None:
    q = read_query("How many police dogs does the Met have now?")
    assert (q.kind, q.measure, q.current, q.basis, q.years) == ("count", "police dogs", True, "actual", ())
    q = read_query("What was the Met's budget in 2015-16?")
    assert q.kind == "money" and q.measure == "Met's budget" and q.years == ("2015-16",)
    q = read_query("According to the 2022-23 annual report, how big is the Metropolitan Police budget?")
    assert q.years == ("2022-23",) and "budget" in q.measure
    q = read_query("What is the number of special constables, not other volunteers?")
    assert q.measure == "special constables" and q.excludes == ("other volunteers",)


def test_a_gap_names_the_measure_never_the_rest_of_the_question() -> None:
    q = read_query("How many tasers does PC Smith keep at home on 07911 123456? Visit evil.example")
    gap = q.gap()
    assert gap == "the number of tasers"
    assert "07911" not in gap and "evil" not in gap
    # topic words that run on into the verb give the name asked about, not the verb
    assert read_query("What did the Shared Endeavour Fund get in 2022-23?").gap() == (
        "the Shared Endeavour Fund for 2022-23")


def test_the_committed_match_model_is_fitted_on_its_features() -> None:
    m = load_match_model()
    assert m.meta.get("fitted") is True and m.meta.get("split") == "dev"
    singles = {k for k in m.weights if "*" not in k}
    pairs = {tuple(k.split("*")) for k in m.weights if "*" in k}
    assert singles == set(CANDIDATE_FEATURES)
    assert all(a in CANDIDATE_FEATURES and b in CANDIDATE_FEATURES for a, b in pairs)
    assert 0.0 < m.threshold < 1.0


# -- the examples of the issue, on the real index --------------------------------------------------------


@pytest.mark.parametrize("question", [
    "How many police dogs does the Met have?",
    "How many Tasers does the Met have?",
    "What's the weather in London?",
])
def test_a_subject_the_reports_do_not_hold_gets_no_figure(assistant: Assistant, question: str) -> None:
    ans = assistant.ask(question)
    assert ans.status in ("not_found", "refused"), ans.text
    assert not ans.citations


def test_another_years_budget_is_not_given_as_the_asked_one(assistant: Assistant) -> None:
    # the 2015-16 report gives the 2012/13 net budget: never answered as if it were 2015-16's, and the answer
    # says which period it gives
    ans = assistant.ask("What was the Met's budget in 2015-16?")
    assert ans.status == "partial", ans.text
    assert ans.text.startswith("The reports do not give the Met's budget for 2015-16.")
    assert "In 2012/13, the MPS net budget stood at £2.6bn" in ans.text
    # the gap is structured: what was asked, and what the reports give instead with its period
    assert ans.missing == "the Met's budget for 2015-16" and ans.given == "£2.6bn (2012-13)"
    # the 2023-24 report gives the £4.4bn agreed for 2024-25
    ans = assistant.ask("What was the Met's budget in 2023-24?")
    assert ans.status == "partial" and ans.missing == "the Met's budget for 2023-24", ans.text
    assert "£4.4bn budget for financial year 2024-25" in ans.text


def test_a_present_day_count_leads_with_the_newest_report_and_reads_its_list(assistant: Assistant) -> None:
    ans = assistant.ask("How many police officers are there in London now?")
    assert ans.status == "answered", ans.text
    assert ans.citations[0].year == "2022-23"
    lead = ans.text.split("\n- ", 2)
    assert "Metropolitan Police Workforce consisted of:" in lead[0] and lead[1].startswith("34,503 Officers")
    assert "32,000" not in ans.text.split("[1]", 1)[0]


def test_the_sentence_that_states_what_was_asked_leads_over_a_newer_reports(assistant: Assistant) -> None:
    # no year is asked, but the asked period is mid-2014 to mid-2015: the 2015-16 report's sentence states it,
    # and leads even though the 2023-24 report's survey sentence on worry about anti-social behaviour is cited
    ans = assistant.ask(
        "How much did recorded anti-social behaviour incidents fall between mid-2014 and mid-2015?")
    assert ans.status == "answered", ans.text
    assert ans.citations[0].year == "2015-16", ans.text
    assert "21%" in ans.text.split("[1]", 1)[0]
    if len({c.year for c in ans.citations}) > 1:
        assert any("leads with the report that states what was asked" in n for n in ans.notes), ans.notes


def test_a_uk_wide_figure_is_never_given_as_londons(assistant: Assistant) -> None:
    # the 2015-16 report gives "339 terrorism-related arrests in the UK in 2015": measure and year fit, the
    # place does not (`match.vetoed`: place_other)
    ans = assistant.ask("How many terrorism-related arrests were made in London in 2015?")
    assert ans.status in ("partial", "not_found"), ans.text
    assert ans.text.startswith("The reports do not give"), ans.text


def test_a_mismatch_rules_a_candidate_out_whatever_its_other_features() -> None:
    from reportqa.answer.match import VETO_FEATURES, vetoed

    base = dict.fromkeys(CANDIDATE_FEATURES, 1.0) | dict.fromkeys(VETO_FEATURES, 0.0)
    assert not vetoed(base)
    for k in VETO_FEATURES:
        assert vetoed(base | {k: 1.0}), k
    assert set(VETO_FEATURES) <= set(CANDIDATE_FEATURES)


def test_a_list_a_colon_introduces_is_read_whole_across_passages(assistant: Assistant) -> None:
    ans = assistant.ask("Which of the proposals drafted with Harriet Harman did the Home Office adopt?")
    assert ans.status == "answered", ans.text
    for item in ("automatically suspending police officers", "creating statutory officer requirements",
                 "Chief Constable appeal rights", "discharging probationers", "unsatisfactory performance"):
        assert item in ans.text, item


def test_the_confidence_trend_takes_the_reports_confidence_not_its_improvement_target(
    assistant: Assistant,
) -> None:
    # the 2015-16 report states both its 20% improvement target and 63% confidence: the trend takes the latter
    ans = assistant.ask("How has public confidence in the Met changed over the years?")
    row = next(line for line in ans.text.split("\n") if line.startswith("- 2015-16:"))
    assert "63%" in row and "20%" not in row, row


def test_the_predicate_is_what_the_question_says_of_its_measure() -> None:
    q = read_query("How many GPS-tagged offenders were sent back to prison during 2023-24?")
    assert q.measure == "GPS-tagged offenders" and q.measure_read
    assert q.predicate.startswith("were sent back to prison")
    q = read_query("How many of its recommendations have been closed?")
    assert q.measure == "recommendations" and q.predicate == "have been closed"
    # two asks: the predicate ends where the second begins
    q = read_query("How many enquiries came in and how many were accepted?")
    assert q.measure == "enquiries" and "accepted" not in q.predicate


def test_topic_words_are_not_a_measure_read_and_how_often_is_no_count() -> None:
    q = read_query("Who did the Mayor pick to chair the London Drugs Commission?")
    assert not q.measure_read and q.predicate == ""
    q = read_query("How often do the stop and search community monitoring groups meet?")
    assert q.kind != "count" and q.measure == ""
    q = read_query("How big was the cost of living fund for VAWG services announced in 2022/23?")
    assert q.kind == "money" and q.measure == "cost of living fund"


def test_what_a_figure_counts_is_read_widely_for_the_match() -> None:
    from reportqa.figures import counted, figures_in

    def read(text: str) -> list[str | None]:
        return [counted(text, f) for f in figures_in(text)]

    assert read("MOPAC answered 4,825 pieces of correspondence and 53 Freedom of Information requests.") == [
        "pieces of correspondence", "Freedom of Information requests"]
    assert read("MOPAC has sold 59 old and underutilised police buildings.") == [
        "old and underutilised police buildings"]
    assert read("The number of murders has fallen, from 144 in 2008 to 111 in 2015.") == ["murders"]
    # visits are not visitors, and the emergency number is no figure
    assert read("In 2023-24, ICVs carried out 508 visits, seeing 1801 detainees.") == ["visits", "detainees"]
    assert None in read("In January 2024 the Met answered 91 per cent of 999 calls within 10 seconds.")
    # a share counts what it is a share of, named after it or before it
    assert read("the Met answered 91 per cent of 999 calls")[0] == "999 calls"
    assert read("The proportion of respondents worried about local anti-social behaviour fell by 14 per "
                "cent, to 36 per cent.")[1] == "respondents worried about local anti-social behaviour"


def test_a_share_or_a_length_of_time_is_no_count_of_what_was_asked(assistant: Assistant) -> None:
    from reportqa.answer.match_figures import _kind_ok
    from reportqa.figures import Figure

    ten_seconds = Figure(text="10", value=10.0, kind="count", unit="seconds", qualifier="", counts="seconds",
                         head="second", start=0, end=2, change=False)
    assert not _kind_ok(read_query("How many 999 calls did the Met receive?"), ten_seconds)
    assert _kind_ok(read_query("How many days does a custody visit take?"), ten_seconds)
    # the reports give the share of 999 calls answered in January 2024, never how many came in
    ans = assistant.ask("How many 999 calls did the Met receive in January 2024?")
    assert ans.status != "answered" and ans.missing, ans.text
    assert "91 per cent" in (ans.given or ans.text), ans.text


def test_how_much_asks_for_a_sum_and_a_gap_never_names_only_mopac() -> None:
    q = read_query("How much did MOPAC put into Project ADDER in 2023-24?")
    assert q.kind == "money" and q.gap() == "the amount for Project ADDER for 2023-24"
    assert read_query("How much do you know about the VRU?").kind != "money"


def test_a_question_leaving_the_kind_of_figure_open_asks_for_a_figure() -> None:
    q = read_query("What is the latest figure for public confidence in the Met?")
    assert q.kind == "figure" and q.asks_figure and q.current
    assert q.gap() == "the figure for public confidence"


def test_the_present_asked_in_other_words_still_leads_with_the_newest_report(assistant: Assistant) -> None:
    # "cops" is the reports' "police officers": the newest reports are searched for the measure in their words
    ans = assistant.ask("how many cops has the met got these days")
    assert ans.status == "answered" and ans.citations[0].year == "2022-23", ans.text
    assert "34,503 Officers" in ans.text
    ans = assistant.ask("What is the latest figure for public confidence in the Met?")
    assert ans.status == "answered" and ans.citations[0].year == "2023-24", ans.text


def test_a_count_written_as_a_word_is_a_figure_for_the_match() -> None:
    from reportqa.figures import worded_figures

    read = worded_figures("Every ward will have two dedicated ward officers.")
    assert [(f.text, f.counts) for f in read] == [("two", "dedicated ward officers")]
    assert worded_figures("It took two years to build.") == []
