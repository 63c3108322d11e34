"""The hooks that turn cloudrig's observations into OpenTelemetry spans and metrics.

Spans, parented explicitly (never through whatever context is current on a worker thread):

- ``cloudrig.deployment`` — one per run of a deployment, from its ``started`` (or ``resumed``)
  event to the event that ends the run (``done``, ``failed``, ``approval_needed``) or a step that
  stops it (a lost lease, an unreachable state store: ``interrupted``); every event of the run
  is a span event;
- ``cloudrig.step <name>`` — one per step of the plan (and ``restore``, ``resume``), under its
  deployment's span (``cloudrig_step``);
- ``<service>.<Operation>`` — one per API call (every attempt together: ``cloudrig_request``),
  under the step that made it (the observation names deployment and step), else under the
  deployment, else under the caller's current span; limiter wait, attempts, throttled answers and
  outcome as attributes.

Metrics: ``cloudrig.requests`` (API calls by provider, service, operation, outcome),
``cloudrig.requests.throttled`` (throttling answers), ``cloudrig.limiter.wait`` (seconds per call,
a histogram), ``cloudrig.deployments.in_flight`` (an observable gauge by state: the runs this
process has under way, and those it left waiting at an approval gate).

Only names, classes and counts become attributes: an observation carries no parameter, header or
answer, and an error is named by its class, never its message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from cloudrig import __version__
from cloudrig.engine import DeploymentEvent, StepObservation
from cloudrig.provider import hookimpl
from cloudrig.ratelimit import RequestObservation

SCOPE = "cloudrig_otel"
WAIT_BUCKETS = (0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STATES = ("running", "rolling_back", "awaiting_approval")
_STATE_AFTER = {
    "started": "running",
    "resumed": "running",
    "approved": "running",
    "rolling_back": "rolling_back",
    "approval_needed": "awaiting_approval",
}
_RUN_ENDS = {"done": "done", "failed": "failed", "approval_needed": "awaiting_approval"}
RUN_STOPPERS = ("LeaseLost", "StateStoreUnavailable")
"""Errors that stop a run where it is, with no event: another worker or a later resume continues
from the record (core/src/cloudrig/engine/_executor.py)."""


class Telemetry:
    """A cloudrig plugin (register it with ``cloudrig.connect(plugins=[...])``) writing to the
    given providers, or to OpenTelemetry's global ones. Thread-safe."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self.tracer_provider = tracer_provider or trace.get_tracer_provider()
        self.meter_provider = meter_provider or metrics.get_meter_provider()
        self._tracer = self.tracer_provider.get_tracer(SCOPE, __version__)
        meter = self.meter_provider.get_meter(SCOPE, __version__)
        self._requests = meter.create_counter(
            "cloudrig.requests",
            unit="{call}",
            description="API calls to a cloud (every attempt together), by outcome",
        )
        self._throttled = meter.create_counter(
            "cloudrig.requests.throttled",
            unit="{answer}",
            description="Throttling answers of a cloud (each slowed its bucket down)",
        )
        self._wait = meter.create_histogram(
            "cloudrig.limiter.wait",
            unit="s",
            description="Time an API call waited for the rate limiter's slots",
            explicit_bucket_boundaries_advisory=list(WAIT_BUCKETS),
        )
        meter.create_observable_gauge(
            "cloudrig.deployments.in_flight",
            callbacks=[self._in_flight],
            unit="{deployment}",
            description="Deployments this process runs, or left waiting for an approval, by state",
        )
        self._lock = threading.Lock()
        self._deployments: dict[str, Span] = {}
        self._states: dict[str, str] = {}
        self._steps: dict[tuple[str, str], Span] = {}

    @classmethod
    def from_environment(cls, attributes: Mapping[str, Any] | None = None) -> Telemetry:
        """On the application's SDK tracer provider when it installed one globally, else on the
        pipeline the ``OTEL_*`` environment describes (``pipeline_from_environment``)."""
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

        from cloudrig_otel._environment import pipeline_from_environment

        if isinstance(trace.get_tracer_provider(), SdkTracerProvider):
            return cls()
        return cls(*pipeline_from_environment(attributes))

    def force_flush(self) -> None:
        """Export what is buffered now (the SDK providers do it at exit anyway)."""
        for provider in (self.tracer_provider, self.meter_provider):
            flush = getattr(provider, "force_flush", None)
            if flush is not None:
                flush()

    # -- hooks -----------------------------------------------------------------------------------
    @hookimpl
    def cloudrig_deployment_event(self, event: DeploymentEvent) -> None:
        kind = event.kind.value
        with self._lock:
            span = self._deployments.get(event.deployment_id)
            if span is None and kind in ("started", "resumed"):
                span = self._tracer.start_span(
                    "cloudrig.deployment",
                    attributes={
                        "cloudrig.deployment.id": event.deployment_id,
                        "cloudrig.deployment.resumed": kind == "resumed",
                    },
                )
                self._deployments[event.deployment_id] = span
            if span is None:  # an event outside a run (a lease wait, a join): nothing to add to
                return
            attributes = {"cloudrig.event.message": event.message}
            if event.server_group:
                attributes["cloudrig.server_group"] = event.server_group
            span.add_event(kind, attributes)
            if kind in _STATE_AFTER:
                self._states[event.deployment_id] = _STATE_AFTER[kind]
            if kind in _RUN_ENDS:
                del self._deployments[event.deployment_id]
                if kind != "approval_needed":
                    self._states.pop(event.deployment_id, None)
        if kind in _RUN_ENDS:
            span.set_attribute("cloudrig.deployment.outcome", _RUN_ENDS[kind])
            if kind == "failed":
                span.set_status(Status(StatusCode.ERROR, "deployment failed"))
            span.end()

    @hookimpl
    def cloudrig_step(self, step: StepObservation) -> None:
        key = (step.deployment_id, step.step)
        if not step.finished:
            with self._lock:
                parent = self._deployments.get(step.deployment_id)
            attributes: dict[str, Any] = {
                "cloudrig.deployment.id": step.deployment_id,
                "cloudrig.step": step.step,
            }
            if step.index is not None:
                attributes["cloudrig.step.index"] = step.index
            span = self._tracer.start_span(
                f"cloudrig.step {step.step}", context=_under(parent), attributes=attributes
            )
            with self._lock:
                self._steps[key] = span
            return
        with self._lock:
            found = self._steps.pop(key, None)
            stopped: Span | None = None
            if step.error in RUN_STOPPERS:  # the run stops here, with no event: its span ends
                stopped = self._deployments.pop(step.deployment_id, None)
                self._states.pop(step.deployment_id, None)
        if found is not None:
            if step.error is not None:
                found.set_attribute("error.type", step.error)
                found.set_status(Status(StatusCode.ERROR, step.error))
            found.end()
        if stopped is not None:
            stopped.set_attribute("cloudrig.deployment.outcome", "interrupted")
            stopped.set_attribute("error.type", str(step.error))
            stopped.set_status(Status(StatusCode.ERROR, str(step.error)))
            stopped.end()

    @hookimpl
    def cloudrig_request(self, observation: RequestObservation) -> None:
        o = observation
        parent: Span | None = None
        if o.deployment_id is not None:
            with self._lock:
                parent = self._steps.get((o.deployment_id, o.step or "")) or self._deployments.get(
                    o.deployment_id
                )
        attributes: dict[str, Any] = {
            "cloud.provider": o.cloud,
            "cloud.region": o.region,
            "rpc.service": o.service,
            "rpc.method": o.operation,
            "cloudrig.call_class": o.call_class,
            "cloudrig.request.outcome": o.outcome,
            "cloudrig.request.requests": o.requests,
            "cloudrig.request.attempts": o.attempts,
            "cloudrig.request.retries": o.retries,
            "cloudrig.request.throttled": o.throttled,
            "cloudrig.limiter.wait": o.limiter_wait,
        }
        if o.deployment_id is not None:
            attributes["cloudrig.deployment.id"] = o.deployment_id
        if o.step is not None:
            attributes["cloudrig.step"] = o.step
        if o.error is not None:
            attributes["error.type"] = o.error
        span = self._tracer.start_span(
            f"{o.service}.{o.operation}",
            context=_under(parent),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=o.start_ns,
        )
        if o.error is not None:
            span.set_status(Status(StatusCode.ERROR, o.error))
        span.end(end_time=o.end_ns)
        labels = {
            "cloud.provider": o.cloud,
            "rpc.service": o.service,
            "rpc.method": o.operation,
        }
        self._requests.add(1, {**labels, "cloudrig.request.outcome": o.outcome})
        if o.throttled:
            self._throttled.add(o.throttled, labels)
        self._wait.record(
            o.limiter_wait,
            {
                "cloud.provider": o.cloud,
                "rpc.service": o.service,
                "cloudrig.call_class": o.call_class,
            },
        )

    # -- metrics ---------------------------------------------------------------------------------
    def _in_flight(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            states = list(self._states.values())
        return [
            Observation(states.count(state), {"cloudrig.deployment.state": state})
            for state in STATES
        ]


def _under(parent: Span | None) -> Context | None:
    """The context whose span is ``parent``; ``None`` (the current context) without one."""
    return trace.set_span_in_context(parent) if parent is not None else None
