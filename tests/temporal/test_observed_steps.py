"""Plugins observing steps (``cloudrig_step``, as cloudrig-otel does) hear a deployment's steps
on the worker that runs them, as they do on the embedded engine; the requests made inside carry
the deployment and step they belong to."""

from __future__ import annotations

from typing import Any

import pytest

from cloudrig.engine import StepObservation
from cloudrig.provider import hookimpl
from cloudrig.ratelimit import RequestObservation
from cloudrig.strategies import RedBlack

from .conftest import AMI_V1, AMI_V2, spec

pytestmark = pytest.mark.moto


class Recorder:
    def __init__(self) -> None:
        self.steps: list[StepObservation] = []
        self.requests: list[RequestObservation] = []

    @hookimpl
    def cloudrig_step(self, step: StepObservation) -> None:
        self.steps.append(step)

    @hookimpl
    def cloudrig_request(self, observation: RequestObservation) -> None:
        self.requests.append(observation)


def test_a_worker_reports_each_step_it_runs_with_its_requests(
    rig: Any, temporal: Any, temporal_worker: Any
) -> None:
    temporal_worker(rig)
    temporal.deploy(spec(AMI_V1), RedBlack(), idempotency_key="observed-1").wait()
    recorder = Recorder()
    rig.registry.manager.register(recorder)
    rig.limiter.request_observer = recorder.cloudrig_request
    second = temporal.deploy(spec(AMI_V2), RedBlack(), idempotency_key="observed-2").wait()
    assert second["status"] == "succeeded", second

    steps = ["create-new", "verify-new", "enable-new", "disable-old"]
    assert [(s.step, s.finished, s.error) for s in recorder.steps] == [
        (name, finished, None) for name in steps for finished in (False, True)
    ]
    deployment = {s.deployment_id for s in recorder.steps}
    assert len(deployment) == 1
    tagged = {(r.deployment_id, r.step) for r in recorder.requests if r.step is not None}
    assert (deployment.pop(), "create-new") in tagged
    assert any(
        r.operation == "CreateAutoScalingGroup" and r.step == "create-new"
        for r in recorder.requests
    )
