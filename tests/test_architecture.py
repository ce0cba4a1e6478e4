"""The package's dependency direction (DESIGN.md §3), read from its imports with ``ast``.

- no import cycle between subpackages, nor between the modules of one subpackage;
- the core (domain, model, planning, returns, field) imports no adapter, and the domain
  nothing else of the package;
- the adapters (api, web, reports, cli) import neither SQLAlchemy nor the storage schema:
  they call services, SQL lives in storage;
- no ``importlib`` (or ``__import__``) reaches a package module behind the import graph's back;
- one haversine, one list of open statuses, one definition of the plan's dispatch order.

Every import counts, also one inside a function; only ``if TYPE_CHECKING:`` blocks (never
run) are left out of the module cycles.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "landrelease"
CORE = {"domain", "model", "planning", "returns", "field"}
ADAPTERS = {"api", "web", "reports", "cli"}
# Adapters that still hold SQL, each with the change that moves it into storage. A module
# listed here that no longer imports SQL fails the test, so the list only shrinks.
SQL_PENDING: dict[str, str] = {}
ALLOWED = {  # what each core subpackage may import of the package
    "domain": set(),
    "model": {"domain"},
    "planning": {"domain", "model"},
    "returns": {"domain", "model", "planning"},
    "field": {"domain", "model"},
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted (``from a import b`` gives ``a.b`` when b is a module)
    line: int
    type_checking: bool


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


MODULES = dict(_modules())


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for sub in ast.walk(child):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def _imports() -> list[Import]:
    out = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    out.append(Import(module, alias.name, node.lineno, node.lineno in guarded))
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, node)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in MODULES else base
                    out.append(Import(module, target, node.lineno, node.lineno in guarded))
    return out


IMPORTS = _imports()


def _sub(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else None


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def _where(imp: Import) -> str:
    return f"{MODULES[imp.module].relative_to(PACKAGE.parent)}:{imp.line} imports {imp.target}"


def test_the_import_graph_is_read() -> None:
    """The walk sees the package (a test that reads nothing would pass anything)."""
    assert "landrelease.domain.geometry" in MODULES and "landrelease.services.forecast" in MODULES
    assert any(i.module == "landrelease.cli.base" and i.target.startswith("landrelease.services") for i in IMPORTS)


def test_no_cycle_between_subpackages() -> None:
    edges: dict[str, set[str]] = {}
    for imp in IMPORTS:
        a, b = _sub(imp.module), _sub(imp.target) if imp.target.startswith("landrelease.") else None
        if a and b and a != b:
            edges.setdefault(a, set()).add(b)
    assert _cycles(edges) == []


def test_no_cycle_between_the_modules_of_a_subpackage() -> None:
    edges: dict[str, set[str]] = {}
    for imp in IMPORTS:
        if imp.type_checking or imp.target not in MODULES or imp.target == imp.module:
            continue
        package = ".".join(imp.module.split(".")[:2])  # a module may import its package's __init__
        if _sub(imp.module) and _sub(imp.module) == _sub(imp.target) and imp.target != package:
            edges.setdefault(imp.module, set()).add(imp.target)
    assert _cycles(edges) == []


def test_the_core_imports_no_adapter_and_the_domain_nothing() -> None:
    bad = []
    for imp in IMPORTS:
        a = _sub(imp.module)
        b = _sub(imp.target) if imp.target.startswith("landrelease.") else None
        if a in CORE and b and b != a and b not in ALLOWED[a]:
            bad.append(_where(imp))
        if a in CORE and imp.target == "landrelease.settings":
            bad.append(_where(imp))
    assert bad == []


def test_no_sql_in_the_adapters() -> None:
    sql = [
        imp
        for imp in IMPORTS
        if _sub(imp.module) in ADAPTERS
        and (
            imp.target == "sqlalchemy"
            or imp.target.startswith("sqlalchemy.")
            or imp.target == "landrelease.storage.schema"
            or imp.target.startswith("alembic")
        )
    ]
    files = {str(MODULES[i.module].relative_to(PACKAGE.parent)) for i in sql}
    assert [_where(i) for i in sql if str(MODULES[i.module].relative_to(PACKAGE.parent)) not in SQL_PENDING] == []
    stale = set(SQL_PENDING) - files
    assert not stale, f"{sorted(stale)} no longer hold SQL: remove them from SQL_PENDING"


def test_no_importlib_reaching_package_modules() -> None:
    pattern = re.compile(r"(import_module|__import__)\(\s*[\"']landrelease|importlib\.import_module\(")
    bad = [str(p.relative_to(PACKAGE.parent)) for p in MODULES.values() if pattern.search(p.read_text("utf-8"))]
    assert bad == []


def _source_without_docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            body[0] = ast.Pass()  # type: ignore[index]
    return ast.unparse(tree)


@pytest.mark.parametrize(
    ("concept", "pattern", "home"),
    [
        ("the haversine formula", r"\b(arcsin|asin)\(", {"landrelease/domain/geometry.py"}),
        ("the Earth's radius", r"6371\.0088", {"landrelease/domain/geometry.py"}),
        (
            "the list of open statuses",
            r"([(\[{]\s*HazardStatus\.OPEN(\.value)?\s*,\s*HazardStatus\.IN_PROGRESS"
            r"|[(\[{]\s*['\"]open['\"],\s*['\"]in_progress['\"])",
            {"landrelease/domain/enums.py"},
        ),
    ],
)
def test_one_account_of_each_concept(concept: str, pattern: str, home: set[str]) -> None:
    rx = re.compile(pattern, re.S)
    found = {
        str(path.relative_to(PACKAGE.parent))
        for path in MODULES.values()
        if rx.search(_source_without_docstrings(path))
    }
    assert found == home, f"{concept} is written in {sorted(found - home)} as well"


def test_one_definition_of_the_plans_dispatch_order() -> None:
    """The core defines the order (planning/workplan); the plan use case is the one caller
    that reads it off the stored plan. Everyone else asks the plan use case."""
    callers = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                names = ("dispatch_order", "plan_order")  # plan_order: the dispatch and the stage order
                if (isinstance(f, ast.Name) and f.id in names) or (
                    isinstance(f, ast.Attribute) and f.attr in names and ast.unparse(f.value) == "workplan"
                ):
                    callers.add(module)
    assert callers <= {"landrelease.planning.workplan", "landrelease.services.plan"}, callers
    assert "landrelease.services.plan" in callers
