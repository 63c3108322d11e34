"""The Redis state store with a real redis-server: deployments resume across workers, the lease is
fenced, and when Redis stops answering the deployment stops changing the cloud (fails closed)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from strategies.world import ACCOUNT, REGION, World

from cloudrig.engine import DeploymentStatus, StateStoreUnavailable, lease_key
from cloudrig.engine._redis import RedisStateStore
from cloudrig.provider import MUTATING
from cloudrig.ratelimit import RedisOptions, make_client
from cloudrig.strategies import RedBlack, RollingRedBlack
from cloudrig.testing import SimulatedCrash
from support.redis_servers import RedisServer

pytestmark = pytest.mark.redis
_prefixes = itertools.count()


@pytest.fixture(scope="module")
def redis_server(redis_server_factory: Callable[[], RedisServer]) -> RedisServer:
    """A private server: one test here freezes it."""
    return redis_server_factory()


@pytest.fixture
def redis_world(tmp_path: Path, redis_server: RedisServer) -> Iterator[World]:
    prefix = f"test-deploy-{next(_prefixes)}"

    def store(world: World) -> RedisStateStore:
        client = make_client(RedisOptions(url=redis_server.url, timeout=0.3))
        return RedisStateStore(client, prefix=prefix, clock=world.clock)

    world = World(tmp_path, store_factory=store)
    yield world
    world.close()


def test_deploys_and_resumes_a_crashed_run_by_id(redis_world: World) -> None:
    w = redis_world
    w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
    w.cloud.faults.crash("create_server_group", after_call=True, nth=1)
    with pytest.raises(SimulatedCrash):
        w.rig().deploy(w.spec("img-1"), RedBlack())
    pending = w.rig().deployments()
    assert [p.status for p in pending] == [DeploymentStatus.RUNNING]
    # the group exists in the cloud carrying the deployment id; the resume adopts it
    created = w.groups()["shop-prod-v002"]
    assert created.deployment_id == pending[0].id
    done = w.rig().deploy(w.spec("img-1"), RedBlack())
    assert done.id == pending[0].id
    assert done.status is DeploymentStatus.SUCCEEDED
    assert len(w.cloud.calls("create_server_group", outcome="crash")) == 1
    # v002's create, killed before its answer, is sent once more on resume (idempotent: it may
    # have been half made); there is no duplicate group.
    creates = [c.args["name"] for c in w.cloud.calls("create_server_group")]
    assert creates == ["shop-prod-v001", "shop-prod-v002", "shop-prod-v002"]
    assert sorted(w.groups()) == ["shop-prod-v001", "shop-prod-v002"]
    assert [n for n, g in w.groups().items() if g.enabled] == ["shop-prod-v002"]


def test_lease_is_exclusive_and_fenced(redis_world: World) -> None:
    store = redis_world.rig().deployer.store
    key = lease_key(ACCOUNT, REGION, redis_world.moniker)
    assert store.acquire_lease(key, "a", 30)
    assert not store.acquire_lease(key, "b", 30)
    assert store.lease_holder(key) == "a"
    redis_world.clock.advance(31)
    assert not store.renew_lease(key, "a", 30)  # expired: lost
    assert store.acquire_lease(key, "b", 30)
    store.release_lease(key, "a")  # not the holder: no effect
    assert store.lease_holder(key) == "b"


def test_fails_closed_while_redis_is_frozen_then_resumes(
    redis_world: World, redis_server: RedisServer
) -> None:
    w = redis_world
    w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
    frozen: list[int] = []

    def freeze_after_first_mutation() -> None:
        redis_server.freeze()
        frozen.append(len(w.cloud.history))

    w.after_mutations(2, freeze_after_first_mutation)  # after the pin and the create
    try:
        with pytest.raises(StateStoreUnavailable):
            w.rig().deploy(w.spec("img-1"), RollingRedBlack(steps=(50, 100)))
        mutations = [
            e for e in w.cloud.history[frozen[0] :] if e.kind == "call" and e.operation in MUTATING
        ]
        assert mutations == [], "a mutation happened without the lease being checked"
    finally:
        redis_server.thaw()
    w.cloud.observers.clear()
    w.clock.advance(120)  # the stopped worker's lease expires
    done = w.rig().deploy(w.spec("img-1"), RollingRedBlack(steps=(50, 100)))
    assert done.status is DeploymentStatus.SUCCEEDED
    groups = w.groups()
    assert groups["shop-prod-v001"].capacity.min == 1  # unpinned
    assert groups["shop-prod-v002"].enabled


def test_store_unreachable_from_the_start_changes_nothing(tmp_path: Path) -> None:
    def dead(world: World) -> RedisStateStore:
        return RedisStateStore(
            make_client(RedisOptions(url="redis://127.0.0.1:1/0")), clock=world.clock
        )

    w = World(tmp_path)
    w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
    w.store_factory = dead
    before = w.mutating_calls()
    with pytest.raises(StateStoreUnavailable):
        w.rig().deploy(w.spec("img-1"), RedBlack())
    assert w.mutating_calls() == before
    w.close()


@pytest.mark.parametrize("name", ["red-black", "rolling", "canary"])
@pytest.mark.parametrize("fault", ["crash", "second_worker"])
def test_fault_matrix_on_the_redis_store(
    tmp_path: Path, redis_server: RedisServer, name: str, fault: str
) -> None:
    """The same scenarios as the SQLite matrix, with every worker on the Redis store."""
    from strategies.scenarios import clean_trace, run

    prefix = f"test-matrix-{next(_prefixes)}"

    def store(world: World) -> RedisStateStore:
        client = make_client(RedisOptions(url=redis_server.url, timeout=0.5))
        return RedisStateStore(client, prefix=prefix, clock=world.clock)

    for k in range(1, clean_trace(name) + 1):
        for when in ("before", "after"):
            prefix = f"test-matrix-{next(_prefixes)}"
            _, record, checker = run(
                tmp_path / f"{k}{when}", name, fault, k, when, store_factory=store
            )
            assert record.status is DeploymentStatus.SUCCEEDED, (k, when, record.error)
            assert not checker.violations
