"""The reference provider: every operation of the contract, on an in-memory ``ReferenceCloud``.

It behaves like a strict real cloud (names checked against its naming policy, identity stored in
tags at create, ``Conflict`` on a foreign group of the same name, instances that take time to boot)
so the core and the strategies can be tested against it in virtual time. Every call passes through
``_run``: injected faults apply, then the call is recorded in the cloud's history.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudrig._errors import Conflict, InvalidSpec, NotSupported
from cloudrig._model._resources import (
    Capacity,
    CheckResult,
    CreateServerGroup,
    Instance,
    ServerGroup,
    ServerGroupMetadata,
    TrafficWeights,
)
from cloudrig.provider._contract import ServerGroups, Traffic
from cloudrig.testing._provider_base import ReferenceBase, ReferenceNoun
from cloudrig.testing._provider_network import ReferenceLoadBalancers, ReferenceSecurityGroups
from cloudrig.testing._settings import ReferenceServerGroupSettings
from cloudrig.testing._world import (
    DEPLOYMENT_TAG,
    MONIKER_TAG,
    GroupRecord,
)


class ReferenceServerGroups(ReferenceNoun, ServerGroups[ReferenceServerGroupSettings]):
    """Server groups on the reference cloud: created enabled, booting in virtual time."""

    # -- operations -----------------------------------------------------------------------------
    def create(self, request: CreateServerGroup[ReferenceServerGroupSettings]) -> ServerGroup:
        spec, meta = request.spec, request.metadata
        args = {
            "region": spec.region,
            "name": request.name,
            "moniker": meta.moniker,
            "deployment_id": meta.deployment_id,
            "capacity": spec.capacity,
        }
        return self.provider._run("create_server_group", args, lambda: self._create(request))

    def _create(self, request: CreateServerGroup[ReferenceServerGroupSettings]) -> ServerGroup:
        spec, meta = request.spec, request.metadata
        self.provider._check_region(spec.region)
        self.provider._check_name(request.name, "server group")
        settings = request.settings
        existing = self.provider.cloud.groups.get((spec.region, request.name))
        if existing is not None:
            if existing.moniker == meta.moniker and existing.deployment_id == meta.deployment_id:
                return self.provider._server_group(existing)  # a retried create: the same group
            raise self.provider._error(
                Conflict,
                f"server group {request.name!r} already exists in {spec.region} for moniker "
                f"{existing.moniker.cluster!r} (deployment {existing.deployment_id}); refusing to "
                f"adopt it for {meta.moniker.cluster!r} (deployment {meta.deployment_id})",
                request.name,
            )
        reserved = sorted(k for k in spec.tags if k.startswith("cloudrig:"))
        if reserved:
            raise self.provider._error(InvalidSpec, f"tags {reserved} are reserved for cloudrig")
        for lb in spec.load_balancers:
            if (
                spec.region,
                self.provider.naming.resource_name(lb),
            ) not in self.provider.cloud.load_balancers:
                raise self.provider._error(InvalidSpec, f"load balancer {lb!r} does not exist", lb)
        for sg in spec.security_groups:
            if (
                spec.region,
                self.provider.naming.resource_name(sg),
            ) not in self.provider.cloud.security_groups:
                raise self.provider._error(InvalidSpec, f"security group {sg!r} does not exist", sg)
        tags = {**spec.tags, MONIKER_TAG: meta.moniker.model_dump_json()}
        if meta.deployment_id is not None:
            tags[DEPLOYMENT_TAG] = meta.deployment_id
        now = self.provider.clock.now()
        group = GroupRecord(
            name=request.name,
            region=spec.region,
            account=self.provider.context.account,
            tags=tags,
            capacity=spec.capacity,
            created_at=now,
            artifact=spec.artifact,
            zones=spec.zones,
            load_balancers=spec.load_balancers,
            security_groups=spec.security_groups,
            boot_seconds=(
                settings.boot_seconds
                if settings.boot_seconds is not None
                else self.provider.cloud.boot_seconds
            ),
            boot_failure=settings.boot_failure,
            settings=settings.model_dump(),
        )
        self.provider.cloud.groups[(spec.region, request.name)] = group
        self.provider.cloud.launch(group, spec.capacity.desired, now)
        self.provider.cloud.weights.pop(self.provider.cloud.cluster_key(group), None)
        return self.provider._server_group(group)

    def get(self, region: str, name: str) -> ServerGroup:
        return self.provider._run(
            "get_server_group",
            {"region": region, "name": name},
            lambda: self.provider._server_group(self.provider._group(region, name)),
        )

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        def body() -> list[ServerGroup]:
            found = [
                g
                for g in self.provider.cloud.groups.values()
                if g.moniker.app == app and (region is None or g.region == region)
            ]
            return [
                self.provider._server_group(g) for g in sorted(found, key=lambda g: g.created_at)
            ]

        return self.provider._run("list_server_groups", {"app": app, "region": region}, body)

    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        def body() -> None:
            if not self.provider.capabilities.resizable:
                raise NotSupported(
                    f"provider {self.provider.provider_name!r} cannot resize server groups"
                )
            group = self.provider._group(region, name)
            group.capacity = capacity
            if group.enabled or self.provider.capabilities.disable_keeps_instances:
                self.provider.cloud.scale_to(group, capacity.desired, self.provider.clock.now())

        args = {"region": region, "name": name, "capacity": capacity}
        self.provider._run("resize_server_group", args, body)

    def enable(self, region: str, name: str) -> None:
        def body() -> None:
            group = self.provider._group(region, name)
            group.enabled = True
            self.provider.cloud.weights.pop(self.provider.cloud.cluster_key(group), None)
            self.provider.cloud.scale_to(group, group.capacity.desired, self.provider.clock.now())

        self.provider._run("enable_server_group", {"region": region, "name": name}, body)

    def disable(self, region: str, name: str) -> None:
        def body() -> None:
            group = self.provider._group(region, name)
            group.enabled = False
            self.provider.cloud.weights.pop(self.provider.cloud.cluster_key(group), None)
            if not self.provider.capabilities.disable_keeps_instances:
                group.instances.clear()

        self.provider._run("disable_server_group", {"region": region, "name": name}, body)

    def destroy(self, region: str, name: str) -> None:
        def body() -> None:
            group = self.provider.cloud.groups.pop((region, name), None)
            if group is not None:
                self.provider.cloud.weights.pop(self.provider.cloud.cluster_key(group), None)

        self.provider._run("destroy_server_group", {"region": region, "name": name}, body)

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.provider._run(
            "get_health",
            {"region": region, "name": name},
            lambda: self.provider._group(region, name).instance_models(),
        )

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        def body() -> ServerGroupMetadata:
            group = self.provider._group(region, name)
            return ServerGroupMetadata(moniker=group.moniker, deployment_id=group.deployment_id)

        return self.provider._run("read_metadata", {"region": region, "name": name}, body)

    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        if not self.provider.capabilities.efficient_wait:
            return super().wait_for_health(region, name, healthy=healthy, timeout=timeout)

        def body() -> ServerGroup:
            # Like a watch: sleep until the next boot completes (or the deadline), not a poll.
            deadline = self.provider.clock.monotonic() + timeout
            while True:
                with self.provider.cloud.lock:
                    self.provider.cloud.advance(self.provider.clock.now())
                    group = self.provider._server_group(self.provider._group(region, name))
                    next_ready = self.provider.cloud.next_ready_at()
                remaining = deadline - self.provider.clock.monotonic()
                if group.healthy >= healthy or remaining <= 0:
                    return group
                wait = min(remaining, 5.0)
                if next_ready is not None:
                    until_ready = (next_ready - self.provider.clock.now()).total_seconds()
                    wait = min(wait, max(until_ready, 0.0))
                self.provider.clock.sleep(max(wait, 0.001))

        args = {"region": region, "name": name, "healthy": healthy, "timeout": timeout}
        return self.provider._run("wait_for_health", args, body, locked=False)


class ReferenceTraffic(ReferenceNoun, Traffic):
    """Exact weights between the groups of one cluster, until a group of it is enabled or
    disabled; ``NotSupported`` when the declared capabilities do not split traffic."""

    # -- operations -----------------------------------------------------------------------------------
    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        def body() -> None:
            groups = self._weighted_groups(region, list(weights.weights))
            limit = self.provider.capabilities.max_weighted_groups
            if limit is not None and len(weights.weights) > limit:
                raise self.provider._error(
                    InvalidSpec, f"at most {limit} server groups can share traffic by weight"
                )
            key = self.provider.cloud.cluster_key(groups[0])
            for group in self.provider.cloud.cluster_groups(key):
                group.enabled = weights.weights.get(group.name, 0) > 0
            self.provider.cloud.weights[key] = dict(weights.weights)

        self.provider._run("set_traffic_weights", {"region": region, "weights": weights}, body)

    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        def body() -> TrafficWeights:
            groups = self._weighted_groups(region, list(server_groups))
            shares = self.provider.cloud.traffic(self.provider.cloud.cluster_key(groups[0]))
            result = {n: s for n, s in shares.items() if n in server_groups or s > 0}
            if not any(result.values()):
                raise self.provider._error(
                    Conflict, "no server group of the cluster receives traffic"
                )
            return TrafficWeights(weights=result)

        return self.provider._run(
            "get_traffic_weights", {"region": region, "server_groups": tuple(server_groups)}, body
        )

    def _weighted_groups(self, region: str, names: list[str]) -> list[GroupRecord]:
        if not self.provider.capabilities.splits_traffic:
            raise NotSupported(
                f"provider {self.provider.provider_name!r} cannot split traffic by weight"
            )
        if not names:
            raise self.provider._error(InvalidSpec, "name at least one server group")
        groups = [self.provider._group(region, n) for n in names]
        if len({self.provider.cloud.cluster_key(g) for g in groups}) > 1:
            raise self.provider._error(
                InvalidSpec, "traffic weights apply to server groups of one cluster"
            )
        return groups


class ReferenceProvider(ReferenceBase):
    """The in-memory provider implementing every operation of the contract.

    How its cloud behaves, for tests that rely on it:

    - A created group is enabled (in traffic, like an ASG attached to its target groups) and
      launches ``capacity.desired`` instances, STARTING until ``boot_seconds`` (spec setting, else
      ``ReferenceCloud.boot_seconds``) pass on the clock, then UP — or DOWN with ``boot_failure``
      (spec setting) or when the group's name is in ``ReferenceCloud.boot_failures``.
    - Health sources: ``cloud`` always; ``load-balancer`` for groups behind load balancers, where a
      disabled group's instances are OUT_OF_SERVICE (and kept, unless the declared capabilities
      say disable does not keep instances).
    - Traffic: enabled groups of a cluster share it evenly; ````traffic.set_weights`` sets exact
      weights (groups left out or at 0 are disabled) until the next enable or disable of a group
      of that cluster. A load balancer lists the groups that receive traffic through it.
    - Names are checked against the declared naming policy (``InvalidSpec`` otherwise); load
      balancers and security groups are stored under ``naming.resource_name(name)`` and keep the
      given name as theirs.
    """

    server_groups: ReferenceServerGroups
    load_balancers: ReferenceLoadBalancers
    security_groups: ReferenceSecurityGroups
    traffic: ReferenceTraffic

    def check(self) -> CheckResult:
        """The reference cloud's identity for these settings (one simulated read)."""

        def body() -> CheckResult:
            return CheckResult(
                identity=f"{self.settings.identity}@{self.cloud.name}",
                detail=f"{len(self.cloud.groups)} server groups",
            )

        return self._run("check", {}, body)
