"""The Trend tab's chart, an SVG drawn here (Gradio's LinePlot draws points only on hover): report years on
the x-axis, one line for each run of comparable years (`web.trend_series.segments`), so a year whose figure
counts something else than the year before starts a new line and is never joined to it, and a year with no
report (or a report with no figure) leaves a gap; years with no report in the collection are shaded and
labelled. Every plotted figure has a point marker, each line its own marker shape as well as its own colour
(a year standing alone is its marker only), and each marker names its year and figure on hover. The legend,
in HTML under the chart, names the measure and its unit and every line. The colours keep at least 3:1
contrast on the light and the dark theme, and the axes and labels take the theme's text colour.

Everything from the corpus or from the officer is escaped before it is put in HTML.
"""

from __future__ import annotations

import math
from typing import Any

from reportqa.types import Trend
from reportqa.web.markup import esc
from reportqa.web.trend_series import (
    alt_text,
    financial_year,
    gap_years,
    legend_title,
    mixed_kinds,
    no_report,
    plot_rows,
    start_year,
    units_of,
    y_title,
)

# blue-500, orange-600, green-600, pink-600: >= 3:1 against white and against Gradio's dark background
COLOURS = ("#3b82f6", "#ea580c", "#16a34a", "#db2777")
SHAPES = ("circle", "square", "triangle", "diamond")  # a line's marker, so colour is never the only cue
# the chart's drawing, in viewBox units (the SVG scales to its container, up to MAX_WIDTH px wide)
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 14, 46
MAX_WIDTH = 760
TEXT = "fill: var(--body-text-color); color: var(--body-text-color)"
GRID = "stroke: var(--border-color-primary)"
HALO = "stroke: var(--block-background-fill, #fff); stroke-width: 1.5"


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
    xs = [start_year(r.year) for r in t.rows]
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

    units = units_of(t)
    unit = units[0] if len(units) == 1 and not mixed_kinds(t) else ""
    out = [f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' role='img' aria-labelledby='rq-trend-svg-title' "
           "aria-describedby='rq-trend-alt-text' font-size='12' "
           f"style='display: block; width: 100%; max-width: {MAX_WIDTH}px; height: auto; "
           f"font-family: var(--font)'>",
           f"<title id='rq-trend-svg-title'>Chart of {esc(t.measure)} by financial year</title>"]
    for a, b in spec["no_report"]:  # shaded bands where the collection has no report
        left, right = px(a - 0.5), px(b + 0.5)
        label = "no report" if a == b else "no reports"
        out.append(f"<g><title>{gap_years(a, b)}: no annual report in the collection</title>"
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
                       f"{financial_year(year)}</text>")
    out.append(f"<text x='{LEFT + pw / 2:g}' y='{HEIGHT - 6}' text-anchor='middle' style='{TEXT}'>"
               "Financial year</text>")
    out.append(f"<text transform='translate(14 {TOP + ph / 2:g}) rotate(-90)' text-anchor='middle' "
               f"style='{TEXT}'>{esc(spec['y_title'])}</text>")
    for r in t.rows:  # a report with no figure: said on the chart, just above the axis
        if r.figure is None:
            out.append(f"<text x='{_f(px(start_year(r.year)))}' y='{TOP + ph - 6}' text-anchor='middle' "
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


