"""packaging/dev.py test: the checks run first, in order, one line each; the first failure stops
everything with its output and exit status.

Runs dev.py's own ``main`` in a subprocess with stand-in check tools in place of the venv's.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="shell-script stand-ins")

ROOT = Path(__file__).resolve().parents[2]


def fake_checks(tmp_path, mypy_status: int = 0) -> Path:
    """Stand-ins for lint-imports, ruff and mypy that log their arguments and print a few lines."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    scripts = {
        "lint-imports": "echo 'checking contracts'\necho 'Contracts: 4 kept, 0 broken.'\n",
        "ruff": "echo 'All checks passed!'\n",
        "mypy": (f"echo 'inspector/x.py:1: error: nope  [misc]'\necho 'Found 1 error' >&2\nexit {mypy_status}\n"
                 if mypy_status else "echo 'Success: no issues found in 1 source file'\n"),
    }
    for name, body in scripts.items():
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\necho \"{name} $*\" >> '{calls}'\n" + body)
        tool.chmod(0o755)
    return bin_dir


def run_test_command(bin_dir: Path, *pytest_args: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""\
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / 'packaging')!r})
        import dev
        dev.ensure_venv = lambda: None
        dev.ensure_system_libs = lambda *args, **kw: None
        dev.BIN = Path({str(bin_dir)!r})
        sys.exit(dev.main(['test', *{list(pytest_args)!r}]))
        """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_checks_run_in_order_then_pytest_with_the_arguments(tmp_path):
    r = run_test_command(fake_checks(tmp_path), "--version")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "calls").read_text().splitlines() == ["lint-imports ", "ruff check .", "mypy "]
    lines = r.stderr.splitlines()
    assert lines[:3] == [
        "[dev] lint-imports: Contracts: 4 kept, 0 broken.",
        "[dev] ruff check .: All checks passed!",
        "[dev] mypy: Success: no issues found in 1 source file",
    ]
    assert "pytest" in r.stdout + r.stderr  # pytest --version ran after them


def test_a_failing_check_stops_with_its_output_and_status(tmp_path):
    r = run_test_command(fake_checks(tmp_path, mypy_status=3), "--version")
    assert r.returncode == 3
    assert r.stdout == "inspector/x.py:1: error: nope  [misc]\n"  # nothing from pytest
    assert r.stderr.splitlines()[-2:] == ["Found 1 error", "[dev] mypy: failed (exit status 3)"]
