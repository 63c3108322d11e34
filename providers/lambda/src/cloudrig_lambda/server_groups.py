"""Server groups: published versions of the cluster's function.

Create writes ``$LATEST`` (the function is created on the first deployment, updated on the next
ones) and publishes it with the group's facts in the version description. The group's name is
also set as the environment variable ``CLOUDRIG_SERVER_GROUP``: every group differs from the
previous one in configuration, so Lambda publishes a new version even for identical code, and a
retried create after a crash finds its own version (``PublishVersion`` returns it unchanged).
Code identical to the version in traffic is logged, not hidden.

A new version is out of traffic until enabled (it is not in the alias), so a strategy can verify
it before any request reaches it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import datetime
from typing import Any

from cloudrig import (
    Conflict,
    CreateServerGroup,
    HealthState,
    Instance,
    InvalidSpec,
    NotFound,
    ServerGroup,
    ServerGroupMetadata,
)
from cloudrig_lambda.code import code_of, is_image
from cloudrig_lambda.functions import Functions, Version
from cloudrig_lambda.health import state_detail, verify_detail
from cloudrig_lambda.metadata import function_description, version_description
from cloudrig_lambda.naming import NAMING, function_name
from cloudrig_lambda.security_groups import SecurityGroups
from cloudrig_lambda.settings import LambdaFunctionSettings
from cloudrig_lambda.target_groups import TAG_LBS
from cloudrig_lambda.traffic import Traffic

TAG_SGS = "cloudrig:security-groups"
TAG_VERIFY = "cloudrig:verify-payload"
GROUP_ENV = "CLOUDRIG_SERVER_GROUP"


def _tags(spec_tags: dict[str, str], request: CreateServerGroup, verify: Any) -> dict[str, str]:
    tags = dict(spec_tags)
    tags[TAG_LBS] = ",".join(request.spec.load_balancers)
    tags[TAG_SGS] = ",".join(request.spec.security_groups)
    if verify is not None:
        tags[TAG_VERIFY] = json.dumps(verify, separators=(",", ":"))
    return tags


class ServerGroups:
    def __init__(
        self,
        functions: Functions,
        traffic: Traffic,
        security_groups: SecurityGroups,
        *,
        account: str,
        logger: logging.Logger,
    ) -> None:
        self._functions = functions
        self._traffic = traffic
        self._security_groups = security_groups
        self._account = account
        self._logger = logger

    # -- create ----------------------------------------------------------------------------------
    def create(self, request: CreateServerGroup) -> ServerGroup:
        settings = request.settings
        if not isinstance(settings, LambdaFunctionSettings):
            settings = LambdaFunctionSettings.model_validate(settings.model_dump())
        spec, name, region = request.spec, request.name, request.spec.region
        function = function_name(name)
        if function != NAMING.cluster_name(request.metadata.moniker):
            raise Conflict(f"{name} is not a name of cluster {request.metadata.moniker.cluster}")
        if spec.capacity.desired > 1:
            raise InvalidSpec(
                f"{name}: a Lambda version is one unit that Lambda scales itself (desired 0 or 1)"
            )
        description = version_description(name, request.metadata, spec.capacity)
        existing = self._functions.find(region, name)
        if existing is not None:
            return self._existing(existing, request)
        code = code_of(spec.artifact)
        config = self._configuration(request, settings, code)
        tags = _tags(dict(spec.tags), request, settings.verify_payload)
        client = self._functions.client(region)
        current = self._current(region, function)
        if current is None:
            last = client.call(
                "create_function",
                resource=function,
                Code=code,
                PackageType="Image" if is_image(code) else "Zip",
                Publish=False,
                Tags=tags,
                **config,
            )
        else:
            self._check_cluster(current, request)
            self._functions.settle(region, function, current)
            last = client.call(
                "update_function_configuration", resource=function, safe=True, **config
            )
            self._functions.settle(region, function, last)
            last = client.call(
                "update_function_code",
                resource=function,
                safe=True,
                FunctionName=function,
                **code,
            )
            stale = {k: v for k, v in tags.items() if current["_tags"].get(k) != v}
            if stale:
                client.call("tag_resource", safe=True, Resource=current["FunctionArn"], Tags=stale)
                client.invalidate(("tags", current["FunctionArn"]))
        # Each write answers with the function's configuration: a settled one needs no read.
        self._functions.settle(region, function, last)
        version = self._functions.publish(region, function, name, description)
        self._warn_if_identical(region, function, version)
        return self.get(region, name)

    def _current(self, region: str, function: str) -> dict[str, Any] | None:
        try:
            answer = self._functions.client(region).call(
                "get_function", resource=function, FunctionName=function
            )
        except NotFound:
            return None
        config: dict[str, Any] = answer["Configuration"]
        return config | {"_tags": dict(answer.get("Tags", {}))}

    def _check_cluster(self, current: dict[str, Any], request: CreateServerGroup) -> None:
        wanted = function_description(request.metadata.moniker)
        if current.get("Description") != wanted:
            raise Conflict(
                f"function {current['FunctionName']} belongs to another cluster or to no "
                "cloudrig cluster; it is not adopted",
                resource=request.name,
            )

    def _existing(self, version: Version, request: CreateServerGroup) -> ServerGroup:
        if version.facts.metadata != request.metadata:
            raise Conflict(
                f"{request.name} exists as version {version.number} with moniker "
                f"{version.facts.metadata.moniker} and deployment "
                f"{version.facts.metadata.deployment_id}",
                resource=request.name,
            )
        return self.get(request.spec.region, request.name)

    def _configuration(
        self, request: CreateServerGroup, settings: LambdaFunctionSettings, code: dict[str, Any]
    ) -> dict[str, Any]:
        spec = request.spec
        config: dict[str, Any] = {
            "FunctionName": function_name(request.name),
            "Role": settings.role,
            "Description": function_description(request.metadata.moniker),
            "Timeout": settings.timeout,
            "MemorySize": settings.memory_size,
            "Environment": {"Variables": dict(spec.environment) | {GROUP_ENV: request.name}},
        }
        if not is_image(code):
            config["Runtime"] = settings.runtime
            config["Handler"] = settings.handler
        if spec.security_groups:
            if not settings.subnets:
                raise InvalidSpec(f"{request.name}: security groups need settings.subnets")
            ids = [
                self._security_groups.require(spec.region, g)["GroupId"]
                for g in spec.security_groups
            ]
            config["VpcConfig"] = {"SubnetIds": list(settings.subnets), "SecurityGroupIds": ids}
        return config

    def _warn_if_identical(self, region: str, function: str, version: Version) -> None:
        serving = self._traffic.serving_versions(region, function)
        for number in serving:
            if number == version.number:
                continue
            other = next(
                (v for v in self._functions.versions(region, function) if v.number == number),
                None,
            )
            if other and other.config.get("CodeSha256") == version.config.get("CodeSha256"):
                self._logger.warning(
                    "%s: code identical to version %s (%s), which serves traffic; only the "
                    "configuration differs",
                    version.facts.name,
                    number,
                    other.facts.name,
                )

    # -- read ------------------------------------------------------------------------------------
    def get(self, region: str, name: str) -> ServerGroup:
        version = self._functions.require(region, name)
        weights = self._traffic.version_weights(region, version.function)
        return self._group(region, version, version.config.get("_tags", {}), weights)

    def of_app(self, app: str, regions: tuple[str, ...]) -> list[ServerGroup]:
        groups = []
        for region in regions:
            for function, tags in self._functions.of_app(region, app):
                weights = self._traffic.version_weights(region, function)
                for version in self._functions.versions(region, function):
                    groups.append(self._group(region, version, tags, weights))
        return groups

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self._functions.require(region, name).facts.metadata

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        version = self._functions.require(region, name)
        return self._instances(region, version, version.config.get("_tags", {}))

    def _instances(
        self, region: str, version: Version, tags: dict[str, str]
    ) -> tuple[Instance, ...]:
        if version.facts.capacity.desired == 0:
            return ()
        details = [state_detail(version.config)]
        if TAG_VERIFY in tags and details[0].state is HealthState.UP:
            client = self._functions.client(region)
            payload = json.loads(tags[TAG_VERIFY])
            details.append(verify_detail(client, version.function, version.number, payload))
        modified = version.config.get("LastModified")
        return (
            Instance(
                id=f"{version.function}:{version.number}",
                launched_at=datetime.fromisoformat(modified) if modified else None,
                details=tuple(details),
            ),
        )

    def _group(
        self, region: str, version: Version, tags: dict[str, str], weights: dict[str, int]
    ) -> ServerGroup:
        facts, config = version.facts, version.config
        modified = config.get("LastModified")
        return ServerGroup(
            name=facts.name,
            moniker=facts.metadata.moniker,
            account=self._account,
            region=region,
            capacity=facts.capacity,
            instances=self._instances(region, version, tags),
            enabled=weights.get(version.number, 0) > 0,
            created_at=datetime.fromisoformat(modified) if modified else None,
            artifact=config.get("ImageUri") or f"sha256:{config.get('CodeSha256', '')}",
            load_balancers=tuple(filter(None, tags.get(TAG_LBS, "").split(","))),
            security_groups=tuple(filter(None, tags.get(TAG_SGS, "").split(","))),
            deployment_id=facts.metadata.deployment_id,
            tags={k: v for k, v in tags.items() if not k.startswith("cloudrig:")},
        )

    # -- destroy ---------------------------------------------------------------------------------
    def destroy(self, region: str, name: str) -> None:
        """Delete the version; the function goes with its last cloudrig version when no alias
        routes to it. A version the alias still routes to is refused (Conflict)."""
        version = self._functions.find(region, name)
        if version is None:
            return
        if version.number in self._traffic.version_weights(region, version.function):
            raise Conflict(f"{name} still receives traffic through the alias", resource=name)
        client = self._functions.client(region)
        with contextlib.suppress(NotFound):
            client.call(
                "delete_function",
                resource=name,
                safe=True,
                FunctionName=version.function,
                Qualifier=version.number,
            )
        self._functions.forget(region, name)
        if not self._functions.versions(region, version.function) and not (
            self._traffic.alias_exists(region, version.function)
        ):
            with contextlib.suppress(NotFound):
                client.call(
                    "delete_function",
                    resource=version.function,
                    safe=True,
                    FunctionName=version.function,
                )
