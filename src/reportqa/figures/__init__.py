"""Figures in report sentences, read with the words of lexicon/measures.toml: pure functions (no I/O but
that file).

- `trend_question`: whether a question asks how a measure changed across the reports, the measure it names and
  the report years it restricts the trace to;
- `figures_in`: every figure a sentence states (not years, dates or names such as "Section 136"), with its
  unit (%, £ or the count noun), how the report hedges it ("over"), and what it counts in the report's own
  words ("body worn video cameras"; for a percentage or a sum of money, what comes before it: "current
  confidence");
- `period_of`: the period a sentence says its figure covers ("In 2015/16", "12 months to January 2024");
- `basis_of`: whether the figure was planned, a target, a forecast, a change, an amount raised, a
  headcount...;
- `difference`: why two years' figures are not comparable, in one line ("" when they are).

The package's modules, lowest first: `measures` (the lexicon), `questions` (trend questions), `reading`
(figures_in, worded_figures, row_figures), `counting` (counted), `basis` (period_of, basis_of),
`comparison` (measure_words, phrase_match, difference). Import the names from here.
"""

from __future__ import annotations

from reportqa.figures.basis import Period, basis_kind, basis_of, period_kind, period_of
from reportqa.figures.comparison import Reading, difference, measure_words, phrase_match
from reportqa.figures.counting import counted
from reportqa.figures.measures import (
    STATED,
    UNSTATED,
    Kind,
    Lexicon,
    MeasuresError,
    lexicon,
    measure_kind,
    parse,
)
from reportqa.figures.questions import TrendQuestion, trend_question
from reportqa.figures.reading import Figure, figures_in, head_of, row_figures, worded_figures

__all__ = [
    "STATED",
    "UNSTATED",
    "Figure",
    "Kind",
    "Lexicon",
    "MeasuresError",
    "Period",
    "Reading",
    "TrendQuestion",
    "basis_kind",
    "basis_of",
    "counted",
    "difference",
    "figures_in",
    "head_of",
    "lexicon",
    "measure_kind",
    "measure_words",
    "parse",
    "period_kind",
    "period_of",
    "phrase_match",
    "row_figures",
    "trend_question",
    "worded_figures",
]
