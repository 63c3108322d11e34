"""Reference provider variants with one planted bug each, for checking that the conformance kit
catches it in the check named for it (see test_conformance_catches.py)."""

from __future__ import annotations

from typing import Any

from cloudrig import Conflict, ServerGroup, parse_name
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig.testing import ReferenceProvider
from cloudrig.testing._provider import ReferenceServerGroups
from cloudrig.testing._world import GroupRecord


class NonIdempotentServerGroups(ReferenceServerGroups):
    def _create(self, request: CreateServerGroup[Any]) -> ServerGroup:
        if (request.spec.region, request.name) in self.provider.cloud.groups:
            raise self.provider._error(Conflict, f"{request.name} already exists")
        return super()._create(request)


class NonIdempotentCreate(ReferenceProvider):
    """Maps the cloud's 'already exists' to Conflict even for its own retried create."""

    server_groups: NonIdempotentServerGroups


class ClientError(Exception):
    """Shaped like botocore.exceptions.ClientError: what a provider forgot to map."""

    def __init__(self, response: dict[str, Any], operation_name: str) -> None:
        self.response = response
        code = response["Error"]["Code"]
        super().__init__(f"An error occurred ({code}) when calling the {operation_name} operation")


class LeakingServerGroups(ReferenceServerGroups):
    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        if (region, name) not in self.provider.cloud.groups:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeTags")
        return super().read_metadata(region, name)


class LeaksSdkError(ReferenceProvider):
    """read_metadata lets the SDK's error for a missing group escape unmapped."""

    server_groups: LeakingServerGroups


class TerminatingServerGroups(ReferenceServerGroups):
    def disable(self, region: str, name: str) -> None:
        super().disable(region, name)
        with self.provider.cloud.lock:
            self.provider.cloud.groups[(region, name)].instances.clear()


class DisableTerminates(ReferenceProvider):
    """Declares disable_keeps_instances but scales the group to zero on disable."""

    server_groups: TerminatingServerGroups


class LossyServerGroups(ReferenceServerGroups):
    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        stored = super().read_metadata(region, name)
        return stored.model_copy(update={"moniker": parse_name(name)})


class LossyMoniker(ReferenceProvider):
    """Stores no moniker and parses it back from the cloud name, which the policy may hash."""

    server_groups: LossyServerGroups

    def _server_group(self, group: GroupRecord) -> ServerGroup:
        model = super()._server_group(group)
        return model.model_copy(update={"moniker": parse_name(group.name)})


BROKEN: dict[type[ReferenceProvider], str] = {
    NonIdempotentCreate: "test_create_is_idempotent",
    LeaksSdkError: "test_errors_are_provider_errors",
    DisableTerminates: "test_disable_keeps_instances",
    LossyMoniker: "test_metadata_round_trip",
}
"""Each planted bug and the one check that must catch it."""
