"""How cloudrig names map to ECS names (docs/architecture.md §7).

A server group is an ECS service and a task definition family of the same name: both take 255
letters, digits, hyphens and underscores. Load balancers and their target groups take 32
characters of letters, digits and hyphens, starting with a letter; each server group has its own target
group behind each of its load balancers, always hashed (``w-`` + the hash of the group's name) so
it never collides with a load balancer's own target group.
"""

from __future__ import annotations

from cloudrig.provider import NamingPolicy

NAMING = NamingPolicy(max_length=255, allowed="a-zA-Z0-9_")
"""Server groups (service + task definition family)."""

LB_NAMING = NamingPolicy(max_length=32, allowed="a-zA-Z0-9", must_start_with_letter=True)
"""Load balancers and target groups."""


def load_balancer_name(name: str) -> str:
    return LB_NAMING.resource_name(name)


def version_target_group_name(server_group: str, load_balancer: str | None = None) -> str:
    """The group's target group behind a load balancer: one per load balancer (ELB attaches a
    target group to one load balancer). The first load balancer of the spec (``None``) keeps
    the name every group had before groups stood behind several."""
    if load_balancer is None:
        return LB_NAMING.resource_name(f"w-{server_group}-\u2696", max_length=32)
    return LB_NAMING.resource_name(f"w-{server_group}-{load_balancer}-\u2696", max_length=32)
