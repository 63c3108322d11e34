"""The kubernetes client factory: every request it sends passes cloudrig's limiter.

The limiter is attached at the client's REST layer (``ApiClient.rest_client.request``), the one
function every API call, list and watch goes through, so nothing can bypass it (docs/architecture.md §5):
``GatedRest.request`` admits each attempt, classifies the answer (a 429 slows the API server's
bucket down for every process sharing it) and retries per the core's one policy. urllib3's own
retries are off (``Configuration.retries = False``) and the client's client-go style retries stay
off (``client_go_retries = False``), so one policy decides every retry and attempts can be counted:
the API server's audit log for the provider's user equals the limiter's admitted count.

Buckets are keyed by the API server (its URL: two accounts on one cluster share one budget), the
API group (``core``, ``apps``, ``networking.k8s.io``) and the call class: GET (get, list, watch)
reads, everything else mutates. Namespaces do not get budgets of their own: the API server's
priority-and-fairness limits are per server, not per namespace.

Responses are read as plain JSON (``_preload_content=False``), not through the client's typed
models: a client newer than the server (37.x against 1.20) cannot fail to parse an answer — the
known case is ``delete_namespaced_service``, whose 1.20 response the 37.x models reject although
the delete succeeded.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Generator, Hashable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTResponse
from kubernetes.watch.watch import iter_resp_lines

from cloudrig.ratelimit import Call, CallClass, Gate, Limiter
from cloudrig_kubernetes.errors import classify, map_error
from cloudrig_kubernetes.settings import KubernetesAccountSettings

CLOUD = "kubernetes"
_REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews"})
BUCKET_REGION = "cluster"  # one budget per API server, whatever the namespace
_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?(?:/(?P<resource>[^/]+))?(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?"
)


def call_of(method: str, url: str) -> Call:
    """The limiter's ``Call`` for one HTTP request: API group, verb + resource, read or mutate.

    Every request cloudrig sends is safe to repeat: reads are; creates carry a deterministic name
    (a repeat meets 409 AlreadyExists, which the caller resolves by comparing identities);
    patches set a state; deletes of what is gone are success; a 429 was never processed."""
    parts = urlsplit(url)
    match = _PATH.match(parts.path)
    group, resource, name, sub = "core", "", None, None
    if match:
        group = match["group"] or "core"
        resource, name, sub = match["resource"] or "", match["name"], match["sub"]
        if resource == "namespaces" and match["ns"] is None and name:
            resource, name = "namespaces", name
    elif parts.path.startswith("/version"):
        group, resource = "version", "version"
    method = method.upper()
    if method == "GET":
        watching = parse_qs(parts.query).get("watch", [""])[0] in ("true", "1")
        verb = "watch" if watching else ("get" if name else "list")
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
            method, method.lower()
        )
    operation = f"{verb} {resource}{'/' + sub if sub else ''}".strip()
    # An access review is a POST that stores nothing: a read of the authorizer's answer.
    reads = method in ("GET", "HEAD") or resource in _REVIEWS
    klass = CallClass.READ if reads else CallClass.MUTATE
    return Call(group, operation, BUCKET_REGION, klass, safe=True)


class GatedRest:
    """The REST client with the gate in front of its one send function (see module docstring)."""

    def __init__(self, rest: Any, gate: Gate, *, default_timeout: float | None = None) -> None:
        self._rest = rest
        self.gate = gate
        self.default_timeout = default_timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> RESTResponse:
        call = call_of(method, url)
        if kwargs.get("_request_timeout") is None and not call.operation.startswith("watch"):
            kwargs["_request_timeout"] = self.default_timeout

        def send() -> RESTResponse:
            response: RESTResponse = self._rest.request(method, url, *args, **kwargs)
            if response.status >= 400:
                response.read()  # type: ignore[no-untyped-call]  # error bodies are small; reading frees the connection
            return response

        return self.gate.send(call, send)

    def __getattr__(self, name: str) -> Any:  # close(), pool_manager…: the wrapped client's
        return getattr(self._rest, name)


def attach(
    api_client: client.ApiClient, gate: Gate, *, default_timeout: float | None = None
) -> None:
    """Put ``gate`` in front of an ``ApiClient``'s REST layer. Public, so a provider built on
    another client of the same API server gates it the same way."""
    if not isinstance(api_client.rest_client, GatedRest):
        api_client.rest_client = GatedRest(  # type: ignore[assignment]
            api_client.rest_client, gate, default_timeout=default_timeout
        )


def load_configuration(settings: KubernetesAccountSettings) -> client.Configuration:
    """The client configuration of an account, with urllib3's and the client's retries off."""
    configuration = client.Configuration()
    if settings.in_cluster:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    else:
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=settings.kubeconfig,
            context=settings.context,
            client_configuration=configuration,
            persist_config=False,
        )
    configuration.retries = False  # urllib3: no retries, no redirects followed silently
    configuration.client_go_retries = False
    return configuration


class KubeClient:
    """The typed API objects of one account, all sharing one gated ``ApiClient``."""

    def __init__(
        self,
        settings: KubernetesAccountSettings,
        limiter: Limiter,
        *,
        account: str,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        self.account = account
        self.logger = logger or logging.getLogger("cloudrig.provider.kubernetes")
        self.configuration = load_configuration(settings)
        self.server: str = self.configuration.host
        self.api_client = client.ApiClient(self.configuration)
        self.gate = limiter.gate(cloud=CLOUD, identity=self.server, classify=classify)
        attach(self.api_client, self.gate, default_timeout=settings.request_timeout)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.networking = client.NetworkingV1Api(self.api_client)
        self.autoscaling = client.AutoscalingV1Api(self.api_client)
        self.version = client.VersionApi(self.api_client)
        self._lock = threading.Lock()
        self._cached: set[Hashable] = set()

    def namespaces(self, region: str | None) -> tuple[str, ...]:
        """The namespaces an operation covers: ``region``, or every namespace of the account
        when it is None (the contract's ``list(..., region=None)``)."""
        return (region,) if region else self.settings.namespaces

    def read(
        self,
        fn: Callable[..., Any],
        *args: Any,
        resource: str | None = None,
        fresh: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A get or list through the limiter's short-TTL read cache with coalescing: N callers
        polling the same thing in this process make one request. Reads that decide a mutation
        pass ``fresh=True`` (or run inside ``cloudrig.ratelimit.fresh_reads()``, as the core's
        deployment engine does). Any mutation through this client drops what it cached."""
        key = self._key(fn, args, kwargs)
        with self._lock:
            self._cached.add(key)
        answer: dict[str, Any] = self.gate.limiter.cache.get(
            key, lambda: self.call(fn, *args, resource=resource, **kwargs), fresh=fresh
        )
        return answer  # a fresh answer replaces the cached one (ReadCache does that)

    def remember(
        self, fn: Callable[..., Any], *args: Any, value: dict[str, Any], **kwargs: Any
    ) -> None:
        """Cache ``value`` as the current answer of a read known by other means (a watch)."""
        key = self._key(fn, args, kwargs)
        with self._lock:
            self._cached.add(key)
        self.gate.limiter.cache.put(key, value)

    def _key(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return (CLOUD, self.server, _what(fn), args, tuple(sorted(kwargs.items())))

    def _mutated(self, fn: Callable[..., Any]) -> None:
        if _what(fn).startswith(("read_", "list_", "get_")):
            return
        with self._lock:
            keys, self._cached = self._cached, set()
        for key in keys:
            self.gate.limiter.cache.invalidate(key)

    def call(
        self, fn: Callable[..., Any], *args: Any, resource: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """One API call, its answer as JSON; failures raised as cloudrig errors."""
        self._mutated(fn)
        try:
            response = fn(*args, _preload_content=False, **kwargs)
            data = response.data
        except Exception as exc:
            raise map_error(exc, _what(fn), account=self.account, resource=resource) from exc
        if not data:
            return {}
        answer: dict[str, Any] = json.loads(data)
        return answer

    def raw(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Like ``call`` but leaves the ``ApiException`` unmapped, for callers that decide on
        its status (404 on delete is success, 409 AlreadyExists on create is a comparison)."""
        self._mutated(fn)
        try:
            response = fn(*args, _preload_content=False, **kwargs)
            data = response.data
        except ApiException:
            raise
        except Exception as exc:  # connection errors, a limiter refusal: mapped as in call()
            raise map_error(exc, _what(fn), account=self.account) from exc
        return json.loads(data) if data else {}

    def stream(
        self, fn: Callable[..., Any], *args: Any, timeout: float, **kwargs: Any
    ) -> Generator[dict[str, Any], None, None]:
        """The events of one watch request (one admitted request, however many events)."""
        try:
            response = fn(
                *args,
                watch=True,
                timeout_seconds=max(1, int(timeout)),
                allow_watch_bookmarks=True,
                _preload_content=False,
                _request_timeout=(self.settings.request_timeout, timeout + 5),
                **kwargs,
            )
        except Exception as exc:
            raise map_error(exc, _what(fn), account=self.account) from exc
        try:
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                yield json.loads(line)
        finally:
            # Closed, not returned to the pool: a watch left mid-stream has unread data.
            response.close()

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]


def _what(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", "kubernetes call")
