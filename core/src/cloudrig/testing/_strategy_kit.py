"""The helper the strategy checks drive a provider with (fixture ``strategy_kit``).

It runs real deployments: a ``cloudrig.Rig`` whose one account is the target's RAW provider
(wrapped in the core's ``Account``, as ``cloudrig.connect`` would), a SQLite state store in a
temporary folder, the engine and the built-in strategies, and a ``StrategyObserver`` called with
every step event. Nothing here knows a strategy's plan: what is checked is what the provider reports.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any, NoReturn

import pytest

from cloudrig._account import Account
from cloudrig._clock import Clock
from cloudrig._config._file import Config
from cloudrig._model._resources import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig._plugins._hookspecs import hookimpl
from cloudrig._plugins._registry import PluginRegistry
from cloudrig._rig import Rig
from cloudrig.canary import MetricSamples
from cloudrig.engine import (
    Deployment,
    DeploymentStatus,
    SqliteStateStore,
    healthy_target,
    lease_key,
)
from cloudrig.provider._authorization import Decision
from cloudrig.strategies import Strategy
from cloudrig.testing._manual_clock import ManualClock
from cloudrig.testing._strategy_observer import StrategyObserver, Violation
from cloudrig.testing._strategy_options import StrategyOptions
from cloudrig.testing._target import ConformanceTarget


class _SameMetrics:
    """A ``cloudrig_canary_metrics`` plugin whose canary looks like its baseline: the kit checks
    what users see during a canary, not the judge."""

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        base = tuple(100.0 + (i * 7) % 13 for i in range(30))
        return {"latency": MetricSamples(canary=base, baseline=base)}


class _SettlingClock:
    """The provider's real clock, whose ``sleep`` lets the cloud settle instead of idling: the
    engine's polls come every ~0.25 s (its deadlines still hold, they read the real time)."""

    def __init__(self, clock: Clock, settle: Any) -> None:
        self._clock, self._settle = clock, settle

    def now(self) -> Any:
        return self._clock.now()

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def sleep(self, seconds: float) -> None:
        pause = min(max(seconds, 0.0), 0.25)
        started = time.monotonic()
        self._settle()
        left = pause - (time.monotonic() - started)
        if left > 0:
            time.sleep(left)


class _TargetRig(Rig):
    """A rig whose one account is an already built provider (the kit's target)."""

    def __init__(self, handle: Account, **kwargs: Any) -> None:
        registry = PluginRegistry([_SameMetrics()], entry_points=False, environment=False)
        super().__init__(Config(accounts={}), registry, **kwargs)
        self._handle = handle

    def account(self, name: str) -> Account:
        """The target's account by its name; any other is looked up as usual."""
        if name == self._handle.name:
            return self._handle
        return super().account(name)

    def close(self) -> None:  # the target's teardown owns the provider
        return None


