"""``realtime-inspector wireshark``: the Lua dissector (``replay FILE --pcapng OUT`` is in replay_export).

The dissector ships as ``resources/wireshark/realtime.lua``: in a checkout at the
repository's root, in the frozen bundle under its data folder, and in an installed wheel
under the environment's ``share/realtime-inspector/wireshark``. ``--install`` copies it
into Wireshark's personal Lua plugin folder: the one ``tshark -G folders`` names when
tshark is on PATH, else the folder Wireshark uses (``~/.local/lib/wireshark/plugins``, or
``%APPDATA%\\Wireshark\\plugins`` on Windows).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import TextIO

from inspector.cli.errors import CliError
from inspector.cli.wireshark_args import WiresharkArgs

LUA_NAME = "realtime.lua"
_RELATIVE = Path("resources") / "wireshark" / LUA_NAME
_INSTALLED = Path("share") / "realtime-inspector" / "wireshark" / LUA_NAME
FOLDERS_LABEL = "Personal Lua Plugins:"
TSHARK_TIMEOUT = 30  # seconds; tshark -G folders answers at once unless something is wrong


def dissector_path() -> Path:
    """The shipped dissector; CliError when this installation has none."""
    roots = [Path(getattr(sys, "_MEIPASS", "")) if hasattr(sys, "_MEIPASS") else None,
             Path(__file__).resolve().parents[2]]
    candidates = [root / _RELATIVE for root in roots if root is not None]
    candidates += [Path(sysconfig.get_path("data")) / _INSTALLED, Path(sys.prefix) / _INSTALLED]
    for path in candidates:
        if path.is_file():
            return path
    raise CliError(f"the Wireshark dissector ({LUA_NAME}) is missing from this installation")


def default_plugin_dir() -> Path:
    """Where Wireshark looks for personal Lua plugins on this system, without asking tshark."""
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "Wireshark" / "plugins"
    return Path.home() / ".local" / "lib" / "wireshark" / "plugins"


def tshark_plugin_dir(tshark: str | None = None) -> Path | None:
    """The "Personal Lua Plugins" folder tshark reports, or None without a working tshark."""
    tshark = tshark or shutil.which("tshark")
    if not tshark:
        return None
    try:
        r = subprocess.run([tshark, "-G", "folders"], capture_output=True, text=True, timeout=TSHARK_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in r.stdout.splitlines():
        if line.startswith(FOLDERS_LABEL):
            folder = line[len(FOLDERS_LABEL):].strip()
            return Path(folder) if folder else None
    return None


def plugin_dir(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    return tshark_plugin_dir() or default_plugin_dir()


def install(target_dir: Path, out: TextIO) -> int:
    source = dissector_path()
    target = target_dir / LUA_NAME
    data = source.read_bytes()
    try:
        if target.is_file() and target.read_bytes() == data:
            print(f"{target} is up to date", file=out)
            return 0
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{LUA_NAME}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise CliError(f"cannot install into {target_dir}: {exc.strerror or exc}") from None
    print(f"installed {target}", file=out)
    print("restart Wireshark (or Analyze > Reload Lua Plugins); filter with: rtapi", file=out)
    return 0


def run_wireshark(args: WiresharkArgs, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.print_path:
        print(dissector_path(), file=out)
        return 0
    target_dir = plugin_dir(args.plugin_dir)
    if args.install:
        return install(target_dir, out)
    installed = target_dir / LUA_NAME
    state = "installed" if installed.is_file() else "not installed"
    print(f"dissector: {dissector_path()}", file=out)
    print(f"Wireshark plugin folder: {target_dir} ({state}; install with: realtime-inspector wireshark --install)",
          file=out)
    return 0
