"""How cloudrig names map to GCE names (docs/architecture.md §7), declared once.

GCE resource names (instance templates, managed instance groups, backend services, health checks,
firewalls) must match ``[a-z]([-a-z0-9]*[a-z0-9])?`` and take at most 63 characters. A name that
fits is kept as it is (``checkout-prod-v003``); anything else is folded to ASCII, lowercased,
stripped and suffixed with a 65-bit hash of the original. Labels are narrower still (63 lowercase
characters, no dots), so the original moniker travels in descriptions (``metadata``).
"""

from __future__ import annotations

from cloudrig.provider import NamingPolicy

NAMING = NamingPolicy(max_length=63, allowed="a-z0-9", lowercase=True, must_start_with_letter=True)
"""Server groups (regional MIG + regional instance template of the same name)."""


def resource_name(name: str) -> str:
    """The GCE name of a load balancer (backend service and health check) or security group."""
    return NAMING.resource_name(name)


def group_tag(server_group: str) -> str:
    """The network tag every instance of a server group carries (its own name: unique, valid)."""
    return server_group


def security_group_tag(name: str) -> str:
    """The network tag that a security group's firewall rules target: ``sg-`` + its GCE name."""
    return NAMING.resource_name(f"sg-{name}")


def disable_rule_name(server_group: str) -> str:
    """The deny-ingress firewall rule that takes a group without load balancers out of traffic."""
    return NAMING.resource_name(f"{server_group}-off-\u2205")
