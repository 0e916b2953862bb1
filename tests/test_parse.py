"""Parser tests on each shape: PDF text, web pages, numbered headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.corpus import load_corpus
from reportqa.parse import detect_shape, parse_report

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def sections_of(report_id: str):  # type: ignore[no-untyped-def]
    corpus = load_corpus(CORPUS)
    r = corpus.get(report_id)
    src = corpus.read(r)
    return src, parse_report(src, r.id, r.title, r.shape)


def all_text(sections) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(b.text for s in sections for b in s.blocks)


@pytest.mark.parametrize(
    "report_id", ["mopac-2014-15", "mopac-2015-16", "mopac-2022-23", "mopac-2023-24", "mopac-pcp-2013-16"]
)
def test_every_cleaned_character_maps_to_its_source_character(report_id: str) -> None:
    src, sections = sections_of(report_id)
    assert sections
    for s in sections:
        for b in s.blocks:
            assert len(b.offsets) == len(b.text)
            assert list(b.offsets) == sorted(b.offsets)
            for ch, off in zip(b.text, b.offsets, strict=True):
                if ch == " ":
                    assert src[off].isspace() or src[off] == " " or not src[off].isalnum()
                else:
                    assert src[off] == ch, (report_id, ch, src[off - 5 : off + 5])


def test_pdf_headings_found_and_boilerplate_gone() -> None:
    src, sections = sections_of("mopac-2015-16")
    headings = {s.heading for s in sections}
    for expected in [
        "Foreword",
        "Cutting Neighbourhood Crime",
        "Protecting property",
        "Stop and search",
        "Swifter, Surer Justice",
        "Mayoral Strategies",
        "Gangs",
        "Hate crime",
        "Building Confidence in the Police",
    ]:
        assert expected in headings
    text = all_text(sections)
    assert "https://" not in text and "http://" not in text  # footnote URL lines dropped
    assert "2011/121" not in text and "2011/12." in text  # footnote number glued to a year removed
    assert "Wales2" not in text and "period4" not in text
    assert "\n17\n" not in text  # page numbers


def test_pdf_lines_rejoined_across_hard_breaks_and_page_breaks() -> None:
    _, sections = sections_of("mopac-2015-16")
    text = all_text(sections)
    assert "Since 2012, burglary has fallen by 26% to its lowest level since 1974." in text
    # a sentence broken by a page start and a footnote block is one sentence again
    assert "make better use of police and hospital resources" in text


def test_pdf_pull_quotes_are_separate_blocks_with_attribution() -> None:
    _, sections = sections_of("mopac-2015-16")
    quotes = [b.text for s in sections for b in s.blocks if b.kind == "quote"]
    assert any(q.startswith("“MOPAC has successfully disposed") and "Jonathan Glanz" in q for q in quotes)
    body = [b.text for s in sections for b in s.blocks if b.kind != "quote"]
    assert not any("Jonathan Glanz, Adviser" in t for t in body)


def test_pdf_bullets_whose_glyph_was_lost_are_bullets() -> None:
    _, sections = sections_of("mopac-2015-16")
    bullets = [b.text for s in sections for b in s.blocks if b.kind == "bullet"]
    assert "Robbery" in bullets and "Criminal damage" in bullets
    assert any(b.startswith("Equipping 20,000 front line officers with mobile tablets") for b in bullets)


def test_web_boilerplate_dropped_and_bullets_whole() -> None:
    _, sections = sections_of("mopac-2023-24")
    text = all_text(sections)
    for junk in [
        "Skip to main content",
        "Mayor of London logo",
        "Back to table of contents",
        "Publication type",
    ]:
        assert junk not in text
    bullets = [b for s in sections for b in s.blocks if b.kind == "bullet"]
    subs = [b for s in sections for b in s.blocks if b.kind == "subbullet"]
    assert any("ICVs carried out 508 visits, seeing 1801 detainees." in b.text for b in bullets)
    assert any(b.text == "London homicides fell by 3 per cent" for b in subs)
    assert all("•" not in b.text for b in bullets + subs)


def test_numbered_headings_and_link_placeholders() -> None:
    _, sections = sections_of("mopac-2022-23")
    headings = [s.heading for s in sections]
    assert "4. Reducing and preventing violence" in headings
    assert "7. Protecting people from exploitation and harm" in headings
    text = all_text(sections)
    assert "](#)" not in text and "[About MOPAC]" not in text
    assert "published a Serious Youth Violence Problem Profile - one" in text
    # a paragraph split by a page break mid-sentence is rejoined
    assert "to develop an effective response to drug related harms" in text
    subs = [b.text for s in sections for b in s.blocks if b.kind == "subbullet"]
    assert "34,503 Officers" in subs and "10,316 Staff" in subs


def test_shape_detection() -> None:
    corpus = load_corpus(CORPUS)
    assert detect_shape(corpus.read(corpus.get("mopac-2015-16"))) == "pdf"
    assert detect_shape(corpus.read(corpus.get("mopac-2023-24"))) == "web"


def test_new_report_of_a_known_shape_parses_without_configuration() -> None:
    src = (
        "Skip to main content\nHome\n\n2024-25 MOPAC Annual Report\n\nKey information\n\n"
        "1. Reducing and preventing violence\n\nIn 2024-25 the VRU reached 12,000 young people.\n\n"
        "  • a first bullet that runs long\n\n    • a sub-bullet\n\n"
        "2. Better supporting victims\n\n[Read more](#)\n\nThe service supported 51,000 people.\n\n"
        "Share this page"
    )
    secs = parse_report(src, "x", "2024-25 MOPAC Annual Report")
    assert [s.heading for s in secs] == [
        "1. Reducing and preventing violence",
        "2. Better supporting victims",
    ]
    assert [b.kind for b in secs[0].blocks] == ["paragraph", "bullet", "subbullet"]
    assert "Share this page" not in all_text(secs) and "Read more" not in all_text(secs)
