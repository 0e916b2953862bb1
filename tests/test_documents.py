"""New MOPAC documents of every kind, added as a user first would (`reportqa ingest FILE --title ... --year
...`), then asked a question only that document answers (issue 12).

The documents are small synthetic ones written for these tests (tests/documents/): an annual report from
before the first Police and Crime Plan, an annual report's summary page, a plan, a quarterly performance
report with a table, a decision notice saved from a repository viewer, a business-plan update extracted
with two columns side by side, and meeting slides. They go into an empty corpus in a tmp dir, through the
real CLI entry point, the real model and a real Chroma index.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from reportqa.chunk import block_sentences
from reportqa.cli import main
from reportqa.config import Config
from reportqa.errors import InputError
from reportqa.kinds import kinds, title_kind
from reportqa.layout import is_cover_fact, is_viewer_line
from reportqa.layout import patterns as layout_patterns
from reportqa.parse import parse_report
from reportqa.periods import parse_period
from reportqa.readers.html import html_to_text
from reportqa.service import Assistant

DOCS = Path(__file__).resolve().parent / "documents"


@dataclass(frozen=True)
class Doc:
    file: str
    title: str
    year: str  # as a user would type it
    id: str  # the id it should get
    kind: str
    period: str  # as `corpus list` shows it
    plan: str  # "-" for none
    label: str  # how answers name it
    question: str  # a question only it answers
    says: str  # what the answer must say


KINDS = [
    Doc("annual-report-2012-13.txt", "MOPAC Annual Report 2012-13", "2012/13", "mopac-2012-13",
        "annual report", "2012-13", "-", "the 2012-13 annual report",
        "How many community projects did the Safer Streets Lantern Fund pay for?", "37 community projects"),
    Doc("summary-2016-17.html", "MOPAC Annual Report 2016–17: summary", "2016–17", "mopac-summary-2016-17",
        "report summary", "2016-17", "2017-21", "the summary of the 2016-17 annual report",
        "How many victims of fraud did the Volunteer Victim Navigator scheme match with a volunteer?", "412"),
    Doc("police-and-crime-plan-2017-21.html", "Police and Crime Plan 2017-2021", "2017-2021",
        "mopac-pcp-2017-21", "plan", "2017-21", "2017-21", "the Police and Crime Plan 2017-21",
        "How many dedicated ward officers will every ward have?", "two dedicated ward officers"),
    Doc("quarterly-q2-2019-20.md", "MOPAC Quarterly Performance Report Q2 2019/20", "Q2 2019/20",
        "mopac-qpr-2019-20-q2", "quarterly report", "Q2 2019/20", "2017-21",
        "the quarterly report for Q2 2019/20",
        "How many burglaries were recorded in Barnet in Q2 2019/20?", "Barnet: Burglary 1,234"),
    Doc("decision-pcd-280.txt", "PCD 280 London Crime Prevention Fund grants", "FY2018/19",
        "mopac-decision-pcd-280-2018-19", "decision notice", "2018-19", "2017-21",
        "the 2018-19 decision notice",
        "What is the reference code of the decision on London Crime Prevention Fund grants?",
        "Reference code: PCD 280"),
    Doc("business-plan-update-q1-2018-19.txt", "Met Business Plan progress update Q1 2018/19", "Q1 2018/19",
        "mopac-bpu-2018-19-q1", "business plan update", "Q1 2018/19", "2017-21",
        "the business plan update for Q1 2018/19",
        "How many stolen mopeds did the moped crime taskforce seize?",
        "seized 48 stolen mopeds in the quarter and charged 96 riders"),
    Doc("challenge-slides-april-2013.txt", "MOPAC Challenge meeting slides", "April 2013",
        "mopac-slides-2013-04", "meeting slides", "April 2013", "2013-16",
        "the slides of the April 2013 meeting",
        "What share of stop and searches found something in March 2013?", "18%"),
]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@dataclass
class Collection:
    config: Config
    added: dict[str, str]  # file -> what `ingest` printed on stderr
    assistant: Assistant

    def cli(self, *argv: str) -> tuple[int, str, str]:
        return run_cli("--corpus", str(self.config.corpus_dir), "--index", str(self.config.index_dir), *argv)


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    root = tmp_path_factory.mktemp("documents")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text(json.dumps({"version": 1, "reports": []}), encoding="utf-8")
    config = Config(corpus_dir=corpus, index_dir=root / "index")
    added = {}
    for d in KINDS:
        code, _, err = run_cli("--corpus", str(corpus), "--index", str(config.index_dir), "ingest",
                               str(DOCS / d.file), "--title", d.title, "--year", d.year, "-q")
        assert code == 0, (d.file, err)  # in on the first try, with only a title and a period
        added[d.file] = err
    return Collection(config, added, Assistant.open(config))


@pytest.mark.parametrize("doc", KINDS, ids=lambda d: d.kind)
def test_each_kind_goes_in_with_its_id_kind_period_and_plan(collection: Collection, doc: Doc) -> None:
    assert f"added {doc.id}: {doc.kind}, {doc.period}" in collection.added[doc.file]
    code, out, _ = collection.cli("corpus", "list")
    assert code == 0
    row = next(line.split(None, 1)[1] for line in out.splitlines() if line.split()[0] == doc.id)
    assert row.startswith(f"{doc.kind} ")
    assert f" {doc.period} " in row and f" {doc.plan} " in row
    assert row.rstrip().endswith(doc.title)


@pytest.mark.parametrize("doc", KINDS, ids=lambda d: d.kind)
def test_each_kind_answers_its_question_cited_with_its_label(collection: Collection, doc: Doc) -> None:
    ans = collection.assistant.ask(doc.question)
    assert ans.status == "answered", (ans.status, ans.text)
    assert ans.text.startswith(f"According to {doc.label} ("), ans.text
    cited = [c for c in ans.citations if c.report_id == doc.id]
    assert cited and ans.citations[0].report_id == doc.id
    assert doc.says in ans.text
    source = (collection.config.corpus_dir / f"{doc.id}.txt").read_text(encoding="utf-8")
    for c in ans.citations:
        other = (collection.config.corpus_dir / f"{c.report_id}.txt").read_text(encoding="utf-8")
        assert other[c.start : c.end] == c.quote  # every quote is the exact stored text
    assert any(c.quote in source for c in cited)


def test_a_table_row_is_answered_under_its_headers_and_quoted_exactly(collection: Collection) -> None:
    ans = collection.assistant.ask("How many burglaries were recorded in Barnet in Q2 2019/20?")
    first = ans.citations[0]
    assert first.quote == "Barnet | 1,234 | 567"  # the row as the document has it
    assert "Borough Barnet: Burglary 1,234; Robbery 567 [1]" in ans.text  # read under its headers
    assert ans.filters.years == ("2019-20",)  # a quarter is filtered as its financial year


def test_two_columns_are_stored_and_quoted_in_reading_order(collection: Collection) -> None:
    ans = collection.assistant.ask("How many stolen mopeds did the moped crime taskforce seize?")
    quote = ans.citations[0].quote
    assert quote.startswith("The Met's moped crime taskforce seized 48 stolen mopeds in the quarter")
    assert "Commissioner" not in quote  # the left column's text is not interleaved


def test_viewer_lines_are_dropped_and_cover_facts_kept_as_sentences(collection: Collection) -> None:
    source = (collection.config.corpus_dir / "mopac-decision-pcd-280-2018-19.txt").read_text(encoding="utf-8")
    sections = parse_report(source, "d", "PCD 280 London Crime Prevention Fund grants", "auto")
    headings = {h for s in sections for h in s.path}
    assert not any("File Type" in h or "Reference code" in h or "Total Page" in h for h in headings)
    blocks = [b.text for s in sections for b in s.blocks]
    assert "Reference code: PCD 280" in blocks
    assert "Decision by: Sophie Linden, Deputy Mayor for Policing and Crime" in blocks
    assert not any("1020Kb" in b or "Total Page" in b for b in blocks)
    assert sections[0].path[0] == "MOPAC Decision - PCD 280"  # the page title is the first heading


def test_a_page_title_of_two_lines_is_kept_and_quotable(collection: Collection) -> None:
    source = (collection.config.corpus_dir / "mopac-pcp-2017-21.txt").read_text(encoding="utf-8")
    sections = parse_report(source, "p", "Police and Crime Plan 2017-2021", "web")
    first = sections[0]
    assert first.path[-2:] == ("A Safer City for All Londoners", "Police and Crime Plan 2017-2021")
    assert "A Safer City for All Londoners Police and Crime Plan 2017-2021" in first.blocks[0].text


def test_plan_priorities_from_data_and_no_invented_plan(collection: Collection) -> None:
    code, out, _ = collection.cli("corpus", "show", "mopac-pcp-2017-21")
    assert code == 0
    for priority in ["A better police service for London", "Keeping children and young people safe",
                     "Standing together against hatred and intolerance"]:
        # the section under that heading is given the 2017-21 plan's priority of the same name
        assert any(line.count(priority[:30]) == 2 and "(heading)" in line for line in out.splitlines()), out
    code, out, _ = collection.cli("corpus", "show", "mopac-2012-13")
    assert "plan none" in out and "2012-16" not in out
    assert "no priority taxonomy" in out  # the note: priorities from content
    assert "2012-16" not in collection.added["annual-report-2012-13.txt"]


def test_coverage_groups_by_kind_and_names_each_period_once(collection: Collection) -> None:
    text = collection.assistant.coverage_text()
    assert text.startswith("annual reports for 2012-13 and 2016-17")
    for phrase in ["quarterly reports for Q2 2019/20", "decision notices for 2018-19",
                   "meeting slides for April 2013", "business plan updates for Q1 2018/19",
                   "the Police and Crime Plan 2017-21"]:
        assert text.count(phrase) == 1, text


def test_latest_first_orders_by_period(collection: Collection) -> None:
    ids = [r.id for r in collection.assistant.reports]
    # by the start of the period covered, then its end: Q1 2018/19 before the whole of 2018-19
    assert ids == ["mopac-2012-13", "mopac-slides-2013-04", "mopac-summary-2016-17", "mopac-pcp-2017-21",
                   "mopac-bpu-2018-19-q1", "mopac-decision-pcd-280-2018-19", "mopac-qpr-2019-20-q2"]


def test_a_month_that_is_a_documents_period_scopes_the_question(collection: Collection) -> None:
    ans = collection.assistant.ask(
        "What did the April 2013 challenge meeting slides say about stop and search?"
    )
    assert ans.filters.years == ("2013-14",)
    assert ans.citations and all(c.report_id == "mopac-slides-2013-04" for c in ans.citations)


def test_same_text_refused_and_a_taken_id_named(collection: Collection, tmp_path: Path) -> None:
    code, _, err = collection.cli("ingest", str(DOCS / "quarterly-q2-2019-20.md"), "--title", "Again",
                                  "--year", "Q2 2019/20")
    assert code == 2 and "already in the corpus as 'mopac-qpr-2019-20-q2'" in err
    other = tmp_path / "other.txt"
    other.write_text("Another report.\n\nIt says something else about the quarter.\n", encoding="utf-8")
    code, _, err = collection.cli("ingest", str(other), "--title", "T", "--year", "Q2 2019/20",
                                  "--id", "mopac-qpr-2019-20-q2")
    assert code == 2 and "'MOPAC Quarterly Performance Report Q2 2019/20'" in err and "hint:" in err


def test_a_second_document_for_a_period_gets_a_suffixed_id(collection: Collection, tmp_path: Path) -> None:
    """Runs last: it adds a document to the collection."""
    revised = tmp_path / "revised.txt"
    revised.write_text("MOPAC Quarterly Performance Report Q2 2019/20 (revised)\n\nThe revised figures for "
                       "Enfield show 1,020 burglaries in the quarter.\n", encoding="utf-8")
    title = "MOPAC Quarterly Performance Report Q2 2019/20 (revised)"
    code, _, err = collection.cli("ingest", str(revised), "--title", title, "--year", "2019/20 Q2", "-q")
    assert code == 0, err
    assert "mopac-qpr-2019-20-q2 is already 'MOPAC Quarterly Performance Report Q2 2019/20'" in err
    assert "added mopac-qpr-2019-20-q2-2: quarterly report, Q2 2019/20" in err


# -- the data files' own examples, and the parser's layout rules on small texts ------------------------------

KIND_EXAMPLES = [(k.id, t, True) for k in kinds() for t in k.must] + [
    (k.id, t, False) for k in kinds() for t in k.must_not
]


@pytest.mark.parametrize(("kind", "title", "matches"), KIND_EXAMPLES)
def test_kind_title_examples(kind: str, title: str, matches: bool) -> None:
    assert (title_kind(title) == kind) is matches


LAYOUT_EXAMPLES = [(k, t, i == 0) for k in ("viewer", "cover_fact") for i in (0, 1)
                   for t in layout_patterns().examples[k][i]]


@pytest.mark.parametrize(("rule", "line", "matches"), LAYOUT_EXAMPLES)
def test_layout_examples(rule: str, line: str, matches: bool) -> None:
    check = is_viewer_line if rule == "viewer" else is_cover_fact
    assert check(line) is matches


@pytest.mark.parametrize(
    ("written", "kind", "label", "filed"),
    [("2018-19", "financial_year", "2018-19", "2018-19"), ("2018/19", "financial_year", "2018-19", "2018-19"),
     ("2018-2019", "financial_year", "2018-19", "2018-19"),
     ("FY2018/19", "financial_year", "2018-19", "2018-19"),
     ("2018–19", "financial_year", "2018-19", "2018-19"), ("2017-21", "plan", "2017-21", "2017-21"),
     ("2022-2025", "plan", "2022-25", "2022-25"), ("Q2 2019/20", "quarter", "Q2 2019/20", "2019-20"),
     ("2019-20 Q4", "quarter", "Q4 2019/20", "2019-20"), ("April 2013", "month", "April 2013", "2013-14"),
     ("Jan 2014", "month", "January 2014", "2013-14")],
)
def test_periods_as_written(written: str, kind: str, label: str, filed: str) -> None:
    p = parse_period(written)
    assert (p.kind, p.label, p.filed_year) == (kind, label, filed)
    assert parse_period(p.canonical) == p  # the manifest's form reads back the same


@pytest.mark.parametrize("written", ["2017-22", "Q5 2019/20", "Smarch 2013", "last year", "2022-22"])
def test_bad_periods_are_one_line_errors_with_a_hint(written: str) -> None:
    with pytest.raises(InputError) as info:
        parse_period(written)
    assert info.value.hint and "\n" not in info.value.message


def test_columns_that_do_not_line_up_are_not_quoted() -> None:
    source = (
        "Findings\n\n"
        "The panel heard from   forty witnesses over two days in the   spring of that year,\n"
        "about custody   conditions in the   borough and its cells, and what the\n"
        "visitors found      that most detainees were   seen by a nurse within the hour.\n"
    )
    sections = parse_report(source, "r", "Findings", "web")
    blocks = [b for s in sections for b in s.blocks]
    assert blocks and not any(b.quotable for b in blocks)
    sentences = [s for b in blocks for s in block_sentences(b, 0)]
    assert sentences and not any(s.quotable for s in sentences)


def test_a_table_set_with_spaces_and_one_from_html_keep_their_headers() -> None:
    source = ("Offences\n\nBorough     Burglary    Robbery\n"
              "Barnet      1,234       567\nCamden      2,001       890\n")
    rows = [b for s in parse_report(source, "r", "Offences", "pdf") for b in s.blocks if b.kind == "row"]
    assert [b.reading for b in rows] == ["Borough Barnet: Burglary 1,234; Robbery 567",
                                         "Borough Camden: Burglary 2,001; Robbery 890"]
    assert [source[b.start : b.end] for b in rows] == ["Barnet      1,234       567",
                                                       "Camden      2,001       890"]
    html = ("<p>Offences</p><table><tr><th>Borough</th><th>Burglary</th></tr>"
            "<tr><td>Barnet</td><td>1,234</td></tr></table>")
    text = html_to_text(html)
    rows = [b for s in parse_report(text, "r", "Offences", "web") for b in s.blocks if b.kind == "row"]
    assert [b.reading for b in rows] == ["Borough Barnet: Burglary 1,234"]
    assert text[rows[0].start : rows[0].end] == "Barnet | 1,234"
