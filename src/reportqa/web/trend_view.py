"""The workspace's Trend tab: one measure traced through every annual report, as a chart above a table.

The chart is an SVG drawn here (Gradio's LinePlot draws points only on hover): report years on the x-axis,
one line for each run of comparable years, so a year whose figure counts something else than the year
before starts a new line and is never joined to it, and a year with no report (or a report with no figure)
leaves a gap; years with no report in the collection are shaded and labelled. Every plotted figure has a
point marker, each line its own marker shape as well as its own colour (a year standing alone is its marker
only), and each marker names its year and figure on hover. The legend, in HTML under the chart, names the
measure and its unit and every line. The colours keep at least 3:1 contrast on the light and the dark
theme, the axes and labels take the theme's text colour, and a text alternative under the chart says
everything it shows, as sentences.

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

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reportqa.errors import ReportQAError
from reportqa.types import Answer, Trend, TrendRow
from reportqa.web.markup import esc

if TYPE_CHECKING:
    from reportqa.service import Assistant

# blue-500, orange-600, green-600, pink-600: >= 3:1 against white and against Gradio's dark background
COLOURS = ("#3b82f6", "#ea580c", "#16a34a", "#db2777")
SHAPES = ("circle", "square", "triangle", "diamond")  # a line's marker, so colour is never the only cue
HEADERS = ["Year", "Figure", "Comparable with the year before", "What it counts", "Period", "Basis", "Source"]
FLAG = HEADERS.index("Comparable with the year before")
NO_UNIT = ("", "count")  # figures.py's unit for a count whose noun is not after the number

# the chart's drawing, in viewBox units (the SVG scales to its container, up to MAX_WIDTH px wide)
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 14, 46
MAX_WIDTH = 760
TEXT = "fill: var(--body-text-color); color: var(--body-text-color)"
GRID = "stroke: var(--border-color-primary)"
HALO = "stroke: var(--block-background-fill, #fff); stroke-width: 1.5"

TABLE_CSS = """
table { width: 100%; border-collapse: collapse; table-layout: auto; font-size: var(--text-md); }
caption { text-align: left; font-weight: 600; padding: 0 0 0.4rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.5rem; overflow-wrap: break-word;
  border-bottom: 1px solid var(--border-color-primary); }
thead th { border-bottom-width: 2px; }
tr.rq-trend-gap td { font-style: italic; }
"""


def _start(year: str) -> int:
    return int(year[:4])


def _fy(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def segments(t: Trend) -> list[list[TrendRow]]:
    """The runs of rows with figures, each comparable with the row before and a year after it: a year with
    no report, or a report with no figure, leaves a gap (the line is never drawn across it). A year whose
    reports differ is a point for each report, joined to neither side: no line picks one of them."""
    out: list[list[TrendRow]] = []
    joined = False  # whether the row before was plotted, for the financial year just before this one
    last = None
    for r in t.rows:
        if r.figure is None or r.value is None:
            joined = False
            continue
        if r.differs:
            out.append([r])
            joined = False
            continue
        follows = joined and last is not None and _start(r.year) - _start(last.year) == 1
        if out and follows and r.comparable:
            out[-1].append(r)
        else:
            out.append([r])
        joined, last = True, r
    return out


def no_report(t: Trend) -> list[tuple[int, int]]:
    """The runs of financial years (first, last start year) between the first and the last report that
    have no report in the collection."""
    held = {_start(r.year) for r in t.rows}
    if not held:
        return []
    out: list[tuple[int, int]] = []
    for y in range(min(held), max(held) + 1):
        if y in held:
            continue
        if out and out[-1][1] == y - 1:
            out[-1] = (out[-1][0], y)
        else:
            out.append((y, y))
    return out


def _gap_years(first: int, last: int) -> str:
    return _fy(first) if first == last else f"{_fy(first)} to {_fy(last)}"


def figure_text(r: TrendRow) -> str:
    """A figure with its unit once: "22,000 cameras", "20%", "£294m", "around 32,000 officers"; a count
    whose noun the report puts elsewhere is the number alone ("around 32,000")."""
    figure = f"{r.qualifier} {r.figure or ''}".strip()
    unit = r.unit.strip()
    if unit in NO_UNIT or unit in ("%", "£") or (r.figure or "").lower().endswith(unit.lower()):
        return figure
    return f"{figure} {unit}"


def _units(t: Trend) -> list[str]:
    return list(dict.fromkeys(r.unit for r in t.with_figures if r.unit not in NO_UNIT))


def _unit_name(unit: str) -> str:
    return {"%": "per cent", "£": "pounds"}.get(unit, unit)


def legend_title(t: Trend) -> str:
    """The legend's title: the measure and its unit ("officer numbers (officers)")."""
    units = _units(t)
    if len(units) == 1 and not _mixed_kinds(t):
        return f"{t.measure} ({_unit_name(units[0])})"
    return f"{t.measure}: what each line counts"


