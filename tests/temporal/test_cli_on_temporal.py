"""The command line on Temporal: with the ``cloudrig_temporal.engine`` plugin loaded, ``cloudrig
deployments``, ``deployments show``, ``resume``, ``promote``, ``abort`` and ``rollback`` read and
act on the workflows (the ``cloudrig_deployments`` hook), exactly as they do on the state store;
an abort stops a running step at its next checkpoint. The command line runs in this process
(typer's runner), the worker too; the cluster is checked in moto."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cloudrig._cli import app
from cloudrig.engine import EventKind
from cloudrig.strategies import RedBlack
from support.aws import Lifecycle

from .conftest import (
    ACCOUNT,
    AMI_V1,
    AMI_V2,
    client_config,
    cluster_state,
    serving,
    spec,
    spec_file,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.moto

GATED = {"name": "red-black", "approvals": ["disable-old"]}


class TemporalCli:
    """``cloudrig -p cloudrig_temporal.engine ARGS -c CONFIG`` in this process, the ``temporal``
    section in the file ``CLOUDRIG_TEMPORAL_CONFIG`` names (the worker's configuration)."""

    def __init__(self, settings: Any, moto_url: str, folder: Path) -> None:
        worker = worker_config(settings, moto_url, folder)
        self.config = client_config(worker, folder)
        self.env = {"CLOUDRIG_TEMPORAL_CONFIG": str(worker), "COLUMNS": "200", "NO_COLOR": "1"}
        self.folder = folder

    def __call__(self, *args: str) -> Result:
        argv = ["-p", "cloudrig_temporal.engine", *args, "-c", str(self.config)]
        return CliRunner(env=self.env).invoke(app, argv, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        done = self(*args, "--json")
        assert done.exit_code == 0, done.output
        return json.loads(done.output)

    def spec(self, artifact: str, strategy: dict[str, Any]) -> str:
        return str(spec_file(self.folder, artifact, strategy))


@pytest.fixture
def cli(settings: Any, moto_aws: Any, rig: Any, temporal_worker: Any, tmp_path: Path) -> Any:
    """A worker of this test's queue (in this process), and the command line sending to it."""
    temporal_worker(rig)
    return TemporalCli(settings, moto_aws.url, tmp_path)


def test_list_show_promote_and_rollback_act_on_temporal(cli: Any, moto_aws: Any) -> None:
    assert cli("deploy", cli.spec(AMI_V1, {"name": "red-black"})).exit_code == 0
    gated = cli("deploy", cli.spec(AMI_V2, GATED))
    assert gated.exit_code == 4, gated.output  # awaiting approval
    assert "cloudrig -p cloudrig_temporal.engine promote" in gated.output

    in_flight = cli.json("deployments")["deployments"]
    assert [(d["status"], d["artifact"]) for d in in_flight] == [("awaiting_approval", AMI_V2)]
    deployment_id = in_flight[0]["id"]
    assert {d["artifact"] for d in cli.json("deployments", "--all")["deployments"]} == {
        AMI_V1,
        AMI_V2,
    }
    shown = cli.json("deployments", "show", deployment_id)
    assert [s["state"] for s in shown["steps"]][:4] == ["done", "done", "done", "awaiting_approval"]
    assert "approval_needed" in [e["kind"] for e in shown["events"]]
    by_key = cli.json("deployments", "show", in_flight[0]["idempotency_key"])
    assert by_key["id"] == deployment_id, "named by its workflow id too"
    table = cli("deployments")
    assert deployment_id in table.output
    assert "awaiting_approval" in table.output

    at_gate = cli("resume", deployment_id)
    assert at_gate.exit_code == 4, "it still waits at its gate"

    promoted = cli("promote", deployment_id)
    assert promoted.exit_code == 0, promoted.output
    assert "approved: disable-old" in promoted.output
    assert "approval_needed" not in promoted.output, "only the events after the signal"
    assert serving(moto_aws) == ["shop-prod-v002"]
    assert cli("resume", deployment_id).exit_code == 0, "a finished deployment: nothing to do"
    again = cli("promote", deployment_id)
    assert again.exit_code == 1
    assert "is succeeded, not awaiting approval" in again.output

    rolled = cli("rollback", ACCOUNT, "shop-prod", "--yes")
    assert rolled.exit_code == 0, rolled.output
    assert "rolling back from shop-prod-v002 to shop-prod-v001" in rolled.output
    state = cluster_state(moto_aws)
    assert serving(moto_aws) == ["shop-prod-v001"]
    assert state["shop-prod-v001"]["capacity"] == (2, 2, 4)
    kinds = [d["kind"] for d in cli.json("deployments", "--all")["deployments"]]
    assert sorted(kinds) == ["deploy", "deploy", "rollback"]
    missing = cli("deployments", "show", "d000000000000000")
    assert missing.exit_code == 1
    assert "no deployment 'd000000000000000' on Temporal" in missing.output


def test_rollback_of_a_cluster_in_flight_undoes_that_deployment(cli: Any, moto_aws: Any) -> None:
    assert cli("deploy", cli.spec(AMI_V1, {"name": "red-black"})).exit_code == 0
    assert cli("deploy", cli.spec(AMI_V2, GATED)).exit_code == 4
    rolled = cli("rollback", ACCOUNT, "shop-prod", "--yes")
    assert rolled.exit_code == 0, rolled.output
    listed = cli.json("deployments", "--all")["deployments"]
    assert [d["kind"] for d in listed] == ["deploy", "deploy"], "no second rollback started"
    (deployment,) = [d for d in listed if d["artifact"] == AMI_V2]
    assert deployment["status"] == "rolled_back"
    assert "rollback requested" in deployment["error"]
    assert serving(moto_aws) == ["shop-prod-v001"]
    assert cluster_state(moto_aws)["shop-prod-v002"]["capacity"][1] == 0


def test_abort_stops_a_running_step_at_its_next_checkpoint(
    cli: Any, moto_aws: Any, temporal: Any
) -> None:
    assert cli("deploy", cli.spec(AMI_V1, {"name": "red-black"})).exit_code == 0
    elbv2 = moto_aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=600.0))
    running = temporal.deploy(spec(AMI_V2), RedBlack(health_timeout=600.0))
    wait_for(
        lambda: running.progress()["step_name"] == "verify-new",
        what="the deployment waits for v002 to get healthy",
    )
    # v002's instances never get healthy; any registered later (v001's, by the restore) at once.
    groups = moto_aws.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["shop-prod-v002"]
    )["AutoScalingGroups"]
    for instance in groups[0]["Instances"]:
        moto_aws.target_health.set(arn, "initial", target_id=instance["InstanceId"])
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=0.0))
    started = time.monotonic()
    aborted = cli("abort", running.key, "--yes")
    took = time.monotonic() - started
    assert aborted.exit_code == 0, aborted.output
    assert ": aborted" in aborted.output
    # The wait heartbeats every second (a third of the 3 s heartbeat timeout): the abort lands
    # at the next one, long before the step's 600 s deadline, in the same attempt.
    assert took < 20, f"the abort took {took:.1f}s"
    kinds = [e.kind for e in running.events()]
    assert EventKind.RESUMED not in kinds, "the step was stopped, not run again"
    assert EventKind.ROLLING_BACK in kinds
    assert kinds[-1] is EventKind.DONE
    record = running.wait()
    assert record["status"] == "aborted"
    assert "abort requested" in record["error"]
    state = cluster_state(moto_aws)
    assert serving(moto_aws) == ["shop-prod-v001"]
    assert state["shop-prod-v001"]["capacity"] == (2, 2, 4)
    assert state["shop-prod-v002"]["capacity"][1] == 0, "the new group is scaled down"


