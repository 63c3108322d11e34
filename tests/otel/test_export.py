"""The installed distribution as a user turns it on: the ``OTEL_*`` environment, the ``cloudrig``
entry point, OTLP/HTTP to a receiver this test runs (protobuf decoded with opentelemetry-proto);
no configured secret reaches an exported byte or a log line. Without that environment the entry
point implements no hook, so the limiter's gate observes nothing."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from cloudrig.strategies import RedBlack

from .conftest import AMI_V1, AWS, KEY_ENV, REGION, SECRET_ENV, connect, spec

pytestmark = pytest.mark.moto

KEY_ID = "AKIAMARKEROTEL000001"
SECRET = "MARKER-otel-secret-access-key-3b8e1d"
OTEL_ENV = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP receiver: keeps every POST (path, content type, body), answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def bodies(self, path: str) -> list[bytes]:
        return [body for p, _, body in self.received if p == path]

    def handle_error(self, request: object, client_address: object) -> None:
        # An exporter's pool hanging up a kept-alive connection is normal; anything else prints.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fresh_plugin_module(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The entry point's module imported anew by the next ``connect`` (it reads the environment
    when imported); the one of the rest of the session is put back after the test."""
    for name in OTEL_ENV:
        monkeypatch.delenv(name, raising=False)
    before = sys.modules.pop("cloudrig_otel.plugin", None)
    yield
    module = sys.modules.pop("cloudrig_otel.plugin", None)
    if before is not None:
        sys.modules["cloudrig_otel.plugin"] = before
    telemetry = getattr(module, "_telemetry", None)
    if telemetry is not None:  # stop its batch processor's and periodic reader's threads
        telemetry.tracer_provider.shutdown()
        telemetry.meter_provider.shutdown()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in kvs}


def test_otlp_http_export_from_the_environment_without_secrets(
    moto_aws: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    receiver: Receiver,
    fresh_plugin_module: None,
    debug_log: io.StringIO,
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY_ID)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "deployer")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
    rig = connect(tmp_path, moto_aws.url, plugins=[])  # the plugin comes from its entry point
    try:
        assert rig.limiter.request_observer is not None
        AWS.upsert_web(rig, REGION)
        deployment = rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    finally:
        rig.close()
    from cloudrig_otel import plugin

    plugin.telemetry().force_flush()

    traces = receiver.bodies("/v1/traces")
    assert traces, receiver.received
    assert {t for p, t, _ in receiver.received} == {"application/x-protobuf"}
    spans = []
    for body in traces:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            assert resource["service.name"] == "deployer"  # the environment wins
            assert resource["service.version"] == "0.1.0"
            assert resource["deployment.environment"] == "test"
            spans += [s for scope in resource_spans.scope_spans for s in scope.spans]
    by_name = {s.name: s for s in spans}
    root = by_name["cloudrig.deployment"]
    assert attributes(root.attributes)["cloudrig.deployment.id"] == deployment.id
    assert attributes(root.attributes)["cloudrig.deployment.outcome"] == "done"
    steps = [s for s in spans if s.name.startswith("cloudrig.step ")]
    assert [s.name for s in sorted(steps, key=lambda s: s.start_time_unix_nano)] == [
        "cloudrig.step create-new",
        "cloudrig.step verify-new",
        "cloudrig.step enable-new",
        "cloudrig.step disable-old",
    ]
    assert {s.parent_span_id for s in steps} == {root.span_id}
    assert {s.trace_id for s in steps} == {root.trace_id}
    create = by_name["autoscaling.CreateAutoScalingGroup"]
    assert create.parent_span_id == by_name["cloudrig.step create-new"].span_id
    assert attributes(create.attributes)["cloudrig.request.outcome"] == "ok"

    metrics = [
        metric.name
        for body in receiver.bodies("/v1/metrics")
        for resource_metrics in ExportMetricsServiceRequest.FromString(body).resource_metrics
        for scope in resource_metrics.scope_metrics
        for metric in scope.metrics
    ]
    assert {"cloudrig.requests", "cloudrig.limiter.wait", "cloudrig.deployments.in_flight"} <= set(
        metrics
    )

    exported = b"".join(body for _, _, body in receiver.received)
    log = debug_log.getvalue()
    assert "botocore" in log, "every logger at DEBUG was captured (else this proves nothing)"
    for secret in (KEY_ID, SECRET):
        assert secret.encode() not in exported
        assert secret not in log


def test_without_otel_environment_no_hook_and_no_observer(
    moto_aws: Any, aws_env: None, tmp_path: Path, fresh_plugin_module: None
) -> None:
    rig = connect(tmp_path, moto_aws.url, plugins=[])
    try:
        assert "otel" in rig.registry.plugins, "the entry point was loaded"
        assert rig.registry.manager.hook.cloudrig_request.get_hookimpls() == []
        assert rig.limiter.request_observer is None
    finally:
        rig.close()


def test_installed_but_not_configured_imports_no_opentelemetry() -> None:
    """Loading every installed plugin (cloudrig-otel's entry point among them) and connecting
    imports no OpenTelemetry module when the environment does not ask for export."""
    program = (
        "import json, sys, cloudrig\n"
        "rig = cloudrig.connect({'accounts': {}})\n"
        "print(json.dumps([sorted(rig.registry.plugins), rig.limiter.request_observer is None,"
        " sorted(m for m in sys.modules if m.startswith('opentelemetry'))]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    plugins, unobserved, modules = json.loads(result.stdout.splitlines()[-1])
    assert "otel" in plugins
    assert unobserved
    assert modules == []


def test_an_unknown_exporter_is_one_plugin_failure_naming_it(
    monkeypatch: pytest.MonkeyPatch, fresh_plugin_module: None
) -> None:
    import cloudrig

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "jaeger")
    rig = cloudrig.connect({"accounts": {}})
    try:
        failures = [str(f) for f in rig.registry.failures]
        assert failures == [
            "cloudrig-otel (entry point cloudrig_otel.plugin): ValueError: "
            "OTEL_TRACES_EXPORTER='jaeger': cloudrig-otel supports otlp, console, none"
        ]
        assert rig.limiter.request_observer is None
    finally:
        rig.close()
