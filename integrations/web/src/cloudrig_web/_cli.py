"""``cloudrig serve --config FILE``, contributed to the cloudrig command line (entry point group
``cloudrig.commands``). Cheap to import: Starlette and uvicorn load when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cloudrig._cli._common import ConfigOption
from cloudrig._cli._common import plugins as plugin_modules

# Plain formatters: uvicorn's own expect a log record's arguments, which cloudrig's log redaction
# has already merged into the message (cloudrig._redaction). The web view's log is "cloudrig.web".
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        name: {"handlers": ["stderr"], "level": "INFO", "propagate": False}
        for name in ("uvicorn", "uvicorn.access", "cloudrig.web")
    },
}


def serve(
    ctx: typer.Context,
    config: ConfigOption = Path("cloudrig.yaml"),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (0: any free one).")
    ] = 8000,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host beyond localhost (a token is needed too; reads then need one).",
        ),
    ] = False,
    token: Annotated[
        list[str] | None,
        typer.Option(
            "--token",
            metavar="[PRINCIPAL=]env:NAME|file:PATH",
            envvar="CLOUDRIG_SERVE_TOKEN",
            help="A secret reference to a token that signs PRINCIPAL in (default principal "
            "'web'); repeatable. Changes from the page need one.",
        ),
    ] = None,
    trusted_header: Annotated[
        str | None,
        typer.Option(
            "--trusted-header",
            metavar="NAME",
            help="Believe this request header as the principal (only behind an authenticating "
            "proxy that sets it).",
        ),
    ] = None,
    app: Annotated[
        list[str] | None,
        typer.Option(
            "--app",
            metavar="APP",
            help="Also list this application's clusters (besides those deployed through the "
            "state store); repeatable.",
        ),
    ] = None,
) -> None:
    """Serve a live web view: clusters, deployments in flight, the drain switch, approvals."""
    import uvicorn

    import cloudrig
    from cloudrig_web._app import create_app
    from cloudrig_web._settings import load_settings, parse_token_options

    plugins = plugin_modules(ctx)
    settings = load_settings(
        host=host,
        port=port,
        allow_remote=allow_remote,
        tokens=parse_token_options(list(token or ())),
        trusted_header=trusted_header,
        apps=tuple(app or ()),
    )
    rig = cloudrig.connect(config, plugins=plugins)
    store = rig.deployer.store

    def connect_as(principal: str) -> cloudrig.Rig:
        return cloudrig.connect(config, principal=principal, plugins=plugins, state_store=store)

    web = create_app(rig, settings, connect_as=connect_as)
    typer.echo(f"cloudrig serve: http://{settings.host}:{settings.port}/ (Ctrl-C stops it)")
    try:
        # Open event streams would hold Ctrl-C; browsers reconnect to the next server anyway.
        uvicorn.run(
            web,
            host=settings.host,
            port=settings.port,
            log_config=LOG_CONFIG,
            timeout_graceful_shutdown=2,
        )
    finally:
        rig.close()
