"""Reference provider variants with a planted unsafe behaviour the strategy kit must catch.

Kept apart from ``_variants`` (whose module is imported with the reference plugin and must not
import the provider): these are provider classes, passed to ``reference_target`` by tests.
"""

from __future__ import annotations

from cloudrig._model._resources import CreateServerGroup, ServerGroup
from cloudrig.provider._capabilities import Capabilities, TrafficSplit
from cloudrig.testing._provider import ReferenceProvider, ReferenceServerGroups
from cloudrig.testing._settings import ReferenceServerGroupSettings

CAPACITY_SPLIT = Capabilities(
    traffic_split=TrafficSplit.CAPACITY_ONLY,
    baseline_beside_canary=True,
    resizable=True,
    disable_keeps_instances=True,
)
"""A cloud whose traffic follows capacity (Kubernetes-like): strategies move instances, not weights."""


class OutOfTrafficServerGroups(ReferenceServerGroups):
    """Creates every group out of traffic (disabled), until something enables it."""

    def _create(self, request: CreateServerGroup[ReferenceServerGroupSettings]) -> ServerGroup:
        super()._create(request)
        group = self.provider._group(request.spec.region, request.name)
        group.enabled = False
        return self.provider._server_group(group)


class CreatesOutOfTraffic(ReferenceProvider):
    """The unsafe provider of issue 19: on a capacity-split cloud its new groups are created out of
    traffic, so rolling red/black shrinks the old group while the new one serves nothing and,
    for a moment, the load balancer has no member. It passes the conformance kit; the strategy
    kit (``cloudrig.testing.strategies``) fails it."""

    provider_name = "reference-out-of-traffic"
    capabilities = CAPACITY_SPLIT
    server_groups: OutOfTrafficServerGroups
