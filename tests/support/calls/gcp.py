"""GCP call-count scenarios on the Compute REST emulator, counted by the emulator itself.

    .venv/bin/python benchmarks/calls/gcp.py     # writes results-gcp.json, prints the table

The emulator counts every request it receives by Compute method id (faulted ones included), so it
serves as the counting proxy here (``EmulatorCounter``): nothing reaches it without being counted.

- ``compute-red-black-baseline``: a minimal red/black written by hand with compute_v1 — template
  insert, MIG insert, the instance group's named port (``setNamedPorts``: without it the
  backend service's ``portName`` reaches nothing), one listManagedInstances, the new group added
  to the backend service (get + patch), one getHealth, the old group removed (get + patch), each
  mutation waited once on the regional/global operations endpoint: 14 requests;
- ``cloudrig-red-black``: ``rig.deploy(spec, RedBlack())`` of a 2-instance group onto a cluster
  with one previous version, through the GCP provider (budget: 28, twice the floor);
- ``cloudrig-red-black-concurrent-N``: N such deployments of N clusters behind one backend service
  in one process at once, VMs booting for 2 s so every deployment polls.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from support.calls.harness import (
    RESULTS,
    Counter,
    Result,
    Scenario,
    admitted,
    measure,
    record,
    snapshot,
    table,
)

PROJECT, REGION, ACCOUNT = "cloudrig-bench", "us-central1", "gcp-bench"
IMAGE_V1 = "projects/cloudrig-bench/global/images/shop-1"
IMAGE_V2 = "projects/cloudrig-bench/global/images/shop-2"


class EmulatorCounter:
    """The harness's counting proxy, implemented by the emulator's own request counter."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.url = emulator.endpoint

    def counts(self) -> dict[str, dict[str, int]]:
        return {"forwarded": self.emulator.requests.snapshot(), "answered": {}}

    def clear_counts(self) -> None:
        self.emulator.requests.clear()


def _rig(url: str, tmp: Path, **limits: Any) -> Any:
    import cloudrig
    from cloudrig.engine import SqliteStateStore

    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "gcp",
                    "project": PROJECT,
                    "regions": [REGION],
                    "anonymous": True,
                    "api_endpoint": url,
                }
            },
            "limits": limits,
        },
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def _spec(app: str, artifact: str) -> Any:
    from cloudrig import Capacity, Moniker, ServerGroupSpec

    return ServerGroupSpec(
        moniker=Moniker(app=app, stack="prod"),
        account=ACCOUNT,
        region=REGION,
        artifact=artifact,
        capacity=Capacity.fixed(2),
        load_balancers=("web",),
    )


def _web(rig: Any) -> None:
    from cloudrig import LoadBalancerSpec

    rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
    )


def _boot(emulator: Any, seconds: float) -> None:
    emulator.fleet.provisioning_seconds = seconds / 2
    emulator.fleet.staging_seconds = seconds / 2
    emulator.fleet.deleting_seconds = 0.1


