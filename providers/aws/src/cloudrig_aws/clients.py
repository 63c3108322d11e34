"""The boto3 client factory: every client built here passes cloudrig's limiter on every request.

The limiter is attached through botocore's event system, at the one place every HTTP attempt
passes, so nothing can bypass it (docs/architecture.md §5):

- ``before-send.<service>.<Operation>``: ``gate.admit`` — one slot per attempt sent;
- ``needs-retry.<service>.<Operation>``: ``gate.observe`` — a throttling answer slows the bucket
  down for every process sharing it; the handler never asks botocore to retry;
- botocore's own retries are off (``total_max_attempts=1``); ``AwsClient.call`` runs the whole
  API call under the core's one retry policy (``gate.retry``) and maps any failure to a cloudrig
  error (``errors.map_error``).

Buckets are keyed by the AWS account id (so EC2, ECS and Lambda accounts of one AWS account share
its budget, and two configured accounts on one AWS account never get two), the service's endpoint
prefix (``ec2``, ``autoscaling``, ``elasticloadbalancing``…), the region and the call class:
``Describe*``/``List*``/``Get*`` are reads, everything else mutates. Public API: ``cloudrig-ecs``
and ``cloudrig-lambda`` build their clients here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import boto3  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import DeferredRefreshableCredentials  # type: ignore[import-untyped]
from pydantic import SecretStr

from cloudrig.ratelimit import Call, CallClass, Gate, Limiter
from cloudrig_aws.errors import classify, map_error
from cloudrig_aws.settings import AwsAccountSettings

T = TypeVar("T")
READ_PREFIXES = ("Describe", "List", "Get")

IDEMPOTENT_MUTATIONS = frozenset(
    {
        # Safe to repeat: they set a state rather than add one, or carry a client token, or the
        # provider treats "already exists" / "not found" as success for them.
        "UpdateAutoScalingGroup",
        "SuspendProcesses",
        "ResumeProcesses",
        "AttachLoadBalancerTargetGroups",
        "DetachLoadBalancerTargetGroups",
        "DeleteAutoScalingGroup",
        "DeleteLaunchTemplate",
        "CreateLaunchTemplate",
        "ModifyListener",
        "CreateTargetGroup",
        "DeleteTargetGroup",
        "ModifyTargetGroup",
        "DeleteLoadBalancer",
        "DeleteListener",
        "CreateOrUpdateTags",
        "AssumeRole",
    }
)


def call_class(operation: str) -> CallClass:
    """AWS budgets non-mutating and mutating actions separately; the verb tells which."""
    return CallClass.READ if operation.startswith(READ_PREFIXES) else CallClass.MUTATE


def limiter_call(service: str, operation: str, region: str) -> Call:
    klass = call_class(operation)
    safe = True if klass is CallClass.READ or operation in IDEMPOTENT_MUTATIONS else None
    return Call(service, operation, region, klass, safe=safe)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class AwsClient:
    """One boto3 client with the gate attached; call operations by their boto3 method name."""

    def __init__(self, client: Any, gate: Gate, *, account: str, region: str) -> None:
        self.raw = client
        self.gate = gate
        self.account = account
        self.region = region
        self.service: str = client.meta.service_model.endpoint_prefix

    def _operation(self, method: str) -> str:
        name: str = self.raw.meta.method_to_api_mapping.get(method, method)
        return name

    def call(
        self, method: str, *, resource: str | None = None, safe: bool | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """One API call under the retry policy; failures raised as cloudrig errors.

        ``safe`` overrides whether the call may be repeated after a failure: by default reads
        and the mutations in ``IDEMPOTENT_MUTATIONS`` are; pass ``safe=True`` for a write that
        carries an idempotency token (``clientToken``…), ``False`` to forbid any retry."""
        operation = self._operation(method)
        call = limiter_call(self.service, operation, self.region)
        if safe is not None:
            call = Call(call.service, call.operation, call.region, call.call_class, safe=safe)
        fn = getattr(self.raw, method)
        try:
            answer: dict[str, Any] = self.gate.retry(call, lambda: fn(**kwargs))
        except Exception as exc:
            raise map_error(exc, operation, account=self.account, resource=resource) from exc
        return answer

    def pages(self, method: str, key: str, **kwargs: Any) -> list[Any]:
        """Every item under ``key`` of a paginated call, with boto3's paginator. Each page is
        one admitted request; a retry restarts the listing (reads are safe to repeat)."""
        operation = self._operation(method)
        call = limiter_call(self.service, operation, self.region)
        paginator = self.raw.get_paginator(method)

        def everything() -> list[Any]:
            return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]

        try:
            return self.gate.retry(call, everything)
        except Exception as exc:
            raise map_error(exc, operation, account=self.account) from exc

    def read(self, key: Hashable, load: Callable[[], T], *, fresh: bool = False) -> T:
        """A describe through the limiter's short-TTL cache with request coalescing: N callers
        in this process polling the same thing make one call. ``fresh`` for decision reads."""
        return self.gate.limiter.cache.get(self._cache_key(key), load, fresh=fresh)

    def invalidate(self, key: Hashable) -> None:
        """After a write that changes what ``read(key, …)`` describes."""
        self.gate.limiter.cache.invalidate(self._cache_key(key))

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` as the current answer of ``read(key, …)`` without a request: the
        object a write returned (``CreateService``, ``ModifyListener`` …). Only ever an answer a
        write or a read of that very key returned, never one taken out of an older listing (a
        put is the newest answer by definition)."""
        self.gate.limiter.cache.put(self._cache_key(key), value)

    def _cache_key(self, key: Hashable) -> tuple[Any, ...]:
        return ("aws", self.gate.identity, self.service, self.region, key)


