"""An installed (non-editable) package serves the protocol document its 401s link to.

Builds a wheel from a copy of the project (so the source tree is not on the path), unpacks
it as pip would install it, runs that package's mock as a process and follows the Link.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "inspector" / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "inspector", src / "inspector", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources" / "wireshark", src / "resources" / "wireshark")  # the wheel's data files
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"),
                            str(src)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp / "dist").glob("realtime_inspector-*.whl")
    site = tmp / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    shutil.rmtree(src)  # nothing but the unpacked wheel is left to import from
    return wheel, site


def test_the_wheel_ships_the_protocol_document(installed):
    wheel, _site = installed
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("inspector/docs/protocol.md") == DOC.read_bytes()


def test_an_installed_mock_serves_the_link_target(installed, kit):
    _wheel, site = installed
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONUNBUFFERED": "1"}
    where = subprocess.run([sys.executable, "-c", "import inspector; print(inspector.__file__)"],
                           capture_output=True, text=True, cwd=site.parent, env=env, timeout=30)
    assert Path(where.stdout.strip()).is_relative_to(site), where  # the wheel's copy, not the source tree
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "mock", "--port", "0"], cwd=site.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on ws://127.0.0.1:"), (line, proc.poll() and proc.stderr.read())
        port = int(line.rsplit(":", 1)[1].split("/")[0])

        async def go():
            status, headers, _ = await kit.http(port, "/api/v2/realtime")
            assert status == 401
            link = headers["link"]
            assert link.endswith('>; rel="help"')
            return await kit.http(port, link[1:link.index(">")])
        status, headers, body = kit.run(go())
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert status == 200 and headers["content-type"] == "text/markdown; charset=utf-8"
    assert body == DOC.read_bytes()
