"""packaging/dev.py byte-compiles the package as a wheel install does, also where the environment
says PYTHONDONTWRITEBYTECODE (then Python never writes bytecode itself, and every start would
compile each module it imports)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_command_leaves_the_package_byte_compiled():
    source = ROOT / "inspector" / "redact.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", QT_QPA_PLATFORM="offscreen")
    code = (f"import sys\nsys.path.insert(0, {str(ROOT / 'packaging')!r})\nimport dev\n"
            "dev.ensure_system_libs = lambda *a, **k: None\nsys.exit(dev.main(['app', '--version']))")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert cached.is_file() and cached.stat().st_mtime >= source.stat().st_mtime
