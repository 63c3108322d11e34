"""Security groups: the example cloud's security groups, with ingress rules by CIDR or group.

Source groups in rules are names the user chose, mapped like every resource name. Deleting a group
still used by a server group or by another group's rules is refused by the cloud (409, ``Conflict``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from urllib.parse import quote

from pydantic import BaseModel

from cloudrig import Conflict, IngressRule, NotFound, Protocol, SecurityGroup, SecurityGroupSpec
from cloudrig_example._client import ExampleClient, Json
from cloudrig_example.errors import unexpected_answer
from cloudrig_example.naming import cloud_name


def _path(region: str, name: str | None = None) -> str:
    base = f"/regions/{quote(region, safe='')}/security-groups"
    return base if name is None else f"{base}/{quote(name, safe='')}"


class SecurityGroups:
    """The security group operations of one account."""

    def __init__(self, client: ExampleClient, account: str) -> None:
        self._client = client
        self._account = account

    def upsert(self, spec: SecurityGroupSpec, settings: BaseModel) -> SecurityGroup:
        """Create, or replace the description and rules of an existing group."""
        name = cloud_name(spec.name)
        body: Json = {
            "name": name,
            "description": spec.description,
            "ingress": [
                {
                    "protocol": rule.protocol.value,
                    "from_port": rule.from_port,
                    "to_port": rule.to_port,
                    "cidrs": list(rule.cidrs),
                    "source_groups": [cloud_name(g) for g in rule.source_groups],
                }
                for rule in spec.ingress
            ],
        }
        try:
            answer = self._client.request("POST", _path(spec.region), json=body, resource=name)
        except Conflict:
            answer = self._client.request("PUT", _path(spec.region, name), json=body, resource=name)
        return self._to_model(answer or {})

    def get(self, region: str, name: str) -> SecurityGroup:
        name = cloud_name(name)
        return self._to_model(self._client.get(_path(region, name), resource=name))

    def list(self, regions: Iterable[str]) -> list[SecurityGroup]:
        return [
            self._to_model(item)
            for region in regions
            for item in self._client.get(_path(region)).get("items", [])
        ]

    def delete(self, region: str, name: str) -> None:
        name = cloud_name(name)
        with suppress(NotFound):  # already gone
            self._client.request("DELETE", _path(region, name), resource=name)

    def _to_model(self, item: Json) -> SecurityGroup:
        try:
            return SecurityGroup(
                name=item["name"],
                id=item["id"],
                account=self._account,
                region=item["region"],
                description=item.get("description", ""),
                ingress=tuple(
                    IngressRule(
                        protocol=Protocol(rule["protocol"]),
                        from_port=rule["from_port"],
                        to_port=rule["to_port"],
                        cidrs=tuple(rule["cidrs"]),
                        source_groups=tuple(rule["source_groups"]),
                    )
                    for rule in item.get("ingress", [])
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise unexpected_answer(
                f"unreadable security group in the cloud's answer ({type(exc).__name__})",
                account=self._account,
            ) from exc
