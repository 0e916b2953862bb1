"""The short answer keeps what was asked when the answer's lead does not hold it (issue 24): the answer's
sentence that says most of what was asked (`reportqa.short.relevance`: the asked words it holds, weighted
by how few of the answer's sentences hold them) is shown after the lead when it says more than the lead
does; further sentences that say at least half as much follow while they fit; a list the lead introduces
leaves room for that sentence; a question that leaves the kind of figure open gets a sentence with one.
Every sentence shown is one of the answer's, with its citation."""

from __future__ import annotations

import re
from functools import partial

from answers import citation

from reportqa.short import MAX_WORDS, STRETCH, short_answer, words
from reportqa.short.relevance import question_words, relevance
from reportqa.types import Answer

TITLE_15 = "MOPAC Annual Report 2015-16"
TITLE_23 = "2023-24 MOPAC Annual Report"


def _openings(text: str) -> tuple[str, ...]:
    """The openings the answer's composer records (`Answer.openings`) for a text written as it writes them."""
    return tuple(re.findall(r"(?m)^(According to [^\n]*?\): |In the [^:\n]*?: )", text))


_cite = partial(citation, report="mopac-2015-16", title=TITLE_15, year="2015-16")


def test_relevance_weighs_the_asked_words_a_sentence_holds_by_how_few_sentences_hold_them() -> None:
    asked = question_words("How many emergency departments share data with the police?")
    said = relevance(asked, ["The police use data.", "Police data: 19 emergency departments share it.",
                             "Police numbers rose.", "Nothing asked here."])
    assert said[1] > said[0] > said[2] > said[3] == 0.0
    # "police" is in three of four sentences, "data" in two: the rarer word weighs more
    assert said[0] - said[2] > said[2]
    # equal sets of words score exactly equal, in any order (ties are broken by position, never by hashing)
    assert relevance(asked, ["Data on police.", "Police data."]) == relevance(asked, ["Police data.",
                                                                                       "Data on police."])
    # aliases are one word ("the Met" is "MPS"); what a question says of the reports themselves is not asked
    met = relevance(question_words("What did the report say about the Met?"),
                    ["The MPS grew.", "The report was published."])
    assert met[0] > 0.0 and met[1] == 0.0
    assert relevance(frozenset(), ["Any sentence."]) == [0.0] and relevance(asked, []) == []


def test_the_sentence_saying_most_of_what_was_asked_follows_a_lead_that_says_less() -> None:
    text = (f"According to the 2023-24 annual report ({TITLE_23}): Worry about local crime fell by 9 per "
            "cent over the last year, to 41 per cent, in the Public Attitude Survey. [1]\n"
            "In the 2015-16 annual report: Recorded incidents of anti-social behaviour in London dropped by "
            "21% between June 2014 and June 2015. [2]\n"
            "In the 2015-16 annual report: The Mayor opened a new hub in Lewisham for young people. [3]")
    cites = (_cite(1, report="mopac-2023-24", title=TITLE_23, year="2023-24"), _cite(2), _cite(3))
    question = "How much did recorded anti-social behaviour incidents fall?"
    short = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                question=question))
    # the lead first (its report named in the source line), then the sentence that holds the asked detail,
    # named by its own report; the sentence that says nothing asked is left out
    assert short.text == ("Worry about local crime fell by 9 per cent over the last year, to 41 per cent, in "
                          "the Public Attitude Survey. In the 2015-16 annual report: Recorded incidents of "
                          "anti-social behaviour in London dropped by 21% between June 2014 and June 2015.")
    assert short.markers == (1, 2) and short.year == "2023-24" and short.more
    # a question the lead answers best: the lead alone
    lead_only = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                    question="How far did worry about local crime fall in the survey?"))
    assert lead_only.text.startswith("Worry about local crime") and "21%" not in lead_only.text


def test_further_sentences_say_enough_of_what_was_asked_fit_and_come_from_an_asked_year() -> None:
    text = (f"According to the 2015-16 annual report ({TITLE_15}): Kicks uses football to engage young "
            "people at risk of gang crime. [1]\n"
            "4,842 young people took part in Kicks football sessions, six times the target. [2]\n"
            "The Mayor met the Commissioner. [3]\n"
            f"According to the 2023-24 annual report ({TITLE_23}): Kicks football sessions reached 5,000 "
            "young people. [4]")
    cites = (_cite(1), _cite(2), _cite(3), _cite(4, report="mopac-2023-24", title=TITLE_23, year="2023-24"))
    short = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                question="How many young people took part in Kicks football?"))
    assert "4,842 young people" in short.text and "5,000" in short.text
    assert "Commissioner" not in short.text  # it says nothing asked
    assert short.words <= MAX_WORDS
    # a question naming a year: only sentences of that year's report are added
    year = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                               question="How many young people took part in Kicks football in 2015-16?"))
    assert "4,842 young people" in year.text and "5,000" not in year.text
    # the words allowed: a sentence that does not fit is left out, the words of its report's name counted
    tight = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                question="How many young people took part in Kicks football?"), max_words=20)
    assert "5,000" not in tight.text and tight.words <= 20 + STRETCH


