"""Mayor's Questions: analysis on many question shapes (no index), then drafting on the real index."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportqa.errors import InputError, ReportQAError
from reportqa.mq import analyse, breakdown, gap_sentence, garbled, programmes
from reportqa.years import years_in

if TYPE_CHECKING:
    from reportqa.config import Config
    from reportqa.mq import MQDraft
    from reportqa.service import Assistant

DONE_WHEN = (
    "Further to the Mayor's annual report: (a) how many people did the London Victim and Witness Service "
    "support in 2022/23, (b) how does it compare with other services in England and Wales, and (c) what was "
    "its annual budget?"
)
LVWS = "London Victim and Witness Service"


# -- analysis: the Done-when question ---------------------------------------------------------------


def test_done_when_question_splits_into_three_standalone_parts() -> None:
    a = analyse(DONE_WHEN)
    assert [p.label for p in a.parts] == ["a", "b", "c"]
    pa, pb, pc = a.parts
    assert pa.standalone == f"How many people did the {LVWS} support in 2022/23?"
    assert pa.years == ("2022-23",) and not pa.year_carried
    # "it" / "its" resolve to the service named in part (a); the year in play carries over
    assert pb.standalone.startswith(f"How does the {LVWS} compare with other services in England and Wales")
    assert pb.years == ("2022-23",) and pb.year_carried
    assert pc.standalone == f"What was the {LVWS}'s annual budget in 2022-23?"
    assert pc.subject == f"the {LVWS}'s annual budget"
    # the tabled wording is kept for the draft, without the joining "and" or doubled marks
    assert pb.text == "how does it compare with other services in England and Wales"
    assert pc.question == "What was its annual budget?"
    assert a.lead_in.startswith("Further to the Mayor's annual report")
    assert a.references == ()


# -- analysis: courtesies, references, quotations -----------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Will the Mayor please tell me how many people the CATCH Partnership supported in 2022/23?",
         "How many people the CATCH Partnership supported in 2022/23?"),
        ("Can the Mayor tell me how many visits Independent Custody Visitors made in 2023-24?",
         "How many visits Independent Custody Visitors made in 2023-24?"),
        ("Mr Mayor, could you set out the total spent on body worn video cameras?",
         "What is the total spent on body worn video cameras?"),
        ("Please provide the number of burglaries in 2014/15.", "What was the number of burglaries in "
                                                                "2014/15?"),
        ("I would be grateful if the Mayor could confirm how many officers the Met had in 2022/23.",
         "How many officers the Met had in 2022/23?"),
        ("Can the Mayor tell me if Project ADDER expanded in 2023-24?", "Whether Project ADDER expanded in "
                                                                        "2023-24?"),
        # a form of address and an adverb before the verb; an indirect "what X is" asked directly
        ("Mr Morley, could you briefly tell us what that 20-20-20 vision is?",
         "What is that 20-20-20 vision?"),
        ("Madam Deputy Mayor, could you possibly tell me what the annual budget of the Lighthouse was?",
         "What was the annual budget of the Lighthouse?"),
        ("Could you supply the figures for 2022/23?", "What were the figures for 2022/23?"),
    ],
)
def test_courtesies_are_removed(text: str, expected: str) -> None:
    a = analyse(text)
    assert len(a.parts) == 1
    assert a.parts[0].question == expected
    assert a.parts[0].label == ""


@pytest.mark.parametrize("ref", ["2014/3765", "2016/2017", "2015/1234"])
def test_an_earlier_question_number_is_a_reference_not_a_year(ref: str) -> None:
    a = analyse(f"Further to my question {ref}, how many people did the Lighthouse support?")
    assert a.references == (ref,)
    p = a.parts[0]
    assert p.years == () and p.plan is None
    assert ref not in p.standalone and ref.split("/")[0] not in p.standalone
    assert p.standalone == "How many people did the Lighthouse support?"
    assert any(ref in n for n in a.notes)


def test_a_mayors_question_reference_inside_the_text_is_kept_as_a_reference() -> None:
    a = analyse("In his answer to question 2019/12345 the Mayor said the service was funded. "
                "How many people did the London Victim and Witness Service support in 2022/23?")
    assert a.references == ("2019/12345",)
    assert [p.years for p in a.parts] == [("2022-23",)]


def test_quoted_earlier_answer_is_context_not_asks() -> None:
    text = (
        'In answer to my question 2019/12345 the Mayor said: "The London Victim and Witness Service '
        "supports tens of thousands of victims every year. Will it continue? (a) funding is agreed (b)"
        " staff are in post.\" "
        "How many people did the service support in 2022/23, and how much funding did it receive?"
    )
    a = analyse(text)
    assert len(a.quotes) == 1 and a.quotes[0].startswith("The London Victim")
    assert [p.label for p in a.parts] == ["1", "2"]
    for p in a.parts:
        assert "Will it continue" not in p.standalone and "staff are in post" not in p.standalone
    # the service the question means is resolved from the quotation when nothing else names it
    assert a.parts[0].standalone == f"How many people did the {LVWS} support in 2022/23?"
    assert a.parts[1].standalone == f"How much funding did the {LVWS} receive in 2022-23?"


def test_a_short_quotation_stays_in_the_ask() -> None:
    a = analyse('What does the 2022-23 report mean by a "community-first approach"?')
    assert '"community-first approach"' in a.parts[0].standalone and a.quotes == ()


# -- analysis: part markers -------------------------------------------------------------------------


def test_roman_numerals_with_semicolons_and_a_trailing_and() -> None:
    a = analyse(
        "Further to my question 2014/3765, can the Mayor tell me: (i)"
        " how much MOPAC invested in Project ADDER in "
        "2022/23; (ii) which BCUs it operated in; and (iii) what steps is the Mayor taking to expand it?"
    )
    assert [p.label for p in a.parts] == ["i", "ii", "iii"]
    assert a.parts[1].standalone.startswith("Which BCUs Project ADDER operated in")
    assert a.parts[2].standalone.startswith("What steps is the Mayor taking to expand Project ADDER")
    assert not a.parts[2].policy  # "what steps" asks what is being done: the reports may say


def test_half_bracket_letters_with_a_preamble_that_names_the_programme_and_year() -> None:
    a = analyse("In 2022/23 the Lighthouse relaunched. a) How many survivors did it support? "
                "b) What is its budget? c) Will the Mayor commit to funding it beyond 2025?")
    assert a.preamble == "In 2022/23 the Lighthouse relaunched."
    assert a.years == ("2022-23",) and a.topics == ("the Lighthouse",)
    pa, pb, pc = a.parts
    assert pa.standalone == "How many survivors did the Lighthouse support in 2022-23?"
    assert pb.standalone == "What is the Lighthouse's budget in 2022-23?"
    assert pc.policy and "the Lighthouse" in pc.standalone and pc.years == ()  # "beyond 2025" is its own time


def test_numbered_lines_and_a_comparison_with_another_year() -> None:
    a = analyse("1. How many visits did Independent Custody Visitors make in 2023-24?\n"
                "2. How many detainees did they see?\n3. How does this compare with 2022-23?")
    assert [p.label for p in a.parts] == ["1", "2", "3"]
    assert a.parts[1].years == ("2023-24",) and a.parts[1].year_carried
    assert a.parts[1].standalone == "How many detainees did Independent Custody Visitors see in 2023-24?"
    # the comparison asks the previous part again, for the other year
    assert a.parts[2].standalone == "How many detainees did Independent Custody Visitors see in 2022-23?"
    assert a.parts[2].years == ("2022-23",)


def test_bullets_after_a_preamble_naming_the_plan() -> None:
    a = analyse("The Mayor's Police and Crime Plan 2022-25 promised better support for victims.\n\n"
                "Can the Mayor tell me:\n- how many victims the User Satisfaction Survey heard from\n"
                "- what the survey found\n• whether the results are published by borough")
    assert [p.label for p in a.parts] == ["•1", "•2", "•3"]
    assert a.plan == "2022-25"
    assert all(p.plan == "2022-25" and "Police and Crime Plan 2022-25" in p.standalone for p in a.parts)
    assert "User Satisfaction Survey" in a.parts[1].standalone  # "the survey" read as the survey named before
    assert breakdown(a.parts[2].standalone) == "a borough breakdown"


def test_several_question_marks_without_markers() -> None:
    a = analyse("How many people did the London Victim and Witness Service support? What was its budget? "
                "Does the Mayor agree that it needs more money?")
    assert [p.label for p in a.parts] == ["1", "2", "3"]
    assert a.parts[1].standalone == f"What was the {LVWS}'s budget?"
    assert a.parts[2].policy and not a.parts[0].policy


def test_and_joining_distinct_asks_is_split_but_how_and_when_is_not() -> None:
    a = analyse("How many projects did the Shared Endeavour Fund support in 2023-24, and what steps is the "
                "Mayor "
                "taking to widen it?")
    assert [p.question for p in a.parts] == [
        "How many projects did the Shared Endeavour Fund support in 2023-24?",
        "What steps is the Mayor taking to widen it?",
    ]
    widen = "What steps is the Mayor taking to widen the Shared Endeavour Fund in 2023-24?"
    assert a.parts[1].standalone == widen
    one = analyse("How and when will the Mayor publish the evaluation of the Lighthouse?")
    assert len(one.parts) == 1


def test_if_so_follow_up_is_its_own_part_with_the_subject_carried() -> None:
    a = analyse("Can the Mayor confirm whether the Shared Endeavour Fund received £725,000 in 2022/23 and if "
                "so, "
                "how many projects did it fund?")
    assert len(a.parts) == 2
    assert a.parts[1].standalone == "How many projects did the Shared Endeavour Fund fund in 2022-23?"


def test_if_so_what_is_one_ask_not_a_bare_question_word() -> None:
    (part,) = analyse("Is the Met considering a new approach to stop and search, and if so, what?").parts
    assert part.standalone.startswith("Is the Met considering a new approach to stop and search")


def test_if_not_follow_up_loses_the_condition_not_its_meaning() -> None:
    a = analyse("Have you launched your Hate Crime Reduction Strategy yet? If not, on what date or in which "
                "month do you intend to do so?")
    assert [p.standalone for p in a.parts] == [
        "Have you launched your Hate Crime Reduction Strategy yet?",
        "On what date or in which month do you intend to do so?",
    ]


def test_a_statement_opening_with_i_would_like_is_preamble_not_an_ask() -> None:
    a = analyse("I'd like to begin with MOPAC Challenge, which the Deputy Mayor describes as the main way he "
                "holds the Met to account. Could you tell us what the budget of MOPAC Challenge is?")
    assert [p.standalone for p in a.parts] == ["What is the budget of MOPAC Challenge?"]
    assert a.preamble.startswith("I'd like to begin with MOPAC Challenge")
    # a request in statement form is still an ask
    (req,) = analyse("I'd like to know the budget of the Lighthouse.").parts
    assert req.standalone == "What is the budget of the Lighthouse?"


@pytest.mark.parametrize(
    ("text", "standalone"),
    [
        ("At the committee on 27 March you said you did not expect the Ethics Panel to look at undercover "
         "policing until Operation Herne had finished, which is thought to be 18 months away. Could you "
         "confirm whether this is the case?",
         "Whether you did not expect the Ethics Panel to look at undercover policing until Operation Herne "
         "had finished?"),
        ("The Commissioner told the committee that 500 officers would be recruited. Can you confirm whether "
         "this is correct?", "Whether 500 officers would be recruited?"),
    ],
)
def test_confirm_this_is_the_case_asks_about_the_preambles_claim(text: str, standalone: str) -> None:
    assert [p.standalone for p in analyse(text).parts] == [standalone]


def test_fragments_complete_their_stem_and_share_a_trailing_year() -> None:
    a = analyse("What was the budget for (a) the London Victim and Witness Service and (b) the CATCH "
                "Partnership "
                "in 2022/23?")
    assert [p.standalone for p in a.parts] == [
        f"What was the budget for the {LVWS} in 2022/23?",
        "What was the budget for the CATCH Partnership in 2022/23?",
    ]
    b = analyse("How many officers did the Met have at the end of 2022/23 (a) in total and (b) as PCSOs?")
    assert [p.standalone for p in b.parts] == [
        "How many officers did the Met have at the end of 2022/23 in total?",
        "How many officers did the Met have at the end of 2022/23 as PCSOs?",
    ]


def test_noun_phrase_parts_after_provide_and_a_breakdown_names_what_it_breaks_down() -> None:
    a = analyse("Will the Mayor provide (a) the number of GPS tagged offenders recalled to prison since 2019 "
                "and (b) a breakdown by borough?")
    pa, pb = a.parts
    assert pa.question == "What was the number of GPS tagged offenders recalled to prison since 2019?"
    assert pa.subject == "the number of GPS tagged offenders recalled to prison since 2019"
    assert pb.subject == f"a breakdown by borough of {pa.subject}"
    assert pa.subject == "the number of GPS tagged offenders recalled to prison since 2019"
    assert breakdown(pb.standalone) == "a borough breakdown"


def test_nested_markers_get_compound_labels_and_complete_the_sub_stem() -> None:
    a = analyse("(a) how many people did the London Victim and Witness Service support in (i) 2022/23 and "
                "(ii) 2023/24; (b) what was its budget?")
    assert [p.label for p in a.parts] == ["a.i", "a.ii", "b"]
    assert a.parts[0].standalone == f"How many people did the {LVWS} support in 2022/23?"
    assert a.parts[1].years == ("2023-24",)
    assert a.parts[2].standalone == f"What was the {LVWS}'s budget in 2023-24?"


def test_a_question_in_the_preamble_is_kept_as_a_part() -> None:
    a = analyse("Is the Lighthouse still open to new referrals? Please set out: (a) how many survivors it "
                "supported in 2022/23 and (b) how many CSA Hubs there are.")
    assert a.parts[0].label == "intro"
    assert [p.label for p in a.parts[1:]] == ["a", "b"]


@pytest.mark.parametrize(
    "text, gap",
    [
        # (c) "its annual budget" is the service's, in the year (a) asked about
        (DONE_WHEN, f"The reports do not give the {LVWS}'s annual budget for 2022-23."),
        ("Will the Mayor tell me how many people the Lighthouse supported in 2023/24?",
         "The reports do not give the number of people for 2023-24."),
        # a yes/no ask names no detail: the sentence says so without repeating the question
        ("Can the Mayor confirm whether the Havens opened a new centre in 2023/24?",
         "The reports do not answer this part directly."),
        ("How many staff did the Havens employ in each borough?", "The reports do not give a borough "
                                                                  "breakdown."),
        ("How many staff did the Havens employ?", "The reports do not give the number of staff."),
        ("What was the VRU's total budget for 2022/23?", "The reports do not give the VRU's total budget for "
                                                         "2022-23."),
        # the garbled case: the clause and the question are never spliced into the sentence
        ("In your final year as Mayor what plans are you implementing to bring this down?",
         "The reports do not answer this part directly."),
        ("How many of the offenders recalled to prison were tagged?", "The reports do not give the number of "
                                                                      "offenders."),
    ],
)
def test_the_gap_sentence_names_what_is_missing(text: str, gap: str) -> None:
    part = analyse(text).parts[-1]
    assert gap_sentence(part) == gap
    assert garbled(gap) is None
    if gap.endswith("directly."):  # nothing relevant found either: the part is not covered
        assert gap_sentence(part, relevant=False) == "The reports do not cover this part."


@pytest.mark.parametrize(
    "sentence, word",
    [("The reports do not give What is In your final year as Mayor what plans are you implementing.", "What"),
     ("The reports don't give when will you give a response.", "when"),
     ("The reports do not say whether the Havens opened a centre.", "whether"),
     ("The reports do not give the number of police dogs.", None),
     ("What is the budget? The reports give it for 2022-23.", None)],
)
def test_the_garbled_check_finds_question_words_after_do_not_give(sentence: str, word: str | None) -> None:
    assert garbled(sentence) == word


def test_a_breakdown_is_a_dimension_never_the_first_word_of_a_noun() -> None:
    assert breakdown("How many officers are there by borough?") == "a borough breakdown"
    assert breakdown("the figures by borough and ward over five years") == "a borough breakdown"
    assert breakdown("What measures tackle reoffending by sex offenders?") is None


def test_a_tabled_header_with_title_number_and_member() -> None:
    a = analyse("Violence Against Women and Girls Strategy (1)\nQuestion No: 2023/1234\nA Member\n\n"
                "Can the Mayor provide an update on the Violence Against Women and Girls Strategy, including "
                "(a) how "
                "much funding it was backed with, (b) what the #HaveAWord campaign achieved, and (c)"
                " what evaluation "
                "has been carried out?")
    assert a.references == ("2023/1234",)
    assert [p.label for p in a.parts] == ["a", "b", "c"]
    assert "Violence Against Women and Girls Strategy" in a.parts[0].standalone
    assert a.parts[2].standalone.startswith("What evaluation has been carried out (")


def test_a_title_line_is_context_and_its_number_is_not_a_part_marker() -> None:
    a = analyse("Body Worn Video rollout (1)\n\nFurther to my question 2015/2290, the Mayor has committed to "
                "the "
                "largest rollout of body worn video cameras. Will the Mayor tell me: (a)"
                " what benefits officers "
                "reported from using the cameras during the trial; and (b) the total value of the contract?")
    assert a.title == "Body Worn Video rollout (1)"
    assert not a.preamble.startswith("Body Worn")
    assert [p.label for p in a.parts] == ["a", "b"]
    # "the trial" is about what the question's title names
    assert a.parts[0].standalone.endswith("(Body Worn Video rollout)?")


def test_a_lone_lettered_marker_still_opens_the_part() -> None:
    a = analyse("The CATCH Partnership supports victims of hate crime. (a) How many people did the "
                "partnership "
                "support in 2022/23?")
    assert [p.label for p in a.parts] == ["a"]
    assert a.parts[0].standalone == "How many people did the CATCH Partnership support in 2022/23?"


def test_relative_time_is_read_against_the_questions_own_year() -> None:
    a = analyse("The 2015-16 MOPAC annual report describes Independent Custody Visitors. Will the Mayor tell "
                "me "
                "(a) how many volunteers the scheme has; (b)"
                " what training MOPAC has provided for custody visitors "
                "over the last year?")
    assert a.parts[1].years == ("2015-16",) and a.parts[1].year_carried
    alone = analyse("What training did MOPAC provide for custody visitors last year?")
    assert alone.parts[0].years == ()  # no year in play: the service reads "last year" as the newest report


def test_and_with_a_preposition_before_the_question_word_is_split() -> None:
    a = analyse("Can the Mayor tell me when the pilot Hate Crime Victims' Advocates scheme was commissioned "
                "and in how many boroughs it operates?")
    assert len(a.parts) == 2
    scheme = "Hate Crime Victims' Advocates scheme"
    assert a.parts[1].standalone.startswith(f"In how many boroughs {scheme} operates")
    assert gap_sentence(a.parts[1]) == "The reports do not give the number of boroughs."


def test_programmes_and_years_helpers() -> None:
    text = ("Further to the Mayor's report, the London Victim and Witness Service and the CATCH Partnership "
            "worked with Project ADDER, Operation Yamata and the VRU in England and Wales.")
    found = programmes(text)
    assert found[:4] == [f"the {LVWS}", "the CATCH Partnership", "Project ADDER", "Operation Yamata"]
    assert "VRU" in found
    assert not any("England" in f or "Further" in f or "Mayor" in f for f in found)
    in_plan = "in 2022/23 and 2023-24 under the Police and Crime Plan 2022-25"
    assert years_in(in_plan) == ["2022-23", "2023-24"]
    # a name never starts inside a hyphenated word
    assert programmes("an update on the pan-London service for women") == ["the pan-London service"]


def test_the_scheme_is_replaced_by_the_named_scheme_with_its_article() -> None:
    a = analyse("Independent Custody Visitors are volunteers. Will the Mayor tell me (a) how many volunteers "
                "the scheme has, and (b) which partners are funding the pan-London service and when it "
                "launched?")
    standalones = [p.standalone for p in a.parts]
    assert standalones[0] == "How many volunteers the Independent Custody Visitors scheme has?"
    assert "When the pan-London service launched?" in standalones


# -- analysis: bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t ", "?", " . , ;"])
def test_empty_input_is_an_error_with_a_hint(text: str) -> None:
    with pytest.raises(InputError) as exc:
        analyse(text)
    assert exc.value.hint


def test_non_text_is_an_error() -> None:
    with pytest.raises(ReportQAError):
        analyse(None)  # type: ignore[arg-type]


def long_paste(parts: int = 20) -> str:
    """A 10,000-character paste: preamble, a quotation, a reference and twenty lettered parts."""
    asks = [
        "how many people did the London Victim and Witness Service support in 2022/23",
        "how does it compare with other services in England and Wales",
        "what was its annual budget",
        "how many survivors did the Lighthouse support in 2022/23",
        "how many visits did Independent Custody Visitors make in 2023-24",
        "how many projects did the Shared Endeavour Fund support in 2023-24",
        "how much did MOPAC provide to expand Project ADDER in 2022/23",
        "how many tagged offenders were recalled to prison since 2019",
        "what did Operation Yamata cost in 2023-24",
        "how many victims did the CATCH Partnership support in 2022/23",
        "how many Londoners did the Public Attitude Survey reach",
        "how many officers did the Met have at the end of 2022/23",
        "how many buildings did MOPAC sell by 2015",
        "what was the budget of the London Crime Prevention Fund in 2014/15",
        "how many Mayor's Questions did MOPAC answer in 2022/23",
        "how many detainee interviews did custody visitors conduct in 2022/23",
        "what happened to burglary since 2012",
        "how many volunteers took part in Safer Neighbourhood Boards",
        "how many body worn video cameras were rolled out",
        "how many people did the Cyber Helpline support",
    ]
    filler = (" — I ask this having heard from residents, community groups, victims' advocates and local "
              "councillors across London who have raised it with me repeatedly over the past year, and "
              "who want a clear answer with figures from the published annual reports rather than a general "
              "statement of intent, so that they can judge progress for themselves —")
    letters = string.ascii_lowercase
    body = " ".join(
        f"({letters[i]}) {asks[i % len(asks)]}{filler}{';' if i < parts - 1 else '?'}" for i in range(parts)
    )
    preamble = (
        "The Mayor's annual reports describe a wide range of services for victims and a great deal of "
        "investment. " * 20
        + 'In answer to my question 2023/4567 the Mayor said: "MOPAC commissions services that support tens '
        "of thousands of Londoners each year, and I will set out the figures in due course. Is that "
        "enough?\" "
        "Further to my question 2023/4567, will the Mayor tell me: "
    )
    text = preamble + body
    return text


def test_a_ten_thousand_character_paste_with_twenty_parts_is_analysed_whole() -> None:
    text = long_paste()
    assert 9_000 <= len(text) <= 11_000
    a = analyse(text, max_chars=12_000)
    labels = [p.label for p in a.parts]
    assert labels == list(string.ascii_lowercase[:20])
    assert a.references == ("2023/4567",) and len(a.quotes) == 1 and not a.truncated
    assert all(len(p.standalone) <= 1001 for p in a.parts)
    assert f"the {LVWS}'s annual budget" in a.parts[2].standalone


def test_text_beyond_the_character_cap_is_not_read_and_says_so() -> None:
    a = analyse(long_paste(20) + " (u) and more" * 500, max_chars=12_000)
    assert a.truncated and any("not read" in n for n in a.notes)
    assert len(a.text) <= 12_000


_shapes = st.lists(
    st.sampled_from([
        "(a)", "(b)", "(c)", "i)", "ii)", "1.", "\n- ", "\n2. ", "?", ".", ",", " and what ", " it ", " its ",
        "Will the Mayor tell me", " 2022/23 ", " 2015/1234 ", '"', "“", "”", "‘", "’", " the LVWS ",
        " Project ADDER ", "how many", " by borough", "\n\n", "Further to my question", ":", ";",
    ]),
    min_size=1, max_size=40,
).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_shapes, st.text(max_size=400)))
def test_analysis_never_crashes(text: str) -> None:
    try:
        a = analyse(text, max_chars=12_000)
    except InputError as exc:
        assert exc.hint
        return
    assert a.parts
    for p in a.parts:
        assert p.standalone.endswith("?") and p.question.endswith("?")
        assert len(p.standalone) <= 1001


# -- drafting on the real index ---------------------------------------------------------------------------


def markers_in(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def check_reference_contract(draft: MQDraft) -> None:
    numbers = [c.marker for c in draft.references]
    assert numbers == list(range(1, len(numbers) + 1))
    by_number = {c.marker: c for c in draft.references}
    for p in draft.parts:
        assert markers_in(p.text) <= set(by_number), (p.label, p.text)
        for c in p.citations + p.related:
            assert by_number[c.marker] == c
    # the same report sentence is never cited under two numbers: no two references share any text
    refs = draft.references
    for i, x in enumerate(refs):
        for y in refs[i + 1:]:
            overlap = x.report_id == y.report_id and x.start < y.end and y.start < x.end
            assert not overlap, (x.marker, y.marker)
            assert " ".join(x.quote.split()) != " ".join(y.quote.split()), (x.marker, y.marker)


def test_done_when_draft(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq, to_markdown

    draft = draft_mq(assistant, DONE_WHEN)
    a, b, c = draft.parts
    assert [p.label for p in draft.parts] == ["a", "b", "c"]
    assert (a.status, b.status, c.status) == ("answered", "answered", "not_found")
    assert "nearly 50,000" in a.text and any("50,000" in x.quote for x in a.citations)
    assert "largest" in b.text and "England and Wales" in b.text
    for part in (a, b):
        assert part.citations
        assert all(x.year == "2022-23" and x.report_id == "mopac-2022-23" for x in part.citations)
        assert "2022-23" in part.text
    assert not c.citations
    assert c.gap == f"The reports do not give the {LVWS}'s annual budget for 2022-23."
    assert c.text.startswith(c.gap)
    # the reports are about the service but do not give its budget: what they say is background to (c)
    assert c.related and c.related_as == "background" and "Background from the reports:" in c.text
    assert "Nearby" not in c.text
    check_reference_contract(draft)
    assert "(c)" in draft.summary and "(a) and (b)" in draft.summary
    assert "do not give exactly what part (c) asks: what they say is shown as background" in draft.summary
    md = to_markdown(draft)
    order = ["DRAFT", "## Answer", "## Not covered by the reports", "## References"]
    assert [md.index(x) for x in order] == sorted(md.index(x) for x in order)
    assert f"- (c) The reports do not give the {LVWS}'s annual budget for 2022-23." in md
    # each part under its words as tabled, never the rewrite it was searched with
    assert "### (a) how many people did the London Victim and Witness Service support in 2022/23\n" in md
    assert "### (c) what was its annual budget?\n" in md and "Searched as" not in md
    assert "6. Victims are better supported" in md and "(2022-23)" in md
    assert draft.timings["total"] > 0


def test_markers_are_renumbered_across_the_whole_draft(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq

    draft = draft_mq(assistant, "(a) How many visits did Independent Custody Visitors make in 2023-24? "
                                "(b) How many people did the London Victim and Witness Service support in "
                                "2022/23?")
    a, b = draft.parts
    assert a.status == b.status == "answered"
    n_a = len(a.citations)
    assert markers_in(a.text) == set(range(1, n_a + 1))
    assert min(markers_in(b.text)) == n_a + 1  # part (b)'s own [1] follows part (a)'s markers
    assert b.citations[0].marker == n_a + 1 and b.citations[0].year == "2022-23"
    check_reference_contract(draft)


def test_a_twenty_part_paste_is_answered_up_to_the_cap(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq, to_markdown

    draft = draft_mq(assistant, long_paste(), max_parts=8)
    assert len(draft.parts) == 20
    done = [p for p in draft.parts if p.status != "not_processed"]
    skipped = draft.parts_with("not_processed")
    assert [p.label for p in done] == list("abcdefgh")
    assert [p.label for p in skipped] == list("ijklmnopqrst")
    assert sum(p.status == "answered" for p in done) >= 4
    assert "not processed" in draft.summary and "(i)" in draft.summary
    assert draft.earlier_questions == ("2023/4567",)
    md = to_markdown(draft)
    assert "## Not processed" in md and "(t)" in md
    check_reference_contract(draft)


def test_no_answerable_part_says_so_and_lists_what_is_nearby(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq, to_markdown

    draft = draft_mq(assistant, "(a) What was the Lighthouse's annual budget in 2023/24? "
                                "(b) How many staff did the Havens employ in each borough?")
    assert all(p.status == "not_found" for p in draft.parts)
    assert draft.summary.startswith("None of the parts can be answered")
    assert assistant.coverage_text() in draft.summary
    assert draft.nearby and {c.marker for c in draft.nearby} <= {c.marker for c in draft.references}
    assert draft.parts[1].gap == "The reports do not give a borough breakdown."
    md = to_markdown(draft)
    assert "## What the reports cover nearby" in md
    check_reference_contract(draft)


def test_a_year_no_report_covers_is_said_plainly(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq

    draft = draft_mq(assistant, "How many people did the London Victim and Witness Service support in "
                                "2019/20?")
    (p,) = draft.parts
    assert p.status == "not_found" and "No report in the collection covers 2019-20" in p.text


def test_a_year_before_the_reports_is_looked_for_in_the_report_that_states_it(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq

    draft = draft_mq(assistant, "Will the Mayor tell me (a) what the MPS net budget was in 2012/13; and (b) "
                                "how many "
                                "people the London Victim and Witness Service supported in 2019/20?",
                      min_answerability=0.0)  # the lookup itself, apart from the drafting threshold
    a, b = draft.parts
    assert a.status == "answered" and "£2.6bn" in a.text
    assert a.citations[0].year == "2015-16" and "2012/13" in a.citations[0].quote
    # no report covers 2012-13 itself: the answer names the report that states it, and a note says why
    assert "According to the 2015-16 annual report" in a.text
    assert any("no report covers 2012-13" in n.lower() for n in a.notes)
    # a figure for another year never stands in for one no report covers
    assert b.status == "not_found" and not b.citations
    # the gap says which year no report covers, from the years, never by repeating the question
    assert "No report in the collection covers 2019-20; the reports cover 2014-15" in b.gap
    assert garbled(b.gap) is None and "London Victim" not in b.gap


def test_policy_and_off_topic_parts(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq

    draft = draft_mq(assistant, "(a) How many survivors did the Lighthouse support in 2022/23? "
                                "(b) Will the Mayor commit to funding it beyond 2025? (c) What will the "
                                "weather be tomorrow?")
    a, b, c = draft.parts
    assert a.status == "answered" and "256" in a.text
    assert b.status == "policy" and "Mayor's office" in b.text
    assert c.status == "refused" and c.gap.startswith("The reports do not cover this")
    assert "(b)" in draft.summary and "decision or view" in draft.summary


def test_draft_from_answers_of_a_conversation(assistant: Assistant) -> None:
    from reportqa.mq import draft_from_answers, to_markdown

    q1 = "How many people did the London Victim and Witness Service support in 2022/23?"
    q2 = "What was the London Victim and Witness Service's annual budget?"
    q3 = "How many survivors did the Lighthouse support in 2022/23?"
    pairs = [(q, assistant.ask(q)) for q in (q1, q2, q3)]
    draft = draft_from_answers(pairs, coverage=assistant.coverage_text())
    assert [p.label for p in draft.parts] == ["1", "2", "3"]
    assert [p.status for p in draft.parts] == ["answered", "not_found", "answered"]
    assert draft.parts[1].gap == f"The reports do not give the {LVWS}'s annual budget."
    check_reference_contract(draft)
    assert "Draft answer from the conversation" in to_markdown(draft)
    with pytest.raises(InputError):
        draft_from_answers([])


def test_docx_is_written_and_readable(assistant: Assistant, tmp_path: Path) -> None:
    import docx

    from reportqa.mq import draft_mq, to_docx

    draft = draft_mq(assistant, DONE_WHEN)
    out = to_docx(draft, tmp_path / "draft.docx")
    doc = docx.Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.index("DRAFT") < text.index("(a) how many people") < text.index("(c) what was its annual "
                                                                                "budget?")
    assert "nearly 50,000" in text
    assert f"The reports do not give the {LVWS}'s annual budget for 2022-23." in text
    refs = [p.text for p in doc.paragraphs if re.match(r"\d+\. ", p.text)]
    assert [int(r.split(".")[0]) for r in refs] == [c.marker for c in draft.references]
    assert "2022-2023 MOPAC Annual Report (2022-23)" in refs[0]
    parts = [p.text for p in doc.paragraphs if p.style.name == "Heading 3"]
    assert [x[:4] for x in parts] == ["(a) ", "(b) ", "(c) "]
    assert doc.core_properties.title == draft.title and doc.core_properties.author == "reportqa"
    assert doc.core_properties.last_modified_by == "reportqa"
    with pytest.raises(InputError):
        to_docx(draft, tmp_path / "missing-dir" / "draft.docx")


def test_an_edited_draft_keeps_its_part_headings_title_and_reference_numbers_in_word(
    assistant: Assistant, tmp_path: Path
) -> None:
    import docx

    from reportqa.mq import docx_from_markdown, draft_mq, to_markdown

    draft = draft_mq(assistant, DONE_WHEN)
    assert len(draft.references) >= 3
    md = to_markdown(draft)
    ref2 = next(line for line in md.splitlines() if line.startswith("2. "))
    added = "Checked by the officer <b>today</b> & signed off."
    # the officer deletes reference 2 and adds a line with markup-like text
    edited = md.replace(ref2 + "\n", "").replace("## Not covered", f"{added}\n\n## Not covered")
    out = docx_from_markdown(edited, tmp_path / "edited.docx", title="MQ 2024/0001 Victim services")
    doc = docx.Document(str(out))
    heads = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads[0] == ("Heading 1", draft.title)  # the title in the text wins over the given one
    assert [t[:4] for s, t in heads if s == "Heading 3"] == ["(a) ", "(b) ", "(c) "]
    text = [p.text for p in doc.paragraphs]
    assert added in text
    numbers = [t.split(".")[0] for t in text if re.match(r"\d+\. ", t)]
    assert "2" not in numbers and numbers[:2] == ["1", "3"]  # references keep the numbers the text cites
    assert doc.core_properties.author == "reportqa" and doc.core_properties.title == draft.title
    assert not any("**" in t or t.startswith("#") for t in text)

    # the title line removed too: the given title goes on top, and the notice comes back
    bare = "\n".join(line for line in edited.splitlines() if not line.startswith(("# ", "> ")))
    doc = docx.Document(str(docx_from_markdown(bare, tmp_path / "bare.docx", title="MQ 2024/0001")))
    assert (doc.paragraphs[0].style.name, doc.paragraphs[0].text) == ("Heading 1", "MQ 2024/0001")
    assert doc.paragraphs[1].text.startswith("DRAFT") and doc.core_properties.title == "MQ 2024/0001"


def test_an_officers_choice_of_parts_and_evidence(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq, evidence, select, to_markdown

    draft = draft_mq(assistant, DONE_WHEN)
    offered = evidence(draft)
    cited = [(i, c.marker) for i, kind, c in offered if kind == "cited"]
    nearby = [(i, c.marker) for i, kind, c in offered if kind == "background"]
    # (c) is not answered: its evidence is background to it, never cited
    assert cited and nearby and all(i == 2 for i, _ in nearby)

    # every part, the cited evidence, no background passage
    chosen = select(draft, range(3), cited)
    check_reference_contract(chosen)
    assert chosen.parts[2].text == chosen.parts[2].gap and not chosen.parts[2].related
    assert "Background from the reports" not in to_markdown(chosen)

    # part (b) left out; (a) without its first piece of evidence; (c) with one nearby passage
    first_a = draft.parts[0].citations[0]
    keep = [(0, c.marker) for c in draft.parts[0].citations[1:]] + nearby[:1]
    chosen = select(draft, [0, 2], keep)
    check_reference_contract(chosen)
    assert [p.label for p in chosen.parts] == ["a", "c"]
    assert first_a.quote not in chosen.parts[0].text
    assert [c.quote for c in chosen.parts[0].citations] == [c.quote for c in draft.parts[0].citations[1:]]
    c_part = chosen.parts[2 - 1]
    assert c_part.text.startswith(c_part.gap + " Background from the reports:") and len(c_part.related) == 1
    assert "(b)" not in chosen.summary and "(c)" in chosen.summary
    md = to_markdown(chosen)
    assert "### (b)" not in md and "### (a)" in md and "### (c)" in md

    # an answered part with none of its evidence chosen says so rather than keeping uncited sentences
    bare = select(draft, [0], [])
    assert bare.parts[0].text == "No evidence was chosen for this part." and not bare.references


def test_empty_question_to_the_drafter_is_an_error(assistant: Assistant) -> None:
    from reportqa.mq import draft_mq

    with pytest.raises(ReportQAError) as exc:
        draft_mq(assistant, "  ")
    assert exc.value.hint


def test_assistant_delegates_to_the_drafter(assistant: Assistant) -> None:
    draft = assistant.draft_mq(DONE_WHEN)
    assert [p.status for p in draft.parts] == ["answered", "answered", "not_found"]


# -- command line ----------------------------------------------------------------------------------------


def run_cli(
    args: list[str], index_config: Config, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    from reportqa.cli import main

    code = main(["--index", str(index_config.index_dir), "--corpus", str(index_config.corpus_dir), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_draft_markdown_json_and_docx(
    index_config: Config, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text(DONE_WHEN, encoding="utf-8")
    code, out, _ = run_cli(["draft", "--file", str(qfile), "--json"], index_config, capsys)
    assert code == 0
    data = json.loads(out)
    assert [p["status"] for p in data["parts"]] == ["answered", "answered", "not_found"]
    assert data["references"][0]["year"] == "2022-23"

    md = tmp_path / "draft.md"
    code, out, err = run_cli(["draft", DONE_WHEN, "--out", str(md)], index_config, capsys)
    assert code == 0 and "wrote" in err and md.read_text(encoding="utf-8").startswith("# Draft answer")

    dx = tmp_path / "draft.docx"
    args = ["draft", "--file", str(qfile), "--format", "docx", "--out", str(dx)]
    code, _, _ = run_cli(args, index_config, capsys)
    assert code == 0 and dx.stat().st_size > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["draft"], "no question given"),
        (["draft", "   "], "empty"),
        (["draft", DONE_WHEN, "--format", "docx"], "needs --out"),
        (["draft", "--file", "/nonexistent/q.txt"], "no such file"),
        (["draft", DONE_WHEN, "--file", "q.txt"], "not both"),
    ],
)
def test_cli_draft_errors(
    args: list[str], message: str, index_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(args, index_config, capsys)
    assert code == 2
    assert "error:" in err and message in err and "hint:" in err
    assert "Traceback" not in err and out == ""


# -- parts labelled as tabled, and the draft as an officer exports it ------------------------------------


@pytest.mark.parametrize(
    "text, markers",
    [
        (DONE_WHEN, ["(a)", "(b)", "(c)"]),
        ("Will the Mayor tell me: i) how many officers the MPS had in 2022/23; ii) how many PCSOs it had?",
         ["i)", "ii)"]),
        ("Officer numbers\n1. How many officers were there in 2022/23?\n2. How many PCSOs were there?",
         ["1.", "2."]),
        ("Will the Mayor tell me (a) how many officers there were: i) in 2022/23 and ii) in 2023/24; "
         "(b) what the MPS budget was?", ["(a) i)", "(a) ii)", "(b)"]),
        ("How many visits did ICVs make in 2023-24?", [""]),
    ],
)
def test_each_part_keeps_its_marker_as_tabled(text: str, markers: list[str]) -> None:
    assert [p.marker for p in analyse(text).parts] == markers


# -- the question's context in every part (issue 10) -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "standalone"),
    [
        ("Can you provide details of all the costs of the Empower programme?",
         "What were the details of all the costs of the Empower programme?"),
        ("Will the Mayor provide the number of custody visits in 2015/16?",
         "What was the number of custody visits in 2015/16?"),
    ],
)
def test_a_requested_noun_phrase_becomes_a_grammatical_question(text: str, standalone: str) -> None:
    assert [p.standalone for p in analyse(text).parts] == [standalone]


def test_a_leading_clause_is_context_and_a_plans_intent_is_for_the_mayor() -> None:
    text = ("Youth services\n\nNow that you have confirmed cuts to youth services, will the plan build on "
            "crime prevention funding to offset youth service cuts?")
    (part,) = analyse(text).parts
    assert part.standalone.startswith("Will the plan build on crime prevention funding")
    assert part.policy
    factual = analyse("Given the rise in knife crime, how many knife crime offences were recorded in "
                      "2015/16?")
    assert [(p.standalone, p.policy) for p in factual.parts] == [
        ("How many knife crime offences were recorded in 2015/16?", False)
    ]


def test_a_part_that_names_nothing_is_asked_about_the_preambles_subject(assistant: Assistant) -> None:
    from reportqa.mq import context_subject, question_context, with_subject

    text = ("London Landscape\n\nThe Mayor's office says it has set up the London Landscape to open up crime "
            "data. Can you tell me what progress has been made here?")
    analysis = analyse(text)
    context = question_context(analysis)
    assert "open up crime data" in context
    subject = context_subject(assistant, context)
    assert subject == "London Landscape"
    (part,) = analysis.parts
    asked = with_subject(part.standalone, part.topic, subject, assistant)
    assert asked == "What progress has been made here (London Landscape)?"
    # a part with its own specific name is left as it is
    own = "How many survivors did the Lighthouse support in 2022/23?"
    assert with_subject(own, None, subject, assistant) == own
    # the retrieval and the subject, apart from the drafting threshold: the London Landscape is cited
    (drafted,) = assistant.draft_mq(text, min_answerability=0.0).parts
    assert drafted.status == "answered"
    assert any("London Landscape" in c.quote for c in drafted.citations)
    # with the threshold, weak evidence is at least shown as nearby, never lost
    (held,) = assistant.draft_mq(text).parts
    shown = held.citations if held.status == "answered" else held.related
    assert any("London Landscape" in c.quote for c in shown)


def test_the_title_not_a_preamble_source_is_what_a_bare_part_is_about(assistant: Assistant) -> None:
    from reportqa.mq import draft_subject, question_context

    text = ("BAME women in the Metropolitan Police Service\n\nWhen the Assembly's Police and Crime "
            "Committee looked at this in 2014, it found that only 4% of new Met recruits were BAME "
            "women. What has been done since then to improve this?")
    analysis = analyse(text)
    assert draft_subject(assistant, analysis, question_context(analysis)) == (
        "BAME women in the Metropolitan Police Service")
    untitled = analyse("The Mayor's office says it has set up the London Landscape to open up crime data. "
                       "Can you tell me what progress has been made here?")
    assert draft_subject(assistant, untitled, question_context(untitled)) == "London Landscape"


def test_the_context_query_is_fused_but_the_part_still_leads(assistant: Assistant) -> None:
    part = "How many volunteers does the scheme have?"
    context = "Independent Custody Visiting. The annual report describes Independent Custody Visitors."
    alone = assistant.retriever.search(part, None, 10)
    fused = assistant.retriever.search(part, None, 10, context=context)
    assert all("context_rrf" not in h.scores for h in alone)
    assert any("context_rrf" in h.scores for h in fused)
    top = fused[0].passage.clean
    assert "custody" in top.lower()
    assert "300 volunteers" in " ".join(h.passage.clean for h in fused[:3])


def test_the_drafting_threshold_turns_weak_evidence_into_background(assistant: Assistant) -> None:
    from reportqa.mq import draft_threshold

    text = "How many CSA survivors did The Lighthouse support in 2022/23?"
    (free,) = assistant.draft_mq(text, min_answerability=0.0).parts
    assert free.status == "answered" and free.answerability is not None and free.citations
    (strict,) = assistant.draft_mq(text, min_answerability=1.01).parts
    assert strict.status == "not_found" and not strict.citations
    assert strict.related and strict.text.startswith("The reports do not give")
    # relevant evidence below the bar is background to the part, never "nearby, not the answer"
    assert strict.related_as == "background" and "Background from the reports:" in strict.text
    assert "Nearby" not in strict.text
    assert 0.0 < draft_threshold() < 1.0  # fitted, and read from answer/draft_threshold.json
    policy = assistant.draft_mq("Will the Mayor commit to funding The Lighthouse beyond 2022/23?",
                                min_answerability=1.01).parts[0]
    assert policy.status == "policy"  # a part for the Mayor keeps its background, whatever its score


def test_an_opinion_part_is_for_the_mayor_with_the_reports_background(assistant: Assistant) -> None:
    text = ("Female Genital Mutilation\n\nA charity warns that thousands of girls in London are at risk. "
            "Do you agree that FGM runs counter to the Mayor's commitment to women's rights?")
    (part,) = assistant.draft_mq(text).parts
    assert part.status == "policy" and part.text.startswith("This part asks for the Mayor's decision or view")
    assert part.citations and all("FGM" in c.quote or "Genital" in c.quote for c in part.citations)


def test_drafting_needs_only_the_asker_it_is_given() -> None:
    """A test double stands in for the assistant: drafting never reaches for reportqa.service."""
    import subprocess
    import sys as _sys
    from collections.abc import Sequence

    from reportqa.mq import Asker, draft_mq
    from reportqa.types import Answer, Citation, Filters, Hit, Passage, Report

    passage = Passage(id="r-p1", report_id="r", title="R", year="2015-16", plan="", kind="annual_report",
                      priority="", section="Volunteers", text="x", clean="x", start=0, end=1, sentences=())

    class Double:
        generic_name_idf = 1.0

        def __init__(self) -> None:
            self.asked: list[tuple[str, str | None]] = []
            self.background_asked: list[str] = []
            self.retrieved: list[str] = []
            self.extra: list[tuple[str, ...]] = []

        @property
        def reports(self) -> list[Report]:
            return []

        def ask(self, question: str, *, year: str | None = None, backend: str | None = None,
                context: str | None = None, extra_hits: Sequence[Hit] = ()) -> Answer:
            self.asked.append((question, context))
            self.extra.append(tuple(h.passage.id for h in extra_hits))
            return Answer(status="not_found", text="The reports don't say.", question=question)

        def retrieve(self, question: str, filters: Filters | None = None, k: int = 5) -> list[Hit]:
            self.retrieved.append(question)
            return [Hit(passage=passage, rank=1, score=1.0)]

        def coverage_text(self) -> str:
            return "no reports"

        def specificity(self, name: str) -> float:
            return 2.0

        def background(self, question: str, k: int = 5) -> list[Citation]:
            self.background_asked.append(question)
            return []

    double = Double()
    asker: Asker = double
    draft = draft_mq(asker, "Custody visiting\n\nThe scheme has volunteers. Will the Mayor tell me (a) how "
                            "many volunteers there are, and (b) what they cost?")
    assert [p.status for p in draft.parts] == ["not_found", "not_found"]
    assert [q for q, _ in double.asked][0].startswith("How many volunteers")
    assert all(c and "The scheme has volunteers." in c for _, c in double.asked)  # the preamble, every part
    assert double.background_asked and "The scheme has volunteers." in double.background_asked[0]
    # what retrieval ranks first for the whole question is in every part's evidence
    assert double.retrieved and "The scheme has volunteers." in double.retrieved[0]
    assert double.extra == [("r-p1",), ("r-p1",)]
    code = "import sys, reportqa.mq; print('reportqa.service' in sys.modules)"
    out = subprocess.run([_sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_pasted_question_with_control_characters_and_lone_surrogates_still_exports(
    assistant: Assistant, tmp_path: Path
) -> None:
    """Found by the robustness bench: Word refused the whole file for one lone surrogate or control char."""
    from docx import Document

    from reportqa.mq import draft_mq, to_docx

    text = ("Will the Mayor please set out \u2022 Who is London's Vi&ct\u0085\u001b[2Jims' "
            "?Com\"missio\uffffner? \u2022 How many of the GPS tagged offenders were wom\ud800en?")
    draft = draft_mq(assistant, text)
    out = to_docx(draft, tmp_path / "d.docx")
    body = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "GPS tagged offenders" in body and "\ufffd" in body


# -- shapes found by a fresh-eyes run on real Assembly questions ----------------------------------------


def test_a_question_clause_after_a_statement_is_the_ask() -> None:
    a = analyse("Knife crime\n\nLocally, Brent Council is proactively working to address this issue but what "
                "help can we expect at local level from the Mayor's knife crime strategy?")
    assert [p.standalone for p in a.parts] == [
        "What help can we expect at local level from the Mayor's knife crime strategy?"]


def test_a_statement_never_becomes_what_is_a_statement() -> None:
    a = analyse("Londoners deserve to know how the cameras are used. How many cameras has the Met issued?")
    assert [p.standalone for p in a.parts] == ["How many cameras has the Met issued?"]
    with pytest.raises(InputError) as err:
        analyse("Body worn video\n\n" + "Londoners deserve to know how the cameras are used. " * 400
                + "(a) How many cameras are there?", max_chars=12_000)
    assert "12,000" in err.value.message and "preamble" in err.value.hint


def test_a_leading_condition_is_context_not_the_ask() -> None:
    (part,) = analyse("If the Met were to get the funding they want out of the Spending Review, how many "
                      "officers would the Service have?").parts
    assert part.standalone == "How many officers would the Service have?"


@pytest.mark.parametrize(
    "text",
    [
        "Is he concerned that leaving former police premises empty opens the way to squatters?",
        "Can you confirm whether you will review their core funding?",
        "Will the Mayor tell me whether he agrees with the report?",
    ],
)
def test_the_mayors_view_asked_in_the_third_person_or_indirectly_is_for_the_mayor(text: str) -> None:
    assert [p.policy for p in analyse(text).parts] == [True]


def test_a_listed_part_asking_what_the_mayor_will_do_is_for_the_mayor() -> None:
    a = analyse("Safer Neighbourhood Boards\n\nCould you tell me:\n- how SNBs are funded;\n- how many SNBs "
                "exist;\n- whether you will review their core funding?")
    assert [p.policy for p in a.parts] == [False, False, True]


def test_a_short_name_and_a_plural_noun_refer_to_the_programme_in_play() -> None:
    a = analyse("The Safer Neighbourhood Boards were set up in 2014. (a) How are the Boards funded? (b) "
                "Will MOPAC continue to fund the local police consultative groups until the new Boards are "
                "set up?")
    assert a.parts[0].standalone == "How are the Safer Neighbourhood Boards funded?"
    assert [p.topic for p in a.parts] == ["the Safer Neighbourhood Boards"] * 2  # never "continue to fund"


def test_compound_markers_nest() -> None:
    a = analyse("Hate crime\n\n(a)(i) When was the Hate Crime Reduction Strategy published, (a)(ii) who was "
                "consulted on it, and (b) do you agree it should be refreshed?")
    assert [(p.label, p.policy) for p in a.parts] == [("a.i", False), ("a.ii", False), ("b", True)]
    assert a.parts[0].standalone == "When was the Hate Crime Reduction Strategy published?"


def test_indirect_factual_asks_stay_factual() -> None:
    for text in ("Can the Mayor tell me whether the Met will publish the data?",
                 "Can you tell me whether you will be able to publish it?"):
        assert [p.policy for p in analyse(text).parts] == [False]


def test_parts_that_complete_a_relative_clause() -> None:
    a = analyse("Could you provide copies of all consultation responses to your draft Police and Crime Plan "
                "which: a) asked for more action on police conduct, b) requested more community involvement?")
    assert [p.standalone for p in a.parts] == [
        "What are the copies of all consultation responses to your draft Police and Crime Plan which "
        "asked for more action on police conduct?",
        "What are the copies of all consultation responses to your draft Police and Crime Plan which "
        "requested more community involvement?",
    ]


def test_terminal_escape_sequences_are_removed_whole() -> None:
    from reportqa.service import clean_question

    (part,) = analyse("Stop and search\x00\n\nHow many \x1b[31mstop and searches\x07 were carried out?").parts
    assert part.standalone == "How many stop and searches were carried out?"
    assert clean_question("How many \x1b[1;31mstops\x1b[0m \x1b]0;title\x07were made?") == (
        "How many stops were made?")


def test_a_drafts_question_line_bullets_and_labels_read_cleanly(assistant: Assistant) -> None:
    from reportqa.mq import to_markdown
    from reportqa.mq.model import shown_label

    text = ("Police and Crime Plan\n\nHas the 20% reduction in MOPAC 7 neighbourhood crimes been achieved?")
    draft = assistant.draft_mq(text, min_answerability=0.0)
    md = to_markdown(draft)
    # the question's title is kept as its own line, the question follows without it
    assert draft.question_title == "Police and Crime Plan"
    assert "**Question title:** Police and Crime Plan\n\n**Question:** Has the 20% reduction" in md
    assert "- - " not in md
    assert shown_label("•2") == "(bullet 2)" and shown_label("a.ii") == "(a.ii)" and shown_label("") == ""


# -- drafts an officer can send onwards (issue 23) -----------------------------------------------------

ASSEMBLY = Path(__file__).resolve().parents[1] / "eval" / "assembly_questions.jsonl"


def _one_spaced(text: str) -> str:
    return " ".join(text.split())


def test_no_real_question_gets_a_garbled_gap_and_every_part_is_shown_as_tabled(assistant: Assistant) -> None:
    """Every real Assembly question drafted on the real index: no sentence saying what the reports do not
    give holds a question word after "do not give" (the question was never spliced into it), and every part
    is shown in its own tabled words, never a rewrite ("What is In your final year as Mayor ...")."""
    from reportqa.mq import draft_mq, to_markdown

    items = [json.loads(line) for line in ASSEMBLY.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(items) >= 80
    gaps = 0
    for item in items:
        draft = draft_mq(assistant, item["question"])
        asked = _one_spaced(item["question"])
        md = to_markdown(draft)
        for p in draft.parts:
            for sentence in [p.gap, *re.split(r"(?<=[.;])\s+", p.text)]:
                if re.search(r"(?i)\b(?:do not|don['’]t) (?:give|say)\b", sentence):
                    gaps += 1
                    word = garbled(sentence)
                    assert word is None, (item["id"], p.label, word, sentence)
            assert p.tabled and p.shown() == p.tabled
            for piece in p.tabled.split("[quoted]"):
                # the words as tabled (a joining "and", a marker or a quotation aside): never added to
                assert _one_spaced(piece).strip(" ,;:") in asked, (item["id"], p.label, p.tabled)
            if p.status != "not_processed":
                assert "### " + f"{p.heading_label()} {p.tabled}".strip() in md.replace("\\[", "[").replace(
                    "\\]", "]").replace("< ", "<"), (item["id"], p.label)
        assert "Searched as" not in md
        assert not re.search(r"&(?:gt|lt|amp|quot|#\d+);", md), item["id"]
        check_reference_contract(draft)
    assert gaps >= 20  # the check ran on real gap sentences, not on none


def test_a_footnote_number_never_runs_into_a_word() -> None:
    """"Police Encounters with the Public9": the 9 is a footnote mark the parser read off the passage."""
    from reportqa.mq.compose import shown_quote
    from reportqa.types import Citation

    quote = "the Panel has completed two major reports, on Police Encounters with the Public9 and Body Worn"
    c = Citation(marker=1, passage_id="p", report_id="mopac-2015-16", title="t", year="2015-16", section="s",
                 priority="general", quote=quote, start=0, end=len(quote),
                 passage="the Panel has completed two major reports, on Police Encounters with the Public "
                         "and Body Worn Video which have made a contribution, Q2 2019 and COVID19")
    assert "the Public and Body Worn" in shown_quote(c)
    # a number the cleaned passage keeps is the report's own: never dropped
    kept = c.model_copy(update={"quote": "in Q2 2019 and COVID19 cases"})
    assert shown_quote(kept) == "in Q2 2019 and COVID19 cases"


def test_references_give_the_report_section_and_its_address(assistant: Assistant) -> None:
    """A reference names the report's full title, year and section, and its URL when the manifest has one;
    a footnote mark never runs into a word in a draft's quotes."""
    from reportqa.mq import draft_mq, to_markdown

    draft = draft_mq(assistant, "What reports has the Police and Crime Ethics Panel completed?",
                     min_answerability=0.0)
    md = to_markdown(draft)
    refs = md.split("## References", 1)[1]
    full = "MOPAC Annual Report 2015-16: the end of the Police and Crime Plan 2013-16"
    assert f"{full} (2015-16), section “" in refs
    assert "Public9" not in md and "Video10" not in md
    plan = next(r for r in assistant.reports if r.source_url)
    cited = draft_mq(assistant, "How many boroughs held town hall meetings in the consultation on the draft "
                                "Police and Crime Plan 2013-16?", min_answerability=0.0)
    lines = [ln for ln in to_markdown(cited).split("## References", 1)[1].splitlines() if ln[:1].isdigit()]
    on_plan = [ln for ln, c in zip(lines, cited.references, strict=True) if c.report_id == plan.id]
    assert on_plan and all(ln.endswith(" " + str(plan.source_url)) for ln in on_plan)
    assert all(not ln.endswith("http") for ln in lines)


