"""Load balancers: an ALB or NLB, its target group (same name) and a listener forwarding to it.

A server group behind load balancer ``web`` joins target group ``web`` (``TargetGroupARNs`` in its
create call). Upserts are idempotent: an existing load balancer, target group or listener is kept
(a listener's actions are never reset: they carry the live traffic split), the target group's
health check is brought to the spec.
"""

from __future__ import annotations

from typing import Any

from cloudrig import Conflict, InvalidSpec, LoadBalancer, LoadBalancerSpec, NotFound
from cloudrig.provider import LoadBalancers
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.listeners import TRAFFIC_LISTENERS_TAG, ports_tag
from cloudrig_aws.naming import load_balancer_name
from cloudrig_aws.placement import place
from cloudrig_aws.settings import AwsLoadBalancerSettings
from cloudrig_aws.target_groups import TargetGroups


def _protocols(lb_type: str, protocol: str) -> tuple[str, str]:
    """(listener protocol, target protocol) for the spec's protocol on this kind of LB."""
    p = protocol.lower()
    if lb_type == "network":
        table = {"tcp": "TCP", "udp": "UDP", "tls": "TLS", "tcp_udp": "TCP_UDP"}
        if p not in table:
            raise InvalidSpec(
                f"protocol {protocol!r}: a network load balancer speaks tcp, udp, tls or tcp_udp",
                provider="aws",
            )
        return table[p], "TCP" if p == "tls" else table[p]
    if p not in ("http", "https"):
        raise InvalidSpec(
            f"protocol {protocol!r}: an application load balancer speaks http or "
            "https (use type: network for tcp/udp)",
            provider="aws",
        )
    return p.upper(), "HTTP"