def test_a_list_the_lead_introduces_leaves_room_for_the_sentence_that_says_what_was_asked() -> None:
    lines = "\n".join(f"- {what} fell by {n} per cent, comparing the 12 months to May 2016 with the 12 "
                      f"months to January 2024 [1]" for what, n in (("homicide", 3), ("gun crime", 19),
                                                                    ("knife injury", 19), ("burglary", 18)))
    text = (f"According to the 2023-24 annual report ({TITLE_23}): This plan aims to increase Londoners' "
            f"sense of safety by: [1]\n{lines}\n"
            "In the 2015-16 annual report: The number of emergency departments sharing data with the police "
            "has more than quadrupled, from four to 19. [2]")
    cites = (_cite(1, report="mopac-2023-24", title=TITLE_23, year="2023-24"), _cite(2))
    question = "How many emergency departments share data with the police?"
    short = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                question=question))
    assert short.text.startswith("This plan aims to increase Londoners' sense of safety by:\n- homicide")
    assert short.text.endswith("In the 2015-16 annual report: The number of emergency departments sharing "
                               "data with the police has more than quadrupled, from four to 19.")
    assert short.words <= MAX_WORDS + STRETCH
    # asked about the list's own subject, the list keeps its room
    listed = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                 question="By how much did gun crime and burglary fall since May 2016?"))
    assert "quadrupled" not in listed.text


def test_a_question_leaving_the_kind_of_figure_open_gets_a_sentence_with_a_figure() -> None:
    long = " ".join(["and"] * 30)
    text = (f"According to the 2023-24 annual report ({TITLE_23}): Survey data shows the latest public "
            f"confidence in the police has stabilised since September 2022. [1] The rate for the year ending "
            f"June 2023 was 51 per cent, {long} above the national average. [1]")
    cites = (_cite(1, report="mopac-2023-24", title=TITLE_23, year="2023-24"),)
    short = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                                question="What is the most recent public confidence figure for the Met?"))
    # the second sentence says none of the asked words, but holds the figure the first lacks (a date is no
    # figure): it is shown, a few words past the limit
    assert "51 per cent" in short.text and MAX_WORDS < short.words <= MAX_WORDS + STRETCH
    assert words(short.text) == short.words
    # a question that asks no figure: the lead's first sentence alone (the second does not fit)
    what = short_answer(Answer(status="answered", text=text, citations=cites, openings=_openings(text),
                               question="Has public confidence stabilised?"))
    assert "51 per cent" not in what.text


def test_short_answers_on_the_real_index_are_the_answer_s_own_sentences(assistant) -> None:  # type: ignore[no-untyped-def]
    """On the real index: every sentence of the short answer is one of the full answer's (a later report's
    named first), the lead leads, and the answer's sentence saying most of what was asked is kept when it
    fits beside the lead."""
    import re

    from reportqa.short.asks import _asks
    from reportqa.short.pieces import _candidate, _openings, _pieces

    for q in ("What did Operation Sceptre achieve in its first two weeks?",
              "How many young Londoners has the London Gang Exit service supported?",
              "How many emergency departments share data with the police in London?"):
        ans = assistant.ask(q)
        if ans.status not in ("answered", "partial"):
            continue
        short = short_answer(ans)
        pieces = _pieces(ans.text, _openings(ans))
        sentences = {p.shown for p in pieces}
        shown = re.sub(r"(?:^|(?<=[.:!?]) )In the [^:]{3,60} report: ", "", short.text)
        lead = next(p for p in pieces if not p.gap)
        assert shown.startswith(lead.shown)
        for line in shown.split("\n"):
            if line.startswith(("- ", "• ")) and any(line.rstrip(" …")[2:] in s for s in sentences):
                continue  # a list's line, perhaps shortened
            left = line
            for s in sorted(sentences, key=len, reverse=True):
                left = left.replace(s, " ")
            assert not left.strip(), line
        said = relevance(question_words(ans.question, *_asks(ans)), [p.shown for p in pieces])
        rest = [p for p in pieces[lead.index + 1 :] if _candidate(p, pieces)]
        best = max(rest, key=lambda p: (said[p.index], -p.index), default=None)
        if best is not None and said[best.index] > said[lead.index]:
            # shown, or it did not fit (its report's name counted)
            assert best.shown in short.text or short.words + best.words + 6 > MAX_WORDS + STRETCH
