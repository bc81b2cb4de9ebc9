"""The ``tshark`` and ``dumpcap`` fixtures for the Wireshark tests.

Where Wireshark's tools are missing those tests skip, and the run's summary says so in one
line, so a machine without them never looks like one where the dissector was checked.
"""

from __future__ import annotations

import shutil

import pytest

_MISSING: dict[str, list[str]] = {}


def _tool(request: pytest.FixtureRequest, name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _MISSING.setdefault(name, []).append(request.node.nodeid)
        pytest.skip(f"{name} is not installed (Debian: apt-get install tshark)")
    return path


@pytest.fixture
def tshark(request: pytest.FixtureRequest) -> str:
    return _tool(request, "tshark")


@pytest.fixture
def dumpcap(request: pytest.FixtureRequest) -> str:
    return _tool(request, "dumpcap")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _MISSING:
        return
    tests = {t for nodes in _MISSING.values() for t in nodes}
    n = len(tests)
    terminalreporter.write_line(
        f"WIRESHARK TESTS DID NOT RUN: {' and '.join(sorted(_MISSING))} not installed, so {n} test"
        f"{'s' if n != 1 else ''} of the dissector and the pcapng export {'were' if n != 1 else 'was'} skipped "
        "(Debian: apt-get install tshark; packaging/dev.py test installs it as root)", red=True, bold=True)
