"""Issue 15, item 3: Ctrl-C, ``resume``, ``abort`` and ``deployments show`` from the command line.

Ctrl-C is a ``KeyboardInterrupt`` raised in process by the reference cloud when the deployment
sends a chosen request (never a killed process); the outcome is checked in the cloud's own state.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from cli.clirun import reference_cli, reference_config, reference_spec

import cloudrig
from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig._cli import _confirm
from cloudrig._cli._exit import ExitCode
from cloudrig.canary import MetricSamples, MetricSpec
from cloudrig.provider import MUTATING, hookimpl
from cloudrig.strategies import Canary
from cloudrig.testing import ManualClock, ReferenceCloud

CLOUD = "cli-interrupt"
KEY = ("reference-1", "shop", "prod", "")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path, reference_config(tmp_path, CLOUD)


def cli(config: Path, *args: str, input: str | None = None) -> Any:
    return reference_cli(config, *args, input=input)


def spec(tmp: Path, artifact: str, strategy: str = "{name: red-black}") -> Path:
    return reference_spec(tmp, artifact, strategy)


def cloud_state() -> dict[str, tuple[bool, int]]:
    """Each group's (enabled, desired capacity), from the cloud."""
    cloud = ReferenceCloud.get(CLOUD)
    return {name: (g.enabled, g.capacity.desired) for (_, name), g in cloud.groups.items()}


def traffic() -> dict[str, int]:
    return {n: s for n, s in ReferenceCloud.get(CLOUD).traffic(KEY).items() if s}


def interrupted_deploy(tmp: Path, config: Path) -> str:
    """v001 serves; a deploy of v002 is interrupted (Ctrl-C) while traffic moves to it."""
    assert cli(config, "deploy", str(spec(tmp, "img-0"))).exit_code == 0
    ReferenceCloud.get(CLOUD).faults.fail("set_traffic_weights", KeyboardInterrupt(), nth=1)
    result = cli(config, "deploy", str(spec(tmp, "img-1")))
    assert result.exit_code == ExitCode.INTERRUPTED, result.output
    assert int(ExitCode.INTERRUPTED) == 130
    listed = json.loads(cli(config, "deployments", "--json").output)["deployments"]
    (record,) = listed
    assert record["status"] == "running"
    deployment_id: str = record["id"]
    # The id and the exact command that resumes it (with this configuration and plugin).
    assert f"interrupted: deployment {deployment_id} stopped" in result.output
    expected = f"cloudrig -p cloudrig.testing.reference resume {deployment_id} --config {config}"
    assert expected in result.output
    assert f"abort {deployment_id} --config {config}" in result.output
    return deployment_id


