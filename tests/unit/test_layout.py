"""The layout tells the architecture: no import cycle between the modules of the house, and a
stage (ingest, expectations, alerts, reports) imports the ground (projledger.settings,
projledger.db, projledger.reference) but never the shell."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("projledger", "ingest", "expectations", "alerts", "reports", "dags")
STAGES = ("ingest", "expectations", "alerts", "reports")
GROUND = ("projledger.settings", "projledger.db", "projledger.reference", "projledger.calendar")


def _modules() -> dict[str, Path]:
    mods = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if package == "dags":  # Airflow puts dags/ itself on the path
                parts = parts[1:]
            mods[".".join(parts)] = path
    return mods


def _imports() -> dict[str, set[str]]:
    """Every module's imports of other house modules, wherever they are written (a function
    body or an `if TYPE_CHECKING:` block counts: a cycle there is still two-way knowledge)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            graph[name] |= {t for t in targets if t in mods and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert _cycles(_imports()) == []


def test_a_stage_imports_the_ground_never_the_shell():
    wrong = {
        (name, target)
        for name, targets in _imports().items()
        if name.split(".")[0] in STAGES
        for target in targets
        if target.startswith("projledger")
        and not target.startswith(GROUND)
        and target != "projledger"
    }
    assert wrong == set()
