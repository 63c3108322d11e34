"""The strict AWS target: requests AWS would refuse are refused, and fail the test.

Three layers, all behind one switch (``STRICT``, turned on per test by the ``strict_aws``
fixture):

- every botocore client built in this process checks each request against its service model
  (``strict_model``: lengths, patterns, enums, ranges, list sizes, required members) and the
  documented per-request rules (``strict_requests``) before it is sent; a refused request is
  answered, without reaching moto, as AWS answers it (HTTP 400, ``ValidationError`` /
  ``InvalidParameterValue`` / ``ValidationException`` by protocol) naming operation, member, rule;
- moto's backends refuse what needs the account's state (``strict_rules``: one load balancer per
  target group, certificates kept on HTTPS listeners, tags added to existing ones) and behave as
  AWS does where it matters (a suspended ``AddToLoadBalancer``);
- every refusal is recorded, and the fixture fails the test at teardown when any was left
  unclaimed — so a refusal the code under test caught and swallowed still fails the test. A
  test that means to send a refused request claims it with ``strict_aws.take()``.

Turning it on for a test directory: in its ``conftest.py``::

    @pytest.fixture(autouse=True)
    def _strict_aws(strict_aws: StrictAws) -> StrictAws:
        return strict_aws

A subprocess reaching the session's moto server (a worker) gets the model checks with
``CLOUDRIG_TEST_STRICT_AWS=1`` in its environment and ``support.aws.strict.from_environment()``
at its start; the state rules apply to it anyway (they run in the server).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel

from support.aws.strict_model import Violation, violations
from support.aws.strict_requests import request_violations

ENVIRONMENT = "CLOUDRIG_TEST_STRICT_AWS"
_CONTEXT_KEY = "cloudrig_strict_refusals"


class StrictAws:
    """The switch and the record of refusals (shared by the client hook and the moto rules)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._enabled = 0
        self._refusals: list[Violation] = []

    @property
    def enabled(self) -> bool:
        return self._enabled > 0

    @contextlib.contextmanager
    def on(self) -> Iterator[StrictAws]:
        install_client_hook()
        with self._lock:
            self._enabled += 1
        try:
            yield self
        finally:
            with self._lock:
                self._enabled -= 1

    def record(self, refusals: list[Violation]) -> None:
        with self._lock:
            self._refusals += refusals

    def take(self) -> list[Violation]:
        """The refusals recorded so far (claimed: the test will not fail on them)."""
        with self._lock:
            taken, self._refusals = self._refusals, []
        return taken

    def check(self, service: str, operation: OperationModel, params: dict[str, Any]) -> list[Any]:
        """Every rule the request breaks (model, then documented per-request rules)."""
        found = violations(operation, params)
        found += request_violations(service, operation.name, params)
        return found


STRICT = StrictAws()
_installed = threading.Lock()
_hooked = False


def _error_code(protocol: str, refusals: list[Violation]) -> str:
    if protocol == "ec2":
        return "MissingParameter" if refusals[0].rule == "required" else "InvalidParameterValue"
    if protocol == "query":
        return "ValidationError"
    return "ValidationException"


def _register(client: Any) -> None:
    model = client.meta.service_model
    service = model.service_name

    def before_parameter_build(
        params: dict[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
    ) -> None:
        if not STRICT.enabled:
            return
        found = STRICT.check(service, model, params)
        if found:
            STRICT.record(found)
            context[_CONTEXT_KEY] = found

    def before_call(
        model: OperationModel, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        found: list[Violation] | None = context.pop(_CONTEXT_KEY, None)
        if not found:
            return None
        code = _error_code(model.metadata.get("protocol", ""), found)
        message = "; ".join(str(v) for v in found)
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}},
        }
        return AWSResponse("strict://refused", 400, {}, None), parsed

    events = client.meta.events
    events.register("before-parameter-build", before_parameter_build, "cloudrig-strict-params")
    events.register_first("before-call", before_call, "cloudrig-strict-call")


def install_client_hook() -> None:
    """Every botocore client created from now on in this process carries the checks (they act
    only while ``STRICT`` is on). Idempotent."""
    global _hooked
    with _installed:
        if _hooked:
            return
        from botocore.session import Session

        original = Session.create_client

        def create_client(self: Session, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            _register(client)
            return client

        Session.create_client = create_client
        _hooked = True


def from_environment() -> None:
    """In a worker process: turn the checks on for its whole life when ``ENVIRONMENT`` is set."""
    if os.environ.get(ENVIRONMENT) == "1":
        install_client_hook()
        STRICT._enabled += 1
