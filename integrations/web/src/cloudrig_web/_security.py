"""Who is asking, and whether a form really comes from our page.

A principal comes from one of three places, tried in order:

- ``Authorization: Bearer TOKEN`` matching a configured token (scripts; no cookie, so no CSRF);
- the session cookie the login form sets after it was given a configured token;
- the configured trusted header (set by an authenticating proxy), only when one is configured.

Every form POST carries the CSRF token of its page (double submit: the same random value in an
``HttpOnly``, ``SameSite=Strict`` cookie and in a hidden field, compared in constant time), and
its ``Origin``, when the browser sends one, must be this server's. Requests authenticated by a
bearer token carry no ambient credential a third-party page could ride on, so they skip it.
Tokens and session ids never appear in a log, a page or an error.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Literal

from starlette.datastructures import FormData
from starlette.requests import Request

from cloudrig_web._settings import ServeSettings

SESSION_COOKIE = "cloudrig_session"
CSRF_COOKIE = "cloudrig_csrf"
CSRF_FIELD = "csrf_token"


class Refused(Exception):
    """A request refused before it did anything: the status and a message safe to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    name: str
    via: Literal["bearer", "session", "header"]


class Sessions:
    """Logged-in browsers: a random session id (the cookie) -> the principal. In memory: a
    restart logs everyone out, which is what a small local view wants."""

    def __init__(self) -> None:
        self._by_id: dict[str, str] = {}
        self._lock = threading.Lock()

    def open(self, principal: str) -> str:
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._by_id[session] = principal
        return session

    def principal(self, session: str) -> str | None:
        with self._lock:
            return self._by_id.get(session)

    def close(self, session: str) -> None:
        with self._lock:
            self._by_id.pop(session, None)


class Guard:
    """Authentication and CSRF checks of one server."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.sessions = Sessions()

    def principal_for_token(self, token: str) -> str | None:
        """The principal a presented token stands for (every token compared, in constant time)."""
        found = None
        for name, secret in self.settings.tokens.items():
            if hmac.compare_digest(token.encode(), secret.get_secret_value().encode()):
                found = name
        return found

    def principal(self, request: Request) -> Principal | None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credential:
            name = self.principal_for_token(credential.strip())
            if name is None:
                raise Refused(401, "the bearer token is not one this server was given")
            return Principal(name, "bearer")
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            name = self.sessions.principal(session)
            if name is not None:
                return Principal(name, "session")
        header = self.settings.trusted_header
        if header:
            value = request.headers.get(header, "").strip()
            if value:
                return Principal(value, "header")
        return None

    def require_principal(self, request: Request) -> Principal:
        found = self.principal(request)
        if found is None:
            raise Refused(401, "sign in first: changes need a principal (a token)")
        return found

    def check_reads(self, request: Request) -> None:
        """Reads are open on localhost; beyond it they need a principal as well."""
        if not self.settings.loopback:
            self.require_principal(request)

    def check_form(self, request: Request, form: FormData, principal: Principal | None) -> None:
        """The CSRF rules of a form POST (see the module's docstring)."""
        if principal is not None and principal.via == "bearer":
            return
        origin = request.headers.get("origin")
        if origin and origin != "null" and origin != _own_origin(request):
            raise Refused(403, "the form was posted from another site")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        field = form.get(CSRF_FIELD)
        if not cookie or not isinstance(field, str) or not field:
            raise Refused(403, "the form has no CSRF token: reload the page and try again")
        if not hmac.compare_digest(cookie.encode(), field.encode()):
            raise Refused(403, "the form's CSRF token does not match: reload the page")


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token, and whether it is new (the response must then set the cookie)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(32), True


def _own_origin(request: Request) -> str:
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}"
