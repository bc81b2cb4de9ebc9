"""The CLI as a subprocess, its stdout read line by line in the background."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

TOKEN = "tail-test-token-3b8e"
CLI = [sys.executable, "-m", "inspector"]


class Proc:
    """A running CLI process whose stdout lines are read in the background."""

    def __init__(self, *args: str, env: dict | None = None, preexec_fn=None):
        self.p = subprocess.Popen(CLI + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True, encoding="utf-8", env=env,
                                  preexec_fn=preexec_fn)
        self.lines: list[str] = []
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    # deadlines are safety nets: a loaded machine can take seconds to start the CLI
    def until(self, needle: str, timeout: float = 30) -> str:
        """Read until a line (not yet read) contains ``needle``."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._q.get(timeout=max(0.01, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"exited before {needle!r}: {self.lines} {self.p.stderr.read()}")
            self.lines.append(line)
            if needle in line:
                return line

    def finish(self, timeout: float = 30) -> tuple[int, list[str], str]:
        rc = self.p.wait(timeout)
        while (line := self._q.get(timeout=timeout)) is not None:
            self.lines.append(line)
        err = self.p.stderr.read()
        self.p.stdout.close()
        self.p.stderr.close()
        return rc, self.lines, err


def cli(*args: str, input: str | None = None, timeout: float = 60):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, encoding="utf-8", input=input,
                          timeout=timeout)
