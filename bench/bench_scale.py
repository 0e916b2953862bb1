"""Scale: collections of 100 and 1,000 reports made from the real five, ingested, asked and grown by one.

The generator (`generate`) keeps the five real reports and adds N-5 variants of them. A variant of real
report r: every year shifted by k (2022-23 -> 2022+k-23+k, in every form), its paragraphs reshuffled after
the first (the title), every figure replaced by another of the same number of digits, London borough names
swapped, and a few common words swapped for synonyms; its title and id carry the variant number. The
figures and names make most sentences new text, so their vectors cannot be reused; the share of sentences
that are still duplicates (embedded once per ingest) is recorded as `distinct_sentence_share`.

For each size, with the local Chroma directory and with a Chroma server (`chroma run` on 127.0.0.1, via
REPORTQA_CHROMA_URL):
  - ingest: `reportqa ingest -q` in a fresh process, wall time and passages/s, against the embedding-only
    rate: the same model embedding a random sample of the texts that ingest embeds, in this run, scaled to
    all of them (ratio target >= 0.8);
  - index size on disk (without the exported ONNX model, which is the same at any size);
  - peak memory: max RSS of the ingest process tree (wait4), plus the Chroma server's VmHWM;
  - warm ask p50/p95 over 50 eval questions (target p50 <= 300 ms, p95 <= 800 ms at 1,000);
  - adding one new report to the big index (ingest in-process with the model loaded) against embedding that
    report's texts alone (target <= 1.2x).
With --server-reuse (the default) the server run copies the local run's segments, so it
measures loading Chroma and the rest without embedding everything a second time: its ingest figure is
then the local embedding time plus that load time, and says so.

Usage: nice -n 5 .venv/bin/python bench/bench_scale.py --size 100 [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write  # noqa: E402 - after the sys.path line that finds it

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BOROUGHS = (
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon", "Ealing", "Enfield",
    "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey", "Harrow", "Havering", "Hillingdon",
    "Hounslow", "Islington", "Kensington and Chelsea", "Kingston upon Thames", "Lambeth", "Lewisham",
    "Merton", "Newham", "Redbridge", "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets",
    "Waltham Forest", "Wandsworth", "Westminster",
)
SYNONYMS = {"support": "help", "victims": "survivors", "improve": "strengthen",
            "communities": "neighbourhoods", "increase": "rise", "services": "provision",
            "young people": "young Londoners"}
YEAR_PAIR = re.compile(r"\b((?:19|20)\d\d)([-/–])(\d\d)\b")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
ANY_YEAR = re.compile(r"\b((?:19|20)\d\d)(?:([-/–])(\d\d))?\b")
NUMBER = re.compile(r"\d+")


def variant(text: str, k: int, rng: random.Random) -> str:
    def shift(m: re.Match[str]) -> str:
        y = int(m.group(1)) + k
        return f"{y}{m.group(2)}{(y + 1) % 100:02d}" if m.group(2) else str(y)

    out = ANY_YEAR.sub(shift, text)
    out = re.sub(r"(?<![\d.,/–-])\d{1,3}(?:,\d{3})+|(?<![\d.,/–-])\d+(?![\d,])",
                 lambda m: m.group() if YEAR.fullmatch(m.group()) else _other_number(m.group(), rng), out)
    swap = dict(zip(BOROUGHS, rng.sample(BOROUGHS, len(BOROUGHS)), strict=True))
    out = re.sub("|".join(re.escape(b) for b in sorted(BOROUGHS, key=len, reverse=True)),
                 lambda m: swap[m.group()], out)
    for a, b in SYNONYMS.items():
        if rng.random() < 0.5:
            out = re.sub(rf"\b{a}\b", b, out)
    paras = out.split("\n\n")
    first = next((i for i, para in enumerate(paras) if para.strip()), 0) + 1  # the title stays first
    head, rest = paras[:first], paras[first:]
    rng.shuffle(rest)
    return "\n\n".join(head + rest)


def _other_number(s: str, rng: random.Random) -> str:
    digits = [c for c in s if c.isdigit()]
    new = [str(rng.randint(1 if i == 0 and len(digits) > 1 else 0, 9)) for i in range(len(digits))]
    it = iter(new)
    return "".join(next(it) if c.isdigit() else c for c in s)


def generate(dst: Path, size: int, seed: int = 13) -> list[dict[str, Any]]:
    """A corpus of `size` reports under dst: the five real ones, then variants. Returns the manifest rows."""
    import hashlib

    dst.mkdir(parents=True, exist_ok=True)
    real = json.loads((ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))["reports"]
    rows = []
    for r in real:
        shutil.copy(ROOT / "corpus" / r["file"], dst / r["file"])
        rows.append(r)
    for i in range(len(real), size):
        src = real[i % len(real)]
        rng = random.Random(seed * 100003 + i)
        k = (i // len(real)) % 50 - 10 or 41  # financial years stay within 2000-01 .. 2098-99
        text = variant((ROOT / "corpus" / src["file"]).read_text(encoding="utf-8"), k, rng)
        y0 = int(src["year"][:4]) + k
        span = re.fullmatch(r"\d{4}-(\d\d)", src["year"])  # a financial year, or a plan period (2013-16)
        year = f"{y0}-{(int(span.group(1)) + k) % 100:02d}" if span else src["year"]
        rid = f"gen-{i:04d}"
        (dst / f"{rid}.txt").write_text(text, encoding="utf-8")
        title = YEAR_PAIR.sub(year, src["title"])
        plan = year if src["plan"] == src["year"] else src["plan"]
        rows.append({**src, "id": rid, "file": f"{rid}.txt", "year": year, "plan": plan,
                     "title": f"{title} (variant {i})",
                     "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                     "notes": f"bench variant {i}"})
    manifest = json.dumps({"version": 1, "reports": rows}, indent=1)
    (dst / "manifest.json").write_text(manifest, encoding="utf-8")
    return rows


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def du(path: Path, skip: str = "models") -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and skip not in p.relative_to(path).parts[:1]:
            total += p.stat().st_size
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chroma(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("chroma server did not start") from None
            time.sleep(0.5)


def hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_ingest(env: dict[str, str]) -> tuple[float, float, dict[str, Any]]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "reportqa"), "ingest", "-q", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"ingest failed: {err.decode()[-2000:]}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, json.loads(out)


def texts_to_embed(cfg: Any) -> tuple[list[str], int, int]:
    """The distinct passage and sentence texts ingest embeds for this corpus, and the counts before dedup."""
    from reportqa.corpus import load_corpus
    from reportqa.embed import Tokens
    from reportqa.index import embed_text, passages_for, sentence_key

    corpus = load_corpus(cfg.corpus_dir)
    tokens = Tokens()
    ptexts: dict[str, str] = {}
    stexts: dict[str, str] = {}
    n_p = n_s = 0
    for r in corpus.reports:
        for p in passages_for(r, corpus.read(r), cfg, tokens):
            n_p += 1
            ptexts[sentence_key(embed_text(p))] = embed_text(p)
            for s in p.sentences:
                n_s += 1
                stexts[sentence_key(s.text)] = s.text
    return list(ptexts.values()) + list(stexts.values()), n_p, n_s


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines() if line]
    return [r["question"] for r in rows if not r.get("history") and not r.get("parts")][:n]


def warm_ask(cfg: Any, qs: list[str]) -> dict[str, Any]:
    from reportqa.service import Assistant

    t0 = time.perf_counter()
    a = Assistant.open(cfg)
    a.warm()
    ready = time.perf_counter() - t0
    times = []
    for q in qs:
        t = time.perf_counter()
        a.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"questions": len(qs), "open_and_warm_s": round(ready, 2),
            "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1)}


ADD_REPEATS = 3  # variants of each real report added, so each figure is a median of three adds


def add_one(cfg: Any, size: int, embedder: Any, seed: int) -> dict[str, Any]:
    """Grow the built index by one new report at a time, as new reports come in: ADD_REPEATS new variants of
    each of the five real reports (4 to 113 passages), smallest first, each ingest timed against embedding
    that report's texts alone with the same loaded model. Then they are taken out again in one ingest
    (`remove_s`), so the index and the corpus are left as found.

    Run after `warm_ask` in the same process: the model and the Chroma collection are open, as in a process
    that serves or ingests in batches. The texts carry `seed` (new for each run by default), so no earlier
    run's vectors are reused. A first add, not recorded, warms the model's first batch and sweeps what an
    earlier run or a re-chunk left for cleanup; then `os.sync()`, so no recorded add pays for writing out
    what the bring-up wrote (an index is built long before a new report comes in)."""
    from reportqa.corpus import Corpus, load_corpus
    from reportqa.embed import Tokens
    from reportqa.index import Layout, embed_text, ingest, passages_for, sentence_key
    from reportqa.index import chroma as index_chroma
    from reportqa.types import Report

    tmp = Path(tempfile.mkdtemp(prefix="scale-new-"))
    pending_max = index_chroma.PENDING_MAX_PASSAGES
    flush: dict[str, Any] = {}
    manifest = (cfg.corpus_dir / "manifest.json").read_bytes()
    added: list[Path] = []
    runs: list[dict[str, Any]] = []
    try:
        count = 2 + 5 * ADD_REPEATS  # the unrecorded first add, ADD_REPEATS of each real report, the flush
        rows = generate(tmp, size + count, seed=seed)[-count:]
        corpus = load_corpus(cfg.corpus_dir)
        reports = list(corpus.reports)
        order = rows[:1] + sorted(rows[1:-1], key=lambda r: (tmp / r["file"]).stat().st_size) + rows[-1:]
        for n, row in enumerate(order):
            flushing = n == len(order) - 1  # the add after which no passage waits outside Chroma
            if flushing:
                serving = Layout(cfg.index_dir).current()
                assert serving is not None
                built = json.loads((serving / "manifest.json").read_bytes())
                waiting = sum(int(s["passages"]) for s in built["segments"] if s["key"] in built["pending"])
                index_chroma.PENDING_MAX_PASSAGES = 0
            shutil.copy(tmp / row["file"], cfg.corpus_dir / row["file"])
            added.append(cfg.corpus_dir / row["file"])
            report = Report(**row)
            reports.append(report)
            new = Corpus(corpus.root, tuple(reports))
            ps = passages_for(report, new.read(report), cfg, Tokens())
            texts = list({sentence_key(embed_text(p)): embed_text(p) for p in ps}.values())
            texts += list({sentence_key(s.text): s.text for p in ps for s in p.sentences}.values())
            embed_s = []
            t = time.perf_counter()
            embedder.embed(texts)
            embed_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            try:
                result = ingest(cfg, new, embedder=embedder)
            finally:
                index_chroma.PENDING_MAX_PASSAGES = pending_max
            ingest_s = time.perf_counter() - t
            t = time.perf_counter()
            embedder.embed(texts)
            embed_s.append(time.perf_counter() - t)
            alone = sum(embed_s) / len(embed_s)
            if n == 0:
                # the disk settled before the recorded adds: a bring-up re-chunk leaves a gigabyte of
                # unwritten pages, and ext4 makes the next fsync (the build manifest's) wait for them
                os.sync()
                continue
            record = {
                "variant_of": _real_id(row), "reports_before": len(reports) - 1,
                "passages": len(ps), "texts": len(texts), "embedded_passages": result.embedded,
                "ingest_s": round(ingest_s, 3), "embed_alone_s": round(alone, 3),
                "embed_alone_runs_s": [round(x, 3) for x in embed_s], "ratio": round(ingest_s / alone, 3),
                "overhead_s": round(ingest_s - result.timings.get("embed", 0.0), 3),
                "steps_s": {k: round(v, 3) for k, v in result.timings.items()},
            }
            if flushing:
                flush = {**record, "waiting_passages_before": waiting,
                         "note": "this add also put the passages waiting outside Chroma into it"}
            else:
                runs.append(record)
    finally:
        # leave the corpus and the index as they were (ingest listed each new report once it served)
        (cfg.corpus_dir / "manifest.json").write_bytes(manifest)
        for f in added:
            f.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    t = time.perf_counter()
    ingest(cfg, load_corpus(cfg.corpus_dir), embedder=embedder)
    remove_s = time.perf_counter() - t
    by_report: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        by_report.setdefault(str(r["variant_of"]), []).append(r)
    medians: list[dict[str, Any]] = [{"variant_of": rid, "passages": [r["passages"] for r in rs],
                "ratios": [r["ratio"] for r in rs],
                "ratio": statistics.median(float(r["ratio"]) for r in rs),
                "overhead_s": statistics.median(float(r["overhead_s"]) for r in rs)}
               for rid, rs in sorted(by_report.items(), key=lambda kv: min(r["passages"] for r in kv[1]))]
    ratios = sorted(float(m["ratio"]) for m in medians)
    return {"seed": seed, "reports": runs, "by_report": medians, "ratio_max": ratios[-1],
            "ratio_median": ratios[len(ratios) // 2],
            "single_run_ratio_max": max(float(r["ratio"]) for r in runs), "target_ratio": 1.2,
            "remove_s": round(remove_s, 3), "pending_max_passages": pending_max,
            "flush": flush,
            "how": f"in-process with the model and the index open (after the warm asks); {ADD_REPEATS} new "
                   "variants of each real report added one at a time, smallest first, after one unrecorded "
                   "add and os.sync(); each add's ratio is its time over the mean of two embeddings of its "
                   "texts alone (one before, one after); a real report's ratio is the median of its "
                   f"{ADD_REPEATS} (`by_report`; 0.2-second timings on two shared cores vary by 10%); "
                   "their passages wait outside Chroma (index.PENDING_MAX_PASSAGES); then one more add with "
                   "that limit at 0 puts them all in (`flush`, not in the ratios); all removed again in one "
                   "ingest"}


def _real_id(row: dict[str, Any]) -> str:
    real = json.loads((ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))["reports"]
    i = int(row["id"].split("-")[1])
    return str(real[i % len(real)]["id"])


def embed_rate(embedder: Any, texts: list[str], sample: int) -> dict[str, Any]:
    rng = random.Random(7)
    pick = rng.sample(texts, min(sample, len(texts)))
    embedder.embed(pick[:8])  # model loaded and warm
    t = time.perf_counter()
    embedder.embed(pick)
    dt = time.perf_counter() - t
    return {"sample_texts": len(pick), "seconds": round(dt, 2), "texts_per_s": round(len(pick) / dt, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--sample", type=int, default=1500, help="texts timed for the embedding-only rate")
    ap.add_argument("--server-reuse", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--seed", type=int, default=None, 
                    help="of the added reports' texts (default: new each run)")
    ap.add_argument("--add-one-only", action="store_true",
                    help="with --workdir of an earlier run: measure warm ask and add-one again on its "
                         "indexes and update those figures in bench/results/scale-SIZE.json")
    ap.add_argument("--compact", action="store_true",
                    help="with --add-one-only: first copy the indexes into new Chroma collections "
                         "(`reportqa ingest --compact`), as a user whose index many rebuilds slowed would")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(3), "big")
    if args.add_one_only:
        return remeasure(args.size, args.workdir, seed, args.compact)
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    from reportqa.config import Config, offline_environment
    from reportqa.embed import Embedder

    offline_environment()
    server_reuse = bool(args.server_reuse)
    work = args.workdir or Path(tempfile.mkdtemp(prefix=f"scale-{args.size}-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"size": args.size, "load_at_start": load(),
                               "generator": (__doc__ or "").split("\n\n")[1]}
    corpus_dir = work / "corpus"
    if not (corpus_dir / "manifest.json").is_file():
        generate(corpus_dir, args.size)
    cfg = Config(corpus_dir=corpus_dir, index_dir=work / "index-local")
    texts, n_p, n_s = texts_to_embed(cfg)
    figures["collection"] = {"reports": args.size, "passages": n_p, "sentences": n_s,
                             "distinct_texts_embedded": len(texts),
                             "distinct_sentence_share": round((len(texts) - n_p) / max(n_s, 1), 3)}
    embedder = Embedder()
    rate = embed_rate(embedder, texts, args.sample)
    embed_all_s = len(texts) / rate["texts_per_s"]
    figures["embedding_only"] = {**rate, "all_texts_s_estimated": round(embed_all_s, 1),
                                 "passages_per_s": round(n_p / embed_all_s, 2)}
    base_env = {**os.environ, "REPORTQA_CORPUS_DIR": str(corpus_dir)}
    qs = questions(50)
    modes: dict[str, Any] = {}
    server = None
    try:
        for mode in ("local", "server"):
            env = {**base_env, "REPORTQA_INDEX_DIR": str(work / f"index-{mode}")}
            mcfg = Config(corpus_dir=corpus_dir, index_dir=work / f"index-{mode}")
            out: dict[str, Any] = {"load_before": load()}
            if mode == "server":
                server, url = start_chroma(work / "chroma-server")
                env["REPORTQA_CHROMA_URL"] = url
                mcfg = mcfg.model_copy(update={"chroma_url": url})
                if server_reuse:  # the segments (passages, vectors, BM25 counts) as the local run wrote them
                    shutil.copytree(work / "index-local" / "segments", work / f"index-{mode}" / "segments")
                    shutil.copytree(work / "index-local" / "models", work / f"index-{mode}" / "models")
            if not Layout_current(mcfg):
                wall, rss, res = run_ingest(env)
                embedded_all = not (mode == "server" and server_reuse)
                total_s = wall if embedded_all else wall + modes["local"]["ingest"]["embed_s_in_ingest"]
                out["ingest"] = {
                    "wall_s": round(wall, 1), "passages": res["passages"], "embedded": res["embedded"],
                    "passages_per_s": round(res["passages"] / total_s, 2),
                    "vs_embedding_only": round((res["passages"] / total_s) / (n_p / embed_all_s), 3),
                    "target_vs_embedding_only": 0.8,
                    "peak_rss_mb": round(rss, 1),
                    "how": "fresh process, model load included" if embedded_all else
                           "segments copied from the local run (no embedding): wall is the Chroma server "
                           "load and the rest; passages_per_s adds the local run's embedding time",
                    "embed_s_in_ingest": round(_embed_seconds(mcfg), 1) if embedded_all else None,
                }
                if server is not None:
                    out["ingest"]["chroma_server_hwm_mb"] = round(hwm_mb(server.pid), 1)
            out["index_bytes"] = du(work / f"index-{mode}")
            out["ask"] = warm_ask(mcfg, qs)
            out["add_one"] = add_one(mcfg, args.size, embedder, seed)
            if server is not None:
                out["chroma_server_hwm_mb"] = round(hwm_mb(server.pid), 1)
                out["chroma_server_bytes"] = du(work / "chroma-server")
            out["load_after"] = load()
            modes[mode] = out
            print(json.dumps({mode: out}, indent=1), flush=True)
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
                server = None
    finally:
        if server is not None:
            server.terminate()
    figures["modes"] = modes
    figures["load_at_end"] = load()
    targets = {"warm_p50_ms": 300, "warm_p95_ms": 800, "ingest_vs_embedding_only": 0.8, "add_one_ratio": 1.2,
               "memory_mb": 4096}
    figures["targets_at_1000"] = targets
    figures["met"] = met(modes)
    write(f"scale-{args.size}", figures)
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


def met(modes: dict[str, Any]) -> dict[str, Any]:
    return {
        m: {"warm_p50": v["ask"]["p50_ms"] <= 300, "warm_p95": v["ask"]["p95_ms"] <= 800,
            "ingest": v.get("ingest", {}).get("vs_embedding_only", 0) >= 0.8,
            "add_one": v["add_one"]["ratio_max"] <= 1.2,
            "memory": v.get("ingest", {}).get("peak_rss_mb", 0) + v.get("chroma_server_hwm_mb", 0) <= 4096}
        for m, v in modes.items()
    }


def remeasure(size: int, work: Path | None, seed: int, compact: bool = False) -> None:
    """Warm ask and add-one again on an earlier run's indexes (brought up to date first, vectors reused),
    keeping that run's ingest, size and memory figures; the results file says what was measured when."""
    from _common import RESULTS

    from reportqa.config import Config, offline_environment
    from reportqa.corpus import load_corpus
    from reportqa.embed import Embedder
    from reportqa.index import ingest

    offline_environment()
    if work is None or not (work / "corpus" / "manifest.json").is_file():
        raise SystemExit("--add-one-only needs --workdir of an earlier run (with its corpus and indexes)")
    figures = json.loads((RESULTS / f"scale-{size}.json").read_text(encoding="utf-8"))
    figures.pop("machine", None)
    measured = figures.pop("measured", None)
    embedder = Embedder()
    qs = questions(50)
    for mode in ("local", "server"):
        mcfg = Config(corpus_dir=work / "corpus", index_dir=work / f"index-{mode}")
        server = None
        try:
            if mode == "server":
                server, url = start_chroma(work / "chroma-server")
                mcfg = mcfg.model_copy(update={"chroma_url": url})
            t = time.perf_counter()
            res = ingest(mcfg, load_corpus(mcfg.corpus_dir), embedder=embedder)  # any code change re-chunks
            out = figures["modes"][mode]
            if compact:  # twice: the second build drops the collection the first one left to the previous
                tc = time.perf_counter()
                for _ in range(2):
                    ingest(mcfg, load_corpus(mcfg.corpus_dir), embedder=embedder, compact=True)
                out["compact_twice_s"] = round(time.perf_counter() - tc, 1)
            out["load_before_remeasure"] = load()
            out["bring_up_to_date_s"] = round(time.perf_counter() - t, 1)
            out["bring_up_to_date_embedded"] = res.embedded
            out["ask"] = warm_ask(mcfg, qs)
            out["add_one"] = add_one(mcfg, size, embedder, seed)
            out["load_after_remeasure"] = load()
            print(json.dumps({mode: {"ask": out["ask"], "add_one": out["add_one"]}}, indent=1), flush=True)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
    rest = figures.get("remeasured", {}).get("rest", measured)  # the full run's date, over remeasures
    figures["remeasured"] = {"ask_and_add_one": time.strftime("%Y-%m-%dT%H:%M:%S"), "rest": rest}
    figures["met"] = met(figures["modes"])
    write(f"scale-{size}", figures)


def Layout_current(cfg: Any) -> bool:  # noqa: N802 - reads as the question it answers
    from reportqa.index import Layout

    return Layout(cfg.index_dir).current() is not None


def _embed_seconds(cfg: Any) -> float:
    """The embedding step's seconds in the build that serves (recorded in its manifest by ingest)."""
    from reportqa.index import Layout

    build = Layout(cfg.index_dir).current()
    assert build is not None
    return float(json.loads((build / "manifest.json").read_text())["ingest_seconds"].get("embed", 0.0))


if __name__ == "__main__":
    main()
