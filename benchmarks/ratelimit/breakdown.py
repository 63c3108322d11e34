"""Where cloudrig's uncontended acquire goes, layer by layer, against one trivial ``EVALSHA``.

The acquire sends its command on connections of its own (``_Lane`` in ``cloudrig.ratelimit._redis``):
pre-encoded, without redis-py's per-command pool checkout. So the base here is a trivial
``EVALSHA`` sent the same lean way (the cheapest round trip there is), and redis-py's own
``client.evalsha`` — the issue's "trivial EVALSHA on the same client" — is a row beside it. Paired
interleaved rounds like the ``uncontended`` scenario, so the machine's noise hits every step of a
round alike:

1. ``EVALSHA`` of ``return 1`` on the lane (the base; no keys, no arguments);
2. the same through redis-py's client (``client.evalsha``: pool checkout, encoding, parsing);
3. a lane ``EVALSHA`` of ``return 1`` with the acquire's key and argument (what carrying them costs);
4. a script doing only ``TIME`` + ``GET`` (the least a GCRA on the server's clock reads);
5. ``TIME`` + ``GET`` + ``SET … PX`` (and writes back, with its TTL): the floor of the design;
6. the acquire script itself (its encoded command on the lane, no Python around it);
7. ``RedisBackend.reserve`` (reply parsing, a ``Reservation``);
8. ``Limiter.acquire`` (failover breaker, counters, an ``Admission``);
9. step 1 followed by ``Limiter.acquire`` on a lane that answers a canned reply without Redis:
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
    "trivial": "lane: `EVALSHA` of `return 1` (the base)",
    "client": "redis-py `client.evalsha` of `return 1` (the issue's baseline)",
    "args": "lane: the same with the acquire's key and argument",
    "time_get": "lane: a script doing only `TIME` + `GET`",
    "time_get_set": "lane: `TIME` + `GET` + `SET … PX` (the design's floor)",
    "script": "lane: the acquire script alone",
    "reserve": "`RedisBackend.reserve`",
    "acquire": "`Limiter.acquire`",
    "python": "lane `EVALSHA`, then `Limiter.acquire` on a canned reply",
}
MAX_WAIT = b"%d" % (3600 * 1_000_000)


def breakdown(adapter: Any, rounds: int = 40, n: int = 250) -> dict[str, Any]:
    """Median per-round ratio to the lane's trivial EVALSHA, fastest round (µs) and the ratio of
    the fastest rounds, for every step."""
    from cloudrig.ratelimit._redis import _bulk, encode

    limiter, bucket = adapter.limiter, adapter.bucket
    backend = limiter.backend.primary
    client, lane = backend.client, backend._lane
    backend.reserve(bucket, 3600.0)  # prepares the bucket's encoded command
    evalsha_key = next(iter(backend._prepared.values()))[0]
    trivial = client.script_load("return 1")
    floors = {name: client.script_load(body) for name, body in FLOOR_SCRIPTS.items()}

    trivial_cmd = encode(b"EVALSHA", trivial.encode(), b"0")
    # their own key: the floor scripts must not disturb the bucket's state
    floor_cmds = {
        name: encode(b"EVALSHA", sha.encode(), b"1", b"floor", MAX_WAIT)
        for name, sha in floors.items()
    }
    script_cmd = evalsha_key + _bulk(MAX_WAIT)
    steps: dict[str, Callable[[], Any]] = {
        "trivial": lambda: lane.call(trivial_cmd),
        "client": lambda: client.evalsha(trivial, 0),
        **{name: (lambda cmd=cmd: lane.call(cmd)) for name, cmd in floor_cmds.items()},
        "script": lambda: lane.call(script_cmd),
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


def canned_limiter(adapter: Any) -> Any:
    """A limiter like the adapter's whose lane answers every acquire at once with a granted,
    no-wait reply, without Redis: its Python alone."""
    from cloudrig.ratelimit import Limiter

    limiter = Limiter(adapter.limiter.config)
    reply = b"1 0 1795783994982663 1000"
    limiter.backend.primary._lane.call = lambda command: reply
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
