"""The example cloud's resources, held in memory, and the rules that govern them.

Server groups own instances that boot after a delay; load balancers route to the *enabled* server
groups among their targets in proportion to weights; security groups hold ingress rules and may not
be deleted while in use. Every method takes the region and a parsed JSON body and returns a JSON
view, or raises ``ApiError`` (404, 409, 400) — the HTTP layer only routes.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from example_cloud import schema, views
from example_cloud.errors import ApiError, already_exists, in_use, invalid, not_found

Json = dict[str, Any]


@dataclass
class InstanceRecord:
    id: str
    zone: str
    launched_at: datetime
    ready_at: float  # on the cloud's monotonic clock
    fails: bool  # the image was marked as failing to boot


@dataclass
class ServerGroupRecord:
    name: str
    image: str
    instance_type: str
    capacity: dict[str, int]
    enabled: bool
    tags: dict[str, str]
    security_groups: list[str]
    user_data: str | None
    environment: dict[str, str]
    created_at: datetime
    instances: list[InstanceRecord] = field(default_factory=list)


@dataclass
class LoadBalancerRecord:
    name: str
    protocol: str
    port: int
    target_port: int | None
    algorithm: str
    health_check: Json
    created_at: datetime
    targets: dict[str, int] = field(default_factory=dict)  # server group -> weight


@dataclass
class SecurityGroupRecord:
    name: str
    id: str
    description: str
    ingress: list[Json]
    created_at: datetime


@dataclass
class Region:
    server_groups: dict[str, ServerGroupRecord] = field(default_factory=dict)
    load_balancers: dict[str, LoadBalancerRecord] = field(default_factory=dict)
    security_groups: dict[str, SecurityGroupRecord] = field(default_factory=dict)


class CloudState:
    """All regions' resources behind one lock (requests arrive on many server threads)."""

    def __init__(
        self,
        regions: Iterable[str],
        *,
        boot_delay: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.boot_delay = boot_delay
        self._clock = clock
        self._lock = threading.RLock()
        self._region_names = tuple(regions)
        self._regions = {r: Region() for r in self._region_names}
        self._failing_images: set[str] = set()
        self._ids = itertools.count(1)

    def reset(self) -> None:
        with self._lock:
            self._regions = {r: Region() for r in self._region_names}
            self._failing_images.clear()

    def fail_boot(self, image: str) -> None:
        """Instances launched from ``image`` from now on end up ``failed`` instead of ``running``."""
        with self._lock:
            self._failing_images.add(image)

    def region(self, name: str) -> Region:
        try:
            return self._regions[name]
        except KeyError:
            known = ", ".join(self._region_names)
            raise ApiError(
                404, "NotFound", f"region {name!r} does not exist (regions: {known})"
            ) from None

    # -- server groups -----------------------------------------------------------------------------
    def create_server_group(self, region: str, raw: Any) -> Json:
        body = schema.body_of(raw)
        schema.unknown_fields(
            body,
            {"name", "image", "instance_type", "capacity", "enabled", "tags", "security_groups",
             "load_balancers", "user_data", "environment"},
        )  # fmt: skip
        name = schema.name(body)
        with self._lock:
            reg = self.region(region)
            if name in reg.server_groups:
                raise already_exists("server group", name, region)
            record = ServerGroupRecord(
                name=name,
                image=schema.text(body, "image", limit=200),
                instance_type=schema.choice(body, "instance_type", schema.INSTANCE_TYPES, "small"),
                capacity=schema.capacity(body.get("capacity")),
                enabled=schema.boolean(body, "enabled", True),
                tags=schema.tags(body),
                security_groups=self._existing(reg.security_groups, body, "security_groups"),
                user_data=body.get("user_data") and schema.text(body, "user_data", limit=16384),
                environment=schema.string_map(body, "environment"),
                created_at=datetime.now(UTC),
            )
            if not record.image:
                raise invalid("image must not be empty")
            for lb in self._existing(reg.load_balancers, body, "load_balancers"):
                reg.load_balancers[lb].targets[name] = 100
            reg.server_groups[name] = record
            self._converge(record)
            return views.server_group(region, reg, self._clock(), record)

    def get_server_group(self, region: str, name: str) -> Json:
        with self._lock:
            reg = self.region(region)
            return views.server_group(
                region, reg, self._clock(), self._server_group(reg, region, name)
            )

    def list_server_groups(self, region: str, tag_filter: dict[str, str]) -> Json:
        with self._lock:
            reg = self.region(region)
            items = [
                views.server_group(region, reg, self._clock(), g)
                for g in reg.server_groups.values()
                if all(g.tags.get(k) == v for k, v in tag_filter.items())
            ]
            return {"items": items}

    def update_server_group(self, region: str, name: str, raw: Any) -> Json:
        """PATCH: ``capacity`` and/or ``enabled``."""
        body = schema.body_of(raw)
        schema.unknown_fields(body, {"capacity", "enabled"})
        with self._lock:
            reg = self.region(region)
            record = self._server_group(reg, region, name)
            if "capacity" in body:
                record.capacity = schema.capacity(body["capacity"])
            if "enabled" in body:
                record.enabled = schema.boolean(body, "enabled", record.enabled)
                if record.enabled:  # enabling means "into traffic": a zero weight would not be
                    for lb in reg.load_balancers.values():
                        if lb.targets.get(name) == 0:
                            lb.targets[name] = 100
            self._converge(record)
            return views.server_group(region, reg, self._clock(), record)

    def delete_server_group(self, region: str, name: str) -> None:
        with self._lock:
            reg = self.region(region)
            self._server_group(reg, region, name)
            del reg.server_groups[name]
            for lb in reg.load_balancers.values():
                lb.targets.pop(name, None)

    # -- load balancers ----------------------------------------------------------------------------
    def create_load_balancer(self, region: str, raw: Any) -> Json:
        body = schema.body_of(raw)
        name = schema.name(body)
        with self._lock:
            reg = self.region(region)
            if name in reg.load_balancers:
                raise already_exists("load balancer", name, region)
            record = self._load_balancer_fields(name, body, datetime.now(UTC))
            reg.load_balancers[name] = record
            return views.load_balancer(region, reg, record)

    def replace_load_balancer(self, region: str, name: str, raw: Any) -> Json:
        """PUT: replace the listener settings; the targets and their weights are kept."""
        body = schema.body_of(raw)
        if body.get("name", name) != name:
            raise invalid("name in the body differs from the name in the path")
        with self._lock:
            reg = self.region(region)
            old = self._load_balancer(reg, region, name)
            record = self._load_balancer_fields(name, {**body, "name": name}, old.created_at)
            record.targets = old.targets
            reg.load_balancers[name] = record
            return views.load_balancer(region, reg, record)

    def set_weights(self, region: str, name: str, raw: Any) -> Json:
        """PUT …/weights: the named targets get their weights, every other target gets 0."""
        weights = schema.weights(raw)
        with self._lock:
            reg = self.region(region)
            record = self._load_balancer(reg, region, name)
            strangers = sorted(set(weights) - set(record.targets))
            if strangers:
                raise invalid(f"not targets of load balancer {name!r}: {', '.join(strangers)}")
            record.targets = {g: weights.get(g, 0) for g in record.targets}
            return views.load_balancer(region, reg, record)

    def get_load_balancer(self, region: str, name: str) -> Json:
        with self._lock:
            reg = self.region(region)
            return views.load_balancer(region, reg, self._load_balancer(reg, region, name))

    def list_load_balancers(self, region: str) -> Json:
        with self._lock:
            reg = self.region(region)
            items = [views.load_balancer(region, reg, r) for r in reg.load_balancers.values()]
            return {"items": items}

    def delete_load_balancer(self, region: str, name: str) -> None:
        with self._lock:
            reg = self.region(region)
            self._load_balancer(reg, region, name)
            del reg.load_balancers[name]

    # -- security groups ---------------------------------------------------------------------------
    def create_security_group(self, region: str, raw: Any) -> Json:
        body = schema.body_of(raw)
        name = schema.name(body)
        with self._lock:
            reg = self.region(region)
            if name in reg.security_groups:
                raise already_exists("security group", name, region)
            record = SecurityGroupRecord(
                name=name,
                id=f"sg-{secrets.token_hex(4)}",
                description="",
                ingress=[],
                created_at=datetime.now(UTC),
            )
            self._security_group_fields(reg, record, body)
            reg.security_groups[name] = record
            return views.security_group(region, record)

    def replace_security_group(self, region: str, name: str, raw: Any) -> Json:
        body = schema.body_of(raw)
        if body.get("name", name) != name:
            raise invalid("name in the body differs from the name in the path")
        with self._lock:
            reg = self.region(region)
            record = self._security_group(reg, region, name)
            self._security_group_fields(reg, record, {**body, "name": name})
            return views.security_group(region, record)

    def get_security_group(self, region: str, name: str) -> Json:
        with self._lock:
            reg = self.region(region)
            return views.security_group(region, self._security_group(reg, region, name))

    def list_security_groups(self, region: str) -> Json:
        with self._lock:
            reg = self.region(region)
            return {
                "items": [views.security_group(region, r) for r in reg.security_groups.values()]
            }

    def delete_security_group(self, region: str, name: str) -> None:
        with self._lock:
            reg = self.region(region)
            self._security_group(reg, region, name)
            users = [g.name for g in reg.server_groups.values() if name in g.security_groups]
            users += [
                f"the rules of security group {s.name!r}"
                for s in reg.security_groups.values()
                if s.name != name and any(name in r["source_groups"] for r in s.ingress)
            ]
            if users:
                raise in_use("security group", name, ", ".join(users))
            del reg.security_groups[name]

    # -- internals ---------------------------------------------------------------------------------
    def _server_group(self, reg: Region, region: str, name: str) -> ServerGroupRecord:
        if name not in reg.server_groups:
            raise not_found("server group", name, region)
        return reg.server_groups[name]

    def _load_balancer(self, reg: Region, region: str, name: str) -> LoadBalancerRecord:
        if name not in reg.load_balancers:
            raise not_found("load balancer", name, region)
        return reg.load_balancers[name]

    def _security_group(self, reg: Region, region: str, name: str) -> SecurityGroupRecord:
        if name not in reg.security_groups:
            raise not_found("security group", name, region)
        return reg.security_groups[name]

    @staticmethod
    def _existing(resources: dict[str, Any], body: Json, field_name: str) -> list[str]:
        wanted = schema.names(body, field_name)
        unknown = [n for n in wanted if n not in resources]
        if unknown:
            raise invalid(f"{field_name}: unknown {', '.join(repr(n) for n in unknown)}")
        return wanted

    def _load_balancer_fields(self, name: str, body: Json, created: datetime) -> LoadBalancerRecord:
        schema.unknown_fields(
            body, {"name", "protocol", "port", "target_port", "algorithm", "health_check"}
        )
        return LoadBalancerRecord(
            name=name,
            protocol=schema.choice(body, "protocol", schema.LB_PROTOCOLS, "http"),
            port=schema.integer(body, "port", 1, 65535, default=80),
            target_port=schema.optional_port(body, "target_port"),
            algorithm=schema.choice(body, "algorithm", schema.ALGORITHMS, "round-robin"),
            health_check=schema.health_check(body.get("health_check")),
            created_at=created,
        )

    def _security_group_fields(self, reg: Region, record: SecurityGroupRecord, body: Json) -> None:
        schema.unknown_fields(body, {"name", "description", "ingress"})
        rules_raw = body.get("ingress", [])
        if not isinstance(rules_raw, list):
            raise invalid("ingress must be a list of rules")
        rules = [schema.ingress_rule(r, i) for i, r in enumerate(rules_raw)]
        for rule in rules:
            for source in rule["source_groups"]:
                if source != record.name and source not in reg.security_groups:
                    raise invalid(f"ingress: unknown source security group {source!r}")
        record.description = schema.text(body, "description", default="", limit=255)
        record.ingress = rules

    def _converge(self, record: ServerGroupRecord) -> None:
        """Launch or terminate instances until their number equals the desired capacity."""
        desired = record.capacity["desired"]
        del record.instances[desired:]  # the newest go first
        while len(record.instances) < desired:
            n = next(self._ids)
            record.instances.append(
                InstanceRecord(
                    id=f"i-{n:08x}",
                    zone="abc"[n % 3],
                    launched_at=datetime.now(UTC),
                    ready_at=self._clock() + self.boot_delay,
                    fails=record.image in self._failing_images,
                )
            )
