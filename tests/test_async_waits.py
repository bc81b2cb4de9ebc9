"""On Python 3.11, ``asyncio.wait_for(event.wait(), t)`` wraps the wait in a task of its own; a
loop that stops before that task's first step drops it, and the never-awaited coroutine then warns
(an error under the suite's warnings-as-errors). ``asyncio.timeout`` awaits the wait in place."""
import ast
from pathlib import Path

import inspector

ROOT = Path(inspector.__file__).parent


def _event_waits_in_wait_for(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "wait_for" and node.args):
            inner = node.args[0]
            if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == "wait" and not inner.args):
                lines.append(node.lineno)
    return lines


def test_the_finder_sees_an_event_wait_inside_wait_for():
    assert _event_waits_in_wait_for(ast.parse("await asyncio.wait_for(done.wait(), 1)")) == [1]
    assert _event_waits_in_wait_for(ast.parse("async with asyncio.timeout(1):\n    await done.wait()")) == []


def test_no_event_wait_is_wrapped_in_wait_for():
    found = [f"{path.relative_to(ROOT)}:{line}"
             for path in sorted(ROOT.rglob("*.py"))
             for line in _event_waits_in_wait_for(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == [], found
