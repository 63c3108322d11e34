"""Reference provider variants with one planted bug each, for checking that the conformance kit
catches it in the check named for it (see test_conformance_catches.py)."""

from __future__ import annotations

from typing import Any

from cloudrig import Conflict, CreateServerGroup, ServerGroup, ServerGroupMetadata, parse_name
from cloudrig.testing import ReferenceProvider
from cloudrig.testing._world import GroupRecord


class NonIdempotentCreate(ReferenceProvider):
    """Maps the cloud's 'already exists' to Conflict even for its own retried create."""

    def _create(self, request: CreateServerGroup) -> ServerGroup:
        if (request.spec.region, request.name) in self.cloud.groups:
            raise self._error(Conflict, f"{request.name} already exists")
        return super()._create(request)


class ClientError(Exception):
    """Shaped like botocore.exceptions.ClientError: what a provider forgot to map."""

    def __init__(self, response: dict[str, Any], operation_name: str) -> None:
        self.response = response
        code = response["Error"]["Code"]
        super().__init__(f"An error occurred ({code}) when calling the {operation_name} operation")


class LeaksSdkError(ReferenceProvider):
    """read_metadata lets the SDK's error for a missing group escape unmapped."""

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        if (region, name) not in self.cloud.groups:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeTags")
        return super().read_metadata(region, name)


class DisableTerminates(ReferenceProvider):
    """Declares disable_keeps_instances but scales the group to zero on disable."""

    def disable_server_group(self, region: str, name: str) -> None:
        super().disable_server_group(region, name)
        with self.cloud.lock:
            self.cloud.groups[(region, name)].instances.clear()


class LossyMoniker(ReferenceProvider):
    """Stores no moniker and parses it back from the cloud name, which the policy may hash."""

    def _server_group(self, group: GroupRecord) -> ServerGroup:
        model = super()._server_group(group)
        return model.model_copy(update={"moniker": parse_name(group.name)})

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        stored = super().read_metadata(region, name)
        return stored.model_copy(update={"moniker": parse_name(name)})


BROKEN: dict[type[ReferenceProvider], str] = {
    NonIdempotentCreate: "test_create_is_idempotent",
    LeaksSdkError: "test_errors_are_provider_errors",
    DisableTerminates: "test_disable_keeps_instances",
    LossyMoniker: "test_metadata_round_trip",
}
"""Each planted bug and the one check that must catch it."""