def test_abort_at_a_gate_and_abort_of_a_finished_deployment(cli: Any, moto_aws: Any) -> None:
    assert cli("deploy", cli.spec(AMI_V1, {"name": "red-black"})).exit_code == 0
    assert cli("deploy", cli.spec(AMI_V2, GATED)).exit_code == 4
    (deployment,) = cli.json("deployments")["deployments"]
    aborted = cli("abort", deployment["id"], "--yes")
    assert aborted.exit_code == 0, aborted.output
    assert f"deployment {deployment['id']}: aborted" in aborted.output
    assert serving(moto_aws) == ["shop-prod-v001"]
    refused = cli("abort", deployment["id"], "--yes")
    assert refused.exit_code == 1
    assert "is already aborted: nothing to abort" in refused.output


def test_an_unreachable_temporal_is_one_clear_error(
    tmp_path: Path, settings: Any, aws_env: None
) -> None:
    from support.temporal import free_port

    unreachable = settings.model_copy(update={"address": f"127.0.0.1:{free_port()}"})
    cli = TemporalCli(unreachable, "http://127.0.0.1:1", tmp_path)
    done = cli("deployments")
    assert done.exit_code == 1
    assert f"cannot reach Temporal at {unreachable.address} (namespace default)" in done.output
    assert "Traceback" not in done.output
