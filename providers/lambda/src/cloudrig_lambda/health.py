"""A version's health: the function state Lambda reports, plus an optional verification invoke.

| source   | Lambda says                                            | cloudrig      |
|----------|--------------------------------------------------------|---------------|
| `lambda` | `State` Active and `LastUpdateStatus` Successful       | Up            |
|          | `State` Pending, or `LastUpdateStatus` InProgress      | Starting      |
|          | `State` Failed, or `LastUpdateStatus` Failed           | Down          |
|          | `State` Inactive (idle; woken by the next invoke)      | OutOfService  |
| `provisioned-concurrency` | `Status` READY                             | Up            |
|          | IN_PROGRESS: environments already allocated            | Up            |
|          | IN_PROGRESS: the others                                | Starting      |
|          | FAILED (with its `StatusReason`)                       | Down          |
| `invoke` | the verification invoke answered without FunctionError | Up            |
|          | it answered with a FunctionError, or failed            | Down          |

A version's instances are its provisioned execution environments (``function:version/1`` …
``/N`` for a provisioned concurrency of N); a version on demand only (desired 0) has none.
Each instance aggregates the three sources with the core's precedence (any Down → Down, …).
"""

from __future__ import annotations

import json
from typing import Any

from cloudrig import HealthDetail, HealthState, ProviderError
from cloudrig_lambda.provisioned import Provisioned


def state_detail(config: dict[str, Any]) -> HealthDetail:
    state = config.get("State") or "Active"  # versions published before states existed
    update = config.get("LastUpdateStatus") or "Successful"
    text = f"State {state}, LastUpdateStatus {update}"
    reason = config.get("StateReason") or config.get("LastUpdateStatusReason")
    if reason:
        text += f": {reason}"
    if state == "Failed" or update == "Failed":
        value = HealthState.DOWN
    elif state == "Pending" or update == "InProgress":
        value = HealthState.STARTING
    elif state == "Inactive":
        value = HealthState.OUT_OF_SERVICE
    elif state == "Active" and update == "Successful":
        value = HealthState.UP
    else:
        value = HealthState.UNKNOWN
    return HealthDetail(source="lambda", state=value, description=text)


def provisioned_detail(config: Provisioned, index: int) -> HealthDetail:
    """Environment ``index`` (1-based) of a version whose provisioned concurrency is ``config``:
    while Lambda allocates, the first ``allocated`` ones are Up and the rest Starting."""
    text = (
        f"provisioned concurrency {config.status}: {config.allocated} of {config.requested} "
        "allocated"
    )
    if config.status == "FAILED":
        return HealthDetail(
            source="provisioned-concurrency",
            state=HealthState.DOWN,
            description=f"{text}: {config.reason or 'no reason given'}",
        )
    if config.status == "READY" or index <= config.allocated:
        value = HealthState.UP
    elif config.status == "IN_PROGRESS":
        value = HealthState.STARTING
    else:
        value = HealthState.UNKNOWN
    return HealthDetail(source="provisioned-concurrency", state=value, description=text)


def verify_detail(client: Any, function: str, version: str, payload: Any) -> HealthDetail:
    """Invoke the version once with ``payload`` (RequestResponse): a FunctionError is Down."""
    try:
        answer = client.call(
            "invoke",
            resource=f"{function}:{version}",
            FunctionName=function,
            Qualifier=version,
            Payload=json.dumps(payload).encode(),
        )
    except ProviderError as exc:
        return HealthDetail(source="invoke", state=HealthState.DOWN, description=str(exc))
    if answer.get("FunctionError"):
        body = answer["Payload"].read()[:200].decode(errors="replace")
        return HealthDetail(
            source="invoke",
            state=HealthState.DOWN,
            description=f"{answer['FunctionError']}: {body}",
        )
    return HealthDetail(source="invoke", state=HealthState.UP, description="invoke succeeded")
