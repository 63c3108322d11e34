"""One worker process of the shared-budget test: a red/black of its own cluster through a rig
whose limiter uses the Redis backend. Prints "ready", waits for a line on stdin, deploys, prints
the limiter's admitted count as JSON.

    python budget_worker.py ENDPOINT_URL REDIS_URL STATE_DIR APP
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    endpoint, redis_url, state_dir, app = sys.argv[1:5]
    from support.aws.strict import from_environment

    from_environment()  # the strict AWS target's model checks, as in the parent's tests
    import cloudrig
    from cloudrig import Capacity, Moniker, ServerGroupSpec
    from cloudrig.engine import SqliteStateStore
    from cloudrig.strategies import RedBlack

    rig = cloudrig.connect(
        {
            "accounts": {
                "aws-budget": {
                    "provider": "aws",
                    "regions": ["us-east-1"],
                    "access_key_id": "env:CLOUDRIG_TEST_AWS_KEY_ID",
                    "secret_access_key": "env:CLOUDRIG_TEST_AWS_SECRET",
                    "endpoint_url": endpoint,
                    "account_id": "123456789012",
                }
            },
            "limits": {
                "backend": "redis",
                "redis": {"url": redis_url, "timeout": 1.0},
                "read": {"rate": 5, "burst": 1},
                "mutate": {"rate": 2, "burst": 1},
                "cache": {"ttl": 0},
                "max_wait": 120,
            },
        },
        state_store=SqliteStateStore(Path(state_dir) / f"{app}.sqlite3"),
    )

    def spec(artifact: str) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=Moniker(app=app, stack="prod"),
            account="aws-budget",
            region="us-east-1",
            zones=("us-east-1a",),
            artifact=artifact,
            capacity=Capacity.fixed(1),
            load_balancers=("web",),
        )

    rig.account("aws-budget")  # provider built before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    rig.deploy(spec("ami-00000001"), RedBlack()).raise_for_status()
    rig.deploy(spec("ami-00000002"), RedBlack()).raise_for_status()
    print(json.dumps(sum(s.admitted for s in rig.limiter.stats().values())), flush=True)


if __name__ == "__main__":
    main()
