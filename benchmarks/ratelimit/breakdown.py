"""Where cloudrig's uncontended acquire goes, layer by layer, against one trivial ``EVALSHA``.

The acquire is one call of a script registered with redis-py (``register_script``) on the
limiter's own client, so the base is a trivial ``EVALSHA`` (``return 1``) through the same client
(``client.evalsha``: the issue's "trivial EVALSHA on the same client"). Paired interleaved rounds
like ``run.py``'s ``uncontended`` scenario, so the machine's noise hits every step of a round alike:

1. ``client.evalsha`` of ``return 1`` (the base; no keys, no arguments);
2. the same ``EVALSHA`` sent on a redis-py connection of its own, packed once, with
   ``send_packed_command`` and ``read_response``: the round trip without redis-py's per-command
   path (pool checkout and its checks, encoding, observability hooks). What the acquire saved
   when it had connections of its own, before it moved to redis-py's public API;
3. ``client.evalsha`` of ``return 1`` with the acquire's key and arguments (what carrying them
   costs);
4. a script doing only ``TIME`` + ``GET`` (the least a GCRA on the server's clock reads);
5. ``TIME`` + ``GET`` + ``SET … PX`` (and writes back, with its TTL): the floor of the design;
6. the acquire script itself, called as a registered ``Script`` with the acquire's arguments;
7. ``RedisBackend.reserve`` (the arguments, a ``Reservation``);
8. ``Limiter.acquire`` (failover breaker, counters, an ``Admission``);
9. step 1 followed by ``Limiter.acquire`` on a client that answers a canned reply without Redis:
   the Python of an acquire, right after a real round trip (compare with its ``timeit``).

The floor scripts return what step 1 returns, so only their Redis commands differ.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

FLOOR_SCRIPTS = {
    "args": "return 1",
    "time_get": "local t = redis.call('TIME') local v = redis.call('GET', KEYS[1]) return 1",
    "time_get_set": (
        "local t = redis.call('TIME') local v = redis.call('GET', KEYS[1]) "
        "redis.call('SET', KEYS[1], '1795783994982663', 'PX', 100) return 1"
    ),
}
LABELS = {
    "trivial": "redis-py `client.evalsha` of `return 1` (the base)",
    "raw": "the same on a connection of its own, pre-packed (no per-command path)",
    "args": "`client.evalsha` of `return 1` with the acquire's key and arguments",
    "time_get": "a script doing only `TIME` + `GET`",
    "time_get_set": "`TIME` + `GET` + `SET … PX` (the design's floor)",
    "script": "the acquire script alone (its registered `Script`)",
    "reserve": "`RedisBackend.reserve`",
    "acquire": "`Limiter.acquire`",
    "python": "`client.evalsha`, then `Limiter.acquire` on a canned reply",
}
MAX_WAIT_US = 3600 * 1_000_000
CANNED = [1, 0, 1795783994982663, 1000]  # granted, no wait, a slot, the full rate


def breakdown(adapter: Any, rounds: int = 40, n: int = 250) -> dict[str, Any]:
    """Median per-round ratio to the trivial ``client.evalsha``, fastest round (µs) and the
    ratio of the fastest rounds, for every step."""
    from cloudrig.ratelimit._redis import ACQUIRE

    limiter, bucket = adapter.limiter, adapter.bucket
    backend = limiter.backend.primary
    client = backend.client
    trivial = client.script_load("return 1")
    floors = {name: client.script_load(body) for name, body in FLOOR_SCRIPTS.items()}
    # the acquire's arguments: interval µs, burst, max wait µs, recovery; the floor scripts get
    # their own key, so that they leave the bucket's state alone
    args = (1, 1, MAX_WAIT_US, backend.adaptive.recovery_pm_per_us)
    script = client.register_script(ACQUIRE)
    script(keys=["script"], args=args)  # loaded
    raw = raw_evalsha(client, trivial)
    steps: dict[str, Callable[[], Any]] = {
        "trivial": lambda: client.evalsha(trivial, 0),
        "raw": raw,
        **{
            name: (lambda sha=sha: client.evalsha(sha, 1, "floor", *args))
            for name, sha in floors.items()
        },
        "script": lambda: script(keys=["script"], args=args),
        "reserve": lambda: backend.reserve(bucket, 3600.0),
        "acquire": lambda: limiter.acquire(bucket),
    }
    canned = canned_limiter(adapter)
    steps["python"] = lambda: (steps["trivial"](), canned.acquire(bucket))
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            t = time.perf_counter()
            for _ in range(n):
                step()
            times[name].append((time.perf_counter() - t) / n)
    base = times["trivial"]
    steps_out = {
        name: {
            "what": LABELS[name],
            "fastest_us": round(min(values) * 1e6, 1),
            "ratio_median": round(
                statistics.median(v / b for v, b in zip(values, base, strict=True)), 3
            ),
            "ratio_fastest": round(min(values) / min(base), 3),
        }
        for name, values in times.items()
    }
    return {"steps": steps_out, "python_timeit_us": round(python_timeit(adapter, bucket), 2)}


def raw_evalsha(client: Any, sha: str) -> Callable[[], Any]:
    """``EVALSHA sha 0`` on a connection of its own with the client's options, packed once by
    redis-py: the round trip and reply parsing alone."""
    pool = client.connection_pool
    conn = pool.connection_class(**pool.connection_kwargs)
    packed = conn.pack_command("EVALSHA", sha, 0)

    def call() -> Any:
        conn.send_packed_command(packed, check_health=False)
        return conn.read_response()

    return call


class CannedClient:
    """Stands in for the Redis client: every registered script answers ``CANNED`` at once."""

    def register_script(self, body: str) -> Callable[..., Any]:
        return lambda keys, args: CANNED

    def close(self) -> None:
        pass


def canned_limiter(adapter: Any) -> Any:
    """A limiter like the adapter's whose Redis backend gets a granted, no-wait reply without
    Redis: its Python alone."""
    from cloudrig.ratelimit import Limiter, RedisBackend

    limiter = Limiter(adapter.limiter.config)
    limiter.backend.primary = RedisBackend(CannedClient())
    return limiter


def python_timeit(adapter: Any, bucket: Any) -> float:
    """µs per ``Limiter.acquire`` on the canned reply, in a hot ``timeit`` loop."""
    canned = canned_limiter(adapter)
    return (
        min(timeit.repeat(lambda: canned.acquire(bucket), number=20_000, repeat=5)) / 20_000 * 1e6
    )


def table(result: dict[str, Any]) -> str:
    steps = result["steps"]
    lines = [
        "| step | fastest round µs | ratio to trivial, median of rounds | ratio, fastest rounds |",
        "|---|---|---|---|",
    ]
    for step in steps.values():
        lines.append(
            f"| {step['what']} | {step['fastest_us']} | {step['ratio_median']} "
            f"| {step['ratio_fastest']} |"
        )
    python_after = steps["python"]["fastest_us"] - steps["trivial"]["fastest_us"]
    lines.append(
        f"\nThe Python of `Limiter.acquire` (canned reply): {result['python_timeit_us']} µs in a "
        f"hot `timeit` loop, {python_after:.1f} µs right after a round trip (fastest rounds)."
    )
    return "\n".join(lines)
