"""Global firewall rules (``firewalls``): insert, get, list, patch, update, delete.

Validated like GCE: exactly one of ``allowed``/``denied``, CIDRs in ``sourceRanges``/
``destinationRanges``, priority 0..65535, and no ``sourceTags`` on EGRESS rules. Defaults filled
on insert: network ``global/networks/default``, direction INGRESS, priority 1000, and — for an
INGRESS rule without any source — ``sourceRanges: ["0.0.0.0/0"]``; ``ports`` entries are a port
or a ``low-high`` range within 0..65535, and only for tcp, udp, sctp. Rules are stored, not
enforced on traffic (there is none), but ``verdict`` answers what they would do to one ingress
packet, the way the VPC firewall rules overview describes: the matching rule of the lowest
priority number wins, deny beats allow at equal priority, and the implied rule denies the rest.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation
from .errors import invalid
from .store import Store, link, resolve, scope_path

_PORT_PROTOCOLS = ("tcp", "udp", "sctp")


def _valid_ports(spec: str) -> bool:
    low, _, high = spec.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return False
    return 0 <= int(low) <= int(high or low) <= 65535


def _covers(entry: Any, protocol: str, port: int) -> bool:
    if entry.I_p_protocol not in ("all", protocol):
        return False
    if not entry.ports:
        return True
    for spec in entry.ports:
        low, _, high = spec.partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


class Firewalls:
    def __init__(self, store: Store) -> None:
        self.store = store
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

        for kind in ("allowed", "denied"):
            for index, entry in enumerate(getattr(rule, kind)):
                for spec in entry.ports:
                    if entry.I_p_protocol not in _PORT_PROTOCOLS or not _valid_ports(spec):
                        raise invalid(
                            f"Invalid value for field 'resource.{kind}[{index}].ports': '{spec}'. "
                            "Ports are a number or a range 'low-high' in [0, 65535], for "
                            "tcp, udp and sctp only."
                        )

    def verdict(self, project: str, tags: list[str], source: str, protocol: str, port: int) -> str:
        """``allow`` or ``deny``: what the project's INGRESS rules do to one packet from
        ``source`` to a VM with network ``tags`` (source tags are not matched: no VM sends)."""
        address = ipaddress.ip_address(source)
        prefix = link(scope_path(project), "firewalls", "")
        matching: list[tuple[int, bool]] = []
        for rule in self.collection.store.in_scope(prefix, compute_v1.Firewall):
            if rule.direction != "INGRESS" or rule.disabled:
                continue
            if rule.target_tags and not set(rule.target_tags) & set(tags):
                continue
            if not any(address in ipaddress.ip_network(r) for r in rule.source_ranges):
                continue
            entries = rule.denied or rule.allowed
            if any(_covers(e, protocol, port) for e in entries):
                matching.append((rule.priority, bool(rule.denied)))
        if not matching:
            return "deny"  # the implied deny-ingress rule
        best = min(priority for priority, _ in matching)
        return "deny" if any(d for p, d in matching if p == best) else "allow"

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
