"""Workflow versioning: a deployment that started before a change to the workflow replays on
today's workflow (its changes are behind ``workflow.patched``, _workflow.py). The history was
recorded with the workflow as it was before the record memo and the in-step abort (a gated
red/black approved by a signal); a change that issues other commands for it without a patch
fails here with a nondeterminism error."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from cloudrig_temporal import DeploymentWorkflow
from cloudrig_temporal._worker import workflow_runner

HISTORIES = Path(__file__).parent / "histories"


def replay(name: str) -> WorkflowHistory:
    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())
    replayer = Replayer(workflows=[DeploymentWorkflow], workflow_runner=workflow_runner())
    asyncio.run(replayer.replay_workflow(history))  # raises on a nondeterministic replay
    return history


def test_a_deployment_started_before_the_patches_replays_on_todays_workflow() -> None:
    history = replay("red_black_gated_v1")
    events = json.loads(history.to_json())["events"]
    kinds = {e["eventType"] for e in events}
    assert "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" in kinds, "the promote signal replayed"
    assert "EVENT_TYPE_MARKER_RECORDED" not in kinds, "recorded before any patch"
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
