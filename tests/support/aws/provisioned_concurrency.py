"""Lambda provisioned concurrency, which moto (5.2.5) does not implement: a small stateful
emulation answered at the fault-and-count proxy, so the real boto3 client reaches it over HTTP.

moto answers none of the four operations (``PutProvisionedConcurrencyConfig``,
``GetProvisionedConcurrencyConfig``, ``DeleteProvisionedConcurrencyConfig``,
``ListProvisionedConcurrencyConfigs``, all under ``/2019-09-30/functions/{name}/
provisioned-concurrency``). ``ProvisionedConcurrencyModel.install(proxy)`` registers it as a
responder of a ``FaultProxy`` in front of moto: the proxy's rules still fire first (a throttling
answer can be injected in front of it), every other request goes to moto unchanged, and what the
model answered is counted by the proxy as ``answered`` (labels ``PUT /2019-09-30/functions/…``).

What it models, in AWS's JSON shapes and error codes (checked against botocore's service model):

- one config per function + qualifier; the qualifier must be a published version (or an alias)
  that exists in moto (404 ``ResourceNotFoundException`` otherwise), never ``$LATEST`` (400
  ``InvalidParameterValueException``);
- Put answers 202 with ``Status`` IN_PROGRESS; the allocation turns READY (allocated = requested)
  on the read after ``ready_after_reads`` reads of it (Get or List), or when the test says
  ``ready()``; ``ready_after_reads=None`` leaves it to the test (``allocate(n)`` for a partial
  allocation). ``fail()`` makes it FAILED with
  a ``StatusReason``; ``fail_next(...)`` makes the next allocation of a qualifier fail instead of
  turning READY;
- Get of a qualifier without a config: 404 ``ProvisionedConcurrencyConfigNotFoundException``;
  Delete of one: 404 ``ResourceNotFoundException``; Delete answers 204;
- the region's total requested beyond ``account_limit`` (AWS: the account's concurrency minus the
  100 it keeps unreserved): 400 ``InvalidParameterValueException``.

Deleting a version in moto does not touch its config here (AWS documents no cascade): a test can
see that the provider deletes the config itself.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from support.proxy.faults import Respond
from support.proxy.rules import Request

if TYPE_CHECKING:
    from support.aws.server import MotoServer
    from support.proxy.server import FaultProxy

PATH = re.compile(r"^/2019-09-30/functions/(?P<function>[^/]+)/provisioned-concurrency$")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/lambda/")
ACCOUNT_LIMIT = 900  # the default account concurrency (1000) minus the 100 AWS keeps unreserved


@dataclass(frozen=True)
class Config:
    """One provisioned concurrency config, as the model holds it."""

    requested: int
    allocated: int
    status: str  # IN_PROGRESS | READY | FAILED
    reason: str | None
    modified: str
    reads: int = 0  # reads since the last Put


def _error(status: int, code: str, message: str) -> Respond:
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazonaws.awslambda/",
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return Respond(status, json.dumps({"Type": "User", "message": message}).encode(), headers)


def _json(status: int, body: dict[str, Any] | None) -> Respond:
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    return Respond(status, b"" if body is None else json.dumps(body).encode(), headers)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _shape(config: Config) -> dict[str, Any]:
    body: dict[str, Any] = {
        "RequestedProvisionedConcurrentExecutions": config.requested,
        "AvailableProvisionedConcurrentExecutions": config.allocated,
        "AllocatedProvisionedConcurrentExecutions": config.allocated,
        "Status": config.status,
        "LastModified": config.modified,
    }
    if config.reason:
        body["StatusReason"] = config.reason
    return body


class ProvisionedConcurrencyModel:
    """Provisioned concurrency configs per (region, function, qualifier), under test control."""

    def __init__(
        self,
        moto: MotoServer,
        *,
        ready_after_reads: int | None = 0,
        account_limit: int = ACCOUNT_LIMIT,
    ) -> None:
        self._moto = moto
        self.ready_after_reads = ready_after_reads
        self.account_limit = account_limit
        self._lock = threading.Lock()
        self._configs: dict[tuple[str, str, str], Config] = {}
        self._failing: dict[tuple[str, str], str] = {}  # (function, qualifier) → reason

    def install(self, proxy: FaultProxy) -> ProvisionedConcurrencyModel:
        proxy.add_responder(self)
        return self

    # -- test controls ---------------------------------------------------------------------------
    def configs(self) -> dict[tuple[str, str], Config]:
        """(function, qualifier) → config, every region."""
        with self._lock:
            return {(f, q): c for (_, f, q), c in self._configs.items()}

    def ready(self, function: str, qualifier: str) -> None:
        self._set(function, qualifier, lambda c: replace(c, status="READY", allocated=c.requested))

    def allocate(self, function: str, qualifier: str, allocated: int) -> None:
        """Part of the allocation done: ``allocated`` environments, still IN_PROGRESS."""
        self._set(function, qualifier, lambda c: replace(c, allocated=allocated))

    def fail(self, function: str, qualifier: str, reason: str) -> None:
        self._set(function, qualifier, lambda c: replace(c, status="FAILED", reason=reason))

    def fail_next(self, function: str, qualifier: str, reason: str) -> None:
        """The next allocation of ``function:qualifier`` ends FAILED instead of READY."""
        with self._lock:
            self._failing[(function, qualifier)] = reason

    def _set(self, function: str, qualifier: str, change: Any) -> None:
        with self._lock:
            for key, config in self._configs.items():
                if key[1:] == (function, qualifier):
                    self._configs[key] = change(config)
                    return
        raise KeyError(f"no provisioned concurrency config on {function}:{qualifier}")

    # -- the API ---------------------------------------------------------------------------------
    def __call__(self, request: Request) -> Respond | None:
        match = PATH.match(request.path)
        if match is None:
            return None
        function = unquote(match["function"])
        if function.startswith("arn:"):
            function = function.split(":")[6]
        found = _REGION.search(request.headers.get("authorization", ""))
        region = found["region"] if found else "us-east-1"
        query = {k: v[0] for k, v in parse_qs(request.query).items()}
        method = request.method.upper()
        if method == "GET" and query.get("List") == "ALL":
            return self._missing(region, function, None) or self._list(region, function, query)
        qualifier = query.get("Qualifier", "")
        missing = self._missing(region, function, qualifier)
        if missing is not None:
            return missing
        if method == "PUT":
            wanted = json.loads(request.body or b"{}").get("ProvisionedConcurrentExecutions")
            return self._put(region, function, qualifier, wanted)
        if method == "GET":
            return self._get(region, function, qualifier)
        if method == "DELETE":
            return self._delete(region, function, qualifier)
        return _error(405, "InvalidParameterValueException", f"{method} is not supported")

    def _missing(self, region: str, function: str, qualifier: str | None) -> Respond | None:
        """The error for a qualifier Lambda refuses or a function/version moto does not have
        (``qualifier`` None: the function only)."""
        if qualifier == "":
            return _error(400, "InvalidParameterValueException", "Qualifier is required")
        if qualifier == "$LATEST":
            return _error(
                400,
                "InvalidParameterValueException",
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions.",
            )
        from moto.awslambda.models import lambda_backends
        from moto.awslambda_simple.models import lambda_simple_backends

        from support.aws.server import ACCOUNT_ID

        # Without Docker (as ``MotoServer`` runs it) moto serves Lambda from its "simple"
        # backend; the other one is looked at too, should that setting change.
        for backends in (lambda_simple_backends, lambda_backends):
            try:
                with self._moto.lock:
                    backends[ACCOUNT_ID][region].get_function(function, qualifier)
            except Exception:  # moto's UnknownFunctionException and kin
                continue
            return None
        arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function}"
        if qualifier is not None:
            arn += f":{qualifier}"
        return _error(404, "ResourceNotFoundException", f"Function not found: {arn}")

    def _put(self, region: str, function: str, qualifier: str, wanted: Any) -> Respond:
        if not isinstance(wanted, int) or wanted < 1:
            return _error(
                400,
                "InvalidParameterValueException",
                "ProvisionedConcurrentExecutions must be an integer of at least 1",
            )
        key = (region, function, qualifier)
        with self._lock:
            others = sum(
                c.requested for k, c in self._configs.items() if k[0] == region and k != key
            )
            if others + wanted > self.account_limit:
                return _error(
                    400,
                    "InvalidParameterValueException",
                    f"Requested Provisioned Concurrency ({wanted}) exceeds the account's "
                    f"unreserved concurrency available for it ({self.account_limit - others})",
                )
            before = self._configs.get(key)
            allocated = min(before.allocated, wanted) if before else 0
            config = Config(wanted, allocated, "IN_PROGRESS", None, _now())
            self._configs[key] = config
        return _json(202, _shape(config))

    def _read(self, key: tuple[str, str, str]) -> Config:
        """The config as a read sees it, moving an allocation on (call with the lock held)."""
        config = self._configs[key]
        if config.status == "IN_PROGRESS" and self.ready_after_reads is not None:
            if config.reads >= self.ready_after_reads:
                reason = self._failing.pop(key[1:], None)
                if reason is not None:
                    config = replace(config, status="FAILED", reason=reason)
                else:
                    config = replace(config, status="READY", allocated=config.requested)
            config = replace(config, reads=config.reads + 1)
            self._configs[key] = config
        return config

    def _get(self, region: str, function: str, qualifier: str) -> Respond:
        with self._lock:
            if (region, function, qualifier) not in self._configs:
                return _error(
                    404,
                    "ProvisionedConcurrencyConfigNotFoundException",
                    "No Provisioned Concurrency Config found for this function",
                )
            config = self._read((region, function, qualifier))
        return _json(200, _shape(config))

    def _delete(self, region: str, function: str, qualifier: str) -> Respond:
        with self._lock:
            if self._configs.pop((region, function, qualifier), None) is None:
                return _error(
                    404,
                    "ResourceNotFoundException",
                    f"No Provisioned Concurrency Config found for {function}:{qualifier}",
                )
        return _json(204, None)

    def _list(self, region: str, function: str, query: dict[str, str]) -> Respond:
        from support.aws.server import ACCOUNT_ID

        start = int(query.get("Marker") or 0)
        size = int(query.get("MaxItems") or 50)
        with self._lock:
            keys = sorted(k for k in self._configs if k[:2] == (region, function))
            page = [(k, self._read(k)) for k in keys[start : start + size]]
        items = [
            {
                "FunctionArn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function}:{k[2]}",
                **_shape(c),
            }
            for k, c in page
        ]
        body: dict[str, Any] = {"ProvisionedConcurrencyConfigs": items}
        if start + size < len(keys):
            body["NextMarker"] = str(start + size)
        return _json(200, body)
