"""Provisioned concurrency: the capacity of a version in provisioned mode
(``settings.provisioned_concurrency``; see ``capacity`` for both modes).

In that mode a server group's ``capacity.desired`` is the provisioned concurrency of its version —
execution environments Lambda keeps initialised for it, paid for whether used or not — and 0
means none (no config). Lambda holds one number per version (the config's ``Qualifier`` is the
version number). This module is the API: versions on demand never call it, so an account that
deploys on demand only needs none of its IAM actions.

Reads use ``ListProvisionedConcurrencyConfigs`` (one paginated call per function, through the
limiter's short read cache): one read serves every version of the cluster, for a group as for a
listing. Writes invalidate it. ``Put`` sets a state, so it is safe to repeat; ``Delete`` of a
config that is gone is success.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from cloudrig import Conflict, InvalidSpec, NotFound
from cloudrig_aws import ClientFactory


@dataclass(frozen=True)
class Provisioned:
    """What Lambda says about the provisioned concurrency of one version."""

    requested: int
    allocated: int
    status: str  # IN_PROGRESS | READY | FAILED
    reason: str = ""

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Provisioned:
        return cls(
            requested=int(answer.get("RequestedProvisionedConcurrentExecutions") or 0),
            allocated=int(answer.get("AllocatedProvisionedConcurrentExecutions") or 0),
            status=str(answer.get("Status") or "IN_PROGRESS"),
            reason=str(answer.get("StatusReason") or ""),
        )


class ProvisionedConcurrency:
    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory

    def _client(self, region: str) -> Any:
        return self._factory.client("lambda", region)

    def configs(self, region: str, function: str, fresh: bool = False) -> dict[str, Provisioned]:
        """Version number → its config, for every version of ``function`` that has one."""
        client = self._client(region)

        def load() -> list[Any]:
            try:
                found: list[Any] = client.pages(
                    "list_provisioned_concurrency_configs",
                    "ProvisionedConcurrencyConfigs",
                    FunctionName=function,
                )
            except NotFound:  # the function is gone: no config either
                return []
            return found

        items: list[Any] = client.read(("provisioned", function), load, fresh=fresh)
        return {
            str(item["FunctionArn"]).rsplit(":", 1)[-1]: Provisioned.of(item)
            for item in items
            if str(item.get("FunctionArn", "")).rsplit(":", 1)[-1].isdigit()  # not aliases
        }

    def put(
        self, region: str, function: str, number: str, executions: int, name: str
    ) -> Provisioned:
        """Set the version's provisioned concurrency (a state: safe to repeat) and return the
        config Lambda answers with. Lambda's refusals name the field they come from:
        ``capacity.desired``."""
        client = self._client(region)
        try:
            answer = client.call(
                "put_provisioned_concurrency_config",
                resource=name,
                safe=True,
                FunctionName=function,
                Qualifier=number,
                ProvisionedConcurrentExecutions=executions,
            )
        except (InvalidSpec, Conflict) as exc:
            raise type(exc)(
                f"{name}: capacity.desired {executions} (provisioned concurrency of version "
                f"{number}) refused by Lambda: {exc}",
                provider=exc.provider,
                account=exc.account,
                resource=name,
            ) from exc
        finally:
            client.invalidate(("provisioned", function))
        return Provisioned.of(answer)

    def delete(self, region: str, function: str, number: str, name: str) -> None:
        """Remove the version's config (on demand only); one already gone is success."""
        client = self._client(region)
        try:
            with contextlib.suppress(NotFound):
                client.call(
                    "delete_provisioned_concurrency_config",
                    resource=name,
                    safe=True,
                    FunctionName=function,
                    Qualifier=number,
                )
        finally:
            client.invalidate(("provisioned", function))
