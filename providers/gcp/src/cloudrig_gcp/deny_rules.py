"""Disabling a server group without load balancers: a deny ingress firewall rule on its network
tag, read back from GCE so "disabled" means "receives no traffic" like everywhere else.

The rule (priority 0, so no allow rule of the user's overrides it) leaves two things alone, so a
disabled group stays reachable by its operators and alive: SSH (tcp:22, from wherever the user's
own rules allow it, IAP's TCP forwarding included) and Google's health-check probers
(``HEALTH_CHECK_RANGES``: an autohealing health check that failed would recreate every instance).
It denies every other tcp port, udp, icmp, sctp, esp and ah from every address outside the
probers' ranges (their complement: 58 CIDR ranges). Enable deletes it; destroy too.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

from cloudrig import NotFound
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.naming import disable_rule_name, group_tag
from cloudrig_gcp.transport import SERVICE

HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22")
"""Where Google's health-check probes come from (the load-balancing health-check firewall rules:
the first two for every health check, the last two for legacy network load balancer checks)."""
SSH_PORT = 22
DISABLE_MARK = "cloudrig: server group"
_SNAPSHOT = "cloudrig-disable-rules"


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def outside_probers() -> list[str]:
    """Every IPv4 address but Google's health-check probers', as CIDR ranges."""
    ranges = [ipaddress.IPv4Network("0.0.0.0/0")]
    for prober in map(ipaddress.IPv4Network, HEALTH_CHECK_RANGES):
        ranges = [
            part
            for net in ranges
            for part in (net.address_exclude(prober) if prober.subnet_of(net) else [net])
        ]
    return [str(n) for n in sorted(ranges)]


class DenyRules:
    def __init__(self, clients: ComputeClients) -> None:
        self.clients = clients

    def _key(self) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, "global", _SNAPSHOT)

    def names(self, *, fresh: bool = False) -> set[str]:
        """Names of cloudrig's deny rules (one paged list of firewalls, cached briefly)."""

        def load() -> set[str]:
            rules = self.clients.collect(_compute().FirewallsClient, "list")
            return {r.name for r in rules if r.description.startswith(DISABLE_MARK)}

        return self.clients.limiter.cache.get(self._key(), load, fresh=fresh)

    def set(self, group: str, enabled: bool) -> None:
        """No rule for an enabled group, the rule for a disabled one (read fresh first)."""
        rule = disable_rule_name(group)
        present = rule in self.names(fresh=True)
        try:
            if enabled and present:
                with contextlib.suppress(NotFound):
                    self.clients.mutate(
                        _compute().FirewallsClient, "delete", resource=rule, firewall=rule
                    )
            elif not enabled and not present:
                self._insert(rule, group)
        finally:
            self.clients.limiter.cache.invalidate(self._key())

    def _insert(self, rule: str, group: str) -> None:
        compute_v1 = _compute()
        tcp = [f"0-{SSH_PORT - 1}", f"{SSH_PORT + 1}-65535"]  # every tcp port but SSH's
        firewall = compute_v1.Firewall(
            name=rule,
            description=f"{DISABLE_MARK} {group} is disabled (no traffic but SSH and probes)",
            direction="INGRESS",
            priority=0,
            denied=[compute_v1.Denied(I_p_protocol="tcp", ports=tcp)]
            + [compute_v1.Denied(I_p_protocol=p) for p in ("udp", "icmp", "sctp", "esp", "ah")],
            source_ranges=outside_probers(),
            target_tags=[group_tag(group)],
        )
        self.clients.mutate(
            compute_v1.FirewallsClient, "insert", resource=rule, firewall_resource=firewall
        )
