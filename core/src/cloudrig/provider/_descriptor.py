"""Provider descriptors: what a plugin says about a provider without importing its cloud SDK.

Listing providers builds every installed provider's descriptor, so a descriptor is plain Python
checked by hand rather than a pydantic model, and whatever needs pydantic — the settings models and
the naming policy — may be named as ``"module:attribute"`` and imported on first use (connecting an
account, validating a configuration, ``doctor``). With that, listing imports neither pydantic nor
any cloud SDK and costs less than Libcloud's ``get_driver`` (``benchmarks/discovery``). Classes and
policy objects are accepted as well; a reference that does not resolve to the right kind of object
raises ``PluginError`` naming the provider, the field and the reference.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

# The annotations name the settings and naming types through the package, whose exports load on
# first use: typing.get_type_hints resolves them (importing pydantic then), listing never does.
import cloudrig.provider as provider
from cloudrig._errors import PluginError
from cloudrig.provider._capabilities import Capabilities

_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_VERSION = re.compile(r"\d+\.\d+")
_REFERENCE = re.compile(r"[\w.]+:[\w.]+")
_NO_SETTINGS: Final = "cloudrig.provider._settings:NoSettings"

# field -> (the kind of object it names, in cloudrig.provider; whether it is a class to subclass)
_KINDS: Final = {
    "naming": ("NamingPolicy", False),
    "account_settings": ("AccountSettings", True),
    "spec_settings": ("ProviderSettings", True),
    "load_balancer_settings": ("ProviderSettings", True),
    "security_group_settings": ("ProviderSettings", True),
}


def import_reference(reference: str) -> Any:
    """The object a ``"package.module:Attribute.path"`` reference names, imported."""
    module_name, _, attr = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class ProviderDescriptor:
    """A provider as listed: cheap to build, so listing providers imports no cloud SDK.

    ``implementation`` is always a ``"module:Class"`` reference, imported when an account is
    connected. ``naming`` and the four settings models may be given as objects or as references;
    reading the attribute returns the object, imported once.

    ``known_limits`` are the cloud's documented API limits, each the fields of a
    ``cloudrig.ratelimit.Rule`` as plain data (``{"cloud": "mycloud", "service": "compute",
    "call_class": "mutate", "rate": 5, "burst": 10}``; ``cloud`` is required). They join the configuration's ``limits.rules`` for every rig with an
    account on this provider, after the user's own rules: a user's rule as specific as a known one
    wins. They are validated when a rig is connected (``PluginError`` naming the provider).
    """

    __slots__ = (
        "_given",
        "_resolved",
        "capabilities",
        "contract_version",
        "description",
        "implementation",
        "known_limits",
        "name",
    )

    name: str
    contract_version: str
    description: str
    capabilities: Capabilities
    implementation: str
    known_limits: tuple[Mapping[str, object], ...]
    _given: dict[str, object]
    _resolved: dict[str, object]

    def __init__(
        self,
        *,
        name: str,
        contract_version: str,
        capabilities: Capabilities,
        naming: provider.NamingPolicy | str,
        account_settings: type[provider.AccountSettings] | str,
        implementation: str,
        description: str = "",
        spec_settings: type[provider.ProviderSettings] | str = _NO_SETTINGS,
        load_balancer_settings: type[provider.ProviderSettings] | str = _NO_SETTINGS,
        security_group_settings: type[provider.ProviderSettings] | str = _NO_SETTINGS,
        known_limits: Sequence[Mapping[str, object]] = (),
    ) -> None:
        given: dict[str, object] = {
            "naming": naming,
            "account_settings": account_settings,
            "spec_settings": spec_settings,
            "load_balancer_settings": load_balancer_settings,
            "security_group_settings": security_group_settings,
        }
        problems: list[str] = []
        if not (isinstance(name, str) and _NAME.fullmatch(name)):
            problems.append(f"name {name!r} must match {_NAME.pattern}")
        if not (isinstance(contract_version, str) and _VERSION.fullmatch(contract_version)):
            problems.append(f"contract_version {contract_version!r} must be 'MAJOR.MINOR'")
        if not isinstance(description, str):
            problems.append("description must be a string")
        if not isinstance(capabilities, Capabilities):
            problems.append(f"capabilities must be Capabilities, not {type(capabilities).__name__}")
        if not (isinstance(implementation, str) and _REFERENCE.fullmatch(implementation)):
            problems.append("implementation must be 'package.module:ClassName'")
        limits = tuple(known_limits)
        for i, limit in enumerate(limits):
            if not isinstance(limit, Mapping) or "rate" not in limit or "cloud" not in limit:
                problems.append(
                    f"known_limits[{i}] must be a mapping of Rule fields with a rate and the "
                    "cloud its gate names (a rule without one would bind every cloud)"
                )
        for field, value in given.items():
            if isinstance(value, str) and not _REFERENCE.fullmatch(value):
                problems.append(f"{field} {value!r} must be an object or 'package.module:Name'")
        if problems:
            raise ValueError(f"invalid ProviderDescriptor {name!r}: " + "; ".join(problems))
        for field, value in (
            ("name", name),
            ("contract_version", contract_version),
            ("description", description),
            ("capabilities", capabilities),
            ("implementation", implementation),
            ("known_limits", limits),
            ("_given", given),
            ("_resolved", {}),
        ):
            object.__setattr__(self, field, value)
        for field, value in given.items():
            if not isinstance(value, str):
                self._check(field, value)  # objects given directly are checked at once

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ProviderDescriptor is immutable (cannot set {name!r})")

    # -- the fields that may be references ------------------------------------------------------
    @property
    def naming(self) -> provider.NamingPolicy:
        """The cloud's naming policy (imported on first use when given by reference)."""
        policy: provider.NamingPolicy = self._get("naming")
        return policy

    @property
    def account_settings(self) -> type[provider.AccountSettings]:
        """The model an account's ``settings`` block validates against."""
        model: type[provider.AccountSettings] = self._get("account_settings")
        return model

    @property
    def spec_settings(self) -> type[provider.ProviderSettings]:
        """The model of a server group spec's ``settings`` block (``NoSettings`` by default)."""
        model: type[provider.ProviderSettings] = self._get("spec_settings")
        return model

    @property
    def load_balancer_settings(self) -> type[provider.ProviderSettings]:
        """The model of a load balancer spec's ``settings`` block (``NoSettings`` by default)."""
        model: type[provider.ProviderSettings] = self._get("load_balancer_settings")
        return model

    @property
    def security_group_settings(self) -> type[provider.ProviderSettings]:
        """The model of a security group spec's ``settings`` block (``NoSettings`` by default)."""
        model: type[provider.ProviderSettings] = self._get("security_group_settings")
        return model

    def references(self) -> dict[str, str]:
        """Each lazily imported field's reference as given (objects as ``module:qualname``)."""
        return {field: _describe(value) for field, value in self._given.items()}

    def _get(self, field: str) -> Any:
        resolved = self._resolved
        if field not in resolved:
            value = self._given[field]
            if isinstance(value, str):
                try:
                    value = import_reference(value)
                except Exception as exc:
                    raise PluginError(
                        f"provider {self.name!r}: cannot import {field} {self._given[field]}: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                self._check(field, value)
            resolved[field] = value
        return resolved[field]

    def _check(self, field: str, value: object) -> None:
        kind_name, is_class = _KINDS[field]
        kind = getattr(provider, kind_name)
        if is_class:
            ok = isinstance(value, type) and issubclass(value, kind)
        else:
            ok = isinstance(value, kind)
        if not ok:
            what = f"a subclass of {kind_name}" if is_class else f"a {kind_name}"
            raise PluginError(
                f"provider {self.name!r}: {field} must be {what}, got {_describe(value)}"
            )

    # -- value semantics ------------------------------------------------------------------------
    def _key(self) -> tuple[object, ...]:
        refs = tuple(sorted(self.references().items()))
        limits = tuple(tuple(sorted(limit.items())) for limit in self.known_limits)
        return (self.name, self.contract_version, self.description, self.capabilities,
                self.implementation, refs, limits)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProviderDescriptor):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"ProviderDescriptor(name={self.name!r}, contract_version={self.contract_version!r}, "
            f"implementation={self.implementation!r})"
        )


def _describe(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, type):
        return f"{value.__module__}:{value.__qualname__}"
    return f"{type(value).__module__}:{type(value).__qualname__} instance"
