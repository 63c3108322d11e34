"""What a strategy's steps act through: one deployment's guarded view of its account.

Every mutation checks the cluster's lease first (fail closed), is retried with the rig's retry
policy when the cloud answers 5xx or throttling (every mutation here is idempotent: creates carry a
reserved name and the deployment id), and emits an event. Every read goes to the cloud.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cloudrig._account import Account
from cloudrig._clock import Clock
from cloudrig._errors import Conflict, NotFound, ProviderFailure, Throttled
from cloudrig._model._resources import (
    Capacity,
    Cluster,
    ServerGroup,
    ServerGroupSpec,
    TrafficWeights,
)
from cloudrig.engine._errors import WaitTimeout
from cloudrig.engine._hints import creating_anew, without_instances
from cloudrig.engine._lease import Lease, NullLease
from cloudrig.engine._records import DeploymentEvent, DeploymentRecord, EventKind
from cloudrig.engine._state import DeploymentState, GroupSnapshot, PendingOp
from cloudrig.engine._store import StateStore
from cloudrig.engine._waiting import wait_for_health
from cloudrig.provider._capabilities import Capabilities
from cloudrig.ratelimit import AnswerClass, RetryPolicy, Verdict, fresh_reads

T = TypeVar("T")
log = logging.getLogger("cloudrig.engine")


def classify(outcome: Any) -> AnswerClass:
    if isinstance(outcome, Throttled):
        return AnswerClass(Verdict.THROTTLED, outcome.retry_after)
    if isinstance(outcome, ProviderFailure):
        return AnswerClass(Verdict.TRANSIENT)
    if isinstance(outcome, BaseException):
        return AnswerClass(Verdict.PERMANENT)
    return AnswerClass(Verdict.OK)


class Run:
    """One deployment's run, as a strategy's steps see it: the record and its typed ``state``,
    reads of the cluster (retried; ``fresh`` for the reads that decide), mutations that check the
    cluster's lease first and are saved before they are sent, events, and timers kept in the
    record so a resumed run waits only what is left (the module docstring)."""

    def __init__(
        self,
        *,
        record: DeploymentRecord,
        account: Account,
        store: StateStore,
        lease: Lease | NullLease,
        clock: Clock,
        retry: RetryPolicy,
        handle: Deployment,
        hooks: Any = None,
    ) -> None:
        self.record, self.account, self.store, self.lease = record, account, store, lease
        self.clock, self.retry, self.handle, self.hooks = clock, retry, handle, hooks
        self._seq = 0  # numbers events only where the store does not (dry runs)
        self._scope, self._timers = "start", 0
        self._again = True  # whether the current step ran before (unknown: assume it did)
        self._created: dict[str, ServerGroup] = {}  # groups as this run's creates answered

    # -- facts -----------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The deployment's id."""
        return self.record.id

    @property
    def region(self) -> str:
        """The region the cluster is deployed in."""
        return self.record.region

    @property
    def state(self) -> DeploymentState:
        """What the steps share, saved with the record (reserved names, the original groups,
        timers, analysis results)."""
        return self.record.state

    @property
    def spec(self) -> ServerGroupSpec:
        """The spec being deployed (``ValueError`` for a rollback's record, which has none)."""
        if self.record.spec is None:
            raise ValueError(f"deployment {self.id} has no spec")
        return self.record.spec

    @property
    def capabilities(self) -> Capabilities:
        """What the account's provider can do (traffic weights, resize, …)."""
        return self.account.capabilities

    def name(self, role: str) -> str:
        """The reserved cloud name of a group this deployment creates ('new', 'canary', ...)."""
        return self.state.names[role]

    @property
    def original(self) -> dict[str, GroupSnapshot]:
        """Every group of the cluster as it was before the deployment (by name)."""
        return self.state.original

    @property
    def serving(self) -> list[str]:
        """The groups that were enabled before the deployment, oldest first."""
        return [n for n, o in self.original.items() if o.enabled]

    # -- events and persistence ------------------------------------------------------------------
    def emit(self, kind: EventKind, message: str, group: str | None = None, **data: Any) -> None:
        """Record an event (fenced by the lease), log it, hand it to the caller's handle and to
        the ``cloudrig_deployment_event`` hooks (whose errors are logged, never raised)."""
        self._seq += 1
        event = DeploymentEvent(
            deployment_id=self.id,
            seq=self._seq,
            time=self.clock.now(),
            kind=kind,
            message=message,
            server_group=group,
            data=data,
        )
        event = self.store.append_event(event, holder=self.lease.holder)  # store-numbered, fenced
        log.info("deployment %s: %s", self.id, message)  # what `cloudrig -v` shows
        self.handle.publish(event)
        if self.hooks is not None:
            try:
                self.hooks.cloudrig_deployment_event(event=event)
            except Exception:
                # An observer (a chat notifier, a dashboard) must never fail or roll back a
                # deployment; its error is logged and the deployment goes on.
                log.exception("a cloudrig_deployment_event hook failed on %s", event.kind.value)

    def checkpoint(self) -> None:
        """Persist the record (fenced by the lease)."""
        self.record.updated_at = self.clock.now()
        self.store.save(self.record, holder=self.lease.holder)

    def keepalive(self) -> None:
        """Renew the cluster's lease during a long wait; ``LeaseLost`` when it is gone."""
        self.lease.check()

    # -- timers: instants in the record, so a resumed run waits only what is left -----------------
    def begin(self, scope: str) -> None:
        """Start a step (or the restore): its timers are numbered from here, in order, so the
        same step run again after a crash finds the instants its first run saved."""
        self._scope, self._timers = scope, 0
        self._again = scope in self.state.started
        self.state.started.setdefault(scope, self.clock.now())

    def deadline(self, seconds: float) -> datetime:
        """The end of the next delay or wait of this step: ``seconds`` from now the first time,
        the saved instant when the step runs again after a resume."""
        key = f"{self._scope}#{self._timers}"
        self._timers += 1
        saved = self.state.deadlines.get(key)
        if saved is None:
            saved = self.clock.now() + timedelta(seconds=seconds)
            self.state.deadlines[key] = saved
            self.checkpoint()
        return saved

    def forget_timers(self, scope: str) -> None:
        """Drop a scope's instants (a restore retried after an error gets fresh deadlines)."""
        prefix = f"{scope}#"
        for key in [k for k in self.state.deadlines if k.startswith(prefix)]:
            del self.state.deadlines[key]

    def remaining(self, until: datetime) -> float:
        """Seconds from now to ``until`` (0 once it has passed)."""
        return max(0.0, (until - self.clock.now()).total_seconds())

    def sleep(self, seconds: float) -> datetime:
        """Sleep until the step's next saved instant (``seconds`` from its first run), renewing
        the lease in slices well inside its TTL; returns the instant."""
        until = self.deadline(seconds)
        while (remaining := self.remaining(until)) > 0:
            self.clock.sleep(min(remaining, self.lease.ttl / 3))
            self.keepalive()
        return until

    # -- reads (retried) ---------------------------------------------------------------------------
    def read(self, fn: Callable[[], T]) -> T:
        """A retried read; a provider may serve it from its short read cache, which its own
        mutations invalidate (and whose TTL is far shorter than a lease, so no other worker's
        change can hide behind it)."""
        return self.retry.run(fn, classify=classify, safe=True)

    def fresh(self, fn: Callable[[], T]) -> T:
        """A read that decides a mutation (is the new group healthy?): always from the cloud."""
        with fresh_reads():
            return self.retry.run(fn, classify=classify, safe=True)

    def cluster(self, instances: bool = True) -> Cluster:
        """The cluster's groups; ``instances=False`` when only their names, capacities and
        traffic are used (a provider may then leave out instance health: ``_hints``)."""
        if instances:
            return self.read(lambda: self.account.get_cluster(self.record.moniker, self.region))
        with without_instances():
            return self.read(lambda: self.account.get_cluster(self.record.moniker, self.region))

    def groups(self, instances: bool = True) -> dict[str, ServerGroup]:
        """The cluster's groups by name (``cluster``)."""
        return {g.name: g for g in self.cluster(instances).server_groups}

    def find(self, name: str) -> ServerGroup | None:
        """The group called ``name``, or None when it does not exist."""
        try:
            return self.read(lambda: self.account.server_groups.get(self.region, name))
        except NotFound:
            return None

    def get(self, name: str) -> ServerGroup:
        """The group called ``name``; ``NotFound`` when it does not exist."""
        return self.read(lambda: self.account.server_groups.get(self.region, name))

    def capacity(self, name: str) -> Capacity:
        """The group's capacity: as this run's create of it answered, until this run changes
        the group (in this process; a resumed run reads it)."""
        created = self._created.get(name)
        return created.capacity if created is not None else self.get(name).capacity

    # -- mutations (lease checked, retried, observable) ------------------------------------------
    def mutate(self, fn: Callable[[], T]) -> T:
        """Run the mutation ``fn`` with the retry policy, checking the lease before each attempt
        (``LeaseLost`` stops it before it reaches the cloud)."""

        def attempt() -> T:
            self.lease.check()
            return fn()

        return self.retry.run(attempt, classify=classify, safe=True)

    def create(self, role: str, spec: ServerGroupSpec) -> ServerGroup:
        """Create the group reserved for ``role``, or adopt it when a previous attempt (perhaps a
        crashed worker) already created it: found by its reserved name and this deployment's id.
        A create that was still in flight when its worker died (the record's pending operation)
        is sent again instead: on most clouds a create is several requests (a MIG then its
        autoscaler, a task definition then a service), the kill may have fallen between them, and
        every provider's create is idempotent and completes what it finds half made."""
        name = self.name(role)
        # On a step's first run nothing of this deployment's exists under the name it reserved
        # from the cluster's listing, and the provider's create checks the name itself
        # (idempotent; Conflict for another's group): the look is for a step run again.
        first = not self._again and self.state.pending is None
        existing = None if first else self.find(name)
        if existing is not None:
            if existing.deployment_id != self.id:
                raise Conflict(f"{name} exists but belongs to deployment {existing.deployment_id}")
            pending = self.state.pending
            if pending is None or pending.op != "create" or pending.name != name:
                return existing
        sequence = self.state.sequences[role]
        self.state.pending = PendingOp(op="create", name=name)
        self.checkpoint()
        attempts = 0

        def create() -> ServerGroup:
            nonlocal attempts
            attempts += 1  # a retry may follow an attempt that landed: not anew
            with creating_anew() if first and attempts == 1 else contextlib.nullcontext():
                return self.account.create_server_group(
                    spec, deployment_id=self.id, sequence=sequence
                )

        group = self.mutate(create)
        self.state.pending = None
        self._created[name] = group
        self.checkpoint()  # the create is whole: a worker taking over from here adopts it
        cap = spec.capacity
        done = "completed" if existing is not None else "created"
        self.emit(
            EventKind.CREATED,
            f"{done} {name} ({role}, {spec.artifact}, capacity {cap.min}/{cap.desired}/{cap.max})",
            name,
            role=role,
        )
        return group

    def resize(self, name: str, capacity: Capacity, why: str = "") -> None:
        """Set the group's capacity (nothing when it has it already or does not exist)."""
        group = self.find(name)
        if group is None or group.capacity == capacity:
            return
        self._apply(PendingOp(op="resize", name=name, capacity=capacity, why=why))

    def enable(self, name: str) -> None:
        """Put the group into traffic (nothing when it is already, or does not exist)."""
        group = self.find(name)
        if group is None or group.enabled:
            return
        self._apply(PendingOp(op="enable", name=name))

    def disable(self, name: str) -> None:
        """Take the group out of traffic, its instances kept (nothing when it is out already,
        or does not exist)."""
        group = self.find(name)
        if group is None or not group.enabled:
            return
        self._apply(PendingOp(op="disable", name=name))

    def destroy(self, name: str) -> None:
        """Delete the group (nothing when it does not exist)."""
        if self.find(name) is None:
            return
        self._apply(PendingOp(op="destroy", name=name))

    def _apply(self, op: PendingOp, *, again: bool = False) -> None:
        """Save the operation, send it, then announce it. Saved first so that a worker killed
        before it learns the answer — perhaps after only part of it landed in the cloud — leaves
        it for the resumed run to send again (``complete_pending``)."""
        self.state.pending = op
        self.checkpoint()
        region, groups = self.region, self.account.server_groups
        name = op.name or ""
        self._created.pop(name, None)
        if op.op == "resize":
            assert op.capacity is not None
            capacity = op.capacity
            self.mutate(lambda: groups.resize(region, name, capacity))
            kind = {"pin": EventKind.PINNED, "unpin": EventKind.UNPINNED}.get(op.why)
            self.emit(
                kind or EventKind.SCALED,
                f"{op.why + ' ' if op.why else ''}{name} to "
                f"{capacity.min}/{capacity.desired}/{capacity.max}",
                name,
                capacity=capacity.model_dump(),
            )
        elif op.op == "enable":
            self.mutate(lambda: groups.enable(region, name))
            self.emit(EventKind.TRAFFIC_MOVED, f"{name} enabled: in traffic", name)
        elif op.op == "disable":
            self.mutate(lambda: groups.disable(region, name))
            self.emit(EventKind.DISABLED, f"{name} disabled: out of traffic", name)
        elif op.op == "destroy":
            self.mutate(lambda: groups.destroy(region, name))
            self.emit(EventKind.DESTROYED, f"destroyed {name}", name)
        else:
            weights = dict(op.weights or {})
            tw = TrafficWeights(weights=weights)
            self.mutate(lambda: self.account.traffic.set_weights(region, tw))
            shares = ", ".join(f"{n} {w}%" for n, w in weights.items())
            self.emit(EventKind.TRAFFIC_MOVED, f"traffic: {shares}", weights=weights)
        self.state.pending = None

    def complete_pending(self) -> None:
        """On resume: send again the operation the previous worker was sending when it died (it
        may have landed in full, in part, or not at all; each operation is idempotent)."""
        op = self.state.pending
        if op is None or op.op == "create":  # the creating step sends it again (``create``)
            return
        self.emit(
            EventKind.NOTE,
            f"completing {op.op} {op.name or ''} the previous worker sent before it stopped".replace(
                "  ", " "
            ),
            op.name,
        )
        try:
            self._apply(op)
        except NotFound:  # destroyed meanwhile: nothing left to complete
            self.state.pending = None

    def weights(self) -> dict[str, int]:
        """Each group's current share of the cluster's traffic in percent."""
        groups = self.groups(instances=False)
        enabled = [n for n, g in groups.items() if g.enabled]
        if not enabled:
            return {}
        if self.capabilities.splits_traffic:
            answer = self.read(lambda: self.account.traffic.get_weights(self.region, enabled))
            return dict(answer.weights)
        return even_shares(enabled)

    def set_weights(self, weights: dict[str, int]) -> None:
        """Shift traffic by weight (groups at 0 leave traffic); one atomic call to the cloud."""
        current = {n: w for n, w in self.weights().items() if w}
        wanted = {n: w for n, w in weights.items() if w}
        if current == wanted:
            return
        self._apply(PendingOp(op="set_weights", weights=dict(weights)))
        for name in sorted(set(current) - set(wanted)):
            self.emit(EventKind.DISABLED, f"{name} out of traffic (weight 0)", name)

    def wait_healthy(self, name: str, healthy: int, timeout: float) -> ServerGroup:
        """Wait until ``healthy`` instances of the group are Up (the step's deadline saved, so a
        resumed run waits what is left), renewing the lease; ``WaitTimeout`` after ``timeout``."""
        until = self.deadline(timeout)
        left = self.remaining(until)
        self.emit(
            EventKind.WAITING,
            f"waiting for {healthy} healthy instance(s) of {name} (deadline {left:.0f}s)",
            name,
            deadline=until.isoformat(),
        )
        group = wait_for_health(
            self.account,
            self.region,
            name,
            healthy=healthy,
            timeout=left,
            clock=self.clock,
            keepalive=self.keepalive,
            read=self.fresh,
            cached_read=self.read,
            slice_seconds=max(1.0, self.lease.ttl / 3),
        )
        self.emit(EventKind.HEALTHY, f"{name}: {group.ready} instance(s) healthy", name)
        return group

    def try_wait_healthy(self, name: str, healthy: int, timeout: float) -> bool:
        """``wait_healthy`` that notes a timeout as an event and returns False instead of
        raising (a restore's best-effort wait)."""
        try:
            self.wait_healthy(name, healthy, timeout)
        except WaitTimeout as exc:
            self.emit(EventKind.NOTE, f"continuing without: {exc}", name)
            return False
        return True


def even_shares(names: list[str]) -> dict[str, int]:
    """100 split over ``names`` as evenly as integers allow (the first ones get the remainder)."""
    if not names:
        return {}
    base, extra = divmod(100, len(names))
    return {n: base + (1 if i < extra else 0) for i, n in enumerate(names)}


# Imported last, not under TYPE_CHECKING, so ``typing.get_type_hints`` resolves the public
# signatures above; at the bottom the import cycle between these modules is harmless.
from cloudrig.engine._deployment import Deployment  # noqa: E402