class AwsLoadBalancers(LoadBalancers[AwsLoadBalancerSettings]):
    def __init__(self, factory: ClientFactory, target_groups: TargetGroups) -> None:
        self._factory = factory
        self._tgs = target_groups
        self._account = factory.account
        self._regions = factory.settings.regions

    def _elb(self, region: str) -> Any:
        return self._factory.client("elbv2", region)

    # -- upsert ----------------------------------------------------------------------------------
    def upsert(self, spec: LoadBalancerSpec, settings: AwsLoadBalancerSettings) -> LoadBalancer:
        region, name = spec.region, load_balancer_name(spec.name)
        listener_protocol, target_protocol = _protocols(settings.type, spec.protocol)
        secure: dict[str, Any] = {}
        if listener_protocol in ("HTTPS", "TLS"):
            if not settings.certificate_arn:
                raise InvalidSpec(
                    f"load balancer {spec.name!r}: a {listener_protocol} listener needs "
                    "settings.certificate_arn (an ACM or IAM certificate ARN)",
                    provider="aws",
                    account=self._account,
                    resource=name,
                )
            secure["Certificates"] = [{"CertificateArn": settings.certificate_arn}]
            if settings.ssl_policy:
                secure["SslPolicy"] = settings.ssl_policy
        where = place(
            self._factory, region, settings.subnets, at_least=2, what=f"load balancer {spec.name!r}"
        )
        subnets, vpc_id = list(where.subnets), where.vpc_id
        lb = self._ensure_load_balancer(region, name, settings, subnets)
        if settings.traffic_listeners:  # also on a load balancer that already existed
            self._elb(region).call(
                "add_tags",
                resource=name,
                ResourceArns=[lb["LoadBalancerArn"]],
                Tags=[
                    {"Key": TRAFFIC_LISTENERS_TAG, "Value": ports_tag(settings.traffic_listeners)}
                ],
            )
        tg = self._ensure_target_group(region, name, spec, target_protocol, vpc_id)
        elb = self._elb(region)
        listeners = elb.call(
            "describe_listeners", LoadBalancerArn=lb["LoadBalancerArn"], resource=name
        )["Listeners"]
        listener = next((x for x in listeners if x["Port"] == spec.port), None)
        if listener is None:
            elb.call(
                "create_listener",
                resource=name,
                LoadBalancerArn=lb["LoadBalancerArn"],
                Protocol=listener_protocol,
                Port=spec.port,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
                **secure,
            )
        elif secure and (
            [c["CertificateArn"] for c in listener.get("Certificates", [])][:1]
            != [settings.certificate_arn]
            or (settings.ssl_policy and listener.get("SslPolicy") != settings.ssl_policy)
        ):  # a new certificate (a renewal) or policy; the actions are left alone
            elb.call(
                "modify_listener", resource=name, ListenerArn=listener["ListenerArn"], **secure
            )
        self._tgs.forget(region, name)  # LoadBalancerArns changed: read it again when needed
        return LoadBalancer(
            name=name,
            account=self._account,
            region=region,
            protocol=spec.protocol,
            port=spec.port,
            endpoint=lb.get("DNSName"),
        )

    def _ensure_load_balancer(
        self, region: str, name: str, settings: AwsLoadBalancerSettings, subnets: list[str]
    ) -> dict[str, Any]:
        try:
            return self.describe(region, name)
        except NotFound:
            pass
        kwargs: dict[str, Any] = {
            "Name": name,
            "Subnets": subnets,
            "Type": settings.type,
            "Scheme": settings.scheme,
            "Tags": [{"Key": "cloudrig:managed", "Value": "true"}],
        }
        if settings.traffic_listeners:
            kwargs["Tags"].append(
                {"Key": TRAFFIC_LISTENERS_TAG, "Value": ports_tag(settings.traffic_listeners)}
            )
        if settings.security_groups and settings.type == "application":
            kwargs["SecurityGroups"] = list(settings.security_groups)
        try:
            created = self._elb(region).call("create_load_balancer", resource=name, **kwargs)
        except Conflict:  # created meanwhile by someone else: same name, take it as it is
            return self.describe(region, name)
        lb: dict[str, Any] = created["LoadBalancers"][0]
        return lb

    def _ensure_target_group(
        self, region: str, name: str, spec: LoadBalancerSpec, protocol: str, vpc_id: str
    ) -> dict[str, Any]:
        check = spec.health_check
        health: dict[str, Any] = {
            "HealthCheckIntervalSeconds": check.interval_seconds,
            "HealthyThresholdCount": check.healthy_threshold,
            "UnhealthyThresholdCount": check.unhealthy_threshold,
            "HealthCheckPort": str(check.port) if check.port else "traffic-port",
        }
        if protocol == "HTTP":
            health |= {"HealthCheckProtocol": "HTTP", "HealthCheckPath": check.path}
        elb = self._elb(region)
        self._tgs.forget(region, name)  # an upsert compares against what is there now
        try:
            tg = self._tgs.describe(region, [name])[name]
        except NotFound:
            try:
                created = elb.call(
                    "create_target_group",
                    resource=name,
                    Name=name,
                    Protocol=protocol,
                    Port=spec.target_port or spec.port,
                    VpcId=vpc_id,
                    TargetType="instance",
                    **health,
                )
                tg = created["TargetGroups"][0]
            except Conflict:
                self._tgs.forget(region, name)
                tg = self._tgs.describe(region, [name])[name]
            self._tgs.remember(region, tg)
            return tg
        if any(str(tg.get(k)) != str(v) for k, v in health.items()):
            answer = elb.call(
                "modify_target_group", resource=name, TargetGroupArn=tg["TargetGroupArn"], **health
            )
            tg = answer["TargetGroups"][0]
            self._tgs.remember(region, tg)
        return tg

    # -- reads -----------------------------------------------------------------------------------
    def describe(self, region: str, name: str) -> dict[str, Any]:
        aws_name = load_balancer_name(name)
        try:
            found = self._elb(region).call(
                "describe_load_balancers", Names=[aws_name], resource=aws_name
            )["LoadBalancers"]
        except InvalidSpec as exc:  # a name ELBv2 refuses cannot exist
            raise NotFound(str(exc), provider="aws", resource=aws_name) from exc
        if not found:
            raise NotFound(
                f"load balancer {aws_name!r} does not exist in {region}",
                provider="aws",
                account=self._account,
                resource=aws_name,
            )
        lb: dict[str, Any] = found[0]
        return lb

    def get(self, region: str, name: str) -> LoadBalancer:
        return self._to_model(region, self.describe(region, name), ())

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        out: list[LoadBalancer] = []
        for where in (region,) if region else self._regions:
            for lb in self._elb(where).pages("describe_load_balancers", "LoadBalancers"):
                out.append(self._to_model(where, lb, ()))
        return out

    def _to_model(self, region: str, lb: dict[str, Any], groups: tuple[str, ...]) -> LoadBalancer:
        listeners = self._elb(region).call(
            "describe_listeners", LoadBalancerArn=lb["LoadBalancerArn"]
        )["Listeners"]
        first = min(listeners, key=lambda x: x["Port"]) if listeners else None
        return LoadBalancer(
            name=lb["LoadBalancerName"],
            account=self._account,
            region=region,
            protocol=(first["Protocol"] if first else "none").lower(),
            port=first["Port"] if first else 1,
            endpoint=lb.get("DNSName"),
            server_groups=groups,
        )

    # -- delete ----------------------------------------------------------------------------------
    def delete(self, region: str, name: str) -> None:
        """The load balancer (its listeners go with it), then its target group."""
        aws_name = load_balancer_name(name)
        elb = self._elb(region)
        try:
            lb = self.describe(region, aws_name)
            elb.call(
                "delete_load_balancer", resource=aws_name, LoadBalancerArn=lb["LoadBalancerArn"]
            )
        except NotFound:
            pass
        self._tgs.forget(region, aws_name)
        try:
            arn = self._tgs.arns(region, [aws_name])[0]
            elb.call("delete_target_group", resource=aws_name, TargetGroupArn=arn)
        except NotFound:
            pass
        finally:
            self._tgs.forget(region, aws_name)
