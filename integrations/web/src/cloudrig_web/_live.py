"""Server-sent event streams of the live pages: the state store re-read every ``poll_interval``,
changes sent as fragments the server renders (the page's script only inserts them).

The store is the source of truth, so a deployment run by another process (the CLI, a worker)
shows up exactly like one this server started. A stream of a deployment ends (event ``end``) once
the deployment is finished and every event of it was sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from cloudrig import Rig
from cloudrig_web._reading import read_deployment, read_deployments

Render = Callable[[str, dict[str, Any]], str]


async def deployments_stream(
    request: Request, rig: Rig, render: Render, poll: float
) -> AsyncIterator[dict[str, str]]:
    """``rows`` (the deployments table) and ``drain`` (the switch) whenever they change."""
    last_rows = last_drain = ""
    while not await request.is_disconnected():
        records, draining = await run_in_threadpool(read_deployments, rig)
        rows = render("_deployment_rows.html", {"records": records})
        drain = render("_drain.html", {"draining": draining})
        if rows != last_rows:
            yield {"event": "rows", "data": rows}
            last_rows = rows
        if drain != last_drain:
            yield {"event": "drain", "data": drain}
            last_drain = drain
        await asyncio.sleep(poll)


async def deployment_stream(
    request: Request, rig: Rig, render: Render, deployment_id: str, after: int, poll: float
) -> AsyncIterator[dict[str, str]]:
    """Each new event (``deployment-event``, its row), then ``steps`` and ``summary`` (status,
    approval gate, canary report) whenever the record changed; ``end`` when it finished."""
    last_record = ""
    while not await request.is_disconnected():
        view = await run_in_threadpool(read_deployment, rig, deployment_id)
        for event in view.events:
            if event.seq > after:
                row = render("_event_row.html", {"event": event})
                yield {"event": "deployment-event", "data": row, "id": str(event.seq)}
                after = event.seq
        record = view.record.model_dump_json(include={"status", "step", "updated_at", "error"})
        if record != last_record:
            yield {"event": "steps", "data": render("_steps.html", {"view": view})}
            yield {"event": "summary", "data": render("_summary.html", {"view": view})}
            last_record = record
        if view.record.status.finished:
            yield {"event": "end", "data": view.record.status.value}
            return
        await asyncio.sleep(poll)
