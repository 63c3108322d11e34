"""Security groups: firewall rules targeting a network tag the group's instances carry.

A security group ``web`` is the network tag ``sg-web`` (mapped like any name) on the instance
templates of the server groups that name it, plus firewall rules whose ``targetTags`` is that tag:

- an *anchor* rule named after the group (its GCE name): deny all ingress at priority 65535 —
  what GCE's implied rule already does, so it changes no traffic — which gives the group an
  identity (its id) and exists even when the group has no ingress rules;
- one allow rule per ingress rule, named ``<group>-<12 hex of the rule>``, so an upsert inserts
  the missing rules and deletes the extra ones and never edits one in place. One rule per ingress
  rule (rather than one firewall with every port and source) keeps GCE from allowing the cross
  product of all ports and all sources.

Each rule's ``description`` holds cloudrig's JSON (the original name, the region, the rule), so
reads are exact and need no name parsing. Source groups become ``sourceTags``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from cloudrig import IngressRule, NotFound, SecurityGroup, SecurityGroupSpec
from cloudrig.provider import SecurityGroups
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.naming import resource_name, security_group_tag
from cloudrig_gcp.settings import GcpSecurityGroupSettings
from cloudrig_gcp.transport import SERVICE

MARKER = "cloudrig/sg/v1"
_SNAPSHOT = "cloudrig-firewalls"


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def _facts(rule: Any) -> dict[str, Any] | None:
    try:
        body = json.loads(rule.description or "")
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("by") == MARKER else None


def rule_name(group: str, rule: IngressRule) -> str:
    digest = hashlib.sha256(
        json.dumps([group, rule.model_dump(mode="json")], sort_keys=True).encode()
    ).hexdigest()[:12]
    return f"{resource_name(group)[:50].rstrip('-')}-{digest}"


class GcpSecurityGroups(SecurityGroups[GcpSecurityGroupSettings]):
    """The ``security_groups`` noun: firewall rules on a network tag (see the module doc)."""

    def __init__(self, clients: ComputeClients) -> None:
        self.clients = clients

    def _key(self) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, "global", _SNAPSHOT)

    def _rules(self, *, fresh: bool = False) -> list[tuple[Any, dict[str, Any]]]:
        """cloudrig's firewall rules with their facts (one paged list, cached briefly)."""

        def load() -> list[tuple[Any, dict[str, Any]]]:
            rules = self.clients.collect(_compute().FirewallsClient, "list")
            return [(r, f) for r in rules if (f := _facts(r)) is not None]

        return self.clients.limiter.cache.get(self._key(), load, fresh=fresh)

    def _of(self, name: str, *, fresh: bool = False) -> list[tuple[Any, dict[str, Any]]]:
        return [(r, f) for r, f in self._rules(fresh=fresh) if f.get("name") == name]

    def _model(self, rules: list[tuple[Any, dict[str, Any]]]) -> SecurityGroup | None:
        anchor = next(((r, f) for r, f in rules if f.get("rule") is None), None)
        if anchor is None:
            return None
        rule, facts = anchor
        ingress = tuple(
            IngressRule.model_validate(f["rule"]) for _, f in rules if f.get("rule") is not None
        )
        return SecurityGroup(
            name=str(facts["name"]),
            id=str(rule.id),
            account=self.clients.account,
            region=str(facts.get("region", "")),
            description=str(facts.get("description", "")),
            ingress=ingress,
        )

    def _firewall(
        self, spec: SecurityGroupSpec, settings: GcpSecurityGroupSettings, rule: IngressRule | None
    ) -> Any:
        compute_v1 = _compute()
        network = settings.network
        if "/" not in network:
            network = f"projects/{self.clients.project}/global/networks/{network}"
        facts = {
            "by": MARKER,
            "name": spec.name,
            "region": spec.region,
            "description": spec.description,
            "rule": rule.model_dump(mode="json") if rule else None,
        }
        common: dict[str, Any] = {
            "description": json.dumps(facts, ensure_ascii=False, sort_keys=True),
            "network": network,
            "direction": "INGRESS",
            "target_tags": [security_group_tag(spec.name)],
        }
        if rule is None:
            return compute_v1.Firewall(
                name=resource_name(spec.name),
                priority=65535,
                denied=[compute_v1.Denied(I_p_protocol="all")],
                source_ranges=["0.0.0.0/0"],
                **common,
            )
        allowed = compute_v1.Allowed(I_p_protocol=str(rule.protocol))
        if str(rule.protocol) in ("tcp", "udp"):
            ports = str(rule.from_port)
            if rule.to_port != rule.from_port:
                ports = f"{rule.from_port}-{rule.to_port}"
            allowed.ports = [ports]
        firewall = compute_v1.Firewall(
            name=rule_name(spec.name, rule), priority=settings.priority, allowed=[allowed], **common
        )
        if rule.cidrs:
            firewall.source_ranges = list(rule.cidrs)
        if rule.source_groups:
            firewall.source_tags = [security_group_tag(g) for g in rule.source_groups]
        return firewall

    def upsert(self, spec: SecurityGroupSpec, settings: GcpSecurityGroupSettings) -> SecurityGroup:
        compute_v1 = _compute()
        wanted = [self._firewall(spec, settings, None)] + [
            self._firewall(spec, settings, rule) for rule in dict.fromkeys(spec.ingress)
        ]
        current = {r.name: r for r, _ in self._of(spec.name, fresh=True)}
        try:
            for firewall in wanted:
                existing = current.pop(firewall.name, None)
                if existing is not None and existing.description == firewall.description:
                    continue
                if existing is not None:  # the anchor's description changed: patch it
                    self.clients.mutate(
                        compute_v1.FirewallsClient,
                        "patch",
                        resource=firewall.name,
                        firewall=firewall.name,
                        firewall_resource=compute_v1.Firewall(description=firewall.description),
                    )
                    continue
                self.clients.mutate(
                    compute_v1.FirewallsClient,
                    "insert",
                    resource=firewall.name,
                    firewall_resource=firewall,
                )
            for extra in current:
                self._delete_rule(extra)
        finally:
            self.clients.limiter.cache.invalidate(self._key())
        return self.get(spec.region, spec.name, fresh=True)

    def _delete_rule(self, name: str) -> None:
        with contextlib.suppress(NotFound):
            self.clients.mutate(_compute().FirewallsClient, "delete", resource=name, firewall=name)

    def get(self, region: str, name: str, *, fresh: bool = False) -> SecurityGroup:
        rules = self._of(name, fresh=fresh)
        found = self._model(rules)
        if found is None:
            raise NotFound(
                f"security group {name!r} does not exist",
                provider="gcp",
                account=self.clients.account,
                resource=name,
            )
        return found

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        """cloudrig's groups whose spec named one of these regions (one list of firewalls)."""
        wanted = set(self.clients.regions(region))
        by_name: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
        for rule, facts in self._rules():
            if facts.get("region") in wanted:
                by_name.setdefault(str(facts["name"]), []).append((rule, facts))
        return [g for rules in by_name.values() if (g := self._model(rules)) is not None]

    def delete(self, region: str, name: str) -> None:
        try:
            rules = self._of(name, fresh=True)
            # Allow rules first, the anchor last: a crash in between leaves a findable group.
            for rule, _ in sorted(rules, key=lambda rf: rf[1].get("rule") is None):
                self._delete_rule(rule.name)
        finally:
            self.clients.limiter.cache.invalidate(self._key())
