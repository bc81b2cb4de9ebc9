"""Packaging: one version everywhere, valid desktop files, icons, the user install script,
and (slow) the PyInstaller bundle itself: built in its own venv, then run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

import pytest

import inspector

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
APP = "realtime-inspector"
APP_ID = "io.github.realtime_inspector"
DESKTOP = PKG / f"{APP}.desktop"
METAINFO = PKG / f"{APP_ID}.metainfo.xml"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
VALIDATORS = {"desktop-file-validate": "desktop-file-utils", "appstreamcli": "appstream"}


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", PKG / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def desktop_entry(path: Path) -> dict[str, str]:
    cp = ConfigParser(interpolation=None, delimiters=("=",))
    cp.optionxform = str  # keys are case-sensitive
    cp.read(path, encoding="utf-8")
    return dict(cp["Desktop Entry"])


@pytest.fixture(scope="session")
def validators() -> dict[str, str]:
    """Paths of desktop-file-validate and appstreamcli; installs the Debian packages if we can."""
    missing = [pkg for tool, pkg in VALIDATORS.items() if not shutil.which(tool)]
    if missing and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env,
                       capture_output=True, check=False)
    found = {tool: shutil.which(tool) for tool in VALIDATORS}
    absent = [tool for tool, path in found.items() if not path]
    if absent:
        pytest.fail("validators missing: " + ", ".join(absent) +
                    "; install them with: sudo apt-get install " + " ".join(VALIDATORS[t] for t in absent))
    return found


def validate_desktop(validators, path: Path) -> None:
    r = subprocess.run([validators["desktop-file-validate"], str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def validate_metainfo(validators, path: Path) -> None:
    r = subprocess.run([validators["appstreamcli"], "validate", "--no-net", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# --- one version -------------------------------------------------------------------------

def test_metainfo_release_is_the_package_version():
    releases = ET.parse(METAINFO).getroot().find("releases")
    newest = releases.find("release").get("version")
    assert newest == inspector.__version__, "add a <release> for the new version to the metainfo"


def test_spec_and_build_read_the_same_version():
    assert load("build").project_version() == inspector.__version__
    spec_src = (PKG / f"{APP}.spec").read_text()
    assert 'ROOT / "inspector" / "__init__.py"' in spec_src and "__version__" in spec_src
    # No hard-coded version anywhere in the packaging files.
    for path in (PKG / f"{APP}.spec", PKG / "build.py", PKG / "install-desktop.sh", DESKTOP):
        assert inspector.__version__ not in path.read_text(), path


def test_cli_version_is_the_package_version():
    r = subprocess.run([sys.executable, "-m", "inspector", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == f"{APP} {inspector.__version__}"


# --- desktop files -----------------------------------------------------------------------

def test_desktop_file_is_valid(validators):
    validate_desktop(validators, DESKTOP)


def test_metainfo_is_valid(validators):
    validate_metainfo(validators, METAINFO)


def test_desktop_file_metainfo_icon_and_command_agree():
    entry = desktop_entry(DESKTOP)
    meta = ET.parse(METAINFO).getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.find("launchable").text == DESKTOP.name
    assert meta.find("provides/binary").text == APP == entry["Exec"].split()[0] == entry["TryExec"]
    assert entry["Icon"] == APP == meta.findtext("icon")
    assert entry["Name"] == meta.findtext("name")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[APP] == "inspector.cli.main:main"


# --- icons -------------------------------------------------------------------------------

def test_svg_icon_is_square_svg():
    root = ET.parse(ROOT / "resources" / f"{APP}.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


@pytest.mark.parametrize("size", SIZES)
def test_png_icon_has_its_size_and_transparent_corners(size):
    from PySide6.QtGui import QImage

    path = ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP}.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (size, size)
    image = QImage(str(path))
    assert image.hasAlphaChannel()
    assert image.pixelColor(0, 0).alpha() == 0  # rounded background, not a square
    assert image.pixelColor(size // 2, size // 2).alpha() == 255


# --- the user install script -------------------------------------------------------------

def fake_tree(tmp_path: Path) -> Path:
    """A copy of the files install-desktop.sh reads, with a stand-in bundle in dist/."""
    root = tmp_path / "src tree"
    (root / "packaging").mkdir(parents=True)
    for name in ("install-desktop.sh", DESKTOP.name, METAINFO.name):
        shutil.copy2(PKG / name, root / "packaging" / name)
    shutil.copytree(ROOT / "resources", root / "resources")
    exe = root / "dist" / APP / APP
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\necho bundle\n")
    exe.chmod(0o755)
    return root


def run_install(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "share"), XDG_BIN_HOME=str(home / "bin"))
    return subprocess.run(["sh", str(root / "packaging" / "install-desktop.sh"), *args],
                          capture_output=True, text=True, env=env)


def installed_files(home: Path) -> set[str]:
    return {str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() or p.is_symlink()}


def test_install_script_installs_the_bundle_and_uninstalls_it(tmp_path, validators):
    root, home = fake_tree(tmp_path), tmp_path / "home"
    r = run_install(root, home)
    assert r.returncode == 0, r.stderr
    share = home / "share"
    desktop = share / "applications" / f"{APP}.desktop"
    validate_desktop(validators, desktop)
    bundle_exe = share / APP / "bundle" / APP
    entry = desktop_entry(desktop)
    assert entry["Exec"] == f"{bundle_exe} %f" and entry["TryExec"] == str(bundle_exe)
    assert (home / "bin" / APP).resolve() == bundle_exe.resolve()
    assert subprocess.run([str(home / "bin" / APP)], capture_output=True, text=True).stdout == "bundle\n"
    for size in SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP}.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP}.svg").is_file()
    validate_metainfo(validators, share / "metainfo" / METAINFO.name)

    r = run_install(root, home, "--uninstall")
    assert r.returncode == 0, r.stderr
    left = {f for f in installed_files(home) if not f.endswith("mimeinfo.cache")}
    assert left == set()


def test_install_script_quotes_an_exec_path_with_spaces(tmp_path, validators):
    root, home = fake_tree(tmp_path), tmp_path / "home"
    exe = tmp_path / "my tools" / "ri"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    r = run_install(root, home, "--exec", str(exe))
    assert r.returncode == 0, r.stderr
    desktop = home / "share" / "applications" / f"{APP}.desktop"
    validate_desktop(validators, desktop)
    assert desktop_entry(desktop)["Exec"] == f'"{exe}" %f'
    assert not (home / "bin" / APP).exists()  # --exec installs no bundle


def test_install_script_leaves_a_foreign_command_alone(tmp_path):
    root, home = fake_tree(tmp_path), tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / APP).write_text("#!/bin/sh\n# someone else's\n")
    assert run_install(root, home).returncode == 0
    assert run_install(root, home, "--uninstall").returncode == 0
    assert "someone else's" in (home / "bin" / APP).read_text()


@pytest.mark.parametrize("args, message", [
    (["--bogus"], "unknown option: --bogus (see --help)"),
    (["--exec", "/nonexistent/ri"], "not an executable: /nonexistent/ri"),
    (["--exec"], "--exec needs a path"),
    (["--exec", "no/such/dir/ri"], "not an executable: no/such/dir/ri"),
])
def test_install_script_reports_bad_arguments_in_one_line(tmp_path, args, message):
    r = run_install(fake_tree(tmp_path), tmp_path / "home", *args)
    assert r.returncode == 2
    assert r.stderr.strip() == f"install-desktop.sh: {message}"
    assert not (tmp_path / "home" / "share" / "applications").exists()


# --- the bundle's helpers ----------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("objdump"), reason="objdump (binutils) is the reference here")
def test_elf_needed_matches_objdump():
    import PySide6

    elfdeps = load("elfdeps")
    libs = [Path(PySide6.__file__).parent / "QtWidgets.abi3.so", Path(sys.executable).resolve()]
    for lib in libs:
        out = subprocess.run(["objdump", "-p", str(lib)], capture_output=True, text=True).stdout
        want = [line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED")]
        assert elfdeps.needed(lib) == want, lib
    assert elfdeps.needed(DESKTOP) == []


# --- the bundle itself (slow: builds it in a fresh venv) ---------------------------------

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    build = load("build")
    build.main(["--venv", str(tmp / "venv"), "--dist", str(tmp / "dist"), "--work", str(tmp / "work"),
                "--no-check"])
    yield tmp / "dist" / APP
    shutil.rmtree(tmp, ignore_errors=True)  # ~550 MB of venv and bundle


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bundle_runs_version_and_mock(bundle):
    exe = bundle / APP
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"{APP} {inspector.__version__}"
    assert (bundle / "_internal" / "VERSION").read_text().strip() == inspector.__version__
    r = subprocess.run([str(exe), "mock", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--demo" in r.stdout
    r = subprocess.run([str(exe), "mock", "--port", "many"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "invalid int value: 'many'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bundle_cli_tails_its_own_mock(bundle):
    """The frozen websockets stack end to end: the bundle's mock server, the bundle's tail."""
    exe = str(bundle / APP)
    with subprocess.Popen([exe, "mock", "--port", "0", "--demo"], stdout=subprocess.PIPE, text=True) as mock:
        try:
            line = mock.stdout.readline()
            assert line.startswith("listening on ws://127.0.0.1:"), line
            url = line.split()[-1]
            r = subprocess.run([exe, "tail", url, "--token", "tok-s3cret", "--subscribe", "ticker", "--count", "3",
                                "--json"], capture_output=True, text=True, timeout=60)
        finally:
            mock.terminate()
    assert r.returncode == 0, r.stderr
    records = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    received = [x for x in records if x.get("event") == "frame" and x.get("dir") == "in"]
    assert len(received) >= 3 and all(x["kind"] == "EVENT" for x in received)
    assert "tok-s3cret" not in r.stdout + r.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bundle_records_through_its_own_sink_process(bundle, tmp_path):
    """The app records through a child process; frozen, that is the bundle with --recording-sink."""
    from inspector.protocol.events import IN, FrameSeen
    from inspector.recording import open_recording
    from inspector.recording.process_writer import ProcessRecordingWriter

    path = tmp_path / "frozen.rirec"
    with ProcessRecordingWriter(path, command=[str(bundle / APP), "--recording-sink"]) as w:
        for i in range(100):  # both ways in: a client's tap, and session events
            if i % 2:
                w.write_event(FrameSeen("c1", 1764300000.0 + i, IN, b"\x10%d" % i))
            else:
                w.tap(("c1", 1764300000.0 + i, b"\x10%d" % i))
    assert [e.data for e in open_recording(path).load()] == [b"\x10%d" % i for i in range(100)]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bundle_is_lean(bundle):
    internal = bundle / "_internal"
    qt_modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.so")}
    assert qt_modules == {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGL", "QtOpenGLWidgets"}
    libs = {p.name for p in internal.rglob("libQt6*.so*")}
    for unwanted in ("Network", "Qml", "Quick", "WebEngine", "3D", "Multimedia", "Pdf"):
        assert not any(unwanted in lib for lib in libs), (unwanted, libs)
    assert (internal / "resources" / f"{APP}.svg").is_file()
    dangling = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    # pyarrow (the session store) costs about 105 MB of it: libarrow, compute, parquet, and the acero,
    # dataset and substrait libraries libarrow_python links; Flight, S3 and the tests are left out
    assert size < 325e6, f"bundle grew to {size / 1e6:.0f} MB"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bundle_passes_self_test_offscreen(bundle):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([str(bundle / APP), "--self-test"], capture_output=True, text=True, timeout=180, env=env)
    assert r.returncode == 0, r.stdout + r.stderr


# --- the start-up benchmark still runs (no timing asserted) ------------------------------

def test_bench_startup_runs_once_each(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_startup.py"), "--runs", "1"],
                       capture_output=True, text=True, timeout=110, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("bare PySide6 window") and "(n=1)" in line for line in lines), r.stdout
    assert any(line.startswith("realtime-inspector (python)") and "(n=1)" in line for line in lines), r.stdout


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bundle_mock_serves_the_protocol_doc_its_401s_link_to(bundle):
    """The frozen mock finds the package's protocol.md through importlib.resources."""
    import urllib.error
    import urllib.request
    with subprocess.Popen([str(bundle / APP), "mock", "--port", "0"], stdout=subprocess.PIPE, text=True) as mock:
        try:
            base = mock.stdout.readline().split()[-1].rsplit("/api/", 1)[0].replace("ws://", "http://")
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(base + "/api/v2/realtime", timeout=10)
            with info.value:
                link = info.value.headers["Link"]
            with urllib.request.urlopen(base + link[1:link.index(">")], timeout=10) as reply:
                doc = reply.read()
        finally:
            mock.terminate()
    assert doc == (ROOT / "inspector" / "docs" / "protocol.md").read_bytes()


# --- the bundle carries every runtime dependency ------------------------------------------

def _spec_call_list(keyword: str) -> list[str]:
    """The string literals of the spec's Analysis(``keyword``=...) (the part after collect_submodules)."""
    import ast
    tree = ast.parse((PKG / f"{APP}.spec").read_text())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Analysis")
    value = next(k.value for k in call.keywords if k.arg == keyword)
    return [n.value for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_spec_names_every_runtime_dependency_as_a_hidden_import():
    """Subcommands import lazily, so each runtime dependency is named, not left to the analysis."""
    from importlib.metadata import packages_distributions

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    wanted = {norm(Requirement(r).name) for r in project["dependencies"]}
    modules = {norm(dist): name for name, dists in packages_distributions().items() for dist in dists
               if not name.startswith("_") and name.isidentifier()}
    assert wanted <= modules.keys(), wanted - modules.keys()  # every dependency is installed, its module known
    hidden = _spec_call_list("hiddenimports")
    missing = sorted(modules[d] for d in wanted if not any(
        h == modules[d] or h.startswith(modules[d] + ".") for h in hidden))
    assert missing == [], f"add to the spec's hiddenimports: {missing}"
