"""Line-end hyphenation and list glyphs (issue 24, item 4).

A word broken at a line's end is rejoined when the whole word is one the reports know ("Visi-" / "tors":
"Visitors"), and keeps its hyphen when the hyphen is real ("pan-" / "London"); a line ending in a broken
word is never a heading; "○" and the other list glyphs start list items. The offsets stay exact: every
character of a block's text is the source character at its offset, and a quote is source[start:end].
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from reportqa.cli import main
from reportqa.config import Config
from reportqa.display import clean_passage, clean_quote
from reportqa.parse import ends_hyphenated, parse_report, shipped_words
from reportqa.service import Assistant

ICV = """MOPAC Quarterly Performance Report

Custody visiting

The Independent Custody Visiting scheme sends trained volunteers from local communities into police \
stations to check on the welfare of detainees.

In Q1 2024-25 Independent Custody Visi-
tors made 123 unan-
nounced visits to custody suites across London.

The scheme works pan-
London, with panels in every borough.

Victims

The London Victim and Witness Service supported 4,200 victims of crime in the quarter.
"""

ROOT = Path(__file__).resolve().parent.parent


def _blocks(source: str, shape: str) -> list[tuple[tuple[str, ...], str, str, tuple[int, ...]]]:
    sections = parse_report(source, "r", "T", shape)
    return [(s.path, b.kind, b.text, b.offsets) for s in sections for b in s.blocks]


def _exact(source: str, text: str, offsets: tuple[int, ...]) -> None:
    assert len(offsets) == len(text)
    for c, o in zip(text, offsets, strict=True):
        assert c == " " or source[o] == c, (c, o, source[o])


@pytest.mark.parametrize("shape", ["web", "pdf"])
def test_a_word_broken_at_a_line_end_is_rejoined_and_a_real_hyphen_kept(shape: str) -> None:
    blocks = _blocks(ICV, shape)
    texts = [t for _, _, t, _ in blocks]
    assert ("In Q1 2024-25 Independent Custody Visitors made 123 unannounced visits to custody suites "
            "across London.") in texts
    assert "The scheme works pan-London, with panels in every borough." in texts
    # the broken line is never a heading: every block sits under "Custody visiting" or "Victims"
    assert {p[-1] for p, _, _, _ in blocks} == {"Custody visiting", "Victims"}
    for _, _, text, offs in blocks:
        _exact(ICV, text, offs)
    visitors = next(o for _, _, t, o in blocks if "Visitors" in t)
    t = next(t for _, _, t, _ in blocks if "Visitors" in t)
    start, end = visitors[t.index("Visitors")], visitors[t.index("Visitors") + len("Visitors") - 1] + 1
    assert ICV[start:end] == "Visi-\ntors"  # the source keeps the hyphen and the line break


def test_a_line_ending_in_a_broken_word_is_never_a_heading() -> None:
    assert ends_hyphenated("In Q1 2024-25 Independent Custody Visi-")
    assert ends_hyphenated("The scheme works pan- ")
    assert not ends_hyphenated("Violence - ")  # a dash after a space is no broken word
    assert not ends_hyphenated("2024-")
    source = "Intro\n\nSome text here.\n\nCommunity Safety Partner-\nships across London met 12 times.\n"
    blocks = _blocks(source, "web")
    assert [p for p, _, _, _ in blocks] == [("Intro",), ("Intro",)]
    assert blocks[1][2] == "Community Safety Partnerships across London met 12 times."


def test_a_hyphen_is_kept_when_the_joined_word_is_unknown() -> None:
    words = shipped_words()
    assert {"visitors", "unannounced"} <= words and "panlondon" not in words
    source = "Title\n\nThe Met bought forty cross-\nborder radios and twelve non-\nemergency lines.\n"
    text = next(t for _, _, t, _ in _blocks(source, "web"))
    assert text == "The Met bought forty cross-border radios and twelve non-emergency lines."


def test_the_report_s_own_words_count_as_known() -> None:
    source = "Title\n\nZorbulators are new. The unit bought 12 Zorbu-\nlators this year.\n"
    text = next(t for _, _, t, _ in _blocks(source, "web"))
    assert text.endswith("The unit bought 12 Zorbulators this year.")


def test_quotes_are_shown_rejoined_as_the_parser_reads_them() -> None:
    quote = "In Q1 2024-25 Independent Custody Visi-\ntors made 123 unan-\nnounced visits, pan-\nLondon."
    assert clean_quote(quote) == (
        "In Q1 2024-25 Independent Custody Visitors made 123 unannounced visits, pan-London."
    )
    assert clean_passage(quote, join_lines=True) == clean_quote(quote)


@pytest.mark.parametrize("glyph", ["○", "◦", "□", "◇"])
def test_hollow_list_glyphs_are_sub_items(glyph: str) -> None:
    source = f"Workforce\n\nOur workforce:\n\n- 34,503 Officers\n- 1,204 PCSOs\n\n{glyph} 10,316 Staff\n"
    blocks = _blocks(source, "web")
    assert (blocks[-1][1], blocks[-1][2]) == ("subbullet", "10,316 Staff")


@pytest.mark.parametrize("glyph", ["•", "●", "▪", "■", "◆", "►", "▶", "➢", "➤", "✓", "✔", "❖", "\uf0b7"])
def test_list_glyphs_start_list_items(glyph: str) -> None:
    source = f"Results\n\nThe unit delivered:\n\n{glyph} 12 new panels\n{glyph} 40 trained volunteers\n"
    blocks = _blocks(source, "web")
    assert [(k, t) for _, k, t, _ in blocks[1:]] == [
        ("bullet", "12 new panels"), ("bullet", "40 trained volunteers")]


def test_the_2022_23_workforce_list_keeps_its_circle_item() -> None:
    source = (ROOT / "corpus" / "mopac-2022-23.txt").read_text(encoding="utf-8")
    blocks = _blocks(source, "web")
    items = [(k, t) for _, k, t, _ in blocks if t in ("34,503 Officers", "1,204 PCSOs", "10,316 Staff")]
    assert items == [
        ("subbullet", "34,503 Officers"), ("subbullet", "1,204 PCSOs"), ("subbullet", "10,316 Staff")]
    staff = next(o for _, _, t, o in blocks if t == "10,316 Staff")
    assert source[staff[0] : staff[-1] + 1] == "10,316 Staff"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_the_issue_s_example_ingested_answers_123_unannounced_visits(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text(json.dumps({"version": 1, "reports": []}), encoding="utf-8")
    doc = tmp_path / "icv.txt"
    doc.write_text(ICV, encoding="utf-8")
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "index")
    code, _, err = _cli("--corpus", str(corpus), "--index", str(config.index_dir), "ingest", str(doc),
                        "--title", "MOPAC Quarterly Performance Report Q1 2024/25", "--year", "Q1 2024/25",
                        "-q")
    assert code == 0, err
    ans = Assistant.open(config).ask(
        "How many unannounced visits did Independent Custody Visitors make in Q1 2024-25?")
    assert ans.status == "answered", (ans.status, ans.text)
    assert "123 unannounced visits" in ans.text
    first = ans.citations[0]
    stored = (corpus / "mopac-qpr-2024-25-q1.txt").read_text(encoding="utf-8")
    assert stored[first.start : first.end] == first.quote  # exact, hyphens and line breaks kept
    assert "Visi-\ntors made 123 unan-\nnounced" in first.quote
    assert "123 unannounced visits" in clean_quote(first.quote)