class StrategyKit:
    """One check's deployments: a cluster of its own, behind a load balancer of its own."""

    def __init__(self, target: ConformanceTarget, options: StrategyOptions, check: str) -> None:
        self.target, self.options, self.check = target, options, check
        self.provider = target.provider
        self.region = target.region
        self.account = self.provider.context.account
        self.app = f"{target.app_prefix}{uuid.uuid4().hex[:8]}"
        self.load_balancer = f"{self.app}-lb"
        base = self.provider.context.clock
        self.virtual = isinstance(base, ManualClock)
        self.clock: Clock = base if self.virtual else _SettlingClock(base, target.settle)
        self._folder = tempfile.TemporaryDirectory(prefix="cloudrig-strategy-kit-")
        self.store = SqliteStateStore(Path(self._folder.name) / "kit.sqlite3", clock=self.clock)
        handle = Account(self.account, target.descriptor, self.provider, _allow)
        self.rig = _TargetRig(handle, clock=self.clock, state_store=self.store)
        self.observer = StrategyObserver(
            provider=self.provider,
            capabilities=target.capabilities,
            region=self.region,
            app=self.app,
            floor=healthy_target(target.capacity, 100.0),
            store=lambda: self.store,
        )
        self._lb_made = False

    # -- failing ---------------------------------------------------------------------------------
    def fail(self, message: str) -> NoReturn:
        """Fail the check, named with the provider's class."""
        provider = type(self.provider).__name__
        pytest.fail(f"[{self.check}] {provider}: {message}", pytrace=False)

    def verdict(self, *, only: Collection[str] | None = None, ignore: Collection[str] = ()) -> None:
        """Fail the check with every distinct violation the observer saw, in order (of the
        checks named in ``only``, all by default, except those in ``ignore``)."""
        found = [
            v
            for v in self.observer.violations
            if (only is None or v.check in only or v.check == "deployment")
            and v.check not in ignore
        ]
        if found:
            lines = "\n".join(f"- [{v.check}] {v.message}" for v in found)
            self.fail(f"what users of the cluster would have seen:\n{lines}")

    # -- deployments -----------------------------------------------------------------------------
    def timed(self, strategy: Strategy) -> Strategy:
        """``strategy`` with the kit's health deadline."""
        timeout = self.options.health_timeout
        if timeout is None and not self.virtual:
            timeout = self.target.timeout
        if timeout is None:
            return strategy
        return strategy.model_copy(update={"health_timeout": timeout})

    def spec(self) -> ServerGroupSpec:
        """The cluster's spec (``capacity`` instances behind the kit's load balancer, which the
        first call upserts)."""
        if not self._lb_made:
            spec = LoadBalancerSpec(
                name=self.load_balancer,
                account=self.account,
                region=self.region,
                settings=dict(self.target.load_balancer_settings),
            )
            self.rig.account(self.account).upsert_load_balancer(spec)
            self._lb_made = True
        desired = self.target.capacity
        return ServerGroupSpec(
            moniker=Moniker(app=self.app, stack="kit"),
            account=self.account,
            region=self.region,
            artifact=self.target.artifact,
            capacity=Capacity(min=desired, desired=desired, max=desired + 1),
            load_balancers=(self.load_balancer,),
            settings=dict(self.target.spec_settings),
        )

    def deploy(self, strategy: Strategy, label: str) -> Deployment:
        """Deploy the kit's spec with ``strategy``, observed; fail unless it succeeds."""
        self.observer.strategy = label
        self.observer.floor = healthy_target(self.target.capacity, strategy.healthy_percent)
        deployment = self.rig.deploy(self.spec(), self.timed(strategy), on_event=self.observer)
        return self._succeeded(deployment, label)

    def rollback(self, label: str = "rollback") -> Deployment:
        """Roll the cluster back (``rig.rollback``), observed; fail unless it succeeds."""
        self.observer.strategy = label
        moniker = Moniker(app=self.app, stack="kit")
        deployment = self.rig.rollback(self.account, moniker, self.region, on_event=self.observer)
        return self._succeeded(deployment, label)

    def crash_and_resume(self, strategy: Strategy, label: str, k: int) -> bool:
        """Deploy with ``strategy``, killed right after its ``k``-th request was applied
        (``CrashAfterRequest``), then resume as a restarted worker would: the dead worker's lease
        expired, the unfinished deployment resumed by id (or deployed again when the crash came
        before its record). False when the deployment sent fewer than ``k`` requests (it then
        simply succeeded). Fails unless the resumed deployment succeeds with exactly the newest
        group enabled, read from the provider."""
        from cloudrig.testing._crash import CrashAfterRequest
        from cloudrig.testing._faults import SimulatedCrash

        what = f"{label} killed after request {k}"
        self.observer.strategy = what
        spec, timed = self.spec(), self.timed(strategy)
        deployment: Deployment | None = None
        # The kill unwinds the deployment like a killed process: nothing after it runs.
        with CrashAfterRequest(k) as crash, contextlib.suppress(SimulatedCrash):
            deployment = self.rig.deploy(spec, timed, on_event=self.observer)
        if deployment is not None and not crash.fired:
            self._succeeded(deployment, label)
            return False
        key = lease_key(self.account, self.region, spec.moniker)
        holder = self.store.lease_holder(key)
        if holder is not None:  # a killed worker releases nothing: its lease's TTL would
            self.store.release_lease(key, holder)
        pending = [r for r in self.rig.deployments(unfinished=True) if r.lease_key == key]
        if pending:
            resumed = self.rig.resume(pending[0].id, on_event=self.observer)
        else:
            resumed = self.rig.deploy(spec, timed, on_event=self.observer)
        self._succeeded(resumed, f"{what}, then resumed")
        groups = self.provider.server_groups.list(self.app, self.region)
        enabled = sorted(g.name for g in groups if g.enabled)
        newest = max(groups, key=lambda g: g.moniker.sequence or 0).name if groups else None
        if enabled != [newest]:
            self.observer.violations.append(
                Violation("deployment", f"{what}, then resumed: enabled {enabled}, newest {newest}")
            )
        return True

    def _succeeded(self, deployment: Deployment, label: str) -> Deployment:
        if deployment.status is not DeploymentStatus.SUCCEEDED:
            events = "\n".join(f"  {e}" for e in deployment.events())
            self.observer.violations.append(
                Violation(
                    "deployment",
                    f"{label} ended {deployment.status.value}: {deployment.error}\n{events}",
                )
            )
            self.verdict()
        return deployment

    # -- cleanup ---------------------------------------------------------------------------------
    def cleanup(self) -> None:
        """Best effort: destroy the cluster's groups and the load balancer."""
        provider = self.provider
        try:
            groups = provider.server_groups.list(self.app, self.region)
        except Exception:
            groups = []
        for group in groups:
            try:
                provider.server_groups.destroy(self.region, group.name)
            except Exception:
                continue
        if self._lb_made:
            for _ in range(3):  # a load balancer may be "in use" until the groups are gone
                try:
                    provider.load_balancers.delete(self.region, self.load_balancer)
                    break
                except Exception:
                    self.target.settle()
        self.store.close()
        self._folder.cleanup()


def _allow(action: str, account: str, resource: str) -> Decision:
    """The kit authorizes every action: authorization is not what it checks."""
    return Decision.allow()
