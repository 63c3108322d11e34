"""cloudrig-otel on moto through the real AWS provider: a ``Telemetry`` on the OpenTelemetry
SDK's in-memory span exporter and metric reader, registered with ``cloudrig.connect``.

Fixtures: ``otel`` (the exporter, the reader and the plugin), ``otel_rig`` (a rig of the AWS test
account with the plugin and the load balancer ``web``) and ``deploy`` (a red/black of
``shop-prod`` onto an artifact). A rig's read cache outlives ``moto_aws.reset()``: each test
builds its rig after the reset (``moto_aws`` resets first).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import cloudrig
from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig.engine import SqliteStateStore
from cloudrig.strategies import RedBlack
from cloudrig_otel import Telemetry
from support.aws.accounts import (  # noqa: F401  (this directory's tests import these from here)
    ACCOUNT,
    AMI_V1,
    AMI_V2,
    AWS,
    KEY_ENV,
    REGION,
    SECRET_ENV,
    ZONES,
)
from support.rig import PassingMetrics, limits


@pytest.fixture(autouse=True)
def _strict_aws(strict_aws: Any) -> Any:
    """Every request is checked by the strict AWS target (tests/README.md)."""
    return strict_aws


@dataclass
class Otel:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    telemetry: Telemetry

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


@pytest.fixture
def otel() -> Iterator[Otel]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(
        resource=Resource.create({"service.name": "cloudrig-test"}), shutdown_on_exit=False
    )
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    yield Otel(spans, reader, Telemetry(tracer_provider, meter_provider))
    tracer_provider.shutdown()
    meter_provider.shutdown()


@pytest.fixture
def serving_v1(moto_aws: Any, aws_env: None, tmp_path: Path) -> None:
    """``shop-prod`` serving AMI_V1 behind ``web``, deployed by a rig without telemetry (closed
    after: its read cache must not serve the next rig)."""
    rig = connect(tmp_path, moto_aws.url, plugins=[])
    try:
        AWS.upsert_web(rig, REGION)
        rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    finally:
        rig.close()


def connect(
    tmp: Path, endpoint_url: str, plugins: list[Any], **limit_overrides: Any
) -> cloudrig.Rig:
    """``AWS.connect`` with ``plugins`` besides the canary metrics (and its own state store in
    ``tmp``, so a later rig on the same folder sees the deployments of this one)."""
    account = {"provider": "aws", **AWS.settings, "endpoint_url": endpoint_url}
    return cloudrig.connect(
        {"accounts": {AWS.account: account}, "limits": limits(**limit_overrides)},
        plugins=[PassingMetrics(), *plugins],
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def spec(artifact: str) -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app="shop", stack="prod"),
        account=AWS.account,
        region=REGION,
        zones=ZONES,
        artifact=artifact,
        capacity=Capacity(min=1, desired=1, max=2),
        load_balancers=("web",),
    )
