"""The short answer reads an answer's structure, never the wording the product wrote (issue 25): a partial
answer's gap is the sentence its answer cites nothing for, and in an answer joining several asks a line that
cites only what the lines above cite is a part answered by an earlier part's passage, however it is worded."""

from __future__ import annotations

from reportqa.short import short_answer
from reportqa.types import Answer, Citation

TITLE_22 = "2022-2023 MOPAC Annual Report"
TITLE_23 = "2023-24 MOPAC Annual Report"


def _cite(marker: int, report: str = "mopac-2022-23", title: str = TITLE_22,
          year: str = "2022-23") -> Citation:
    return Citation(marker=marker, passage_id=f"{report}-p{marker}", report_id=report, title=title, year=year,
                    section="S", priority="general", quote="q", start=10 * marker, end=10 * marker + 5,
                    kind="annual report")


def test_a_part_answered_above_is_found_by_its_markers_whatever_it_says() -> None:
    text = (f"According to the 2022-23 annual report ({TITLE_22}): The unit had 12 vans. [1]\n"
            f"According to the 2023-24 annual report ({TITLE_23}): The scheme helped 430 victims. [2]\n"
            "For this part, see [1] above.")
    asks = "How many vans did the unit have? | How many victims did the scheme help? | Which unit had vans?"
    cites = (_cite(1), _cite(2, report="mopac-2023-24", title=TITLE_23, year="2023-24"))
    short = short_answer(Answer(status="answered", text=text, citations=cites, rewritten_question=asks))
    # three asks, two more part openings: the second part's answer is shown, the pointer back is not
    assert short.text == ("The unit had 12 vans. In the 2023-24 annual report: The scheme helped 430 "
                          "victims.")
    one = short_answer(Answer(status="answered", text=text, citations=cites,
                              rewritten_question="How many vans did the unit have?"))
    assert one.text == "The unit had 12 vans."  # one ask: the lines after the lead are not parts


def test_a_partial_answer_keeps_its_gap_however_it_is_worded() -> None:
    text = (f"Nothing here on the 2015-16 budget.\nWhat they do say: According to the 2022-23 annual report "
            f"({TITLE_22}): The Met's budget was £4bn. [1]")
    short = short_answer(Answer(status="partial", text=text, citations=(_cite(1),), missing="the budget"))
    assert short.text == "Nothing here on the 2015-16 budget. What they do say: The Met's budget was £4bn."
    assert short.markers == (1,)
