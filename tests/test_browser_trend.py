"""The workspace's Trend tab at 1024x768 (issue 24) in Debian's chromium (headless) against a real
`reportqa serve` on 127.0.0.1 and the real index: every plotted figure has a point marker, no line is drawn
across the years with no report (2016-17 to 2021-22: they are shaded, and 2022-23 stands alone as a marker),
the column that flags a changed definition is on screen with no horizontal scroll, the text alternative
reads as sentences with each unit once, and axe-core finds no violation in the tab, in light and dark.

Screenshots go to $REPORTQA_ARTIFACTS/screenshots (default artifacts/ in the repo, which git ignores).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import webkit
from webkit import CONTRAST_JS, LONG, Server, new_page, shot

from reportqa.config import Config

pytestmark = pytest.mark.slow
browser = webkit.browser  # Debian's chromium, headless

VIEWPORT = {"width": 1024, "height": 768}
FLAG_HEADER = "Comparable with the year before"

# the chart's geometry, read from the SVG in its own units: each marker's centre, each line's points, the
# shaded bands of years with no report, and each year label's centre on the x-axis
CHART_JS = """
() => {
  const svg = document.querySelector('#rq-trend-plot svg[role=img]');
  const centre = (el) => { const b = el.getBBox(); return [b.x + b.width / 2, b.y + b.height / 2]; };
  const markers = [...svg.querySelectorAll('.rq-trend-point')].map((m) => ({
    at: centre(m), title: m.querySelector('title').textContent, fill: m.getAttribute('fill'),
    size: [m.getBoundingClientRect().width, m.getBoundingClientRect().height]}));
  const lines = [...svg.querySelectorAll('path[stroke]:not(.rq-trend-point)')].map((p) =>
    (p.getAttribute('d').match(/-?[0-9.]+ -?[0-9.]+/g) || []).map((xy) => xy.split(' ').map(Number)));
  const bands = [...svg.querySelectorAll('rect')].map((r) => {
    const b = r.getBBox(); return [b.x, b.x + b.width]; });
  const years = {};
  svg.querySelectorAll('text').forEach((t) => {
    if (/^[0-9]{4}-[0-9]{2}$/.test(t.textContent)) years[t.textContent] = centre(t)[0]; });
  return {markers, lines, bands, years};
}
"""
# where the flag column is, and whether anything scrolls sideways: the table, its container and the page
LAYOUT_JS = """
(header) => {
  const table = document.querySelector('#rq-trend-table table');
  const th = [...table.querySelectorAll('thead th')].find((e) => e.textContent.trim() === header);
  const column = [...th.parentElement.children].indexOf(th);
  const cells = [...table.querySelectorAll('tbody tr')].map((tr) => tr.children[column])
    .filter((c) => c && c.textContent.trim() && !c.hasAttribute('colspan'));
  const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right}; };
  const scrolls = [];
  for (let e = table; e && e !== document.documentElement; e = e.parentElement) {
    if (e.scrollWidth > e.clientWidth + 1) scrolls.push([e.tagName, e.id || e.className, e.scrollWidth,
                                                         e.clientWidth]); }
  const doc = document.scrollingElement;
  return {header: box(th), cells: cells.map((c) => ({text: c.textContent.trim(), ...box(c)})),
          table: [table.scrollWidth, table.clientWidth], scrolls,
          page: [doc.scrollWidth, doc.clientWidth], viewport: window.innerWidth};
}
"""


@pytest.fixture(scope="module")
def server(index_config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(index_config, tmp_path_factory.mktemp("trend"), rate_limit="1000")
    yield s
    s.stop()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    pg = new_page(browser, viewport=VIEWPORT)
    yield pg
    pg.context.close()


def trace(page: Any, server: Server, measure: str, theme: str = "light") -> None:
    page.goto(server.url + ("/?__theme=dark" if theme == "dark" else "/"))
    page.get_by_label("Your question").wait_for()
    page.get_by_role("tab", name="Trend").click()
    page.get_by_label("Measure to trace").fill(measure)
    page.get_by_role("button", name="Trace across the reports").click()
    page.locator("#rq-trend-status").get_by_text("annual reports give a figure").wait_for(timeout=LONG)
    page.locator("#rq-trend-plot svg[role=img]").wait_for()
    page.locator("#rq-trend-table table").wait_for()
    page.wait_for_function("() => !document.querySelector('.pending, .wrap:not(.hide) .eta-bar')")


def year_at(years: dict[str, float], x: float) -> str:
    return min(years, key=lambda y: abs(years[y] - x))


def test_every_figure_has_a_marker_and_no_line_crosses_the_years_with_no_report(page: Any,
                                                                               server: Server) -> None:
    trace(page, server, "officer numbers")
    table = page.locator("#rq-trend-table").inner_text()
    figures = [line.split("\t")[0] for line in table.splitlines()
               if re.match(r"\d{4}-\d{2}\t", line) and "no figure in this report" not in line]
    assert figures == ["2014-15", "2015-16", "2022-23"], table
    chart = page.evaluate(CHART_JS)
    years = chart["years"]
    assert list(years) == [f"{y}-{(y + 1) % 100:02d}" for y in range(2014, 2024)]
    marked = [year_at(years, m["at"][0]) for m in chart["markers"]]
    assert sorted(marked) == figures  # one marker for every plotted figure, at its year
    for m in chart["markers"]:
        assert m["size"][0] >= 8 and m["size"][1] >= 8, m  # big enough to see at 1024 px
        assert re.match(r"\d{4}-\d{2}: ", m["title"]), m  # its year and figure on hover
    # the years with no report are shaded, and no line is drawn across them
    assert len(chart["bands"]) == 1
    left, right = chart["bands"][0]
    assert year_at(years, left + 1) == "2016-17" and year_at(years, right - 1) == "2021-22"
    joined = []
    for points in chart["lines"]:
        assert len(points) >= 2
        at = [year_at(years, x) for x, _ in points]
        joined.append(at)
        for (xa, _), (xb, _) in zip(points, points[1:], strict=False):
            assert xb <= left or xa >= right, f"a line crosses the years with no report: {at}"
            ya, yb = int(year_at(years, xa)[:4]), int(year_at(years, xb)[:4])
            assert yb - ya == 1, f"a line joins years that do not follow each other: {at}"
    assert joined == [["2014-15", "2015-16"]]  # 2022-23 stands alone: its marker, no line
    alone = [m for m in chart["markers"] if year_at(years, m["at"][0]) == "2022-23"]
    assert alone[0]["fill"] != chart["markers"][0]["fill"]  # a changed definition: another line's colour
    legend = page.locator("#rq-trend-plot .rq-trend-legend").inner_text()
    assert "officer numbers (officers)" in legend and "2014-15 to 2015-16" in legend
    assert "no annual report" in legend
    shot(page, "trend-1024-officers", full=False)


def test_the_flag_column_is_on_screen_at_1024_px_with_no_sideways_scroll(page: Any, server: Server) -> None:
    trace(page, server, "officer numbers")
    page.locator("#rq-trend-table table").scroll_into_view_if_needed()
    layout = page.evaluate(LAYOUT_JS, FLAG_HEADER)
    assert layout["viewport"] == 1024
    assert layout["header"]["left"] >= 0 and layout["header"]["right"] <= 1024, layout
    flagged = [c for c in layout["cells"] if c["text"].startswith("No:")]
    assert flagged and "one year counts officers as a target" in flagged[0]["text"], layout["cells"]
    for c in layout["cells"]:
        assert c["left"] >= 0 and c["right"] <= 1024, c
    assert layout["table"][0] <= layout["table"][1], layout  # the table's scrollWidth <= clientWidth
    assert layout["scrolls"] == [], layout  # nor anything around it
    assert layout["page"][0] <= layout["page"][1], layout
    assert page.get_by_role("columnheader", name=FLAG_HEADER).is_visible()
    assert "no annual report in the collection" in page.locator("#rq-trend-table").inner_text()
    shot(page, "trend-1024-table", full=False)


@pytest.mark.parametrize("measure", ["public confidence", "officer numbers", "body worn video cameras"])
def test_the_text_alternative_reads_as_sentences(page: Any, server: Server, measure: str) -> None:
    trace(page, server, measure)
    alt = page.locator("#rq-trend-alt-text").inner_text()
    text = alt.removeprefix("Text alternative:").strip()
    assert text.startswith(f"The chart traces {measure} through ")
    assert not re.search(r"%\s*%|per cent\s*%|%\s*per cent|£\s*£", text), text
    assert not re.search(r"\d\s+count\b", text), text  # "around 32,000 count"
    assert not re.search(r"\b(\w+) \1\b", text), text  # no word twice in a row ("officers officers")
    for sentence in re.split(r"(?<=\.) ", text):
        assert sentence[:1].isupper() or sentence[:1].isdigit(), sentence
        assert sentence.endswith("."), sentence
    svg = page.locator("#rq-trend-plot svg[role=img]")
    assert svg.get_attribute("aria-describedby") == "rq-trend-alt-text"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_trend_tab_has_no_axe_violations_and_readable_text(page: Any, server: Server, theme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    trace(page, server, "officer numbers", theme)
    page.wait_for_timeout(400)  # CSS transitions end
    result = Axe().run(page, context={"include": [["#rq-trend-tab"]]})
    violations = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                  for v in result.response["violations"]]
    assert violations == []
    contrast = page.evaluate(CONTRAST_JS, "#rq-trend-tab")
    assert contrast["checked"] > 20 and contrast["failures"] == [], contrast["failures"]
    shot(page, f"trend-1024-{theme}")
