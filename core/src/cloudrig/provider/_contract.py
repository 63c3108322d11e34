"""The provider contract, declared once: the nouns a provider composes and their operations.

A provider is a ``Provider`` subclass that composes one object per noun — ``server_groups``,
``load_balancers``, ``security_groups`` and, when it splits traffic, ``traffic`` — each a subclass
of the noun's abstract class below, plus ``check``. The operations are the noun classes' methods
marked with ``@operation``; everything else is derived from them: ``OPERATIONS`` and ``MUTATING``,
``contract_problems`` (what a class lacks), the guarded nouns of ``cloudrig.Account``
(authorization, error mapping) and the operations table of ``docs/writing-a-provider.md`` (a test
compares it). Adding an operation is one method here plus the providers that implement it.

Settings are type parameters: ``ServerGroups[MySpecSettings]`` receives its own validated model in
``CreateServerGroup.settings``, ``LoadBalancers[MyLbSettings].upsert`` its own, never a
``BaseModel`` to check again. Every method raises only ``ProviderError`` subclasses (the
conformance kit checks it); every mutating one is idempotent where the cloud allows it.
"""

from __future__ import annotations

import inspect
import logging
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from cloudrig._clock import Clock, SystemClock
from cloudrig._errors import NotSupported
from cloudrig._model._resources import (
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
from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._settings import AccountSettings
from cloudrig.provider._version import CONTRACT_VERSION as CONTRACT_VERSION
from cloudrig.provider._version import contract_compatible as contract_compatible
from cloudrig.ratelimit import Limiter

SettingsT = TypeVar("SettingsT", bound=AccountSettings)
SpecSettingsT = TypeVar("SpecSettingsT", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

Resource = Callable[[Mapping[str, Any]], str]
"""From an operation's bound arguments, the resource an authorization decision is about."""


@dataclass(frozen=True)
class Operation:
    """One operation of the contract, as declared by ``@operation`` on a noun's method."""

    name: str
    """The operation's name in authorization decisions, events and errors (``create_server_group``)."""
    noun: str
    """The ``Provider`` attribute holding the noun (``server_groups``), or ``""`` for ``check``."""
    method: str
    """The noun's method (``create``)."""
    mutating: bool
    """Mutating operations pass the authorization hook first."""
    resource: Resource | None = field(default=None, compare=False, repr=False)
    """For mutating operations: the resource named in the authorization decision."""
    required_when: str | None = None
    """A ``Capabilities`` property that makes an optional operation required."""

    @property
    def group(self) -> str:
        """The noun as words, for the docs' operations table (``server groups``; ``check``)."""
        return self.noun.replace("_", " ") or "check"

    def of(self, provider: Provider[Any]) -> Callable[..., Any]:
        """This operation of ``provider``: its noun's method (``NotSupported`` without the noun)."""
        owner = getattr(provider, self.noun) if self.noun else provider
        if owner is None:
            raise NotSupported(f"{type(provider).__name__} has no {self.noun}")
        method: Callable[..., Any] = getattr(owner, self.method)
        return method

    def signature(self) -> inspect.Signature:
        """The operation's signature as the contract declares it (the noun ABC's method)."""
        owner = NOUNS.get(self.noun, Provider)
        return inspect.signature(getattr(owner, self.method))


def operation(
    name: str,
    *,
    mutating: bool = False,
    resource: Resource | None = None,
    required_when: str | None = None,
) -> Callable[[F], F]:
    """Mark a noun's method as an operation of the contract (see ``Operation``)."""

    def mark(fn: F) -> F:
        fn.__cloudrig_operation__ = (name, mutating, resource, required_when)  # type: ignore[attr-defined]
        return fn

    return mark


def _name(args: Mapping[str, Any]) -> str:
    return str(args["name"])


def _spec_name(args: Mapping[str, Any]) -> str:
    return str(args["spec"].name)


# -- the nouns -----------------------------------------------------------------------------------
class ServerGroups(ABC, Generic[SpecSettingsT]):
    """A provider's server groups: versioned groups of identical instances."""

    @operation("create_server_group", mutating=True, resource=lambda a: a["request"].name)
    @abstractmethod
    def create(self, request: CreateServerGroup[SpecSettingsT]) -> ServerGroup:
        """Create ``request.name`` with ``request.metadata`` written in the create call itself.

        Idempotent: when a group of that name exists with the same moniker and deployment id,
        return it; with another moniker or deployment id, raise ``Conflict`` (never adopt it).
        """

    @operation("get_server_group")
    @abstractmethod
    def get(self, region: str, name: str) -> ServerGroup:
        """The group with its instances and health; ``NotFound`` when it does not exist."""

    @operation("list_server_groups")
    @abstractmethod
    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """Every group whose stored moniker has this (original, unmapped) app; every region of
        the account when ``region`` is None."""

    @operation("resize_server_group", mutating=True, resource=_name)
    @abstractmethod
    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        """Set min/max/desired; ``NotSupported`` when ``capabilities.resizable`` is false."""

    @operation("enable_server_group", mutating=True, resource=_name)
    @abstractmethod
    def enable(self, region: str, name: str) -> None:
        """Put the group into traffic (behind all its load balancers), ending any weighted split
        that names it."""

    @operation("disable_server_group", mutating=True, resource=_name)
    @abstractmethod
    def disable(self, region: str, name: str) -> None:
        """Take the group out of traffic. Instances are kept when ``disable_keeps_instances``."""

    @operation("destroy_server_group", mutating=True, resource=_name)
    @abstractmethod
    def destroy(self, region: str, name: str) -> None:
        """Delete the group and what belongs only to it; a group already gone is success."""

    @operation("get_health")
    @abstractmethod
    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        """The instances of the group with their per-source health details."""

    @operation("read_metadata")
    @abstractmethod
    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        """The facts written at create time (moniker, deployment id), read back from the cloud."""

    @operation("wait_for_health", required_when="efficient_wait")
    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        """Block until ``healthy`` instances are Up or ``timeout`` seconds pass, then return the
        group as last seen. Required when ``capabilities.efficient_wait`` (watches); otherwise
        ``NotSupported`` and the deployment engine polls with backoff."""
        raise NotSupported(f"{type(self).__name__} has no efficient wait; the core polls")


class Traffic(ABC):
    """Weighted traffic between server groups (required when ``capabilities.splits_traffic``)."""

    @operation(
        "set_traffic_weights", mutating=True, resource=lambda a: ",".join(a["weights"].weights)
    )
    @abstractmethod
    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        """Split traffic between the named groups by weight (percentages summing to 100)."""

    @operation("get_traffic_weights")
    @abstractmethod
    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        """The weights the cloud applies to these groups now."""


class LoadBalancers(ABC, Generic[SpecSettingsT]):
    """A provider's load balancers."""

    @operation("upsert_load_balancer", mutating=True, resource=_spec_name)
    @abstractmethod
    def upsert(self, spec: LoadBalancerSpec, settings: SpecSettingsT) -> LoadBalancer:
        """Create the load balancer or bring it to the spec; ``settings`` is the spec's provider
        block, validated by the descriptor's ``load_balancer_settings``."""

    @operation("get_load_balancer")
    @abstractmethod
    def get(self, region: str, name: str) -> LoadBalancer:
        """The load balancer; ``NotFound`` when it does not exist."""

    @operation("list_load_balancers")
    @abstractmethod
    def list(self, region: str | None = None) -> list[LoadBalancer]:
        """Every load balancer of the account (of one region when given)."""

    @operation("delete_load_balancer", mutating=True, resource=_name)
    @abstractmethod
    def delete(self, region: str, name: str) -> None:
        """Delete it; one already gone is success."""


class SecurityGroups(ABC, Generic[SpecSettingsT]):
    """A provider's security groups (firewall rule sets)."""

    @operation("upsert_security_group", mutating=True, resource=_spec_name)
    @abstractmethod
    def upsert(self, spec: SecurityGroupSpec, settings: SpecSettingsT) -> SecurityGroup:
        """Create the security group or bring its rules to the spec; ``settings`` is validated by
        the descriptor's ``security_group_settings``."""

    @operation("get_security_group")
    @abstractmethod
    def get(self, region: str, name: str) -> SecurityGroup:
        """The security group; ``NotFound`` when it does not exist."""

    @operation("list_security_groups")
    @abstractmethod
    def list(self, region: str | None = None) -> list[SecurityGroup]:
        """Every security group of the account (of one region when given)."""

    @operation("delete_security_group", mutating=True, resource=_name)
    @abstractmethod
    def delete(self, region: str, name: str) -> None:
        """Delete it; one already gone is success."""


NOUNS: dict[str, type] = {
    "server_groups": ServerGroups,
    "traffic": Traffic,
    "load_balancers": LoadBalancers,
    "security_groups": SecurityGroups,
}
"""The ``Provider`` attribute of each noun and its abstract class."""


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


class Provider(ABC, Generic[SettingsT]):
    """A provider for one account: the nouns it composes, built in ``__init__``, and ``check``.

    Subclasses annotate each noun with their own class (``server_groups: MyServerGroups``) so
    ``contract_problems`` can check the composition before any account is connected. Clusters are
    not a noun of their own: the core derives them from ``server_groups.list`` so every provider
    groups them the same way.
    """

    server_groups: ServerGroups[Any]
    load_balancers: LoadBalancers[Any]
    security_groups: SecurityGroups[Any]
    traffic: Traffic | None = None
    """None unless the provider splits traffic by weight (``capabilities.splits_traffic``)."""

    def __init__(self, context: ProviderContext[SettingsT]) -> None:
        self.context = context
        self.settings: SettingsT = context.settings

    @operation("check")
    @abstractmethod
    def check(self) -> CheckResult:
        """Verify credentials and reachability with one cheap read; used by ``cloudrig doctor``."""

    def close(self) -> None:
        """Release clients and connections. Called once by ``Rig.close()``; optional."""


def _declared(noun: str, cls: type) -> list[Operation]:
    found = []
    for method, fn in vars(cls).items():
        marker = getattr(fn, "__cloudrig_operation__", None)
        if marker is not None:
            name, mutating, resource, required_when = marker
            found.append(Operation(name, noun, method, mutating, resource, required_when))
    return found


OPERATIONS: tuple[Operation, ...] = tuple(
    [op for noun, cls in NOUNS.items() for op in _declared(noun, cls)] + _declared("", Provider)
)
"""Every operation of the contract, derived from the ``@operation`` marks above."""
MUTATING = frozenset(op.name for op in OPERATIONS if op.mutating)


def contract_problems(cls: type, capabilities: Capabilities) -> list[str]:
    """Everything a provider class lacks to fulfil the contract for its capabilities."""
    if not (inspect.isclass(cls) and issubclass(cls, Provider)):
        return [f"{cls!r} is not a subclass of cloudrig.provider.Provider"]
    problems = [
        f"operation {name} is not implemented"
        for name in sorted(getattr(cls, "__abstractmethods__", ()))
    ]
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:  # an annotation naming what its module only imports for type checking
        return [*problems, f"the noun annotations of {cls.__name__} cannot be resolved: {exc}"]
    for noun, abstract in NOUNS.items():
        required = noun != "traffic" or capabilities.splits_traffic
        impl = _noun_class(hints.get(noun))
        if impl is None or impl is abstract:
            if required:
                problems.append(
                    f"noun {noun} is not declared: annotate it with the provider's own subclass "
                    f"of cloudrig.provider.{abstract.__name__}"
                )
            continue
        if not issubclass(impl, abstract):
            problems.append(f"noun {noun}: {impl.__name__} is not a {abstract.__name__}")
            continue
        for method in sorted(getattr(impl, "__abstractmethods__", ())):
            problems.append(f"operation {_op_name(noun, method)} is not implemented")
        for op in OPERATIONS:
            if op.noun != noun or op.required_when is None:
                continue
            if getattr(capabilities, op.required_when) and getattr(impl, op.method) is getattr(
                abstract, op.method
            ):
                problems.append(
                    f"operation {op.name} is not implemented but the capabilities declare "
                    f"{op.required_when}"
                )
    return problems


def _noun_class(hint: Any) -> type | None:
    """The class of a noun annotation (``X``, ``X[S]``, ``X | None``)."""
    if hint is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        classes = [c for c in typing.get_args(hint) if c is not type(None)]
        return _noun_class(classes[0]) if len(classes) == 1 else None
    if origin is not None:
        hint = origin
    return hint if inspect.isclass(hint) else None


def _op_name(noun: str, method: str) -> str:
    for op in OPERATIONS:
        if op.noun == noun and op.method == method:
            return op.name
    return f"{noun}.{method}"
