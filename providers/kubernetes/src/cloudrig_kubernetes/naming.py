"""How cloudrig names map to Kubernetes names and label values (docs/architecture.md §7), declared once.

- Server groups (ReplicaSets), Services and NetworkPolicies: DNS-1035 labels — at most 63
  characters of ``a-z0-9`` and ``-``, starting with a letter. The limit is the label value's: the
  group's name is also the value of its ``cloudrig.io/server-group`` selector label, and a
  Service's name is part of the ``lb.cloudrig.io/<name>`` label key (63 characters at most).
- Label values that carry the app (``cloudrig.io/app``) use the same mapping, so a list by app is
  one label-selector query; the exact original moniker is in an annotation (no length limit) and
  is compared after the query, so a hash collision can never list a foreign group.

A name that fits is kept (``checkout-prod-v003``); anything else is folded, stripped and
suffixed with a 65-bit hash of the original.
"""

from __future__ import annotations

from cloudrig.provider import NamingPolicy

NAMING = NamingPolicy(max_length=63, allowed="a-z0-9", lowercase=True, must_start_with_letter=True)
"""Server groups (ReplicaSets), Services, NetworkPolicies."""


def resource_name(name: str) -> str:
    """The Kubernetes name of a load balancer or security group given by the user."""
    return NAMING.resource_name(name)


def app_label(app: str) -> str:
    """The label value that selects every group of an app (the app alone, mapped)."""
    return NAMING.resource_name(app)
