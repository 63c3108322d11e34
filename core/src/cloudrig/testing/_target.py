"""What the conformance kit needs to know about a provider under test, and the reference's own.

Lives outside ``cloudrig.testing.conformance`` so it can be built without importing pytest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._contract import Provider, ProviderContext
from cloudrig.provider._descriptor import ProviderDescriptor
from cloudrig.provider._naming_policy import NamingPolicy
from cloudrig.testing._manual_clock import ManualClock
from cloudrig.testing._settings import ReferenceAccountSettings
from cloudrig.testing._world import ReferenceCloud


def _nothing() -> None:
    """Do nothing: the default ``settle`` and ``teardown`` of a target."""
    return None


@dataclass(frozen=True)
class ConformanceTarget:
    """A provider instance to check, and how to drive its cloud.

    ``provider`` is the RAW provider (not a ``cloudrig.Account``): the kit checks what the provider
    itself does, without the core's guards hiding a leaked exception. ``spec_settings`` (and the
    load balancer / security group ones) are the raw provider blocks the kit puts in the specs it
    makes; they are validated with the descriptor's models first. ``settle()`` lets time pass on
    the cloud so booting instances can become healthy — advance a virtual clock, run a simulator
    step, or sleep briefly on a real server; the kit calls it between polls for at most ``timeout``
    real seconds per wait. ``capacity`` is the instance count of groups the kit creates. Every
    resource the kit creates is named after ``app_prefix`` plus a random suffix and destroyed
    after each check; ``teardown()`` is called once the check ends.
    """

    provider: Provider[Any]
    descriptor: ProviderDescriptor
    region: str
    artifact: str
    spec_settings: Mapping[str, Any] = field(default_factory=dict)
    load_balancer_settings: Mapping[str, Any] = field(default_factory=dict)
    security_group_settings: Mapping[str, Any] = field(default_factory=dict)
    settle: Callable[[], None] = _nothing
    timeout: float = 60.0
    capacity: int = 2
    app_prefix: str = "crconf"
    teardown: Callable[[], None] = _nothing

    @property
    def capabilities(self) -> Capabilities:
        """The capabilities the provider's descriptor declares (the kit holds it to them)."""
        return self.descriptor.capabilities

    @property
    def naming(self) -> NamingPolicy:
        """The provider's naming policy, from its descriptor."""
        return self.descriptor.naming


def reference_target(
    provider_class: type[ReferenceProvider] | None = None,
    *,
    capabilities: Capabilities | None = None,
    naming: NamingPolicy | None = None,
    region: str = "reference-1",
    boot_seconds: float = 30.0,
    clock: ManualClock | None = None,
) -> ConformanceTarget:
    """A conformance target on a fresh, private reference cloud in virtual time.

    ``provider_class`` (a ``ReferenceProvider`` subclass) and ``capabilities``/``naming`` select
    what to check; the cloud is forgotten at teardown.
    """
    from cloudrig.testing._provider import ReferenceProvider
    from cloudrig.testing.reference import describe

    base: type[ReferenceProvider] = provider_class or ReferenceProvider
    overrides = {
        k: v for k, v in (("capabilities", capabilities), ("naming", naming)) if v is not None
    }
    cls: type[ReferenceProvider] = type(base.__name__, (base,), overrides) if overrides else base
    clock = clock or ManualClock()
    cloud_name = f"conformance-{uuid.uuid4().hex[:12]}"
    cloud = ReferenceCloud.get(cloud_name)
    cloud.boot_seconds = boot_seconds
    settings = ReferenceAccountSettings(regions=(region,), cloud=cloud_name)
    provider = cls(ProviderContext(account="conformance", settings=settings, clock=clock))
    descriptor = describe(
        cls.provider_name,
        capabilities=cls.capabilities,
        naming=cls.naming,
        implementation=f"{cls.__module__}:{cls.__qualname__}",
    )

    def settle() -> None:
        clock.advance(max(boot_seconds, 1.0))

    return ConformanceTarget(
        provider=provider,
        descriptor=descriptor,
        region=region,
        artifact="reference-image-1",
        settle=settle,
        timeout=10.0,
        teardown=lambda: ReferenceCloud.reset(cloud_name),
    )


# Imported last, not under TYPE_CHECKING, so ``typing.get_type_hints`` resolves the public
# signatures above; at the bottom the import cycle between these modules is harmless.
from cloudrig.testing._provider import ReferenceProvider  # noqa: E402
