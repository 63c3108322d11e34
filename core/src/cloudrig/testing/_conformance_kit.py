"""The helper the conformance checks drive a provider with (fixture ``conformance``).

Every provider call goes through ``ConformanceKit.call``, so an exception that is not a
``cloudrig.ProviderError`` fails the check by name, with the leaked exception's traceback.
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import pytest
from pydantic import BaseModel

from cloudrig._errors import NotFound, NotSupported, ProviderError
from cloudrig._model._resources import (
    Capacity,
    CreateServerGroup,
    LoadBalancer,
    LoadBalancerSpec,
    Moniker,
    ServerGroup,
    ServerGroupMetadata,
    ServerGroupSpec,
)
from cloudrig.provider._contract import OPERATIONS
from cloudrig.testing._target import ConformanceTarget

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)

# Operations a provider may refuse with NotSupported, and the capability that says it may.
_BY_NAME = {op.name: op for op in OPERATIONS}

_OPTIONAL: dict[str, Callable[[ConformanceTarget], bool]] = {
    "set_traffic_weights": lambda t: not t.capabilities.splits_traffic,
    "get_traffic_weights": lambda t: not t.capabilities.splits_traffic,
    "wait_for_health": lambda t: not t.capabilities.efficient_wait,
    "resize_server_group": lambda t: not t.capabilities.resizable,
}


class ConformanceKit:
    """One check's view of the target: makes requests, calls the provider, waits, cleans up."""

    def __init__(self, target: ConformanceTarget, check: str) -> None:
        self.target = target
        self.check = check
        self.provider = target.provider
        self.region = target.region
        self.token = uuid.uuid4().hex[:8]
        self.app = f"{target.app_prefix}{self.token}"
        self._groups: list[tuple[str, str]] = []
        self._load_balancers: list[tuple[str, str]] = []
        self._security_groups: list[tuple[str, str]] = []
        self.spec_settings = self._validate(target.descriptor.spec_settings, target.spec_settings)

    # -- failing with the check's name ---------------------------------------------------------
    def fail(self, message: str) -> NoReturn:
        provider = type(self.provider).__name__
        pytest.fail(f"[{self.check}] {provider}: {message}", pytrace=False)

    def equal(self, what: str, actual: object, expected: object) -> None:
        """Fail the check unless ``actual == expected`` (messages need no assert rewriting)."""
        if actual != expected:
            self.fail(f"{what}: expected {expected!r}, got {actual!r}")

    def _validate(self, model: type[BaseModel], raw: Any) -> BaseModel:
        return model.model_validate(dict(raw))

    def call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """Call a provider operation; fail the check if anything but a ProviderError escapes (or
        NotSupported from an operation the declared capabilities leave out)."""
        try:
            return _BY_NAME[operation].of(self.provider)(*args, **kwargs)
        except ProviderError:
            raise
        except NotSupported:
            optional = _OPTIONAL.get(operation)
            if optional is not None and optional(self.target):
                raise
            self.fail(
                f"{operation} raised NotSupported although the declared capabilities promise it"
            )
        except Exception as exc:
            leaked = "".join(traceback.format_exception(exc, limit=-3)).rstrip()
            self.fail(
                f"{operation} raised {type(exc).__module__}.{type(exc).__qualname__}, which is "
                "not a cloudrig.ProviderError: providers map every cloud error to one of the "
                f"core's types (keeping the original as __cause__)\n{leaked}"
            )

    def expect(self, error: type[E], operation: str, *args: Any, **kwargs: Any) -> E:
        """Call an operation that must raise ``error``; return the exception."""
        try:
            result = self.call(operation, *args, **kwargs)
        except error as exc:
            return exc
        except (ProviderError, NotSupported) as exc:
            self.fail(
                f"{operation} should raise {error.__name__}, raised {type(exc).__name__}: {exc}"
            )
        self.fail(f"{operation} should raise {error.__name__}, returned {result!r}")

    # -- requests --------------------------------------------------------------------------------
    def moniker(
        self, stack: str = "", detail: str = "", sequence: int = 0, app: str | None = None
    ) -> Moniker:
        return Moniker(app=app or self.app, stack=stack, detail=detail, sequence=sequence)

    def capacity(self, desired: int | None = None) -> Capacity:
        return Capacity.fixed(self.target.capacity if desired is None else desired)

    def request(
        self,
        moniker: Moniker,
        *,
        deployment_id: str | None = None,
        capacity: Capacity | None = None,
        name: str | None = None,
        load_balancers: tuple[str, ...] = (),
    ) -> CreateServerGroup[Any]:
        """A create request as the core would make it (``name`` overrides the policy's name)."""
        spec = ServerGroupSpec(
            moniker=moniker,
            account=self.provider.context.account,
            region=self.region,
            artifact=self.target.artifact,
            capacity=capacity or self.capacity(),
            load_balancers=load_balancers,
            settings=dict(self.target.spec_settings),
        )
        return CreateServerGroup[Any](
            name=name or self.target.naming.server_group_name(moniker),
            spec=spec,
            metadata=ServerGroupMetadata(moniker=moniker, deployment_id=deployment_id),
            settings=self.spec_settings,
        )

    def create(self, request: CreateServerGroup[Any]) -> ServerGroup:
        """Create (and remember to destroy) a server group."""
        self._groups.append((request.spec.region, request.name))
        group: ServerGroup = self.call("create_server_group", request)
        return group

    def get(self, name: str) -> ServerGroup:
        group: ServerGroup = self.call("get_server_group", self.region, name)
        return group

    def load_balancer_spec(self, name: str) -> tuple[LoadBalancerSpec, BaseModel]:
        """A load balancer spec with the target's settings, and those settings validated."""
        spec = LoadBalancerSpec(
            name=name,
            account=self.provider.context.account,
            region=self.region,
            settings=dict(self.target.load_balancer_settings),
        )
        model = self.target.descriptor.load_balancer_settings
        return spec, self._validate(model, spec.settings)

    def upsert_load_balancer(self, name: str) -> LoadBalancer:
        """Create (and remember to delete) a load balancer."""
        spec, settings = self.load_balancer_spec(name)
        self._load_balancers.append((self.region, name))
        lb: LoadBalancer = self.call("upsert_load_balancer", spec, settings)
        return lb

    def load_balancer(self, suffix: str = "lb") -> str:
        """Upsert a load balancer named after the check's app (deleted after the check)."""
        return self.upsert_load_balancer(f"{self.app}-{suffix}").name

    def track_security_group(self, name: str) -> None:
        self._security_groups.append((self.region, name))

    # -- waiting ---------------------------------------------------------------------------------
    def wait_for(self, what: str, probe: Callable[[], T], done: Callable[[T], bool]) -> T:
        """Poll ``probe`` until ``done``; between polls ``settle()`` lets the cloud move on."""
        deadline = time.monotonic() + self.target.timeout
        while True:
            value = probe()
            if done(value):
                return value
            if time.monotonic() > deadline:
                self.fail(f"{what}: not reached within {self.target.timeout}s; last: {value!r}")
            self.target.settle()

    def wait_healthy(self, name: str, healthy: int) -> ServerGroup:
        return self.wait_for(
            f"{name} reports {healthy} healthy instance(s)",
            lambda: self.get(name),
            lambda g: g.healthy >= healthy,
        )

    def wait_gone(self, what: str, operation: str, *args: Any) -> None:
        """Wait until ``operation`` raises NotFound (deletes may take a while on real clouds)."""

        def probe() -> object:
            try:
                return self.call(operation, *args)
            except NotFound:
                return NotFound

        self.wait_for(f"{what} is gone", probe, lambda v: v is NotFound)

    # -- cleanup ---------------------------------------------------------------------------------
    def cleanup(self) -> None:
        """Best effort: destroy what the check created; errors here do not hide the check's."""
        for operation, created in (
            ("destroy_server_group", self._groups),
            ("delete_load_balancer", self._load_balancers),
            ("delete_security_group", self._security_groups),
        ):
            for region, name in reversed(created):
                try:
                    _BY_NAME[operation].of(self.provider)(region, name)
                except Exception:  # the check itself already reported any failure
                    continue
