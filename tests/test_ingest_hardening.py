"""Ingest refuses what it must, in one line with a hint, before anything is written (issue 11, item 1), and
cleans up after an interrupted ingest (item 2). Every refusal runs the real CLI against a real index built
in a temporary directory from one small report of the corpus."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from corpora import small_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from reportqa.chunk import MAX_CHARS_PER_TOKEN, _bounded, _rendered_size, chunk_report, render
from reportqa.config import MODEL_MAX_TOKENS, Config
from reportqa.corpus import PENDING, load_corpus, normalised_digest
from reportqa.embed import Tokens
from reportqa.errors import InputError
from reportqa.index import Layout, OpenIndex
from reportqa.parse import parse_report
from reportqa.priorities import assign, load_taxonomy
from reportqa.readers.new_file import clean_text, read_new_file
from reportqa.types import Report, Sentence

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SMALL = "mopac-2014-15"  # a short web summary: the index builds in seconds

GOOD = """MOPAC Annual Report 2024-25

Reducing and preventing violence

In 2024-25 the Violence Reduction Unit reached 12,345 young people through its Pathfinder scheme.
The Pathfinder scheme ran in seven boroughs.
"""


def run_cli(*args: str, cfg: Config, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "REPORTQA_CORPUS_DIR": str(cfg.corpus_dir),
        "REPORTQA_INDEX_DIR": str(cfg.index_dir),
        **(env or {}),
    }
    return subprocess.run(
        [str(VENV_BIN / "reportqa"), *args], capture_output=True, text=True, env=full_env, timeout=600
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, str]:
    """A real index of one report, built by `reportqa ingest -q` (its stderr is kept)."""
    base = tmp_path_factory.mktemp("hardening")
    cfg = Config(corpus_dir=small_corpus(base / "corpus"), index_dir=base / "index")
    proc = run_cli("ingest", "-q", cfg=cfg)
    assert proc.returncode == 0, proc.stderr
    return cfg, proc.stderr


def snapshot(cfg: Config) -> dict[str, Any]:
    return {
        "current": Layout(cfg.index_dir).current(),
        "corpus": sorted((p.name, p.read_bytes()) for p in cfg.corpus_dir.iterdir()),
    }


def refused(cfg: Config, path: Path, *flags: str, expect: str, env: dict[str, str] | None = None) -> str:
    """Run `ingest path flags`; assert a one-line error with a hint, exit code 2, nothing changed."""
    before = snapshot(cfg)
    proc = run_cli("ingest", str(path), *flags, cfg=cfg, env=env)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), proc.stderr
    assert expect in lines[0], lines[0]
    assert not lines[0].startswith("error: unexpected") and "Traceback" not in proc.stderr
    assert snapshot(cfg) == before
    return lines[0]


def test_the_bm25s_debug_line_is_not_printed(built: tuple[Config, str]) -> None:
    cfg, stderr = built
    assert Layout(cfg.index_dir).current() is not None
    assert "DEBUG" not in stderr and "bm25s" not in stderr, stderr


# -- the fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rid", ["../x", "../../victim", "a/b", "..", "a..b", ".hidden", "-x", "X-Upper", "a b", "a\\b", "x" * 81]
)
def test_a_report_id_that_is_not_a_plain_name_is_refused_before_any_file_is_touched(
    built: tuple[Config, str], tmp_path: Path, rid: str
) -> None:
    cfg, _ = built
    f = tmp_path / "new.txt"
    f.write_text(GOOD, encoding="utf-8")
    victim = cfg.corpus_dir.parent / "x.txt"
    refused(
        cfg,
        f,
        "--title",
        "MOPAC Annual Report 2024-25",
        "--year",
        "2024-25",
        f"--id={rid}",
        expect="is not a report id",
    )
    assert not victim.exists() and not (cfg.corpus_dir.parent / "victim.txt").exists()


@pytest.mark.parametrize(
    "year, expect",
    [
        ("2024-27", "a annual report covers a financial year"),
        ("9999-00", "outside"),
        ("0000-01", "outside"),
        ("2024-23", "does not run into a later year"),
        ("twenty", "is not a period"),
    ],
)
def test_a_year_that_is_not_a_financial_year_is_refused(
    built: tuple[Config, str], tmp_path: Path, year: str, expect: str
) -> None:
    cfg, _ = built
    f = tmp_path / "new.txt"
    f.write_text(GOOD, encoding="utf-8")
    line = refused(cfg, f, "--title", "MOPAC Annual Report", "--year", year, expect="")
    assert expect in line or "financial year" in line, line


def test_a_three_year_period_is_not_taken_for_a_new_plan_unless_asked(
    built: tuple[Config, str], tmp_path: Path
) -> None:
    """A title that names no kind with --year 2024-27 (no such plan): refused, not filed as a plan's page."""
    cfg, _ = built
    f = tmp_path / "new.txt"
    f.write_text(GOOD, encoding="utf-8")
    refused(cfg, f, "--title", "Policing update", "--year", "2024-27", expect="is not a financial year")


