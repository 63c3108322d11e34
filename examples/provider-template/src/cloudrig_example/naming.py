"""How cloudrig names map to example cloud names (docs/architecture.md §7), declared once.

The example cloud accepts names matching ``^[a-z][a-z0-9-]{0,47}$``. A moniker whose Frigga name
already fits keeps it (``checkout-prod-v003``); anything else — capitals, other scripts, spaces,
``_``, too long — is folded to ASCII, lowercased, stripped of other characters and suffixed with a
65-bit hash of the original, so two monikers never share a name. The original moniker is stored in
tags (see ``metadata``), so nothing ever depends on parsing a name back.

Load balancer and security group names are mapped the same way (``resource_name``); mapping is
idempotent, so callers may pass either the name they chose or the cloud name.
"""

from __future__ import annotations

from cloudrig.provider import NamingPolicy

NAMING = NamingPolicy(max_length=48, allowed="a-z0-9", lowercase=True, must_start_with_letter=True)


def cloud_name(name: str) -> str:
    """The cloud name of a load balancer or security group."""
    return NAMING.resource_name(name)
