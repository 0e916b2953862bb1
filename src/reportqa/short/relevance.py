"""How much of what was asked a sentence of the answer says, read off the answer alone (`relevance`).

The question's content words (stemmed as BM25 reads them, aliases folded so "the Met" is "MPS":
`answer.features.alias_tokens`), but the words a question says of the reports themselves ("what did the
2015-16 report say"), are looked for in each sentence; each word found weighs by how few of the answer's
sentences hold it (an idf over the answer's own sentences: a word every sentence says, "crime", tells none
apart). No index, no model: the short answer is built at the edges from a finished `Answer`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# words a question says of the reports, not of what it asks about (stemmed): "What did the reports say ..."
_OF_THE_REPORTS = frozenset({"report", "annual", "say", "state", "mention", "accord"})


def _words(text: str) -> frozenset[str]:
    from reportqa.answer.features import alias_tokens

    return alias_tokens(text)


def question_words(*questions: str) -> frozenset[str]:
    """The content words of the question as asked and as rewritten (a follow-up's own words, "And across the
    four CSA Hubs?", and its standalone form), stemmed; numbers left out (the years asked have their own
    rule), and the words it says of the reports themselves."""
    return frozenset(w for q in questions for w in _words(q)
                     if not w[0].isdigit() and w[0] != "£" and w not in _OF_THE_REPORTS)


def relevance(asked: frozenset[str], sentences: Sequence[str]) -> list[float]:
    """For each sentence, the idf-weighted sum of the asked words it holds, the idf read over `sentences`
    (`log(1 + n / df)`, n sentences, df of them holding the word); 0.0 for a sentence holding none. A list as
    long as `sentences`; [] for none."""
    held = [_words(s) & asked for s in sentences]
    n = len(sentences)
    df: dict[str, int] = {}
    for words in held:
        for w in words:
            df[w] = df.get(w, 0) + 1
    # (summed in a fixed order and rounded: equal sets of words score equal, whatever the hash seed)
    return [round(sum(math.log(1 + n / df[w]) for w in sorted(words)), 9) for words in held]
