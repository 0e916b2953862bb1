"""The workspace's Trend tab: one measure traced through every annual report, as a chart beside a table.

The chart is Gradio's LinePlot: report years on the x-axis, one line for each run of comparable years, so a
year whose figure counts something else than the year before starts a new line and is never joined to it,
and a year with no report (or a report with no figure) leaves a gap. The legend names the measure and its
unit.
A year standing alone is drawn as a short dash at its value. The colours keep at least 3:1 contrast on the
light and the dark theme, and a text alternative under the chart says everything it shows. The table gives
every year, its figure or "no figure in this report", what it counts, the period and the basis as the
report words them, the flag, and the marker of the source quoted below it.

Everything from the corpus or from the officer is escaped before it is put in HTML. Gradio and pandas are
imported only inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reportqa.errors import ReportQAError
from reportqa.types import Answer, Trend, TrendRow

if TYPE_CHECKING:
    from reportqa.service import Assistant

# blue-500, orange-600, green-600, pink-600: >= 3:1 against white and against Gradio's dark background
COLOURS = ("#3b82f6", "#ea580c", "#16a34a", "#db2777")
HEADERS = ["Year", "Figure", "What it counts", "Period", "Basis", "Comparable with the year before", "Source"]
DASH = 0.12  # half the width, in years, of the dash that draws a year standing alone


def _start(year: str) -> int:
    return int(year[:4])


def segments(t: Trend) -> list[list[TrendRow]]:
    """The runs of rows with figures, each comparable with the row before and a year after it: a year with
    no report, or a report with no figure, leaves a gap (the line is never drawn across it)."""
    out: list[list[TrendRow]] = []
    joined = False  # whether the row before was plotted, for the financial year just before this one
    last = None
    for r in t.rows:
        if r.figure is None or r.value is None:
            joined = False
            continue
        follows = joined and last is not None and _start(r.year) - _start(last.year) == 1
        if out and follows and r.comparable:
            out[-1].append(r)
        else:
            out.append([r])
        joined, last = True, r
    return out


def figure_text(r: TrendRow) -> str:
    """A figure with its unit once: "22,000 cameras", "20%", "£294m", "around 32,000 officers"."""
    figure = f"{r.qualifier} {r.figure or ''}".strip()
    if not r.unit or r.unit in ("%", "£") or (r.figure or "").endswith(r.unit):
        return figure
    return f"{figure} {r.unit}"


def legend_title(t: Trend) -> str:
    """The legend's title: the measure and its unit ("officer numbers (officers)")."""
    units = list(dict.fromkeys(r.unit for r in t.with_figures if r.unit))
    if len(units) == 1:
        unit = {"%": "per cent", "£": "pounds"}.get(units[0], units[0])
        return f"{t.measure} ({unit})"
    return f"{t.measure}: what each line counts"


def _years(a: str, b: str) -> str:
    return a if a == b else f"{a} to {b}"


def series_name(run: list[TrendRow]) -> str:
    first, last = run[0], run[-1]
    years = first.year if first is last else f"{first.year} to {last.year}"
    what = first.counts or first.unit
    return f"{years}: {what}" if what else years


def plot_rows(t: Trend) -> list[dict[str, Any]]:
    """The chart's data: x (the financial year's first calendar year), y, series (one per comparable run)."""
    out: list[dict[str, Any]] = []
    for run in segments(t):
        name = series_name(run)
        if len(run) == 1:
            r = run[0]
            x = _start(r.year)
            out += [
                {"year": x - DASH, "value": r.value, "series": name, "label": r.year},
                {"year": x + DASH, "value": r.value, "series": name, "label": r.year},
            ]
            continue
        out += [
            {"year": float(_start(r.year)), "value": r.value, "series": name, "label": r.year} for r in run
        ]
    return out


def y_title(t: Trend) -> str:
    units = {r.unit for r in t.with_figures}
    if units == {"%"}:
        return "per cent"
    if units == {"£"}:
        return "pounds"
    if len(units) == 1:
        return next(iter(units))
    return "value: each line's unit is in the legend and the table"


def table_rows(t: Trend) -> list[list[str]]:
    rows = []
    for r in t.rows:
        if r.figure is None:
            rows.append([r.year, "no figure in this report", "", "", "", "", ""])
            continue
        flag = "yes" if r.comparable else f"no: {r.reason}"
        if r is t.with_figures[0]:
            flag = "first figure"
        marker = f"[{r.citation.marker}]" if r.citation is not None else ""
        rows.append(
            [
                r.year,
                f"{r.qualifier} {r.figure}".strip(),
                r.counts,
                r.period,
                r.basis.replace("_", " "),
                flag,
                marker,
            ]
        )
    return rows


