"""Global firewall rules (``firewalls``): insert, get, list, patch, update, delete.

Validated like GCE: exactly one of ``allowed``/``denied``, CIDRs in ``sourceRanges``/
``destinationRanges``, priority 0..65535, and no ``sourceTags`` on EGRESS rules. Defaults filled
on insert: network ``global/networks/default``, direction INGRESS, priority 1000, and — for an
INGRESS rule without any source — ``sourceRanges: ["0.0.0.0/0"]``. Rules are stored, not
enforced (there is no traffic to filter).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation
from .errors import invalid
from .store import Store, resolve


class Firewalls:
    def __init__(self, store: Store) -> None:
        self.collection = Collection(
            store,
            collection="firewalls",
            message=compute_v1.Firewall,
            list_message=compute_v1.FirewallList,
            kind="compute#firewall",
            name_field="firewall",
            body_field="firewall_resource",
            regional=False,
        )

    @staticmethod
    def _validate(project: str, rule: compute_v1.Firewall) -> None:
        if bool(rule.allowed) == bool(rule.denied):
            raise invalid(
                "Invalid value for field 'resource': exactly one of 'allowed' or 'denied' must be specified."
            )
        rule.network = resolve(rule.network or "global/networks/default", project)
        rule.direction = rule.direction or "INGRESS"
        if rule.direction not in ("INGRESS", "EGRESS"):
            raise invalid(f"Invalid value for field 'resource.direction': '{rule.direction}'.")
        if "priority" not in rule:
            rule.priority = 1000
        if not 0 <= rule.priority <= 65535:
            raise invalid(
                f"Invalid value for field 'resource.priority': '{rule.priority}'. Must be in [0, 65535]."
            )
        for field in ("source_ranges", "destination_ranges"):
            for cidr in getattr(rule, field):
                try:
                    ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    raise invalid(
                        f"Invalid value for field 'resource.{field}': '{cidr}'. Must be a CIDR range."
                    ) from None
        if rule.direction == "EGRESS" and rule.source_tags:
            raise invalid(
                "Invalid value for field 'resource.sourceTags': source tags cannot be set on EGRESS rules."
            )
        if rule.direction == "INGRESS" and not (
            rule.source_ranges or rule.source_tags or rule.source_service_accounts
        ):
            rule.source_ranges = ["0.0.0.0/0"]

    def insert(self, request: Any, keys: set[str]) -> Mutation:
        rule = self.collection.body(request)
        self._validate(request.project, rule)
        return self.collection.insert(request, rule)

    def replace(self, request: Any, keys: set[str], *, patch: bool) -> Mutation:
        return self.collection.replace(
            request,
            keys,
            patch=patch,
            validate=lambda old, new: self._validate(request.project, new),
        )

    def handlers(self) -> dict[str, Any]:
        c = self.collection
        return {
            "firewalls.insert": self.insert,
            "firewalls.get": lambda req, keys: c.get(req),
            "firewalls.list": lambda req, keys: c.list(req),
            "firewalls.patch": lambda req, keys: self.replace(req, keys, patch=True),
            "firewalls.update": lambda req, keys: self.replace(req, keys, patch=False),
            "firewalls.delete": lambda req, keys: c.delete(req),
        }
