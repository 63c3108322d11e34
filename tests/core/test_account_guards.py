"""The guards ``cloudrig.Account`` puts around every provider: authorization before each mutating
operation, and hash collisions ending in Conflict rather than adoption."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from core.refkit import REGION, Connect, spec

import cloudrig
import cloudrig.provider
from cloudrig import (
    AuthorizationDenied,
    Capacity,
    Conflict,
    LoadBalancerSpec,
    Moniker,
    SecurityGroupSpec,
    TrafficWeights,
)
from cloudrig.provider import Decision
from cloudrig.testing import ReferenceCloud


class Policy:
    """An authorization plugin: denies the listed actions, records every question."""

    def __init__(self, deny: set[str] | None = None, abstain: bool = False) -> None:
        self.deny = deny
        self.abstain = abstain
        self.asked: list[tuple[str | None, str, str, str]] = []

    @cloudrig.provider.hookimpl
    def cloudrig_authorize(
        self, principal: str | None, action: str, account: str, resource: str
    ) -> Decision | None:
        self.asked.append((principal, action, account, resource))
        if self.abstain:
            return None
        if self.deny is None or action in self.deny:
            return Decision.deny(f"{action} is frozen")
        return Decision.allow()


Mutation = Callable[[cloudrig.Account], object]
GROUP = "checkout-prod-v000"

# Every mutating operation of the contract, as a call on an Account, and the resource it names.
MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "create_server_group": (
        lambda a: a.create_server_group(spec(), sequence=1),
        "checkout-prod-v001",
    ),
    "resize_server_group": (
        lambda a: a.server_groups.resize(REGION, GROUP, Capacity.fixed(5)),
        GROUP,
    ),
    "enable_server_group": (lambda a: a.server_groups.enable(REGION, GROUP), GROUP),
    "disable_server_group": (lambda a: a.server_groups.disable(REGION, GROUP), GROUP),
    "destroy_server_group": (lambda a: a.server_groups.destroy(REGION, GROUP), GROUP),
    "set_traffic_weights": (
        lambda a: a.traffic.set_weights(REGION, TrafficWeights(weights={GROUP: 100})),
        GROUP,
    ),
    "upsert_load_balancer": (
        lambda a: a.upsert_load_balancer(
            LoadBalancerSpec(name="lb", account="ref", region=REGION, port=8080)
        ),
        "lb",
    ),
    "delete_load_balancer": (lambda a: a.load_balancers.delete(REGION, "lb"), "lb"),
    "upsert_security_group": (
        lambda a: a.upsert_security_group(
            SecurityGroupSpec(name="sg", account="ref", region=REGION, description="changed")
        ),
        "sg",
    ),
    "delete_security_group": (lambda a: a.security_groups.delete(REGION, "sg"), "sg"),
}


def test_every_mutating_operation_is_covered() -> None:
    assert set(MUTATIONS) == set(cloudrig.provider.MUTATING)


def _populate(connect: Connect) -> None:
    account = connect().account("ref")
    account.upsert_load_balancer(LoadBalancerSpec(name="lb", account="ref", region=REGION))
    account.upsert_security_group(SecurityGroupSpec(name="sg", account="ref", region=REGION))
    account.create_server_group(spec(), sequence=0)


def _snapshot(cloud: ReferenceCloud) -> object:
    return (
        {k: (g.enabled, g.capacity, len(g.instances)) for k, g in cloud.groups.items()},
        {k: (lb.port,) for k, lb in cloud.load_balancers.items()},
        {k: (sg.description,) for k, sg in cloud.security_groups.items()},
        dict(cloud.weights),
    )


@pytest.mark.parametrize("operation", list(MUTATIONS))
def test_denied_mutation_names_everything_and_changes_nothing(
    connect: Connect, cloud: ReferenceCloud, operation: str
) -> None:
    _populate(connect)
    before, calls_before = _snapshot(cloud), len(cloud.calls())
    policy = Policy(deny={operation})
    account = connect(plugins=("cloudrig.testing.reference", policy), principal="alice").account(
        "ref"
    )
    mutate, resource = MUTATIONS[operation]
    with pytest.raises(AuthorizationDenied) as caught:
        mutate(account)
    denied = caught.value
    assert (denied.principal, denied.action, denied.account, denied.resource) == (
        "alice",
        operation,
        "ref",
        resource,
    )
    assert denied.reason == f"{operation} is frozen"
    assert f"alice may not {operation} {resource!r} in account 'ref'" in str(denied)
    assert _snapshot(cloud) == before
    mutating_calls = [
        e for e in cloud.calls()[calls_before:] if e.operation in cloudrig.provider.MUTATING
    ]
    assert mutating_calls == []
    assert policy.asked[-1] == ("alice", operation, "ref", resource)


@pytest.mark.parametrize("operation", list(MUTATIONS))
def test_allowed_mutation_reaches_the_provider(
    connect: Connect, cloud: ReferenceCloud, operation: str
) -> None:
    _populate(connect)
    policy = Policy(deny=set())
    account = connect(plugins=("cloudrig.testing.reference", policy)).account("ref")
    MUTATIONS[operation][0](account)
    assert cloud.calls(operation)[-1].outcome == "ok"
    assert policy.asked[-1][:2] == (None, operation)


def test_reads_are_not_authorized(connect: Connect) -> None:
    _populate(connect)
    policy = Policy()  # denies everything it is asked
    account = connect(plugins=("cloudrig.testing.reference", policy)).account("ref")
    account.server_groups.get(REGION, GROUP)
    account.list_clusters("checkout")
    account.check()
    assert policy.asked == []


def test_abstaining_allows_and_any_deny_wins(connect: Connect) -> None:
    _populate(connect)
    abstains = Policy(abstain=True)
    account = connect(plugins=("cloudrig.testing.reference", abstains)).account("ref")
    account.server_groups.disable(REGION, GROUP)
    allows, denies = Policy(deny=set()), Policy(deny={"enable_server_group"})
    plugins = ("cloudrig.testing.reference", allows, denies)
    with pytest.raises(AuthorizationDenied):
        connect(plugins=plugins).account("ref").server_groups.enable(REGION, GROUP)


def test_hash_collision_is_a_conflict_never_an_adoption(
    account: cloudrig.Account, cloud: ReferenceCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two monikers whose names collide (the hash stubbed to a constant): the second create is
    refused and the first group keeps its identity."""
    monkeypatch.setattr("cloudrig.provider._naming_policy._digest", lambda moniker: "aaaaaaaaaaaaa")
    first, second = Moniker(app="Checkout"), Moniker(app="checkout!")
    assert account.naming.cluster_name(first) == account.naming.cluster_name(second)
    owner = account.create_server_group(spec(app=first.app, stack=""), deployment_id="dep-1")
    with pytest.raises(Conflict, match="refusing to adopt"):
        account.create_server_group(spec(app=second.app, stack=""), deployment_id="dep-2")
    (group,) = cloud.groups.values()
    assert group.moniker == owner.moniker
    assert group.deployment_id == "dep-1"
    assert account.server_groups.list("checkout!") == []
    assert [g.name for g in account.server_groups.list("Checkout")] == [owner.name]
