"""RBAC for the test users: the API server authorizes with RBAC, as production clusters do.

- ``cloudrig-test`` (group ``cloudrig``) is bound to the built-in ``cluster-admin`` ClusterRole:
  the code under test and the infrastructure tests may do anything, so their counts and behaviour
  do not depend on a role's contents.
- ``cloudrig-limited`` is bound to nothing; a test grants it a namespaced Role with
  :func:`grant_role` and sees the 403s (and SelfSubjectAccessReview answers) a limited identity meets.
- The admin is in ``system:masters`` (allowed everything, never checked against RBAC).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubernetes import client

TEST_GROUP = "cloudrig"


def bind_test_group(api_client: client.ApiClient) -> None:
    """Bind the test users' group to ``cluster-admin`` (idempotent)."""
    body = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "cloudrig-test-admin"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": TEST_GROUP}
        ],
    }
    try:
        client.RbacAuthorizationV1Api(api_client).create_cluster_role_binding(body)
    except client.ApiException as exc:
        if exc.status != 409:
            raise


def grant_role(
    api_client: client.ApiClient,
    namespace: str,
    user: str,
    rules: Sequence[dict[str, Any]],
    *,
    name: str = "cloudrig-limited",
) -> None:
    """Create a Role with ``rules`` (RBAC ``PolicyRule`` dicts) in ``namespace``, bound to ``user``."""
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role(
        namespace,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name},
            "rules": list(rules),
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        },
    )
