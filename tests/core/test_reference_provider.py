"""The reference provider as the strategy tests use it: booting on the clock, per-source health,
traffic, shared state across connections, history and observers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from core.refkit import REGION, Connect, spec

import cloudrig
from cloudrig import Capacity, HealthState, InvalidSpec, LoadBalancerSpec, TrafficWeights
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig.testing import (
    CLOUD_SOURCE,
    DEPLOYMENT_TAG,
    LB_SOURCE,
    MONIKER_TAG,
    Event,
    ManualClock,
    ReferenceCloud,
    ReferenceServerGroupSettings,
)


def test_instances_boot_on_the_clock(
    account: cloudrig.Account, clock: ManualClock, cloud: ReferenceCloud
) -> None:
    group = account.create_server_group(spec(capacity=3))
    assert group.counts.starting == 3
    clock.advance(29.9)
    assert account.server_groups.get(REGION, group.name).counts.starting == 3
    clock.advance(0.1)
    assert account.server_groups.get(REGION, group.name).healthy == 3
    transitions = [e for e in cloud.history if e.kind == "transition"]
    assert [e.operation for e in transitions] == ["instance_up"] * 3
    assert group.created_at is not None
    assert all(e.time == group.created_at + timedelta(seconds=30) for e in transitions)


def test_boot_seconds_and_boot_failure_from_spec_settings(
    account: cloudrig.Account, clock: ManualClock
) -> None:
    group = account.create_server_group(spec(boot_seconds=5, boot_failure=True))
    clock.advance(5)
    seen = account.server_groups.get(REGION, group.name)
    assert seen.counts.down == 2
    assert seen.healthy == 0
    # An efficient wait for a group that never gets healthy ends at its deadline.
    start = clock.monotonic()
    last = account.provider.server_groups.wait_for_health(
        REGION, group.name, healthy=2, timeout=120
    )
    assert last.healthy == 0
    assert clock.monotonic() - start == pytest.approx(120)


def test_spec_settings_are_validated_by_the_account(account: cloudrig.Account) -> None:
    with pytest.raises(InvalidSpec, match=r"boot_secs.*unknown field"):
        account.create_server_group(spec(boot_secs=5))
    assert ReferenceServerGroupSettings().boot_seconds is None


def test_wait_for_health_sleeps_until_the_next_boot(
    account: cloudrig.Account, clock: ManualClock
) -> None:
    group = account.create_server_group(spec(boot_seconds=42))
    before = clock.elapsed
    ready = account.provider.server_groups.wait_for_health(
        REGION, group.name, healthy=2, timeout=600
    )
    assert ready.healthy == 2
    assert clock.elapsed - before == pytest.approx(42)
    assert len(clock.sleeps) <= 10


def test_health_has_a_load_balancer_source_that_follows_disable(
    account: cloudrig.Account, clock: ManualClock, cloud: ReferenceCloud
) -> None:
    account.upsert_load_balancer(LoadBalancerSpec(name="checkout", account="ref", region=REGION))
    group = account.create_server_group(spec(load_balancers=("checkout",)))
    plain = account.create_server_group(spec(stack="batch"))
    clock.advance(30)
    instances = account.server_groups.health(REGION, group.name)
    assert {d.source for i in instances for d in i.details} == {CLOUD_SOURCE, LB_SOURCE}
    assert {
        d.source for i in account.server_groups.health(REGION, plain.name) for d in i.details
    } == {CLOUD_SOURCE}
    account.server_groups.disable(REGION, group.name)
    disabled = account.server_groups.get(REGION, group.name)
    assert [i.id for i in disabled.instances] == [i.id for i in instances]  # kept warm
    assert cloud.groups[(REGION, group.name)].healthy == disabled.healthy == 0
    assert disabled.counts.out_of_service == 2
    for instance in disabled.instances:
        states = {d.source: d.state for d in instance.details}
        assert states == {CLOUD_SOURCE: HealthState.UP, LB_SOURCE: HealthState.OUT_OF_SERVICE}
    account.server_groups.enable(REGION, group.name)
    assert account.server_groups.get(REGION, group.name).healthy == 2


def test_forced_instance_state(
    account: cloudrig.Account, clock: ManualClock, cloud: ReferenceCloud
) -> None:
    group = account.create_server_group(spec(capacity=2))
    clock.advance(30)
    first = group.instances[0].id
    cloud.set_instance_state(REGION, group.name, HealthState.DOWN, instance_id=first)
    seen = account.server_groups.get(REGION, group.name)
    assert {i.id: i.health for i in seen.instances}[first] is HealthState.DOWN
    assert seen.healthy == 1


def test_metadata_is_stored_as_tags_at_create(account: cloudrig.Account) -> None:
    group = account.create_server_group(spec(stack="état"), deployment_id="dep-1")
    assert json.loads(group.tags[MONIKER_TAG])["stack"] == "état"
    assert group.tags[DEPLOYMENT_TAG] == "dep-1"
    assert account.server_groups.read_metadata(REGION, group.name) == ServerGroupMetadata(
        moniker=group.moniker, deployment_id="dep-1"
    )
    assert group.name.startswith("checkout-etat-")  # mapped: accents folded, hash appended


def test_state_is_shared_by_connections_to_one_cloud(connect: Connect) -> None:
    first = connect().account("ref")
    group = first.create_server_group(spec(), deployment_id="dep-1")
    resumed = connect().account("ref")  # e.g. a resumed run in a new process
    assert resumed.get_cluster("checkout-prod").server_groups[0].name == group.name
    again = resumed.create_server_group(spec(), deployment_id="dep-1", sequence=1)
    assert again.created_at == group.created_at  # the same group, not a second one
    elsewhere = connect(cloud="another-cloud").account("ref")
    assert elsewhere.get_cluster("checkout-prod").server_groups == ()
    ReferenceCloud.reset("another-cloud")


def test_reset_forgets_a_cloud(account: cloudrig.Account, cloud_name: str) -> None:
    account.create_server_group(spec())
    ReferenceCloud.reset(cloud_name)
    assert ReferenceCloud.get(cloud_name).groups == {}


def test_resize_launches_and_terminates_newest_first(
    account: cloudrig.Account, clock: ManualClock
) -> None:
    group = account.create_server_group(spec(capacity=2))
    clock.advance(30)
    account.server_groups.resize(REGION, group.name, Capacity(min=1, desired=4, max=4))
    grown = account.server_groups.get(REGION, group.name)
    assert (grown.counts.up, grown.counts.starting) == (2, 2)
    account.server_groups.resize(REGION, group.name, Capacity.fixed(1))
    shrunk = account.server_groups.get(REGION, group.name)
    assert [i.id for i in shrunk.instances] == [group.instances[0].id]
    assert shrunk.capacity == Capacity.fixed(1)


def test_the_cloud_rejects_names_outside_its_policy(account: cloudrig.Account) -> None:
    request = CreateServerGroup(
        name="Checkout_Prod-v000",
        spec=spec(),
        metadata=ServerGroupMetadata(moniker=spec().moniker.with_sequence(0)),
        settings=ReferenceServerGroupSettings(),
    )
    with pytest.raises(InvalidSpec, match="not among"):
        account.provider.server_groups.create(request)


def test_reserved_tags_and_missing_load_balancers_are_invalid(account: cloudrig.Account) -> None:
    tagged = spec().model_copy(update={"tags": {"cloudrig:moniker": "forged"}})
    with pytest.raises(InvalidSpec, match="reserved"):
        account.create_server_group(tagged)
    with pytest.raises(InvalidSpec, match="load balancer 'nope' does not exist"):
        account.create_server_group(spec(load_balancers=("nope",)))


def test_traffic_weights_and_load_balancer_membership(account: cloudrig.Account) -> None:
    account.upsert_load_balancer(LoadBalancerSpec(name="Checkout LB", account="ref", region=REGION))
    old = account.create_server_group(spec(load_balancers=("Checkout LB",)))
    new = account.create_server_group(spec(load_balancers=("Checkout LB",)))
    names = [old.name, new.name]
    assert account.traffic.get_weights(REGION, names).weights == {old.name: 50, new.name: 50}
    account.traffic.set_weights(REGION, TrafficWeights(weights={old.name: 90, new.name: 10}))
    assert account.traffic.get_weights(REGION, [new.name]).weights == {old.name: 90, new.name: 10}
    account.traffic.set_weights(REGION, TrafficWeights(weights={new.name: 100}))
    assert not account.server_groups.get(REGION, old.name).enabled  # no weight: out of traffic
    assert account.load_balancers.get(REGION, "Checkout LB").server_groups == (new.name,)
    account.server_groups.enable(REGION, old.name)  # whole groups again: an even split
    assert account.traffic.get_weights(REGION, names).weights == {old.name: 50, new.name: 50}
    account.server_groups.disable(REGION, old.name)
    account.server_groups.disable(REGION, new.name)
    with pytest.raises(cloudrig.Conflict, match="no server group"):
        account.traffic.get_weights(REGION, names)


def test_traffic_weights_are_bounded_to_one_cluster_and_the_declared_maximum(
    account: cloudrig.Account,
) -> None:
    groups = [account.create_server_group(spec(capacity=0)).name for _ in range(6)]
    other = account.create_server_group(spec(stack="other", capacity=0)).name
    with pytest.raises(InvalidSpec, match="one cluster"):
        account.traffic.set_weights(REGION, TrafficWeights(weights={groups[0]: 50, other: 50}))
    six = TrafficWeights(
        weights={g: w for g, w in zip(groups, (50, 10, 10, 10, 10, 10), strict=True)}
    )
    with pytest.raises(InvalidSpec, match="at most 5"):
        account.traffic.set_weights(REGION, six)


def test_history_records_every_call_and_observers_see_the_state_after_it(
    account: cloudrig.Account, cloud: ReferenceCloud, clock: ManualClock
) -> None:
    group = account.create_server_group(spec(), deployment_id="dep-9")
    seen: list[tuple[str, bool]] = []

    def observe(world: ReferenceCloud, event: Event) -> None:
        if event.kind == "call" and event.operation.endswith("able_server_group"):
            seen.append((event.operation, world.groups[(REGION, group.name)].enabled))

    with cloud.observing(observe):
        clock.advance(5)
        account.server_groups.disable(REGION, group.name)
        account.server_groups.enable(REGION, group.name)
    account.server_groups.disable(REGION, group.name)  # no longer observed
    assert seen == [("disable_server_group", False), ("enable_server_group", True)]
    (create,) = cloud.calls("create_server_group")
    assert create.args["deployment_id"] == "dep-9"
    assert create.args["name"] == group.name
    assert (create.account, create.outcome, create.time) == ("ref", "ok", group.created_at)
    disables = cloud.calls("disable_server_group")
    assert [e.time - create.time for e in disables] == [timedelta(seconds=5)] * 2
    with pytest.raises(cloudrig.NotFound):
        account.server_groups.get(REGION, "missing-v000")
    assert cloud.calls("get_server_group")[-1].outcome == "NotFound"


def test_load_balancers_and_security_groups_keep_their_given_names(
    account: cloudrig.Account,
) -> None:
    lb = account.upsert_load_balancer(
        LoadBalancerSpec(
            name="Front Door", account="ref", region=REGION, settings={"internal": True}
        )
    )
    assert lb.name == "Front Door"
    assert lb.endpoint is not None
    assert lb.endpoint.startswith("frontdoor-")
    assert [x.name for x in account.load_balancers.list()] == ["Front Door"]
    sg = account.upsert_security_group(
        cloudrig.SecurityGroupSpec(name="web", account="ref", region=REGION)
    )
    assert account.security_groups.get(REGION, "web").id == sg.id
    account.security_groups.delete(REGION, "web")
    account.security_groups.delete(REGION, "web")
    assert account.security_groups.list(REGION) == []


def test_boot_failures_named_on_the_cloud_hit_new_instances_only(
    account: cloudrig.Account, clock: ManualClock, cloud: ReferenceCloud
) -> None:
    group = account.create_server_group(spec(capacity=1))
    clock.advance(30)
    cloud.boot_failures.add(group.name)
    account.server_groups.resize(REGION, group.name, Capacity.fixed(3))
    clock.advance(30)
    counts = account.server_groups.get(REGION, group.name).counts
    assert (counts.up, counts.down) == (1, 2)


def test_concurrent_callers_see_consistent_state(connect: Connect, cloud: ReferenceCloud) -> None:
    """Provider instances in several threads (workers of one process) share one cloud safely."""
    accounts = [connect().account("ref") for _ in range(4)]

    def work(n: int) -> list[str]:
        account = accounts[n % len(accounts)]
        names = []
        for i in range(10):
            group = account.create_server_group(spec(stack=f"w{n}", capacity=1), sequence=i)
            account.server_groups.resize(REGION, group.name, Capacity.fixed(2))
            names.append(group.name)
        return names

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = [name for names in pool.map(work, range(8)) for name in names]
    assert len(set(created)) == 80
    assert len(cloud.groups) == 80
    assert all(len(g.instances) == 2 for g in cloud.groups.values())
    assert len(cloud.calls("create_server_group", outcome="ok")) == 80
    ids = [i.id for g in cloud.groups.values() for i in g.instances]
    assert len(set(ids)) == len(ids) == 160
