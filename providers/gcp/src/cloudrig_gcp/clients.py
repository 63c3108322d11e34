"""The compute_v1 client factory: every client built here sends through cloudrig's limiter.

One factory per configured account. It resolves credentials (service-account key, application
default, or anonymous for an emulator), builds each REST client once with the account's client
options (``api_endpoint``), attaches the gate at its HTTP session (``transport.attach``) and calls
methods with ``retry=None`` so google-api-core never retries on its own. Mutations use the
``*_unary`` methods (a plain ``Operation``, never ``ExtendedOperation``, whose ``.result()`` would
poll the default endpoint through operations clients built without these client options) and
wait for the operation with operations clients from this same factory (``operations.wait``).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any, TypeVar

from cloudrig import Clock, SystemClock
from cloudrig.ratelimit import Limiter
from cloudrig_gcp.errors import classify, map_error
from cloudrig_gcp.settings import GcpAccountSettings
from cloudrig_gcp.transport import attach

C = TypeVar("C")
SCOPES = ("https://www.googleapis.com/auth/compute",)


def _credentials(settings: GcpAccountSettings) -> Any:
    from google.auth import default
    from google.auth.credentials import AnonymousCredentials
    from google.oauth2 import service_account

    if settings.anonymous:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if settings.service_account_json is not None:
        info = json.loads(settings.service_account_json.get_secret_value())
        return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=SCOPES
        )
    credentials, _ = default(scopes=SCOPES)
    return credentials


class ComputeClients:
    """compute_v1 REST clients of one account, all gated by the process-wide limiter."""

    def __init__(
        self,
        settings: GcpAccountSettings,
        limiter: Limiter,
        *,
        account: str,
        clock: Clock | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        self.project = settings.project
        self.limiter = limiter
        self.account = account
        self.clock: Clock = clock or SystemClock()
        self.logger = logger or logging.getLogger("cloudrig.provider.gcp")
        self.gate = limiter.gate(cloud="gcp", identity=settings.project, classify=classify)
        self._lock = threading.Lock()
        self._clients: dict[type, Any] = {}
        try:
            self._credentials = _credentials(settings)
        except Exception as exc:
            raise map_error(exc, "loading credentials", account=account) from exc

    def regions(self, region: str | None = None) -> tuple[str, ...]:
        """``region`` alone, or every region of the account when None (the nouns' ``list``)."""
        return (region,) if region else self.settings.regions

    def client(self, client_cls: type[C]) -> C:
        """The gated client of ``client_cls`` (e.g. ``compute_v1.FirewallsClient``)."""
        from google.api_core.client_options import ClientOptions

        with self._lock:
            if client_cls not in self._clients:
                options = ClientOptions(api_endpoint=self.settings.api_endpoint)
                factory: Any = client_cls
                client = factory(
                    credentials=self._credentials, transport="rest", client_options=options
                )
                attach(client, self.gate)
                self._clients[client_cls] = client
            found: C = self._clients[client_cls]
            return found

    def read(
        self,
        client_cls: type,
        method: str,
        *,
        resource: str | None = None,
        timeout: float | None = None,
        **kw: Any,
    ) -> Any:
        """One read (``get``, ``list``, ``get_health``…), failures raised as cloudrig errors.
        List methods return pagers: iterate them inside ``collect``. ``timeout``: seconds for
        this request when not the account's (an operation ``wait`` blocks on the server)."""
        fn = getattr(self.client(client_cls), method)
        if "request" not in kw:  # flattened fields; a ``request`` message carries its own
            kw["project"] = self.project
        try:
            return fn(retry=None, timeout=timeout or self.settings.timeout, **kw)
        except Exception as exc:
            raise map_error(exc, method, account=self.account, resource=resource) from exc

    def collect(self, client_cls: type, method: str, **kw: Any) -> list[Any]:
        """Every item of a paged list (each page one admitted request)."""
        pager = self.read(client_cls, method, **kw)
        try:
            return list(pager)
        except Exception as exc:
            raise map_error(exc, method, account=self.account) from exc

    def mutate(
        self,
        client_cls: type,
        method: str,
        *,
        resource: str | None = None,
        request_id: str | None = None,
        **kw: Any,
    ) -> Any:
        """One mutation, waited to DONE; returns the DONE ``Operation``.

        Every mutation carries a ``requestId`` (given, for a deterministic create, or random), so
        GCE answers a repeat with the first operation: the limiter may retry it after a 5xx."""
        from cloudrig_gcp.operations import wait

        fn = getattr(self.client(client_cls), f"{method}_unary")
        rid = request_id or str(uuid.uuid4())
        try:
            # ``request_id`` is no flattened field: the request goes as a mapping of its fields.
            request = {"project": self.project, "request_id": rid, **kw}
            operation = fn(request=request, retry=None, timeout=self.settings.timeout)
        except Exception as exc:
            raise map_error(exc, method, account=self.account, resource=resource) from exc
        return wait(self, operation, what=method, resource=resource)
