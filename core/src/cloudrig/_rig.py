"""``cloudrig.connect``: the entry object of the library."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from cloudrig._account import Account
from cloudrig._clock import Clock, SystemClock
from cloudrig._config._file import Config, load_config
from cloudrig._errors import ConfigError, PluginError
from cloudrig._model._resources import (
    Cluster,
    LoadBalancerSpec,
    Moniker,
    SecurityGroupSpec,
    ServerGroupSpec,
)
from cloudrig._plugins._registry import PluginRegistry
from cloudrig._redaction import redact_logs, secret_values
from cloudrig.provider._authorization import Decision
from cloudrig.provider._contract import ProviderContext
from cloudrig.ratelimit import Limiter, LimitsConfig
from cloudrig.ratelimit._observation import hook_observer


class Rig:
    """Configured accounts and the plugins that serve them. Providers are created lazily, on the
    first use of an account, so connecting imports no cloud SDK."""

    def __init__(
        self,
        config: Config,
        registry: PluginRegistry,
        *,
        principal: str | None = None,
        clock: Clock | None = None,
        state_store: StateStore | None = None,
    ) -> None:
        self.config = config
        self.registry = registry
        self.principal = principal
        self.clock: Clock = clock or SystemClock()
        # One limiter per process (shared budgets), with the providers' known limits.
        self.limiter = Limiter(_limits(config, registry), clock=self.clock)
        if config.metric_sources:  # answers the canary's metrics that name a configured source
            from cloudrig.canary._sources import ConfiguredMetrics

            registry.add(ConfiguredMetrics(config.metric_sources, self.limiter))
        # Requests are observed only when a plugin implements cloudrig_request.
        self.limiter.request_observer = hook_observer(registry.manager.hook)
        self._accounts: dict[str, Account] = {}
        self._state_store = state_store
        self._deployer: Deployer | None = None

    @property
    def accounts(self) -> tuple[str, ...]:
        """The names of the configured accounts, in configuration order."""
        return tuple(self.config.accounts)

    def account(self, name: str) -> Account:
        """The account's operations; imports and checks its provider's implementation once."""
        if name in self._accounts:
            return self._accounts[name]
        try:
            account = self.config.accounts[name]
        except KeyError:
            known = ", ".join(self.config.accounts) or "none"
            raise ConfigError(
                [(f"account {name!r}", f"not configured (configured: {known})")],
                source=self.config.source,
            ) from None
        entry = self.registry.provider(account.provider)
        cls = self.registry.implementation(account.provider)
        context = ProviderContext(
            account=name,
            settings=account.settings,
            clock=self.clock,
            limiter=self.limiter,
            logger=logging.getLogger(f"cloudrig.provider.{account.provider}.{name}"),
        )
        handle = Account(name, entry.descriptor, cls(context), self._authorize, self.principal)
        self._accounts[name] = handle
        return handle

    def cluster(self, account: str, cluster: str | Moniker, region: str | None = None) -> Cluster:
        """A cluster of ``account`` by name or moniker, with its server groups oldest first (in
        ``region``, or every configured one); empty when it has none."""
        return self.account(account).get_cluster(cluster, region)

    def close(self) -> None:
        """Close every provider this rig created (their clients and connections)."""
        accounts, self._accounts = self._accounts, {}
        for handle in accounts.values():
            handle.provider.close()

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- deployments (cloudrig.engine, cloudrig.strategies) ----------------------------------------
    @property
    def deployer(self) -> Deployer:
        """Deployments of this rig, with the configured (or given) state store, opened lazily."""
        if self._deployer is None:
            from cloudrig.engine._service import Deployer

            self._deployer = Deployer(self, self.config.deployments, self._state_store)
        return self._deployer

    # -- load balancers and security groups (cloudrig._config._apply) -----------------------------
    def load_spec(self, source: str | Path | Mapping[str, Any]) -> SpecFile:
        """Read a deployment spec file (YAML, TOML or a mapping): its server group, its strategy
        (with this rig's strategies, plugins' included) and the resources it declares."""
        from cloudrig.engine._spec import load_spec_file

        return load_spec_file(source, self.deployer.strategies())

    def apply(
        self, *resources: LoadBalancerSpec | SecurityGroupSpec | SpecFile, dry_run: bool = False
    ) -> ResourcePlan:
        """Create or update load balancers and security groups, security groups first; a spec
        file's declarations, after checking that everything its server group names is declared
        or exists. Every reference is checked before anything changes (one ``ConfigError``
        lists each problem); upserts are idempotent, so applying twice changes nothing.
        ``dry_run`` only reads: the returned plan says per resource what applying would do."""
        from cloudrig._config import _apply

        lbs: list[LoadBalancerSpec] = []
        sgs: list[SecurityGroupSpec] = []
        refs: list[_apply.Reference] = []
        sources = set()
        for item in resources:
            if isinstance(item, LoadBalancerSpec):
                lbs.append(item)
            elif isinstance(item, SecurityGroupSpec):
                sgs.append(item)
            else:
                lbs += item.load_balancers
                sgs += item.security_groups
                refs += _apply.references(item.server_group)
                sources.add(item.source)
        source = next(iter(sources)) if len(sources) == 1 else None
        run = _apply.plan if dry_run else _apply.apply
        return run(self, lbs, sgs, refs, source=source)

    def deploy(
        self,
        spec: ServerGroupSpec | SpecFile,
        strategy: Strategy | None = None,
        *,
        on_event: EventCallback | None = None,
        deployment_id: str | None = None,
        background: bool = False,
        idempotency_key: str | None = None,
    ) -> Deployment:
        """Deploy ``spec`` with ``strategy`` (red/black by default). Re-running an unfinished
        deployment of the same spec resumes it; after it finished, it is a new deployment. Runs to
        the end (or an approval gate) unless ``background``; iterate ``.events()`` either way.

        ``idempotency_key`` is how a workflow engine retries safely: a request with a key already
        used on the cluster returns that deployment — running (joined or resumed), paused,
        finished or failed — instead of starting another, so a retry of a deploy whose answer was
        lost never makes a second new version. Use one key per logical deploy (a workflow run and
        step id, say); the same key with another spec or strategy is a ``DeploymentConflict``.

        A ``SpecFile`` (``rig.load_spec``) is applied first (``rig.apply``: its declared load
        balancers and security groups), then its server group deployed with its strategy unless
        ``strategy`` is given."""
        if not isinstance(spec, ServerGroupSpec):
            self.apply(spec)
            strategy = strategy or spec.strategy
            spec = spec.server_group
        if strategy is None:
            from cloudrig.strategies import RedBlack

            strategy = RedBlack()
        routed: Deployment | None = self.registry.manager.hook.cloudrig_deploy(
            rig=self,
            spec=spec,
            strategy=strategy,
            on_event=on_event,
            background=background,
            idempotency_key=idempotency_key,
        )
        if routed is not None:  # another engine runs it (a ``cloudrig_deploy`` plugin)
            return routed
        return self.deployer.deploy(
            spec,
            strategy,
            on_event=on_event,
            deployment_id=deployment_id,
            background=background,
            idempotency_key=idempotency_key,
        )

    def resume(
        self, deployment_id: str, *, on_event: EventCallback | None = None, migrate: bool = False
    ) -> Deployment:
        """Continue an interrupted deployment from the step its record reached, after completing
        the operation it was sending and re-reading the cloud. Its plan must be the one it started
        with (``PlanChanged`` names both otherwise, e.g. after a strategy or provider upgrade);
        ``migrate=True`` continues with the new plan at its first step the old one had not done."""
        if (engine := self._engine()) is not None:
            return engine.resume(deployment_id, on_event=on_event, migrate=migrate)
        return self.deployer.resume(deployment_id, on_event=on_event, migrate=migrate)

    def promote(
        self, deployment_id: str, *, approve: bool = True, on_event: EventCallback | None = None
    ) -> Deployment:
        """Answer the approval gate a deployment waits at (``approve=False`` rolls it back)."""
        if (engine := self._engine()) is not None:
            return engine.promote(deployment_id, approve=approve, on_event=on_event)
        return self.deployer.promote(deployment_id, approve=approve, on_event=on_event)

    def abort(self, deployment_id: str, *, on_event: EventCallback | None = None) -> Deployment:
        """Abandon an unfinished deployment (running, interrupted, waiting at a gate): undo what
        it did — the groups it created leave traffic and scale down, the others get their
        capacity and traffic back — then mark it ``aborted``. A finished deployment is refused."""
        if (engine := self._engine()) is not None:
            return engine.abort(deployment_id, on_event=on_event)
        return self.deployer.abort(deployment_id, on_event=on_event)

    def rollback(
        self,
        account: str,
        cluster: str | Moniker,
        region: str | None = None,
        *,
        on_event: EventCallback | None = None,
    ) -> Deployment:
        """Roll a cluster back: an unfinished deployment is stopped and restored; otherwise the
        newest group that was enabled and healthy before the last deploy takes the traffic back."""
        if (engine := self._engine()) is not None:
            return engine.rollback(account, cluster, region, on_event=on_event)
        return self.deployer.rollback(account, cluster, region, on_event=on_event)

    def deployments(self, *, unfinished: bool | None = True) -> list[DeploymentRecord]:
        """Deployments in the state store, newest first (by default those still in flight)."""
        if (engine := self._engine()) is not None:
            return engine.find(unfinished=unfinished)
        return self.deployer.store.find(unfinished=unfinished)

    def deployment(self, deployment_id: str) -> DeploymentRecord:
        """One deployment's record (``DeploymentNotFound`` when there is none of that id)."""
        if (engine := self._engine()) is not None:
            return engine.get(deployment_id)
        return self.deployer.store.get(deployment_id)

    def deployment_events(self, deployment_id: str) -> list[DeploymentEvent]:
        """Every event of one deployment, in order."""
        if (engine := self._engine()) is not None:
            return engine.events(deployment_id)
        return self.deployer.store.events(deployment_id)

    def _engine(self) -> DeploymentEngine | None:
        """The engine a plugin runs this rig's deployments on (``cloudrig_deployments``), if any:
        then every deployment is read and acted on there, not in the state store."""
        engine: DeploymentEngine | None = self.registry.manager.hook.cloudrig_deployments(rig=self)
        return engine

    def _authorize(self, action: str, account: str, resource: str) -> Decision:
        return self.registry.authorize(self.principal, action, account, resource)