def baseline(emulator: Any) -> Scenario:
    def run(counter: Counter) -> None:
        from google.cloud import compute_v1

        from support.gcp import wait_for_operation

        _boot(emulator, 0.0)
        c = emulator.client
        templates = c(compute_v1.RegionInstanceTemplatesClient)
        migs = c(compute_v1.RegionInstanceGroupManagersClient)
        groups = c(compute_v1.RegionInstanceGroupsClient)
        services = c(compute_v1.BackendServicesClient)
        checks = c(compute_v1.HealthChecksClient)
        wait_for_operation(
            checks.insert(
                project=PROJECT,
                health_check_resource=compute_v1.HealthCheck(
                    name="hand", type_="HTTP", http_health_check=compute_v1.HTTPHealthCheck()
                ),
            ),
            emulator.endpoint,
        )
        wait_for_operation(
            services.insert(
                project=PROJECT,
                backend_service_resource=compute_v1.BackendService(
                    name="hand", health_checks=[f"projects/{PROJECT}/global/healthChecks/hand"]
                ),
            ),
            emulator.endpoint,
        )

        def version(name: str, image: str) -> str:
            template = compute_v1.InstanceTemplate(
                name=name,
                properties=compute_v1.InstanceProperties(
                    machine_type="e2-small",
                    disks=[
                        compute_v1.AttachedDisk(
                            boot=True,
                            initialize_params=compute_v1.AttachedDiskInitializeParams(
                                source_image=image
                            ),
                        )
                    ],
                ),
            )
            wait_for_operation(
                templates.insert(
                    project=PROJECT, region=REGION, instance_template_resource=template
                ),
                emulator.endpoint,
            )
            manager = compute_v1.InstanceGroupManager(
                name=name,
                base_instance_name=name,
                target_size=2,
                instance_template=f"projects/{PROJECT}/regions/{REGION}/instanceTemplates/{name}",
            )
            wait_for_operation(
                migs.insert(
                    project=PROJECT, region=REGION, instance_group_manager_resource=manager
                ),
                emulator.endpoint,
            )
            wait_for_operation(
                groups.set_named_ports(
                    project=PROJECT,
                    region=REGION,
                    instance_group=name,
                    region_instance_groups_set_named_ports_request_resource={
                        "named_ports": [{"name": "http", "port": 80}]
                    },
                ),
                emulator.endpoint,
            )
            return f"projects/{PROJECT}/regions/{REGION}/instanceGroups/{name}"

        def set_backends(members: list[str]) -> None:
            service = services.get(project=PROJECT, backend_service="hand")
            change = compute_v1.BackendService(
                backends=[compute_v1.Backend(group=g) for g in members],
                fingerprint=service.fingerprint,
            )
            wait_for_operation(
                services.patch(
                    project=PROJECT, backend_service="hand", backend_service_resource=change
                ),
                emulator.endpoint,
            )

        old = version("hand-v000", IMAGE_V1)
        set_backends([old])
        with counter.measure():
            new = version("hand-v001", IMAGE_V2)
            running = migs.list_managed_instances(
                project=PROJECT, region=REGION, instance_group_manager="hand-v001"
            )
            assert len(list(running)) == 2
            set_backends([old, new])
            health = services.get_health(
                project=PROJECT,
                backend_service="hand",
                resource_group_reference_resource=compute_v1.ResourceGroupReference(group=new),
            )
            assert all(s.health_state == "HEALTHY" for s in health.health_status)
            set_backends([new])

    return Scenario(
        "compute-red-black-baseline",
        "gcp",
        "hand-written compute_v1 red/black of a 2-instance group (the floor)",
        run,
    )


def red_black(emulator: Any) -> Scenario:
    def run(counter: Counter) -> int:
        from cloudrig.strategies import RedBlack

        _boot(emulator, 0.2)
        with tempfile.TemporaryDirectory() as tmp:
            rig = _rig(counter.url, Path(tmp))
            _web(rig)
            rig.deploy(_spec("shop", IMAGE_V1), RedBlack()).raise_for_status()
            before = snapshot(rig.limiter)
            with counter.measure():
                rig.deploy(_spec("shop", IMAGE_V2), RedBlack()).raise_for_status()
            return admitted(rig.limiter, before)

    return Scenario(
        "cloudrig-red-black",
        "gcp",
        "rig.deploy(RedBlack) of a 2-instance group onto a cluster with one previous version",
        run,
        budget=28,
    )


def concurrent(emulator: Any, n: int) -> Scenario:
    """N red/blacks at once; VMs boot for 2 s so each deployment polls a few times."""

    def run(counter: Counter) -> int:
        from cloudrig.strategies import RedBlack

        _boot(emulator, 0.2)
        with tempfile.TemporaryDirectory() as tmp:
            rig = _rig(
                counter.url,
                Path(tmp),
                read={"rate": 50, "burst": 10},
                mutate={"rate": 20, "burst": 10},
            )
            _web(rig)
            apps = [f"app{i}" for i in range(n)]
            for app in apps:
                rig.deploy(_spec(app, IMAGE_V1), RedBlack()).raise_for_status()
            _boot(emulator, 2.0)
            before = snapshot(rig.limiter)
            errors: list[BaseException] = []

            def deploy(app: str) -> None:
                try:
                    rig.deploy(_spec(app, IMAGE_V2), RedBlack()).raise_for_status()
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=deploy, args=(a,)) for a in apps]
            with counter.measure():
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            if errors:
                raise errors[0]
            return admitted(rig.limiter, before)

    return Scenario(
        f"cloudrig-red-black-concurrent-{n}",
        "gcp",
        f"{n} red/blacks of {n} clusters at once in one process, each polling boot ~2 s",
        run,
    )


def scenarios(emulator: Any) -> list[Scenario]:
    return [
        baseline(emulator),
        red_black(emulator),
        concurrent(emulator, 1),
        concurrent(emulator, 4),
    ]


def run_all(emulator: Any) -> list[Result]:
    results: list[Result] = []
    for scenario in scenarios(emulator):
        emulator.reset()
        results.append(measure(scenario, lambda: EmulatorCounter(emulator)))
        print(f"{scenario.name}: {results[-1].total} requests", file=sys.stderr)
    return results


def main() -> int:
    from support.gcp import ComputeEmulator

    emulator = ComputeEmulator().start()
    try:
        results = run_all(emulator)
    finally:
        emulator.stop()
    record(results, RESULTS / "results-gcp.json")
    print(table(results))
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
