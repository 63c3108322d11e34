"""``cloudrig doctor`` pings the Redis servers the configuration names (the rate limiter's backend,
the state store): an unreachable one is a problem (exit 1), never "No problems found"."""

from __future__ import annotations

import json
from pathlib import Path

from cli.clirun import invoke, write
from support.redis_servers import RedisServer, free_port

CONFIG = """
accounts:
  test: {{provider: reference, regions: [reference-1]}}
limits:
  backend: redis
  redis: {{url: "{limiter}"}}
deployments:
  store: redis
  redis: {{url: "{store}", timeout: 0.5}}
"""


def doctor(config: Path, *extra: str) -> object:
    return invoke(["-p", "cloudrig.testing.reference", "doctor", "-c", str(config), *extra])


def test_an_unreachable_limiter_backend_is_a_problem(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    config = write(tmp_path, CONFIG.format(limiter=down, store=redis_server.url))
    result = doctor(config)
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    assert f"rate limiter backend: redis at {down} unreachable (ConnectionError)" in out
    assert f"state store: redis at {redis_server.url} answers" in out
    assert "No problems found" not in out
    report = json.loads(doctor(config, "--json").output)  # type: ignore[attr-defined]
    assert report["ok"] is False
    assert report["problems"] == [
        f"rate limiter backend: redis at {down} unreachable (ConnectionError)"
    ]


def test_reachable_backends_are_no_problem(tmp_path: Path, redis_server: RedisServer) -> None:
    url = redis_server.url
    config = write(tmp_path, CONFIG.format(limiter=url, store=url))
    result = doctor(config)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"rate limiter backend: redis at {url} answers" in result.output  # type: ignore[attr-defined]
    assert "No problems found" in result.output  # type: ignore[attr-defined]