def connect(
    config: str | Path | Mapping[str, Any] | None = None,
    *,
    principal: str | None = None,
    plugins: Iterable[str | ModuleType | object] = (),
    entry_points: bool = True,
    clock: Clock | None = None,
    state_store: StateStore | None = None,
) -> Rig:
    """Find plugins, validate every account of ``config`` (a YAML/TOML path or a mapping) with its
    provider's settings model, and return the ``Rig``. No cloud call is made here.

    ``plugins`` loads extra plugins: module names (like pytest's ``-p``), modules or hookimpl objects; so does the environment
    variable ``CLOUDRIG_PLUGINS`` (comma-separated).

    From then on, the configured secrets and credential-bearing fields and headers are masked in
    every log record of the process, the cloud SDKs' own included (``cloudrig._redaction``).
    """
    registry = PluginRegistry(plugins, entry_points=entry_points)
    loaded = load_config(config, registry)
    redact_logs(
        secret_values([a.settings for a in loaded.accounts.values()])
        + secret_values([loaded.limits, loaded.deployments])
        + secret_values([s.settings for s in loaded.metric_sources.values()])
    )
    return Rig(
        loaded,
        registry,
        principal=principal,
        clock=clock,
        state_store=state_store,
    )


# Imported last, not under TYPE_CHECKING, so ``typing.get_type_hints`` resolves the public
# signatures above; at the bottom the import cycle between these modules is harmless.
from cloudrig._config._apply import ResourcePlan  # noqa: E402
from cloudrig.engine import (  # noqa: E402
    Deployment,
    DeploymentEngine,
    DeploymentEvent,
    DeploymentRecord,
    EventCallback,
    StateStore,
)
from cloudrig.engine._service import Deployer  # noqa: E402
from cloudrig.engine._spec import SpecFile  # noqa: E402
from cloudrig.strategies import Strategy  # noqa: E402


def _limits(config: Config, registry: PluginRegistry) -> LimitsConfig:
    """The configuration's limits with the known limits of every configured account's provider
    appended to its rules: after the user's, so a user's rule as specific as a known one wins."""
    from pydantic import ValidationError

    from cloudrig.ratelimit import Rule

    known: list[Rule] = []
    for name in sorted({account.provider for account in config.accounts.values()}):
        entry = registry.providers.get(name)
        if entry is None:  # an unknown provider is reported when its account is first used
            continue
        for i, fields in enumerate(entry.descriptor.known_limits):
            try:
                known.append(Rule.model_validate(fields))
            except ValidationError as exc:
                problem = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}"
                    for e in exc.errors()
                )
                raise PluginError(f"provider {name!r}: known_limits[{i}]: {problem}") from None
    if not known:
        return config.limits
    return config.limits.model_copy(update={"rules": (*config.limits.rules, *known)})
