"""packaging/dev.py when apt-get fails: refresh the lists once, retry, then one line and carry on.

Runs dev.py's own functions in a subprocess with stand-in ``apt-get`` and ``dpkg-query``
scripts first on PATH (they log their arguments; apt-get fails as a held lock does).
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Debian tooling")

ROOT = Path(__file__).resolve().parents[2]
LOCK_ERROR = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)"


def fake_tools(tmp_path, apt_script: str) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nprintf 'unknown ok not-installed'\n")
    (bin_dir / "apt-get").write_text(f"#!/bin/sh\necho \"$*\" >> '{calls}'\n" + textwrap.dedent(apt_script))
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env["FAKE_STATE"] = str(tmp_path / "updated")
    return env


def run_dev(env: dict, body: str) -> subprocess.CompletedProcess:
    """``body`` runs with dev.py imported as ``dev``, as root with the venv already set up."""
    code = (f"import os, sys\nsys.path.insert(0, {str(ROOT / 'packaging')!r})\nimport dev\n"
            "os.geteuid = lambda: 0\ndev.ensure_venv = lambda: None\n" + body)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def calls(tmp_path) -> list[str]:
    return [line.split()[0] for line in (tmp_path / "apt-calls").read_text().splitlines()]


def test_a_failing_install_refreshes_once_then_says_what_to_install(tmp_path):
    env = fake_tools(tmp_path, f"echo '{LOCK_ERROR}' >&2\nexit 100\n")
    r = run_dev(env, "dev.ensure_system_libs(['libfoo1', 'libbar2'])\nprint('carried on')")
    assert r.returncode == 0 and r.stdout == "carried on\n"
    assert "Traceback" not in r.stderr and "CalledProcessError" not in r.stderr
    assert calls(tmp_path) == ["install", "update", "install"]
    lines = r.stderr.splitlines()
    assert lines == [
        "[dev] installing libfoo1 libbar2",
        f"[dev] apt-get failed ({LOCK_ERROR}); Qt needs these system packages; install with: "
        "sudo apt-get install libfoo1 libbar2",
    ]


def test_stale_lists_are_refreshed_and_the_retry_installs(tmp_path):
    # install fails until `apt-get update` has run, as with package lists that went stale
    env = fake_tools(tmp_path, """\
        case "$1" in
          update) touch "$FAKE_STATE"; exit 0 ;;
          install) [ -e "$FAKE_STATE" ] && exit 0
                   echo "E: Unable to locate package libfoo1" >&2; exit 100 ;;
        esac
        """)
    r = run_dev(env, "dev.ensure_system_libs(['libfoo1'])")
    assert r.returncode == 0, r.stderr
    assert calls(tmp_path) == ["install", "update", "install"]
    assert r.stderr.splitlines() == ["[dev] installing libfoo1"]


def test_the_lists_are_not_refreshed_when_the_install_works(tmp_path):
    env = fake_tools(tmp_path, "exit 0\n")
    run_dev(env, "dev.ensure_system_libs(['libfoo1'])")
    assert calls(tmp_path) == ["install"]
    assert "DPkg::Lock::Timeout" in (tmp_path / "apt-calls").read_text()  # waits for a busy lock first


def test_the_app_still_starts_when_apt_fails(tmp_path):
    env = fake_tools(tmp_path, f"echo '{LOCK_ERROR}' >&2\nexit 100\n")
    r = run_dev(env, "sys.exit(dev.main(['app', '--version']))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("realtime-inspector ")
    assert "Traceback" not in r.stderr
    assert sum("apt-get failed" in line for line in r.stderr.splitlines()) == 1


def test_the_test_command_installs_chromium_for_the_browser_tests(tmp_path):
    env = fake_tools(tmp_path, f"echo '{LOCK_ERROR}' >&2\nexit 100\n")
    r = run_dev(env, "dev.CHECKS = []\nsys.exit(dev.main(['test', '--version']))")  # pytest --version
    assert r.returncode == 0, r.stderr
    installs = [line for line in (tmp_path / "apt-calls").read_text().splitlines() if line.startswith("install")]
    assert any(line.split()[-1:] == ["chromium"] for line in installs), installs
    assert "the mock's browser tests need Debian's chromium (they skip without it); " \
           "install with: sudo apt-get install chromium" in r.stderr
