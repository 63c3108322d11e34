"""Load balancers: an ALB, its own (template) target group and the listener(s) that carry traffic.

The listeners cloudrig moves weights on are the ones whose default action forwards to the load
balancer's target groups (its template, or a version's ``w-…``): ``upsert`` makes the listener on
the spec's port one (created HTTP, or HTTPS with ``settings.certificate_arn``), or the listeners
``settings.listeners`` names by port or ARN; any other listener of the load balancer — an
HTTP:80 that redirects to HTTPS, one forwarding elsewhere — is never read nor written. Every
listener carrying traffic gets the same weights in the same ``ModifyListener`` round.

Each server group behind the load balancer gets its own target group of type ``ip`` (ECS
registers the service's tasks there), created from the template's settings (port, health
check) and put in the listener's forward action with weight 0: its targets are health-checked
(a target group no listener uses reports every target ``unused``) but receive no traffic until
the group is enabled. The template target group has no targets; it takes the traffic when no
version has any, so clients see 503 rather than a listener error. ARNs are immutable for a load
balancer's life, so they are remembered in process after the first lookup, with the template's
settings that version target groups copy (``upsert`` refreshes them).

``EcsLoadBalancers`` is the provider's ``load_balancers`` noun; the traffic and the server groups
use its lookups (``info``) and per-version target groups.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any

from cloudrig import Conflict, InvalidSpec, LoadBalancer, LoadBalancerSpec, NotFound
from cloudrig.provider import LoadBalancers
from cloudrig_aws import ClientFactory, tag_values
from cloudrig_ecs.naming import load_balancer_name, version_target_group_name
from cloudrig_ecs.network import Network
from cloudrig_ecs.settings import EcsLoadBalancerSettings

TAG_NAME = "cloudrig:name"


@dataclass(frozen=True)
class LbInfo:
    name: str
    arn: str
    listener_arns: tuple[str, ...]
    """The listeners carrying the traffic (the first one is read for the weights)."""
    template_arn: str
    port: int
    protocol: str
    dns: str | None
    template: dict[str, Any]
    """What a version's target group copies from the template (protocol, port, VPC, check)."""


