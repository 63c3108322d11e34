"""The labels and annotations cloudrig writes, and reading the create-time facts back.

Labels (selectable, at most 63 characters of ``[a-z0-9A-Z._-]``) carry what queries select on;
annotations (any text) carry the exact originals, so identity never depends on parsing names:

===================================  =========  ============================================
key                                  where      value
===================================  =========  ============================================
``app.kubernetes.io/managed-by``     RS, pods,  ``cloudrig`` (lists select on it)
                                     Service,
                                     policy
``cloudrig.io/app``                  RS, pods   the app, mapped (``naming.app_label``)
``cloudrig.io/cluster``              RS, pods   the cluster, mapped
``cloudrig.io/server-group``         RS, pods   the group's name: the ReplicaSet's selector
``cloudrig.io/traffic``              pods       ``enabled`` while in traffic (disable drops it)
``lb.cloudrig.io/<service>``         pods       ``member``: a Service selects its groups' pods
``sg.cloudrig.io/<policy>``          pods       ``member``: a NetworkPolicy applies to them
``cloudrig.io/moniker``              RS, pods   the original moniker (JSON)
``cloudrig.io/deployment-id``        RS, pods   the deployment id
``cloudrig.io/capacity``             RS         ``{"min": .., "max": ..}`` (replicas = desired)
``cloudrig.io/load-balancers``       RS         the spec's load balancer names (JSON list)
``cloudrig.io/security-groups``      RS         the spec's security group names (JSON list)
``cloudrig.io/artifact``             RS         the spec's artifact (the image)
``cloudrig.io/tags``                 RS         the spec's tags (JSON)
``cloudrig.io/name``                 Service,   the user's name of the load balancer or
                                     policy     security group
``cloudrig.io/ingress``              policy     the security group's rules (JSON)
===================================  =========  ============================================

All of them are written in the create call itself (docs/architecture.md §6), so a crashed run is found by its
deployment id even when it died right after creating.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudrig import Capacity, Moniker
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_kubernetes.naming import NAMING, app_label, resource_name
from cloudrig_kubernetes.settings import KubernetesServerGroupSettings

MANAGED_BY, MANAGER = "app.kubernetes.io/managed-by", "cloudrig"
APP = "cloudrig.io/app"
CLUSTER = "cloudrig.io/cluster"
SERVER_GROUP = "cloudrig.io/server-group"
TRAFFIC, TRAFFIC_ON = "cloudrig.io/traffic", "enabled"
LB_PREFIX, SG_PREFIX, MEMBER = "lb.cloudrig.io/", "sg.cloudrig.io/", "member"

MONIKER = "cloudrig.io/moniker"
DEPLOYMENT_ID = "cloudrig.io/deployment-id"
CAPACITY = "cloudrig.io/capacity"
LOAD_BALANCERS = "cloudrig.io/load-balancers"
SECURITY_GROUPS = "cloudrig.io/security-groups"
ARTIFACT = "cloudrig.io/artifact"
TAGS = "cloudrig.io/tags"
NAME = "cloudrig.io/name"
INGRESS = "cloudrig.io/ingress"


def lb_label(load_balancer: str) -> str:
    return LB_PREFIX + resource_name(load_balancer)


def sg_label(security_group: str) -> str:
    return SG_PREFIX + resource_name(security_group)


def app_selector(app: str) -> str:
    return f"{MANAGED_BY}={MANAGER},{APP}={app_label(app)}"


def group_selector(name: str) -> str:
    return f"{SERVER_GROUP}={name}"


def group_labels(request: CreateServerGroup[KubernetesServerGroupSettings]) -> dict[str, str]:
    """Labels of the ReplicaSet itself (and, with the traffic ones, of its pods)."""
    moniker = request.metadata.moniker
    return {
        MANAGED_BY: MANAGER,
        APP: app_label(moniker.app),
        CLUSTER: NAMING.cluster_name(moniker),
        SERVER_GROUP: request.name,
    }


def pod_labels(request: CreateServerGroup[KubernetesServerGroupSettings]) -> dict[str, str]:
    """The pod template's labels: identity, traffic, load balancer and security group members."""
    labels = group_labels(request) | {TRAFFIC: TRAFFIC_ON}
    labels |= {lb_label(lb): MEMBER for lb in request.spec.load_balancers}
    labels |= {sg_label(sg): MEMBER for sg in request.spec.security_groups}
    return labels


def identity_annotations(metadata: ServerGroupMetadata) -> dict[str, str]:
    values = {MONIKER: metadata.moniker.model_dump_json()}
    if metadata.deployment_id is not None:
        values[DEPLOYMENT_ID] = metadata.deployment_id
    return values


def group_annotations(request: CreateServerGroup[KubernetesServerGroupSettings]) -> dict[str, str]:
    spec = request.spec
    return identity_annotations(request.metadata) | {
        CAPACITY: json.dumps({"min": spec.capacity.min, "max": spec.capacity.max}),
        LOAD_BALANCERS: json.dumps(list(spec.load_balancers)),
        SECURITY_GROUPS: json.dumps(list(spec.security_groups)),
        ARTIFACT: spec.artifact,
        TAGS: json.dumps(dict(spec.tags), sort_keys=True),
    }


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def is_ours(obj: Mapping[str, Any]) -> bool:
    return labels_of(obj).get(MANAGED_BY) == MANAGER and MONIKER in annotations_of(obj)


def read_metadata(obj: Mapping[str, Any]) -> ServerGroupMetadata:
    """The moniker and deployment id written at create time (``is_ours`` must hold)."""
    annotations = annotations_of(obj)
    return ServerGroupMetadata(
        moniker=Moniker.model_validate_json(annotations[MONIKER]),
        deployment_id=annotations.get(DEPLOYMENT_ID),
    )


def read_capacity(obj: Mapping[str, Any]) -> Capacity:
    """min/max from the annotation, desired from ``spec.replicas`` (widened when someone scaled
    the ReplicaSet outside cloudrig, so the model's min <= desired <= max still holds)."""
    desired = int((obj.get("spec") or {}).get("replicas") or 0)
    try:
        bounds = json.loads(annotations_of(obj).get(CAPACITY, "{}"))
    except ValueError:
        bounds = {}
    low, high = int(bounds.get("min", desired)), int(bounds.get("max", desired))
    return Capacity(min=min(low, desired), desired=desired, max=max(high, desired))


def json_list(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    try:
        return tuple(json.loads(annotations_of(obj).get(key, "[]")))
    except ValueError:
        return ()
