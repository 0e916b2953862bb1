"""The index switch and the corpus manifest as one commit; the stale-index warning; BM25 as bm25s scored it.

Faults are injected at every step of an ingest that adds a report (reportqa.index.PUBLISH_STEPS): whatever
step it dies at, the index that serves is whole, and the reports it serves are exactly the ones
corpus/manifest.json lists once the index is opened.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import reportqa.index as index_mod
from reportqa.config import Config
from reportqa.corpus import Corpus, load_corpus, save_manifest, sha256_text
from reportqa.errors import IndexMissing, ReportQAError
from reportqa.index import PUBLISH_STEPS, OpenIndex, ingest
from reportqa.index import build as index_build
from reportqa.index import caches as index_caches
from reportqa.index import chroma as index_chroma
from reportqa.service import Assistant
from reportqa.types import Filters, Report

ROOT = Path(__file__).resolve().parents[1]

NEW = """# 2024-25 MOPAC Annual Report

## 1. Reducing and preventing violence

In 2024-25 the Violence Reduction Unit reached 12,345 young people through its Pathfinder scheme.
"""


@pytest.fixture()
def work(tmp_path: Path, index_config: Config) -> Config:
    shutil.copytree(index_config.corpus_dir, tmp_path / "corpus")
    shutil.copytree(index_config.index_dir, tmp_path / "index")
    return Config(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def _add(cfg: Config) -> tuple[Corpus, Report]:
    """What `reportqa ingest FILE` does before calling ingest: the text in place, the entry not listed."""
    corpus = load_corpus(cfg.corpus_dir)
    (cfg.corpus_dir / "mopac-2024-25.txt").write_text(NEW, encoding="utf-8")
    report = Report(id="mopac-2024-25", file="mopac-2024-25.txt", title="2024-25 MOPAC Annual Report",
                    kind="annual report", shape="markdown", year="2024-25", plan="2022-25",
                    sha256=sha256_text(NEW))
    return Corpus(corpus.root, (*corpus.reports, report)), report


def _in_step(cfg: Config) -> set[str]:
    """Open the index as `ask` would; its reports must be the corpus manifest's, and every part readable."""
    ix = OpenIndex.open(cfg)
    served = {r.id for r in ix.reports}
    assert served == {r.id for r in load_corpus(cfg.corpus_dir).reports}
    assert {p.report_id for p in ix.passages} == served
    assert len(ix.bm25.get_scores(["victims"])) == len(ix.passages)
    assert ix.collection.count() >= len(ix.passages) - ix.pending_passages
    for p in ix.passages[:: max(1, len(ix.passages) // 20)]:
        assert ix.sentence_vectors.for_passage(p).shape == (len(p.sentences), 384)
    return served


@pytest.mark.parametrize("step", PUBLISH_STEPS)
def test_a_fault_at_any_step_leaves_a_whole_index_in_step_with_the_manifest(
    step: str, work: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _in_step(work)
    new, report = _add(work)
    monkeypatch.setattr(index_build, "_fail_at", step)
    with pytest.raises(ReportQAError, match=f"interrupted at {step}"):
        ingest(work, new)
    served = _in_step(work)
    committed = PUBLISH_STEPS.index(step) >= PUBLISH_STEPS.index("swap")
    assert served == (before | {report.id} if committed else before)
    # and the next ingest finishes the job, whatever the fault left behind
    monkeypatch.setattr(index_build, "_fail_at", None)
    corpus = load_corpus(work.corpus_dir)
    if report.id not in {r.id for r in corpus.reports}:
        corpus = new
    result = ingest(work, corpus)
    assert _in_step(work) == before | {report.id}
    assert result.embedded == (0 if committed else result.embedded)
    leftovers = [d.name for d in (work.index_dir / "segments").iterdir() if ".partial" in d.name]
    assert not leftovers and not [d for d in (work.index_dir / "builds").iterdir() if ".partial" in d.name]
    ix = OpenIndex.open(work)
    assert ix.collection.count() == len(ix.passages) - ix.pending_passages + ix.foreign
    hits = Assistant(work, ix).retrieve("Pathfinder scheme young people", Filters(years=("2024-25",)), k=3)
    assert hits[0].passage.report_id == report.id and {"bm25", "dense"} <= set(hits[0].scores)


def test_what_a_new_build_names_is_on_disk_before_current_names_it(
    work: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a power cut right after the swap must not leave CURRENT naming files still in the page cache: every
    # file of the new segment and build, and the directories they were renamed into, are fsynced first
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    swapped: list[list[str]] = []
    real_swap = index_mod.Layout.swap

    def swap(self: index_mod.Layout, build: Path) -> None:
        swapped.append(list(synced))
        real_swap(self, build)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(index_mod.Layout, "swap", swap)
    new, _ = _add(work)
    result = ingest(work, new)
    assert result.status == "built" and len(swapped) == 1
    before_swap = set(swapped[0])
    manifest = json.loads((result.build / "manifest.json").read_text(encoding="utf-8"))
    layout = index_mod.Layout(work.index_dir)
    fresh = [layout.segments / s["key"] for s in manifest["segments"]
             if s["report_id"] == "mopac-2024-25"]
    assert len(fresh) == 1
    needed = {str(f.resolve()) for f in fresh[0].iterdir()}
    needed |= {str(result.build.resolve() / "manifest.json"), str(layout.segments.resolve()),
               str(layout.builds.resolve())}
    # the segment and the build were fsynced under their temporary names, then their parents after the rename
    renamed = {n for n in before_swap if ".partial" in n}
    seen = {re.sub(r"\.partial[^/]*", "", n) for n in before_swap}
    assert renamed, "the new segment's files were not fsynced before the rename"
    assert needed <= seen, sorted(needed - seen)
    assert str(work.index_dir.resolve()) in synced  # and the swap itself, after it


def _dense(cfg: Config, query: str, filters: Filters | None = None) -> list[tuple[str, float]]:
    return Assistant.open(cfg).retriever.dense(query, filters or Filters(), 40)


def test_a_small_add_waits_outside_chroma_and_is_searched_as_if_it_were_in(work: Config) -> None:
    new, report = _add(work)
    ingest(work, new)
    ix = OpenIndex.open(work)
    key = next(s["key"] for s in ix.manifest["segments"] if s["report_id"] == report.id)
    assert ix.manifest["pending"] == [key] and ix.pending_passages == len(
        [p for p in ix.passages if p.report_id == report.id]) > 0
    assert ix.collection.get(where={"segment": key})["ids"] == []  # Chroma's add skipped
    queries = ["In 2024-25 the Violence Reduction Unit reached 12,345 young people through its Pathfinder "
               "scheme", "victims supported by the witness service", "violence reduction in boroughs"]
    waiting = [_dense(work, q) for q in queries]
    assert waiting[0][0][0].startswith(report.id), waiting[0][:3]  # its own sentence finds it first
    # in Chroma (a compacting ingest copies every vector into a new collection), the same passages rank
    # the same, with the same similarities
    assert ingest(work, new, compact=True).status == "built"
    assert OpenIndex.open(work).manifest["pending"] == []
    for q, before in zip(queries, waiting, strict=True):
        after = _dense(work, q)
        assert [pid for pid, _ in after] == [pid for pid, _ in before]
        assert np.allclose([x for _, x in after], [x for _, x in before], atol=2e-6)


def test_waiting_passages_keep_to_the_filters_and_leave_with_their_report(work: Config) -> None:
    new, report = _add(work)
    ingest(work, new)
    assert not any(pid.startswith(report.id) for pid, _ in
                   _dense(work, "Pathfinder scheme young people", Filters(years=("2015-16",))))
    assert all(pid.startswith(report.id) for pid, _ in
               _dense(work, "Pathfinder scheme young people", Filters(report_id=report.id)))
    ingest(work, load_corpus(work.corpus_dir).__class__(new.root, new.reports[:-1]))
    ix = OpenIndex.open(work)
    assert ix.manifest["pending"] == [] and report.id not in {p.report_id for p in ix.passages}


def test_waiting_passages_go_into_chroma_in_one_add_once_too_many_wait(
    work: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, report = _add(work)
    ingest(work, new)
    waiting = OpenIndex.open(work).manifest["pending"]
    assert len(waiting) == 1
    monkeypatch.setattr(index_chroma, "PENDING_MAX_PASSAGES", 0)
    text = NEW.replace("2024-25 MOPAC", "2025-26 MOPAC").replace("12,345", "23,456")
    (work.corpus_dir / "mopac-2025-26.txt").write_text(text, encoding="utf-8")
    second = report.model_copy(update={"id": "mopac-2025-26", "file": "mopac-2025-26.txt", "year": "2025-26",
                                       "title": "2025-26 MOPAC Annual Report", "sha256": sha256_text(text)})
    # killed after the waiting passages went into Chroma, before the build that says so: the serving build
    # finds them twice (in Chroma and waiting), and gives each once
    monkeypatch.setattr(index_build, "_fail_at", "build")
    with pytest.raises(ReportQAError):
        ingest(work, Corpus(new.root, (*new.reports, second)))
    monkeypatch.setattr(index_build, "_fail_at", None)
    assert OpenIndex.open(work).collection.get(where={"segment": waiting[0]})["ids"]
    found = [pid for pid, _ in _dense(work, "Pathfinder scheme young people")]
    assert len(found) == len(set(found)) and any(pid.startswith(report.id) for pid in found)
    ingest(work, Corpus(new.root, (*new.reports, second)))
    ix = OpenIndex.open(work)
    assert ix.manifest["pending"] == [] and ix.pending_passages == 0
    for key in [*waiting, next(s["key"] for s in ix.manifest["segments"] if s["report_id"] == second.id)]:
        assert ix.collection.get(where={"segment": key})["ids"]
    assert ix.collection.count() == len(ix.passages) + ix.foreign


def _damage(path: Path, how: str) -> None:
    n = np.load(path).shape[0]
    if how == "deleted":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif how == "narrow":
        np.save(path, np.ones((n, 10), dtype=np.float32))
    elif how == "text":
        np.save(path, np.array([["x"] * 384] * n))
    elif how == "nan":
        np.save(path, np.full((n, 384), np.nan, dtype=np.float32))


@pytest.mark.parametrize("how", ["deleted", "empty", "truncated", "narrow", "text", "nan"])
def test_a_damaged_waiting_segment_is_named_and_compact_rebuilds_it(work: Config, how: str) -> None:
    new, report = _add(work)
    ingest(work, new)
    key = OpenIndex.open(work).manifest["pending"][0]
    _damage(work.index_dir / "segments" / key / "passages.npy", how)
    with pytest.raises(IndexMissing, match=f"segment {key}") as err:
        Assistant.open(work).ask("How many young people did the Pathfinder scheme reach?")
    assert "--compact" in (err.value.hint or "")
    result = ingest(work, new, compact=True)  # the hint works: the segment is rebuilt from its report
    assert result.status == "built" and result.embedded >= 1
    found = _dense(work, "In 2024-25 the Violence Reduction Unit reached 12,345 young people through its "
                         "Pathfinder scheme")
    assert found[0][0].startswith(report.id)


def test_a_manifest_whose_pending_list_is_damaged_is_named_and_the_next_ingest_heals_it(work: Config) -> None:
    new, report = _add(work)
    ingest(work, new)
    build = index_mod.Layout(work.index_dir).current()
    assert build is not None
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["pending"] = None
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    index_caches.PARSED.clear()
    with pytest.raises(IndexMissing, match="pending"):
        OpenIndex.open(work)
    assert ingest(work, new, compact=True).status == "built"
    ix = OpenIndex.open(work)
    assert ix.manifest["pending"] == [] and ix.collection.count() == len(ix.passages) + ix.foreign


def test_a_manifest_edited_by_hand_is_never_rolled_over(work: Config) -> None:
    new, report = _add(work)
    ingest(work, new)  # the add: the manifest is written once its index serves
    assert report.id in {r.id for r in load_corpus(work.corpus_dir).reports}
    save_manifest(Corpus(work.corpus_dir, new.reports[:-1]))  # the user takes it out again
    assert not index_mod.sync_corpus_manifest(work)
    assert report.id not in {r.id for r in load_corpus(work.corpus_dir).reports}
    assert "mopac-2024-25 is no longer in the corpus" in OpenIndex.open(work).stale()


def test_a_changed_corpus_file_gets_a_one_line_warning(
    work: Config, caplog: pytest.LogCaptureFixture
) -> None:
    assert OpenIndex.open(work).stale() == ""
    f = work.corpus_dir / "mopac-2014-15.txt"
    os.utime(f)  # touched, same bytes: no warning
    assert OpenIndex.open(work).stale() == ""
    f.write_text(f.read_text(encoding="utf-8").replace("2014", "2041", 1), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="reportqa.index"):
        ix = OpenIndex.open(work)
    msg = ix.stale()
    assert msg.count("\n") == 0 and "mopac-2014-15.txt changed" in msg and "reportqa ingest" in msg
    assert msg in caplog.text
    # answers still come from the index as built
    hits = Assistant(work, ix).retrieve("police and crime plan", k=3)
    assert hits


def test_ask_prints_the_stale_warning(work: Config) -> None:
    from tests.test_index import run_cli

    f = work.corpus_dir / "mopac-2023-24.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\nAn added line.\n", encoding="utf-8")
    proc = run_cli("ask", "How many visits did ICVs make in 2023-24?", cfg=work, check=True)
    warnings = [line for line in proc.stderr.splitlines() if "mopac-2023-24.txt changed" in line]
    assert len(warnings) == 1 and "reportqa ingest" in warnings[0]
    assert warnings[0].lower().count("warning") == 1, warnings[0]  # not "WARNING ...: warning: ..."
    assert proc.stdout.strip()


def test_bm25_scores_are_those_of_bm25s(index_config: Config) -> None:
    import bm25s

    ix = OpenIndex.open(index_config)
    ref = bm25s.BM25()
    ref.index([index_mod.bm25_tokens(p) for p in ix.passages], show_progress=False)
    for q in (["victims", "support"], ["icv", "visits", "visits"], ["officers", "2022"], ["zzzunknown"]):
        got = ix.bm25.get_scores(q)
        known = [t for t in q if t in ref.vocab_dict]
        want = ref.get_scores(known) if known else np.zeros(len(ix.passages))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_adding_a_report_touches_no_other_segment(work: Config) -> None:
    segs = work.index_dir / "segments"
    before = {d.name: (d / "passages.jsonl").stat().st_mtime_ns for d in segs.iterdir()}
    new, _ = _add(work)
    result = ingest(work, new)
    after = {d.name: (d / "passages.jsonl").stat().st_mtime_ns for d in segs.iterdir()}
    assert {k: after[k] for k in before} == before and len(after) == len(before) + 1
    manifest = json.loads((result.build / "manifest.json").read_text(encoding="utf-8"))
    assert [s["report_id"] for s in manifest["segments"]][-1] == "mopac-2024-25"
    assert result.timings["parse"] >= 0 and result.reused == result.passages - result.embedded


def test_the_code_that_reads_reports_is_part_of_the_index_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index built by older parsing code never serves newer code: same code, same figures anywhere."""
    from reportqa.config import Config
    from reportqa.index import fingerprints

    before = fingerprints.index_settings(Config())
    assert before["code"] == fingerprints.passage_code_digest() and len(before["code"]) == 16
    monkeypatch.setattr(fingerprints, "PASSAGE_CODE", (*fingerprints.PASSAGE_CODE, "retrieve.py"))
    assert fingerprints.index_settings(Config())["code"] != before["code"]


def test_a_second_ingest_on_the_same_index_is_refused_while_one_runs(work: Config) -> None:
    import fcntl

    from reportqa.errors import InputError

    fd = os.open(work.index_dir / ".ingest.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another process's ingest holds it
        new, _ = _add(work)
        with pytest.raises(InputError, match="another `reportqa ingest` is running"):
            ingest(work, new)
    finally:
        os.close(fd)
    assert ingest(work, new).status == "built"


def test_an_add_interrupted_after_its_swap_keeps_the_new_file(
    work: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`reportqa ingest FILE` interrupted once the new build serves (here at cleanup) finishes the publish:
    the file stays, the manifest lists it, and the next ingest has nothing to undo."""
    from reportqa.cli import main

    src = tmp_path / "new.md"
    src.write_text(NEW, encoding="utf-8")
    monkeypatch.setenv("REPORTQA_CORPUS_DIR", str(work.corpus_dir))
    monkeypatch.setenv("REPORTQA_INDEX_DIR", str(work.index_dir))
    monkeypatch.setattr(index_build, "_fail_at", "cleanup")
    assert main(["ingest", str(src), "--title", "2024-25 MOPAC Annual Report", "--year", "2024-25"]) != 0
    monkeypatch.setattr(index_build, "_fail_at", None)
    assert (work.corpus_dir / "mopac-2024-25.txt").is_file()
    assert "mopac-2024-25" in {r.id for r in load_corpus(work.corpus_dir).reports}
    assert main(["ingest", "-q"]) == 0
    assert (work.corpus_dir / "mopac-2024-25.txt").is_file() and "mopac-2024-25" in _in_step(work)


def test_an_open_index_follows_its_collection_to_a_newer_build(work: Config) -> None:
    """A server keeps the index it opened; two builds later its Chroma collection is gone (a compaction):
    its searches move to the serving build's collection instead of failing."""
    ix = OpenIndex.open(work)
    assistant = Assistant(work, ix)
    assert assistant.retrieve("Lighthouse", k=3)
    ingest(work, compact=True)
    ingest(work, compact=True)  # the first compaction's collection, and the original, are dropped
    hits = assistant.retrieve("Lighthouse child sexual abuse", k=3)
    assert hits and "dense" in hits[0].scores


def test_a_directory_or_fifo_in_place_of_a_report_is_named_never_read(work: Config) -> None:
    from reportqa.errors import InputError

    f = work.corpus_dir / "mopac-2014-15.txt"
    f.unlink()
    os.mkfifo(f)  # reading a FIFO would block for ever
    assert "mopac-2014-15.txt is not a regular file" in OpenIndex.open(work).stale()
    with pytest.raises(InputError, match="not a regular file"):
        ingest(work)
