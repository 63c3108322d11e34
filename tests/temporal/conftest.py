"""Deployments on Temporal: the real Temporal dev server (tests/support/temporal.py), moto in
server mode and the real AWS provider. Each test has its own task queue; ``temporal_worker``
starts a worker in this process (activities in threads), ``temporal`` is the deploying client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
from support.temporal import TemporalServer, temporal_server

__all__ = ["temporal_server"]


@pytest.fixture(autouse=True)
def _strict_aws(strict_aws: Any) -> Any:
    """Every request the workers send is checked by the strict AWS target (tests/README.md)."""
    return strict_aws


@pytest.fixture
def settings(temporal_server: TemporalServer) -> Any:
    """This test's own task queue on the session's server; short retries and heartbeats."""
    from cloudrig_temporal import TemporalSettings

    return TemporalSettings.model_validate(
        {
            "address": temporal_server.address,
            "task_queue": f"test-{uuid.uuid4().hex[:12]}",
            "heartbeat_timeout": 3.0,
            "retry": {"initial": 0.2, "maximum": 1.0, "attempts": 5},
            "restore_retry": 0.5,
        }
    )


@pytest.fixture
def rig(moto_aws: Any, aws_env: None, tmp_path: Path) -> Any:
    rig = AWS.connect(tmp_path, {"endpoint_url": moto_aws.url})
    AWS.upsert_web(rig, REGION)
    yield rig
    rig.close()


class InProcessWorker:
    """A worker serving in a thread of this process until ``stop``."""

    def __init__(self, rig: Any, settings: Any) -> None:
        from cloudrig_temporal import serve

        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._failure: BaseException | None = None

        def main() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(serve(rig, settings, self._stop))
            except BaseException as exc:
                self._failure = exc

        self._thread = threading.Thread(target=main, name="temporal-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        if self._failure is not None:
            raise self._failure


@pytest.fixture
def temporal_worker(settings: Any) -> Iterator[Callable[[Any], InProcessWorker]]:
    """``temporal_worker(rig)``: a worker of this test's queue acting through ``rig``."""
    started: list[InProcessWorker] = []

    def start(rig: Any) -> InProcessWorker:
        worker = InProcessWorker(rig, settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def worker_config(settings: Any, endpoint: str, folder: Path) -> Path:
    """A worker's configuration file: the ``temporal`` section, the AWS account at ``endpoint``
    (moto, or a proxy in front of it) and the state store every worker of the test shares (the
    clusters' leases)."""
    import yaml

    config = folder / "worker.yaml"
    account = {"provider": "aws", **AWS.settings, "endpoint_url": endpoint}
    document = {
        "temporal": settings.model_dump(mode="json"),
        "accounts": {ACCOUNT: account},
        "limits": dict(AWS.default_limits),
        "deployments": {"path": str(folder / "workers.sqlite3")},
    }
    config.write_text(yaml.safe_dump(document))
    return config


def client_config(worker: Path, folder: Path) -> Path:
    """The deploying side's configuration (cloudrig's own: no ``temporal`` section) beside the
    worker's configuration file ``worker``, with an embedded state store of its own
    (``embedded.sqlite3``: it must stay unused when deployments go to Temporal)."""
    import yaml

    everything = yaml.safe_load(worker.read_text())
    del everything["temporal"]
    everything["deployments"] = {"path": str(folder / "embedded.sqlite3")}
    config = folder / "cloudrig.yaml"
    config.write_text(yaml.safe_dump(everything))
    return config


def spec_file(folder: Path, artifact: str, strategy: dict[str, Any]) -> Path:
    """A spec file of cluster shop-prod (2 instances behind ``web``), named after its artifact."""
    import yaml

    path = folder / f"{artifact}.yaml"
    document = {
        "account": ACCOUNT,
        "region": REGION,
        "cluster": {"app": "shop", "stack": "prod"},
        "artifact": artifact,
        "capacity": {"min": 2, "desired": 2, "max": 4},
        "zones": list(ZONES),
        "load_balancers": [{"name": "web"}],
        "strategy": strategy,
    }
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def worker_process(
    settings: Any, moto_aws: Any, aws_env: None, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``worker_process(endpoint=None)``: ``cloudrig worker --config FILE`` in its own process, on
    this test's queue, with the AWS account on moto (or ``endpoint``); all killed at the end."""
    cli = Path(sys.executable).parent / "cloudrig"
    started: list[subprocess.Popen[bytes]] = []

    def start(endpoint: str | None = None) -> subprocess.Popen[bytes]:
        config = worker_config(settings, endpoint or moto_aws.url, tmp_path)
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [str(cli), "worker", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.fixture
def temporal(settings: Any, rig: Any) -> Any:
    from cloudrig_temporal import TemporalDeployments

    return TemporalDeployments(settings, rig)


def spec(artifact: str, desired: int = 2) -> Any:
    return AWS.spec(REGION, artifact, desired, zones=ZONES)


def cluster_state(moto: Any, app: str = "shop") -> dict[str, Any]:
    """The cluster as moto holds it: per Auto Scaling group, its image, capacity, instances,
    suspended processes and whether it is in the load balancer's target group."""
    asg = moto.client("autoscaling")
    ec2 = moto.client("ec2")
    state: dict[str, Any] = {}
    for group in asg.describe_auto_scaling_groups()["AutoScalingGroups"]:
        name = group["AutoScalingGroupName"]
        if not name.startswith(f"{app}-"):
            continue
        template = group.get("LaunchTemplate") or {}
        image = None
        if template:
            versions = ec2.describe_launch_template_versions(
                LaunchTemplateId=template["LaunchTemplateId"]
            )["LaunchTemplateVersions"]
            image = versions[-1]["LaunchTemplateData"].get("ImageId")
        state[name] = {
            "image": image,
            "capacity": (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]),
            "instances": len(group["Instances"]),
            "in_target_group": bool(group["TargetGroupARNs"]),
            "suspended": sorted(p["ProcessName"] for p in group.get("SuspendedProcesses", [])),
        }
    return state


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll ``condition`` every 0.2 s until it holds; fail naming ``what`` after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f}s: {what}")
        time.sleep(0.2)


def serving(moto: Any) -> list[str]:
    """The cluster's groups in the load balancer's target group, from moto."""
    return sorted(n for n, g in cluster_state(moto).items() if g["in_target_group"])
