"""Load balancers and security groups of the reference provider, stored under their mapped names."""

from __future__ import annotations

from pydantic import BaseModel

from cloudrig._errors import NotFound
from cloudrig._model import (
    LoadBalancer,
    LoadBalancerSpec,
    SecurityGroup,
    SecurityGroupSpec,
)
from cloudrig.testing._provider_base import ReferenceBase
from cloudrig.testing._world import (
    LoadBalancerRecord,
    SecurityGroupRecord,
)


class NetworkOperations(ReferenceBase):
    """Upsert, get, list and delete of load balancers and security groups."""

    # -- load balancers ----------------------------------------------------------------------------
    def _load_balancer(self, rec: LoadBalancerRecord) -> LoadBalancer:
        serving = [
            g.name
            for g in sorted(self.cloud.groups.values(), key=lambda g: g.created_at)
            if g.region == rec.region
            and rec.name in g.load_balancers
            and self.cloud.traffic(self.cloud.cluster_key(g)).get(g.name, 0) > 0
        ]
        return LoadBalancer(
            name=rec.name,
            account=self.context.account,
            region=rec.region,
            protocol=rec.protocol,
            port=rec.port,
            endpoint=f"{rec.cloud_name}.{rec.region}.{self.cloud.name}.reference.invalid",
            server_groups=tuple(serving),
        )

    def upsert_load_balancer(self, spec: LoadBalancerSpec, settings: BaseModel) -> LoadBalancer:
        def body() -> LoadBalancer:
            self._check_region(spec.region)
            cloud_name = self.naming.resource_name(spec.name)
            self._check_name(cloud_name, "load balancer")
            rec = LoadBalancerRecord(
                name=spec.name,
                cloud_name=cloud_name,
                region=spec.region,
                account=self.context.account,
                protocol=spec.protocol,
                port=spec.port,
                target_port=spec.target_port,
                health_check=spec.health_check,
                settings=settings.model_dump(),
            )
            self.cloud.load_balancers[(spec.region, cloud_name)] = rec
            return self._load_balancer(rec)

        args = {"region": spec.region, "name": spec.name, "spec": spec}
        return self._run("upsert_load_balancer", args, body)

    def _lb_record(self, region: str, name: str) -> LoadBalancerRecord:
        rec = self.cloud.load_balancers.get((region, self.naming.resource_name(name)))
        if rec is None:
            raise self._error(NotFound, f"load balancer {name!r} not found in {region}", name)
        return rec

    def get_load_balancer(self, region: str, name: str) -> LoadBalancer:
        return self._run(
            "get_load_balancer",
            {"region": region, "name": name},
            lambda: self._load_balancer(self._lb_record(region, name)),
        )

    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]:
        def body() -> list[LoadBalancer]:
            recs = self.cloud.load_balancers.values()
            return [self._load_balancer(r) for r in recs if region is None or r.region == region]

        return self._run("list_load_balancers", {"region": region}, body)

    def delete_load_balancer(self, region: str, name: str) -> None:
        key = (region, self.naming.resource_name(name))
        self._run(
            "delete_load_balancer",
            {"region": region, "name": name},
            lambda: self.cloud.load_balancers.pop(key, None) and None,
        )

    # -- security groups ---------------------------------------------------------------------------
    def _security_group(self, rec: SecurityGroupRecord) -> SecurityGroup:
        return SecurityGroup(
            name=rec.name,
            id=rec.id,
            account=self.context.account,
            region=rec.region,
            description=rec.description,
            ingress=rec.ingress,
        )

    def upsert_security_group(self, spec: SecurityGroupSpec, settings: BaseModel) -> SecurityGroup:
        def body() -> SecurityGroup:
            self._check_region(spec.region)
            cloud_name = self.naming.resource_name(spec.name)
            self._check_name(cloud_name, "security group")
            key = (spec.region, cloud_name)
            existing = self.cloud.security_groups.get(key)
            rec = SecurityGroupRecord(
                name=spec.name,
                cloud_name=cloud_name,
                id=existing.id if existing else f"sg-{self.cloud.new_instance_id()[2:]}",
                region=spec.region,
                account=self.context.account,
                description=spec.description,
                ingress=spec.ingress,
                settings=settings.model_dump(),
            )
            self.cloud.security_groups[key] = rec
            return self._security_group(rec)

        args = {"region": spec.region, "name": spec.name, "spec": spec}
        return self._run("upsert_security_group", args, body)

    def get_security_group(self, region: str, name: str) -> SecurityGroup:
        def body() -> SecurityGroup:
            rec = self.cloud.security_groups.get((region, self.naming.resource_name(name)))
            if rec is None:
                raise self._error(NotFound, f"security group {name!r} not found in {region}", name)
            return self._security_group(rec)

        return self._run("get_security_group", {"region": region, "name": name}, body)

    def list_security_groups(self, region: str | None = None) -> list[SecurityGroup]:
        def body() -> list[SecurityGroup]:
            recs = self.cloud.security_groups.values()
            return [self._security_group(r) for r in recs if region is None or r.region == region]

        return self._run("list_security_groups", {"region": region}, body)

    def delete_security_group(self, region: str, name: str) -> None:
        key = (region, self.naming.resource_name(name))
        self._run(
            "delete_security_group",
            {"region": region, "name": name},
            lambda: self.cloud.security_groups.pop(key, None) and None,
        )
