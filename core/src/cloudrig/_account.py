"""An account as the library hands it out: the provider's operations behind the core's guards.

Every call passes through here, so the same rules hold for every provider: specs are validated with
the provider's own settings models, names come from the provider's naming policy, mutating calls
are authorized first, and no exception other than cloudrig's escapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cloudrig._authorization import Decision
from cloudrig._capabilities import Capabilities
from cloudrig._config import validation_problems
from cloudrig._contract import Provider
from cloudrig._descriptor import ProviderDescriptor
from cloudrig._errors import AuthorizationDenied, CloudrigError, InvalidSpec, ProviderFailure
from cloudrig._model import (
    Capacity,
    CheckResult,
    Cluster,
    CreateServerGroup,
    Instance,
    LoadBalancer,
    LoadBalancerSpec,
    Moniker,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
    ServerGroupMetadata,
    ServerGroupSpec,
    TrafficWeights,
)
from cloudrig._names import next_sequence, parse_name
from cloudrig._naming_policy import NamingPolicy

T = TypeVar("T")
Authorizer = Callable[[str, str, str], Decision]  # (action, account, resource) -> decision


class Account:
    """The operations of one configured account."""

    def __init__(
        self,
        name: str,
        descriptor: ProviderDescriptor,
        provider: Provider[Any],
        authorize: Authorizer,
        principal: str | None = None,
    ) -> None:
        self.name = name
        self.descriptor = descriptor
        self.provider = provider
        self._authorize = authorize
        self._principal = principal

    def __repr__(self) -> str:
        return f"<Account {self.name!r} provider={self.descriptor.name!r}>"

    @property
    def capabilities(self) -> Capabilities:
        return self.descriptor.capabilities

    @property
    def naming(self) -> NamingPolicy:
        return self.descriptor.naming

    @property
    def regions(self) -> tuple[str, ...]:
        regions: tuple[str, ...] = getattr(self.provider.settings, "regions", ())
        return regions

    # -- guards ----------------------------------------------------------------------------------
    def _call(self, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except CloudrigError:
            raise
        except Exception as exc:  # a provider bug must not leak a cloud SDK exception
            raise ProviderFailure(
                f"provider {self.descriptor.name!r} failed in {operation} with an unmapped "
                f"{type(exc).__name__}",
                provider=self.descriptor.name,
                account=self.name,
            ) from exc

    def _mutate(self, operation: str, resource: str, fn: Callable[..., T], *args: Any) -> T:
        decision = self._authorize(operation, self.name, resource)
        if not decision.allowed:
            raise AuthorizationDenied(
                self._principal, operation, self.name, resource, decision.reason or "denied"
            )
        return self._call(operation, fn, *args)

    def _settings(self, model: type[BaseModel], raw: Any, what: str) -> BaseModel:
        try:
            return model.model_validate(dict(raw))
        except ValidationError as exc:
            problems = validation_problems(f"account {self.name!r}, {what} settings", exc)
            raise InvalidSpec(
                "; ".join(f"{loc}: {msg}" for loc, msg in problems),
                provider=self.descriptor.name,
                account=self.name,
            ) from None

    def _check_region(self, region: str) -> None:
        if self.regions and region not in self.regions:
            raise InvalidSpec(
                f"account {self.name!r}, field 'region': {region!r} is not one of the account's "
                f"regions ({', '.join(self.regions)})",
                provider=self.descriptor.name,
                account=self.name,
            )

    # -- server groups ---------------------------------------------------------------------------
    def validate_spec(self, spec: ServerGroupSpec) -> BaseModel:
        """Check a spec against this account; return its validated provider settings."""
        if spec.account != self.name:
            raise InvalidSpec(
                f"spec is for account {spec.account!r}, not {self.name!r}", account=self.name
            )
        self._check_region(spec.region)
        return self._settings(self.descriptor.spec_settings, spec.settings, "server group")

    def create_server_group(
        self,
        spec: ServerGroupSpec,
        *,
        deployment_id: str | None = None,
        sequence: int | None = None,
    ) -> ServerGroup:
        """Create the next version of the spec's cluster (or ``sequence`` when given)."""
        settings = self.validate_spec(spec)
        if sequence is None:
            existing = self.get_cluster(spec.moniker).server_groups
            taken = [g.moniker.sequence for g in existing if g.moniker.sequence is not None]
            latest = existing[-1].moniker.sequence if existing else None
            sequence = next_sequence(taken, latest)
        moniker = spec.moniker.with_sequence(sequence)
        name = self.naming.server_group_name(moniker)
        request = CreateServerGroup(
            name=name,
            spec=spec.model_copy(update={"moniker": moniker}),
            metadata=ServerGroupMetadata(moniker=moniker, deployment_id=deployment_id),
            settings=settings,
        )
        return self._mutate("create_server_group", name, self.provider.create_server_group, request)

    def get_server_group(self, region: str, name: str) -> ServerGroup:
        return self._call("get_server_group", self.provider.get_server_group, region, name)

    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return self._call("list_server_groups", self.provider.list_server_groups, app, region)

    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None:
        self._mutate(
            "resize_server_group", name, self.provider.resize_server_group, region, name, capacity
        )

    def enable_server_group(self, region: str, name: str) -> None:
        self._mutate("enable_server_group", name, self.provider.enable_server_group, region, name)

    def disable_server_group(self, region: str, name: str) -> None:
        self._mutate("disable_server_group", name, self.provider.disable_server_group, region, name)

    def destroy_server_group(self, region: str, name: str) -> None:
        self._mutate("destroy_server_group", name, self.provider.destroy_server_group, region, name)

    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self._call("get_health", self.provider.get_health, region, name)

    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        """The provider's efficient wait (``capabilities.efficient_wait``); ``NotSupported``
        otherwise — the deployment engine then polls with backoff."""
        return self._call(
            "wait_for_health",
            self.provider.wait_for_health,
            region,
            name,
            healthy=healthy,
            timeout=timeout,
        )

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self._call("read_metadata", self.provider.read_metadata, region, name)

    # -- clusters (derived from list_server_groups, the same for every provider) -----------------
    def get_cluster(self, cluster: str | Moniker, region: str | None = None) -> Cluster:
        """All server groups of a cluster, oldest first. A string is parsed Frigga-style; pass a
        ``Moniker`` for names whose parts contain '-'."""
        moniker = parse_name(cluster) if isinstance(cluster, str) else cluster
        groups = [
            g
            for g in self.list_server_groups(moniker.app, region)
            if g.moniker.same_cluster(moniker)
        ]
        return Cluster(
            name=moniker.cluster,
            account=self.name,
            app=moniker.app,
            stack=moniker.stack,
            detail=moniker.detail,
            server_groups=tuple(sorted(groups, key=_creation_order)),
        )

    def list_clusters(self, app: str, region: str | None = None) -> list[Cluster]:
        by_cluster: dict[tuple[str, str, str], list[ServerGroup]] = {}
        for group in self.list_server_groups(app, region):
            m = group.moniker
            by_cluster.setdefault((m.app, m.stack, m.detail), []).append(group)
        return [
            Cluster(
                name=Moniker(app=a, stack=s, detail=d).cluster,
                account=self.name,
                app=a,
                stack=s,
                detail=d,
                server_groups=tuple(sorted(gs, key=_creation_order)),
            )
            for (a, s, d), gs in sorted(by_cluster.items())
        ]

    # -- traffic ---------------------------------------------------------------------------------
    def set_traffic_weights(self, region: str, weights: TrafficWeights) -> None:
        self._mutate(
            "set_traffic_weights",
            ",".join(weights.weights),
            self.provider.set_traffic_weights,
            region,
            weights,
        )

    def get_traffic_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        return self._call(
            "get_traffic_weights", self.provider.get_traffic_weights, region, server_groups
        )

    # -- load balancers and security groups ------------------------------------------------------
    def upsert_load_balancer(self, spec: LoadBalancerSpec) -> LoadBalancer:
        self._check_region(spec.region)
        settings = self._settings(
            self.descriptor.load_balancer_settings, spec.settings, "load balancer"
        )
        return self._mutate(
            "upsert_load_balancer", spec.name, self.provider.upsert_load_balancer, spec, settings
        )

    def get_load_balancer(self, region: str, name: str) -> LoadBalancer:
        return self._call("get_load_balancer", self.provider.get_load_balancer, region, name)

    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]:
        return self._call("list_load_balancers", self.provider.list_load_balancers, region)

    def delete_load_balancer(self, region: str, name: str) -> None:
        self._mutate("delete_load_balancer", name, self.provider.delete_load_balancer, region, name)

    def upsert_security_group(self, spec: SecurityGroupSpec) -> SecurityGroup:
        self._check_region(spec.region)
        settings = self._settings(
            self.descriptor.security_group_settings, spec.settings, "security group"
        )
        return self._mutate(
            "upsert_security_group", spec.name, self.provider.upsert_security_group, spec, settings
        )

    def get_security_group(self, region: str, name: str) -> SecurityGroup:
        return self._call("get_security_group", self.provider.get_security_group, region, name)

    def list_security_groups(self, region: str | None = None) -> list[SecurityGroup]:
        return self._call("list_security_groups", self.provider.list_security_groups, region)

    def delete_security_group(self, region: str, name: str) -> None:
        self._mutate(
            "delete_security_group", name, self.provider.delete_security_group, region, name
        )

    # -- check -------------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        return self._call("check", self.provider.check)


def _creation_order(group: ServerGroup) -> tuple[float, int]:
    created = group.created_at.timestamp() if group.created_at else 0.0
    return (created, group.moniker.sequence or 0)