def _mixed_kinds(t: Trend) -> bool:
    """Whether a count sits with a percentage or a sum of money (a count's unit may be unnamed)."""
    kinds = {r.unit if r.unit in ("%", "£") else "count" for r in t.with_figures}
    return len(kinds) > 1


def _counts(r: TrendRow) -> str:
    """What a row counts, for the middle of a sentence: "Officers" (a capital only because it began a list
    item) is "officers"; a name or an acronym keeps its capitals."""
    what = r.counts or (r.unit if r.unit not in NO_UNIT else "")
    first = what.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and first.lower() == r.unit.lower():
        return first.lower() + what[len(first):]
    return what


def series_name(run: list[TrendRow]) -> str:
    first, last = run[0], run[-1]
    years = first.year if first is last else f"{first.year} to {last.year}"
    what = _counts(first)
    return f"{years}: {what}" if what else years


def _label(t: Trend, r: TrendRow) -> str:
    """A row's year, and its report when the year has several ("2031-32, Lantern Patrol Review")."""
    return f"{r.year}, {r.title}" if t.shared(r.year) else r.year


def plot_rows(t: Trend) -> list[dict[str, Any]]:
    """The chart's points: x (the financial year's first calendar year), y, series (one per comparable run;
    a run of a year with several reports is named with its report too), label (the financial year, and the
    report when the year has several) and figure (as the report writes it, with its unit)."""
    out = []
    names: set[str] = set()
    for run in segments(t):
        name = series_name(run)
        if name in names or any(t.shared(r.year) for r in run):
            name = f"{name} ({run[-1].title})"
        names.add(name)
        out += [{"year": float(_start(r.year)), "value": r.value, "series": name, "label": _label(t, r),
                 "figure": figure_text(r)} for r in run]
    return out


def y_title(t: Trend) -> str:
    units = _units(t)
    if _mixed_kinds(t) or len(units) > 1:
        return "value: units in the legend"
    if not units:
        return "number"
    return _unit_name(units[0])


def table_rows(t: Trend) -> list[list[str]]:
    """The table's rows, in the order of HEADERS: one for each report."""
    rows = []
    for r in t.rows:
        if r.figure is None:
            rows.append([_label(t, r), "no figure in this report", "", "", "", "", ""])
            continue
        flag = "yes" if r.comparable else f"no: {r.reason}"
        if r is t.with_figures[0]:
            flag = "first figure"
        if r.differs:  # another report of the year gives another figure: said first, never hidden
            flag = f"{flag}; {r.differs}"
        marker = f"[{r.citation.marker}]" if r.citation is not None else ""
        cells = [_label(t, r), f"{r.qualifier} {r.figure}".strip(), r.counts, r.period,
                 r.basis.replace("_", " "), marker]
        cells.insert(FLAG, flag)
        rows.append(cells)
    return rows


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def alt_text(t: Trend) -> str:
    """Everything the chart shows, as sentences."""
    if not t.rows:
        return f"No annual report to trace {t.measure} through."
    first, last = t.rows[0].year, t.rows[-1].year
    n = len(t.rows)
    span = first if first == last else f"{first} to {last}"
    parts = [f"The chart traces {t.measure} through {n} annual report{'s' if n > 1 else ''}, {span}."]
    for run in segments(t):
        what = _counts(run[0])
        listed = _and([f"{figure_text(r)} in {r.year}" for r in run])
        when = (f"In {run[0].year} alone" if len(run) == 1
                else f"From {run[0].year} to {run[-1].year}, one line")
        parts.append(f"{when}{', counting ' + what if what else ''}: {listed}.")
    for year in t.disputed:
        differ = [r for r in t.rows if r.year == year and r.differs]
        parts.append(f"For {year} the reports differ: "
                     f"{_and([f'{r.title} gives {figure_text(r)}' for r in differ])}; both are shown.")
    for r in t.flags:
        parts.append(f"{_label(t, r)} is not joined to the year before: {r.reason}.")
    missing = [_label(t, r) for r in t.rows if r.figure is None]
    if missing:
        parts.append(f"The {_and(missing)} report{'s give' if len(missing) > 1 else ' gives'} no figure.")
    gaps = no_report(t)
    if gaps:
        spans = _and([_gap_years(a, b) for a, b in gaps])
        parts.append(f"There is no annual report for {spans} in the collection: the lines stop there.")
    return " ".join(parts)


