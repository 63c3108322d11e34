"""The provider contract's version and the rule for which providers a core can run.

Apart from the contract itself (``_contract``), so that listing providers and checking their
versions (``cloudrig providers``) import neither the contract's models nor the rate limiter.
"""

from __future__ import annotations

CONTRACT_VERSION = "2.0"
"""MAJOR.MINOR. A provider written for X.Y works with a core implementing X.Z where Z >= Y.
2.0: operations grouped into nouns a provider composes; settings as type parameters."""


def contract_compatible(provider_version: str, core_version: str = CONTRACT_VERSION) -> bool:
    """Whether a provider written for ``provider_version`` runs on a core implementing
    ``core_version``: the same major version and a minor version no newer than the core's."""
    try:
        p_major, p_minor = (int(x) for x in provider_version.split("."))
        c_major, c_minor = (int(x) for x in core_version.split("."))
    except ValueError:
        return False
    return p_major == c_major and p_minor <= c_minor
