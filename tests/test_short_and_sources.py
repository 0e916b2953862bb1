"""Short public answers and sources that can be cited onwards (issue 24, items 2 and 3).

The short answer is read off a finished Answer (`reportqa.short`): the lead sentence without the "According
to ..." opening, its report, year and address, within 60 words; `ask` prints it and `--full` the whole
answer. Citations carry the report's `source_url` and, for a PDF, the page the quote is on
(`reportqa.sources`, pages recorded at ingest); the /source page shows the section with the quote marked,
its page and a link out. The PDF here is built by the test: three pages, one fact on each.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest

from reportqa.cli import main
from reportqa.config import Config
from reportqa.corpus import load_corpus, page_starts
from reportqa.short import short_answer, source_line, words
from reportqa.sources import page_at, with_sources
from reportqa.types import Answer, AnswerPart

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from answers import citation
from robustness_data.malformed import pdf_file  # noqa: E402 - after the sys.path line

TITLE_22 = "2022-2023 MOPAC Annual Report"
# how the composer opens a report's sentences, as it records them (`Answer.openings`)
OPEN_22 = f"According to the 2022-23 annual report ({TITLE_22}): "
IN_24, IN_16 = "In the 2023-24 annual report: ", "In the 2015-16 annual report: "


_cite = citation


def test_the_short_answer_is_the_lead_without_its_opening_and_names_its_source() -> None:
    text = (f"{OPEN_22}In 2022/23 the ICVs made 645 visits. [1] "
            "They interviewed 2,237 detainees. [1]\nThe Mayor is determined to improve trust. [2]\n"
            f"{IN_24}ICVs made 700 visits. [3]")
    ans = Answer(status="answered", text=text, citations=(_cite(1), _cite(2), _cite(3, report="mopac-2023-24",
                 title="2023-24 MOPAC Annual Report", year="2023-24")), openings=(OPEN_22, IN_24))
    short = short_answer(ans, {"mopac-2022-23": "https://www.london.gov.uk/report-2022-23"})
    assert short.text == "In 2022/23 the ICVs made 645 visits. They interviewed 2,237 detainees."
    assert short.words == 11 and short.more and short.markers == (1,)
    assert (short.source, short.year) == ("the 2022-23 annual report", "2022-23")
    assert source_line(short) == (f"Source: the 2022-23 annual report ({TITLE_22}) — "
                                  "https://www.london.gov.uk/report-2022-23")
    # the openings are the ones the answer records: text it does not record as one is shown as written
    unrecorded = short_answer(ans.model_copy(update={"openings": ()}))
    assert unrecorded.text == f"{OPEN_22}{short.text}"


def test_the_short_answer_keeps_whole_sentences_within_60_words_and_a_list_s_first_item() -> None:
    long = "Some " + " ".join(["word"] * 39) + "."
    text = f"{OPEN_22}The Met had 34,503 officers in all. [1] {long} [1] {long} [1]"
    short = short_answer(Answer(status="answered", text=text, citations=(_cite(1),), openings=(OPEN_22,)))
    assert short.text == f"The Met had 34,503 officers in all. {long}" and short.words <= 60
    one = short_answer(Answer(status="answered", text=f"{long[:-1]} {long} [1]", citations=(_cite(1),)))
    assert one.words == 80  # a lead sentence over the limit is shown whole, never cut
    listed = (f"{OPEN_22}The Workforce consisted of: [1]\n"
              f"- 34,503 Officers {' '.join(['and more'] * 27)} [1]\n- 1,204 PCSOs [1]")
    short = short_answer(Answer(status="answered", text=listed, citations=(_cite(1),), openings=(OPEN_22,)))
    # never a bare colon; a line too long for all of them to fit is cut, so the next line still shows
    assert short.text == ("The Workforce consisted of:\n- 34,503 Officers and more and more and more …\n"
                          "- 1,204 PCSOs")


def test_a_list_comes_with_its_introduction_whatever_its_lines_cite_shortened_to_their_headings() -> None:
    long = " ".join(["word"] * 25)
    text = (f"{OPEN_22}MOPAC has three directorates: [1]\n"
            f"- Commissioning and Partnerships: MOPAC spends around £70m per year {long}. [2]\n"
            f"- Strategy and Oversight: Helping the Mayor to hold the Commissioner to account {long}. [3]\n"
            f"- HR, Private Office and Secretariat: Helping us to do our work. [4]\nTangent. [5]")
    short = short_answer(Answer(status="answered", text=text, citations=tuple(_cite(i) for i in range(1, 6)),
                                openings=(OPEN_22,)))
    assert short.text == ("MOPAC has three directorates:\n- Commissioning and Partnerships\n"
                          "- Strategy and Oversight\n- HR, Private Office and Secretariat")
    assert short.markers == (1, 2, 3, 4) and short.more
    whole = short_answer(Answer(status="answered", text=text.replace(long, "x"),
                                citations=tuple(_cite(i) for i in range(1, 6)), openings=(OPEN_22,)))
    assert "- Commissioning and Partnerships: MOPAC spends around £70m per year x." in whole.text
    assert words("- a – b …") == 2  # bullets, dashes and the cut mark are not words


def test_the_sentence_with_the_asked_kind_of_figure_is_kept() -> None:
    cameras = (f"{OPEN_22}In 2014, MOPAC agreed a deal for "
               "the sale of the current New Scotland Yard site ahead of the MPS move to its new Headquarters "
               "in the Curtis Green Building, which will raise a further £370m. [1] This money is supporting "
               "major technology projects such as the rollout of 20,000 body worn video cameras for police "
               "officers and mobile devices to enable them to work more effectively on the move. [1]\n"
               "Other text. [2]")
    cites = (_cite(1), _cite(2))
    asked = short_answer(Answer(status="answered", text=cameras, citations=cites, openings=(OPEN_22,),
                                question="How many body-worn cameras were being rolled out?"))
    assert "20,000 body worn video cameras" in asked.text and "£370m. This money" in asked.text
    assert 60 < asked.words <= 70  # the sentence that answers is not left out for a few words
    assert "20,000" not in short_answer(Answer(status="answered", text=cameras, citations=cites,
                                               openings=(OPEN_22,))).text
    # the lead's sentence whose figure of the asked kind counts what was asked, past one that does not fit
    filler = " ".join(["words"] * 50)
    fund = (f"{OPEN_22}A further £4million investment from City "
            f"Hall to tackle VAWG was announced. [1] It {filler}. [1] A new £1million cost of living fund "
            "supports vital VAWG services. [1]")
    short = short_answer(Answer(status="answered", text=fund, citations=(_cite(1),), openings=(OPEN_22,),
                                question="How big was the cost of living fund for VAWG services?"))
    assert short.text == ("A further £4million investment from City Hall to tackle VAWG was announced. A new "
                          "£1million cost of living fund supports vital VAWG services.")


def test_a_later_passage_gives_the_asked_figure_only_when_it_names_what_was_asked_about() -> None:
    launched = "The Mayor launched the first pan-London Domestic Violence Service."
    text = (f"{OPEN_22}Through initiatives such as the "
            "pan-London Domestic Violence Service, victims, wherever they may be, receive support. [1]\n"
            f"{IN_16}{launched} [2] "
            "The service went live on 1 July 2015 and has received 2,195 referrals. [2]")
    cites = (_cite(1), _cite(2, report="mopac-2015-16", title="MOPAC Annual Report 2015-16", year="2015-16"))
    question = "When did the pan-London Domestic Violence Service go live?"
    short = short_answer(Answer(status="answered", text=text, citations=cites, question=question,
                                openings=(OPEN_22, IN_16)))
    # (the sentence before it, naming the service, says enough of what was asked to be shown too: `relevance`)
    assert short.text.endswith("receive support. In the 2015-16 annual report: The Mayor launched the first "
                               "pan-London Domestic Violence Service. The service went live on 1 July 2015 "
                               "and has received 2,195 referrals.")
    assert short.markers == (1, 2) and short.year == "2022-23"
    other = text.replace(launched, "A launch.")
    assert "1 July" not in short_answer(Answer(status="answered", text=other, citations=cites,
                                               question=question, openings=(OPEN_22, IN_16))).text


def test_a_question_in_parts_gets_the_sentence_that_answers_each_part() -> None:
    t24 = "2023-24 MOPAC Annual Report"
    open_24 = f"According to the 2023-24 annual report ({t24}): "
    text = (f"{OPEN_22}Baroness Casey found institutional "
            "racism at the Met. [1] She described the Met as defensive. [1]\n"
            "In March 2023, Baroness Casey published the findings of her Review. [2]\n"
            f"{open_24}The London Policing Board was established by "
            "the Mayor. [3] Its members bring a variety of skills. [3]")
    cites = (_cite(1), _cite(2), _cite(3, report="mopac-2023-24", title=t24, year="2023-24"))
    lines = text.split("\n")  # the second part starts on the third line (`pipeline.combine` records it)
    parts = tuple(AnswerPart(kind="answered", first_line=lines[i]) for i in (0, 2))
    ans = Answer(status="answered", text=text, citations=cites, parts=parts, openings=(OPEN_22, open_24),
                 rewritten_question="What did Baroness Casey find? | what body did the Mayor set up?")
    # (the line between them, on the first ask's findings, says enough of what was asked to be shown too)
    assert short_answer(ans).text == (
        "Baroness Casey found institutional racism at the Met. She described the Met as defensive. "
        "In March 2023, Baroness Casey published the findings of her Review. "
        "In the 2023-24 annual report: The London Policing Board was established by the Mayor.")
    one = short_answer(ans.model_copy(update={"rewritten_question": "What did Baroness Casey find?"}))
    assert "Policing Board" not in one.text


def test_a_question_naming_years_gets_a_sentence_of_every_year_asked() -> None:
    t14, t15 = "MOPAC Annual Report 2014-15", "MOPAC Annual Report 2015-16"
    open_15 = f"According to the 2014-15 annual report ({t14}): "
    text = (f"{open_15}Strong progress has been made in reducing the "
            "MOPAC 7. [1] They had fallen by 19.8% by the end of March 2015. [1]\n"
            f"{IN_16}Over the past 12 months, the Panel completed two reports. [2]\n"
            f"{IN_16}MOPAC 7 crimes show a reduction of 18.4% since 2011/12. [3]")
    cites = (_cite(1, report="mopac-2014-15", title=t14, year="2014-15"),
             _cite(2, report="mopac-2015-16", title=t15, year="2015-16"),
             _cite(3, report="mopac-2015-16", title=t15, year="2015-16"))
    question = "By what percentage did the 2014-15 and 2015-16 reports say MOPAC 7 crimes fell?"
    short = short_answer(Answer(status="answered", text=text, citations=cites, question=question,
                                openings=(open_15, IN_16)))
    assert short.text == ("Strong progress has been made in reducing the MOPAC 7. They had fallen by 19.8% "
                          "by the end of March 2015. In the 2015-16 annual report: MOPAC 7 crimes show a "
                          "reduction of 18.4% since 2011/12.")
    one = short_answer(Answer(status="answered", text=text, citations=cites, openings=(open_15, IN_16),
                              question="By what percentage did the 2014-15 report say MOPAC 7 crimes fell?"))
    assert "18.4%" not in one.text


def test_a_partial_answer_keeps_its_gap_and_a_trend_its_whole_summary() -> None:
    text = (f"The reports do not give the budget for 2015-16. What they do say: {OPEN_22}The Met's budget "
            "was £4bn. [1]\nMore text. [2]")
    short = short_answer(Answer(status="partial", text=text, citations=(_cite(1), _cite(2)),
                                openings=(OPEN_22,)))
    assert short.text == ("The reports do not give the budget for 2015-16. What they do say: The Met's "
                          "budget was £4bn.")
    trend = "Budget, report by report: £4bn in 2022-23 [1] and £4.4bn in 2023-24 [2].\n- 2022-23: £4bn [1]"
    short = short_answer(Answer(status="answered", text=trend, citations=(_cite(1), _cite(2))))
    assert short.text == "Budget, report by report: £4bn in 2022-23 and £4.4bn in 2023-24."
    refused = Answer(status="refused", text="I can't help with that.")
    assert short_answer(refused).text == "I can't help with that." and not short_answer(refused).more


def test_page_at_and_page_starts() -> None:
    assert page_at((), 5) is None
    assert [page_at((0, 10, 10, 30), k) for k in (0, 9, 10, 29, 30, 99)] == [1, 1, 3, 3, 4, 4]
    text = " First page line\nmore\n Second page\n Third"
    assert page_starts(text, ["First page line\nmore", "", "Second page", "Third"]) == (0, 22, 22, 35)


def test_the_shipped_manifest_keeps_its_records_without_pages() -> None:
    corpus = load_corpus(Path(__file__).resolve().parent.parent / "corpus")
    assert all("pages" not in r.model_dump(mode="json") for r in corpus.reports)


# -- a PDF with pages and a recorded URL, ingested, asked, served ----------------------------------------

PAGES = [
    ["MOPAC Annual Report 2030-31", "Foreword", "This report covers the year to March 2031."],
    ["Custody visiting", "In 2030-31 Independent Custody Visitors made 812 unannounced visits",
     "to custody suites across London."],
    ["Victims", "The Victim Support Hub helped 9,400 victims of fraud in 2030-31."],
]
URL = "https://www.london.gov.uk/mopac-annual-report-2030-31"


def _pdf(pages: list[list[str]]) -> bytes:
    """A PDF of text pages (Helvetica, one line a Tj), written by hand: pypdf reads it back page by page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for lines in pages:
        content = b"BT /F1 12 Tf 14 TL 72 720 Td " + b" ".join(
            b"(" + line.encode("latin-1") + b") Tj T*" for line in lines) + b" ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"")  # the page, filled in below
        kids.append(len(objects))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    font = len(objects)
    for k in kids:
        objects[k - 1] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                          b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (k - 1, font))
    listed = b" ".join(b"%d 0 R" % k for k in kids)
    objects[1] = b"<< /Type /Pages /Kids [" + listed + b"] /Count %d >>" % len(kids)
    return pdf_file(objects)


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def pdf_corpus(tmp_path_factory: pytest.TempPathFactory) -> Config:
    root = tmp_path_factory.mktemp("pages")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text(json.dumps({"version": 1, "reports": []}), encoding="utf-8")
    pdf = root / "annual-2030-31.pdf"
    pdf.write_bytes(_pdf(PAGES))
    cfg = Config(corpus_dir=corpus, index_dir=root / "index")
    code, _, err = _cli("--corpus", str(corpus), "--index", str(cfg.index_dir), "ingest", str(pdf), "--title",
                        "MOPAC Annual Report 2030-31", "--year", "2030-31", "--url", URL, "-q")
    assert code == 0, err
    return cfg


