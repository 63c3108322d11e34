"""A worker killed (SIGKILL) in the middle of a step while another keeps running: the step runs
again on the other worker from the state the dead one last reported, and the deployment finishes
once — checked from moto's state and the requests moto served."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from cloudrig.engine import EventKind
from cloudrig.strategies import RedBlack
from support.aws import Lifecycle

from .conftest import AMI_V1, AMI_V2, cluster_state, serving, spec, wait_for

pytestmark = [pytest.mark.moto, pytest.mark.slow]


def running_on(temporal: Any, key: str) -> int | None:
    """The pid of the worker running the deployment's current activity (Temporal's default
    worker identity is ``pid@host``), or None."""

    async def describe(client: Any) -> int | None:
        description = await client.get_workflow_handle(key).describe()
        for pending in description.raw_description.pending_activities:
            identity = pending.last_worker_identity
            if identity:
                return int(identity.split("@", 1)[0])
        return None

    answer: int | None = temporal.call(describe)
    return answer


def test_a_worker_killed_during_a_step_finishes_once_on_another(
    rig: Any, moto_aws: Any, temporal: Any, worker_process: Any
) -> None:
    workers = {p.pid: p for p in (worker_process(), worker_process())}
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"
    elbv2 = moto_aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=6.0))

    deployment = temporal.deploy(spec(AMI_V2), RedBlack(), idempotency_key="killed")
    wait_for(
        lambda: (
            deployment.progress()["step_name"] == "verify-new"
            and running_on(temporal, "killed") in workers
        ),
        what="a worker waits for the new group's health",
    )
    victim = running_on(temporal, "killed")
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    workers[victim].wait(10)

    final = deployment.wait()
    assert final["status"] == "succeeded", final
    assert sorted(cluster_state(moto_aws)) == ["shop-prod-v001", "shop-prod-v002"]
    assert serving(moto_aws) == ["shop-prod-v002"]
    assert moto_aws.request_count("CreateAutoScalingGroup") == 2, "v002 was created once"
    events = deployment.events()
    resumed = [e for e in events if e.kind is EventKind.RESUMED]
    assert len(resumed) == 1, [str(e) for e in events]
    assert [e.kind for e in events].count(EventKind.DONE) == 1
    survivor = next(p for pid, p in workers.items() if pid != victim)
    assert survivor.poll() is None, "the other worker kept running"
