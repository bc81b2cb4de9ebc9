"""``realtime-inspector wireshark`` (--install, --print-path) and ``replay FILE --pcapng OUT``,
run as a user runs them; the installed plugin is the one tshark then loads by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from inspector.protocol.events import IN, OUT, FrameSeen, State, StateChanged
from inspector.recording import RecordingWriter, open_recording

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "resources" / "wireshark" / "realtime.lua"
CLI = [sys.executable, "-m", "inspector"]
TOKEN = "cli-pcap-token-5d2e"
T0 = 1764300000.0


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)


def home_env(home: Path, path: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "WIRESHARK_CONFIG_DIR")}
    env["HOME"] = str(home)
    if path is not None:
        env["PATH"] = path
    return env


def recording(path: Path) -> None:
    with RecordingWriter(path, url=f"ws://127.0.0.1:8765/api/v2/realtime?token={TOKEN}", created=T0) as w:
        w.write_event(StateChanged("c1", T0, State.OPEN))
        w.write_event(FrameSeen("c1", T0 + 0.1, OUT, b'\x01{"topic":"orders.eu"}'))
        w.write_event(FrameSeen("c1", T0 + 0.2, IN, b'\x10{"topic":"orders.eu","type":"message","seq":1,"ts":1,'
                                                       b'"data":{"total":250}}'))


def test_print_path_names_the_shipped_dissector():
    r = cli("wireshark", "--print-path")
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == LUA and LUA.is_file()


def test_install_goes_where_tshark_says_and_tshark_then_loads_it(tshark, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = home_env(home)
    rec, cap = tmp_path / "s.rirec", tmp_path / "s.pcapng"
    recording(rec)
    r = cli("replay", str(rec), "--pcapng", str(cap))
    assert r.returncode == 0 and r.stderr.strip() == f"wrote 2 messages on 1 connection to {cap}", r.stderr
    assert TOKEN.encode() not in cap.read_bytes()

    def rtapi_rows() -> subprocess.CompletedProcess:
        return subprocess.run([tshark, "-r", str(cap), "-Y", "rtapi", "-T", "fields", "-e", "rtapi.kind",
                               "-e", "rtapi.topic"], capture_output=True, text=True, timeout=60, env=env)

    before = rtapi_rows()
    assert before.returncode != 0 and "rtapi" in before.stderr  # not a field tshark knows yet
    r = cli("wireshark", "--install", env=env)
    target = home / ".local" / "lib" / "wireshark" / "plugins" / "realtime.lua"
    assert r.returncode == 0 and f"installed {target}" in r.stdout, r.stdout + r.stderr
    assert target.read_bytes() == LUA.read_bytes()
    after = rtapi_rows()
    assert after.returncode == 0, after.stderr
    assert after.stdout.splitlines() == ["0x01\torders.eu", "0x10\torders.eu"]
    again = cli("wireshark", "--install", env=env)
    assert again.returncode == 0 and again.stdout.strip() == f"{target} is up to date"
    status = cli("wireshark", env=env)
    assert f"{target.parent} (installed;" in status.stdout


def test_install_without_tshark_uses_wiresharks_own_folder_and_plugin_dir_wins(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    no_tshark = str(Path(sys.executable).parent)  # python, and no Wireshark
    r = cli("wireshark", "--install", env=home_env(home, no_tshark))
    assert r.returncode == 0, r.stderr
    assert (home / ".local" / "lib" / "wireshark" / "plugins" / "realtime.lua").is_file()
    chosen = tmp_path / "my plugins"
    r = cli("wireshark", "--install", "--plugin-dir", str(chosen), env=home_env(home, no_tshark))
    assert r.returncode == 0 and (chosen / "realtime.lua").read_bytes() == LUA.read_bytes()


def test_install_into_a_folder_it_cannot_write_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = cli("wireshark", "--install", "--plugin-dir", str(blocker / "plugins"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot install into" in r.stderr
    assert "Traceback" not in r.stderr


def test_replay_reads_a_pcapng_back_and_a_broken_one_is_one_line(tmp_path):
    rec, cap = tmp_path / "s.rirec", tmp_path / "s.pcapng"
    recording(rec)
    assert cli("replay", str(rec), "--pcapng", str(cap)).returncode == 0
    r = cli("replay", str(cap), "--json")
    assert r.returncode == 0 and r.stderr == ""
    assert [line.count('"event":"frame"') for line in r.stdout.splitlines()] == [0, 1, 1]
    assert [(e.direction, e.data) for e in open_recording(cap) if isinstance(e, FrameSeen)] == [
        (e.direction, e.data) for e in open_recording(rec) if isinstance(e, FrameSeen)]
    broken = tmp_path / "broken.pcapng"
    broken.write_bytes(cap.read_bytes()[:4] + b"\xff" * 12)
    r = cli("replay", str(broken))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "broken.pcapng" in r.stderr
    r = cli("replay", str(tmp_path / "missing.rirec"), "--pcapng", str(tmp_path / "out.pcapng"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and not (tmp_path / "out.pcapng").exists()


@pytest.mark.slow
def test_an_installed_wheel_ships_the_dissector(tmp_path):
    """Not a checkout: a wheel installed into a fresh environment finds the file under its share/."""
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = wheels.glob("*.whl")
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    py = env_dir / "bin" / "python"
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                        str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # the dependencies come from this environment; the package itself only from the wheel
    site = Path(subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        text=True).strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    code = textwrap.dedent("""
        import inspector, sys
        from inspector.cli.wireshark_cmd import dissector_path
        print(inspector.__file__)
        print(dissector_path())
    """)
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    package, lua = out.stdout.split()
    assert Path(package).is_relative_to(env_dir)
    assert Path(lua) == env_dir / "share" / "realtime-inspector" / "wireshark" / "realtime.lua"
    assert Path(lua).read_bytes() == LUA.read_bytes()


def test_dev_test_installs_tshark_without_a_question(tmp_path):
    """packaging/dev.py test: tshark is in its apt list, with debconf's one question answered first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\nprintf 'unknown ok not-installed'\n")
    (bin_dir / "apt-get").write_text(f"#!/bin/sh\necho \"apt-get $*\" >> '{log}'\n")
    (bin_dir / "debconf-set-selections").write_text(f"#!/bin/sh\nsed 's/^/debconf /' >> '{log}'\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    code = (f"import os, sys\nsys.path.insert(0, {str(ROOT / 'packaging')!r})\nimport dev\n"
            "os.geteuid = lambda: 0\ndev.ensure_venv = lambda: None\n"
            "dev.run_checks = lambda env: 7\n"  # stop after the system packages, before the checks and pytest
            "sys.exit(dev.main(['test']))\n")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 7, r.stderr
    calls = log.read_text().splitlines()
    i = calls.index("debconf wireshark-common wireshark-common/install-setuid boolean false")
    assert calls[i + 1].startswith("apt-get install -y") and calls[i + 1].endswith(" tshark")
