"""The short answer reads an answer's structure, never the wording the product wrote (issue 25): the openings
it leaves out are those `Answer.openings` records; a partial answer's gap is the sentence its answer cites
nothing for; in an answer joining several asks, each part starts where `Answer.parts` (recorded by
`pipeline.combine`) says, and a line that cites only what the lines above cite is a part answered by an
earlier part's passage, however it is worded."""

from __future__ import annotations

from answers import citation

from reportqa.short import short_answer
from reportqa.types import Answer, AnswerPart

TITLE_22 = "2022-2023 MOPAC Annual Report"
TITLE_23 = "2023-24 MOPAC Annual Report"
OPEN_22 = f"According to the 2022-23 annual report ({TITLE_22}): "  # as the composer records it
OPEN_23 = f"According to the 2023-24 annual report ({TITLE_23}): "


_cite = citation


def test_a_part_answered_above_is_found_by_its_markers_whatever_it_says() -> None:
    text = (f"{OPEN_22}The unit had 12 vans. [1]\n{OPEN_23}The scheme helped 430 victims. [2]\n"
            "For this part, see [1] above.")
    asks = "How many vans did the unit have? | How many victims did the scheme help? | Which unit had vans?"
    cites = (_cite(1), _cite(2, report="mopac-2023-24", title=TITLE_23, year="2023-24"))
    lines = text.split("\n")
    parts = tuple(AnswerPart(kind=kind, first_line=line)
                  for kind, line in zip(("answered", "answered", "recited"), lines, strict=True))
    short = short_answer(Answer(status="answered", text=text, citations=cites, rewritten_question=asks,
                                parts=parts, openings=(OPEN_22, OPEN_23)))
    # three asks, two more part openings: the second part's answer is shown, the pointer back is not
    assert short.text == ("The unit had 12 vans. In the 2023-24 annual report: The scheme helped 430 "
                          "victims.")
    one = short_answer(Answer(status="answered", text=text, citations=cites, openings=(OPEN_22, OPEN_23),
                              rewritten_question="How many vans did the unit have?"))
    assert one.text == "The unit had 12 vans."  # one ask: the lines after the lead are not parts


def test_a_partial_answer_keeps_its_gap_however_it_is_worded() -> None:
    text = f"Nothing here on the 2015-16 budget.\nWhat they do say: {OPEN_22}The Met's budget was £4bn. [1]"
    short = short_answer(Answer(status="partial", text=text, citations=(_cite(1),), missing="the budget",
                                openings=(OPEN_22,)))
    assert short.text == "Nothing here on the 2015-16 budget. What they do say: The Met's budget was £4bn."
    assert short.markers == (1,)


def test_each_part_starts_where_the_answer_records_it_whatever_its_words() -> None:
    # (the second part's lines share no word with its ask: `relevance` alone would not show them)
    text = ("Vans, report by report: 12 in 2022-23. [1]\n"
            "Victims supported: 430 in all. [2]\n"
            "A helpline also ran. [2]")
    asks = "How many vans did the unit have? | How many people did it reach?"
    cites = (_cite(1), _cite(2, report="mopac-2023-24", title=TITLE_23, year="2023-24"))
    lines = text.split("\n")
    parts = tuple(AnswerPart(kind="answered", first_line=line) for line in lines[:2])
    short = short_answer(Answer(status="answered", text=text, citations=cites, rewritten_question=asks,
                                parts=parts))
    # the second part opens without naming its report: found by the record, its answering sentence shown
    assert short.text == ("Vans, report by report: 12 in 2022-23. In the 2023-24 annual report: Victims "
                          "supported: 430 in all.")
    # a part whose first line is no longer in the text (taken out when the answer was checked) is not found:
    # the parts are not told apart, and the short answer is the lead alone
    gone = parts[:1] + (AnswerPart(kind="answered", first_line="A line since removed. [3]"),)
    short = short_answer(Answer(status="answered", text=text, citations=cites, rewritten_question=asks,
                                parts=gone))
    assert short.text == "Vans, report by report: 12 in 2022-23."
    # nor is a part that opens partway into its answer (its first sentence is above, under an earlier part's
    # marker) or a refusal: the short answer is then the lead alone too
    for other in (AnswerPart(kind="answered", first_line=lines[1], whole=False),
                  AnswerPart(kind="refused", first_line=lines[1])):
        short = short_answer(Answer(status="answered", text=text, citations=cites, rewritten_question=asks,
                                    parts=parts[:1] + (other,)))
        assert short.text == "Vans, report by report: 12 in 2022-23."


def test_combine_records_each_asks_part() -> None:
    from reportqa.pipeline.combine import combine

    a = Answer(status="answered", text=f"{OPEN_22}The unit had 12 vans. [1]", citations=(_cite(1),),
               rewritten_question="How many vans did the unit have?", openings=(OPEN_22,))
    same = a.model_copy(update={"rewritten_question": "Which unit had vans?"})
    gap = Answer(status="not_found", text="The reports don't say.", rewritten_question="How many dogs?")
    refused = Answer(status="refused", text="I can't help with that.\nAsk about the reports.")
    joined = combine("q", [a, same, gap, refused], 0.0)
    lines = joined.text.split("\n")
    assert [p.kind for p in joined.parts] == ["answered", "recited", "gap", "refused"]
    assert [p.first_line for p in joined.parts] == [lines[0], lines[1], lines[2], lines[3]]
    assert all(p.whole for p in joined.parts)
    # the openings and gap sentences written travel as data: each is in the joined text as recorded
    assert joined.openings == (OPEN_22,) and joined.gaps == (lines[2],)
    assert lines[2].startswith("The reports do not give")  # the gap line `combine.gap_line` wrote
    # a part whose answer's first sentence an earlier part already gave opens partway into its answer
    more = a.model_copy(update={"text": a.text + "\nIt also had 3 cars. [2]",
                                "citations": (_cite(1), _cite(2)),
                                "rewritten_question": "What vehicles did the unit have?"})
    joined = combine("q", [a, more], 0.0)
    assert [(p.kind, p.whole) for p in joined.parts] == [("answered", True), ("answered", False)]
    assert joined.parts[1].first_line == "It also had 3 cars. [2]"
    assert "parts" not in joined.to_json()  # read in-process, not part of the answer's JSON
    assert "openings" not in joined.to_json() and "gaps" not in joined.to_json()
    # a partial ask's gap sentence is carried as its answer recorded it
    partial = Answer(status="partial", text="The reports do not give a cost figure for the vans.\nWhat they "
                     f"do say: {OPEN_23}The scheme helped 430 victims. [1]", citations=(_cite(1),),
                     rewritten_question="What did the vans cost?", openings=(OPEN_23,),
                     gaps=("The reports do not give a cost figure for the vans.",))
    joined = combine("q", [a, partial], 0.0)
    assert joined.openings == (OPEN_22, OPEN_23)
    assert joined.gaps == partial.gaps and joined.text.split("\n")[1] == partial.gaps[0]