def _nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that covers 0..top in about `ticks` steps."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def chart_spec(t: Trend) -> dict[str, Any] | None:
    """What the chart is drawn from: its points (`plot_rows`), the axes' ranges and titles, a colour and a
    marker shape for each line, the legend's title and the text alternative."""
    points = plot_rows(t)
    if not points:
        return None
    names = list(dict.fromkeys(str(p["series"]) for p in points))
    xs = [_start(r.year) for r in t.rows]
    top = max(float(p["value"]) for p in points)
    step = _nice_step(top * 1.05)
    return {
        "rows": points,
        "y_lim": [0, step * math.ceil(top * 1.05 / step)],
        "y_step": step,
        "color_map": {n: COLOURS[i % len(COLOURS)] for i, n in enumerate(names)},
        "shape_map": {n: SHAPES[i % len(SHAPES)] for i, n in enumerate(names)},
        "x_lim": [min(xs) - 0.5, max(xs) + 0.5],
        "no_report": no_report(t),
        "y_title": y_title(t),
        "color_title": legend_title(t),
        "caption": alt_text(t),
    }


def _tick(v: float, unit: str) -> str:
    """A y-axis label: "35,000", "60%", "£1.5m"."""
    if unit == "£":
        for scale, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if v >= scale:
                return f"£{v / scale:g}{suffix}"
        return f"£{v:g}"
    text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2g}"
    return f"{text}%" if unit == "%" else text


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def marker_path(shape: str, x: float, y: float, r: float = 5.0) -> str:
    """The SVG path of a marker of `shape` centred on (x, y)."""
    if shape == "square":
        s = r * 0.9
        return f"M{_f(x - s)} {_f(y - s)}h{_f(2 * s)}v{_f(2 * s)}h{_f(-2 * s)}Z"
    if shape == "triangle":
        top, side, low = y - r * 1.2, r * 1.15, y + r * 0.85
        return f"M{_f(x)} {_f(top)}L{_f(x + side)} {_f(low)}L{_f(x - side)} {_f(low)}Z"
    if shape == "diamond":
        d = r * 1.3
        return f"M{_f(x)} {_f(y - d)}L{_f(x + d)} {_f(y)}L{_f(x)} {_f(y + d)}L{_f(x - d)} {_f(y)}Z"
    return (f"M{_f(x - r)} {_f(y)}a{_f(r)} {_f(r)} 0 1 0 {_f(2 * r)} 0"
            f"a{_f(r)} {_f(r)} 0 1 0 {_f(-2 * r)} 0Z")


