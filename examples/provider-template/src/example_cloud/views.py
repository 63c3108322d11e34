"""JSON views of the example cloud's resources, as the API returns them.

Derived fields are computed here at read time: an instance is ``pending`` until its boot delay has
passed, a server group lists the load balancers that target it, and a load balancer reports each
target's effective traffic ``share`` (its weight over the weights of the enabled targets).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from example_cloud.state import (
        LoadBalancerRecord,
        Region,
        SecurityGroupRecord,
        ServerGroupRecord,
    )

Json = dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def server_group(region: str, reg: Region, now: float, g: ServerGroupRecord) -> Json:
    lbs = [lb.name for lb in reg.load_balancers.values() if g.name in lb.targets]
    instances = []
    for i in g.instances:
        status = "pending" if now < i.ready_at else ("failed" if i.fails else "running")
        lb_status = None
        if lbs:
            lb_status = {"pending": "initial", "failed": "unhealthy"}.get(status) or (
                "in-service" if g.enabled else "out-of-service"
            )
        instances.append(
            {
                "id": i.id,
                "zone": f"{region}-{i.zone}",
                "status": status,
                "load_balancer_status": lb_status,
                "launched_at": iso(i.launched_at),
            }
        )
    return {
        "name": g.name,
        "region": region,
        "image": g.image,
        "instance_type": g.instance_type,
        "capacity": dict(g.capacity),
        "enabled": g.enabled,
        "tags": dict(g.tags),
        "security_groups": list(g.security_groups),
        "load_balancers": lbs,
        "user_data": g.user_data,
        "environment": dict(g.environment),
        "created_at": iso(g.created_at),
        "instances": instances,
    }


def load_balancer(region: str, reg: Region, lb: LoadBalancerRecord) -> Json:
    live = {g: w for g, w in lb.targets.items() if w > 0 and reg.server_groups[g].enabled}
    total = sum(live.values())
    return {
        "name": lb.name,
        "region": region,
        "protocol": lb.protocol,
        "port": lb.port,
        "target_port": lb.target_port,
        "algorithm": lb.algorithm,
        "health_check": dict(lb.health_check),
        "dns_name": f"{lb.name}.{region}.lb.example.test",
        "created_at": iso(lb.created_at),
        "targets": [
            {
                "server_group": g,
                "weight": w,
                "enabled": reg.server_groups[g].enabled,
                "share": round(100 * live[g] / total, 3) if g in live else 0.0,
            }
            for g, w in lb.targets.items()
        ],
    }


def security_group(region: str, sg: SecurityGroupRecord) -> Json:
    return {
        "name": sg.name,
        "id": sg.id,
        "region": region,
        "description": sg.description,
        "ingress": [dict(r) for r in sg.ingress],
        "created_at": iso(sg.created_at),
    }
