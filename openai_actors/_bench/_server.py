"""The package's mock server in a process of its own, on a core of its own when there are two.

    with MockProcess(latency=0.0, chunk_delay=0.0, core=0) as url: ...

The server's CPU is then not the client's (the client's figure is its own
process's CPU), and pinned to another core it does not compete with the
client for one. It is stopped when the block is left, however it is left;
on Linux it is also told to die with this process, should this one be killed
outright.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sys
import tempfile
from types import TracebackType
from typing import IO, Final

__all__ = ["MockProcess", "ServerError", "cores_for_mock", "die_with_parent"]

_START_TIMEOUT: Final = 30.0
_STOP_TIMEOUT: Final = 5.0
_PR_SET_PDEATHSIG: Final = 1


class ServerError(Exception):
    """The mock server did not start."""


def cores_for_mock() -> tuple[int, set[int]] | None:
    """(the server's core, the client's cores): core 0 for the server, the rest for this process.

    None when there is no splitting (one core available, not Linux, or no `taskset`).
    """
    if not hasattr(os, "sched_getaffinity") or shutil.which("taskset") is None:
        return None
    allowed = os.sched_getaffinity(0)
    if 0 not in allowed or len(allowed) < 2:
        return None
    return 0, allowed - {0}


def die_with_parent() -> None:
    """In a child (the server before exec, a bench worker): SIGTERM when the parent exits (Linux); best effort elsewhere."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class MockProcess:
    """`python -m openai_actors.mock --port 0 --no-record`, its URL read from its first line of output."""

    def __init__(self, *, latency: float = 0.0, chunk_delay: float = 0.0, core: int | None = None) -> None:
        command = [sys.executable, "-m", "openai_actors.mock", "--port", "0", "--no-record"]
        if latency:
            command += ["--latency", repr(latency)]
        if chunk_delay:
            command += ["--stream-chunk-delay", repr(chunk_delay)]
        if core is not None:
            command = ["taskset", "-c", str(core), *command]
        self.command = command
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None

    def __enter__(self) -> str:
        # stderr goes to a file: a pipe nobody reads could fill and stall the server.
        self._stderr = tempfile.TemporaryFile("w+")
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
            self.url = self._read_url(self._process)
        except BaseException:
            self.stop()
            raise
        return self.url

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _read_url(self, process: subprocess.Popen[str]) -> str:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(_START_TIMEOUT):
                raise ServerError(f"the mock server printed no URL within {_START_TIMEOUT:g} s")
        line = process.stdout.readline().strip()
        if not line.startswith("http"):
            try:
                process.wait(_STOP_TIMEOUT)  # so that its error output is complete
            except subprocess.TimeoutExpired:
                pass
            raise ServerError(f"the mock server did not start: {self._errors() or line or 'no output'}")
        return line

    def _errors(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].strip()

    def stop(self) -> None:
        """Terminate the server and wait for it (killed if it will not stop); idempotent."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
