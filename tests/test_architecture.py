"""Imports flow through the seam (DESIGN.md, "Backends and scale-out"), read from the source
with `ast` (an import inside a function or under `if` counts too; strings do not):

- only the backend packages search/whoosh/ and search/xapian/ import their engines;
- the indexer and the engine-neutral face of search/ do not import a backend package either:
  they reach backends through search/backend.py's registry;
- web/ imports of search only the package itself (`from search import ...`, the face);
- only search/semantic/ imports the embedding model's runtime (onnxruntime, onnx, tokenizers);
- the indexer's modules import each other without a cycle (a function-level import that hides
  one counts).

tests/ is not checked: the backends' own tests open their engines. In bench/, the modules in
BENCH_ENGINE_USERS measure engines themselves and may import them (each with its reason).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("whoosh", "xapian")
BACKEND_PACKAGES = tuple(f"search.{name}" for name in ENGINES)
BENCH_ENGINE_USERS = {
    # plain Whoosh is one of the peer engines measured (beside SQLite FTS5 and tantivy)
    "bench/peers.py": {"whoosh"},
    # diffs two Whoosh builds term by term (is an update the same as a rebuild?)
    "bench/compare_indexes.py": {"whoosh"},
    # sends the OP_AND_MAYBE forms Xapian 1.4.26 crashes pruning (to show the crash avoided)
    "bench/prune_check.py": {"xapian"},
    # counts one shard database both ways: Xapian's match spies, and the count servers' code
    "bench/shardcount.py": {"xapian"},
}


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module the file at `path` imports (see imports)."""
    rel = path.relative_to(ROOT).with_suffix("")
    return imports(path.read_text(encoding="utf-8"), list(rel.parts[:-1]))


def imports(source: str, package: list[str]) -> set[str]:
    """Every module a module of `package` with this source imports, absolute (relative imports
    resolved); for `from package import name`, also `package.name` when that is a module."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.add(module)
            for alias in node.names:
                sub = ROOT.joinpath(*module.split("."), alias.name)
                if sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file():
                    out.add(f"{module}.{alias.name}")
    return out


def within(module: str, names: tuple[str, ...] | set[str]) -> bool:
    return any(module == n or module.startswith(f"{n}.") for n in names)


def name_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def outside_backends() -> list[Path]:
    backends = [ROOT / "search" / name for name in ENGINES]
    return [
        p
        for folder in ("indexer", "web", "search", "bench")
        for p in modules(folder)
        if not any(p.is_relative_to(b) for b in backends)
    ]


@pytest.mark.parametrize("path", outside_backends(), ids=name_of)
def test_only_backend_packages_import_an_engine(path):
    allowed = BENCH_ENGINE_USERS.get(name_of(path), set())
    engines = {m for m in imported(path) if within(m, ENGINES) and m.split(".")[0] not in allowed}
    assert not engines, f"{name_of(path)} imports {sorted(engines)}"


@pytest.mark.parametrize("path", modules("indexer") + modules("search"), ids=name_of)
def test_the_indexer_and_the_face_reach_backends_only_through_the_registry(path):
    if within(".".join(path.relative_to(ROOT).parts[:2]), BACKEND_PACKAGES):
        return  # a backend package's own modules
    found = {m for m in imported(path) if within(m, BACKEND_PACKAGES)}
    assert not found, f"{name_of(path)} imports {sorted(found)}"


@pytest.mark.parametrize("path", modules("web"), ids=name_of)
def test_web_imports_only_the_face_of_search(path):
    found = {m for m in imported(path) if m.startswith("search.")}
    assert not found, f"{name_of(path)} imports {sorted(found)}: use `from search import ...`"


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` (module -> modules it imports), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return []


def test_the_indexer_has_no_import_cycle():
    names = {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in modules("indexer")}
    graph = {name: imported(path) & names.keys() - {name} for name, path in names.items()}
    assert cycle(graph) == []
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_checks_see_what_they_look_for():
    """The walker finds engine and backend imports in every form (else the tests above could
    not fail)."""
    source = (
        "import whoosh.index\n"
        "from xapian import Database\n"
        "from . import whoosh\n"
        "from .whoosh.writer import create\n"
        "def later():\n"
        "    from search import store\n"
    )
    found = imports(source, ["search"])
    assert {"whoosh.index", "xapian", "search.whoosh", "search.whoosh.writer"} <= found
    assert "search.store" in found and within("search.whoosh.writer", BACKEND_PACKAGES)
    assert not within("search.whooshy", BACKEND_PACKAGES) and within("whoosh.index", ENGINES)
    assert imports("from .. import fields", ["search", "whoosh"]) >= {"search.fields"}


@pytest.mark.parametrize("name", ENGINES)
def test_each_backend_reader_has_the_protocols_methods(name):
    """Every method of search/backend.py's Reader, with its parameters, on each backend's reader
    (view() among them: the engine-neutral algorithms read it)."""
    import inspect
    import typing

    from search.backend import Reader, backend

    asked = sorted(m for m, v in vars(Reader).items() if not m.startswith("_") and callable(v))
    assert {"search", "get", "related", "mesh_overview", "status", "view"} <= set(asked)
    given = backend(name).Reader
    if not isinstance(given, type):  # a function choosing the reader: the class it returns
        given = typing.get_type_hints(given)["return"]
    for method in asked:
        want = list(inspect.signature(getattr(Reader, method)).parameters)
        have = list(inspect.signature(getattr(given, method)).parameters)
        assert have[: len(want)] == want, (name, method)


MODEL_RUNTIME = ("onnxruntime", "onnx", "tokenizers", "lightgbm")
SEMANTIC = ROOT / "search" / "semantic"


@pytest.mark.parametrize(
    "path",
    [p for d in ("search", "indexer", "web") for p in modules(d) if SEMANTIC not in p.parents],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_search_semantic_imports_the_model_runtime(path):
    """The embedding model's runtime stays behind search/semantic/ (web/ never loads it)."""
    found = {m for m in imported(path) if m.split(".")[0] in MODEL_RUNTIME}
    assert not found, f"{path.relative_to(ROOT)} imports {sorted(found)}"