@pytest.mark.parametrize(
    "flags, expect",
    [
        (("--published", "2024-13-45"), "is not a date"),
        (("--published", "last July"), "is not a date"),
        (("--published", "1066-10-14"), "not a plausible publication date"),
        (("--plan", "2024-26"), "is not a plan period"),
        (("--plan", "nonsense"), "is not a plan period"),
        (("--url", "javascript:alert(1)"), "is not a web address"),
        (("--url", "https://"), "is not a web address"),
    ],
)
def test_a_bad_date_plan_or_address_is_refused(
    built: tuple[Config, str], tmp_path: Path, flags: tuple[str, ...], expect: str
) -> None:
    cfg, _ = built
    f = tmp_path / "new.txt"
    f.write_text(GOOD, encoding="utf-8")
    refused(cfg, f, "--title", "MOPAC Annual Report 2024-25", "--year", "2024-25", *flags, expect=expect)


@pytest.mark.parametrize("title", ["   ", "Line one\nline two", "Bell\x07", "x" * 301])
def test_a_title_that_is_not_one_line_of_text_is_refused(
    built: tuple[Config, str], tmp_path: Path, title: str
) -> None:
    cfg, _ = built
    f = tmp_path / "new.txt"
    f.write_text(GOOD, encoding="utf-8")
    refused(cfg, f, "--title", title, "--year", "2024-25", expect="is not a title")


# -- the file ---------------------------------------------------------------------------------------


def _pdf_bytes(text: str = "") -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=300, height=300)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=300, height=300)
    w.encrypt("secret", algorithm="RC4-128")
    out = BytesIO()
    w.write(out)
    return out.getvalue()


MALFORMED_PDFS = {
    "header-only": b"%PDF-1.7\n",
    "garbage": b"%PDF-1.4\n" + bytes(range(256)) * 40,
    "truncated": _pdf_bytes()[:200],
    "no-xref": _pdf_bytes().replace(b"xref", b"xxxx").replace(b"startxref", b"startxxxx"),
    "bad-trailer": _pdf_bytes().replace(b"/Root", b"/Rxxx"),
    "bad-pages": _pdf_bytes().replace(b"/Pages", b"/Paxes"),
    "deep-nesting": b"%PDF-1.4\n1 0 obj\n"
    + b"[" * 5000
    + b"]" * 5000
    + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
    "encrypted": _encrypted_pdf(),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_PDFS))
def test_a_malformed_pdf_gets_one_line_not_an_unexpected_error(
    built: tuple[Config, str], tmp_path: Path, case: str
) -> None:
    cfg, _ = built
    f = tmp_path / f"{case}.pdf"
    f.write_bytes(MALFORMED_PDFS[case])
    line = refused(cfg, f, "--title", "MOPAC Annual Report 2024-25", "--year", "2024-25", expect=f.name)
    assert any(w in line for w in ("cannot be read", "encrypted", "no text layer", "nest too deeply")), line


