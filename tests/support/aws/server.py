"""moto in server mode, in this process, reached by boto3 over real HTTP.

In process (``ThreadedMotoServer``) rather than a ``moto_server`` subprocess so the extensions in
this package (ECS tasks, target health) can act on moto's backend objects directly. While it
runs, moto's classes are patched process-wide: ``mock_aws`` used in the same session would see
the extensions too (and the non-Docker Lambda setting, which moto keeps globally).
Requests are counted with moto's own recorder (one JSON line per request it served).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import threading
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from support.aws.clock import Clock
from support.aws.ecs_services import EcsTaskModel
from support.aws.lifecycle_hooks import LifecycleHookSpecifications
from support.aws.strict_rules import StrictRules
from support.aws.target_health import TargetHealth
from support.proxy.rules import Request

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
# Dummy credentials: moto accepts anything; real-looking names keep botocore's signer happy.
_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
NO_RETRIES = Config(retries={"total_max_attempts": 1})


class MotoServer:
    """A running moto server plus the extensions that model what moto does not."""

    def __init__(self) -> None:
        from moto.moto_api import recorder
        from moto.server import ThreadedMotoServer

        self._recording_dir = tempfile.TemporaryDirectory(prefix="moto-recording-")
        self.recording_path = Path(self._recording_dir.name) / "requests.jsonl"
        # moto reads MOTO_RECORDER_FILEPATH once, when it is first imported; set it for any
        # later import and point the already-built recorder at our file.
        self._previous_recorder_path = os.environ.get("MOTO_RECORDER_FILEPATH")
        os.environ["MOTO_RECORDER_FILEPATH"] = str(self.recording_path)
        recorder._location = str(self.recording_path)
        # werkzeug logs every request at INFO to stderr: noise in test output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self._session = boto3.session.Session(region_name=REGION, **_CREDENTIALS)
        self._session_lock = threading.Lock()
        self.lock = threading.RLock()  # serialises our extensions against moto's handlers
        self.clock = Clock()  # shared by the extensions: freeze/advance moves both
        self.target_health = TargetHealth(self.lock, self.clock)
        self.ecs = EcsTaskModel(self.lock, self.clock, self.target_health)
        self.strict_rules = StrictRules(self.lock)  # act only while the strict target is on
        self.target_health.install()
        self.ecs.install()
        self.strict_rules.install()
        self.lifecycle_hooks = LifecycleHookSpecifications()  # moto ignores them in the create
        self.lifecycle_hooks.install()
        # Lambda without Docker: invoke echoes the payload (canned results can be queued).
        self.api("POST", "/moto-api/config", {"lambda": {"use_docker": False}})
        self.api("POST", "/moto-api/recorder/start-recording")
        self.reset()

    def stop(self) -> None:
        """Stop the server and undo what it changed in this process (patches, recorder)."""
        self.api("POST", "/moto-api/recorder/stop-recording")
        if self._previous_recorder_path is None:
            os.environ.pop("MOTO_RECORDER_FILEPATH", None)
        else:
            os.environ["MOTO_RECORDER_FILEPATH"] = self._previous_recorder_path
        self.lifecycle_hooks.uninstall()
        self.strict_rules.uninstall()
        self.ecs.uninstall()
        self.target_health.uninstall()
        self._server.stop()
        self._recording_dir.cleanup()

    # --- moto's own API ----------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> bytes:
        """Call moto's ``/moto-api/...`` endpoints (not recorded when under ``recorder/``)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())

    def reset(self) -> None:
        """Empty every backend, drop the extensions' plans and overrides, clear the recording."""
        with self.lock:
            self.api("POST", "/moto-api/reset")
            self.ecs.clear()
            self.target_health.clear()
            self.strict_rules.clear()
            self.clock.reset()
            self.clear_requests()

    # --- request counting --------------------------------------------------------------------

    def clear_requests(self) -> None:
        self.api("POST", "/moto-api/recorder/reset-recording")

    def requests(self) -> list[Request]:
        """The requests moto served since the last reset, oldest first."""
        text = self.api("GET", "/moto-api/recorder/download-recording").decode()
        out = []
        for line in text.splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            body = entry.get("body") or ""
            raw = base64.b64decode(body) if entry.get("body_encoded") else str(body).encode()
            url = entry["url"].split("://", 1)[-1]
            path_query = "/" + url.split("/", 1)[1] if "/" in url else "/"
            path, _, query = path_query.partition("?")
            headers = {k.lower(): v for k, v in entry["headers"].items()}
            out.append(Request(entry["method"], path, query, headers, raw))
        return out

    def request_count(self, operation: str | None = None) -> int:
        """How many requests moto served (all, or one operation/label: see ``Request.label``)."""
        labels = Counter(r.label for r in self.requests())
        return labels.total() if operation is None else labels[operation]

    # --- clients -----------------------------------------------------------------------------

    def client(
        self,
        service: str,
        *,
        endpoint_url: str | None = None,
        config: Config | None = NO_RETRIES,
        **kwargs: Any,
    ) -> Any:
        """A boto3 client for ``service`` aimed at this server (or at ``endpoint_url``, e.g. a
        FaultProxy in front of it), with dummy credentials and botocore retries off by default so
        request counts are exact (pass ``config=None`` for botocore's defaults)."""
        # One session for all clients: its loader caches the service models (a fresh session
        # re-reads them, ~0.3 s per client). Sessions are not thread-safe, hence the lock.
        with self._session_lock:
            return self._session.client(
                service, endpoint_url=endpoint_url or self.url, config=config, **kwargs
            )
