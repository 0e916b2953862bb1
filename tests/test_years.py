"""Financial years and plan periods (reportqa.years): every written form, invalid years, plan periods,
the forms a report writes a year in, and finding years in text. Pure functions: no index, no model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportqa.errors import InputError
from reportqa.priorities import load_taxonomy
from reportqa.years import (
    FY_RE,
    YEAR_AFTER_RE,
    YEAR_BEFORE_RE,
    YearError,
    first_year_in,
    is_financial_year,
    label,
    labelled_year,
    mentions,
    next_year,
    parse_plan,
    parse_report_year,
    parse_year,
    plan_in,
    previous_year,
    written_forms,
    years_in,
)

# -- parsing a written financial year ------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("2022-23", "2022-23"),
        ("2022/23", "2022-23"),
        ("2022-2023", "2022-23"),
        ("2022/2023", "2022-23"),
        ("2022–23", "2022-23"),  # en dash
        ("2022 – 23", "2022-23"),
        ("2022 / 23", "2022-23"),
        ("FY2022/23", "2022-23"),
        ("FY 2022-23", "2022-23"),
        ("fy2022/23", "2022-23"),
        ("2022/3", "2022-23"),
        ("2022-3", "2022-23"),
        ("  2022-23 ", "2022-23"),
        ("2009/10", "2009-10"),
        ("2019/2020", "2019-20"),
        ("2000-01", "2000-01"),
        ("2098-99", "2098-99"),
    ],
)
def test_parse_year_reads_every_written_form(written: str, canonical: str) -> None:
    assert parse_year(written) == canonical


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("2024-27", "3 years"),  # a plan-length period, not a financial year
        ("2013-2016", "3 years"),
        ("9999-00", "outside 2000-01 to 2098-99"),
        ("0000-01", "outside 2000-01 to 2098-99"),
        ("1999-00", "outside"),
        ("2099-00", "outside"),
        ("2022-22", "does not run into a later year"),
        ("2023-22", "does not run into a later year"),
        ("2022-2123", "101 years"),
        ("2022/4", "2 years"),
        ("2022", "is not a financial year"),
        ("22-23", "is not a financial year"),
        ("2022-023", "is not a financial year"),
        ("2022-23-24", "is not a financial year"),
        ("last decade", "is not a financial year"),
        ("", "is not a financial year"),
    ],
)
def test_parse_year_rejects_invalid_years_with_a_clear_message(written: str, says: str) -> None:
    with pytest.raises(YearError) as info:
        parse_year(written)
    err = info.value
    assert says in err.message and repr(written) in err.message
    assert err.hint.startswith("write it like 20")


def test_year_error_is_a_value_error_and_a_user_facing_input_error() -> None:
    with pytest.raises(ValueError, match="2024-27"):
        parse_year("2024-27")
    try:
        parse_year("2024-27")
    except InputError as err:
        assert err.exit_code == 2 and err.hint == "write it like 2024-25"


# -- plan periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("2013-16", "2013-16"), ("2013/16", "2013-16"), ("2017-2021", "2017-21"), ("2022–25", "2022-25"),
     (" 2022 - 25 ", "2022-25"), ("2024-27", "2024-27")],
)
def test_parse_plan_reads_three_and_four_year_periods(written: str, canonical: str) -> None:
    assert parse_plan(written) == canonical


@pytest.mark.parametrize(
    ("written", "says"),
    [("2022-23", "three or four years"), ("2013-19", "three or four years"), ("1990-93", "outside"),
     ("the plan", "is not a plan period"), ("2016-13", "three or four years")],
)
def test_parse_plan_rejects_what_is_not_a_plan_period(written: str, says: str) -> None:
    with pytest.raises(YearError, match=says) as info:
        parse_plan(written)
    assert info.value.hint == "write it like 2022-25"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("2022/23", "2022-23"), ("FY2024-25", "2024-25"), ("2013-16", "2013-16"), ("2017/2021", "2017-21")],
)
def test_a_report_year_is_a_financial_year_or_a_plan_pages_period(written: str, canonical: str) -> None:
    assert parse_report_year(written) == canonical


@pytest.mark.parametrize("written", ["2024-30", "9999-00", "0000-01", "last decade", "2022-22"])
def test_parse_report_year_keeps_the_financial_year_message(written: str) -> None:
    with pytest.raises(YearError) as info:
        parse_report_year(written)
    assert "plan period" not in info.value.message and "2022-25" not in info.value.hint


@pytest.mark.parametrize(
    ("year", "plan"),
    [("2014-15", "2013-16"), ("2015-16", "2013-16"), ("2016-17", "2017-21"), ("2020-21", "2017-21"),
     ("2022-23", "2022-25"), ("2024-25", "2022-25"), ("2013-16", "2013-16"), ("2017-21", "2017-21"),
     ("2025-26", None), ("2012-13", None)],
)
def test_plan_for_year(year: str, plan: str | None) -> None:
    """From the plans in corpus/priorities.toml; a year no known plan covers has none, never an invented
    one (a 2012-13 report came before the first plan). The taxonomy answers it: years knows no plans."""
    assert load_taxonomy().plan_for_year(year) == plan


# -- the forms a report writes a year in ------------------------------------------------------------

REPORT_FORMS_2014_15 = [
    "in 2014/15 the", "2014-15", "2014–15", "2014/2015", "2014-2015", "2014 – 15", "2014 / 15", "FY2014/15",
    "the 2014/5 financial year", "(2014-15).", "Plan%202014-15.pdf",
]
NOT_2014_15 = ["2014-16", "2013-14", "2015-16", "2014/150", "2014-1", "2014/6", "2014/2016", "2014",
               "2014 15", "2014/20151"]


@pytest.mark.parametrize("text", REPORT_FORMS_2014_15)
def test_written_forms_match_every_way_a_report_writes_the_year(text: str) -> None:
    assert written_forms("2014-15").search(text)


@pytest.mark.parametrize("text", NOT_2014_15)
def test_written_forms_match_no_other_year(text: str) -> None:
    assert not written_forms("2014-15").search(text)


@pytest.mark.parametrize(
    ("period", "text", "match"),
    [("2013-16", "Police and Crime Plan 2013-16", True), ("2013-16", "the 2013/2016 plan", True),
     ("2013-16", "2013–16", True), ("2013-16", "2013/6", False), ("2013-16", "2013-14", False),
     ("2099-00", "2099/2100", True), ("2099-00", "2099-00", True), ("2009-10", "2009/0", True)],
)
def test_written_forms_of_plan_periods_and_century_ends(period: str, text: str, match: bool) -> None:
    assert bool(written_forms(period).search(text)) is match


def test_written_forms_takes_any_written_form_and_rejects_non_years() -> None:
    assert written_forms("2014/15").pattern == written_forms("2014-15").pattern
    with pytest.raises(YearError):
        written_forms("last year")


@given(st.integers(min_value=2000, max_value=2098), st.sampled_from(["-", "/", "–", " - ", " / ", " – "]),
       st.sampled_from(["short", "long", "digit"]), st.booleans())
def test_every_generated_form_parses_back_and_is_matched(
    start: int, sep: str, end_form: str, fy: bool
) -> None:
    end = start + 1
    tail = {"short": f"{end % 100:02d}", "long": str(end), "digit": str(end % 10)}[end_form]
    text = ("FY" if fy else "") + f"{start}{sep}{tail}"
    canonical = f"{start}-{end % 100:02d}"
    assert parse_year(text) == canonical
    assert written_forms(canonical).search(f"in {text}, the")
    assert years_in(f"What happened in {text}?") == [canonical]


# -- finding years in text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years", "plan"),
    [
        ("in 2022/23 and 2023-24 under the Police and Crime Plan 2022-25", ["2022-23", "2023-24"], "2022-25"),
        ("Under the 2013-16 plan, what happened in 2014-15?", ["2014-15"], "2013-16"),
        ("the 2013-16 plan", [], "2013-16"),
        ("plan for 2017/21", [], "2017-21"),
        ("How many visits in FY2022/23?", ["2022-23"], None),
        ("In the 2022/3 financial year MOPAC's volunteers", ["2022-23"], None),
        ("2022-23, 2022/23 and 2022-2023", ["2022-23"], None),
        ("compare 2023-24 with 2022–23", ["2023-24", "2022-23"], None),
        ("2013-16 outside a plan phrase", [], None),
        ("2022-23/24", [], None),
        ("on 2022-3-15", [], None),
        ("2022/5", [], None),
        ("question 2015/2290", [], None),
        ("in 2019 and since 2020", [], None),
    ],
)
def test_years_and_plans_found_in_text(text: str, years: list[str], plan: str | None) -> None:
    assert years_in(text) == years
    assert first_year_in(text) == (years[0] if years else None)
    assert plan_in(text) == plan


def test_mentions_keep_spans_and_tell_years_from_periods() -> None:
    text = ("Under the 2013-16 plan and 2014/15, against the 2017-21 period, "
            "under the Police and Crime Plan 2022-25")
    found = mentions(text)
    assert [(m.canonical, m.plan, m.is_year) for m in found] == [
        ("2013-16", True, False), ("2014-15", False, True), ("2017-21", False, False),
        ("2022-25", True, False),
    ]
    assert [text[m.start : m.end] for m in found] == [
        "2013-16 plan", "2014/15", "2017-21", "under the Police and Crime Plan 2022-25",
    ]
    assert (found[2].first, found[2].last) == (2017, 2021)


@pytest.mark.parametrize(
    ("first", "end", "is_fy"),
    [("2022", "23", True), ("2022", "2023", True), ("2022", "3", True), ("2099", "00", True),
     ("2022", "24", False), ("2022", "2123", False), ("2022", "023", False), ("2023", "1234", False)],
)
def test_is_financial_year(first: str, end: str, is_fy: bool) -> None:
    assert is_financial_year(first, end) is is_fy


def test_fy_re_groups_are_the_first_year_and_its_end_as_written() -> None:
    m = FY_RE.search("during FY 2022–2023.")
    assert m and (m.group(1), m.group(2)) == ("2022", "2023")


# -- stepping, labels and relative phrases ------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "before", "after"),
    [("2022-23", "2021-22", "2023-24"), ("2009-10", "2008-09", "2010-11"), ("2000-01", "1999-00", "2001-02"),
     ("2099-00", "2098-99", "2100-01"), ("2022/23", "2021-22", "2023-24")],
)
def test_previous_and_next_year(year: str, before: str, after: str) -> None:
    assert previous_year(year) == before and next_year(year) == after


def test_label_and_labelled_year_round_trip() -> None:
    assert label("2022-23") == "the 2022-23 report"
    assert label("2013-16", plan_page=True) == "the Police and Crime Plan 2013-16 page"
    assert labelled_year(f"According to {label('2023-24')} (2023-24 MOPAC Annual Report): ...") == "2023-24"
    assert labelled_year("In 2023-24, 508 visits.") is None


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [("And the year before?", True, False), ("what about the previous year", True, False),
     ("the preceding year", True, False), ("a year earlier", True, False), ("the one before", True, False),
     ("And the year after?", False, True), ("the following year", False, True), ("next year", False, True),
     ("the subsequent year", False, True), ("a year later", False, True),
     ("How many visits last year?", False, False), ("in 2022-23", False, False)],
)
def test_relative_year_phrases(text: str, before: bool, after: bool) -> None:
    assert bool(YEAR_BEFORE_RE.search(text)) is before
    assert bool(YEAR_AFTER_RE.search(text)) is after
