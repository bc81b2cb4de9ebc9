"""The sans-I/O core must not import asyncio or Qt; net must not import Qt."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "inspector"
FORBIDDEN = {
    "protocol": ("asyncio", "websockets", "PySide6", "qasync", "pyqtgraph", "inspector.net", "inspector.qt"),
    "net": ("PySide6", "qasync", "pyqtgraph", "inspector.qt"),
    "recording": ("PySide6", "qasync", "pyqtgraph", "inspector.qt"),
}


def imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                pkg = path.relative_to(ROOT.parent).parent.parts
                base = list(pkg[: len(pkg) - node.level + 1])
                mod = ".".join(base + ([mod] if mod else []))
            yield mod


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    bad = []
    for path in (ROOT / layer).rglob("*.py"):
        for name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{path.name}: {name}")
    assert not bad
