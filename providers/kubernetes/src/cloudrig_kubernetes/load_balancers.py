"""Load balancers: a Service per load balancer, selecting the pods of its enabled groups.

The selector is ``lb.cloudrig.io/<service>=member`` plus ``cloudrig.io/traffic=enabled``: server
groups join a load balancer by naming it in their spec (a pod label set at create), and leave
traffic by losing the traffic label (``server_groups.disable``). An upsert of an existing Service
changes it only when its ports, type or selector differ, so a repeated upsert costs one read. A
Service may have several ports: the spec's own, then those of the settings' ``ports``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from cloudrig import Conflict, InvalidSpec, LoadBalancer, LoadBalancerSpec, NotFound
from cloudrig.provider import LoadBalancers
from cloudrig_kubernetes import metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.errors import is_already_exists, is_not_found, map_error
from cloudrig_kubernetes.naming import resource_name
from cloudrig_kubernetes.settings import KubernetesLoadBalancerSettings

LB_KIND = "cloudrig.io/kind"


def desired_spec(
    spec: LoadBalancerSpec, settings: KubernetesLoadBalancerSettings
) -> dict[str, Any]:
    """The Service's spec: the spec's own port first (named after its protocol), then the
    settings' ``ports``. Rejected before any call: a settings port that repeats the first's name
    or number and protocol (the API would answer 422)."""
    name = resource_name(spec.name)
    protocol = "UDP" if spec.protocol.lower() == "udp" else "TCP"
    first = {
        "name": spec.protocol.lower() if spec.protocol.lower() != "udp" else "udp",
        "port": spec.port,
        "targetPort": spec.target_port or spec.port,
        "protocol": protocol,
    }
    ports = [first] + [
        {
            "name": extra.name,
            "port": extra.port,
            "targetPort": extra.target_port or extra.port,
            "protocol": extra.protocol,
        }
        for extra in settings.ports
    ]
    for extra in ports[1:]:
        if extra["name"] == first["name"] or (extra["port"], extra["protocol"]) == (
            first["port"],
            first["protocol"],
        ):
            raise InvalidSpec(
                f"load balancer {spec.name}: settings port {extra['name']!r} repeats the spec's "
                f"port {first['name']!r} ({first['port']}/{first['protocol']})",
                provider="kubernetes",
                resource=spec.name,
            )
    return {
        "type": settings.type,
        "selector": {
            metadata.LB_PREFIX + name: metadata.MEMBER,
            metadata.TRAFFIC: metadata.TRAFFIC_ON,
        },
        "ports": ports,
    }


def _differs(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    if current.get("type") != wanted["type"] or current.get("selector") != wanted["selector"]:
        return True
    keys = ("name", "port", "targetPort", "protocol")
    seen = [{k: p.get(k) for k in keys} for p in current.get("ports") or ()]
    return seen != [{k: p.get(k) for k in keys} for p in wanted["ports"]]


class KubeLoadBalancers(LoadBalancers[KubernetesLoadBalancerSettings]):
    """The ``load_balancers`` noun: Services in the account's namespaces."""

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube
        self.account = kube.account

    def _where(self, name: str) -> dict[str, str | None]:
        return {"provider": "kubernetes", "account": self.account, "resource": name}

    def _read(self, namespace: str, name: str) -> dict[str, Any]:
        service = self.kube.call(
            self.kube.core.read_namespaced_service, resource_name(name), namespace, resource=name
        )
        if metadata.annotations_of(service).get(metadata.NAME) != name:
            raise NotFound(f"load balancer {name} not found in {namespace}", **self._where(name))
        return service

    def _model(self, service: Mapping[str, Any], members: list[str]) -> LoadBalancer:
        meta, spec = service["metadata"], service.get("spec") or {}
        port = (spec.get("ports") or [{}])[0]
        return LoadBalancer(
            name=metadata.annotations_of(service)[metadata.NAME],
            account=self.account,
            region=meta["namespace"],
            protocol=str(port.get("name") or "tcp"),
            port=int(port.get("port") or 80),
            endpoint=f"{meta['name']}.{meta['namespace']}.svc:{port.get('port')}",
            server_groups=tuple(sorted(members)),
        )

    def _members(self, namespace: str, service_names: list[str]) -> dict[str, list[str]]:
        """Server groups per Service, from one list of the namespace's cloudrig ReplicaSets."""
        sets = self.kube.call(
            self.kube.apps.list_namespaced_replica_set,
            namespace,
            label_selector=f"{metadata.MANAGED_BY}={metadata.MANAGER}",
        )["items"]
        members: dict[str, list[str]] = {n: [] for n in service_names}
        for rs in sets:
            labels = rs["spec"]["template"]["metadata"].get("labels") or {}
            for service in service_names:
                if labels.get(metadata.LB_PREFIX + service) == metadata.MEMBER:
                    members[service].append(rs["metadata"]["name"])
        return members

    def upsert(
        self, spec: LoadBalancerSpec, settings: KubernetesLoadBalancerSettings
    ) -> LoadBalancer:
        namespace, name = spec.region, resource_name(spec.name)
        wanted = desired_spec(spec, settings)
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "labels": {metadata.MANAGED_BY: metadata.MANAGER, LB_KIND: "load-balancer"},
                "annotations": {metadata.NAME: spec.name},
            },
            "spec": wanted,
        }
        try:
            service = self.kube.raw(self.kube.core.create_namespaced_service, namespace, body)
        except ApiException as exc:
            if not is_already_exists(exc):
                raise map_error(exc, "create_namespaced_service", **self._where(spec.name)) from exc
            service = self.kube.call(
                self.kube.core.read_namespaced_service, name, namespace, resource=spec.name
            )
            if metadata.annotations_of(service).get(metadata.NAME) != spec.name:
                raise Conflict(
                    f"Service {namespace}/{name} exists and is not load balancer {spec.name}",
                    **self._where(spec.name),
                ) from exc
            if _differs(service.get("spec") or {}, wanted):
                # A JSON merge patch replaces the ports list (a strategic merge would merge
                # it by port number and keep a port the spec dropped).
                service = self.kube.call(
                    self.kube.core.patch_namespaced_service,
                    name,
                    namespace,
                    {"spec": wanted},
                    _content_type="application/merge-patch+json",
                    resource=spec.name,
                )
        return self._model(service, self._members(namespace, [name])[name])

    def get(self, region: str, name: str) -> LoadBalancer:
        service = self._read(region, name)
        service_name = service["metadata"]["name"]
        return self._model(service, self._members(region, [service_name])[service_name])

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        found: list[LoadBalancer] = []
        for namespace in self.kube.namespaces(region):
            services = self.kube.call(
                self.kube.core.list_namespaced_service,
                namespace,
                label_selector=f"{metadata.MANAGED_BY}={metadata.MANAGER},{LB_KIND}=load-balancer",
            )["items"]
            services = [s for s in services if metadata.NAME in metadata.annotations_of(s)]
            if not services:
                continue
            members = self._members(namespace, [s["metadata"]["name"] for s in services])
            found += [self._model(s, members[s["metadata"]["name"]]) for s in services]
        return sorted(found, key=lambda lb: (lb.region, lb.name))

    def delete(self, region: str, name: str) -> None:
        try:
            service = self._read(region, name)
        except NotFound:
            return
        body = {"preconditions": {"uid": service["metadata"]["uid"]}}
        try:
            # Read as raw JSON: the 37.x client cannot parse a 1.20 server's answer to this
            # delete (V1ServiceStatus vs Status) although the delete succeeded.
            self.kube.raw(
                self.kube.core.delete_namespaced_service,
                service["metadata"]["name"],
                region,
                body=body,
            )
        except ApiException as exc:
            if not is_not_found(exc):
                raise map_error(exc, "delete_namespaced_service", **self._where(name)) from exc
