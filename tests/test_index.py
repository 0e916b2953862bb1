"""Chunking contract, ingest (idempotent, incremental, rebuild), bad input, crash safety, Chroma server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportqa.config import MODEL_MAX_TOKENS, ChunkConfig, Config
from reportqa.corpus import load_corpus
from reportqa.embed import Tokens
from reportqa.errors import InputError
from reportqa.index import Layout, OpenIndex, build_passages, embed_text, ingest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def passages():  # type: ignore[no-untyped-def]
    corpus = load_corpus(ROOT / "corpus")
    return corpus, build_passages(corpus, Config())


def test_every_chunk_is_exact_source_text_within_the_model_limit(passages) -> None:  # type: ignore[no-untyped-def]
    corpus, ps = passages
    tokens = Tokens()
    sources = {r.id: corpus.read(r) for r in corpus.reports}
    assert {p.report_id for p in ps} == set(sources)
    for p in ps:
        src = sources[p.report_id]
        assert src[p.start : p.end] == p.text
        assert tokens.count(embed_text(p)) + 2 <= MODEL_MAX_TOKENS, p.id
        for s in p.sentences:
            assert p.start <= s.start < s.end <= p.end
            raw = " ".join(src[s.start : s.end].split())
            # the cleaned sentence is the raw one minus line breaks, glyphs and footnote marks
            assert raw[:1] == s.text[:1] and raw[-1:] == s.text[-1:], (p.id, raw[:60], s.text[:60])


def test_chunks_never_split_a_number_or_a_bullet(passages) -> None:  # type: ignore[no-untyped-def]
    _, ps = passages
    for p in ps:
        for s in p.sentences:
            assert not s.text[:1].isdigit() or not s.text[:2].startswith(("0", ",")), s.text
            assert not s.text.startswith((",", ".", "%"))
    bullets = [line for p in ps for line in p.clean.split("\n") if line.startswith("• ")]
    texts = "\n".join(p.clean for p in ps)
    line = next(b for b in bullets if "Independent Custody Visiting (ICV) scheme" in b)
    assert line.startswith("• MOPAC continued") and line.endswith(
        "In 2023-24, ICVs carried out 508 visits, seeing 1801 detainees."
    )
    assert "10,316 Staff" in texts
    assert len(bullets) > 30


def test_ids_are_stable_and_content_derived(passages) -> None:  # type: ignore[no-untyped-def]
    corpus, ps = passages
    again = build_passages(corpus, Config())
    assert [p.id for p in ps] == [p.id for p in again]
    assert len({p.id for p in ps}) == len(ps)
    assert all(p.id.startswith(p.report_id + "-") for p in ps)


def test_reingest_of_an_unchanged_corpus_embeds_nothing(index_config) -> None:  # type: ignore[no-untyped-def]
    before = Layout(index_config.index_dir).current()
    result = ingest(index_config)
    assert result.status == "unchanged" and result.embedded == 0
    assert Layout(index_config.index_dir).current() == before
    ix = OpenIndex.open(index_config)
    assert len(ix.passages) == result.passages
    assert ix.store._collection.count() == result.passages  # nothing duplicated


NEW_REPORT = """# 2024-25 MOPAC Annual Report

## 1. Reducing and preventing violence

- In 2024-25 the Violence Reduction Unit reached 12,345 young people through its Pathfinder scheme.
- The Pathfinder scheme ran in seven boroughs.

## 2. Better supporting victims

