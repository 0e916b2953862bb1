"""The project's import graph, read from the source with `ast` (issue 25): every import of a reportqa module
counts, at module level, inside a function or under `if TYPE_CHECKING:`, since a deferred import hides a
cycle without breaking it.

- No import cycle, except those named in KNOWN_CYCLES (none since issue 25 broke the last): a new one fails.
- The index package is layered: each of its modules imports only those below it (INDEX_LAYERS), and the
  rest of the project imports the package's interface (`reportqa.index`), never its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Cycles still open: each entry is a strongly connected set of modules the graph may hold; a cycle among
# other modules, or one that adds a module to these, fails. Issue 25 broke the last ones (service <-> trend,
# service <-> mq.command: the answering steps read the assistant through `pipeline.engine.Engine`, and the
# service imports the Mayor's Question drafting from its modules, not the package that holds the command).
KNOWN_CYCLES: list[frozenset[str]] = []

# The index package, lowest first: a module imports only modules of earlier layers.
INDEX_LAYERS: list[set[str]] = [
    {"caches"},
    {"keys"},
    {"fingerprints"},
    {"store"},
    {"segments"},
    {"chroma"},
    {"build", "open"},
]


def modules() -> dict[str, Path]:
    """Every module of the reportqa package by dotted name (a package by its own name)."""
    out = {}
    for path in (SRC / "reportqa").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _known(name: str, mods: dict[str, Path]) -> str:
    """The module `name` is, or the innermost package holding it (an imported name, not a module)."""
    while name not in mods:
        name = name.rpartition(".")[0]
    return name


def imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """The reportqa modules `name` imports, anywhere in its source: `from pkg import mod` is `pkg.mod`,
    `from pkg import name` is `pkg`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {_known(a.name, mods) for a in node.names if a.name.split(".")[0] == "reportqa"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "reportqa":
                continue
            for a in node.names:
                sub = f"{source}.{a.name}"
                found.add(sub if sub in mods else _known(source, mods))
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, mods) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    for root in sorted(g):
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(g[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                members = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    members.add(w)
                    if w == v:
                        break
                if len(members) > 1:
                    out.append(frozenset(members))
    return out


def test_the_graph_sees_deferred_and_type_checking_imports() -> None:
    g = graph()
    assert "reportqa.config" in g["reportqa.mq.command"]  # `if TYPE_CHECKING:` only
    assert "reportqa.web.mq_view" in g["reportqa.web.ui"]  # inside build_ui
    assert "reportqa.index.build" in g["reportqa.index"]
    # a cycle found through a function-level import
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_but_the_known_ones() -> None:
    found = cycles(graph())
    new = [sorted(c) for c in found if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, f"import cycles (issue 25: move the shared piece down into a lower module): {new}"


def test_the_cycles_issue_25_broke_stay_broken() -> None:
    found = cycles(graph())
    broken = [{"reportqa.years", "reportqa.priorities"},
              {"reportqa.web.ui", "reportqa.web.mq_view"},
              {"reportqa.web.ui", "reportqa.web.trend_view"},
              {"reportqa.web.mq_view", "reportqa.web.trend_view"}]
    for pair in broken:
        assert not any(pair <= c for c in found), pair


def test_the_index_package_imports_only_downward() -> None:
    g = graph()
    rank = {f"reportqa.index.{m}": i for i, layer in enumerate(INDEX_LAYERS) for m in layer}
    present = {m for m in g if m.startswith("reportqa.index.")}
    assert present == set(rank), "place every index module in INDEX_LAYERS"
    for module, r in rank.items():
        inside = {m for m in g[module] if m == "reportqa.index" or m.startswith("reportqa.index.")}
        upward = sorted(m for m in inside if rank.get(m, len(INDEX_LAYERS)) >= r)
        assert not upward, f"{module} imports {upward}: only modules of lower layers"


def test_the_rest_of_the_project_uses_the_index_interface() -> None:
    g = graph()
    outside = {m: sorted(i for i in deps if i.startswith("reportqa.index."))
               for m, deps in g.items() if not (m == "reportqa.index" or m.startswith("reportqa.index."))}
    assert not {m: deps for m, deps in outside.items() if deps}
