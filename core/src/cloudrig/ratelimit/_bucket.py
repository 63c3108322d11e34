"""Buckets: which budget a request spends, keyed by the cloud's own identity.

A bucket is named after the identity the *cloud* budgets by — the AWS account id, the GCP project,
the Kubernetes API server — never the cloudrig account name, so two configured accounts on one
cloud account (EC2, ECS and Lambda accounts on one AWS account, say) share one budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudrig.ratelimit._options import CallClass, Limit, LimitsConfig, Rule


@dataclass(frozen=True)
class Bucket:
    """One budget. ``name`` is stable across processes and hosts: it is the Redis key's hash tag."""

    name: str
    limit: Limit

    @property
    def interval(self) -> float:
        """The emission interval: seconds between two requests at the sustained rate."""
        return 1.0 / self.limit.rate


def _part(value: str) -> str:
    # '/' separates the parts and braces would end the Redis hash tag early.
    return value.replace("/", "%2F").replace("{", "%7B").replace("}", "%7D")


def _matches(rule: Rule, fields: dict[str, str | None]) -> bool:
    return all(
        getattr(rule, name) is None or getattr(rule, name) == value
        for name, value in fields.items()
    )


def resolve_bucket(
    config: LimitsConfig,
    *,
    cloud: str,
    identity: str,
    service: str,
    region: str,
    call_class: CallClass,
    api: str | None = None,
) -> Bucket:
    """The bucket a call spends: the most specific matching rule's budget, else the call class's.

    Only an API-level rule gives an API a bucket of its own; otherwise every API of a service shares
    the service's bucket, as the clouds budget them.
    """
    fields: dict[str, str | None] = {
        "cloud": cloud,
        "identity": identity,
        "service": service,
        "region": region,
        "call_class": call_class.value,
        "api": api,
    }
    matching = [rule for rule in config.rules if _matches(rule, fields)]
    limit: Limit = config.read if call_class is CallClass.READ else config.mutate
    own_api = False
    if matching:
        best = max(matching, key=Rule.specificity)  # max keeps the first of equals: config order
        limit = Limit(rate=best.rate, burst=best.burst)
        own_api = best.api is not None
    parts = [cloud, identity, service, region, call_class.value]
    if own_api and api is not None:
        parts.append(api)
    return Bucket(name="/".join(_part(p) for p in parts), limit=limit)
