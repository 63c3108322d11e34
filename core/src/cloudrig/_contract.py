"""The provider contract: the operations every provider implements, and how the core checks them.

A provider subclasses ``Provider`` once per cloud. The core instantiates it once per configured
account with a ``ProviderContext``. Every method raises only ``ProviderError`` subclasses (the
conformance kit checks it); every mutating method is idempotent where the cloud allows it.
"""

from __future__ import annotations

import inspect
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel

from cloudrig._capabilities import Capabilities
from cloudrig._clock import Clock, SystemClock
from cloudrig._errors import NotSupported
from cloudrig._model import (
    Capacity,
    CheckResult,
    CreateServerGroup,
    Instance,
    LoadBalancer,
    LoadBalancerSpec,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
    ServerGroupMetadata,
    TrafficWeights,
)
from cloudrig._settings import AccountSettings
from cloudrig.ratelimit import Limiter

CONTRACT_VERSION = "1.0"
"""MAJOR.MINOR. A provider written for X.Y works with a core implementing X.Z where Z >= Y."""

SettingsT = TypeVar("SettingsT", bound=AccountSettings)


def contract_compatible(provider_version: str, core_version: str = CONTRACT_VERSION) -> bool:
    try:
        p_major, p_minor = (int(x) for x in provider_version.split("."))
        c_major, c_minor = (int(x) for x in core_version.split("."))
    except ValueError:
        return False
    return p_major == c_major and p_minor <= c_minor


@dataclass(frozen=True)
class ProviderContext(Generic[SettingsT]):
    """What the core hands a provider for one account."""

    account: str
    settings: SettingsT
    clock: Clock = field(default_factory=SystemClock)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("cloudrig.provider"))
    limiter: Limiter = field(default_factory=Limiter)
    """Every request to the cloud passes it once: attach it at the transport with
    ``limiter.gate(...)`` (see ``cloudrig.ratelimit``)."""


@dataclass(frozen=True)
class Operation:
    name: str
    group: str
    mutating: bool


# Every operation of the contract, by group. ``mutating`` ones pass the authorization hook.
OPERATIONS: tuple[Operation, ...] = (
    Operation("create_server_group", "server groups", True),
    Operation("get_server_group", "server groups", False),
    Operation("list_server_groups", "server groups", False),
    Operation("resize_server_group", "server groups", True),
    Operation("enable_server_group", "server groups", True),
    Operation("disable_server_group", "server groups", True),
    Operation("destroy_server_group", "server groups", True),
    Operation("get_health", "server groups", False),
    Operation("read_metadata", "metadata", False),
    Operation("set_traffic_weights", "traffic", True),
    Operation("get_traffic_weights", "traffic", False),
    Operation("upsert_load_balancer", "load balancers", True),
    Operation("get_load_balancer", "load balancers", False),
    Operation("list_load_balancers", "load balancers", False),
    Operation("delete_load_balancer", "load balancers", True),
    Operation("upsert_security_group", "security groups", True),
    Operation("get_security_group", "security groups", False),
    Operation("list_security_groups", "security groups", False),
    Operation("delete_security_group", "security groups", True),
    Operation("check", "check", False),
    Operation("wait_for_health", "waiting", False),
)
MUTATING = frozenset(op.name for op in OPERATIONS if op.mutating)


