"""FaultProxy: a reverse proxy that counts requests and injects faults in front of a test server.

Hand-written on the standard library (``http.server`` threads + ``http.client``) on purpose: the
proxy libraries on PyPI are either whole applications (mitmproxy: asyncio, its own TLS stack, a
heavy dependency tree) or cannot answer for the upstream nor reset a connection mid-request, and
this needs ~200 lines. It is a *reverse* proxy: clients use its URL as their endpoint (boto3
``endpoint_url``, a kubeconfig server, a GCP ``api_endpoint``) and it forwards to one upstream.
The ``Host`` header goes through unchanged so request signatures (SigV4) still match.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import trustme

from support.proxy.faults import Action, Cut, Delay, Reset, Respond
from support.proxy.rules import Request, Rule

log = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110 §7.6.1) are per connection and never forwarded.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Also not forwarded: the length (recomputed) and Expect (this proxy already answered the
# 100-continue and sends the whole body at once).
_NOT_FORWARDED = _HOP_BY_HOP | {"content-length", "expect"}
_UPSTREAM_TIMEOUT = 120.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    proxy: FaultProxy
    connections: set[socket.socket]

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that drop TLS handshakes or hang up mid-request are normal in fault tests.
        log.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real endpoints
    server: _Server

    def setup(self) -> None:
        # TLS handshake here, in the connection's own thread: a slow client cannot stall accept().
        context = self.server.proxy._server_tls
        if context is not None:
            self.request = context.wrap_socket(self.request, server_side=True)
        with self.server.proxy._lock:
            self.server.connections.add(self.request)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.proxy._lock:
                self.server.connections.discard(self.request)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        proxy = self.server.proxy
        action = proxy._decide(request)
        if isinstance(action, Reset):
            proxy._count(proxy._answered, request)
            self._reset()
            return
        if isinstance(action, Respond):
            proxy._count(proxy._answered, request)
            self._send(action.status, list(action.headers.items()), action.body)
            return
        delay = action if isinstance(action, Delay) else None
        if delay is not None and delay.before_upstream:
            time.sleep(delay.seconds)
        proxy._count(proxy._forwarded, request)
        cut = action if isinstance(action, Cut) else None
        if cut is not None:
            proxy._count(proxy._cut, request)
        self._forward(request, delay.seconds if delay and not delay.before_upstream else 0.0, cut)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _reset(self) -> None:
        """Abort with RST: SO_LINGER on with a zero timeout makes close() drop the connection."""
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.request.close()

    def _start_answer(self, status: int, headers: list[tuple[str, str]]) -> None:
        """Status line and end-to-end headers: the upstream's own Date/Server pass through
        (``send_response`` would add a second pair)."""
        self.log_request(status)
        self.send_response_only(status)
        names = {name.lower() for name, _ in headers}
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        for name, value in headers:
            if name.lower() not in _NOT_FORWARDED:
                self.send_header(name, value)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self._start_answer(status, headers)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, request: Request, delay_after: float, cut: Cut | None = None) -> None:
        upstream = self.server.proxy._connect_upstream()
        try:
            try:
                response = self._ask_upstream(upstream, request)
                headers = list(response.getheaders())
                streamed = response.chunked and request.method != "HEAD"
                body = b"" if streamed else response.read()
            except OSError as exc:  # upstream down or hung up: what a real gateway says
                self._send(502, [("Content-Type", "text/plain")], f"upstream: {exc}\n".encode())
                return
            time.sleep(delay_after)
            if cut is not None and not streamed:
                self._reset()
            elif streamed:
                timer = self._cut_timer(cut, upstream)
                try:
                    self._stream(response, headers)
                finally:
                    if timer is not None:
                        timer.cancel()
            else:
                self._send(response.status, headers, body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timeout): fine
        finally:
            upstream.close()

    def _ask_upstream(
        self, upstream: http.client.HTTPConnection, request: Request
    ) -> http.client.HTTPResponse:
        target = request.path + (f"?{request.query}" if request.query else "")
        upstream.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in _NOT_FORWARDED:
                upstream.putheader(name, value)
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            upstream.putheader("Content-Length", str(len(request.body)))
        upstream.endheaders(request.body or None)
        return upstream.getresponse()

    def _cut_timer(
        self, cut: Cut | None, upstream: http.client.HTTPConnection
    ) -> threading.Timer | None:
        """At ``cut.after`` seconds: reset the client's connection and close the upstream's,
        which ends the relay loop (its read or write fails) without the stream's last chunk."""
        if cut is None:
            return None

        def abort() -> None:
            with contextlib.suppress(OSError):
                self._reset()
            with contextlib.suppress(OSError):
                if upstream.sock is not None:
                    upstream.sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(cut.after, abort)
        timer.daemon = True
        timer.start()
        return timer

    def _stream(self, response: http.client.HTTPResponse, headers: list[tuple[str, str]]) -> None:
        """Relay a chunked upstream answer chunk by chunk (Kubernetes watches stay live)."""
        self._start_answer(response.status, headers)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while chunk := response.read1(65536):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


