"""Plumbing of the reference provider: faults and history around every call, lookups, models.

Split from the operations so each module stays one concept; ``ReferenceProvider`` is the class to use.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from cloudrig._errors import InvalidSpec, NotFound, ProviderError
from cloudrig._model._resources import (
    ServerGroup,
)
from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._contract import NOUNS, Provider, ProviderContext
from cloudrig.provider._naming_policy import NamingPolicy
from cloudrig.testing._faults import SimulatedCrash
from cloudrig.testing._naming import name_problem
from cloudrig.testing._settings import (
    REFERENCE_CAPABILITIES,
    REFERENCE_NAMING,
    ReferenceAccountSettings,
)
from cloudrig.testing._world import (
    Event,
    GroupRecord,
    ReferenceCloud,
)

T = TypeVar("T")
E = TypeVar("E", bound=ProviderError)


class ReferenceBase(Provider[ReferenceAccountSettings]):
    """What every reference operation shares. Subclasses (see ``reference_plugin``) change the
    class attributes to declare other capabilities or naming; behaviour follows what is declared."""

    provider_name: ClassVar[str] = "reference"
    capabilities: ClassVar[Capabilities] = REFERENCE_CAPABILITIES
    naming: ClassVar[NamingPolicy] = REFERENCE_NAMING

    def __init__(self, context: ProviderContext[ReferenceAccountSettings]) -> None:
        super().__init__(context)
        self.cloud = ReferenceCloud.get(getattr(context.settings, "cloud", "default"))
        self.clock = context.clock
        # The nouns are the classes the provider's annotations name, so a subclass replaces one
        # by narrowing its annotation (``server_groups: MyServerGroups``).
        hints = typing.get_type_hints(type(self))
        for noun in NOUNS:
            setattr(self, noun, hints[noun](self))

    # -- plumbing ----------------------------------------------------------------------------------
    def _error(self, cls: type[E], message: str, resource: str | None = None) -> E:
        return cls(
            message, provider=self.provider_name, account=self.context.account, resource=resource
        )

    def _run(
        self, operation: str, args: dict[str, Any], body: Callable[[], T], *, locked: bool = True
    ) -> T:
        """Apply injected faults, run ``body`` (under the cloud's lock unless told otherwise) and
        record the call with its outcome."""
        cloud = self.cloud
        fired = cloud.faults.fire(operation)
        if fired.latency:
            self.clock.sleep(fired.latency)

        def record(outcome: str) -> None:
            cloud.record(
                Event(self.clock.now(), "call", operation, args, self.context.account, outcome)
            )

        if fired.crash_before:
            record("crash")
            raise SimulatedCrash(f"simulated crash before {operation}")
        if fired.error is not None:
            record(type(fired.error).__name__)
            raise fired.error
        try:
            if locked:
                with cloud.lock:
                    cloud.advance(self.clock.now())
                    result = body()
            else:
                result = body()
        except Exception as exc:
            record(type(exc).__name__)
            raise
        if fired.crash_after:
            record("crash")
            raise SimulatedCrash(f"simulated crash after {operation} took effect")
        record("ok")
        return result

    def _check_region(self, region: str) -> None:
        if region not in self.settings.regions:
            raise self._error(
                InvalidSpec, f"region {region!r} is not one of {list(self.settings.regions)}"
            )

    def _check_name(self, name: str, what: str) -> None:
        problem = name_problem(self.naming, name)
        if problem:
            raise self._error(InvalidSpec, f"invalid {what} name {name!r}: {problem}", name)

    def _group(self, region: str, name: str) -> GroupRecord:
        group = self.cloud.groups.get((region, name))
        if group is None:
            raise self._error(NotFound, f"server group {name!r} not found in {region}", name)
        return group

    def _server_group(self, group: GroupRecord) -> ServerGroup:
        return ServerGroup(
            name=group.name,
            moniker=group.moniker,
            account=self.context.account,
            region=group.region,
            zones=group.zones,
            capacity=group.capacity,
            instances=group.instance_models(),
            enabled=group.enabled,
            created_at=group.created_at,
            artifact=group.artifact,
            load_balancers=group.load_balancers,
            security_groups=group.security_groups,
            deployment_id=group.deployment_id,
            tags=dict(group.tags),
        )


class ReferenceNoun:
    """A noun of the reference provider; the provider holds the cloud and the plumbing."""

    def __init__(self, provider: ReferenceBase) -> None:
        self.provider = provider
