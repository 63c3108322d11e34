"""The core's observation hooks and the plugin's reading of them, without a cloud: a gate on a
scripted transport (virtual time) tallies each call into one ``RequestObservation``; the plugin
turns failures into error spans and counts deployments by state."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import NumberDataPoint
from opentelemetry.trace import StatusCode

from cloudrig._plugins import PluginRegistry
from cloudrig.engine import DeploymentEvent, EventKind, StepObservation
from cloudrig.provider import hookimpl
from cloudrig.ratelimit import (
    AnswerClass,
    Call,
    CallClass,
    Limit,
    Limiter,
    LimitsConfig,
    RequestObservation,
    RetryOptions,
    Verdict,
    observing_step,
)
from cloudrig.ratelimit._observation import hook_observer
from cloudrig.testing import ManualClock

from .conftest import Otel

READ = Call("compute", "instances.list", "europe-west1", CallClass.READ)
WRITE = Call("compute", "instances.insert", "europe-west1", CallClass.MUTATE)


@dataclass
class Answer:
    status: int


def classify(outcome: Any) -> AnswerClass:
    if isinstance(outcome, Answer) and outcome.status == 429:
        return AnswerClass(Verdict.THROTTLED, retry_after=0.5)
    if isinstance(outcome, Answer) and outcome.status >= 500:
        return AnswerClass(Verdict.TRANSIENT)
    if isinstance(outcome, Answer) and outcome.status < 400:
        return AnswerClass(Verdict.OK)
    return AnswerClass(Verdict.PERMANENT)


def script(*statuses: int) -> Any:
    answers = list(statuses)
    return lambda: Answer(answers.pop(0))


class Recorder:
    def __init__(self) -> None:
        self.seen: list[RequestObservation] = []

    @hookimpl
    def cloudrig_request(self, observation: RequestObservation) -> None:
        self.seen.append(observation)


def gate_with(*plugins: object, mutate: float = 100.0) -> Any:
    registry = PluginRegistry(plugins, entry_points=False, environment=False)
    config = LimitsConfig(
        read=Limit(rate=100), mutate=Limit(rate=mutate), retries=RetryOptions(attempts=4)
    )
    limiter = Limiter(config, clock=ManualClock())
    limiter.request_observer = hook_observer(registry.manager.hook)
    return limiter.gate(cloud="gcp", identity="my-project", classify=classify)


def test_one_observation_per_call_with_its_attempts_waits_and_throttles() -> None:
    recorder = Recorder()
    gate = gate_with(recorder, mutate=1.0)
    gate.send(WRITE, script(200))  # spends the write bucket's one slot
    with observing_step("d1", "create-new"):
        assert gate.send(WRITE, script(429, 200)).status == 200
    first, second = recorder.seen
    assert (first.deployment_id, first.step, first.attempts, first.outcome) == (None, None, 1, "ok")
    assert second.deployment_id == "d1"
    assert second.step == "create-new"
    assert (second.requests, second.attempts, second.retries, second.throttled) == (2, 2, 1, 1)
    assert second.outcome == "ok"
    assert second.error is None
    assert second.call_class == "mutate"
    assert second.limiter_wait >= 1.0  # the next slot of a 1/s bucket, then a slowed one
    assert second.start_ns <= second.end_ns


def test_a_failed_call_names_its_outcome_and_error_class() -> None:
    recorder = Recorder()
    gate = gate_with(recorder)
    assert gate.send(READ, script(503, 503, 503, 503)).status == 503  # attempts spent
    assert gate.send(WRITE, script(503)).status == 503  # a write is not repeated

    def boom() -> Answer:
        raise ConnectionResetError("reset by peer")

    with pytest.raises(ConnectionResetError):
        gate.send(WRITE, boom)
    spent, write, reset = recorder.seen
    assert (spent.attempts, spent.outcome, spent.error) == (4, "transient", None)
    assert (write.attempts, write.outcome) == (1, "transient")
    assert (reset.outcome, reset.error) == ("permanent", "ConnectionResetError")


def test_a_limiter_refusal_is_observed_as_refused() -> None:
    recorder = Recorder()
    gate = gate_with(recorder, mutate=0.001)
    gate.timeout = 0.0
    gate.send(WRITE, script(200))
    from cloudrig.ratelimit import RateLimited

    with pytest.raises(RateLimited):
        gate.send(WRITE, script(200))
    refused = recorder.seen[-1]
    assert (refused.outcome, refused.error, refused.requests) == ("refused", "RateLimited", 0)


def test_a_failing_observer_never_fails_the_request(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        @hookimpl
        def cloudrig_request(self, observation: RequestObservation) -> None:
            raise RuntimeError("observer bug")

    gate = gate_with(Broken())
    with caplog.at_level(logging.ERROR, logger="cloudrig.ratelimit"):
        assert gate.send(READ, script(200)).status == 200
    assert "a cloudrig_request hook failed on instances.list" in caplog.text


def test_no_implementation_no_observer() -> None:
    registry = PluginRegistry((), entry_points=False, environment=False)
    assert hook_observer(registry.manager.hook) is None


def event(kind: EventKind, deployment_id: str = "d1") -> DeploymentEvent:
    return DeploymentEvent(
        deployment_id=deployment_id,
        seq=1,
        time=datetime(2026, 1, 1, tzinfo=UTC),
        kind=kind,
        message=f"{kind.value} {deployment_id}",
    )


def gauge(otel: Otel) -> dict[str, int]:
    data = otel.metrics.get_metrics_data()
    assert data is not None
    found = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "cloudrig.deployments.in_flight":
                    for point in metric.data.data_points:
                        assert isinstance(point, NumberDataPoint)
                        found[str(point.attributes["cloudrig.deployment.state"])] = point.value
    return found


def test_failures_are_error_spans_and_states_are_counted(otel: Otel) -> None:
    telemetry = otel.telemetry
    telemetry.cloudrig_deployment_event(event(EventKind.STARTED, "d1"))
    telemetry.cloudrig_deployment_event(event(EventKind.STARTED, "d2"))
    telemetry.cloudrig_step(StepObservation("d1", "create-new", 0, finished=False))
    telemetry.cloudrig_request(
        RequestObservation(
            cloud="gcp",
            service="compute",
            operation="instances.insert",
            region="europe-west1",
            call_class="mutate",
            outcome="permanent",
            error="InvalidSpec",
            requests=1,
            attempts=1,
            throttled=0,
            limiter_wait=0.0,
            start_ns=1,
            end_ns=2,
            deployment_id="d1",
            step="create-new",
        )
    )
    telemetry.cloudrig_step(StepObservation("d1", "create-new", 0, True, "InvalidSpec"))
    telemetry.cloudrig_deployment_event(event(EventKind.ROLLING_BACK, "d1"))
    telemetry.cloudrig_deployment_event(event(EventKind.APPROVAL_NEEDED, "d2"))
    assert gauge(otel) == {"running": 0, "rolling_back": 1, "awaiting_approval": 1}
    telemetry.cloudrig_deployment_event(event(EventKind.FAILED, "d1"))
    assert gauge(otel) == {"running": 0, "rolling_back": 0, "awaiting_approval": 1}

    spans = {s.name: s for s in otel.finished()}
    request, step = spans["compute.instances.insert"], spans["cloudrig.step create-new"]
    assert request.status.status_code is StatusCode.ERROR
    assert request.attributes is not None
    assert request.attributes["error.type"] == "InvalidSpec"
    assert request.parent is not None
    assert request.parent.span_id == step.context.span_id
    assert step.status.status_code is StatusCode.ERROR
    failed = [s for s in otel.finished() if s.name == "cloudrig.deployment"]
    outcomes = {s.attributes["cloudrig.deployment.id"]: s for s in failed if s.attributes}
    assert outcomes["d1"].status.status_code is StatusCode.ERROR
    assert outcomes["d1"].attributes is not None
    assert outcomes["d1"].attributes["cloudrig.deployment.outcome"] == "failed"
    assert [e.name for e in outcomes["d1"].events] == ["started", "rolling_back", "failed"]
    assert outcomes["d2"].attributes is not None
    assert outcomes["d2"].attributes["cloudrig.deployment.outcome"] == "awaiting_approval"


def test_a_lost_lease_ends_the_run_span_as_interrupted(otel: Otel) -> None:
    telemetry = otel.telemetry
    telemetry.cloudrig_deployment_event(event(EventKind.STARTED, "d3"))
    telemetry.cloudrig_step(StepObservation("d3", "verify-new", 1, finished=False))
    telemetry.cloudrig_step(StepObservation("d3", "verify-new", 1, True, "LeaseLost"))
    spans = {s.name: s for s in otel.finished()}
    run = spans["cloudrig.deployment"]
    assert run.attributes is not None
    assert run.attributes["cloudrig.deployment.outcome"] == "interrupted"
    assert run.attributes["error.type"] == "LeaseLost"
    assert spans["cloudrig.step verify-new"].status.status_code is StatusCode.ERROR
    assert gauge(otel) == {"running": 0, "rolling_back": 0, "awaiting_approval": 0}
