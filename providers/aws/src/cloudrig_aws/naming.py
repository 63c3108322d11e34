"""How cloudrig names map to AWS names (docs/architecture.md §7), declared once.

- Server group: the Auto Scaling group AND its launch template carry the same name, so the
  limit is the tighter of the two: ASG names take 255 characters, launch template names 128 of
  ``[a-zA-Z0-9().-/_]``. Server group names use ``a-zA-Z0-9._`` (plus ``-`` as the separator), at
  most 128 characters.
- Load balancers and target groups: 32 characters of ``a-zA-Z0-9`` and ``-``, not starting or
  ending with ``-``; both carry the load balancer's (mapped) name.
- Security groups: 255 characters; cloudrig uses the same mapping as server groups.

A name that fits is kept as it is (``checkout-prod-v003``); anything else is folded to ASCII,
stripped and suffixed with a 65-bit hash of the original, so two monikers never share a name. The
original moniker travels in tags (``metadata``), so nothing depends on parsing names back.
"""

from __future__ import annotations

from cloudrig.provider import NamingPolicy

NAMING = NamingPolicy(max_length=128, allowed="a-zA-Z0-9._")
"""Server groups (Auto Scaling group + launch template)."""

LB_NAMING = NamingPolicy(max_length=32, allowed="a-zA-Z0-9", must_start_with_letter=True)
"""Load balancers and their target groups."""


def load_balancer_name(name: str) -> str:
    """The AWS name of a load balancer (and of its shared target group)."""
    return LB_NAMING.resource_name(name)


def weight_target_group_name(server_group: str, load_balancer: str) -> str:
    """The per-version target group of a server group behind one load balancer, created when
    traffic is split by weight (a target group serves one load balancer, so a group behind two
    gets two).

    Always hashed (``w-`` + the hash of both names) so it never collides with a load balancer's
    own target group, whatever the group is called."""
    return LB_NAMING.resource_name(f"w-{server_group}-{load_balancer}-\u2696", max_length=32)


def security_group_name(name: str) -> str:
    return NAMING.resource_name(name)
