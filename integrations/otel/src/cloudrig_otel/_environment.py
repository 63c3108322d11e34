"""The OpenTelemetry pipeline the standard ``OTEL_*`` environment variables describe.

``enabled_by_environment`` decides, without importing OpenTelemetry, whether the installed
distribution exports at all: only when the environment names an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``…_TRACES_ENDPOINT``, ``…_METRICS_ENDPOINT``) or an exporter
(``OTEL_TRACES_EXPORTER``, ``OTEL_METRICS_EXPORTER`` other than ``none``), and
``OTEL_SDK_DISABLED`` is not ``true``. Everything else is the SDK's own reading of the environment:
the exporters take their endpoint, headers, timeout and compression from it, the batch processor
and the periodic reader their intervals, the resource ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

ENDPOINTS = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
)
EXPORTERS = ("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER")
SUPPORTED_EXPORTERS = ("otlp", "console", "none")


def enabled_by_environment(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for telemetry (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if any(env.get(name, "").strip() for name in ENDPOINTS):
        return True
    return any(env.get(name, "none").strip().lower() not in ("", "none") for name in EXPORTERS)


def check_exporters() -> None:
    """Raise ``ValueError`` naming the variable when an ``OTEL_*_EXPORTER`` names an exporter
    this distribution does not ship (checked when the plugin loads, so ``cloudrig doctor`` and
    ``connect``'s plugin failures name it once, rather than every request failing to export)."""
    for variable in EXPORTERS:
        _exporter_name(variable)


def _exporter_name(variable: str) -> str:
    """The first exporter a ``OTEL_*_EXPORTER`` variable names (``otlp`` by default)."""
    name = os.environ.get(variable, "otlp").split(",")[0].strip().lower() or "otlp"
    if name not in SUPPORTED_EXPORTERS:
        raise ValueError(
            f"{variable}={name!r}: cloudrig-otel supports {', '.join(SUPPORTED_EXPORTERS)}"
        )
    return name


def resource(attributes: Mapping[str, Any] | None = None) -> Resource:
    """``service.name`` ``cloudrig`` and its version, then ``attributes``, then what
    ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` say (the environment wins)."""
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource

    from cloudrig import __version__

    defaults = {"service.name": "cloudrig", "service.version": __version__, **(attributes or {})}
    return Resource.create(defaults).merge(OTELResourceDetector().detect())


def pipeline_from_environment(
    attributes: Mapping[str, Any] | None = None,
) -> tuple[TracerProvider, MeterProvider]:
    """A tracer provider and a meter provider exporting as the environment says (OTLP/HTTP by
    default); both shut down, flushing, when the process exits."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    found = resource(attributes)
    tracer_provider = TracerProvider(resource=found)
    traces = _exporter_name("OTEL_TRACES_EXPORTER")
    if traces == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif traces == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    readers: list[MetricReader] = []
    metrics = _exporter_name("OTEL_METRICS_EXPORTER")
    if metrics == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    elif metrics == "console":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    return tracer_provider, MeterProvider(resource=found, metric_readers=readers)
