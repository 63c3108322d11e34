"""A worker killed (SIGKILL) in the middle of a step while another keeps running: the step runs
again on the other worker from the state the dead one last reported, and the deployment finishes
once — checked from moto's state and the requests moto served."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.engine import EventKind
from cloudrig.strategies import RedBlack
from support.aws import Lifecycle
from support.proxy import Delay

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


# ~18 s each, one per step of a red/black: the worker is killed while the step is under way.
@pytest.mark.parametrize(
    ("step", "held"),
    [
        ("verify-new", None),  # targets stay 'initial' for 6 s
        ("create-new", "CreateAutoScalingGroup"),  # the create landed, its answer did not
        ("disable-old", "SuspendProcesses"),  # half out of traffic
    ],
)
def test_a_worker_killed_during_a_step_finishes_once_on_another(
    step: str,
    held: str | None,
    rig: Any,
    moto_aws: Any,
    temporal: Any,
    worker_process: Any,
    fault_proxy: Callable[..., Any],
) -> None:
    proxy = fault_proxy(moto_aws.url)
    workers = {p.pid: p for p in (worker_process(proxy.url), worker_process(proxy.url))}
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"
    if held is None:
        elbv2 = moto_aws.client("elbv2")
        arn = elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
        moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=6.0))
    else:  # moto applies the request; its answer waits at the proxy until the worker is dead
        proxy.add(Delay(8.0), operation=held, times=1)
        sent = moto_aws.request_count(held)

    key = f"killed-in-{step}"  # keys are per Temporal namespace: one per test
    deployment = temporal.deploy(spec(AMI_V2), RedBlack(), idempotency_key=key)
    wait_for(
        lambda: (
            deployment.progress()["step_name"] == step
            and running_on(temporal, key) in workers
            and (held is None or moto_aws.request_count(held) > sent)
        ),
        what=f"a worker in the middle of {step}",
    )
    victim = running_on(temporal, key)
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    workers[victim].wait(10)

    final = deployment.wait()
    assert final["status"] == "succeeded", final
    state = cluster_state(moto_aws)
    assert sorted(state) == ["shop-prod-v001", "shop-prod-v002"], "no second new group"
    assert serving(moto_aws) == ["shop-prod-v002"]
    assert state["shop-prod-v001"]["instances"] == 2, "the old group is kept warm"
    assert state["shop-prod-v002"]["capacity"] == (2, 2, 4)
    assert "AddToLoadBalancer" in state["shop-prod-v001"]["suspended"]
    events = deployment.events()
    resumed = [e for e in events if e.kind is EventKind.RESUMED]
    assert len(resumed) == 1, [str(e) for e in events]
    assert [e.kind for e in events].count(EventKind.DONE) == 1
    # The cluster's lease is held by the workflow, not the dead worker: taken back at once.
    assert EventKind.LEASE_WAIT not in [e.kind for e in events]
    survivor = next(p for pid, p in workers.items() if pid != victim)
    assert survivor.poll() is None, "the other worker kept running"