def test_a_pdf_s_pages_are_recorded_at_ingest(pdf_corpus: Config) -> None:
    report = load_corpus(pdf_corpus.corpus_dir).reports[0]
    text = (pdf_corpus.corpus_dir / report.file).read_text(encoding="utf-8")
    assert len(report.pages) == 3 and report.source_url == URL
    assert text[report.pages[1]:].lstrip().startswith("Custody visiting")
    assert text[report.pages[2]:].lstrip().startswith("Victims")


def test_citations_carry_the_report_s_url_and_the_page(pdf_corpus: Config) -> None:
    code, out, err = _cli("--corpus", str(pdf_corpus.corpus_dir), "--index", str(pdf_corpus.index_dir), "ask",
                          "--json", "How many unannounced visits did Independent Custody Visitors make?")
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "answered" and "812 unannounced visits" in data["text"]
    assert data["citations"] and all(c["source_url"] == URL for c in data["citations"])
    first = data["citations"][0]
    assert "812" in first["quote"] and first["page"] == 2
    assert data["short"]["page"] == 2 and data["short"]["url"] == URL and data["short"]["words"] <= 60
    assert "According to" not in data["short"]["text"] and "812 unannounced visits" in data["short"]["text"]
    code, out, _ = _cli("--corpus", str(pdf_corpus.corpus_dir), "--index", str(pdf_corpus.index_dir), "ask",
                        "How many victims of fraud did the Victim Support Hub help?")
    lines = out.strip().splitlines()
    assert "9,400 victims of fraud" in lines[0] and not lines[0].startswith("According to")
    assert lines[1] == f"Source: the 2030-31 annual report (MOPAC Annual Report 2030-31), p. 3 — {URL}"
    code, full, _ = _cli("--corpus", str(pdf_corpus.corpus_dir), "--index", str(pdf_corpus.index_dir), "ask",
                         "--full", "How many victims of fraud did the Victim Support Hub help?")
    assert full.startswith("According to the 2030-31 annual report") and "Sources:" in full
    assert re.search(r"\[1\] MOPAC Annual Report 2030-31 \(2030-31\), .*, p\. 3 — ", full)


