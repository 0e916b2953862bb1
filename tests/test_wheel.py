"""The package as installed: a wheel built from this tree holds every data file of `reportqa`, and, installed
into a fresh virtual environment and run from a directory that is not the project, it ingests a corpus,
answers a question and keeps its fitted thresholds. Offline: the wheel is built without build isolation and
installed with --no-index; its dependencies are the test venv's, read through a .pth file (nothing is
downloaded).

Also the plans and priorities: shipped in the package, replaced by a corpus directory's own priorities.toml.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reportqa.errors import ReportQAError
from reportqa.priorities import DEFAULT_TAXONOMY, load_taxonomy, taxonomy_path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "reportqa"
CORPUS = ROOT / "corpus"
REPORT = "mopac-2023-24"  # one annual report, small enough to index in seconds
QUESTION = "How many visits did ICVs make in 2023-24?"


def _data_files(package: Path) -> set[str]:
    """Every file of the package that is not Python source or a cache, as a path in a wheel."""
    out = set()
    for path in package.rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts \
                and not path.name.endswith("~"):
            out.add("reportqa/" + path.relative_to(package).as_posix())
    return out


# -- the taxonomy: shipped, and replaced by the corpus's own -------------------------------------------------


def test_the_plans_and_priorities_ship_inside_the_package(tmp_path: Path) -> None:
    assert DEFAULT_TAXONOMY == SRC / "lexicon" / "priorities.toml"
    assert taxonomy_path(tmp_path) == DEFAULT_TAXONOMY  # a corpus without its own: the shipped one
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    assert {p.id for p in taxonomy.plans} >= {"2013-16", "2017-21", "2022-25"}
    assert taxonomy.plan_for_year("2018-19") == "2017-21" and len(taxonomy.priorities) >= 10


def test_a_corpus_with_its_own_priorities_toml_uses_it(tmp_path: Path) -> None:
    own = tmp_path / "priorities.toml"
    own.write_text('[plans."2025-29"]\ntitle = "Police and Crime Plan 2025-29"\nfirst_year = "2025-26"\n'
                   'last_year = "2028-29"\n\n[[plans."2025-29".priorities]]\nid = "safer-streets"\n'
                   'label = "Safer streets"\nterms = ["street"]\n', encoding="utf-8")
    assert taxonomy_path(tmp_path) == own
    taxonomy = load_taxonomy(taxonomy_path(tmp_path))
    assert [p.id for p in taxonomy.plans] == ["2025-29"] and taxonomy.plan_for_year("2026-27") == "2025-29"
    assert taxonomy.ids() == ("safer-streets", "general")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "priorities.toml").write_text("[plans\n", encoding="utf-8")
    with pytest.raises(ReportQAError, match="cannot read the plans and priorities") as err:
        load_taxonomy(taxonomy_path(broken))
    assert "remove it" in err.value.hint


# -- the wheel -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of a copy of this tree (the build writes build/ and *.egg-info where it runs)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    dist = tree / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(dist), str(tree)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheels = list(dist.glob("reportqa-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed; the test venv's site-packages (the dependencies: torch,
    chromadb, the model's wheel...) come after its own on sys.path, through a .pth file that is only a
    path, so the editable install of the test venv is never read."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    # installed before the .pth exists: pip sees an empty environment, and touches nothing of the test venv
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
         str(wheel)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(python), "-c", purelib], capture_output=True, text=True,
                               check=True).stdout.strip())
    deps = Path(sysconfig.get_paths()["purelib"]).resolve()
    (site / "zz-reportqa-test-deps.pth").write_text(str(deps) + "\n", encoding="utf-8")
    yield venv


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORTQA_", "PYTHON"))}
    env.update({
        "REPORTQA_CONFIG": str(work / "no-such-reportqa.toml"),
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
        "ORT_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False", "RAGAS_DO_NOT_TRACK": "true",
    })
    return env


@pytest.mark.slow
def test_the_wheel_holds_every_data_file_of_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    wanted = _data_files(SRC)
    assert {"reportqa/answer/draft_threshold.json", "reportqa/answer/weights.json",
            "reportqa/lexicon/priorities.toml", "reportqa/web/static/widget.js"} <= wanted
    assert wanted - names == set()
    py = {"reportqa/" + p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
          if "__pycache__" not in p.parts}
    assert py - names == set()


@pytest.mark.slow
def test_the_installed_wheel_ingests_and_answers_outside_the_project(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"  # no corpus/priorities.toml, no src/ here: only the installed package
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entry = next(r for r in manifest["reports"] if r["id"] == REPORT)
    shutil.copy2(CORPUS / entry["file"], corpus / entry["file"])
    (corpus / "manifest.json").write_text(json.dumps({**manifest, "reports": [entry]}), encoding="utf-8")
    env = _env(work)
    python, cli = installed / "bin" / "python", installed / "bin" / "reportqa"

    where = subprocess.run(
        [str(python), "-c", "import json, reportqa, reportqa.priorities as p, reportqa.mq.draft as d;"
         "print(json.dumps([reportqa.__file__, str(p.taxonomy_path()), d.draft_threshold()]))"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )
    assert where.returncode == 0, where.stderr[-3000:]
    module, taxonomy, threshold = json.loads(where.stdout)
    assert Path(module).resolve().is_relative_to(installed.resolve()), module  # the wheel's, not src/
    assert Path(taxonomy).resolve().is_relative_to(installed.resolve()), taxonomy
    fitted = json.loads((SRC / "answer" / "draft_threshold.json").read_text(encoding="utf-8"))["threshold"]
    assert threshold == pytest.approx(fitted) and threshold > 0

    ingest = subprocess.run([str(cli), "ingest", "--json", "-q"], cwd=work, env=env, capture_output=True,
                            text=True, timeout=900)
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    built = json.loads(ingest.stdout)
    assert built["passages"] > 0 and built["embedded"] == built["passages"], built

    ask = subprocess.run([str(cli), "ask", "--json", QUESTION], cwd=work, env=env, capture_output=True,
                         text=True, timeout=600)
    assert ask.returncode == 0, ask.stderr[-3000:]
    answer = json.loads(ask.stdout)
    assert answer["status"] == "answered" and "508" in answer["text"], answer
    text = (CORPUS / entry["file"]).read_text(encoding="utf-8")
    assert answer["citations"], answer
    for c in answer["citations"]:
        assert c["report_id"] == REPORT and text[c["start"]:c["end"]] == c["quote"]
        assert c["priority"]  # assigned from the shipped taxonomy
    assert answer["stale"] is False and answer["changed_files"] == []