@pytest.mark.parametrize(
    "error",
    [
        "PdfReadError",
        "PdfStreamError",
        "ParseError",
        "DependencyError",
        "NotImplementedError",
        "LimitReachedError",
    ],
)
def test_pypdf_error_classes_become_input_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    """pypdf's own error classes (and NotImplementedError for an unsupported filter), raised while reading
    pages, become one InputError naming the file; a narrow unit test of the translation."""
    import pypdf
    import pypdf.errors

    exc_type = getattr(pypdf.errors, error, None) or NotImplementedError

    class Failing:
        def __init__(self, *_: object, **__: object) -> None:
            raise exc_type("boom\nsecond line")

    monkeypatch.setattr(pypdf, "PdfReader", Failing)
    f = tmp_path / "r.pdf"
    f.write_bytes(_pdf_bytes())
    with pytest.raises(InputError) as info:
        read_new_file(f)
    assert "cannot be read" in info.value.message and "r.pdf" in info.value.message
    assert "\n" not in info.value.message and info.value.hint


def test_an_html_page_of_only_script_is_refused_after_conversion(
    built: tuple[Config, str], tmp_path: Path
) -> None:
    cfg, _ = built
    for i, html in enumerate(
        [
            "<html><head><script>var a = 'many words in a script, not text';</script></head></html>",
            "<html><body><nav>Home</nav><style>p {color: red}</style><script>alert(1)</script></body></html>",
            "<html><body>   &nbsp; <br> ... -- </body></html>",
        ]
    ):
        f = tmp_path / f"page{i}.html"
        f.write_text(html, encoding="utf-8")
        refused(cfg, f, "--title", "MOPAC Annual Report 2024-25", "--year", "2024-25", expect="holds no")


def test_a_nul_byte_anywhere_is_refused(built: tuple[Config, str], tmp_path: Path) -> None:
    cfg, _ = built
    f = tmp_path / "late-nul.txt"
    f.write_bytes((GOOD * 400).encode("utf-8") + b"\x00tail\n")
    assert f.stat().st_size > 8192
    line = refused(cfg, f, "--title", "MOPAC Annual Report 2024-25", "--year", "2024-25", expect="binary")
    assert "NUL byte at offset" in line


def test_a_file_over_the_size_limit_is_refused(built: tuple[Config, str], tmp_path: Path) -> None:
    cfg, _ = built
    f = tmp_path / "big.txt"
    f.write_text(GOOD * 20, encoding="utf-8")
    refused(
        cfg,
        f,
        "--title",
        "MOPAC Annual Report 2024-25",
        "--year",
        "2024-25",
        expect="over the 1,000-byte limit",
        env={"REPORTQA_INGEST_MAX_BYTES": "1000"},
    )
    assert Config().ingest_max_bytes == 50_000_000


def test_a_crlf_or_respaced_copy_of_a_report_is_a_duplicate(
    built: tuple[Config, str], tmp_path: Path
) -> None:
    cfg, _ = built
    text = (cfg.corpus_dir / f"{SMALL}.txt").read_text(encoding="utf-8")
    copies = {
        "crlf.txt": text.replace("\n", "\r\n").encode("utf-8"),
        "spaced.txt": text.replace(" ", "  ").replace("\n", " \n").encode("utf-8"),
        "nfd.txt": __import__("unicodedata").normalize("NFD", text).encode("utf-8"),
    }
    for name, data in copies.items():
        f = tmp_path / name
        f.write_bytes(data)
        refused(
            cfg, f, "--title", "Copy", "--year", "2014-15", "--id", "copy", expect="already in the corpus"
        )
    assert normalised_digest(text) == normalised_digest(text.replace("\n", "\r\n"))
    assert normalised_digest(text) != normalised_digest(text.replace("London", "Paris"))