class ClientFactory:
    """boto3 clients of one configured account, all gated by the one process-wide limiter.

    Thread-safe: botocore clients are, and building them is serialised (sessions are not)."""

    def __init__(
        self,
        settings: AwsAccountSettings,
        limiter: Limiter,
        *,
        account: str,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self.account = account
        self.logger = logger or logging.getLogger("cloudrig.provider.aws")
        self._lock = threading.RLock()
        self._clients: dict[tuple[str, str], AwsClient] = {}
        self._account_id: str | None = settings.known_account_id()
        self._config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            user_agent_extra="cloudrig-aws/0.1",
        )
        self._session = self._base_session()
        if settings.role_arn:
            self._session = self._assume_role_session()

    # -- sessions --------------------------------------------------------------------------------
    def _base_session(self) -> boto3.session.Session:
        s = self.settings
        return boto3.session.Session(
            profile_name=s.profile,
            aws_access_key_id=_secret(s.access_key_id),
            aws_secret_access_key=_secret(s.secret_access_key),
            aws_session_token=_secret(s.session_token),
            region_name=s.regions[0],
        )

    def _assume_role_session(self) -> boto3.session.Session:
        """A session whose credentials come from sts:AssumeRole, refreshed before they expire.
        The AssumeRole call itself passes the limiter, like every other request."""
        s = self.settings
        assert s.role_arn is not None
        base = self._session

        def refresh() -> dict[str, str]:
            sts = self._gated(base, "sts", s.regions[0], identity=self._bootstrap_identity())
            kwargs: dict[str, Any] = {"RoleArn": s.role_arn, "RoleSessionName": s.role_session_name}
            if s.external_id is not None:
                kwargs["ExternalId"] = s.external_id.get_secret_value()
            creds = sts.call("assume_role", resource=s.role_arn, **kwargs)["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        # Deferred: the first request assumes the role, not the constructor (connecting makes
        # no call); botocore refreshes before expiry.
        credentials = DeferredRefreshableCredentials(
            refresh_using=refresh, method="sts-assume-role"
        )
        core = botocore.session.get_session()
        core._credentials = credentials  # boto3 has no public setter; this is the documented idiom
        return boto3.session.Session(botocore_session=core, region_name=s.regions[0])

    def _bootstrap_identity(self) -> str:
        # Before the account id is known, calls that find it are budgeted under this name.
        return self._account_id or "unresolved-account"

    # -- identity --------------------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        """The AWS account id the credentials act in: configured, from the role ARN, or asked
        once with sts:GetCallerIdentity."""
        with self._lock:
            if self._account_id is None:
                self._account_id = str(self.caller_identity()["Account"])
            return self._account_id

    def caller_identity(self) -> dict[str, Any]:
        sts = self._gated(
            self._session, "sts", self.settings.regions[0], identity=self._bootstrap_identity()
        )
        return sts.call("get_caller_identity")

    # -- clients ---------------------------------------------------------------------------------
    def client(self, service: str, region: str) -> AwsClient:
        """The gated client of ``service`` (boto3's name: ``ec2``, ``autoscaling``, ``elbv2``…)."""
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._gated(
                    self._session, service, region, identity=self.account_id
                )
            return self._clients[key]

    def _gated(
        self, session: boto3.session.Session, service: str, region: str, *, identity: str
    ) -> AwsClient:
        with self._lock:
            raw = session.client(
                service,
                region_name=region,
                endpoint_url=self.settings.endpoint_url,
                config=self._config,
            )
        gate = self.limiter.gate(cloud="aws", identity=identity, classify=classify)
        attach(raw, gate, region)
        return AwsClient(raw, gate, account=self.account, region=region)


def attach(client: Any, gate: Gate, region: str) -> None:
    """Attach ``gate`` to a boto3 client through its event system (see the module docstring).

    Public so an AWS-based provider that builds its own clients can gate them the same way."""
    service: str = client.meta.service_model.endpoint_prefix
    calls: dict[str, Call] = {}

    def call_of(event_name: str) -> Call:
        operation = event_name.rsplit(".", 1)[-1]
        call = calls.get(operation)
        if call is None:
            call = calls[operation] = limiter_call(service, operation, region)
        return call

    def before_send(event_name: str, **_: Any) -> None:
        gate.admit(call_of(event_name))
        return None  # botocore sends the request itself

    def needs_retry(
        event_name: str,
        response: Any = None,
        caught_exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        outcome = caught_exception if caught_exception is not None else response
        gate.observe(call_of(event_name), outcome)
        return None  # never a botocore retry: the core's policy decides (AwsClient.call)

    events = client.meta.events
    events.register(
        f"before-send.{client.meta.service_model.service_id.hyphenize()}",
        before_send,
        unique_id="cloudrig-limiter-admit",
    )
    events.register_first(
        f"needs-retry.{client.meta.service_model.service_id.hyphenize()}",
        needs_retry,
        unique_id="cloudrig-limiter-observe",
    )