class EcsLoadBalancers(LoadBalancers[EcsLoadBalancerSettings]):
    """ALBs of the account's ``regions`` (all of them listed when no region is given)."""

    def __init__(self, factory: ClientFactory, network: Network, regions: tuple[str, ...]) -> None:
        self._factory = factory
        self._network = network
        self._regions = regions
        self._account = factory.account
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], LbInfo] = {}

    def elb(self, region: str) -> Any:
        return self._factory.client("elbv2", region)

    # -- lookups ---------------------------------------------------------------------------------
    def info(self, region: str, name: str) -> LbInfo:
        with self._lock:
            known = self._known.get((region, name))
        if known is not None:
            return known
        elb, aws_name = self.elb(region), load_balancer_name(name)
        lbs = elb.call("describe_load_balancers", resource=name, Names=[aws_name])
        lb = lbs["LoadBalancers"][0]
        listeners = elb.call("describe_listeners", LoadBalancerArn=lb["LoadBalancerArn"])
        template = elb.call("describe_target_groups", Names=[aws_name])["TargetGroups"][0]
        ours = [
            x for x in listeners["Listeners"] if _forwards_to_ours(x, template["TargetGroupArn"])
        ]
        if not ours:
            raise NotFound(f"load balancer {name} has no listener forwarding to it", resource=name)
        ours.sort(key=lambda x: int(x["Port"]))
        info = LbInfo(
            name,
            lb["LoadBalancerArn"],
            tuple(x["ListenerArn"] for x in ours),
            template["TargetGroupArn"],
            int(ours[0]["Port"]),
            str(ours[0].get("Protocol", "HTTP")).lower(),
            lb.get("DNSName"),
            {
                "Protocol": template["Protocol"],
                "Port": template["Port"],
                "VpcId": template["VpcId"],
                "HealthCheckPath": template.get("HealthCheckPath", "/"),
                "HealthCheckIntervalSeconds": template["HealthCheckIntervalSeconds"],
                "HealthyThresholdCount": template["HealthyThresholdCount"],
                "UnhealthyThresholdCount": template["UnhealthyThresholdCount"],
            },
        )
        with self._lock:
            self._known[(region, name)] = info
        return info

    def forget(self, region: str, name: str) -> None:
        with self._lock:
            self._known.pop((region, name), None)

    def _model(self, region: str, info: LbInfo) -> LoadBalancer:
        return LoadBalancer(
            name=info.name,
            account=self._account,
            region=region,
            protocol=info.protocol,
            port=info.port,
            endpoint=info.dns,
        )

    # -- the contract ----------------------------------------------------------------------------
    def upsert(self, spec: LoadBalancerSpec, settings: EcsLoadBalancerSettings) -> LoadBalancer:
        region, elb, aws_name = spec.region, self.elb(spec.region), load_balancer_name(spec.name)
        subnets = list(settings.subnets) or self._network.default_subnets(region)
        tags = [{"Key": TAG_NAME, "Value": tag_values.encode(spec.name)}]
        # CreateLoadBalancer and CreateTargetGroup return the existing resource when it matches.
        lb = _ensure(
            elb,
            "load_balancer",
            resource=spec.name,
            Name=aws_name,
            Subnets=subnets,
            Scheme=settings.scheme,
            Type="application",
            Tags=tags,
            **(
                {"SecurityGroups": list(settings.security_groups)}
                if settings.security_groups
                else {}
            ),
        )
        check = spec.health_check
        template = _ensure(
            elb,
            "target_group",
            resource=spec.name,
            Name=aws_name,
            Protocol="HTTP",
            Port=spec.target_port or spec.port,
            VpcId=lb["VpcId"],
            TargetType="ip",
            HealthCheckPath=check.path,
            HealthCheckIntervalSeconds=check.interval_seconds,
            HealthyThresholdCount=check.healthy_threshold,
            UnhealthyThresholdCount=check.unhealthy_threshold,
            Tags=tags,
        )
        self._listeners(elb, spec, settings, lb["LoadBalancerArn"], template["TargetGroupArn"])
        self.forget(region, spec.name)
        return self._model(region, self.info(region, spec.name))

    def _listeners(
        self,
        elb: Any,
        spec: LoadBalancerSpec,
        settings: EcsLoadBalancerSettings,
        lb_arn: str,
        template_arn: str,
    ) -> None:
        """Make the chosen listeners carry this load balancer's traffic: the one on the spec's
        port is created when missing; one that forwards elsewhere is pointed at the current
        weights (or the template). Listeners not chosen are left as they are."""
        protocol = spec.protocol.upper()
        if protocol not in ("HTTP", "HTTPS"):
            raise InvalidSpec(f"{spec.name}: an ALB listener speaks http or https")
        if protocol == "HTTPS" and not settings.certificate_arn:
            raise InvalidSpec(f"{spec.name}: an HTTPS listener needs settings.certificate_arn")
        existing = elb.call("describe_listeners", resource=spec.name, LoadBalancerArn=lb_arn)
        listeners: list[dict[str, Any]] = existing["Listeners"]
        chosen = settings.listeners or (spec.port,)
        current = next((x for x in listeners if _forwards_to_ours(x, template_arn)), None)
        action = current["DefaultActions"] if current else [forward({template_arn: 1})]
        for choice in chosen:
            wanted = int(choice) if isinstance(choice, str) and choice.isdigit() else choice
            found = next((x for x in listeners if wanted in (x["ListenerArn"], x["Port"])), None)
            if found is None and wanted == spec.port:
                tls = (
                    {
                        "Certificates": [{"CertificateArn": settings.certificate_arn}],
                        **({"SslPolicy": settings.ssl_policy} if settings.ssl_policy else {}),
                    }
                    if protocol == "HTTPS"
                    else {}
                )
                elb.call(
                    "create_listener",
                    resource=spec.name,
                    LoadBalancerArn=lb_arn,
                    Protocol=protocol,
                    Port=spec.port,
                    DefaultActions=action,
                    **tls,
                )
            elif found is None:
                raise InvalidSpec(f"{spec.name}: no listener {wanted} on the load balancer")
            elif not _forwards_to_ours(found, template_arn):
                elb.call(
                    "modify_listener",
                    resource=spec.name,
                    ListenerArn=found["ListenerArn"],
                    DefaultActions=action,
                )

    def get(self, region: str, name: str) -> LoadBalancer:
        return self._model(region, self.info(region, name))

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        found = []
        for where in (region,) if region else self._regions:
            elb = self.elb(where)
            lbs = elb.pages("describe_load_balancers", "LoadBalancers")
            for start in range(0, len(lbs), 20):  # DescribeTags takes 20 ARNs
                arns = [lb["LoadBalancerArn"] for lb in lbs[start : start + 20]]
                for described in elb.call("describe_tags", ResourceArns=arns)["TagDescriptions"]:
                    tags = {t["Key"]: t["Value"] for t in described.get("Tags", [])}
                    if TAG_NAME in tags:
                        with contextlib.suppress(NotFound):
                            found.append(self.get(where, tag_values.decode(tags[TAG_NAME])))
        return found

    def delete(self, region: str, name: str) -> None:
        try:
            info = self.info(region, name)
        except NotFound:
            return
        elb = self.elb(region)
        elb.call("delete_load_balancer", resource=name, LoadBalancerArn=info.arn)
        with contextlib.suppress(NotFound, Conflict):
            elb.call("delete_target_group", resource=name, TargetGroupArn=info.template_arn)
        self.forget(region, name)

    # -- per-version target groups ---------------------------------------------------------------
    def version_target_group(self, region: str, lb: str, group: str, first: bool = True) -> str:
        """The target group of server group ``group`` behind ``lb``, created from the template
        (``first``: ``lb`` is the spec's first load balancer, see ``naming``)."""
        info = self.info(region, lb)
        created = _ensure(
            self.elb(region),
            "target_group",
            resource=group,
            Name=version_target_group_name(group, None if first else lb),
            TargetType="ip",
            Tags=[{"Key": TAG_NAME, "Value": tag_values.encode(group)}],
            **info.template,
        )
        return str(created["TargetGroupArn"])

    def delete_target_group(self, region: str, arn: str) -> None:
        with contextlib.suppress(NotFound):
            self.elb(region).call("delete_target_group", resource=arn, TargetGroupArn=arn)