def test_control_characters_are_stripped_and_line_endings_made_uniform(tmp_path: Path) -> None:
    f = tmp_path / "ctl.txt"
    f.write_bytes(
        (
            "Reducing violence\r\n\r\nIn 2024-25 the \x1b[31mVRU\x1b[0m reached 1,200\x07 young people.\r"
            "Visits\x0cwere made\u202e by ICVs.\u2028Tab\there.\ufeff\n"
        ).encode("utf-8")
    )
    text, _ = read_new_file(f)
    assert "\r" not in text and "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\ufeff" not in text and "\x0c" not in text and "\u2028" not in text
    assert "\t" in text and "1,200 young people" in text and "VRU" in text
    assert clean_text(text) == text  # idempotent


# -- over-long lines and many lines --------------------------------------------------------------------


def _passages(text: str) -> list[Any]:
    report = Report(
        id="x",
        file="x.txt",
        title="T",
        kind="annual report",
        shape="auto",
        year="2024-25",
        plan="2022-25",
        sha256="0",
    )
    taxonomy = load_taxonomy()
    sections = [assign(s, report.plan, taxonomy) for s in parse_report(text, "x", "T", None)]
    return chunk_report(report, text, sections, Tokens().count, Config().chunk, taxonomy)


def test_a_megabyte_single_line_keeps_its_words_in_passages_the_model_can_read() -> None:
    words = "the police and crime plan victims officers london mayor services violence 2024-25 £1,200".split()
    pick = random.Random(7).choice  # not periodic: identical passages would be one passage (chunk._dedupe)
    line = " ".join(pick(words) for _ in range(180_000))  # ~1.2 MB, no full stop, no newline
    passages = _passages(line + "\n")
    kept = [w for p in passages for w in p.clean.split()]
    assert kept == line.split()  # every word, in order, once
    assert all(p.tokens <= MODEL_MAX_TOKENS for p in passages)
    assert all(line[p.start : p.end] == p.text for p in passages)


def test_a_line_with_no_space_at_all_is_still_cut_within_the_limit() -> None:
    pick = random.Random(3).choice
    blob = "".join(pick("0123456789abcdef") for _ in range(200_000))  # 200 kB of hex digits, no space
    passages = _passages(blob + "\n")
    assert "".join(p.clean for p in passages) == blob
    assert all(p.tokens <= MODEL_MAX_TOKENS for p in passages)
    # a word of over 100 characters is one [UNK] to the tokenizer: passages are still of readable length
    assert len(passages) >= 200_000 // (MODEL_MAX_TOKENS * MAX_CHARS_PER_TOKEN)
    assert all(len(p.clean) <= MODEL_MAX_TOKENS * MAX_CHARS_PER_TOKEN for p in passages)


def test_many_short_lines_make_one_long_paragraph_cut_between_words() -> None:
    pick = random.Random(5).choice
    lines = [
        f"officers and {pick(['victims', 'wards', 'staff'])} in ward {i} of the borough"
        for i in range(20_000)
    ]
    passages = _passages("\n".join(lines) + "\n")
    assert " ".join(w for p in passages for w in p.clean.split()) == " ".join(" ".join(lines).split())
    assert all(p.tokens <= MODEL_MAX_TOKENS for p in passages)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
                          .filter(lambda t: t != "")), min_size=1, max_size=8),
       st.lists(st.sampled_from(["paragraph", "bullet", "subbullet", "item", "quote", "heading"]),
                min_size=4, max_size=4))
def test_a_passages_size_is_the_sum_of_its_sentences_and_marks(
    parts: list[tuple[int, str]], kinds: list[str]
) -> None:
    # the chunker grows passages by adding up counted sentences (linear, not quadratic): that must equal
    # counting the rendered passage, for any text (accents, CJK, punctuation, control characters, no spaces)
    blocks = sorted(parts, key=lambda p: p[0])
    sentences = [Sentence(text=t, start=0, end=1, block=b) for b, t in blocks]
    kinds_of = dict(enumerate(kinds))
    count = Tokens().count
    assert _rendered_size(count, kinds_of)(sentences) == _bounded(count)(render(sentences, kinds_of))


# -- leftovers of an interrupted ingest ---------------------------------------------------------------


