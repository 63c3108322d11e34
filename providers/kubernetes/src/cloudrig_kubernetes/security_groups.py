"""Security groups: a NetworkPolicy per security group, applying to the pods that carry its label.

The policy selects pods with ``sg.cloudrig.io/<policy>=member`` (server groups name their security
groups in their spec: a pod label set at create) and allows ingress per rule from CIDRs
(``ipBlock``) and from the pods of other security groups (``podSelector`` on their label). The
exact rules are also kept in an annotation, so reading a group gives back what was written even
where NetworkPolicy cannot say it: a port range is ``port`` + ``endPort``, and API servers before
1.22 drop ``endPort`` (the policy then admits the first port only: narrower, never wider).
ICMP has no NetworkPolicy protocol and is refused as an invalid spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException
from pydantic import TypeAdapter

from cloudrig import (
    Conflict,
    IngressRule,
    InvalidSpec,
    NotFound,
    Protocol,
    SecurityGroup,
    SecurityGroupSpec,
)
from cloudrig.provider import SecurityGroups
from cloudrig_kubernetes import metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.errors import is_already_exists, is_not_found, map_error
from cloudrig_kubernetes.naming import resource_name
from cloudrig_kubernetes.settings import KubernetesSecurityGroupSettings

_RULES = TypeAdapter(tuple[IngressRule, ...])
SG_KIND = "cloudrig.io/kind"


def _ports(rule: IngressRule) -> list[dict[str, Any]] | None:
    if rule.protocol is Protocol.ALL:
        return None  # no ports: every port and protocol
    protocol = rule.protocol.value.upper()
    if rule.from_port == 0 and rule.to_port == 65535:
        return [{"protocol": protocol}]
    port: dict[str, Any] = {"protocol": protocol, "port": max(rule.from_port, 1)}
    if rule.to_port > port["port"]:
        port["endPort"] = rule.to_port
    return [port]


def policy_spec(spec: SecurityGroupSpec) -> dict[str, Any]:
    ingress = []
    for rule in spec.ingress:
        if rule.protocol is Protocol.ICMP:
            raise InvalidSpec(
                f"security group {spec.name}: NetworkPolicy cannot express ICMP rules",
                provider="kubernetes",
                account=spec.account,
                resource=spec.name,
            )
        peers: list[dict[str, Any]] = [{"ipBlock": {"cidr": cidr}} for cidr in rule.cidrs]
        peers += [
            {"podSelector": {"matchLabels": {metadata.sg_label(group): metadata.MEMBER}}}
            for group in rule.source_groups
        ]
        entry: dict[str, Any] = {"from": peers}
        ports = _ports(rule)
        if ports is not None:
            entry["ports"] = ports
        ingress.append(entry)
    return {
        "podSelector": {"matchLabels": {metadata.sg_label(spec.name): metadata.MEMBER}},
        "policyTypes": ["Ingress"],
        "ingress": ingress,
    }


class KubeSecurityGroups(SecurityGroups[KubernetesSecurityGroupSettings]):
    """The ``security_groups`` noun: NetworkPolicies in the account's namespaces."""

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube
        self.account = kube.account

    def _where(self, name: str) -> dict[str, str | None]:
        return {"provider": "kubernetes", "account": self.account, "resource": name}

    def _model(self, policy: Mapping[str, Any]) -> SecurityGroup:
        annotations = metadata.annotations_of(policy)
        return SecurityGroup(
            name=annotations[metadata.NAME],
            id=policy["metadata"]["uid"],
            account=self.account,
            region=policy["metadata"]["namespace"],
            description=annotations.get("cloudrig.io/description", ""),
            ingress=_RULES.validate_json(annotations.get(metadata.INGRESS, "[]")),
        )

    def _read(self, namespace: str, name: str) -> dict[str, Any]:
        policy = self.kube.call(
            self.kube.networking.read_namespaced_network_policy,
            resource_name(name),
            namespace,
            resource=name,
        )
        if metadata.annotations_of(policy).get(metadata.NAME) != name:
            raise NotFound(f"security group {name} not found in {namespace}", **self._where(name))
        return policy

    def upsert(
        self, spec: SecurityGroupSpec, settings: KubernetesSecurityGroupSettings
    ) -> SecurityGroup:
        namespace, name = spec.region, resource_name(spec.name)
        wanted = policy_spec(spec)
        annotations = {
            metadata.NAME: spec.name,
            "cloudrig.io/description": spec.description,
            metadata.INGRESS: _RULES.dump_json(spec.ingress).decode(),
        }
        body = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": name,
                "labels": {metadata.MANAGED_BY: metadata.MANAGER, SG_KIND: "security-group"},
                "annotations": annotations,
            },
            "spec": wanted,
        }
        try:
            return self._model(
                self.kube.raw(
                    self.kube.networking.create_namespaced_network_policy, namespace, body
                )
            )
        except ApiException as exc:
            if not is_already_exists(exc):
                raise map_error(
                    exc, "create_namespaced_network_policy", **self._where(spec.name)
                ) from exc
        policy = self.kube.call(
            self.kube.networking.read_namespaced_network_policy, name, namespace, resource=spec.name
        )
        current = metadata.annotations_of(policy)
        if current.get(metadata.NAME) != spec.name:
            raise Conflict(
                f"NetworkPolicy {namespace}/{name} exists and is not security group {spec.name}",
                **self._where(spec.name),
            )
        if any(current.get(k) != v for k, v in annotations.items()) or json.dumps(
            policy.get("spec"), sort_keys=True
        ) != json.dumps(wanted, sort_keys=True):
            policy = self.kube.call(
                self.kube.networking.patch_namespaced_network_policy,
                name,
                namespace,
                {"metadata": {"annotations": annotations}, "spec": wanted},
                _content_type="application/merge-patch+json",
                resource=spec.name,
            )
        return self._model(policy)

    def get(self, region: str, name: str) -> SecurityGroup:
        return self._model(self._read(region, name))

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        found: list[SecurityGroup] = []
        for namespace in self.kube.namespaces(region):
            policies = self.kube.call(
                self.kube.networking.list_namespaced_network_policy,
                namespace,
                label_selector=f"{metadata.MANAGED_BY}={metadata.MANAGER},{SG_KIND}=security-group",
            )["items"]
            found += [
                self._model(p) for p in policies if metadata.NAME in metadata.annotations_of(p)
            ]
        return sorted(found, key=lambda sg: (sg.region, sg.name))

    def delete(self, region: str, name: str) -> None:
        try:
            policy = self._read(region, name)
        except NotFound:
            return
        body = {"preconditions": {"uid": policy["metadata"]["uid"]}}
        try:
            self.kube.raw(
                self.kube.networking.delete_namespaced_network_policy,
                policy["metadata"]["name"],
                region,
                body=body,
            )
        except ApiException as exc:
            if not is_not_found(exc):
                raise map_error(exc, "delete_network_policy", **self._where(name)) from exc