def test_ctrl_c_prints_the_resume_command_and_resume_finishes_the_deployment(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    deployment_id = interrupted_deploy(tmp, config)
    assert cloud_state() == {"shop-prod-v001": (True, 2), "shop-prod-v002": (True, 2)}
    resumed = cli(config, "resume", deployment_id)
    assert resumed.exit_code == 0, resumed.output
    assert f"resuming deployment {deployment_id} at step" in resumed.output
    assert f"deployment {deployment_id}: succeeded" in resumed.output
    assert traffic() == {"shop-prod-v002": 100}
    assert cloud_state()["shop-prod-v002"] == (True, 2)
    assert not cloud_state()["shop-prod-v001"][0]
    assert sorted(cloud_state()) == ["shop-prod-v001", "shop-prod-v002"]  # no second new group


def test_ctrl_c_before_any_deployment_started_says_nothing_changed(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    ReferenceCloud.get(CLOUD).faults.fail("list_server_groups", KeyboardInterrupt(), nth=1)
    result = cli(config, "deploy", str(spec(tmp, "img-0")))
    assert result.exit_code == 130
    assert "interrupted before a deployment started: no server group changed" in result.output
    assert cloud_state() == {}


def test_abort_undoes_an_interrupted_deployment(files: tuple[Path, Path]) -> None:
    tmp, config = files
    deployment_id = interrupted_deploy(tmp, config)
    aborted = cli(config, "abort", deployment_id, "--yes")
    assert aborted.exit_code == 0, aborted.output
    assert f"deployment {deployment_id}: aborted" in aborted.output
    assert cloud_state() == {"shop-prod-v001": (True, 2), "shop-prod-v002": (False, 0)}
    assert traffic() == {"shop-prod-v001": 100}
    again = cli(config, "abort", deployment_id, "--yes")
    assert again.exit_code == 1
    assert "already aborted: nothing to abort" in again.output


def test_abort_without_a_terminal_needs_yes_and_changes_nothing(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    deployment_id = interrupted_deploy(tmp, config)
    cloud = ReferenceCloud.get(CLOUD)
    before = len([e for e in cloud.calls() if e.operation in MUTATING])
    refused = cli(config, "abort", deployment_id)
    assert refused.exit_code == ExitCode.USAGE
    assert "removes capacity: pass --yes to confirm (no terminal to ask on)" in refused.output
    assert len([e for e in cloud.calls() if e.operation in MUTATING]) == before


def test_abort_asks_on_a_terminal(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp, config = files
    deployment_id = interrupted_deploy(tmp, config)
    monkeypatch.setattr(_confirm, "terminal_attached", lambda: True)
    declined = cli(config, "abort", deployment_id, input="n\n")
    assert declined.exit_code == ExitCode.FAILURE
    assert "shop-prod-v002" in declined.output  # the question names what leaves traffic
    assert "not confirmed: nothing changed" in declined.output
    assert cloud_state()["shop-prod-v002"] == (True, 2)
    accepted = cli(config, "abort", deployment_id, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert cloud_state()["shop-prod-v002"] == (False, 0)


def test_rollback_needs_yes_without_a_terminal(files: tuple[Path, Path]) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    cli(config, "deploy", str(spec(tmp, "img-1")))
    refused = cli(config, "rollback", "test", "shop-prod")
    assert refused.exit_code == ExitCode.USAGE
    assert traffic() == {"shop-prod-v002": 100}


def test_deployments_show_has_steps_timings_and_events(files: tuple[Path, Path]) -> None:
    tmp, config = files
    deployment_id = interrupted_deploy(tmp, config)
    shown = cli(config, "deployments", "show", deployment_id)
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert f"deployment {deployment_id}: deploy of shop-prod" in out
    assert "status running" in out
    assert "created shop-prod-v002" in out
    data = json.loads(cli(config, "deployments", "show", deployment_id, "--json").output)
    states = {s["step"]: s["state"] for s in data["steps"]}
    assert states == {
        "create-new": "done",
        "verify-new": "done",
        "enable-new": "done",
        "disable-old": "running",
    }
    assert all(s["started_at"] is not None for s in data["steps"])
    assert all(s["seconds"] is not None and s["seconds"] >= 0 for s in data["steps"])
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[:2] == ["started", "created"]
    assert "settings" not in json.dumps(data)  # no provider block (it may hold secrets)
    cli(config, "resume", deployment_id)
    data = json.loads(cli(config, "deployments", "show", deployment_id, "--json").output)
    assert data["status"] == "succeeded"
    assert {s["step"]: s["state"] for s in data["steps"]}["resume"] == "done"
    assert all(s["state"] == "done" for s in data["steps"])


def test_deployments_show_of_an_unknown_id_is_one_error(files: tuple[Path, Path]) -> None:
    _, config = files
    result = cli(config, "deployments", "show", "d000000000000000")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: no deployment 'd000000000000000'")


def test_promote_reject_exits_0_after_rolling_back(files: tuple[Path, Path]) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    paused = cli(
        config, "deploy", str(spec(tmp, "img-1", "{name: red-black, approvals: [disable-old]}"))
    )
    assert paused.exit_code == ExitCode.AWAITING_APPROVAL, paused.output
    (record,) = json.loads(cli(config, "deployments", "--json").output)["deployments"]
    assert f"promote {record['id']} --config" in paused.output  # how to answer
    rejected = cli(config, "promote", record["id"], "--reject")
    assert rejected.exit_code == 0, rejected.output
    assert "rolled_back" in rejected.output
    assert traffic() == {"shop-prod-v001": 100}
    assert cloud_state()["shop-prod-v002"] == (False, 0)


def test_a_failed_deployment_that_was_restored_exits_3(files: tuple[Path, Path]) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    ReferenceCloud.get(CLOUD).boot_failures.add("shop-prod-v002")
    failed = cli(
        config,
        "deploy",
        str(spec(tmp, "img-1", "{name: red-black, health_timeout: 1s}")),
    )
    assert failed.exit_code == ExitCode.ROLLED_BACK, failed.output
    assert traffic() == {"shop-prod-v001": 100}


class SlowCanary:
    """Latency samples: the canary's are 40% slower than the baseline's."""

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        rng = random.Random(1)
        base = tuple(rng.gauss(120, 10) for _ in range(50))
        return {"latency_ms": MetricSamples(canary=tuple(v * 1.4 for v in base), baseline=base)}


def test_deployments_show_has_the_judges_report(files: tuple[Path, Path]) -> None:
    """A canary that failed its analysis: ``deployments show`` prints the judge's verdict per
    interval and per metric (text and JSON)."""
    _, config = files
    rig = cloudrig.connect(
        config,
        plugins=["cloudrig.testing.reference", SlowCanary()],
        entry_points=False,
        clock=ManualClock(),
    )
    moniker = Moniker(app="shop", stack="prod")

    def group(artifact: str) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=moniker,
            account="test",
            region="reference-1",
            artifact=artifact,
            capacity=Capacity(min=2, desired=4, max=8),
            settings={"boot_seconds": 0},
        )

    rig.deploy(group("img-0")).raise_for_status()
    canary = Canary(
        traffic_percent=25,
        intervals=2,
        interval="5m",
        metrics=(MetricSpec(name="latency_ms", fails_on="increase", critical=True),),
    )
    failed = rig.deploy(group("img-1"), canary)
    assert failed.status.value == "failed"
    assert failed.id is not None
    rig.close()
    shown = cli(config, "deployments", "show", failed.id)
    assert shown.exit_code == 0, shown.output
    assert "canary analysis (outcome: fail)" in shown.output
    assert "latency_ms" in shown.output
    data = json.loads(cli(config, "deployments", "show", failed.id, "--json").output)
    assert data["outcome"] == "fail"
    (analysis,) = data["analyses"]
    assert analysis["outcome"] == "fail"
    (result,) = analysis["results"]
    assert result["metric"] == "latency_ms"
    assert result["failed"] is True
    assert result["p_value"] < 0.05
    assert result["canary_median"] > result["baseline_median"]  # the report says why: medians
    change = f"{(result['ratio'] - 1) * 100:+.0f}%"
    assert change.startswith("+")
    assert change in shown.output


def test_another_deploy_while_one_is_interrupted_names_the_commands(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    deployment_id = interrupted_deploy(tmp, config)
    other = cli(config, "deploy", str(spec(tmp, "img-2")))
    assert other.exit_code == 1
    (line,) = other.output.strip().splitlines()
    assert f"deployment {deployment_id} (red-black, running) is unfinished" in line
    assert f"(cloudrig resume {deployment_id}, cloudrig abort {deployment_id})" in line
