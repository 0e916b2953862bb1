"""The Trend tab's chart data and its text alternative (web.trend_view): a year with no report, or a report
with no figure, leaves a gap in the line; the legend names the measure and its unit; the text alternative
reads as sentences and names each unit once ("20%", never "20% %"); the chart (an SVG) marks every figure
and draws no line across a gap; the table puts the flag third."""

from __future__ import annotations

import re

from reportqa.types import Trend, TrendRow
from reportqa.web.trend_view import (
    COLOURS,
    HEADERS,
    alt_text,
    chart_html,
    chart_spec,
    figure_text,
    legend_title,
    segments,
    table_html,
    table_rows,
    y_title,
)


def row(year: str, figure: str | None = None, value: float | None = None, unit: str = "", counts: str = "",
        comparable: bool = True, reason: str = "", qualifier: str = "") -> TrendRow:
    return TrendRow(year=year, report_id=f"r-{year}", title=f"Report {year}", figure=figure, value=value,
                    unit=unit, counts=counts, comparable=comparable, reason=reason, qualifier=qualifier)


OFFICERS = Trend(measure="officer numbers", rows=(
    row("2013-14", "31,000", 31000, "officers", "police officers"),
    row("2014-15", "32,000", 32000, "officers", "police officers", qualifier="around"),
    row("2015-16", "32,000", 32000, "officers", "police officers"),
    row("2022-23", "33,000", 33000, "officers", "police officers"),  # six years with no report before it
    row("2023-24"),  # a report with no figure
))
CONFIDENCE = Trend(measure="public confidence", rows=(
    row("2014-15", "20%", 20, "%", "people confident"),
    row("2015-16", "63%", 63, "%", "people who think the police do a good job", comparable=False,
        reason="one year counts people confident, the next people who think the police do a good job"),
))


def test_years_with_no_report_or_no_figure_leave_a_gap() -> None:
    runs = segments(OFFICERS)
    assert [[r.year for r in run] for run in runs] == [["2013-14", "2014-15", "2015-16"], ["2022-23"]]
    spec = chart_spec(OFFICERS)
    assert spec is not None
    assert len(spec["color_map"]) == 2  # two lines: nothing drawn across 2016-17 to 2021-22
    assert spec["x_lim"] == [2012.5, 2023.5]


def test_the_legend_names_the_measure_and_unit() -> None:
    assert legend_title(OFFICERS) == "officer numbers (officers)"
    assert legend_title(CONFIDENCE) == "public confidence (per cent)"
    assert chart_spec(CONFIDENCE)["color_title"] == "public confidence (per cent)"  # type: ignore[index]
    mixed = Trend(measure="officer numbers", rows=(row("2014-15", "32,000", 32000, "officers"),
                                                   row("2015-16", "20%", 20, "%", comparable=False)))
    assert legend_title(mixed) == "officer numbers: what each line counts"
    assert "units differ" not in y_title(mixed) and "legend" in y_title(mixed)


def test_the_text_alternative_reads_as_sentences_with_each_unit_once() -> None:
    assert figure_text(CONFIDENCE.rows[0]) == "20%"
    assert figure_text(OFFICERS.rows[1]) == "around 32,000 officers"
    text = alt_text(CONFIDENCE)
    assert "% %" not in text and "20% in 2014-15" in text
    assert text.startswith("The chart traces public confidence through 2 annual reports, 2014-15 to 2015-16.")
    assert "2015-16 is not joined to the year before: one year counts" in text
    officers = alt_text(OFFICERS)
    assert ("From 2013-14 to 2015-16, one line, counting police officers: 31,000 officers in 2013-14, "
            "around 32,000 officers in 2014-15 and 32,000 officers in 2015-16.") in officers
    assert "In 2022-23 alone, counting police officers: 33,000 officers in 2022-23." in officers
    assert "The 2023-24 report gives no figure." in officers
    assert "There is no annual report for 2016-17 to 2021-22 in the collection" in officers
    for sentence in officers.split(". "):
        assert sentence[0].isupper() or sentence[0].isdigit(), sentence


def test_a_count_whose_noun_is_elsewhere_is_the_number_alone() -> None:
    r = row("2015-16", "32,000", 32000, "count", "police officer numbers", qualifier="around")
    assert figure_text(r) == "around 32,000"
    t = Trend(measure="officer numbers", rows=(OFFICERS.rows[0], r))
    assert legend_title(t) == "officer numbers (officers)" and y_title(t) == "officers"
    assert "around 32,000 in 2015-16" in alt_text(t) and not re.search(r"\d count\b", alt_text(t))
    assert figure_text(row("2023-24", "51 per cent", 51, "%")) == "51 per cent"
    assert figure_text(row("2023-24", "£294m", 294e6, "£")) == "£294m"


def test_the_chart_marks_every_figure_and_draws_no_line_across_a_gap() -> None:
    html = chart_html(OFFICERS)
    assert html.count("class='rq-trend-point'") == 4  # every plotted figure, the lone 2022-23 included
    lines = re.findall(r"<path d='([^']*)' fill='none' stroke='(#[0-9a-f]{6})'", html)
    assert len(lines) == 1 and lines[0][1] == COLOURS[0]  # 2013-14 to 2015-16; 2022-23 is a marker only
    assert lines[0][0].count("L") == 2
    assert "<title>2016-17 to 2021-22: no annual report in the collection</title>" in html
    assert ">no figure</text>" in html  # 2023-24
    assert "officer numbers (officers)" in html and "2013-14 to 2015-16: police officers" in html
    assert "aria-describedby='rq-trend-alt-text'" in html
    shapes = [re.sub(r"[-0-9. ]", "", d) for d in re.findall(r"class='rq-trend-point' d='([^']*)'",
                                                              chart_html(CONFIDENCE))]
    assert len(shapes) == 2 and shapes[0] != shapes[1]  # two lines: two marker shapes, not colour alone
    hostile = Trend(measure="<b>{{x}}</b> ${y}", rows=(row("2014-15", "20", 20, "count", "<i>it</i>"),))
    out = chart_html(hostile)
    assert "<b>" not in out and "<i>" not in out and "{{" not in out and "${" not in out


def test_the_table_puts_the_flag_third_and_names_the_years_with_no_report() -> None:
    assert HEADERS[2] == "Comparable with the year before"
    rows = table_rows(CONFIDENCE)
    assert rows[0][2] == "first figure" and rows[1][2].startswith("no: one year counts")
    html = table_html(OFFICERS)
    assert "<th scope='col'>Comparable with the year before</th>" in html
    order = [html.index(y) for y in ("2015-16</th>", "2016-17 to 2021-22", "2022-23</th>")]
    assert order == sorted(order)
    assert "no annual report in the collection" in html and "no figure in this report" in html
