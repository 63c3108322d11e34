"""The Compute REST emulator: an HTTP server the real ``google.cloud.compute_v1`` clients talk to.

Why stdlib ``http.server`` and no web framework: the emulator needs exactly one thing from HTTP —
method, path, query and body in, status and JSON out — and every route, request type and response
type comes from the compute_v1 library (see routing.py). A framework would add a dependency and a
second routing table for nothing. ``ThreadingHTTPServer`` serves clients on several threads; one
store lock serialises the handlers, as a consistent API would appear to.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import proto
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from .autoscalers import Autoscalers
from .backend_services import BackendServices
from .clock import Clock
from .crud import Mutation
from .errors import ComputeError
from .faults import Faults, RequestCounter
from .firewalls import Firewalls
from .health_checks import HealthChecks
from .instance_groups import InstanceGroups
from .instances import Fleet
from .migs import InstanceGroupManagers
from .operations import Operations
from .routing import Route, parse_request, route_for, wants_int_enums
from .store import Store
from .templates import InstanceTemplates

Handler = Callable[[Any, set[str]], "proto.Message | Mutation"]
C = TypeVar("C")


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a fault proxy's cut, a pool closing a kept-alive connection)
        # is normal here; anything else still prints its traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ComputeEmulator:
    """State, controls and HTTP server of one emulated Compute API (any project id works).

    Test controls: ``clock`` (freeze/advance), ``fleet`` timings and ``set_health``,
    ``set_instance_status``, ``faults`` (``add``, ``fail_operation``), ``operations.running_polls``,
    ``count()``, ``reset()``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.clock = Clock()
        self.store = Store(self.clock)
        self.operations = Operations(self.store)
        self.fleet = Fleet(self.store)
        self.faults = Faults()
        self.requests = RequestCounter()
        self.internal_errors: list[str] = []
        groups = self.instance_groups = InstanceGroups(self.store, self.fleet)
        self.backend_services = BackendServices(self.store, self.fleet, groups)
        self.firewalls = Firewalls(self.store)
        self._handlers: dict[str, Handler] = {
            **InstanceTemplates(self.store).handlers(),
            **InstanceGroupManagers(self.store, self.fleet).handlers(),
            **InstanceGroupManagers(self.store, self.fleet, zonal=True).handlers(),
            **groups.handlers(),
            **self.fleet.handlers(),
            **HealthChecks(self.store).handlers(),
            **self.backend_services.handlers(),
            **self.firewalls.handlers(),
            **Autoscalers(self.store).handlers(),
            **Autoscalers(self.store, zonal=True).handlers(),
            **self._operation_handlers(),
        }
        self.routes: list[Route] = [route_for(method_id) for method_id in self._handlers]
        self._host = host
        self._server = _Server((host, port), _make_request_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> ComputeEmulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="gcp-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every resource, operation, fault rule, count and control setting."""
        with self.store.lock:
            self.store.reset()
            self.operations.reset()
            self.fleet.reset()
            self.instance_groups.reset()
            self.clock.reset()
        self.faults.clear()
        self.requests.clear()
        self.internal_errors.clear()

    # -- test controls ---------------------------------------------------------------------------

    def count(self, method: str | None = None) -> int:
        """Requests received, all or for one method id / glob (``backendServices.patch``)."""
        return self.requests.count(method)

    def set_health(self, instance: str, state: str, backend_service: str | None = None) -> None:
        """Make getHealth report ``state`` (HEALTHY/UNHEALTHY) for a RUNNING VM (name or URL)."""
        with self.store.lock:
            self.fleet.set_health(instance, state, backend_service)

    def set_instance_status(self, instance: str, status: str | None) -> None:
        """Pin a VM's instanceStatus (e.g. TERMINATED); ``None`` returns it to its timeline."""
        if (
            status is not None
            and status not in compute_v1.ManagedInstance.InstanceStatus.__members__
        ):
            raise ValueError(f"unknown instance status {status!r}")
        with self.store.lock:
            self.fleet.find(instance).forced_status = status

    def receivers(
        self, backend_service: str, region: str | None = None, project: str = ""
    ) -> list[str]:
        """VM names ``backend_service`` (global, or of ``region``) would send traffic to now:
        healthy VMs of backends above capacityScaler 0 whose group carries its named port."""
        from .store import link, scope_path

        with self.store.lock:
            projects = {k.split("/projects/")[1].split("/")[0] for k in self.store.resources}
            for candidate in [project] if project else sorted(projects):
                url = link(scope_path(candidate, region), "backendServices", backend_service)
                if url in self.store.resources:
                    return self.backend_services.receivers(url)
        raise KeyError(f"no emulated backend service {backend_service!r}")

    def firewall_verdict(self, instance: str, source: str, protocol: str, port: int) -> str:
        """``allow`` or ``deny``: what the firewall rules do to an ingress packet from
        ``source`` (an IP) to the VM ``instance`` (name or URL), by the VM's network tags."""
        with self.store.lock:
            vm = self.fleet.find(instance)
            tags = list(vm.properties.tags.items)
            return self.firewalls.verdict(vm.project, tags, source, protocol, port)

    def client(self, client_cls: type[C]) -> C:
        """A real compute_v1 client aimed at this emulator (REST, anonymous credentials)."""
        return make_client(client_cls, self.endpoint)

    # -- request handling ------------------------------------------------------------------------

    def _operation_handlers(self) -> dict[str, Handler]:
        ops = self.operations
        return {
            "globalOperations.get": lambda req, keys: ops.poll(req.project, req.operation),
            "globalOperations.wait": lambda req, keys: ops.poll(req.project, req.operation),
            "regionOperations.get": lambda req, keys: ops.poll(
                req.project, req.operation, req.region
            ),
            "regionOperations.wait": lambda req, keys: ops.poll(
                req.project, req.operation, req.region
            ),
            "zoneOperations.get": lambda req, keys: ops.poll(
                req.project, req.operation, zone=req.zone
            ),
            "zoneOperations.wait": lambda req, keys: ops.poll(
                req.project, req.operation, zone=req.zone
            ),
        }

    def dispatch(self, http_method: str, raw_path: str, body: bytes) -> tuple[int, str]:
        """Answer one HTTP request: ``(status, JSON text)``."""
        url = urllib.parse.urlsplit(raw_path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        for route in self.routes:
            params = route.match(http_method, url.path)
            if params is not None:
                break
        else:
            self.requests.add(f"unrouted:{http_method} {url.path}")
            error = ComputeError(
                404, "notFound", f"The requested URL {url.path} was not found on this server."
            )
            return 404, json.dumps(error.body())
        self.requests.add(route.method_id)
        try:
            rule = self.faults.take(route.method_id, asynchronous=False)
            if rule is not None:
                raise rule.error
            request, body_keys = parse_request(route, params, query, body)
            if route.method_id.endswith("Operations.wait"):  # blocks without the lock
                self.operations.block(
                    request.project,
                    request.operation,
                    getattr(request, "region", None) or None,
                    getattr(request, "zone", None) or None,
                )
            with self.store.lock:
                result = self._replay(request) or self._handlers[route.method_id](
                    request, body_keys
                )
                if isinstance(result, Mutation):
                    result = self._run(route, request, result)
            if not isinstance(result, route.response_type):
                raise TypeError(
                    f"{route.method_id} produced {type(result).__name__}, not {route.response_type.__name__}"
                )
            text = type(result).to_json(
                result,
                use_integers_for_enums=wants_int_enums(query),
                always_print_fields_with_no_presence=False,
                indent=None,
            )
            return 200, text
        except ComputeError as error:
            return error.code, json.dumps(error.body())
        except Exception:  # an emulator bug: answer 500 and keep it for the test to fail on
            self.internal_errors.append(traceback.format_exc())
            print(self.internal_errors[-1], file=sys.stderr)
            return 500, json.dumps(ComputeError.status(500).body())

    def _replay(self, request: Any) -> compute_v1.Operation | None:
        """GCE's ``requestId``: a mutation repeated with the same id returns the first operation."""
        request_id = request.request_id if "request_id" in type(request).meta.fields else ""
        return self.operations.replay(request.project, request_id) if request_id else None

    def _run(self, route: Route, request: Any, mutation: Mutation) -> compute_v1.Operation:
        """Wrap an accepted mutation in an Operation; apply it unless an async fault says no."""
        fields = type(request).meta.fields
        region = request.region if "region" in fields else None
        zone = request.zone if "zone" in fields else None
        request_id = request.request_id if "request_id" in fields else ""
        fault = self.faults.take(route.method_id, asynchronous=True)
        target_id = None if fault is not None else mutation.apply()
        return self.operations.start(
            project=request.project,
            operation_type=mutation.operation_type,
            target_link=mutation.target_link,
            target_id=target_id,
            region=region,
            zone=zone,
            error=fault.error if fault is not None else None,
            request_id=request_id,
            method_id=route.method_id,
        )


def make_client(client_cls: type[C], endpoint: str) -> C:
    """A compute_v1 client on ``endpoint`` with anonymous credentials over REST."""
    factory: Any = client_cls
    client: C = factory(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    return client


def _make_request_handler(emulator: ComputeEmulator) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, text = emulator.dispatch(self.command, self.path, body)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests read ``count()``, not access logs."""

    return RequestHandler
