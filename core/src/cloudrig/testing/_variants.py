"""Reference provider classes with other declared capabilities or naming, importable by name.

A descriptor names its implementation as ``"module:attribute"`` and the core imports it; so every
variant made by ``reference_plugin`` gets an attribute of this module, resolved on first use by the
module-level ``__getattr__`` (the provider module is imported only when an account is connected).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._naming_policy import NamingPolicy


@dataclass(frozen=True)
class Variant:
    provider_name: str
    capabilities: Capabilities
    naming: NamingPolicy
    base: type | None  # a ReferenceProvider subclass, or None for ReferenceProvider itself


_lock = threading.Lock()
_variants: dict[str, Variant] = {}
_classes: dict[str, type] = {}


def register(variant: Variant) -> str:
    """Remember a variant; return the ``module:attribute`` its descriptor names."""
    with _lock:
        ident = re.sub(r"\W", "_", variant.provider_name)
        attribute = f"v{len(_variants)}_{ident}"
        _variants[attribute] = variant
    return f"{__name__}:{attribute}"


def __getattr__(attribute: str) -> Any:
    with _lock:
        if attribute in _classes:
            return _classes[attribute]
        variant = _variants.get(attribute)
        if variant is None:
            raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
        from cloudrig.testing._provider import ReferenceProvider

        base = variant.base or ReferenceProvider
        cls = type(
            f"{base.__name__}_{attribute}",
            (base,),
            {
                "__module__": __name__,
                "__qualname__": attribute,
                "provider_name": variant.provider_name,
                "capabilities": variant.capabilities,
                "naming": variant.naming,
            },
        )
        _classes[attribute] = cls
        return cls
