"""A real Prometheus for tests (a pytest plugin: ``support.prometheus`` in ``pytest_plugins``).

``prometheus`` (session): Debian's ``prometheus`` binary on a free loopback port, scraping every
second a small in-process application (``MetricsApp``) whose ``/metrics`` the tests write, with
its data in a temporary folder. When it cannot start, tests fail in CI (``CI=true``) and are skipped
elsewhere with what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from support.redis_servers import free_port

INSTALL_HINT = "install Debian's prometheus (apt-get install -y prometheus)"


class _QuietServer(ThreadingHTTPServer):
    """A scrape Prometheus gave up on (its 1 s timeout) resets the connection: nothing to report.
    The default prints a traceback to ``sys.stderr`` from the server's thread, which lands in
    whatever a test is capturing at that moment (a CLI test's stderr)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return None


class MetricsApp:
    """An application exposing ``render()`` as its Prometheus metrics, in process."""

    def __init__(self, render: Callable[[], str]) -> None:
        self.render = render
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = app.render().encode() if self.path.startswith("/metrics") else b""
                self.send_response(200 if body or self.path.startswith("/metrics") else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PrometheusServer:
    """``prometheus`` scraping ``target`` every second; ``url`` is its HTTP API."""

    def __init__(self, target: str, workdir: Path) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError(f"no prometheus on PATH: {INSTALL_HINT}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - job_name: app\n    static_configs: [{{targets: ['{target}']}}]\n"
        )
        self.log = (workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_until_scraping(workdir)

    def _wait_until_scraping(self, workdir: Path, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                answer = httpx.get(f"{self.url}/api/v1/query", params={"query": "up"}, timeout=1)
                results = answer.json()["data"]["result"]
                if results and results[0]["value"][1] == "1":
                    return
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.2)
        self.close()
        log = (workdir / "prometheus.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"prometheus did not start scraping within {timeout:.0f} s:\n{log}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class AppMetrics:
    """What the scraped application exposes: set ``render`` to a function returning the text."""

    def __init__(self) -> None:
        self.render: Callable[[], str] = lambda: ""


@pytest.fixture(scope="session")
def app_metrics() -> AppMetrics:
    return AppMetrics()


@pytest.fixture(scope="session")
def prometheus(app_metrics: AppMetrics) -> Iterator[PrometheusServer]:
    app = MetricsApp(lambda: app_metrics.render())
    workdir = Path(tempfile.mkdtemp(prefix="cloudrig-prometheus-"))
    try:
        server = PrometheusServer(f"127.0.0.1:{app.port}", workdir)
    except RuntimeError as exc:
        app.close()
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield server
    server.close()
    app.close()
    shutil.rmtree(workdir, ignore_errors=True)
