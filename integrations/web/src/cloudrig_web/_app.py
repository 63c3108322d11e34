"""The ASGI app of ``cloudrig serve`` (Starlette): server-rendered pages, live fragments by
server-sent events, and the few changes a page can make — the drain switch and the answer to an
approval gate — each authenticated, CSRF-checked and put to the ``cloudrig_authorize`` hook.

Hook actions (``account``, ``resource``): ``promote`` and ``reject`` (the deployment's account, its
id) and ``drain`` (``*``, ``on`` or ``off``: the switch holds for every account of the store). The
deployment an approval continues runs with a ``Rig`` of the deciding principal, so each cloud
operation it makes is authorized for that principal too.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudrig import Rig
from cloudrig.engine import DeploymentNotFound, DeploymentStatus
from cloudrig_web._live import deployment_stream, deployments_stream
from cloudrig_web._reading import read_clusters, read_deployment, read_deployments
from cloudrig_web._security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Guard,
    Principal,
    Refused,
    csrf_token,
)
from cloudrig_web._settings import ServeSettings
from cloudrig_web._templating import add_filters

HERE = Path(__file__).parent
log = logging.getLogger("cloudrig.web")
ConnectAs = Callable[[str], Rig]
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class WebView:
    """The pages of one rig. ``connect_as(principal)`` returns a ``Rig`` acting as that principal
    (the same configuration and state store): approvals continue deployments with it."""

    def __init__(self, rig: Rig, settings: ServeSettings, connect_as: ConnectAs) -> None:
        self.rig = rig
        self.settings = settings
        self.guard = Guard(settings)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        add_filters(self.templates.env)
        self._connect_as = connect_as
        self._rigs: dict[str, Rig] = {}
        self._lock = threading.Lock()
        self.running: list[threading.Thread] = []
        """Deployments continued from a page (the threads running them), for a clean shutdown."""

    # -- rendering -------------------------------------------------------------------------------
    def page(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> Response:
        token, new = csrf_token(request)
        principal = context.pop("principal", None)
        if principal is None:
            with contextlib.suppress(Refused):
                principal = self.guard.principal(request)
        response = self.templates.TemplateResponse(
            request,
            template,
            {"principal": principal, "csrf_token": token, **context},
            status_code=status_code,
        )
        if new:
            secure = request.url.scheme == "https"
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure)
        return response

    def fragment(self, request: Request) -> Callable[[str, dict[str, Any]], str]:
        token, _ = csrf_token(request)

        def render(template: str, context: dict[str, Any]) -> str:
            values = {"request": request, "csrf_token": token, **context}
            return self.templates.get_template(template).render(values)

        return render

    # -- reads -----------------------------------------------------------------------------------
    def clusters(self, request: Request) -> Response:
        self.guard.check_reads(request)
        views = read_clusters(self.rig, self.settings.apps)
        _, draining = read_deployments(self.rig, limit=0)
        return self.page(
            request, "clusters.html", clusters=views, apps=self.settings.apps, draining=draining
        )

    def deployments(self, request: Request) -> Response:
        self.guard.check_reads(request)
        records, draining = read_deployments(self.rig)
        return self.page(request, "deployments.html", records=records, draining=draining)

    def deployment(self, request: Request) -> Response:
        self.guard.check_reads(request)
        view = read_deployment(self.rig, request.path_params["deployment_id"])
        return self.page(request, "deployment.html", view=view)

    async def deployments_live(self, request: Request) -> Response:
        await run_in_threadpool(self.guard.check_reads, request)
        stream = deployments_stream(
            request, self.rig, self.fragment(request), self.settings.poll_interval
        )
        return EventSourceResponse(stream, ping=15)

    async def deployment_live(self, request: Request) -> Response:
        await run_in_threadpool(self.guard.check_reads, request)
        deployment_id = request.path_params["deployment_id"]
        await run_in_threadpool(self.rig.deployment, deployment_id)  # 404 when unknown
        after = _int(request.headers.get("last-event-id") or request.query_params.get("after"))
        stream = deployment_stream(
            request,
            self.rig,
            self.fragment(request),
            deployment_id,
            after,
            self.settings.poll_interval,
        )
        return EventSourceResponse(stream, ping=15)

    # -- changes ---------------------------------------------------------------------------------
    async def _change(self, request: Request) -> tuple[Principal, FormData]:
        """The principal of a change, after the CSRF check: ``Refused`` otherwise."""
        form = await request.form()
        principal = self.guard.require_principal(request)
        self.guard.check_form(request, form, principal)
        return principal, form

    def _authorize(self, principal: Principal, action: str, account: str, resource: str) -> None:
        decision = self.rig.registry.authorize(principal.name, action, account, resource)
        if not decision.allowed:
            log.info("web: %s may not %s %s: %s", principal.name, action, resource, decision.reason)
            raise Refused(
                403, f"{principal.name} may not {action} {resource}: {decision.reason or 'denied'}"
            )

    def rig_of(self, principal: str) -> Rig:
        with self._lock:
            if principal not in self._rigs:
                self._rigs[principal] = self._connect_as(principal)
            return self._rigs[principal]

    async def approve(self, request: Request) -> Response:
        return await self._answer_gate(request, approve=True)

    async def reject(self, request: Request) -> Response:
        return await self._answer_gate(request, approve=False)

    async def _answer_gate(self, request: Request, approve: bool) -> Response:
        principal, _ = await self._change(request)
        deployment_id = request.path_params["deployment_id"]
        record = await run_in_threadpool(self.rig.deployment, deployment_id)
        action = "promote" if approve else "reject"
        self._authorize(principal, action, record.account, record.id)
        if record.status is not DeploymentStatus.AWAITING_APPROVAL:
            raise Refused(409, f"deployment {record.id} is {record.status.value}, not awaiting "
                          "approval")  # fmt: skip

        def answer() -> None:
            try:
                self.rig_of(principal.name).promote(deployment_id, approve=approve)
            except Exception:  # the page shows the record's status and error; the log the rest
                log.exception("web: %s of %s failed", action, deployment_id)

        thread = threading.Thread(target=answer, name=f"cloudrig-web-{action}", daemon=True)
        thread.start()
        self.running.append(thread)
        log.info("web: %s answered %s at %s (%s)", principal.name, action, record.id,
                 record.step_name)  # fmt: skip
        return RedirectResponse(request.url_for("deployment", deployment_id=record.id), 303)

    async def drain(self, request: Request) -> Response:
        principal, form = await self._change(request)
        state = form.get("state")
        if state not in ("on", "off"):
            raise Refused(400, "the drain switch is 'on' or 'off'")
        self._authorize(principal, "drain", "*", str(state))
        await run_in_threadpool(self.rig.deployer.drain, state == "on")
        log.info("web: %s switched drain %s", principal.name, state)
        back = request.headers.get("referer") or str(request.url_for("clusters"))
        return RedirectResponse(_local(back, str(request.url_for("clusters"))), 303)

    # -- signing in ------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        next_page = _local(request.query_params.get("next", "/"), "/")
        if request.method == "GET":
            return self.page(request, "login.html", next=next_page, message=None)
        form = await request.form()
        self.guard.check_form(request, form, None)
        token = form.get("token")
        name = self.guard.principal_for_token(token) if isinstance(token, str) else None
        if name is None:
            log.info("web: a sign-in with an unknown token was refused")
            return self.page(
                request, "login.html", 401, next=next_page, message="That token is not known."
            )
        target = _local(str(form.get("next") or "/"), "/")
        response = RedirectResponse(target, 303)
        secure = request.url.scheme == "https"
        session = self.guard.sessions.open(name)
        response.set_cookie(
            SESSION_COOKIE, session, httponly=True, samesite="strict", secure=secure
        )
        log.info("web: %s signed in", name)
        return response

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        self.guard.check_form(request, form, None)
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            self.guard.sessions.close(session)
        response = RedirectResponse(str(request.url_for("clusters")), 303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- errors ----------------------------------------------------------------------------------
    async def refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        titles = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 409: "Conflict"}
        return self.page(
            request,
            "error.html",
            exc.status,
            status=exc.status,
            title=titles.get(exc.status, ""),
            message=exc.message,
        )

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.page(
            request, "error.html", 404, status=404, title="Not found", message=str(exc)
        )

    def close(self) -> None:
        for thread in self.running:
            thread.join(timeout=60)
        with self._lock:
            rigs, self._rigs = list(self._rigs.values()), {}
        for rig in rigs:
            rig.close()


class _SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response (pure ASGI: event streams pass untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(rig: Rig, settings: ServeSettings, *, connect_as: ConnectAs) -> Starlette:
    """The web view of ``rig`` (its ``WebView`` is ``app.state.view``)."""
    view = WebView(rig, settings, connect_as)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(view.close)

    app = Starlette(
        routes=[
            Route("/", view.clusters, name="clusters"),
            Route("/deployments", view.deployments, name="deployments"),
            Route("/deployments/live", view.deployments_live, name="deployments_live"),
            Route("/deployments/{deployment_id}", view.deployment, name="deployment"),
            Route(
                "/deployments/{deployment_id}/live", view.deployment_live, name="deployment_live"
            ),
            Route(
                "/deployments/{deployment_id}/approve",
                view.approve,
                methods=["POST"],
                name="approve",
            ),
            Route(
                "/deployments/{deployment_id}/reject", view.reject, methods=["POST"], name="reject"
            ),
            Route("/drain", view.drain, methods=["POST"], name="drain"),
            Route("/login", view.login, methods=["GET", "POST"], name="login"),
            Route("/logout", view.logout, methods=["POST"], name="logout"),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(_SecurityHeaders)],
        exception_handlers={Refused: view.refused, DeploymentNotFound: view.not_found},
        lifespan=lifespan,
    )
    app.state.view = view
    return app


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _local(target: str, default: str) -> str:
    """``target`` when it is a path of this server (no open redirect), else ``default``."""
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    if parts.path.startswith("/") and not parts.path.startswith("//"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return default
