"""An account as the library hands it out: the provider's nouns behind the core's guards.

Every call passes through here, so the same rules hold for every provider: specs are validated with
the provider's own settings models, names come from the provider's naming policy, mutating calls
are authorized first, and no exception other than cloudrig's escapes. The guarded nouns
(``account.server_groups.get(...)``) are derived from the contract's declaration, so an operation
added there is guarded here without a line of this module changing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cloudrig._config._file import validation_problems
from cloudrig._errors import (
    AuthorizationDenied,
    CloudrigError,
    InvalidSpec,
    NotSupported,
    ProviderFailure,
)
from cloudrig._model._names import next_sequence, parse_name
from cloudrig._model._resources import (
    CheckResult,
    Cluster,
    CreateServerGroup,
    LoadBalancer,
    LoadBalancerSpec,
    Moniker,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
    ServerGroupMetadata,
    ServerGroupSpec,
)
from cloudrig.provider._authorization import Decision
from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._contract import (
    NOUNS,
    OPERATIONS,
    LoadBalancers,
    Operation,
    Provider,
    SecurityGroups,
    ServerGroups,
    Traffic,
)
from cloudrig.provider._descriptor import ProviderDescriptor
from cloudrig.provider._naming_policy import NamingPolicy

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
        self._nouns = {
            noun: _GuardedNoun(self, noun, getattr(provider, noun, None)) for noun in NOUNS
        }

    def __repr__(self) -> str:
        return f"<Account {self.name!r} provider={self.descriptor.name!r}>"

    @property
    def capabilities(self) -> Capabilities:
        """What this account's provider declares it can do."""
        return self.descriptor.capabilities

    @property
    def naming(self) -> NamingPolicy:
        """How monikers become cloud names on this account's provider."""
        return self.descriptor.naming

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions this account is configured to deploy to."""
        regions: tuple[str, ...] = getattr(self.provider.settings, "regions", ())
        return regions

    # -- the guarded nouns (derived from the contract's declaration) ----------------------------
    @property
    def server_groups(self) -> ServerGroups[Any]:
        """The provider's server groups behind the guards; create versions with
        ``create_server_group(spec)``, which decides the name and sequence."""
        return self._nouns["server_groups"]  # type: ignore[return-value]

    @property
    def load_balancers(self) -> LoadBalancers[Any]:
        """The provider's load balancers behind the guards; ``upsert_load_balancer(spec)``
        validates the spec's settings on the way."""
        return self._nouns["load_balancers"]  # type: ignore[return-value]

    @property
    def security_groups(self) -> SecurityGroups[Any]:
        """The provider's security groups behind the guards; ``upsert_security_group(spec)``
        validates the spec's settings on the way."""
        return self._nouns["security_groups"]  # type: ignore[return-value]

    @property
    def traffic(self) -> Traffic:
        """Weighted traffic; every call raises ``NotSupported`` when the provider cannot split."""
        return self._nouns["traffic"]  # type: ignore[return-value]

    def check(self) -> CheckResult:
        """Verify credentials and reachability with one cheap read (``cloudrig doctor`` does):
        the identity the credentials resolve to, or the mapped error saying what is wrong."""
        return self._call("check", self.provider.check)

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

    def _guarded(self, op: Operation, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if op.mutating:
            bound = op.signature().bind(None, *args, **kwargs)
            resource = op.resource(bound.arguments) if op.resource else ""
            decision = self._authorize(op.name, self.name, resource)
            if not decision.allowed:
                raise AuthorizationDenied(
                    self._principal, op.name, self.name, resource, decision.reason or "denied"
                )
        return self._call(op.name, fn, *args, **kwargs)

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

    # -- versions of a cluster ---------------------------------------------------------------------
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
        """Create the next version of the spec's cluster (or ``sequence`` when given): the name
        comes from the naming policy, the settings are validated, then ``server_groups.create``."""
        settings = self.validate_spec(spec)
        if sequence is None:
            existing = self.get_cluster(spec.moniker).server_groups
            taken = [g.moniker.sequence for g in existing if g.moniker.sequence is not None]
            latest = existing[-1].moniker.sequence if existing else None
            sequence = next_sequence(taken, latest)
        moniker = spec.moniker.with_sequence(sequence)
        request = CreateServerGroup[BaseModel](
            name=self.naming.server_group_name(moniker),
            spec=spec.model_copy(update={"moniker": moniker}),
            metadata=ServerGroupMetadata(moniker=moniker, deployment_id=deployment_id),
            settings=settings,
        )
        return self.server_groups.create(request)

    def upsert_load_balancer(self, spec: LoadBalancerSpec) -> LoadBalancer:
        """Validate the spec's settings with the provider's model, then ``load_balancers.upsert``."""
        self._check_region(spec.region)
        settings = self._settings(
            self.descriptor.load_balancer_settings, spec.settings, "load balancer"
        )
        return self.load_balancers.upsert(spec, settings)

    def upsert_security_group(self, spec: SecurityGroupSpec) -> SecurityGroup:
        """Validate the spec's settings with the provider's model, then ``security_groups.upsert``."""
        self._check_region(spec.region)
        settings = self._settings(
            self.descriptor.security_group_settings, spec.settings, "security group"
        )
        return self.security_groups.upsert(spec, settings)

    # -- clusters (derived from list_server_groups, the same for every provider) -----------------
    def get_cluster(self, cluster: str | Moniker, region: str | None = None) -> Cluster:
        """All server groups of a cluster, oldest first. A string is parsed Frigga-style; pass a
        ``Moniker`` for names whose parts contain '-'."""
        moniker = parse_name(cluster) if isinstance(cluster, str) else cluster
        groups = [
            g
            for g in self.server_groups.list(moniker.app, region)
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
        """Every cluster of ``app`` in this account (in ``region``, or every configured one),
        each with its server groups oldest first."""
        by_cluster: dict[tuple[str, str, str], list[ServerGroup]] = {}
        for group in self.server_groups.list(app, region):
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


class _GuardedNoun:
    """One noun of a provider behind its account's guards, exposing only the contract's operations
    of that noun (derived from ``OPERATIONS``)."""

    def __init__(self, account: Account, noun: str, impl: object | None) -> None:
        self._account = account
        self._noun = noun
        self._impl = impl
        self._operations = {op.method: op for op in OPERATIONS if op.noun == noun}

    def __repr__(self) -> str:
        return f"<{self._noun} of {self._account!r}>"

    def __dir__(self) -> list[str]:
        return sorted(self._operations)

    def __getattr__(self, method: str) -> Callable[..., Any]:
        op = self._operations.get(method)
        if op is None:
            raise AttributeError(f"{self._noun} has no operation {method!r}")
        account, impl = self._account, self._impl

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if impl is None:
                raise NotSupported(
                    f"provider {account.descriptor.name!r} cannot split traffic by weight"
                )
            return account._guarded(op, getattr(impl, method), *args, **kwargs)

        guarded.__name__ = guarded.__qualname__ = op.name
        return guarded


def _creation_order(group: ServerGroup) -> tuple[float, int]:
    created = group.created_at.timestamp() if group.created_at else 0.0
    return (created, group.moniker.sequence or 0)
