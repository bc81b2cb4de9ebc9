#!/usr/bin/env python3
"""Set up the project's virtual environment, then launch the app or run the tests.

    python3 packaging/dev.py app    [app arguments...]
    python3 packaging/dev.py test   [pytest arguments...]

Needs only Python 3.11+. Creates ``.venv`` beside pyproject.toml and (re)installs
the project into it whenever pyproject.toml changes. ``test`` first runs the checks
(import contracts, ruff, mypy; each configured in pyproject.toml) and stops at the
first that fails, with its output; then pytest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
EXAMPLE_PLUGIN = ROOT / "tests" / "plugins" / "zlib_decoder"

# Debian packages Qt needs: the first group even offscreen, the rest for a real X11 window.
QT_LIBS_CORE = ["libegl1", "libgl1", "libfontconfig1", "libxkbcommon0", "libglib2.0-0", "libdbus-1-3"]
QT_LIBS_DESKTOP = [
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0", "libxcb-render-util0",
    "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1", "libxkbcommon-x11-0", "libx11-xcb1",
]
# Debian's browser, driven by playwright in the mock's Origin tests (never a downloaded one).
TEST_DEBS = ["chromium"]
# Wireshark's command-line tools, for the dissector's tests (tshark, dumpcap), and the one question
# their install asks (may users other than root capture?), answered so apt never waits for a reply.
CAPTURE_DEBS = ["tshark"]
CAPTURE_ANSWERS = ["wireshark-common wireshark-common/install-setuid boolean false"]


def log(msg: str) -> None:
    print(f"[dev] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw: Any) -> None:
    subprocess.run(cmd, check=True, **kw)


def ensure_venv() -> None:
    if not PY.exists():
        log(f"creating {VENV}")
        try:
            run([sys.executable, "-m", "venv", str(VENV)], stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            # Debian without python3-venv: no ensurepip. Make a bare venv and let the
            # interpreter's own pip install into it.
            shutil.rmtree(VENV, ignore_errors=True)
            run([sys.executable, "-m", "venv", "--without-pip", str(VENV)])
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()
                          + (EXAMPLE_PLUGIN / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return
    log("installing the project and its dependencies into .venv")
    if subprocess.run([str(PY), "-m", "pip", "--version"], capture_output=True).returncode == 0:
        pip = [str(PY), "-m", "pip"]
        run([*pip, "install", "-q", "--upgrade", "pip"])
    else:
        pip = [sys.executable, "-m", "pip", "--python", str(PY)]
    run([*pip, "install", "-q", "-e", f"{ROOT}[test,load]"])
    # the example decoder plugin of docs/decoders.md, installed as users install one; the tests use it
    run([*pip, "install", "-q", "--no-deps", "-e", str(EXAMPLE_PLUGIN)])
    STAMP.write_text(want)


def compile_package() -> None:
    """Byte-compile the package as installing a wheel does: an editable install has no bytecode, and
    where PYTHONDONTWRITEBYTECODE is set Python never writes it, so every start would compile each
    module it imports again (a fifth of the work before the first paint). Quick when up to date."""
    run([str(PY), "-m", "compileall", "-q", str(ROOT / "inspector")], stdout=subprocess.DEVNULL)


def missing_debs(names: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return []
    out = []
    for name in names:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            out.append(name)
    return out


APT_LOCK_WAIT = 60  # seconds apt waits for a dpkg lock another install holds


def _apt(cmd: list[str]) -> str | None:
    """Run one apt-get command; None when it succeeds, else its last complaint."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        return str(exc)
    if r.returncode == 0:
        return None
    lines = [line.strip() for line in r.stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else f"exit status {r.returncode}"


def apt_install(names: list[str]) -> str | None:
    """Install Debian packages; None when done, else apt's last complaint."""
    lock = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT}"]
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *lock, *names]
    if _apt(install) is None:
        return None
    # Usually stale package lists or a lock another install held: refresh the lists once, retry.
    _apt(["apt-get", "update", "-qq", *lock])
    return _apt(install)


def preseed(answers: list[str]) -> None:
    """Give debconf the answers to a package's install questions before apt asks them."""
    if answers and shutil.which("debconf-set-selections"):
        subprocess.run(["debconf-set-selections"], input="\n".join(answers) + "\n", text=True,
                       capture_output=True)


def ensure_system_libs(names: list[str], needs: str = "Qt needs these system packages",
                       answers: list[str] | None = None) -> None:
    """Install what is missing when root with apt; otherwise, or when that fails, say so in one line
    and carry on (Qt may well load without them)."""
    missing = missing_debs(names)
    if not missing:
        return
    hint = f"{needs}; install with: sudo apt-get install " + " ".join(missing)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing " + " ".join(missing))
        preseed(answers or [])
        problem = apt_install(missing)
        if problem is not None:
            log(f"apt-get failed ({problem}); {hint}")
    else:
        log(hint)


# Each check: a tool installed in .venv by the test extra, with its arguments.
CHECKS = [
    ["lint-imports"],
    ["ruff", "check", "."],
    ["mypy"],
]


def run_checks(env: dict[str, str]) -> int:
    """Run every check in turn; one line each, or the failing one's output and its exit status."""
    for cmd in CHECKS:
        tool = BIN / (cmd[0] + (".exe" if os.name == "nt" else ""))
        r = subprocess.run([str(tool), *cmd[1:]], cwd=ROOT, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr)
            log(f"{' '.join(cmd)}: failed (exit status {r.returncode})")
            return r.returncode
        lines = [line.strip() for line in r.stdout.splitlines() if line.strip()]
        log(f"{' '.join(cmd)}: {lines[-1] if lines else 'ok'}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test"):
        print(__doc__)
        return 2
    what, rest = argv[0], argv[1:]
    ensure_venv()
    compile_package()
    env = dict(os.environ)
    if what == "test":
        ensure_system_libs(QT_LIBS_CORE)
        ensure_system_libs(TEST_DEBS, "the mock's browser tests need Debian's chromium (they skip without it)")
        ensure_system_libs(CAPTURE_DEBS, "the Wireshark dissector's tests need Debian's tshark (without it the "
                           "run's summary says they did not run)", CAPTURE_ANSWERS)
        env["QT_QPA_PLATFORM"] = "offscreen"
        failed = run_checks(env)
        if failed:
            return failed
        return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)
    if env.get("QT_QPA_PLATFORM") != "offscreen":
        ensure_system_libs(QT_LIBS_CORE + QT_LIBS_DESKTOP)
    return subprocess.call([str(BIN / "realtime-inspector"), *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
