"""The testbench's package layout (tb/README.md): no import cycles, and layers that only look down.

Imports are read with ``ast`` (module level and inside functions alike: a deferred import is
still a dependency, and it was how the old coverage <-> stimulus cycle hid), so the test needs
no simulator.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

TB = Path(__file__).resolve().parents[1] / "tb"

# Which package may import which: common is shared infrastructure, gru builds on matvec (a GRU
# phase is a run of matrix-vector products), leaf and direct tests stand alone.
ALLOWED = {
    "tb.common": {"tb.common"},
    "tb.matvec": {"tb.common", "tb.matvec"},
    "tb.gru": {"tb.common", "tb.matvec", "tb.gru"},
    "tb.leaf": {"tb.common", "tb.leaf"},
    "tb.direct": {"tb.common", "tb.matvec", "tb.direct"},
    "tb.regression": set(),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(TB.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def tb_imports(path: Path) -> set[str]:
    """Every tb module ``path`` imports, at any depth of the file."""
    known = {module_name(p) for p in TB.rglob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from tb.matvec import stimulus`` imports the submodule, not only the package.
            subs = {f"{node.module}.{a.name}" for a in node.names}
            found.update(subs & known or {node.module})
    return {m for m in found if m in known and m.startswith("tb.")}


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): tb_imports(p) for p in sorted(TB.rglob("*.py"))}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules (first == last), or [] when there is none."""
    state: dict[str, int] = {}          # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str]:
        state[m] = 1
        path.append(m)
        for dep in sorted(graph.get(m, ())):
            if dep == m or dep not in graph:
                continue
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[m] = 2
        return []

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            return cycle
    return []


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_cycles_in_tb() -> None:
    cycle = find_cycle(import_graph())
    assert not cycle, "import cycle in tb/: " + " -> ".join(cycle)


def test_packages_import_only_their_layers() -> None:
    bad = [f"{m} imports {d}" for m, deps in import_graph().items() if m != "tb"
           for d in deps if package_of(d) not in ALLOWED[package_of(m)] | {"tb"}]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("env", ["matvec", "gru"])
def test_each_environment_has_the_same_rooms(env: str) -> None:
    rooms = {"items", "agent", "sequences", "scoreboard", "checks", "coverage", "env", "tests",
             "dryrun"}
    have = {p.stem for p in (TB / env).glob("*.py")}
    assert rooms <= have, f"tb/{env}/ lacks {sorted(rooms - have)}"


def test_cycle_finder_sees_a_cycle() -> None:
    # The checker itself must be able to fail.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
