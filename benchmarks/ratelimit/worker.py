"""One contending process: ``worker.py NAME URL RATE SECONDS SKEW``.

Prints ``ready``, waits for a line on stdin, then acquires in a loop for SECONDS and prints the
admission times as JSON (``time.monotonic_ns``: one clock for every process of the host). SKEW
moves this process's *wall* clock (``time.time``/``time.time_ns``) ahead, before any limiter is
imported, like a host whose clock is wrong.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    name, url, rate, seconds, skew = (
        sys.argv[1],
        sys.argv[2],
        float(sys.argv[3]),
        float(sys.argv[4]),
        float(sys.argv[5]),
    )
    if skew:
        real_time, real_time_ns = time.time, time.time_ns
        time.time = lambda: real_time() + skew  # type: ignore[assignment]
        time.time_ns = lambda: real_time_ns() + int(skew * 1e9)  # type: ignore[assignment]
    import adapters

    adapters.count_round_trips()
    limiter = adapters.make(name, url, rate)
    for attempt in range(20):  # warm the connection; a loaded machine may miss a 0.1-s timeout
        try:
            limiter.client.ping()
            break
        except Exception:
            if attempt == 19:
                raise
            time.sleep(0.1)
    print("ready", flush=True)
    sys.stdin.readline()
    trips = adapters.ROUND_TRIPS[0]
    deadline = time.monotonic() + seconds
    admitted: list[int] = []
    errors = 0
    while time.monotonic() < deadline:
        try:
            limiter.acquire()
        except Exception:
            errors += 1
            continue
        admitted.append(time.monotonic_ns())
    trips = adapters.ROUND_TRIPS[0] - trips
    # cloudrig gives a slot up when it wakes too late for it (a loaded host): what utilization lost
    stats = getattr(getattr(limiter, "limiter", None), "stats", None)
    forfeited = sum(s.forfeited for s in stats().values()) if stats else None
    result = {"admitted": admitted, "errors": errors, "round_trips": trips, "forfeited": forfeited}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
