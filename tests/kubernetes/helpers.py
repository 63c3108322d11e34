"""Requests and admin-side reads shared by the Kubernetes provider tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from kubernetes import client

from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_kubernetes.naming import NAMING
from cloudrig_kubernetes.settings import KubernetesServerGroupSettings
from support.kube import KubeCluster

T = TypeVar("T")


def create_request(
    namespace: str,
    *,
    stack: str = "prod",
    sequence: int = 1,
    desired: int = 2,
    deployment_id: str = "dep-1",
    load_balancers: tuple[str, ...] = (),
    security_groups: tuple[str, ...] = (),
    **settings: Any,
) -> CreateServerGroup[KubernetesServerGroupSettings]:
    moniker = Moniker(app="shop", stack=stack, sequence=sequence)
    spec = ServerGroupSpec(
        moniker=moniker,
        account="kube-test",
        region=namespace,
        artifact="registry.example/shop:1",
        capacity=Capacity(min=desired, desired=desired, max=desired + 2),
        load_balancers=load_balancers,
        security_groups=security_groups,
        environment={"COLOR": "blue"},
        settings=settings,
    )
    return CreateServerGroup[KubernetesServerGroupSettings](
        name=NAMING.server_group_name(moniker),
        spec=spec,
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id=deployment_id),
        settings=KubernetesServerGroupSettings.model_validate(settings),
    )


def eventually(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 15.0) -> T:
    """Poll ``probe`` until ``done`` (controllers act asynchronously); the last value if not."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = probe()
    assert done(value), f"timed out; last value: {value!r}"
    return value


class Admin:
    """Reads and writes as the admin user (not counted against the code under test)."""

    def __init__(self, cluster: KubeCluster, namespace: str) -> None:
        self.api_client = cluster.api_client(cluster.admin_user)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.networking = client.NetworkingV1Api(self.api_client)
        self.namespace = namespace

    def pods(self, selector: str) -> list[Any]:
        return list(self.core.list_namespaced_pod(self.namespace, label_selector=selector).items)

    def endpoint_ips(self, service: str) -> set[str]:
        endpoints = self.core.read_namespaced_endpoints(service, self.namespace)
        return {a.ip for s in endpoints.subsets or () for a in s.addresses or ()}

    def close(self) -> None:
        self.api_client.close()