def test_the_api_and_the_source_page_show_the_page_and_link_out(pdf_corpus: Config, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from reportqa.service import Assistant
    from reportqa.web.api import create_app

    api = pdf_corpus.api.model_copy(update={"feedback_db": tmp_path / "fb.sqlite3", "rate_limit": 1000})
    cfg = pdf_corpus.model_copy(update={"api": api})
    with TestClient(create_app(cfg, ui=False)) as client:
        question = "How many victims of fraud did the Victim Support Hub help?"
        r = client.post("/api/v1/ask", json={"question": question})
        assert r.status_code == 200, r.text
        body = r.json()
        c = body["citations"][0]
        assert c["url"] == URL and c["page"] == 3 and c["passage_url"].endswith("#quote")
        assert body["short"]["source"] == "the 2030-31 annual report" and body["short"]["page"] == 3
        assert body["short"]["passage_url"] == c["passage_url"]
        page = client.get(c["passage_url"].split("testserver", 1)[-1].split("#")[0])
    assert page.status_code == 200
    assert re.search(r"<mark id='quote'[^>]*>[^<]*9,400 victims of fraud", page.text)
    assert "page 3" in page.text and f"href='{URL}'" in page.text
    ans = Assistant.open(pdf_corpus).ask("How many victims of fraud did the Victim Support Hub help?")
    assert ans.citations[0].page is None  # the answer itself is untouched: sources are added at the edges
    assert with_sources(ans, Assistant.open(pdf_corpus).reports).citations[0].page == 3


def test_short_answers_on_the_real_index_stay_short(assistant) -> None:  # type: ignore[no-untyped-def]
    urls = {r.id: r.source_url for r in assistant.reports}
    counts = []
    for q in ("How many survivors of child sexual abuse did The Lighthouse support in 2022/23?",
              "How many officers did the Met have at the end of 2022-23?",
              "How many face to face appointments did the Havens have in 2015/16?"):
        ans = assistant.ask(q)
        short = short_answer(ans, urls)
        assert not short.text.startswith("According to") and "[" not in short.text
        assert short.title and short.year
        counts.append(short.words)
        assert words(short.text) == short.words <= 60
