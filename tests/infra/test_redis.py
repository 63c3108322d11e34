"""The Redis test servers start, serve, and their fault controls do what the limiter tests rely on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from redis.cluster import RedisCluster as ClusterClient

from support.redis_servers import RedisCluster, RedisServer

pytestmark = pytest.mark.redis


def fast_client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(
        server.url, socket_timeout=0.2, socket_connect_timeout=0.2, retry=None
    )


def test_server_serves(redis_server: RedisServer) -> None:
    client = fast_client(redis_server)
    client.set("infra:key", "value")
    assert client.get("infra:key") == b"value"
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("appendonly") == {"appendonly": "no"}


def test_kill_refuses_and_restart_serves_on_the_same_port_empty(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    client = fast_client(server)
    client.set("k", "1")
    port = server.port
    server.kill()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    server.restart()
    assert server.port == port
    assert client.ping() is True
    assert client.get("k") is None  # no persistence: a restart forgets everything


def test_freeze_times_out_and_thaw_answers(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    client = fast_client(server)
    client.ping()
    server.freeze()
    try:
        with pytest.raises(redis.TimeoutError):
            client.ping()
    finally:
        server.thaw()
    assert client.ping() is True


def test_flushall_forgets_keys_and_scripts(redis_server: RedisServer) -> None:
    client = fast_client(redis_server)
    sha = client.script_load("return 1")
    client.set("infra:flush", "1")
    redis_server.flushall()
    assert client.get("infra:flush") is None
    assert client.script_exists(sha) == [False]


def test_cluster_has_three_primaries_covering_every_slot(redis_cluster: RedisCluster) -> None:
    client = ClusterClient.from_url(redis_cluster.startup_url)
    try:
        primaries = client.get_primaries()
        assert len(primaries) == 3
        info = client.cluster_info()
        assert info["cluster_state"] == "ok"
        assert int(info["cluster_slots_assigned"]) == 16384
        # keys spread over nodes and are served through redirections
        for i in range(50):
            client.set(f"infra:{i}", str(i))
        assert [client.get(f"infra:{i}") for i in range(50)] == [str(i).encode() for i in range(50)]
        nodes_used = {client.get_node_from_key(f"infra:{i}").name for i in range(50)}
        assert len(nodes_used) == 3
    finally:
        client.close()