class FaultProxy:
    """Forward to ``upstream_url`` and apply the first rule that fires to each request.

    Counts every request it forwarded and every one it answered itself (faults, resets), per
    operation (see ``Request.label``). With ``tls=True`` it serves HTTPS with a certificate of a
    throw-away test CA (``ca_bundle`` is the PEM file clients must trust). The upstream's own
    certificate is never verified (test servers are self-signed).
    """

    def __init__(self, upstream_url: str, *, tls: bool = False) -> None:
        parts = urlsplit(upstream_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {upstream_url!r}")
        self.upstream_url = upstream_url
        self._upstream_tls = parts.scheme == "https"
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port or (443 if self._upstream_tls else 80)
        self._upstream_context = ssl.create_default_context()
        self._upstream_context.check_hostname = False
        self._upstream_context.verify_mode = ssl.CERT_NONE
        self.rules: list[Rule] = []
        self._responders: list[Callable[[Request], Respond | None]] = []
        self._lock = threading.Lock()
        self._forwarded: Counter[str] = Counter()
        self._answered: Counter[str] = Counter()
        self._cut: Counter[str] = Counter()
        self._server_tls: ssl.SSLContext | None = None
        self._ca_dir: tempfile.TemporaryDirectory[str] | None = None
        self.ca_bundle: Path | None = None
        if tls:
            ca = trustme.CA()
            ca.issue_cert("127.0.0.1", "localhost", "::1").configure_cert(
                context := ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            )
            self._server_tls = context
            self._ca_dir = tempfile.TemporaryDirectory(prefix="faultproxy-ca-")
            self.ca_bundle = Path(self._ca_dir.name) / "ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_bundle))
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._server.connections = set()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint clients should use instead of the upstream's."""
        return f"{'https' if self._server_tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FaultProxy:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close open client connections (keep-alive ones too): a stopped
        proxy answers nothing, like a dead endpoint."""
        self._server.shutdown()
        with self._lock:
            connections = list(self._server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._ca_dir is not None:
            self._ca_dir.cleanup()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- rules -------------------------------------------------------------------------------

    def add(
        self,
        action: Action,
        *,
        method: str | None = None,
        path: str | None = None,
        operation: str | None = None,
        nth: int = 1,
        times: int | None = None,
        probability: float = 1.0,
        seed: int | None = None,
    ) -> Rule:
        """Add a rule after the existing ones (see ``Rule`` for the selectors) and return it."""
        rule = Rule(
            action,
            method=method,
            path=path,
            operation=operation,
            nth=nth,
            times=times,
            probability=probability,
            seed=seed,
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self.rules.clear()

    def add_responder(self, responder: Callable[[Request], Respond | None]) -> None:
        """Let ``responder`` answer the requests no rule took: it returns a ``Respond`` for
        those it serves (counted as answered), None to let them through to the upstream. For a
        stateful emulation of an API the upstream lacks (e.g. Lambda provisioned concurrency,
        ``support.aws.provisioned_concurrency``); rules still fire first, so faults can be
        injected in front of it."""
        with self._lock:
            self._responders.append(responder)

    def _decide(self, request: Request) -> Action | None:
        with self._lock:
            rules = list(self.rules)
            responders = list(self._responders)
        for rule in rules:
            action = rule.fire(request)
            if action is not None:
                return action
        for responder in responders:
            answer = responder(request)
            if answer is not None:
                return answer
        return None

    # --- counts ------------------------------------------------------------------------------

    def _count(self, counter: Counter[str], request: Request) -> None:
        with self._lock:
            counter[request.label] += 1

    def forwarded(self, operation: str | None = None) -> int:
        """Requests sent to the upstream (all, or those counted under ``operation``)."""
        with self._lock:
            return self._forwarded.total() if operation is None else self._forwarded[operation]

    def answered(self, operation: str | None = None) -> int:
        """Requests the proxy answered itself (injected errors and resets)."""
        with self._lock:
            return self._answered.total() if operation is None else self._answered[operation]

    def cut(self, operation: str | None = None) -> int:
        """Forwarded requests whose connection a ``Cut`` dropped (also counted as forwarded)."""
        with self._lock:
            return self._cut.total() if operation is None else self._cut[operation]

    def counts(self) -> dict[str, dict[str, int]]:
        """A snapshot: ``{"forwarded": {label: n}, "answered": {label: n}}``."""
        with self._lock:
            return {"forwarded": dict(self._forwarded), "answered": dict(self._answered)}

    def clear_counts(self) -> None:
        with self._lock:
            self._forwarded.clear()
            self._answered.clear()
            self._cut.clear()

    # --- upstream ----------------------------------------------------------------------------

    def _connect_upstream(self) -> http.client.HTTPConnection:
        # One connection per request: simplest correct choice (no stale keep-alive to retry),
        # and loopback connects cost well under a millisecond.
        if self._upstream_tls:
            return http.client.HTTPSConnection(
                self._upstream_host,
                self._upstream_port,
                timeout=_UPSTREAM_TIMEOUT,
                context=self._upstream_context,
            )
        return http.client.HTTPConnection(
            self._upstream_host, self._upstream_port, timeout=_UPSTREAM_TIMEOUT
        )
