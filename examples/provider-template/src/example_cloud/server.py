"""The example cloud's HTTP API: bearer tokens, a request rate limit, injectable faults, routing.

Routes (all JSON; errors are ``{"error": {"code", "message"}}``)::

    GET    /v1/whoami                                         the token's identity (200 even read-only)
    GET    /v1/regions/{r}/server-groups?tag.KEY=VALUE        list, filtered by tags
    POST   /v1/regions/{r}/server-groups                      create (409 when the name exists)
    GET    /v1/regions/{r}/server-groups/{name}
    PATCH  /v1/regions/{r}/server-groups/{name}               {"capacity": …} and/or {"enabled": …}
    DELETE /v1/regions/{r}/server-groups/{name}
    GET    /v1/regions/{r}/load-balancers[/{name}]
    POST   /v1/regions/{r}/load-balancers
    PUT    /v1/regions/{r}/load-balancers/{name}              replace settings, keep targets
    PUT    /v1/regions/{r}/load-balancers/{name}/weights      {"weights": {group: 0-100}}, max 4
    DELETE /v1/regions/{r}/load-balancers/{name}
    GET    /v1/regions/{r}/security-groups[/{name}]
    POST   /v1/regions/{r}/security-groups
    PUT    /v1/regions/{r}/security-groups/{name}
    DELETE /v1/regions/{r}/security-groups/{name}             409 while in use

Order of checks for each request: token (401 missing or unknown), rate (429 with Retry-After),
injected faults (any status, after an optional delay), route (404), scope (403 for a read-only
token on anything but GET), then the resource rules (400, 404, 409).
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from example_cloud.errors import ApiError
from example_cloud.state import CloudState

logger = logging.getLogger("example_cloud")

DEFAULT_REGIONS = ("eu-west", "us-east")


@dataclass(frozen=True)
class Token:
    """A bearer token the cloud accepts, and whose it is."""

    secret: str
    principal: str
    read_only: bool = False

    def __repr__(self) -> str:  # never show the secret
        return f"Token(principal={self.principal!r}, read_only={self.read_only})"


@dataclass
class Fault:
    """An injected answer: for requests matching ``method`` and the ``path`` regex, wait ``delay``
    seconds, then answer ``status`` (or carry on normally when ``status`` is None)."""

    status: int | None
    times: int
    method: str | None = None
    path: str | None = None
    delay: float = 0.0
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


class _RateLimit:
    """A token bucket: ``rate`` requests per second with ``burst`` in reserve. Hand-written (ten
    lines) so that the example cloud, like a real one, answers 429 with an honest Retry-After."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens, self._last = float(burst), clock()
        self._lock = threading.Lock()

    def admit(self) -> float:
        """0 when admitted, else the seconds until a request would be."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


_REGION = r"/v1/regions/(?P<region>[^/]+)"
_NAME = r"/(?P<name>[^/]+)"
Route = tuple[str, re.Pattern[str], Callable[["Call"], Any]]


class ExampleCloud:
    """The example cloud, in process: ``with ExampleCloud([Token(...)]) as cloud: cloud.url``.

    ``boot_delay`` is how long instances stay ``pending``; ``rate_limit`` (requests per second,
    ``burst`` in reserve) makes the API answer 429 beyond it. ``requests`` records each request
    as ``(method, path, status)`` — never its headers — so tests can count calls.
    """

    def __init__(
        self,
        tokens: Iterable[Token],
        *,
        regions: Iterable[str] = DEFAULT_REGIONS,
        boot_delay: float = 1.0,
        rate_limit: float | None = None,
        burst: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = {t.secret: t for t in tokens}
        self.state = CloudState(regions, boot_delay=boot_delay, clock=clock)
        self._clock = clock
        self._rate = (
            _RateLimit(rate_limit, burst or max(1, int(rate_limit)), clock) if rate_limit else None
        )
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        # The newest requests only, so a long-running cloud does not grow without bound.
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=100_000)
        self._httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._routes = self._route_table()

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ExampleCloud:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="example-cloud", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for a serve_forever loop to end
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def __enter__(self) -> ExampleCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------------------
    def inject(
        self,
        status: int | None,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        delay: float = 0.0,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (after ``delay`` seconds)."""
        with self._lock:
            self._faults.append(Fault(status, times, method, path, delay, retry_after))

    def fail_boot(self, image: str) -> None:
        self.state.fail_boot(image)

    def reset(self) -> None:
        """Forget every resource, fault and recorded request (between tests)."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()
        self.state.reset()

    # -- request handling --------------------------------------------------------------------------
    def handle(
        self, method: str, target: str, auth: str | None, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: ``(status, JSON body or None, extra headers)``."""
        url = urlsplit(target)
        try:
            token = self._authenticate(auth)
            self._throttle()
            self._fault(method, url.path)
            handler, params = self._route(method, url.path)
            if token.read_only and method != "GET":
                raise ApiError(
                    403, "Forbidden", f"principal {token.principal!r} has a read-only token"
                )
            body = json.loads(raw) if raw else None
            tags = {
                k.removeprefix("tag."): v for k, v in parse_qsl(url.query) if k.startswith("tag.")
            }
            call = Call(token, params.get("region", ""), params.get("name", ""), body, tags)
            result = handler(call)
            status = 201 if method == "POST" else (204 if result is None else 200)
            answer: tuple[int, Any, dict[str, str]] = (status, result, {})
        except ApiError as exc:
            answer = (exc.status, exc.body(), exc.headers)
        except json.JSONDecodeError:
            answer = (400, ApiError(400, "InvalidRequest", "the body is not JSON").body(), {})
        except Exception:  # a bug in the example cloud: answer like a real cloud would, 500
            logger.exception("example cloud failed on %s %s", method, url.path)
            answer = (500, ApiError(500, "InternalError", "internal error").body(), {})
        with self._lock:
            self.requests.append((method, url.path, answer[0]))
        return answer

    def _authenticate(self, auth: str | None) -> Token:
        scheme, _, secret = (auth or "").partition(" ")
        token = self.tokens.get(secret) if scheme.lower() == "bearer" else None
        if token is None:
            # The same answer for a missing and a wrong token, and never the token itself.
            raise ApiError(
                401, "Unauthenticated", "a valid bearer token is required",
                {"WWW-Authenticate": 'Bearer realm="example-cloud"'},
            )  # fmt: skip
        return token

    def _throttle(self) -> None:
        if self._rate is None:
            return
        wait = self._rate.admit()
        if wait > 0:
            raise ApiError(
                429, "TooManyRequests",
                f"more than {self._rate.rate:g} requests per second; slow down",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )  # fmt: skip

    def _fault(self, method: str, path: str) -> None:
        with self._lock:
            fault = next((f for f in self._faults if f.matches(method, path)), None)
            if fault is None:
                return
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            code = {429: "TooManyRequests", 503: "Unavailable"}.get(fault.status, "Injected")
            raise ApiError(fault.status, code, f"injected fault ({fault.status})", headers)

    def _route(self, method: str, path: str) -> tuple[Callable[[Call], Any], dict[str, str]]:
        allowed = False
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match:
                allowed = True
                if verb == method:
                    return handler, match.groupdict()
        if allowed:
            raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
        raise ApiError(404, "NotFound", f"no such API: {path}")

    def _route_table(self) -> list[Route]:
        s = self.state
        sg = f"{_REGION}/server-groups"
        lb = f"{_REGION}/load-balancers"
        sec = f"{_REGION}/security-groups"
        table: list[tuple[str, str, Callable[[Call], Any]]] = [
            ("GET", "/v1/whoami", _whoami),
            ("GET", sg, lambda c: s.list_server_groups(c.region, c.tags)),
            ("POST", sg, lambda c: s.create_server_group(c.region, c.body)),
            ("GET", sg + _NAME, lambda c: s.get_server_group(c.region, c.name)),
            ("PATCH", sg + _NAME, lambda c: s.update_server_group(c.region, c.name, c.body)),
            ("DELETE", sg + _NAME, lambda c: s.delete_server_group(c.region, c.name)),
            ("GET", lb, lambda c: s.list_load_balancers(c.region)),
            ("POST", lb, lambda c: s.create_load_balancer(c.region, c.body)),
            ("GET", lb + _NAME, lambda c: s.get_load_balancer(c.region, c.name)),
            ("PUT", lb + _NAME, lambda c: s.replace_load_balancer(c.region, c.name, c.body)),
            ("PUT", lb + _NAME + "/weights", lambda c: s.set_weights(c.region, c.name, c.body)),
            ("DELETE", lb + _NAME, lambda c: s.delete_load_balancer(c.region, c.name)),
            ("GET", sec, lambda c: s.list_security_groups(c.region)),
            ("POST", sec, lambda c: s.create_security_group(c.region, c.body)),
            ("GET", sec + _NAME, lambda c: s.get_security_group(c.region, c.name)),
            ("PUT", sec + _NAME, lambda c: s.replace_security_group(c.region, c.name, c.body)),
            ("DELETE", sec + _NAME, lambda c: s.delete_security_group(c.region, c.name)),
        ]
        return [(verb, re.compile(pattern), fn) for verb, pattern, fn in table]


@dataclass(frozen=True)
class Call:
    """One routed request, as the route handlers see it."""

    token: Token
    region: str
    name: str
    body: Any
    tags: dict[str, str]  # from ``?tag.KEY=VALUE`` query parameters


def _whoami(call: Call) -> dict[str, str]:
    return {
        "principal": call.token.principal,
        "scope": "read-only" if call.token.read_only else "read-write",
    }


def _handler(cloud: ExampleCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real API endpoint
        server_version = "example-cloud/1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, body, headers = cloud.handle(
                self.command, self.path, self.headers.get("Authorization"), raw
            )
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            try:
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout): nothing to tell

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            # The request line only (never headers, where the token travels), at debug level.
            logger.debug("%s - %s", self.address_string(), format % args)

    return Handler
