"""The limiter at the Compute clients' HTTP session (docs/architecture.md §5).

Every compute_v1 REST client sends through one ``google.auth`` ``AuthorizedSession`` (a
``requests.Session``). ``attach`` mounts a ``GatedAdapter`` on it for ``http://`` and
``https://``: the adapter's ``send`` is the one place every HTTP attempt passes (token-refresh
repeats after a 401 included), so each attempt is admitted by the limiter, its answer classified
(throttling slows the shared bucket down) and retried under the core's one policy. urllib3's own
retries are off (``max_retries=0``) and the provider calls every client method with
``retry=None``, so google-api-core never retries either: the server's count of requests equals
the limiter's count of admissions.

Buckets are keyed by the project (the gate's identity), the service (``compute``), the region
(``global`` for global resources and aggregated lists, the zone's region for zonal ones) and the call class; the
operation is the method id Compute's discovery document uses (``regionInstanceGroupManagers.resize``),
so per-API overrides can name it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from cloudrig.ratelimit import Call, CallClass, Gate

SERVICE = "compute"
READ_VERBS = frozenset(
    {"get", "list", "wait", "getHealth", "listManagedInstances", "listInstances", "aggregatedList"}
)
_VERB_OF_METHOD = {"POST": "insert", "DELETE": "delete", "PATCH": "patch", "PUT": "update"}


def method_id(http_method: str, url: str) -> tuple[str, str]:
    """(Compute method id, region) of a request URL, e.g.
    ``POST .../projects/p/regions/r/instanceGroupManagers/web-v001/resize`` →
    (``regionInstanceGroupManagers.resize``, ``r``)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    try:
        rest = parts[parts.index("projects") + 2 :]
    except ValueError:
        return f"{http_method.lower()}", "global"
    region, prefix = "global", ""
    if rest[:1] == ["aggregated"] and len(rest) == 2:  # every scope of the project
        return f"{rest[1]}.aggregatedList", region
    if rest[:1] == ["regions"] and len(rest) >= 3:
        region, prefix, rest = rest[1], "region", rest[2:]
    elif rest[:1] == ["zones"] and len(rest) >= 3:
        region, prefix, rest = rest[1].rsplit("-", 1)[0], "zone", rest[2:]
    elif rest[:1] == ["global"]:
        rest = rest[1:]
    if not rest:
        return "projects.get", region
    collection = rest[0]
    if collection == "operations":
        prefix = prefix or "global"
    elif prefix == "zone":
        prefix = ""  # zonal collections (instances) carry no prefix in their method ids
    name = prefix + collection[:1].upper() + collection[1:] if prefix else collection
    if len(rest) >= 3:
        verb = rest[2]
    elif len(rest) == 2:
        verb = "get" if http_method == "GET" else _VERB_OF_METHOD.get(http_method, "insert")
    else:
        verb = "list" if http_method == "GET" else _VERB_OF_METHOD.get(http_method, "insert")
    return f"{name}.{verb}", region


def call_of(request: PreparedRequest) -> Call:
    """The limiter's view of one request. Mutations carrying a ``requestId`` are safe to repeat:
    GCE answers a repeated request id with the first operation instead of acting twice."""
    operation, region = method_id(str(request.method), str(request.url))
    verb = operation.rsplit(".", 1)[-1]
    if verb in READ_VERBS:
        return Call(SERVICE, operation, region, CallClass.READ)
    idempotent = "requestId" in parse_qs(urlsplit(str(request.url)).query)
    return Call(SERVICE, operation, region, CallClass.MUTATE, safe=idempotent)


class GatedAdapter(HTTPAdapter):
    """A requests adapter that sends each attempt through ``gate`` (admit, observe, retry)."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(max_retries=0)  # urllib3 retries off: one policy decides every retry
        self.gate = gate

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        def once() -> Response:
            return super(GatedAdapter, self).send(request, *args, **kwargs)

        return self.gate.send(call_of(request), once)


def attach(client: Any, gate: Gate) -> None:
    """Mount the gate on a compute_v1 REST client's HTTP session.

    The transport exposes its session only as ``_session`` (there is no public hook to hand one
    in); mounting an adapter on it is public ``requests`` API. ``tests/gcp`` proves the attachment
    by counting (server-side count == admissions), so a library change that bypassed it fails
    loudly."""
    session = client.transport._session
    adapter = GatedAdapter(gate)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
