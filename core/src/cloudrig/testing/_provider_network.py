"""Load balancers and security groups of the reference provider, stored under their mapped names."""

from __future__ import annotations

from cloudrig._errors import NotFound
from cloudrig._model._resources import (
    LoadBalancer,
    LoadBalancerSpec,
    SecurityGroup,
    SecurityGroupSpec,
)
from cloudrig.provider._contract import LoadBalancers, SecurityGroups
from cloudrig.testing._provider_base import ReferenceNoun
from cloudrig.testing._settings import ReferenceLoadBalancerSettings, ReferenceSecurityGroupSettings
from cloudrig.testing._world import (
    LoadBalancerRecord,
    SecurityGroupRecord,
)


class ReferenceLoadBalancers(ReferenceNoun, LoadBalancers[ReferenceLoadBalancerSettings]):
    """Load balancers, listing the groups that receive traffic through them."""

    # -- operations ----------------------------------------------------------------------------
    def _load_balancer(self, rec: LoadBalancerRecord) -> LoadBalancer:
        serving = [
            g.name
            for g in sorted(self.provider.cloud.groups.values(), key=lambda g: g.created_at)
            if g.region == rec.region
            and rec.name in g.load_balancers
            and self.provider.cloud.traffic(self.provider.cloud.cluster_key(g)).get(g.name, 0) > 0
        ]
        return LoadBalancer(
            name=rec.name,
            account=self.provider.context.account,
            region=rec.region,
            protocol=rec.protocol,
            port=rec.port,
            endpoint=f"{rec.cloud_name}.{rec.region}.{self.provider.cloud.name}.reference.invalid",
            server_groups=tuple(serving),
        )

    def upsert(
        self, spec: LoadBalancerSpec, settings: ReferenceLoadBalancerSettings
    ) -> LoadBalancer:
        def body() -> LoadBalancer:
            self.provider._check_region(spec.region)
            cloud_name = self.provider.naming.resource_name(spec.name)
            self.provider._check_name(cloud_name, "load balancer")
            rec = LoadBalancerRecord(
                name=spec.name,
                cloud_name=cloud_name,
                region=spec.region,
                account=self.provider.context.account,
                protocol=spec.protocol,
                port=spec.port,
                target_port=spec.target_port,
                health_check=spec.health_check,
                settings=settings.model_dump(),
            )
            self.provider.cloud.load_balancers[(spec.region, cloud_name)] = rec
            return self._load_balancer(rec)

        args = {"region": spec.region, "name": spec.name, "spec": spec}
        return self.provider._run("upsert_load_balancer", args, body)

    def _lb_record(self, region: str, name: str) -> LoadBalancerRecord:
        rec = self.provider.cloud.load_balancers.get(
            (region, self.provider.naming.resource_name(name))
        )
        if rec is None:
            raise self.provider._error(
                NotFound, f"load balancer {name!r} not found in {region}", name
            )
        return rec

    def get(self, region: str, name: str) -> LoadBalancer:
        return self.provider._run(
            "get_load_balancer",
            {"region": region, "name": name},
            lambda: self._load_balancer(self._lb_record(region, name)),
        )

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        def body() -> list[LoadBalancer]:
            recs = self.provider.cloud.load_balancers.values()
            return [self._load_balancer(r) for r in recs if region is None or r.region == region]

        return self.provider._run("list_load_balancers", {"region": region}, body)

    def delete(self, region: str, name: str) -> None:
        key = (region, self.provider.naming.resource_name(name))
        self.provider._run(
            "delete_load_balancer",
            {"region": region, "name": name},
            lambda: self.provider.cloud.load_balancers.pop(key, None) and None,
        )


class ReferenceSecurityGroups(ReferenceNoun, SecurityGroups[ReferenceSecurityGroupSettings]):
    """Security groups with their ingress rules."""

    # -- operations ---------------------------------------------------------------------------
    def _security_group(self, rec: SecurityGroupRecord) -> SecurityGroup:
        return SecurityGroup(
            name=rec.name,
            id=rec.id,
            account=self.provider.context.account,
            region=rec.region,
            description=rec.description,
            ingress=rec.ingress,
        )

    def upsert(
        self, spec: SecurityGroupSpec, settings: ReferenceSecurityGroupSettings
    ) -> SecurityGroup:
        def body() -> SecurityGroup:
            self.provider._check_region(spec.region)
            cloud_name = self.provider.naming.resource_name(spec.name)
            self.provider._check_name(cloud_name, "security group")
            key = (spec.region, cloud_name)
            existing = self.provider.cloud.security_groups.get(key)
            rec = SecurityGroupRecord(
                name=spec.name,
                cloud_name=cloud_name,
                id=existing.id if existing else f"sg-{self.provider.cloud.new_instance_id()[2:]}",
                region=spec.region,
                account=self.provider.context.account,
                description=spec.description,
                ingress=spec.ingress,
                settings=settings.model_dump(),
            )
            self.provider.cloud.security_groups[key] = rec
            return self._security_group(rec)

        args = {"region": spec.region, "name": spec.name, "spec": spec}
        return self.provider._run("upsert_security_group", args, body)

    def get(self, region: str, name: str) -> SecurityGroup:
        def body() -> SecurityGroup:
            rec = self.provider.cloud.security_groups.get(
                (region, self.provider.naming.resource_name(name))
            )
            if rec is None:
                raise self.provider._error(
                    NotFound, f"security group {name!r} not found in {region}", name
                )
            return self._security_group(rec)

        return self.provider._run("get_security_group", {"region": region, "name": name}, body)

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        def body() -> list[SecurityGroup]:
            recs = self.provider.cloud.security_groups.values()
            return [self._security_group(r) for r in recs if region is None or r.region == region]

        return self.provider._run("list_security_groups", {"region": region}, body)

    def delete(self, region: str, name: str) -> None:
        key = (region, self.provider.naming.resource_name(name))
        self.provider._run(
            "delete_security_group",
            {"region": region, "name": name},
            lambda: self.provider.cloud.security_groups.pop(key, None) and None,
        )
