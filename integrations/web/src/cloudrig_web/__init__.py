"""cloudrig-web: ``cloudrig serve``, a small live web view of a cloudrig configuration.

Clusters with their server groups, health and traffic; deployments in flight with their steps and
live events; finished ones with the canary report; the drain switch and the answer to approval
gates. Server-rendered pages (Starlette, Jinja2), live updates by server-sent events, no
front-end build step. See integrations/web/README.md.
"""

from cloudrig_web._app import WebView, create_app
from cloudrig_web._server import BackgroundServer
from cloudrig_web._settings import ServeSettings, check_bind, load_settings, parse_token_options

__all__ = [
    "BackgroundServer",
    "ServeSettings",
    "WebView",
    "check_bind",
    "create_app",
    "load_settings",
    "parse_token_options",
]
