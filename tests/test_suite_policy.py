"""The suite's own rules: tests assert behaviour, never how fast something ran.

A static check over ``tests/``: an ``assert`` may not use a wall-clock reading
(``time.time``, ``perf_counter``, ``monotonic``, ``process_time``), directly or through a
variable computed from one in the same function. Waiting on a clock is fine (a deadline
for a condition); asserting on it is not. An assertion that only states causality (a
device's clock moved no more than the wall clock from a send to a reply) says so with
``# causal`` on its line. Speed figures belong in ``benchmarks/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, settings

TESTS = Path(__file__).resolve().parent
CLOCKS = {"time", "perf_counter", "monotonic", "process_time", "perf_counter_ns",
          "monotonic_ns", "time_ns"}


def _reads_clock(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and sub.func.attr in CLOCKS and isinstance(sub.func.value, ast.Name) \
                and sub.func.value.id == "time":
            return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def clock_assertions(source: str) -> list[int]:
    """Lines of the asserts that use a clock reading (see the module docstring)."""
    lines = source.splitlines()
    found = []
    tree = ast.parse(source)
    for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Module))]:
        body = list(ast.walk(fn))
        tainted: set[str] = set()
        changed = True
        while changed:  # names computed from clock readings, to a fixed point
            changed = False
            for node in body:
                targets: list[ast.expr] = []
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    value = node.value
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("append", "extend"):
                    targets, value = [node.func.value], node
                else:
                    continue
                if _reads_clock(value, tainted):
                    for target in targets:
                        for name in ast.walk(target):
                            if isinstance(name, ast.Name) and name.id not in tainted:
                                tainted.add(name.id)
                                changed = True
        for node in body:
            if isinstance(node, ast.Assert) and _reads_clock(node.test, tainted) \
                    and "# causal" not in lines[node.lineno - 1]:
                found.append(node.lineno)
    return sorted(set(found))


def test_no_test_asserts_on_a_clock():
    offenders = [f"{path.relative_to(TESTS.parent)}:{line}"
                 for path in sorted(TESTS.rglob("*.py"))
                 for line in clock_assertions(path.read_text())]
    assert offenders == [], "timing assertions (move the figure to benchmarks/): " + \
        ", ".join(offenders)


def test_the_check_finds_direct_and_derived_clock_assertions():
    src = """
import time
def test_a():
    start = time.perf_counter()
    work()
    assert time.perf_counter() - start < 5.0
def test_b():
    t0 = time.monotonic()
    elapsed = time.monotonic() - t0
    assert elapsed < 1.0
def test_c():
    stamps = []
    stamps.append(time.time())
    assert len(stamps) == 1 and stamps[0] > 0
def test_d():
    deadline = time.monotonic() + 30
    while not done() and time.monotonic() < deadline:
        pass
    assert done()
def test_e():
    sent = [time.monotonic()]
    assert sent[0] <= time.monotonic()  # causal
"""
    assert clock_assertions(src) == [6, 10, 14]


def test_hypothesis_has_no_speed_checks():
    current = settings()
    assert current.deadline is None
    assert HealthCheck.too_slow in current.suppress_health_check