class Provider(ABC, Generic[SettingsT]):
    """Base class of a provider implementation; one instance per account.

    Clusters are not an operation group of their own: the core derives them from
    ``list_server_groups`` so every provider groups them the same way.
    """

    def __init__(self, context: ProviderContext[SettingsT]) -> None:
        self.context = context
        self.settings: SettingsT = context.settings

    # -- server groups -------------------------------------------------------------------------
    @abstractmethod
    def create_server_group(self, request: CreateServerGroup) -> ServerGroup:
        """Create ``request.name`` with ``request.metadata`` written in the create call itself.

        Idempotent: when a group of that name exists with the same moniker and deployment id,
        return it; with another moniker or deployment id, raise ``Conflict`` (never adopt it).
        """

    @abstractmethod
    def get_server_group(self, region: str, name: str) -> ServerGroup:
        """The group with its instances and health; ``NotFound`` when it does not exist."""

    @abstractmethod
    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """Every group whose stored moniker has this (original, unmapped) app."""

    @abstractmethod
    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None: ...

    @abstractmethod
    def enable_server_group(self, region: str, name: str) -> None:
        """Put the group into traffic (behind all its load balancers)."""

    @abstractmethod
    def disable_server_group(self, region: str, name: str) -> None:
        """Take the group out of traffic. Instances are kept when ``disable_keeps_instances``."""

    @abstractmethod
    def destroy_server_group(self, region: str, name: str) -> None:
        """Delete the group and what belongs only to it; a group already gone is success."""

    @abstractmethod
    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        """The instances of the group with their per-source health details."""

    # -- metadata ------------------------------------------------------------------------------
    @abstractmethod
    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        """The facts written at create time (moniker, deployment id), read back from the cloud."""

    # -- traffic (required when capabilities.traffic_split is EXACT or APPROXIMATE) ----------------
    def set_traffic_weights(self, region: str, weights: TrafficWeights) -> None:
        raise NotSupported(f"{type(self).__name__} cannot split traffic by weight")

    def get_traffic_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        raise NotSupported(f"{type(self).__name__} cannot split traffic by weight")

    # -- load balancers --------------------------------------------------------------------------
    @abstractmethod
    def upsert_load_balancer(self, spec: LoadBalancerSpec, settings: BaseModel) -> LoadBalancer: ...

    @abstractmethod
    def get_load_balancer(self, region: str, name: str) -> LoadBalancer: ...

    @abstractmethod
    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]: ...

    @abstractmethod
    def delete_load_balancer(self, region: str, name: str) -> None: ...

    # -- security groups -------------------------------------------------------------------------
    @abstractmethod
    def upsert_security_group(
        self, spec: SecurityGroupSpec, settings: BaseModel
    ) -> SecurityGroup: ...

    @abstractmethod
    def get_security_group(self, region: str, name: str) -> SecurityGroup: ...

    @abstractmethod
    def list_security_groups(self, region: str | None = None) -> list[SecurityGroup]: ...

    @abstractmethod
    def delete_security_group(self, region: str, name: str) -> None: ...

    # -- check -----------------------------------------------------------------------------------
    @abstractmethod
    def check(self) -> CheckResult:
        """Verify credentials and reachability with one cheap read; used by ``cloudrig doctor``."""

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        """Release clients and connections. Called once by ``Rig.close()``; optional."""

    # -- waiting (required when capabilities.efficient_wait) ---------------------------------------
    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        """Block until ``healthy`` instances are Up or ``timeout`` seconds pass, then return the
        group as last seen. Providers with an efficient mechanism (watches) implement it."""
        raise NotSupported(f"{type(self).__name__} has no efficient wait; the core polls")


def contract_problems(cls: type, capabilities: Capabilities) -> list[str]:
    """Everything an implementation class lacks to fulfil the contract for its capabilities."""
    if not (inspect.isclass(cls) and issubclass(cls, Provider)):
        return [f"{cls!r} is not a subclass of cloudrig.Provider"]
    problems = [
        f"operation {name} is not implemented"
        for name in sorted(getattr(cls, "__abstractmethods__", ()))
    ]
    optional: dict[str, bool] = {
        "set_traffic_weights": capabilities.splits_traffic,
        "get_traffic_weights": capabilities.splits_traffic,
        "wait_for_health": capabilities.efficient_wait,
    }
    for name, required in optional.items():
        if required and getattr(cls, name) is getattr(Provider, name):
            problems.append(f"operation {name} is not implemented but the capabilities declare it")
    return problems
