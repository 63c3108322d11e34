"""Running the app: in the foreground for ``cloudrig serve``, or in a thread of this process on a
free port (the tests and the demo), stopped on request."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.applications import Starlette


class BackgroundServer:
    """uvicorn serving ``app`` in a daemon thread; ``url`` once started."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            # Open event streams would hold the shutdown; they reconnect to a new server anyway.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="cloudrig-web", daemon=True)
        self.url = ""

    def start(self, timeout: float = 15.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web view's server did not start")
            time.sleep(0.02)
        sockets = self._server.servers[0].sockets
        host, port = sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
