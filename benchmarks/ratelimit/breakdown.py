"""Where cloudrig's uncontended acquire goes, layer by layer, against one trivial ``EVALSHA``.

Every step runs on the limiter's own Redis client (one connection), in paired interleaved rounds
like the ``uncontended`` scenario, so the machine's noise hits every step of a round alike:

1. ``EVALSHA`` of ``return 1`` (the baseline; no keys, no arguments);
2. the same script called with the acquire's key and arguments (what carrying them costs);
3. a script doing only ``TIME`` + ``GET`` (the least a GCRA on the server's clock reads);
4. ``TIME`` + ``GET`` + ``SET … PX`` (and writes back, with its TTL): the floor of the design;
5. the acquire script itself (``EVALSHA`` with its arguments, no Python around it);
6. ``RedisBackend.reserve`` (arguments, reply parsing, a ``Reservation``);
7. ``Limiter.acquire`` (failover breaker, counters, an ``Admission``);

and, to see what is left to gain and how Python costs after a round trip:

8. ``TIME`` + ``SET … PX … GET`` (one command instead of ``GET`` + ``SET``, Redis >= 6.2);
9. ``TIME`` + ``GET`` + ``SET … KEEPTTL`` (no new TTL on every write);
10. step 1 followed by ``Limiter.acquire`` on a client that answers a canned reply without Redis:
    the Python of an acquire, right after a real round trip (compare with its ``timeit``).

The steps' scripts return what step 1 returns, so only their Redis commands differ.
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
    "time_setget": (
        "local t = redis.call('TIME') "
        "redis.call('SET', KEYS[1], '1795783994982663', 'PX', 100, 'GET') return 1"
    ),
    "time_get_keepttl": (
        "local t = redis.call('TIME') local v = redis.call('GET', KEYS[1]) "
        "redis.call('SET', KEYS[1], '1795783994982663', 'KEEPTTL') return 1"
    ),
}
LABELS = {
    "trivial": "EVALSHA of `return 1`",
    "args": "the same with the acquire's key and 3 arguments",
    "time_get": "a script doing only `TIME` + `GET`",
    "time_get_set": "`TIME` + `GET` + `SET … PX` (the design's floor)",
    "script": "the acquire script alone",
    "reserve": "`RedisBackend.reserve`",
    "acquire": "`Limiter.acquire`",
    "time_setget": "not done: `TIME` + `SET … PX … GET`",
    "time_get_keepttl": "not done: `TIME` + `GET` + `SET … KEEPTTL`",
    "python": "trivial `EVALSHA`, then `Limiter.acquire` on a canned reply",
}


def breakdown(adapter: Any, rounds: int = 40, n: int = 250) -> dict[str, Any]:
    """Median per-round ratio to the trivial EVALSHA, fastest round (µs) and the ratio of the
    fastest rounds, for every step."""
    limiter, bucket = adapter.limiter, adapter.bucket
    backend = limiter.backend.primary
    client = backend.client
    backend.reserve(bucket, 3600.0)  # prepares the bucket's encoded key and arguments
    key, interval, burst = next(iter(backend._prepared.values()))
    max_wait = b"%d" % (3600 * 1_000_000)
    trivial = client.script_load("return 1")
    floors = {name: client.script_load(body) for name, body in FLOOR_SCRIPTS.items()}
    acquire_sha = backend._acquire.sha

    def floor(sha: str) -> Callable[[], Any]:
        # its own key: the floor scripts must not disturb the bucket's state
        return lambda: client.execute_command(
            "EVALSHA", sha, 1, b"floor", interval, burst, max_wait
        )

    steps: dict[str, Callable[[], Any]] = {
        "trivial": lambda: client.evalsha(trivial, 0),
        **{name: floor(sha) for name, sha in floors.items()},
        "script": lambda: client.execute_command(
            "EVALSHA", acquire_sha, 1, key, interval, burst, max_wait
        ),
        "reserve": lambda: backend.reserve(bucket, 3600.0),
        "acquire": lambda: limiter.acquire(bucket),
    }
    steps["time_setget"], steps["time_get_keepttl"] = (
        steps.pop("time_setget"),
        steps.pop("time_get_keepttl"),
    )  # listed after the real layers
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


def canned_limiter(adapter: Any) -> Any:
    """A limiter like the adapter's whose Redis client answers every acquire at once with a
    granted, no-wait reply: its Python alone."""
    from cloudrig.ratelimit import Limiter

    limiter = Limiter(adapter.limiter.config)
    reply = b"1 0 1795783994982663 1000"
    limiter.backend.primary.client.execute_command = lambda *args, **options: reply
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
