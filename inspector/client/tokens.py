"""Where a session token comes from: a literal, an environment variable or a command.

The value never appears in a repr, str or error message. Every fetched value is
registered with ``redact`` so logs scrub it wherever it shows up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import NoReturn

from inspector import redact

COMMAND_TIMEOUT = 30.0


class TokenError(Exception):
    """The token could not be obtained. The message never contains a token."""


def _check(value: str, origin: str) -> str:
    value = value.strip()
    if not value:
        raise TokenError(f"{origin} gave an empty token")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise TokenError(f"{origin} gave a token containing whitespace or control characters")
    redact.register_secret(value)
    return value


class TokenSource:
    """A token source. Build with ``literal``, ``env`` or ``command``."""

    __slots__ = ("_arg", "kind", "timeout")

    def __init__(self, kind: str, arg: str, timeout: float = COMMAND_TIMEOUT):
        if kind not in ("literal", "env", "command"):
            raise ValueError(f"unknown token source kind {kind!r}")
        if not isinstance(arg, str):
            raise TypeError("token source argument must be a string")
        self.kind = kind
        self._arg = arg
        self.timeout = timeout
        if kind == "literal":
            redact.register_secret(arg.strip())

    @classmethod
    def literal(cls, value: str) -> TokenSource:
        return cls("literal", value)

    @classmethod
    def env(cls, var: str) -> TokenSource:
        return cls("env", var)

    @classmethod
    def command(cls, cmd: str, timeout: float = COMMAND_TIMEOUT) -> TokenSource:
        return cls("command", cmd, timeout)

    @property
    def refreshable(self) -> bool:
        """Whether fetching again can give a different token (after a 4401)."""
        return self.kind != "literal"

    @property
    def env_var(self) -> str | None:
        return self._arg if self.kind == "env" else None

    def describe(self) -> str:
        """Human text safe to show: the variable name, never the value or the command."""
        if self.kind == "env":
            return f"environment variable {self._arg}"
        if self.kind == "command":
            return "token command"
        return "literal token"

    def __repr__(self) -> str:
        if self.kind == "env":
            return f"TokenSource(env={self._arg!r})"
        return f"TokenSource({self.kind})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TokenSource is not picklable (it may hold a secret)")

    async def fetch(self) -> str:
        """The current token. Raises TokenError when there is none."""
        if self.kind == "literal":
            return _check(self._arg, "the literal token")
        if self.kind == "env":
            value = os.environ.get(self._arg)
            if value is None:
                raise TokenError(f"environment variable {self._arg} is not set")
            return _check(value, f"environment variable {self._arg}")
        return await self._run_command()

    async def _run_command(self) -> str:
        try:
            proc = await asyncio.create_subprocess_shell(
                self._arg,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills the whole pipeline
            )
        except OSError as exc:
            raise TokenError(f"token command could not start: {exc.strerror or type(exc).__name__}") from None
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.timeout)
        except TimeoutError:
            _kill(proc)
            await proc.wait()
            raise TokenError(f"token command did not finish within {self.timeout:g} s") from None
        except BaseException:  # cancelled: do not leave the command running
            _kill(proc)
            raise
        if proc.returncode != 0:
            detail = _last_line(err)
            why = f": {detail}" if detail else ""
            raise TokenError(f"token command failed with exit status {proc.returncode}{why}")
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError:
            raise TokenError("token command printed something that is not UTF-8") from None
        return _check(text, "token command")


def _kill(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def _last_line(err: bytes) -> str:
    lines = err.decode("utf-8", "replace").strip().splitlines()
    line = lines[-1].strip() if lines else ""
    return redact.scrub(line[:200])
