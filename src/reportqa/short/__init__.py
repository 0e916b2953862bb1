"""Short public answers (issue 24): the sentence that answers, its year and its source, built at the edges.

The public widget and `reportqa ask` lead with this; "More" in the widget and `ask --full` show the whole
answer, and the workspace always shows it whole. It is read off a finished `Answer` (its text, citations,
and the openings and parts its composer recorded), so how answers are composed and graded is untouched:

- the lead is the answer's first cited unit, as the eval's `lead_key_facts` reads it: the sentences up to
  the end of the first citation marker's run, with the list items a colon introduces;
- the repeated opening "According to the 2022-23 annual report (2022-2023 MOPAC Annual Report): " (as
  `Answer.openings` records it) is dropped, the report named once in a source line instead
  (`ShortAnswer.source`, `.year`, `.url`); a sentence taken from another report says which ("In the 2015-16
  annual report: ...");
- within `max_words` (60), whole sentences: the lead's first one always (a sentence over the limit is shown
  whole rather than cut), then
  - for a question in parts, the sentence that answers each other part; for a question naming several
    years, the best sentence of every asked year the taken ones do not cite;
  - when what is taken holds no figure of the kind asked (a count, a sum, a share, a date, a length of
    time, any figure when the question leaves its kind open: `question.query.read_query`), the first
    sentence of the answer that does, one of a later passage only when that passage names what was asked
    about; and when the lead has a sentence whose figure of that kind counts what was asked
    (`figures.counted`, `figures.phrase_match`) better than what is taken, that sentence: either with the
    one before it when it leans on it ("This money ..."), and up to `STRETCH` (10) words past the limit;
  - when another of the answer's sentences says more of what was asked than every sentence taken
    (`relevance`: the question's words it holds, each weighted by how few of the answer's sentences hold
    it), that sentence, up to `STRETCH` words past the limit: the answer's lead does not always hold the
    asked detail; a list the lead introduces leaves room for it (its lines shortened further) when the two
    fit;
  - the lead's other sentences in order while the total stays within the limit;
  - then the answer's other sentences that say at least half (`SAYS_ENOUGH`) of what the one saying most
    of it says, the most first, each that fits, one of a later passage only when that passage names what
    was asked about; (these and the one before: when the question names years, only from those years'
    reports);
- the limit counts the words shown, the name of each other report a sentence comes from included;
- a list comes with its introduction, whatever marker its lines carry: whole when it fits, else every
  line at its shortest (its first sentence, its own heading "Strategy and Oversight", its first clause or
  first words, a cut marked "…"), the room left lengthening the cut lines in order; a list's introduction
  is never shown without its first line; bullets, dashes and "…" are not counted as words;
- a partial answer keeps its gap ("The reports do not give ... What they do say:") before the lead; an
  answer that cites nothing (not found, refused) is shown as it is.

The package: `pieces` cuts the answer's text into sentences (and reads its lead unit), `asks` reads what the
question asks for, `relevance` how much of it each sentence says, `lists` shortens a list's lines to fit,
`compose` takes the sentences and builds the `ShortAnswer`.
"""

from __future__ import annotations

from reportqa.short.compose import MAX_WORDS, SAYS_ENOUGH, STRETCH, ShortAnswer, short_answer, source_line
from reportqa.short.lead import lead_span
from reportqa.short.pieces import lead_unit, words

__all__ = ["MAX_WORDS", "SAYS_ENOUGH", "STRETCH", "ShortAnswer", "lead_span", "lead_unit", "short_answer",
           "source_line",
           "words"]
