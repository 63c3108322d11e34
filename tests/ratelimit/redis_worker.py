"""A separate process reserving slots of one bucket on Redis; prints the slots as JSON.

    python redis_worker.py URL COUNT RATE [CLOCK_OFFSET_SECONDS]

The clock offset moves this process's wall clock (``time.time``) ahead, like a host whose clock is
wrong: the Redis backend must not care, since only the server's clock decides.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    url, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    offset = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    if offset:
        real_time = time.time
        time.time = lambda: real_time() + offset  # type: ignore[assignment]
    from cloudrig.ratelimit import Limit, RedisBackend, RedisOptions
    from cloudrig.ratelimit._bucket import Bucket

    backend = RedisBackend.from_options(RedisOptions(url=url, timeout=2.0))
    bucket = Bucket("test/shared/svc/r1/read", Limit(rate=rate))
    backend.client.ping()  # connected
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    slots = []
    for _ in range(count):
        reservation = backend.reserve(bucket, max_wait=3600)
        assert reservation.granted
        slots.append(reservation.slot)
    print(json.dumps(slots))


if __name__ == "__main__":
    main()
