"""How cloudrig names map to Lambda names (docs/architecture.md §7).

A cluster is one function; its server groups are the function's published versions, named
``<function>-vNNN`` by cloudrig (Lambda numbers versions itself: 1, 2, 3…, so the cloudrig name
travels in the version's description, see ``metadata``). Function names take 64 characters of
letters, digits, hyphens and underscores; the policy keeps the full server group name within 64,
so the function name (the name without ``-vNNN``) is at most 59. Anything else is folded to
ASCII and suffixed with a 65-bit hash of the original moniker.

Target groups (the load balancers in front of an alias) follow ELB's rules: 32 characters of
letters, digits and hyphens, starting with a letter.
"""

from __future__ import annotations

import re

from cloudrig import InvalidSpec
from cloudrig.provider import NamingPolicy

NAMING = NamingPolicy(max_length=64, allowed="a-zA-Z0-9_")
"""Server groups (``<function>-vNNN``) and the functions (clusters) they belong to."""

LB_NAMING = NamingPolicy(max_length=32, allowed="a-zA-Z0-9", must_start_with_letter=True)
"""Target groups of type ``lambda`` (the load balancers)."""

_VERSION_SUFFIX = re.compile(r"^(?P<function>.+)-v\d{3}$")


def function_name(server_group: str) -> str:
    """The function a server group name belongs to.

    The only part of a name ever read back is the ``-vNNN`` suffix the naming policy itself
    appends; the group's identity (moniker, deployment id) comes from the version description."""
    match = _VERSION_SUFFIX.match(server_group)
    if match is None or len(server_group) > NAMING.max_length:
        raise InvalidSpec(f"{server_group!r} is not a Lambda server group name (<function>-vNNN)")
    return match["function"]


def target_group_name(load_balancer: str) -> str:
    return LB_NAMING.resource_name(load_balancer)
