"""The workspace's Trend tab: one measure traced through every annual report, as a chart (`web.trend_chart`)
above a table, with a text alternative under the chart that says everything it shows, as sentences
(`web.trend_series`, which holds the figures as data).

The table (plain HTML, full width, its cells wrapping) gives every year, its figure or "no figure in this
report", whether it is comparable with the year before (the flag, third so that it is never scrolled to),
what it counts, the period and the basis as the report words them, and the marker of the source quoted
below it; a run of years with no report is one row. A year with several reports has a row for each, named
by its report; when they give different figures for the same measure and period, each row's flag says "the
reports differ" with every report's figure, the chart shows each as its own point, and the text
alternative says so.

Everything from the corpus or from the officer is escaped before it is put in HTML. Gradio is imported only
inside the function that builds the tab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reportqa.errors import ReportQAError
from reportqa.types import Answer, Trend, TrendRow
from reportqa.web.markup import esc

# the chart and the figures as data live below this module; the names callers import from here are
# re-exported (`x as x`)
from reportqa.web.trend_chart import COLOURS as COLOURS
from reportqa.web.trend_chart import chart_html
from reportqa.web.trend_chart import chart_spec as chart_spec
from reportqa.web.trend_series import FLAG, HEADERS, alt_text, gap_years, no_report, start_year, table_rows
from reportqa.web.trend_series import figure_text as figure_text
from reportqa.web.trend_series import legend_title as legend_title
from reportqa.web.trend_series import plot_rows as plot_rows
from reportqa.web.trend_series import segments as segments
from reportqa.web.trend_series import y_title as y_title

if TYPE_CHECKING:
    from reportqa.service import Assistant

TABLE_CSS = """
table { width: 100%; border-collapse: collapse; table-layout: auto; font-size: var(--text-md); }
caption { text-align: left; font-weight: 600; padding: 0 0 0.4rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.5rem; overflow-wrap: break-word;
  border-bottom: 1px solid var(--border-color-primary); }
thead th { border-bottom-width: 2px; }
tr.rq-trend-gap td { font-style: italic; }
"""


def table_html(t: Trend) -> str:
    """The table: one row for each report, and one for each run of years with no report, in year order."""
    gaps = no_report(t)
    head = "".join(f"<th scope='col'>{esc(h)}</th>" for h in HEADERS)
    body: list[tuple[int, str]] = []
    for r, cells in zip(t.rows, table_rows(t), strict=True):
        tds = [f"<th scope='row'>{esc(cells[0])}</th>"]
        for i, c in enumerate(cells[1:], start=1):
            tds.append(f"<td>{_flag_html(t, r, c) if i == FLAG else esc(c)}</td>")
        body.append((start_year(r.year), "<tr>" + "".join(tds) + "</tr>"))
    for a, b in gaps:
        body.append((a, f"<tr class='rq-trend-gap'><th scope='row'>{gap_years(a, b)}</th>"
                        f"<td colspan='{len(HEADERS) - 1}'>no annual report in the collection</td></tr>"))
    body.sort(key=lambda x: x[0])
    return ("<table><caption>Figures by report</caption><thead><tr>" + head + "</tr></thead><tbody>"
            + "".join(row for _, row in body) + "</tbody></table>")


def _flag_html(t: Trend, r: TrendRow, cell: str) -> str:
    """A row's flag cell (`table_rows` writes its text) as HTML, read off the row: "No:" in bold before why
    the row is not comparable with the one before, and "The reports differ:" before every report's figure
    when another report of its year gives another (`TrendRow.differs_figures`)."""
    if r.figure is None:
        return esc(cell)
    said = cell[: len(cell) - len(f"; {r.differs}")] if r.differs else cell  # the cell without its differs
    first = bool(t.with_figures) and r is t.with_figures[0]
    html = esc(said) if r.comparable or first else f"<strong>No:</strong> {esc(r.reason)}"
    if r.differs:
        html += "; <strong>The reports differ:</strong> " + esc(r.differs_figures)
    return html


def trace(get_assistant: Callable[[], Assistant], measure: str) -> tuple[Trend, Answer]:
    """The trend of `measure` and the same as an answer (its text and citations), for the sources panel."""
    from reportqa.trend import citations, trend_text

    a = get_assistant()
    t = a.trend(measure)
    answer = Answer(
        status="answered",
        text=trend_text(t),
        citations=citations(t),
        question=measure,
        rewritten_question=measure,
        trend=t,
    )
    return t, answer


def add_trend_tab(
    get_assistant: Callable[[], Assistant], label: Callable[[str], str], private: dict[str, Any]
) -> None:
    """The Trend tab, built inside the caller's gr.Tabs (see web.ui.build_ui)."""
    import gradio as gr

    from reportqa.web.markup import sources_html

    def run(measure: str) -> tuple[Any, ...]:
        m = (measure or "").strip()
        if not m:
            gr.Warning("Type what to trace first, e.g. officer numbers.")
            return (gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
        try:
            t, answer = trace(get_assistant, m)
        except ReportQAError as exc:
            raise gr.Error(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
        shown = f"{len(t.with_figures)} of {len(t.rows)} annual reports give a figure for {m}."
        status = f"<p>{esc(shown)}</p>"
        alt = f"<p id='rq-trend-alt-text'><strong>Text alternative:</strong> {esc(alt_text(t))}</p>"
        return (chart_html(t), table_html(t), alt, sources_html(answer, 1, label), status)

    with gr.Tab("Trend", elem_id="rq-trend-tab"):
        gr.Markdown(
            "Trace one measure through every annual report. Years whose figure counts something "
            "else than the year before are flagged and not joined on the chart."
        )
        with gr.Row():
            measure = gr.Textbox(
                label="Measure to trace",
                elem_id="rq-trend-measure",
                scale=4,
                placeholder="e.g. officer numbers, custody visits by ICVs",
            )
            go = gr.Button("Trace across the reports", variant="primary", elem_id="rq-trend-go", scale=1)
        status = gr.HTML(
            "",
            elem_id="rq-trend-status",
            js_on_load="element.setAttribute('role', 'status'); element.setAttribute('aria-live', 'polite');",
        )
        plot = gr.HTML("<p>The chart appears here after a trace.</p>", elem_id="rq-trend-plot",
                       js_on_load=None)
        alt = gr.HTML("", elem_id="rq-trend-alt", js_on_load=None)
        table = gr.HTML("", elem_id="rq-trend-table", css_template=TABLE_CSS, js_on_load=None)
        sources = gr.HTML("<p>Sources appear here after a trace.</p>", elem_id="rq-trend-sources")
        outs = [plot, table, alt, sources, status]
        go.click(run, [measure], outs, **private)
        measure.submit(run, [measure], outs, **private)
