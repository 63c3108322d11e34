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
| `alias`  | the version has a share of the alias's traffic         | Up            |
|          | it has none (disabled, or not yet given traffic): warm | OutOfService  |

What a version's instances are depends on its capacity mode (``capacity``):

- **on demand** (the default): the version itself is the one instance (``function:version``),
  with the sources ``lambda`` and ``invoke``, while its recorded ``desired`` is 1; scaled down
  (desired 0), none. This is what lets a strategy wait for a new version's state and its
  verification invoke before any traffic reaches it;
- **provisioned concurrency**: one instance per provisioned execution environment
  (``function:version/1`` … ``/N`` for a provisioned concurrency of N), each with the three
  sources; none without a config (desired 0).

Each instance aggregates its sources with the core's precedence (any Down → Down, …). The
verification invoke runs once per health read, while the state is Up, and is shared by the
instances.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cloudrig import HealthDetail, HealthState, Instance, ProviderError
from cloudrig_aws import tag_values
from cloudrig_lambda.functions import Version
from cloudrig_lambda.provisioned import Provisioned

TAG_VERIFY = "cloudrig:verify-payload"


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


def instances(
    client: Any,
    version: Version,
    tags: dict[str, str],
    desired: int,
    provisioned: Provisioned | None,
    alias_weight: int | None = None,
) -> tuple[Instance, ...]:
    """The version's instances (see the module's docstring). ``desired`` is the group's
    capacity; ``provisioned`` its config when the version is in provisioned mode;
    ``alias_weight`` its percent of the alias's traffic, when it stands behind the alias."""
    if desired == 0 or (version.facts.provisioned and provisioned is None):
        return ()
    state = state_detail(version.config)
    behind: tuple[HealthDetail, ...] = ()
    if alias_weight is not None:
        served = alias_weight > 0
        behind = (
            HealthDetail(
                source="alias",
                state=HealthState.UP if served else HealthState.OUT_OF_SERVICE,
                description=f"{alias_weight}% of the alias's traffic",
            ),
        )
    verified: tuple[HealthDetail, ...] = ()
    if TAG_VERIFY in tags and state.state is HealthState.UP:
        payload = json.loads(tag_values.decode(tags[TAG_VERIFY]))
        verified = (verify_detail(client, version.function, version.number, payload),)
    modified = version.config.get("LastModified")
    launched = datetime.fromisoformat(modified) if modified else None
    base = f"{version.function}:{version.number}"
    if not version.facts.provisioned:
        return (Instance(id=base, launched_at=launched, details=(state, *verified, *behind)),)
    assert provisioned is not None  # for mypy: checked above
    return tuple(
        Instance(
            id=f"{base}/{index}",
            launched_at=launched,
            details=(state, provisioned_detail(provisioned, index), *verified, *behind),
        )
        for index in range(1, provisioned.requested + 1)
    )
