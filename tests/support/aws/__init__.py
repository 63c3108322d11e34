"""AWS test support (a pytest plugin: ``support.aws`` in ``pytest_plugins``).

moto in server mode in this process, plus in-process extensions of its backends for what moto does
not model (ECS service tasks, ELBv2 target health). See tests/README.md, section AWS.

Fixtures:
- ``moto_server`` (session): the running ``MotoServer`` (``.url``, ``.client(service)``,
  ``.request_count(operation)``, ``.ecs``, ``.target_health``, ``.clock``).
- ``moto_aws`` (function): the same server after ``reset()``: empty backends, no recorded
  requests, extensions back to their defaults. Use this one in tests.
- ``aws_env`` (function): dummy credentials in the environment variables the accounts of
  ``support.aws.accounts`` reference.
- ``strict_aws`` (function): the strict AWS target on for the test (``support.aws.strict``):
  requests AWS would refuse are refused and fail the test at teardown unless claimed with
  ``strict_aws.take()``. On for a whole test directory with an autouse fixture in its
  ``conftest.py`` (tests/aws/conftest.py does it)::

      @pytest.fixture(autouse=True)
      def _strict_aws(strict_aws: StrictAws) -> StrictAws:
          return strict_aws
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from support.aws.server import MotoServer
    from support.aws.strict import StrictAws

# Importing moto costs ~2 s: the plugin stays cheap for sessions that never use AWS, and the
# names below load on first use (``from support.aws import Lifecycle`` works as usual).
_LAZY = {
    "ACCOUNT_ID": "support.aws.server",
    "NO_RETRIES": "support.aws.server",
    "REGION": "support.aws.server",
    "MotoServer": "support.aws.server",
    "Clock": "support.aws.clock",
    "EcsTaskModel": "support.aws.ecs_services",
    "Timing": "support.aws.ecs_services",
    "ServiceTask": "support.aws.ecs_tasks",
    "StrictAws": "support.aws.strict",
    "Lifecycle": "support.aws.target_health",
    "TargetHealth": "support.aws.target_health",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    try:
        from support.aws.server import MotoServer

        server = MotoServer()
    except Exception as exc:  # ImportError (moto missing) or a server that cannot start
        message = f"moto server unavailable ({exc!r}); install it with: pip install 'moto[server]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.stop()


@pytest.fixture
def moto_aws(moto_server: MotoServer) -> MotoServer:
    moto_server.reset()
    return moto_server


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.aws.accounts import KEY_ENV, SECRET_ENV

    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, "testing")


@pytest.fixture
def strict_aws() -> Iterator[StrictAws]:
    from support.aws.strict import STRICT

    STRICT.take()  # refusals left by a test that ran without the fixture are not this test's
    with STRICT.on() as strict:
        yield strict
    refused = strict.take()
    if refused:
        pytest.fail(
            "the strict AWS target refused requests AWS would refuse:\n"
            + "\n".join(f"- {v}" for v in refused),
            pytrace=False,
        )
