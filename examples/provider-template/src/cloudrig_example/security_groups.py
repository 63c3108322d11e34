"""Security groups: the example cloud's security groups, with ingress rules by CIDR or group.

``ExampleSecurityGroups`` is the provider's ``security_groups`` noun. Security group specs take no
settings block on the example cloud, so its type parameter is ``NoSettings``. Source groups in rules
are names the user chose, mapped like every resource name. Deleting a group still used by a server
group or by another group's rules is refused by the cloud (409, ``Conflict``).
"""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import quote

from cloudrig import Conflict, IngressRule, NotFound, Protocol, SecurityGroup, SecurityGroupSpec
from cloudrig.provider import NoSettings, SecurityGroups
from cloudrig_example._client import ExampleClient, Json
from cloudrig_example.errors import unexpected_answer
from cloudrig_example.naming import cloud_name


def _path(region: str, name: str | None = None) -> str:
    base = f"/regions/{quote(region, safe='')}/security-groups"
    return base if name is None else f"{base}/{quote(name, safe='')}"


class ExampleSecurityGroups(SecurityGroups[NoSettings]):
    """The security groups of one account, in its ``regions``."""

    def __init__(self, client: ExampleClient, account: str, regions: tuple[str, ...]) -> None:
        self._client = client
        self._account = account
        self._regions = regions

    def upsert(self, spec: SecurityGroupSpec, settings: NoSettings) -> SecurityGroup:
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

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        return [
            self._to_model(item)
            for where in ((region,) if region else self._regions)
            for item in self._client.get(_path(where)).get("items", [])
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