def test_one_sentence_is_cited_under_one_number() -> None:
    """Two parts citing the same sentence through overlapping spans get one reference: the union of the
    spans (exact report text), every marker renumbered to it, and nothing listed twice."""
    from reportqa.mq.compose import _compose, _Item
    from reportqa.mq.model import MQPart
    from reportqa.types import Answer, Citation

    source = "Crime fell by 10% in 2015. It rose by 4% in 2016. Both figures are from the MPS."

    def cite(marker: int, a: int, b: int, passage_id: str) -> Citation:
        return Citation(marker=marker, passage_id=passage_id, report_id="r", title="Report", year="2015-16",
                        section="S", priority="general", quote=source[a:b], start=a, end=b)

    first = cite(1, 0, 26, "p1")  # "Crime fell by 10% in 2015."
    both = cite(1, 0, 50, "p2")  # the same sentence and the next, from an overlapping passage
    second = cite(2, 27, 50, "p2")  # "It rose by 4% in 2016."
    items = [
        _Item(MQPart(label="a", text="a?", question="A?", standalone="A?"),
              Answer(status="answered", text="Crime fell by 10% in 2015 (2015-16 report). [1]",
                     citations=(first,))),
        _Item(MQPart(label="b", text="b?", question="B?", standalone="B?"),
              Answer(status="answered", text="Crime fell by 10% in 2015 and rose by 4% in 2016 (2015-16 "
                                             "report). [1]", citations=(both,))),
        _Item(MQPart(label="c", text="c?", question="C?", standalone="C?"),
              Answer(status="answered", text="It rose by 4% in 2016 (2015-16 report). [2]",
                     citations=(second,))),
    ]
    draft = _compose(items, "t", "q", "", 8)
    assert len(draft.references) == 1
    (ref,) = draft.references
    assert (ref.start, ref.end, ref.quote) == (0, 50, source[:50]) and ref.marker == 1
    assert all(markers_in(p.text) == {1} for p in draft.parts)
    assert [p.citations for p in draft.parts] == [(ref,), (ref,), (ref,)]
    check_reference_contract(draft)


