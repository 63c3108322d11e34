"""The activities alone (temporalio's ActivityEnvironment, no server): an attempt that starts after
the previous one died continues from the state that one last reported in its heartbeat."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cloudrig.strategies import RedBlack

from .conftest import AMI_V1, cluster_state, spec

pytestmark = pytest.mark.moto


def run_to_the_end(rig: Any) -> tuple[Any, Any, list[Any]]:
    from temporalio.testing import ActivityEnvironment

    from cloudrig_temporal import DeploymentActivities
    from cloudrig_temporal._client import engine_options
    from cloudrig_temporal._messages import DeployRequest, StepRequest
    from cloudrig_temporal._settings import TemporalSettings

    activities = DeploymentActivities(rig, heartbeat_timeout=3.0)
    env = ActivityEnvironment()
    heartbeats: list[Any] = []
    env.on_heartbeat = lambda *details: heartbeats.append(details[0])
    request = DeployRequest(
        spec=spec(AMI_V1).model_dump(mode="json"),
        strategy="red-black",
        params=RedBlack().params(),
        idempotency_key="alone",
        options=engine_options(TemporalSettings()),
    )
    answers = [env.run(activities.prepare, request)]
    while answers[-1].record["status"] != "succeeded":
        seen = sum(len(a.events) for a in answers)
        answers.append(env.run(activities.advance, StepRequest(answers[-1].record, seen)))
    return activities, env, answers


def test_an_attempt_after_a_finished_one_adds_nothing(rig: Any, moto_aws: Any) -> None:
    from cloudrig_temporal._messages import StepRequest

    activities, env, answers = run_to_the_end(rig)
    done = answers[-1]
    assert [e["kind"] for e in done.events] == ["done"]
    # The last attempt died after its final heartbeat, before it answered: Temporal runs it again
    # with the request it had and the details it reported.
    env.info = dataclasses.replace(
        env.info, attempt=2, heartbeat_details=[{"record": done.record, "events": done.events}]
    )
    seen = sum(len(a.events) for a in answers[:-1])
    again = env.run(activities.advance, StepRequest(answers[-2].record, seen))
    assert again.record["status"] == "succeeded"
    assert [e["kind"] for e in again.events] == ["done"], "no second 'done'"
    assert list(cluster_state(moto_aws)) == ["shop-prod-v001"]


def test_an_attempt_after_one_killed_mid_step_resumes_it(rig: Any, moto_aws: Any) -> None:
    from cloudrig_temporal._messages import StepRequest

    activities, env, answers = run_to_the_end(rig)
    created = answers[1]  # create-new: the group exists, the step was reported done
    assert created.record["step"] == 1
    env.info = dataclasses.replace(
        env.info,
        attempt=2,
        heartbeat_details=[{"record": created.record, "events": created.events}],
    )
    again = env.run(activities.advance, StepRequest(answers[0].record, len(answers[0].events)))
    kinds = [e["kind"] for e in again.events]
    assert kinds[0] == "created"  # what the dead attempt reported is kept
    assert "resumed" in kinds
    assert again.record["step"] == 2, "it went on with the next step, not the create again"
    assert list(cluster_state(moto_aws)) == ["shop-prod-v001"]
