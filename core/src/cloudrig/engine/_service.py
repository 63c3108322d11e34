"""``rig.deploy`` / ``resume`` / ``promote`` / ``rollback`` / ``abort``: finding or creating the deployment
record, taking the cluster's lease, and running the plan.

Identity: a deployment is found again by its id (explicitly, or because an unfinished deployment of
the same spec and strategy occupies the cluster), or by the caller's idempotency key (whatever its
status); the same spec deployed again after it finished, without a key, is a new deployment. A
different spec while one is unfinished is a ``DeploymentConflict``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudrig._account import Account
from cloudrig._config._deployments import DeploymentsConfig
from cloudrig._errors import InvalidSpec
from cloudrig._model._names import parse_name
from cloudrig._model._resources import Moniker, ServerGroupSpec
from cloudrig.engine._deployment import Deployment, EventCallback
from cloudrig.engine._errors import (
    DeploymentError,
    Draining,
)
from cloudrig.engine._executor import execute, request_rollback
from cloudrig.engine._fingerprint import check_plan, plan_print, request_fingerprint
from cloudrig.engine._launching import announce, launch, release
from cloudrig.engine._lease import Lease, NullLease
from cloudrig.engine._lookup import by_key, existing, region_of
from cloudrig.engine._records import (
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
    lease_key,
)
from cloudrig.engine._run import Run
from cloudrig.engine._snapshot import new_record
from cloudrig.engine._store import PreviewStore, StateStore, open_store
from cloudrig.ratelimit import RetryPolicy

if TYPE_CHECKING:
    from cloudrig._rig import Rig
    from cloudrig.strategies import Strategy

log = logging.getLogger("cloudrig.engine")


class Deployer:
    def __init__(self, rig: Rig, config: DeploymentsConfig, store: StateStore | None = None):
        self.rig, self.config = rig, config
        self._store = store
        self._lock = threading.Lock()

    @property
    def store(self) -> StateStore:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.config, self.rig.clock)
            return self._store

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(self.rig.config.limits.retries, clock=self.rig.clock)

    # -- strategies ------------------------------------------------------------------------------
    def strategies(self) -> dict[str, type[Strategy]]:
        from cloudrig.strategies import BUILTIN

        found = dict(BUILTIN)
        for contributed in self.rig.registry.manager.hook.cloudrig_strategies():
            for cls in contributed or ():
                found.setdefault(cls.name, cls)
        return found

    def strategy(self, name: str, params: dict[str, Any]) -> Strategy:
        known = self.strategies()
        if name not in known:
            raise InvalidSpec(f"unknown strategy {name!r} (known: {', '.join(sorted(known))})")
        return known[name].model_validate(params)

    # -- entry points ----------------------------------------------------------------------------
    def deploy(
        self,
        spec: ServerGroupSpec,
        strategy: Strategy,
        *,
        on_event: EventCallback | None = None,
        deployment_id: str | None = None,
        background: bool = False,
        idempotency_key: str | None = None,
    ) -> Deployment:
        account = self.rig.account(spec.account)
        account.validate_spec(spec)
        strategy.check(account.capabilities, spec)
        key = lease_key(spec.account, spec.region, spec.moniker)
        fingerprint = request_fingerprint(spec, strategy)
        handle = Deployment(on_event)

        def body() -> None:
            requested = self.rig.clock.now()
            keyed = by_key(self.store, key, idempotency_key, fingerprint)
            found = keyed or existing(self.store, key, fingerprint, deployment_id)
            if found is not None:
                self._resume(handle, found.id)
                return
            self._wait_for_drain()

            def make(lease: Lease) -> DeploymentRecord | str:
                # a racing worker got here first
                store = self.store
                again = by_key(store, key, idempotency_key, fingerprint) or existing(
                    store, key, fingerprint, None
                )
                if again is not None:
                    return again.id
                latest = self.store.find(lease_key=key)
                if (
                    latest
                    and latest[0].fingerprint == fingerprint
                    and latest[0].created_at >= requested
                ):
                    # Another worker deployed this very spec while this request waited for the
                    # lease: that deployment answers this request too (no second one).
                    return latest[0].id
                return self._new_record(
                    account,
                    spec.moniker,
                    spec.region,
                    spec,
                    strategy,
                    fingerprint,
                    idempotency_key=idempotency_key,
                )

            self._run(handle, key, strategy, make, cluster=spec.moniker.cluster)

        return launch(handle, body, background)

    def resume(
        self,
        deployment_id: str,
        *,
        on_event: EventCallback | None = None,
        background: bool = False,
        migrate: bool = False,
    ) -> Deployment:
        """Continue a deployment from its record. Its plan must be the one it started with
        (``PlanChanged`` otherwise); ``migrate=True`` continues with today's plan instead."""
        handle = Deployment(on_event)
        return launch(
            handle, lambda: self._resume(handle, deployment_id, migrate=migrate), background
        )

    def promote(
        self,
        deployment_id: str,
        *,
        approve: bool = True,
        on_event: EventCallback | None = None,
        background: bool = False,
    ) -> Deployment:
        record = self.store.get(deployment_id)
        if record.status is not DeploymentStatus.AWAITING_APPROVAL:
            raise DeploymentError(
                f"deployment {deployment_id} is {record.status.value}, not awaiting approval"
            )
        self.store.set_approval(deployment_id, record.step_name, approve)
        return self.resume(deployment_id, on_event=on_event, background=background)

    def rollback(
        self,
        account: str,
        cluster: str | Moniker,
        region: str | None = None,
        *,
        on_event: EventCallback | None = None,
        background: bool = False,
        strategy: Strategy | None = None,
    ) -> Deployment:
        from cloudrig.strategies import Rollback

        acct = self.rig.account(account)
        moniker = parse_name(cluster) if isinstance(cluster, str) else cluster
        region = region or region_of(acct, moniker)
        key = lease_key(account, region, moniker)
        handle = Deployment(on_event)

        def body() -> None:
            unfinished = self.store.find(lease_key=key, unfinished=True)
            if unfinished:  # roll back the deployment in flight instead (or finish a rollback)
                self._resume(handle, unfinished[0].id, rollback=True)
                return
            plan = strategy or Rollback()
            self._run(
                handle,
                key,
                plan,
                cluster=moniker.cluster,
                make=lambda lease: self._new_record(
                    acct,
                    moniker,
                    region,
                    None,
                    plan,
                    f"rollback:{uuid.uuid4().hex}",
                    kind="rollback",
                ),
            )

        return launch(handle, body, background)

    def abort(
        self,
        deployment_id: str,
        *,
        on_event: EventCallback | None = None,
        background: bool = False,
    ) -> Deployment:
        """Abandon an unfinished deployment: undo what it did (the restore a failure runs), then
        mark it ``aborted``. A finished one is refused (``cloudrig rollback`` undoes those)."""
        _refuse_finished(self.store.get(deployment_id))
        handle = Deployment(on_event)
        return launch(
            handle,
            lambda: self._resume(handle, deployment_id, rollback=True, abort=True),
            background,
        )

    def plan(self, spec: ServerGroupSpec, strategy: Strategy) -> list[tuple[str, str, bool]]:
        """The steps a deployment of ``spec`` would take now: reads only, no record, no change."""
        account = self.rig.account(spec.account)
        account.validate_spec(spec)
        strategy.check(account.capabilities, spec)
        record = self._new_record(account, spec.moniker, spec.region, spec, strategy, "dry-run")
        run = self._make_run(record, account, PreviewStore(self._store), NullLease(), Deployment())
        strategy.prepare(run)
        return [(s.name, s.description, s.gate is not None) for s in strategy.steps(run)]

    def drain(self, draining: bool) -> None:
        self.store.set_draining(draining)

    # -- internals -------------------------------------------------------------------------------
    def _wait_for_drain(self) -> None:
        clock = self.rig.clock
        deadline = clock.monotonic() + self.config.drain_wait
        while self.store.draining():
            if clock.monotonic() >= deadline:
                raise Draining("new deployments are drained (cloudrig drain off to resume them)")
            clock.sleep(min(10.0, max(deadline - clock.monotonic(), 0.0)))

    def _resume(
        self,
        handle: Deployment,
        deployment_id: str,
        rollback: bool = False,
        migrate: bool = False,
        abort: bool = False,
    ) -> None:
        record = self.store.get(deployment_id)
        # Rolling back a rollback would undo it: an interrupted rollback is finished instead
        # (unless it is aborted: undoing what it did is what an abort asks for).
        rollback = abort or (rollback and record.kind != "rollback")
        strategy = self.strategy(record.strategy, record.params)
        self._run(
            handle,
            record.lease_key,
            strategy,
            lambda lease: deployment_id,
            rollback=rollback,
            migrate=migrate,
            cluster=record.cluster,
            known_id=deployment_id,
            abort=abort,
        )

    def _run(
        self,
        handle: Deployment,
        key: str,
        strategy: Strategy,
        make: Callable[[Lease], DeploymentRecord | str],
        rollback: bool = False,
        migrate: bool = False,
        cluster: str = "",
        known_id: str | None = None,
        abort: bool = False,
    ) -> None:
        lease = Lease(self.store, key, ttl=self.config.lease_ttl, clock=self.rig.clock)

        def waiting(holder: str | None, at_most: float) -> None:
            announce(
                self.rig,
                handle,
                known_id,
                EventKind.LEASE_WAIT,
                f"cluster {cluster or key} is busy: waiting for the lease held by "
                f"{holder or 'another worker'} (at most {at_most:.0f}s)",
                holder=holder,
                at_most=at_most,
            )

        lease.acquire(self.config.lease_wait, on_wait=waiting)
        try:
            made = make(lease)
            fresh = isinstance(made, DeploymentRecord)
            record = made if isinstance(made, DeploymentRecord) else self.store.get(made)
            account = self.rig.account(record.account)
            run = self._make_run(record, account, self.store, lease, handle)
            handle.id, handle.record = record.id, record
            if abort:  # it may have finished while this request waited for the lease
                _refuse_finished(record)
            if not fresh and record.status.finished and not rollback:
                release(lease)  # joined a deployment another worker already finished
                announce(
                    self.rig,
                    handle,
                    record.id,
                    EventKind.JOINED,
                    f"joined deployment {record.id} of {record.cluster}, already "
                    f"{record.status.value}: nothing more to do",
                    status=record.status.value,
                )
                return
            if fresh:
                strategy.prepare(run)
                record.state.plan = plan_print(run, strategy)
                self.store.create(record, holder=lease.holder)
                run.emit(
                    EventKind.STARTED,
                    f"deployment {record.id}: {strategy.name} of "
                    f"{record.cluster} in {record.account}/{record.region}",
                )
            else:
                run.emit(
                    EventKind.RESUMED,
                    f"resuming deployment {record.id} at step "
                    f"{record.step} ({record.step_name or 'start'})",
                )
                if not rollback:
                    check_plan(run, strategy, migrate=migrate)
            if rollback:
                request_rollback(run, strategy, abort=abort)
            else:
                execute(run, strategy, resumed=not fresh)
        except (Exception, KeyboardInterrupt):
            # A stop on purpose (Ctrl-C) frees the cluster at once; a process that dies (or a
            # simulated crash) leaves the lease to expire after its TTL.
            release(lease)
            raise
        release(lease)

    def _make_run(
        self,
        record: DeploymentRecord,
        account: Account,
        store: Any,
        lease: Lease | NullLease,
        handle: Deployment,
    ) -> Run:
        return Run(
            record=record,
            account=account,
            store=store,
            lease=lease,
            clock=self.rig.clock,
            retry=self.retry,
            handle=handle,
            hooks=self.rig.registry.manager.hook,
        )

    def _new_record(
        self,
        account: Account,
        moniker: Moniker,
        region: str,
        spec: ServerGroupSpec | None,
        strategy: Strategy,
        fingerprint: str,
        kind: str = "deploy",
        idempotency_key: str | None = None,
    ) -> DeploymentRecord:
        return new_record(
            account,
            moniker,
            region,
            spec,
            strategy,
            fingerprint,
            kind=kind,
            clock=self.rig.clock,
            retry=self.retry,
            idempotency_key=idempotency_key,
        )


def _refuse_finished(record: DeploymentRecord) -> None:
    """An abort undoes an unfinished deployment only (``rollback`` undoes a finished one)."""
    if record.status.finished:
        raise DeploymentError(
            f"deployment {record.id} is already {record.status.value}: nothing to abort"
        )