def test_a_part_that_failed_says_its_error_and_one_left_out_says_why() -> None:
    from reportqa.mq.compose import _compose, _Item
    from reportqa.mq.model import MQPart

    items = [
        _Item(MQPart(label="a", text="a?", question="A?", standalone="A?"), None,
              error="the index is missing"),
        _Item(MQPart(label="b", text="b?", question="B?", standalone="B?"), None,
              "the draft answers the first 1 parts"),
    ]
    failed, skipped = _compose(items, "t", "q", "", 1).parts
    assert (failed.status, failed.text) == ("error", "Not answered: the index is missing.")
    assert skipped.status == "not_processed"
    assert skipped.text == ("Not processed (the draft answers the first 1 parts). Ask it separately, or in a "
                            "shorter question.")


def test_markdown_has_no_html_entities_and_no_live_tag() -> None:
    from markdown_it import MarkdownIt

    from reportqa.mq.render import md_text

    assert md_text("Over 60% of victims were < 25 and > 18 & satisfied") == (
        "Over 60% of victims were < 25 and > 18 & satisfied")
    out = md_text("See <script>alert(1)</script> and <!-- x --> and > quoted")
    assert "&" not in out and "<script" not in out and "<!--" not in out
    html = MarkdownIt("commonmark").render(md_text("x <img src=x onerror=alert(1)>\n> not a quote"))
    assert "<img" not in html and "<blockquote>" not in html