def _ensure(elb: Any, kind: str, *, resource: str, Name: str, **kwargs: Any) -> dict[str, Any]:
    """Find a load balancer or target group by name, or create it. A load balancer is looked up
    first: moto creates a second one of the same name. A target group is created first — AWS
    returns the existing one when the settings match — and looked up only when the create is
    refused as a duplicate (moto refuses every duplicate; AWS one whose settings differ)."""
    key = "LoadBalancers" if kind == "load_balancer" else "TargetGroups"
    found: list[dict[str, Any]] = []
    if kind == "load_balancer":
        try:
            found = elb.call(f"describe_{kind}s", resource=resource, Names=[Name])[key]
        except NotFound:
            found = []
    if not found:
        try:
            found = elb.call(f"create_{kind}", resource=resource, Name=Name, **kwargs)[key]
        except Conflict:  # it exists (a duplicate name, or a retry whose first answer was lost)
            found = elb.call(f"describe_{kind}s", resource=resource, Names=[Name])[key]
    return dict(found[0])


def _forwards_to_ours(listener: dict[str, Any], template_arn: str) -> bool:
    """Whether the listener's default action forwards to the load balancer's template target
    group or to a version's (``w-…``, see ``naming``)."""
    for action in listener.get("DefaultActions", []):
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        arns = [g["TargetGroupArn"] for g in groups] + [action.get("TargetGroupArn") or ""]
        if any(a == template_arn or ":targetgroup/w-" in a for a in arns):
            return True
    return False


def forward(weights: dict[str, int]) -> dict[str, Any]:
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": a, "Weight": w} for a, w in weights.items()]
        },
    }