def test_an_interrupted_ingests_files_are_removed_by_the_next_ingest(built: tuple[Config, str]) -> None:
    cfg, _ = built
    manifest = (cfg.corpus_dir / "manifest.json").read_text(encoding="utf-8")
    (cfg.corpus_dir / "mopac-2099-00.txt").write_text(GOOD, encoding="utf-8")  # written, never listed
    (cfg.corpus_dir / PENDING).write_text(json.dumps({"file": "mopac-2099-00.txt"}), encoding="utf-8")
    (cfg.corpus_dir / "other.txt.partial").write_text(GOOD, encoding="utf-8")
    (cfg.corpus_dir / "notes.txt").write_text("an officer's own notes: not from an ingest", encoding="utf-8")
    proc = run_cli("ingest", cfg=cfg)
    assert proc.returncode == 0, proc.stderr
    assert "removed mopac-2099-00.txt" in proc.stderr and "removed other.txt.partial" in proc.stderr
    names = {p.name for p in cfg.corpus_dir.iterdir()}
    assert "mopac-2099-00.txt" not in names and PENDING not in names and "other.txt.partial" not in names
    assert "notes.txt" in names  # a file no ingest wrote is left alone
    (cfg.corpus_dir / "notes.txt").unlink()
    assert (cfg.corpus_dir / "manifest.json").read_text(encoding="utf-8") == manifest
    assert [r.id for r in load_corpus(cfg.corpus_dir).reports] == [SMALL]
    assert {p.report_id for p in OpenIndex.open(cfg).passages} == {SMALL}


def test_a_listed_report_named_as_pending_is_kept(built: tuple[Config, str]) -> None:
    """The pending mark of an ingest that did finish (killed after the manifest was saved) removes nothing."""
    cfg, _ = built
    (cfg.corpus_dir / PENDING).write_text(json.dumps({"file": f"{SMALL}.txt"}), encoding="utf-8")
    proc = run_cli("ingest", "-q", cfg=cfg)
    assert proc.returncode == 0, proc.stderr
    assert (cfg.corpus_dir / f"{SMALL}.txt").is_file() and not (cfg.corpus_dir / PENDING).exists()


def test_deeply_nested_html_lists_convert_in_linear_size() -> None:
    """20,000 nested lists once converted to 400 million characters (each item indented by its depth)."""
    from reportqa.readers.html import MAX_LIST_INDENT, html_to_text

    text = html_to_text("<ul><li>" * 20000 + "deepest item")
    assert "deepest item" in text
    assert len(text) < 40 * 20000
    assert max(len(line) - len(line.lstrip(" ")) for line in text.splitlines()) <= 2 * MAX_LIST_INDENT


@pytest.mark.parametrize(("content", "expect"), [(b"", "empty"), (b"   \n\n", "empty"),
                                                 (b"\xff\xfe\x00broken", "not UTF-8")])
def test_rehash_refuses_a_file_that_is_no_longer_a_report(
    built: tuple[Config, str], tmp_path: Path, content: bytes, expect: str
) -> None:
    """`corpus rehash` accepts an edit, never an emptied or undecodable file: one line, manifest kept."""
    cfg0, _ = built
    cfg = Config(corpus_dir=tmp_path / "corpus", index_dir=cfg0.index_dir)
    shutil.copytree(cfg0.corpus_dir, cfg.corpus_dir)
    f = cfg.corpus_dir / f"{SMALL}.txt"
    text = f.read_bytes()
    manifest = (cfg.corpus_dir / "manifest.json").read_bytes()
    f.write_bytes(content)
    proc = run_cli("corpus", "rehash", SMALL, cfg=cfg)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 2 and expect in lines[0], proc.stderr
    assert (cfg.corpus_dir / "manifest.json").read_bytes() == manifest
    f.write_bytes(text + b"\nOne more sentence about the Lighthouse, added by hand.\n")  # a real edit
    proc = run_cli("corpus", "rehash", SMALL, cfg=cfg)
    assert proc.returncode == 0 and "checksum updated" in proc.stdout, proc.stderr
    assert load_corpus(cfg.corpus_dir).get(SMALL).sha256 != json.loads(manifest)["reports"][0]["sha256"]
