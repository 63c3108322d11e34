"""Server groups: the example cloud's server groups, one per version of a cluster.

``ExampleServerGroups`` is the provider's ``server_groups`` noun: it implements the methods of
``cloudrig.provider.ServerGroups`` itself. Its type parameter is the spec settings block, which the
core validates before calling, so ``request.settings`` is already an ``ExampleServerGroupSettings``.

Enable and disable flip the group's ``enabled`` flag: load balancers route only to enabled groups,
and a disabled group keeps its instances (``disable_keeps_instances``). Health has two sources:
the instance's own status, and — when the group is behind a load balancer — the load balancer's
view of it (out of service while the group is disabled).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any
from urllib.parse import quote

from cloudrig import (
    Capacity,
    Conflict,
    HealthDetail,
    HealthState,
    Instance,
    InvalidSpec,
    NotFound,
    ServerGroup,
    parse_name,
)
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata, ServerGroups
from cloudrig_example import metadata
from cloudrig_example._client import ExampleClient, Json
from cloudrig_example.errors import PROVIDER, unexpected_answer
from cloudrig_example.naming import cloud_name
from cloudrig_example.settings import ExampleServerGroupSettings

# The cloud's instance status and load balancer status, in neutral health states.
INSTANCE_HEALTH = {
    "pending": HealthState.STARTING,
    "running": HealthState.UP,
    "failed": HealthState.DOWN,
}
LOAD_BALANCER_HEALTH = {
    "initial": HealthState.STARTING,
    "in-service": HealthState.UP,
    "out-of-service": HealthState.OUT_OF_SERVICE,
    "unhealthy": HealthState.DOWN,
}


def _path(region: str, name: str | None = None) -> str:
    base = f"/regions/{quote(region, safe='')}/server-groups"
    return base if name is None else f"{base}/{quote(name, safe='')}"


class ExampleServerGroups(ServerGroups[ExampleServerGroupSettings]):
    """The server groups of one account, in its ``regions``."""

    def __init__(self, client: ExampleClient, account: str, regions: tuple[str, ...]) -> None:
        self._client = client
        self._account = account
        self._regions = regions

    def create(self, request: CreateServerGroup[ExampleServerGroupSettings]) -> ServerGroup:
        """Create with the metadata as tags in the same call; an identical group is returned."""
        spec = request.spec
        if spec.zones:
            raise InvalidSpec(
                "zones: the example cloud spreads instances over zones itself",
                account=self._account,
                resource=request.name,
            )
        body: Json = {
            "name": request.name,
            "image": spec.artifact,
            "instance_type": request.settings.instance_type,
            "capacity": spec.capacity.model_dump(),
            "tags": metadata.to_tags(request.metadata, spec.tags),
            "security_groups": [cloud_name(n) for n in spec.security_groups],
            "load_balancers": [cloud_name(n) for n in spec.load_balancers],
            "environment": dict(spec.environment),
        }
        if spec.user_data is not None:
            body["user_data"] = spec.user_data
        try:
            created = self._client.request(
                "POST", _path(spec.region), json=body, resource=request.name
            )
        except Conflict:
            return self._existing(spec.region, request)
        return self._to_model(created or {})

    def _existing(
        self, region: str, request: CreateServerGroup[ExampleServerGroupSettings]
    ) -> ServerGroup:
        """A create met a group of the same name: it is ours only if its metadata matches."""
        group = self.get(region, request.name)
        found = (group.moniker, group.deployment_id)
        wanted = (request.metadata.moniker, request.metadata.deployment_id)
        if found != wanted:
            raise Conflict(
                f"server group {request.name!r} already exists in {region} with another identity "
                f"(moniker {group.moniker.cluster!r} v{group.moniker.sequence}, deployment "
                f"{group.deployment_id!r}); it is not adopted",
                provider=PROVIDER,
                account=self._account,
                resource=request.name,
            )
        return group

    def get(self, region: str, name: str) -> ServerGroup:
        return self._to_model(self._client.get(_path(region, name), resource=name))

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """One filtered list call per region: the cloud matches the stored app tag."""
        groups: list[ServerGroup] = []
        for where in (region,) if region else self._regions:
            answer = self._client.get(_path(where), params={f"tag.{metadata.APP}": app})
            groups += [self._to_model(item) for item in answer.get("items", [])]
        return groups

    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        self._patch(region, name, {"capacity": capacity.model_dump()})

    def enable(self, region: str, name: str) -> None:
        """Into traffic: the cloud routes to enabled groups, and gives one at weight 0 back 100."""
        self._patch(region, name, {"enabled": True})

    def disable(self, region: str, name: str) -> None:
        """Out of traffic; the instances keep running."""
        self._patch(region, name, {"enabled": False})

    def destroy(self, region: str, name: str) -> None:
        with suppress(NotFound):  # already gone: destroy is idempotent
            self._client.request("DELETE", _path(region, name), resource=name)

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.get(region, name).instances

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        group = self.get(region, name)
        return ServerGroupMetadata(moniker=group.moniker, deployment_id=group.deployment_id)

    def _patch(self, region: str, name: str, body: Json) -> None:
        self._client.request("PATCH", _path(region, name), json=body, resource=name)

    def _to_model(self, item: Json) -> ServerGroup:
        try:
            return self._convert(item)
        except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError included
            raise unexpected_answer(
                f"unreadable server group in the cloud's answer ({type(exc).__name__})",
                account=self._account,
            ) from exc

    def _convert(self, item: Json) -> ServerGroup:
        tags: dict[str, str] = item.get("tags", {})
        stored = metadata.from_tags(tags)
        # A group cloudrig did not create: fall back to parsing its name (lossy, but readable).
        meta = stored or ServerGroupMetadata(moniker=parse_name(item["name"]))
        return ServerGroup(
            name=item["name"],
            moniker=meta.moniker,
            account=self._account,
            region=item["region"],
            zones=tuple(sorted({i["zone"] for i in item.get("instances", [])})),
            capacity=Capacity(**item["capacity"]),
            instances=tuple(_instance(i) for i in item.get("instances", [])),
            enabled=item["enabled"],
            created_at=_timestamp(item.get("created_at")),
            artifact=item.get("image"),
            load_balancers=tuple(item.get("load_balancers", [])),
            security_groups=tuple(item.get("security_groups", [])),
            deployment_id=meta.deployment_id,
            tags=metadata.user_tags(tags),
        )


def _instance(item: dict[str, Any]) -> Instance:
    details = [
        HealthDetail(
            source="instance",
            state=INSTANCE_HEALTH.get(item["status"], HealthState.UNKNOWN),
            description=item["status"],
        )
    ]
    if item.get("load_balancer_status"):
        details.append(
            HealthDetail(
                source="load-balancer",
                state=LOAD_BALANCER_HEALTH.get(item["load_balancer_status"], HealthState.UNKNOWN),
                description=item["load_balancer_status"],
            )
        )
    return Instance(
        id=item["id"],
        zone=item.get("zone"),
        launched_at=_timestamp(item.get("launched_at")),
        details=tuple(details),
    )


def _timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