def test_a_reference_line_gives_the_page_and_the_address_where_known() -> None:
    from reportqa.mq.render import _reference_line
    from reportqa.types import Citation

    c = Citation(marker=1, passage_id="p", report_id="r", title="MOPAC Annual Report 2015-16", year="2015-16",
                 section="Cutting Costs > Bobbies before buildings", priority="general",
                 quote="Over £50m has been saved.", start=0, end=25)
    head = "MOPAC Annual Report 2015-16 (2015-16), section “Cutting Costs › Bobbies before buildings”"
    assert _reference_line(c) == f"{head}: “Over £50m has been saved.”"
    url = "https://www.london.gov.uk/mopac-2015-16.pdf"
    paged = c.model_copy(update={"page": 31, "source_url": url})
    assert _reference_line(paged) == f"{head}, p. 31: “Over £50m has been saved.” {url}"


def test_a_draft_shows_what_retrieval_ranks_first_for_the_whole_question(assistant: Assistant) -> None:
    """Whatever its parts find, a draft never shows less than retrieval of the question as tabled: each of
    the top passages is cited, shown as a part's background, or listed as nearby."""
    text = ("Custody visiting\n\nIndependent custody visitors check on detainees. (a) How many visits did "
            "they make, and (b) will you publish their reports?")
    draft = assistant.draft_mq(text)
    top = {c.passage_id for c in assistant.background(draft.question, k=5)}
    assert top
    shown = {c.passage_id for p in draft.parts for c in (*p.citations, *p.related)}
    shown |= {c.passage_id for c in draft.nearby}
    assert top <= shown
