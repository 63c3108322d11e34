"""The create-time facts a server group carries in GCE: moniker, deployment id, load balancers,
security groups, artifact, user tags and how it joins backend services.

Regional MIGs carry no labels, and labels are too narrow for the original moniker (63 lowercase
characters of ``[a-z0-9_-]``), so the facts are written as JSON in the ``description`` of both the
instance template and the MIG (2048 characters), in the insert calls themselves; the template also
gets labels (``cloudrig-app``, ``cloudrig-deployment``: the names mapped like resource names) so
console users and label filters can find them. Nothing is ever written after create: a deployment
that crashed right after creating finds its group again by deployment id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudrig import InvalidSpec, Moniker
from cloudrig.provider import ServerGroupMetadata
from cloudrig_gcp.autoscalers import Policy
from cloudrig_gcp.backends import ServiceRef
from cloudrig_gcp.naming import NAMING

MARKER = "cloudrig/v1"
MAX_DESCRIPTION = 2048
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Facts:
    """Everything cloudrig stores on a server group at create."""

    metadata: ServerGroupMetadata
    load_balancers: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    artifact: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    balancing_mode: str = "UTILIZATION"
    max_rate_per_instance: float = 100.0
    regional_load_balancers: tuple[str, ...] = ()
    """The load balancers whose backend service is regional (in the group's region)."""
    autoscaling: Policy | None = None
    """The autoscaling policy the group was created with (restored when it is enabled)."""

    def description(self) -> str:
        m = self.metadata.moniker
        body = {
            "by": MARKER,
            "app": m.app,
            "stack": m.stack,
            "detail": m.detail,
            "sequence": m.sequence,
            "deployment_id": self.metadata.deployment_id,
            "load_balancers": list(self.load_balancers),
            "security_groups": list(self.security_groups),
            "artifact": self.artifact,
            "tags": dict(self.tags),
            "balancing": [self.balancing_mode, self.max_rate_per_instance],
        }
        if self.regional_load_balancers:
            body["regional"] = list(self.regional_load_balancers)
        if self.autoscaling is not None:
            body["autoscaling"] = self.autoscaling.to_json()
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if len(text) > MAX_DESCRIPTION:
            raise InvalidSpec(
                f"the server group's facts take {len(text)} characters; GCE descriptions take "
                f"{MAX_DESCRIPTION} (shorten the moniker, tags or load balancer names)",
                provider="gcp",
            )
        return text

    def services(self, region: str) -> dict[str, ServiceRef]:
        """{load balancer: where its backend service is} for a group in ``region``."""
        return {
            lb: ServiceRef.of(lb, self.regional_load_balancers, region)
            for lb in self.load_balancers
        }

    def labels(self) -> dict[str, str]:
        """Template labels: cloudrig's (mapped values) plus the user's tags that are valid labels."""
        reserved = sorted(k for k in self.tags if k.startswith("cloudrig"))
        if reserved:
            raise InvalidSpec(f"tags {', '.join(reserved)}: 'cloudrig' is reserved", provider="gcp")
        labels = {k: v for k, v in self.tags.items() if _valid_label(k, v)}
        labels["cloudrig-app"] = label_value(self.metadata.moniker.app)
        if self.metadata.deployment_id:
            labels["cloudrig-deployment"] = label_value(self.metadata.deployment_id)
        return labels


def _valid_label(key: str, value: str) -> bool:
    return bool(_LABEL_KEY.match(key) and _LABEL_VALUE.match(value))


def label_value(text: str) -> str:
    """A label value for any text: kept when valid, else mapped and hashed like names."""
    return text if _LABEL_VALUE.match(text) and text else NAMING.resource_name(text or "-")


def parse(description: str) -> Facts | None:
    """The facts stored at create, or ``None`` for a resource cloudrig did not create."""
    try:
        body: Any = json.loads(description or "")
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("by") != MARKER:
        return None
    moniker = Moniker(
        app=body["app"],
        stack=body.get("stack", ""),
        detail=body.get("detail", ""),
        sequence=body.get("sequence"),
    )
    return Facts(
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id=body.get("deployment_id")),
        load_balancers=tuple(body.get("load_balancers", ())),
        security_groups=tuple(body.get("security_groups", ())),
        artifact=body.get("artifact"),
        tags=dict(body.get("tags", {})),
        balancing_mode=str(body.get("balancing", ["UTILIZATION"])[0]),
        max_rate_per_instance=float(body.get("balancing", ["", 100.0])[1]),
        regional_load_balancers=tuple(body.get("regional", ())),
        autoscaling=Policy.from_json(body.get("autoscaling")),
    )
