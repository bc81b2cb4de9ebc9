#!/usr/bin/env python3
"""Build the one-folder bundle dist/realtime-inspector/ with PyInstaller, then check it.

    python3 packaging/build.py                 # what `make dist` runs
    python3 packaging/build.py --no-check      # build only
    python3 packaging/build.py --venv DIR --dist DIR --work DIR

PyInstaller lives in its own venv (default build/venv, made on first use and refreshed when
pyproject.toml changes), never in the project's .venv. Needs Python 3.11+, and on Debian
binutils (objdump) plus Qt's libraries for the check: see docs/packaging.md.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "realtime-inspector.spec"
NAME = "realtime-inspector"


def log(msg: str) -> None:
    print(f"[build] {msg}", file=sys.stderr, flush=True)


def project_version() -> str:
    tree = ast.parse((ROOT / "inspector" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("inspector/__init__.py has no __version__")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv: Path) -> Path:
    py = venv_python(venv)
    if not py.exists():
        log(f"creating {venv}")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            # Debian without python3-venv has no ensurepip: bare venv, host pip installs into it.
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    stamp = venv / ".installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == want:
        return py
    log("installing the project and PyInstaller into " + str(venv))
    has_pip = subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True).returncode == 0
    pip = [str(py), "-m", "pip"] if has_pip else [sys.executable, "-m", "pip", "--python", str(py)]
    subprocess.run([*pip, "install", "-q", "--disable-pip-version-check", "-e", f"{ROOT}[packaging]"], check=True)
    stamp.write_text(want)
    return py


def strip_python(bundle: Path) -> None:
    # Some Pythons (pyenv builds) ship libpython and the stdlib's extensions with debug info:
    # ~25 MB for nothing. Only the interpreter's own files: stripping wheels' patched
    # libraries (auditwheel, patchelf) can break them.
    strip = shutil.which("strip")
    if not strip:
        return
    internal = bundle / "_internal"
    libs = [*internal.glob("libpython3*.so*"), *internal.glob("python3*/lib-dynload/*.so")]
    for lib in libs:
        if lib.is_file() and not lib.is_symlink():
            subprocess.run([strip, "--strip-debug", str(lib)], check=False)


def tree_size(path: Path) -> tuple[int, int]:
    total = count = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
            count += 1
    return total, count


def check(bundle: Path) -> None:
    exe = bundle / NAME
    want = f"{NAME} {project_version()}"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0 or out.stdout.strip() != want:
        raise SystemExit(f"--version: expected {want!r}, got {out.stdout.strip()!r} (exit {out.returncode})"
                         f"\n{out.stderr}")
    log(f"--version ok: {want}")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    st = subprocess.run([str(exe), "--self-test"], capture_output=True, text=True, timeout=120, env=env)
    if st.returncode != 0:
        raise SystemExit(f"--self-test failed (exit {st.returncode}):\n{st.stdout}\n{st.stderr}")
    log(f"--self-test ok in {time.monotonic() - started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=ROOT / "build" / "venv", help="PyInstaller's venv")
    ap.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the bundle folder goes")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work dir")
    ap.add_argument("--no-check", action="store_true", help="skip running --version and --self-test")
    args = ap.parse_args(argv)

    started = time.monotonic()
    py = ensure_venv(args.venv.resolve())
    log("running PyInstaller")
    subprocess.run([str(py), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(args.dist), "--workpath", str(args.work), str(SPEC)], check=True, cwd=ROOT)
    bundle = args.dist / NAME
    strip_python(bundle)
    size, files = tree_size(bundle)
    log(f"built {bundle}: {size / 1e6:.0f} MB in {files} files, {time.monotonic() - started:.0f} s")
    if not args.no_check:
        check(bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