def chart_html(t: Trend) -> str:
    """The chart as an SVG with its legend under it, or a sentence when no report gives a figure."""
    spec = chart_spec(t)
    if spec is None:
        return f"<p>No annual report gives a figure for {esc(t.measure)}, so there is nothing to chart.</p>"
    x0, x1 = (float(v) for v in spec["x_lim"])
    y1 = float(spec["y_lim"][1])
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return TOP + ph - (y / y1) * ph if y1 else TOP + ph

    units = _units(t)
    unit = units[0] if len(units) == 1 and not _mixed_kinds(t) else ""
    out = [f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' role='img' aria-labelledby='rq-trend-svg-title' "
           "aria-describedby='rq-trend-alt-text' font-size='12' "
           f"style='display: block; width: 100%; max-width: {MAX_WIDTH}px; height: auto; "
           f"font-family: var(--font)'>",
           f"<title id='rq-trend-svg-title'>Chart of {esc(t.measure)} by financial year</title>"]
    for a, b in spec["no_report"]:  # shaded bands where the collection has no report
        left, right = px(a - 0.5), px(b + 0.5)
        label = "no report" if a == b else "no reports"
        out.append(f"<g><title>{_gap_years(a, b)}: no annual report in the collection</title>"
                   f"<rect x='{_f(left)}' y='{TOP}' width='{_f(right - left)}' height='{ph}' "
                   "style='fill: var(--border-color-primary); opacity: 0.45'></rect>")
        if right - left >= 56:
            out.append(f"<text x='{_f((left + right) / 2)}' y='{TOP + 14}' text-anchor='middle' "
                       f"style='{TEXT}'>{label}</text>")
        out.append("</g>")
    step = spec["y_step"]
    for i in range(round(y1 / step) + 1):
        v = i * step
        y = py(v)
        out.append(f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{_f(y)}' y2='{_f(y)}' style='{GRID}'></line>"
                   f"<text x='{LEFT - 6}' y='{_f(y + 4)}' text-anchor='end' style='{TEXT}'>"
                   f"{esc(_tick(v, unit))}</text>")
    years = list(range(math.ceil(x0), math.floor(x1) + 1))
    every = 1 if len(years) <= 11 else 2
    for i, year in enumerate(years):
        x = px(year)
        out.append(f"<line x1='{_f(x)}' x2='{_f(x)}' y1='{TOP + ph}' y2='{TOP + ph + 5}' "
                   f"style='{GRID}'></line>")
        if i % every == 0:
            out.append(f"<text x='{_f(x)}' y='{TOP + ph + 18}' text-anchor='middle' style='{TEXT}'>"
                       f"{_fy(year)}</text>")
    out.append(f"<text x='{LEFT + pw / 2:g}' y='{HEIGHT - 6}' text-anchor='middle' style='{TEXT}'>"
               "Financial year</text>")
    out.append(f"<text transform='translate(14 {TOP + ph / 2:g}) rotate(-90)' text-anchor='middle' "
               f"style='{TEXT}'>{esc(spec['y_title'])}</text>")
    for r in t.rows:  # a report with no figure: said on the chart, just above the axis
        if r.figure is None:
            out.append(f"<text x='{_f(px(_start(r.year)))}' y='{TOP + ph - 6}' text-anchor='middle' "
                       f"font-size='11' style='{TEXT}'>no figure</text>")
    runs: dict[str, list[dict[str, Any]]] = {}
    for p in spec["rows"]:
        runs.setdefault(str(p["series"]), []).append(p)
    for name, pts in runs.items():
        colour, shape = spec["color_map"][name], spec["shape_map"][name]
        out.append("<g>")
        if len(pts) > 1:
            d = "M" + "L".join(f"{_f(px(p['year']))} {_f(py(float(p['value'])))}" for p in pts)
            out.append(f"<path d='{d}' fill='none' stroke='{colour}' stroke-width='2.5' "
                       "stroke-linejoin='round'></path>")
        for p in pts:
            x, y = px(p["year"]), py(float(p["value"]))
            out.append(f"<path class='rq-trend-point' d='{marker_path(shape, x, y)}' fill='{colour}' "
                       f"style='{HALO}'><title>{esc(p['label'])}: {esc(p['figure'])}</title></path>")
        out.append("</g>")
    out.append("</svg>")
    legend = [f"<p style='margin: 0.5rem 0 0.25rem 0; font-weight: 600'>{esc(spec['color_title'])}</p>",
              "<ul style='list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; "
              "gap: 0.25rem 1.25rem'>"]
    for name in runs:
        colour, shape = spec["color_map"][name], spec["shape_map"][name]
        legend.append("<li style='display: flex; align-items: center; gap: 0.4rem'>"
                      "<svg width='32' height='14' viewBox='0 0 32 14' aria-hidden='true'>"
                      f"<line x1='1' x2='31' y1='7' y2='7' stroke='{colour}' stroke-width='2.5'></line>"
                      f"<path d='{marker_path(shape, 16, 7)}' fill='{colour}' style='{HALO}'></path></svg>"
                      f"<span>{esc(name)}</span></li>")
    legend.append("</ul>")
    if spec["no_report"]:
        legend.append("<p style='margin: 0.25rem 0 0 0'>Shaded: years with no annual report in the "
                      "collection.</p>")
    return ("<div class='rq-trend-chart'>" + "".join(out) + "</div><div class='rq-trend-legend'>"
            + "".join(legend) + "</div>")


def table_html(t: Trend) -> str:
    """The table: one row for each report, and one for each run of years with no report, in year order."""
    gaps = no_report(t)
    head = "".join(f"<th scope='col'>{esc(h)}</th>" for h in HEADERS)
    body: list[tuple[int, str]] = []
    for r, cells in zip(t.rows, table_rows(t), strict=True):
        tds = [f"<th scope='row'>{esc(cells[0])}</th>"]
        for i, c in enumerate(cells[1:], start=1):
            html = f"<strong>No:</strong> {esc(c[4:])}" if i == FLAG and c.startswith("no: ") else esc(c)
            if i == FLAG and r.differs:
                html = html.replace(esc(r.differs), "<strong>The reports differ:</strong> "
                                    + esc(r.differs.removeprefix("the reports differ: ")))
            tds.append(f"<td>{html}</td>")
        body.append((_start(r.year), "<tr>" + "".join(tds) + "</tr>"))
    for a, b in gaps:
        body.append((a, f"<tr class='rq-trend-gap'><th scope='row'>{_gap_years(a, b)}</th>"
                        f"<td colspan='{len(HEADERS) - 1}'>no annual report in the collection</td></tr>"))
    body.sort(key=lambda x: x[0])
    return ("<table><caption>Figures by report</caption><thead><tr>" + head + "</tr></thead><tbody>"
            + "".join(row for _, row in body) + "</tbody></table>")


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