def alt_text(t: Trend) -> str:
    """Everything the chart shows, as sentences."""
    if not t.rows:
        return f"No annual report to trace {t.measure} through."
    first, last = t.rows[0].year, t.rows[-1].year
    n = len(t.rows)
    parts = [f"The chart traces {t.measure} through {n} annual report{'s' if n > 1 else ''}, "
             f"{_years(first, last)}."]
    for run in segments(t):
        what = run[0].counts or run[0].unit
        figures = [f"{figure_text(r)} in {r.year}" for r in run]
        listed = figures[0] if len(figures) == 1 else ", ".join(figures[:-1]) + " and " + figures[-1]
        when = (f"In {run[0].year} alone" if len(run) == 1
                else f"From {run[0].year} to {run[-1].year}, one line")
        parts.append(f"{when}{', counting ' + what if what else ''}: {listed}.")
    for r in t.flags:
        parts.append(f"{r.year} is not joined to the year before: {r.reason}.")
    missing = [r.year for r in t.rows if r.figure is None]
    if missing:
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        parts.append(f"The {listed} report{'s give' if len(missing) > 1 else ' gives'} no figure.")
    held = {_start(r.year) for r in t.rows}
    gaps = [y for y in range(min(held), max(held) + 1) if y not in held]
    if gaps:
        span = f"{gaps[0]}-{(gaps[0] + 1) % 100:02d}" if len(gaps) == 1 else \
            f"{gaps[0]}-{(gaps[0] + 1) % 100:02d} to {gaps[-1]}-{(gaps[-1] + 1) % 100:02d}"
        parts.append(f"There is no annual report for {span} in the collection: the lines stop there.")
    return " ".join(parts)


def chart_spec(t: Trend) -> dict[str, Any] | None:
    """What the chart is drawn from: its rows (`plot_rows`) and the LinePlot settings that depend on them."""
    points = plot_rows(t)
    if not points:
        return None
    names = list(dict.fromkeys(str(p["series"]) for p in points))
    xs = [_start(r.year) for r in t.rows]
    top = max(float(p["value"]) for p in points)
    return {
        "rows": points,
        "y_lim": [0, top * 1.1],
        "color_map": {n: COLOURS[i % len(COLOURS)] for i, n in enumerate(names)},
        "x_lim": [min(xs) - 0.5, max(xs) + 0.5],
        "y_title": y_title(t),
        "color_title": legend_title(t),
        "caption": alt_text(t),
    }


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
    import pandas as pd

    from reportqa.web.ui import esc, sources_html

    def run(measure: str) -> tuple[Any, ...]:
        m = (measure or "").strip()
        if not m:
            gr.Warning("Type what to trace first, e.g. officer numbers.")
            return (gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
        try:
            t, answer = trace(get_assistant, m)
        except ReportQAError as exc:
            raise gr.Error(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
        plot = chart_spec(t)
        shown = f"{len(t.with_figures)} of {len(t.rows)} annual reports give a figure for {m}."
        status = f"<p>{esc(shown)}</p>"
        alt = f"<p id='rq-trend-alt-text'><strong>Text alternative:</strong> {esc(alt_text(t))}</p>"
        return (plot, table_rows(t), alt, sources_html(answer, 1, label), status)

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
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                plot = gr.State(None)

                # drawn anew for every trace: a LinePlot whose data is updated in place stays undrawn
                # (Gradio 6.31)
                @gr.render(inputs=[plot])  # type: ignore[untyped-decorator]  # gradio does not type it
                def draw(spec: dict[str, Any] | None) -> None:
                    kw: dict[str, Any] = {}
                    data = None
                    if spec:
                        data = pd.DataFrame(spec["rows"])
                        kw = {k: v for k, v in spec.items() if k != "rows"}
                    gr.LinePlot(
                        data,
                        x="year",
                        y="value",
                        color="series",
                        x_title="Financial year starting",
                        x_axis_format="d",
                        tooltip=["label", "value", "series"],
                        label="Chart",
                        height=340,
                        elem_id="rq-trend-plot",
                        key="rq-trend-plot",
                        **kw,
                    )

                alt = gr.HTML("", elem_id="rq-trend-alt")
            with gr.Column(scale=1):
                table = gr.Dataframe(
                    headers=HEADERS,
                    value=[],
                    interactive=False,
                    wrap=True,
                    label="Figures by report",
                    elem_id="rq-trend-table",
                )
        sources = gr.HTML("<p>Sources appear here after a trace.</p>", elem_id="rq-trend-sources")
        outs = [plot, table, alt, sources, status]
        go.click(run, [measure], outs, **private)
        measure.submit(run, [measure], outs, **private)