The London Victim and Witness Service supported 51,234 people in 2024/25.
"""


@pytest.fixture()
def work_copy(tmp_path: Path, index_config):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    index = tmp_path / "index"
    shutil.copytree(index_config.index_dir, index)
    return Config(corpus_dir=corpus, index_dir=index)


def run_cli(
    *args: str, cfg: Config, check: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REPORTQA_CORPUS_DIR": str(cfg.corpus_dir), "REPORTQA_INDEX_DIR": str(cfg.index_dir)}
    proc = subprocess.run(
        [str(VENV_BIN / "reportqa"), *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_adding_one_report_embeds_only_its_chunks(work_copy: Config, tmp_path: Path) -> None:
    before = OpenIndex.open(work_copy)
    new = tmp_path / "annual-2024-25.md"
    new.write_text(NEW_REPORT, encoding="utf-8")
    proc = run_cli(
        "ingest",
        str(new),
        "--title",
        "2024-25 MOPAC Annual Report",
        "--year",
        "2024/25",
        "--json",
        cfg=work_copy,
        check=True,
    )
    out = json.loads(proc.stdout)
    after = OpenIndex.open(work_copy)
    added = [p for p in after.passages if p.report_id == "mopac-2024-25"]
    assert added and out["embedded"] == len(added)
    assert out["reused"] == len(before.passages)
    assert len(after.passages) == len(before.passages) + len(added)
    manifest = load_corpus(work_copy.corpus_dir)
    assert manifest.get("mopac-2024-25").plan == "2022-25"
    # and it is searchable, with its year
    proc = run_cli(
        "search", "Pathfinder scheme young people", "--year", "2024-25", "--json", cfg=work_copy, check=True
    )
    hits = json.loads(proc.stdout)["hits"]
    assert hits[0]["report_id"] == "mopac-2024-25" and "12,345" in hits[0]["clean"]
    # the same report again is refused, and nothing changes
    proc = run_cli("ingest", str(new), "--title", "x", "--year", "2024-25", cfg=work_copy)
    assert proc.returncode == 2 and "already" in proc.stderr


def test_changed_chunker_settings_rebuild_every_vector(work_copy: Config) -> None:
    cfg = work_copy.model_copy(update={"chunk": ChunkConfig(max_tokens=150)})
    result = ingest(cfg)
    assert result.status == "built" and result.reused == 0 and result.embedded == result.passages
    assert "chunker" in result.reason


def test_a_rebuild_of_most_passages_goes_into_a_new_collection(work_copy: Config) -> None:
    """Re-adding most of a collection over itself leaves Chroma's HNSW index full of deleted entries: a
    rebuild goes into a new collection, and the old one is dropped once no kept build uses it."""
    import chromadb

    from reportqa.index import Layout

    def names() -> set[str]:
        client = chromadb.PersistentClient(path=str(work_copy.index_dir / "chroma"))
        return {str(getattr(c, "name", c)) for c in client.list_collections()}

    before = json.loads((Layout(work_copy.index_dir).current() / "manifest.json").read_text())["collection"]
    cfg = work_copy.model_copy(update={"chunk": ChunkConfig(max_tokens=150)})
    ingest(cfg)
    after = json.loads((Layout(cfg.index_dir).current() / "manifest.json").read_text())["collection"]
    assert after != before and after.startswith(before.split("-")[0] + "-")
    assert {before, after} <= names()  # the previous build still serves until the next swap
    hits = OpenIndex.open(cfg).collection.query(
        query_embeddings=[[0.1] * 384], n_results=3, include=["distances"])
    assert len(hits["ids"][0]) == 3
    (cfg.corpus_dir / "manifest.json").write_text(
        (cfg.corpus_dir / "manifest.json").read_text().replace("MOPAC Annual Report 2014-15",
                                                                "MOPAC Annual Report 2014/15"))
    result = ingest(cfg)  # one report's record changed: it stays in the new collection
    assert result.status == "built"
    current = json.loads((Layout(cfg.index_dir).current() / "manifest.json").read_text())["collection"]
    assert current == after and before not in names()


def _minimal_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=300, height=300)
    with path.open("wb") as fh:
        w.write(fh)


@pytest.mark.parametrize(
    "case, expect",
    [
        ("missing", "no such file"),
        ("empty", "empty"),
        ("binary", "binary"),
        ("latin1", "not UTF-8"),
        ("docx", "unsupported file type"),
        ("scanned", "no text layer"),
    ],
)
def test_bad_files_get_one_line_errors_and_the_index_keeps_serving(
    case: str, expect: str, work_copy: Config, tmp_path: Path
) -> None:
    before = Layout(work_copy.index_dir).current()
    manifest_before = (work_copy.corpus_dir / "manifest.json").read_text()
    f = (
        tmp_path
        / {
            "missing": "nope.txt",
            "empty": "e.txt",
            "binary": "b.txt",
            "latin1": "l.txt",
            "docx": "r.docx",
            "scanned": "s.pdf",
        }[case]
    )
    if case == "empty":
        f.write_text("  \n")
    elif case == "binary":
        f.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    elif case == "latin1":
        f.write_bytes("Caf\xe9 cr\xe8me report\n".encode("latin-1"))
    elif case == "docx":
        f.write_text("hello")
    elif case == "scanned":
        _minimal_pdf(f)
    proc = run_cli("ingest", str(f), "--title", "T", "--year", "2024-25", cfg=work_copy)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and expect in lines[0] and f.name in lines[0]
    assert lines[1].startswith("hint: ")
    assert "Traceback" not in proc.stderr
    assert Layout(work_copy.index_dir).current() == before
    assert (work_copy.corpus_dir / "manifest.json").read_text() == manifest_before


def test_checksum_mismatch_is_named_and_nothing_changes(work_copy: Config) -> None:
    before = Layout(work_copy.index_dir).current()
    f = work_copy.corpus_dir / "mopac-2014-15.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest(work_copy)
    assert "mopac-2014-15.txt" in err.value.message and "checksum" in err.value.message
    assert "rehash" in err.value.hint
    assert Layout(work_copy.index_dir).current() == before


def test_an_edit_that_keeps_the_size_is_still_caught_once_the_time_changes(work_copy: Config) -> None:
    """Unchanged files are not hashed again (size and mtime as the build recorded them), but an edit that
    keeps the size, with the clock moved on, is hashed and refused."""
    before = Layout(work_copy.index_dir).current()
    f = work_copy.corpus_dir / "mopac-2014-15.txt"
    text = f.read_text(encoding="utf-8")
    st = f.stat()
    f.write_text(text.replace("a", "e", 1), encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert f.stat().st_size == st.st_size
    with pytest.raises(InputError, match="checksum"):
        ingest(work_copy)
    assert Layout(work_copy.index_dir).current() == before


def test_files_unchanged_since_the_build_are_not_hashed_again(work_copy: Config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from reportqa import corpus as corpus_mod

    ingest(work_copy)
    hashed: list[Path] = []
    real = corpus_mod.sha256_file
    from reportqa.index import open as index_open

    def recorded(p: Path) -> str:
        hashed.append(p)
        return real(p)

    monkeypatch.setattr(corpus_mod, "sha256_file", recorded)
    monkeypatch.setattr(index_open, "sha256_file", recorded)  # the stale check's
    assert ingest(work_copy).status == "unchanged"
    assert hashed == []
    os.utime(work_copy.corpus_dir / "mopac-2014-15.txt")  # touched, not changed (a checkout, a copy)
    assert ingest(work_copy).status == "unchanged" and len(hashed) == 1  # hashed once, and recorded
    assert ingest(work_copy).status == "unchanged" and len(hashed) == 1
    assert OpenIndex.open(work_copy).stale() == "" and len(hashed) == 1


def test_duplicate_ids_in_the_manifest_are_refused(work_copy: Config) -> None:
    m = json.loads((work_copy.corpus_dir / "manifest.json").read_text())
    m["reports"].append(dict(m["reports"][0]))
    (work_copy.corpus_dir / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(InputError, match="duplicate report ids"):
        ingest(work_copy)


def test_an_ingest_killed_midway_leaves_the_previous_index_serving(work_copy: Config) -> None:
    before = Layout(work_copy.index_dir).current()
    assert before is not None
    env = {
        **os.environ,
        "REPORTQA_CORPUS_DIR": str(work_copy.corpus_dir),
        "REPORTQA_INDEX_DIR": str(work_copy.index_dir),
        "REPORTQA_CHUNK__MAX_TOKENS": "120",
    }  # a chunker change: every vector is re-embedded
    proc = subprocess.Popen(
        [str(VENV_BIN / "reportqa"), "ingest"], stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 240
    for line in proc.stderr:
        if "to embed" in line:
            break
        assert time.monotonic() < deadline
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert Layout(work_copy.index_dir).current() == before
    ix = OpenIndex.open(work_copy)
    proc2 = run_cli("search", "London Drugs Forum", "--year", "2022-23", "--json", cfg=work_copy, check=True)
    assert json.loads(proc2.stdout)["hits"]
    assert len(ix.passages) > 100
    # a later ingest still succeeds and cleans up the half-built directory
    result = ingest(work_copy.model_copy(update={"chunk": ChunkConfig(max_tokens=120)}))
    assert result.status == "built"
    assert not [d for d in (work_copy.index_dir / "builds").iterdir() if d.name.endswith(".partial")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_index_on_a_real_chroma_server(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            str(VENV_BIN / "chroma"),
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "chroma server did not start"
                time.sleep(0.3)
        cfg = Config(corpus_dir=ROOT / "corpus", index_dir=tmp_path / "index", chroma_url=f"http://127.0.0.1:{port}")
        first = ingest(cfg)
        assert first.status == "built"
        assert not (first.build / "chroma").exists()  # vectors live on the server
        from reportqa.service import Assistant

        a = Assistant.open(cfg)
        hits = a.retrieve("first London Drugs Forum", k=3)
        assert hits and hits[0].scores.get("dense") is not None
        assert ingest(cfg).status == "unchanged"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_compact_copies_every_vector_into_a_new_collection_without_embedding(work_copy: Config) -> None:
    before = OpenIndex.open(work_copy)
    result = ingest(work_copy, compact=True)
    assert result.status == "built" and result.embedded == 0 and result.reason == "compacting"
    after = OpenIndex.open(work_copy)
    assert after.manifest["collection"] != before.manifest["collection"]
    assert after.collection.count() == len(after.passages) == len(before.passages)
    assert ingest(work_copy).status == "unchanged"


def test_an_emptied_manifest_never_replaces_a_working_index(work_copy: Config) -> None:
    before = Layout(work_copy.index_dir).current()
    (work_copy.corpus_dir / "manifest.json").write_text('{"version": 1, "reports": []}', encoding="utf-8")
    with pytest.raises(InputError, match="lists no reports") as err:
        ingest(work_copy)
    assert "git checkout" in err.value.hint
    assert Layout(work_copy.index_dir).current() == before


def test_a_build_manifest_holds_each_report_record_once(work_copy: Config) -> None:
    """The fingerprint holds a digest of the reports (ids and segment keys), not their records: the records
    are in "corpus" only, and OpenIndex reads them from there. A build of an earlier version, with the records
    in its fingerprint and the whole corpus manifest it started from, still opens, and the next ingest
    republishes it without embedding."""
    from reportqa.index import chroma_client, fingerprint

    ingest(work_copy)
    build = Layout(work_copy.index_dir).current()
    assert build is not None
    m = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    corpus = load_corpus(work_copy.corpus_dir)
    assert m["fingerprint"] == fingerprint(corpus, work_copy)
    assert isinstance(m["fingerprint"]["reports"], str) and len(m["fingerprint"]["reports"]) == 32
    assert [r["id"] for r in m["corpus"]] == [r.id for r in corpus.reports]
    assert "corpus_before" not in m and m["corpus_before_sha256"] is None  # built what the manifest lists
    assert [r.id for r in OpenIndex.open(work_copy).reports] == [r.id for r in corpus.reports]
    # as an earlier version wrote it
    m["fingerprint"]["reports"] = {r["id"]: r for r in m.pop("corpus")}
    m["corpus_before"] = list(m["fingerprint"]["reports"].values())
    del m["corpus_before_sha256"]
    (build / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert [r.id for r in OpenIndex(work_copy, build).reports] == [r.id for r in corpus.reports]
    result = ingest(work_copy)
    assert result.status == "built" and result.embedded == 0
    assert chroma_client(work_copy, work_copy.index_dir) is chroma_client(work_copy, work_copy.index_dir)


def test_a_corpus_manifest_edited_after_an_ingest_is_read_again(work_copy: Config) -> None:
    """An ingesting process keeps the last manifests it read or wrote; an edit by hand since is seen."""
    from reportqa.corpus import Corpus

    ingest(work_copy)
    corpus = load_corpus(work_copy.corpus_dir)
    smaller = Corpus(corpus.root, corpus.reports[1:])
    ingest(work_copy, smaller)  # lists the smaller corpus in corpus/manifest.json once it serves
    assert [r.id for r in load_corpus(work_copy.corpus_dir).reports] == [r.id for r in smaller.reports]
    mpath = work_copy.corpus_dir / "manifest.json"
    m = json.loads(mpath.read_text(encoding="utf-8"))
    m["reports"].insert(0, corpus.reports[0].model_dump())  # put back by hand
    mpath.write_text(json.dumps(m, indent=2), encoding="utf-8")
    result = ingest(work_copy)
    assert result.status == "built" and result.embedded == 0
    assert OpenIndex.open(work_copy).stale() == ""
    assert [r.id for r in OpenIndex.open(work_copy).reports] == [r.id for r in corpus.reports]


@pytest.mark.parametrize(("edit", "expect"), [
    (lambda rs: rs[1].pop("sha256"), "report 2 ('mopac-2015-16'): sha256: Field required"),
    (lambda rs: rs[0].update(year=2015), "report 1 ('mopac-2014-15'): year:"),
    (lambda rs: rs.__setitem__(2, ["not", "a", "record"]), "report 3 is not a JSON object"),
    (lambda rs: rs[1].update(id="another-id", file=rs[0]["file"]), "is listed under 2 ids"),
])
def test_a_bad_manifest_entry_is_named(work_copy: Config, edit, expect: str) -> None:  # type: ignore[no-untyped-def]
    """A manifest entry that is not a report is named by its number and id, with the field at fault."""
    mpath = work_copy.corpus_dir / "manifest.json"
    m = json.loads(mpath.read_text(encoding="utf-8"))
    edit(m["reports"])
    mpath.write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_corpus(work_copy.corpus_dir)
    assert expect in err.value.message and "\n" not in err.value.message
