"""Every RBAC permission the provider uses, declared once, and ``check``'s review of them.

``check`` asks the API server, per configured namespace, one SelfSubjectAccessReview for each verb
on each resource below: the server's own authorizer answers for the credentials in use (RBAC, a
webhook, whatever the cluster runs), so what ``doctor`` reports is what a deployment would meet.
Missing required permissions raise ``PermissionDenied`` naming each namespace, resource and verb;
missing optional ones (only used by a server group's ``autoscaling`` or ``disruption_budget``
settings) are named in the check's detail. The README's Role is this list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes import client

from cloudrig import CheckResult, PermissionDenied
from cloudrig_kubernetes.clients import KubeClient


@dataclass(frozen=True)
class Permission:
    group: str  # "" is the core group
    resource: str
    verbs: tuple[str, ...]
    used_for: str
    optional: bool = False

    @property
    def label(self) -> str:
        return f"{self.group or 'core'}/{self.resource}"


PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "apps", "replicasets", ("get", "list", "create", "patch", "delete"), "server groups"
    ),
    Permission("", "pods", ("list", "watch", "patch"), "health, the wait, enable/disable"),
    Permission("", "services", ("get", "list", "create", "patch", "delete"), "load balancers"),
    Permission(
        "networking.k8s.io",
        "networkpolicies",
        ("get", "list", "create", "patch", "delete"),
        "security groups",
    ),
    Permission(
        "autoscaling",
        "horizontalpodautoscalers",
        ("get", "create", "patch"),
        "the autoscaling setting",
        optional=True,
    ),
    Permission(
        "policy",
        "poddisruptionbudgets",
        ("get", "create", "patch"),
        "the disruption_budget setting",
        optional=True,
    ),
)


def _review(namespace: str, permission: Permission, verb: str) -> dict[str, Any]:
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {
            "resourceAttributes": {
                "namespace": namespace,
                "group": permission.group,
                "resource": permission.resource,
                "verb": verb,
            }
        },
    }


def missing(kube: KubeClient, namespace: str) -> list[tuple[Permission, list[str]]]:
    """The permissions of ``PERMISSIONS`` denied in ``namespace``, with their denied verbs."""
    api = client.AuthorizationV1Api(kube.api_client)
    found: list[tuple[Permission, list[str]]] = []
    for permission in PERMISSIONS:
        denied = []
        for verb in permission.verbs:
            answer = kube.call(
                api.create_self_subject_access_review, _review(namespace, permission, verb)
            )
            if not (answer.get("status") or {}).get("allowed"):
                denied.append(verb)
        if denied:
            found.append((permission, denied))
    return found


def _describe(namespace: str, denied: list[tuple[Permission, list[str]]]) -> str:
    parts = [f"{p.label} {', '.join(verbs)} ({p.used_for})" for p, verbs in denied]
    return f"namespace {namespace}: " + "; ".join(parts)


def check(kube: KubeClient, identity: str) -> CheckResult:
    """Review every permission in every namespace of the account (see the module docstring)."""
    required: list[str] = []
    optional: list[str] = []
    for namespace in kube.settings.namespaces:
        denied = missing(kube, namespace)
        must = [(p, v) for p, v in denied if not p.optional]
        may = [(p, v) for p, v in denied if p.optional]
        if must:
            required.append(_describe(namespace, must))
        if may:
            optional.append(_describe(namespace, may))
    if required:
        raise PermissionDenied(
            "missing RBAC permissions: " + " | ".join(required),
            provider="kubernetes",
            account=kube.account,
        )
    detail = f"namespaces: {', '.join(kube.settings.namespaces)}; every required permission granted"
    if optional:
        detail += "; optional permissions missing: " + " | ".join(optional)
    return CheckResult(identity=identity, detail=detail)
