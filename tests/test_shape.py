"""The package's shape, read from its source: imports flow one way, units stay small.

* no import cycle between modules, nor between the sub-packages of ``tokendistill``
  (a package's ``__init__`` re-exporting its children is not a cycle);
* no function over ``MAX_FUNCTION_LINES`` lines, no file over ``MAX_FILE_LINES`` lines;
* imports go one way between the packages named in ``ONE_WAY``: the stages keep models with
  ``tokendistill.kept`` and never reach ``tokendistill.inference``; neither of those two
  reaches into ``tokendistill.report``.

For cycles only module-level imports count: an import inside a function is a deliberate late
binding. For ``ONE_WAY`` every import counts, wherever it stands in the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "tokendistill"
MAX_FUNCTION_LINES = 50
MAX_FILE_LINES = 300


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path, *, anywhere: bool = False) -> set[str]:
    """Project modules that ``name`` imports at module level (type-checking blocks aside),
    or ``anywhere`` in the file (inside functions and type-checking blocks too)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree) if anywhere else tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}

# (importer, imported): no module of the first package imports the second, anywhere.
ONE_WAY = (
    ("tokendistill.stages", "tokendistill.inference"),
    ("tokendistill.kept", "tokendistill.inference"),
    ("tokendistill.kept", "tokendistill.report"),
    ("tokendistill.inference", "tokendistill.report"),
)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycle_between_modules() -> None:
    leaves = {m for m, p in MODULES.items() if p.name != "__init__.py"}
    graph = {m: {d for d in deps if d in leaves} for m, deps in GRAPH.items() if m in leaves}
    assert _cycles(graph) == []


def _subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and MODULES[module].name == "__init__.py") else None


def test_no_import_cycle_between_subpackages() -> None:
    graph: dict[str, set[str]] = {}
    for module, deps in GRAPH.items():
        here = _subpackage(module)
        if here is None:
            continue
        graph.setdefault(here, set()).update(
            there for there in map(_subpackage, deps) if there is not None and there != here
        )
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _crossings(graph: dict[str, set[str]], importer: str, imported: str) -> list[str]:
    """Every ``module -> dependency`` of ``graph`` from package ``importer`` into ``imported``."""
    return sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if _inside(module, importer)
        for dep in deps
        if _inside(dep, imported)
    )


@pytest.mark.parametrize(("importer", "imported"), ONE_WAY, ids=lambda name: name.split(".")[-1])
def test_imports_go_one_way(importer: str, imported: str) -> None:
    gone = [name for name in (importer, imported) if not any(_inside(m, name) for m in MODULES)]
    assert gone == [], "ONE_WAY names a package that is gone"
    graph = {name: _imports(name, path, anywhere=True) for name, path in MODULES.items()}
    assert _crossings(graph, importer, imported) == []


def test_the_direction_check_finds_a_crossing() -> None:
    graph = {
        "tokendistill.stages.teacher": {"tokendistill.kept.card", "tokendistill.inference.predict"},
        "tokendistill.stagesx": {"tokendistill.inference"},
        "tokendistill.kept.card": {"tokendistill.stats"},
    }
    assert _crossings(graph, "tokendistill.stages", "tokendistill.inference") == [
        "tokendistill.stages.teacher -> tokendistill.inference.predict"
    ]
    assert _crossings(graph, "tokendistill.kept", "tokendistill.inference") == []


def test_a_late_import_counts_for_the_direction(tmp_path: Path) -> None:
    path = tmp_path / "late.py"
    path.write_text("def f():\n    from tokendistill.inference.predict import predict\n")
    assert _imports("tokendistill.stages.late", path) == set()
    assert _imports("tokendistill.stages.late", path, anywhere=True) >= {"tokendistill.inference.predict"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_units_stay_small(module: str) -> None:
    path = MODULES[module]
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_FILE_LINES, f"{path.name} has over {MAX_FILE_LINES} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == [], f"functions over {MAX_FUNCTION_LINES} lines in {module}"
