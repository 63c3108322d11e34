"""Server groups: published versions of the cluster's function.

Create writes ``$LATEST`` with the spec's configuration (``configuration``; the function is
created on the first deployment, updated on the next ones) and publishes it with the group's facts
in the version description. The group's name is also set as the environment variable
``CLOUDRIG_SERVER_GROUP``: every group differs from the previous one in configuration, so Lambda
publishes a new version even for identical code, and a retried create after a crash finds its own
version (``PublishVersion`` returns it unchanged).
Code identical to the version in traffic is logged, not hidden.

A new version is out of traffic until enabled (it is not in the alias), so a strategy can verify
it before any request reaches it: its state and verification invoke are its instances' health
(``health``). Its capacity follows the mode recorded in its description (``capacity``): on demand
(the default), a recorded 0 or 1 — a resize writes a function tag and calls nothing else; with
``settings.provisioned_concurrency``, its provisioned concurrency (``provisioned``) — put right
after the version is published when the spec's ``desired`` is above 0, changed by a resize,
removed before the version is destroyed. Versions on demand never call the provisioned
concurrency API.

Enabling and disabling a group move its version in and out of the cluster's alias (``traffic``):

- enable: the alias is created for the version; if it routes to one other version, the two
  share it 50/50 (both in traffic, as two groups behind one load balancer do elsewhere); if it
  already routes to two others, Conflict.
- disable: the version's weight moves to the other version; the alias is never left empty, so
  disabling the only version it routes to is a Conflict (enable another one first).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Literal

from cloudrig import Capacity, Clock, Conflict, Instance, NotFound, ServerGroup
from cloudrig.provider import ServerGroupMetadata, ServerGroups
from cloudrig_aws import VpcSecurityGroups
from cloudrig_aws.health_polls import poll_health
from cloudrig_lambda.capacity import (
    capacity_tag,
    check_on_demand,
    on_demand_capacity,
    provisioned_capacity,
    tag_key,
)
from cloudrig_lambda.code import code_of
from cloudrig_lambda.configuration import (
    TAG_SGS,
    Request,
    function_configuration,
    function_tags,
    listed,
)
from cloudrig_lambda.functions import Functions, Version
from cloudrig_lambda.health import instances
from cloudrig_lambda.metadata import version_description
from cloudrig_lambda.naming import NAMING, function_name
from cloudrig_lambda.provisioned import Provisioned, ProvisionedConcurrency
from cloudrig_lambda.settings import LambdaFunctionSettings, LambdaSecurityGroupSettings
from cloudrig_lambda.target_groups import TAG_LBS
from cloudrig_lambda.traffic import LambdaTraffic


class LambdaServerGroups(ServerGroups[LambdaFunctionSettings]):
    """The ``server_groups`` noun: the published versions of the account's functions in its
    ``regions``."""

    def __init__(
        self,
        functions: Functions,
        traffic: LambdaTraffic,
        security_groups: VpcSecurityGroups[LambdaSecurityGroupSettings],
        provisioned: ProvisionedConcurrency,
        *,
        account: str,
        regions: tuple[str, ...],
        logger: logging.Logger,
        clock: Clock,
        poll_interval: float = 2.0,
    ) -> None:
        self._clock = clock
        self._poll_interval = poll_interval
        self._functions = functions
        self._provisioned = provisioned
        self._traffic = traffic
        self._security_groups = security_groups
        self._account = account
        self._regions = regions
        self._logger = logger

    # -- create ----------------------------------------------------------------------------------
    def create(self, request: Request) -> ServerGroup:
        settings = request.settings
        spec, name, region = request.spec, request.name, request.spec.region
        function = function_name(name)
        if function != NAMING.cluster_name(request.metadata.moniker):
            raise Conflict(f"{name} is not a name of cluster {request.metadata.moniker.cluster}")
        mode = settings.provisioned_concurrency
        if not mode:
            check_on_demand(name, spec.capacity)  # before anything is created
        description = version_description(name, request.metadata, spec.capacity, mode)
        existing = self._functions.find(region, name)
        if existing is not None:
            return self._existing(existing, request)
        tags = function_tags(request)  # refuses tags Lambda would refuse, before any write
        code = code_of(
            spec.artifact,
            bucket=settings.code_bucket,
            function=function,
            s3=self._functions.s3(region),
        )
        config = function_configuration(request, code, self._security_groups)
        serving = self._serving_code(region, function)  # before the writes: cached reads
        now = self._functions.write(
            region,
            name,
            code,
            config,
            tags,
            architectures=list(settings.architectures),
            reserved=settings.reserved_concurrency,
        )
        version = self._functions.publish(
            region, function, name, description, tags=now, image=code.get("ImageUri")
        )
        self._warn_if_identical(version, serving)
        # A new version has no config but the one put here: its answer needs no read.
        provisioned = None
        if mode and spec.capacity.desired > 0:
            provisioned = self._provisioned.put(
                region, function, version.number, spec.capacity.desired, name
            )
        # Nor a share of the alias: no alias can route to a version it did not know (its
        # GetFunction is in the read cache: publish put it there).
        published = self._functions.require(region, name)
        return self._group(region, published, now, {}, provisioned)

    def _existing(self, version: Version, request: Request) -> ServerGroup:
        if version.facts.metadata != request.metadata:
            # The name was taken by a version the cluster's listing did not show: a function
            # created before cloudrig tagged its app, in an app whose other functions are
            # tagged (so no scan). Tagged now, the next deployment's listing finds it.
            tagged = self._functions.tag_app(region=request.spec.region, version=version)
            again = "; its function lacked its app tag, now added: deploy again" if tagged else ""
            raise Conflict(
                f"{request.name} exists as version {version.number} with moniker "
                f"{version.facts.metadata.moniker} and deployment "
                f"{version.facts.metadata.deployment_id}{again}",
                resource=request.name,
            )
        # A create retried after a crash between publish and put: the config is still missing
        # (unless a resize since then decided otherwise: it leaves the bounds tag).
        region, desired = request.spec.region, request.spec.capacity.desired
        if (
            version.facts.provisioned
            and desired > 0
            and tag_key(version.number) not in version.config.get("_tags", {})
        ):
            configs = self._provisioned.configs(region, version.function, fresh=True)
            if version.number not in configs:
                self._provisioned.put(
                    region, version.function, version.number, desired, request.name
                )
        return self.get(region, request.name)

    def _serving_code(self, region: str, function: str) -> dict[str, tuple[str, str]]:
        """The versions the alias routes to: number → (code hash, group name). Read before
        this create writes anything, when the deployment's own listing has just read the
        alias and the versions (so the read cache answers); versions are immutable."""
        serving = self._traffic.serving_versions(region, function)
        if not serving:
            return {}
        return {
            v.number: (str(v.config.get("CodeSha256")), v.facts.name)
            for v in self._functions.versions(region, function)
            if v.number in serving
        }

    def _warn_if_identical(self, version: Version, serving: dict[str, tuple[str, str]]) -> None:
        for number, (sha, name) in serving.items():
            if number != version.number and sha == version.config.get("CodeSha256"):
                self._logger.warning(
                    "%s: code identical to version %s (%s), which serves traffic; only the "
                    "configuration differs",
                    version.facts.name,
                    number,
                    name,
                )

    # -- read ------------------------------------------------------------------------------------
    def get(
        self, region: str, name: str, provisioned: Provisioned | Literal["read"] | None = "read"
    ) -> ServerGroup:
        """The group; its provisioned concurrency (provisioned mode only) is read unless the
        caller knows it."""
        version = self._functions.require(region, name)
        weights = self._traffic.version_weights(region, version.function)
        if provisioned == "read":
            provisioned = self._config(region, version)
        tags = version.config.get("_tags", {})
        return self._group(region, version, tags, weights, provisioned)

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        groups = []
        for where in (region,) if region else self._regions:
            for function, tags in self._functions.of_app(where, app):
                weights = self._traffic.version_weights(where, function)
                versions = self._functions.versions(where, function)
                configs: dict[str, Provisioned] = {}
                if any(v.facts.provisioned for v in versions):  # one read for all of them
                    configs = self._provisioned.configs(where, function)
                for version in versions:
                    config = configs.get(version.number) if version.facts.provisioned else None
                    groups.append(self._group(where, version, tags, weights, config))
        return groups

    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        """One read of the group per poll (``GetFunction`` of the version and the alias, fresh
        when the core waits), every ``health_poll_interval`` seconds at first."""
        return poll_health(
            healthy=healthy,
            timeout=timeout,
            clock=self._clock,
            read=lambda: self.get(region, name),
            first_poll=self._poll_interval,
        )

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self._functions.require(region, name).facts.metadata

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        version = self._functions.require(region, name)
        tags = version.config.get("_tags", {})
        config = self._config(region, version)
        desired = self._capacity(version, tags, config).desired
        weight = None
        if listed(tags, TAG_LBS):
            weights = self._traffic.version_weights(region, version.function)
            weight = weights.get(version.number, 0)
        client = self._functions.client(region)
        return instances(client, version, tags, desired, config, weight)

    def _config(self, region: str, version: Version, fresh: bool = False) -> Provisioned | None:
        """The version's provisioned concurrency config; versions on demand read none."""
        if not version.facts.provisioned:
            return None
        return self._provisioned.configs(region, version.function, fresh).get(version.number)

    @staticmethod
    def _capacity(version: Version, tags: dict[str, str], config: Provisioned | None) -> Capacity:
        facts = version.facts
        if facts.provisioned:
            return provisioned_capacity(facts.capacity, tags, version.number, config)
        return on_demand_capacity(facts.capacity, tags, version.number)

    def _group(
        self,
        region: str,
        version: Version,
        tags: dict[str, str],
        weights: dict[str, int],
        provisioned: Provisioned | None,
    ) -> ServerGroup:
        facts, config = version.facts, version.config
        modified = config.get("LastModified")
        capacity = self._capacity(version, tags, provisioned)
        client = self._functions.client(region)
        return ServerGroup(
            name=facts.name,
            moniker=facts.metadata.moniker,
            account=self._account,
            region=region,
            capacity=capacity,
            instances=instances(
                client,
                version,
                tags,
                capacity.desired,
                provisioned,
                weights.get(version.number, 0) if listed(tags, TAG_LBS) else None,
            ),
            enabled=weights.get(version.number, 0) > 0,
            created_at=datetime.fromisoformat(modified) if modified else None,
            artifact=config.get("_image") or f"sha256:{config.get('CodeSha256', '')}",
            load_balancers=listed(tags, TAG_LBS),
            security_groups=listed(tags, TAG_SGS),
            deployment_id=facts.metadata.deployment_id,
            tags={k: v for k, v in tags.items() if not k.startswith("cloudrig:")},
        )

    # -- traffic ---------------------------------------------------------------------------------
    def enable(self, region: str, name: str) -> None:
        function, number = function_name(name), self._functions.require(region, name).number
        current = self._traffic.version_weights(region, function, fresh=True)
        if number in current:
            return
        if len(current) >= 2:
            raise Conflict(f"the alias of {function} already routes to two versions", resource=name)
        if not current:
            self._traffic.route(region, function, {number: 100})
            return
        (other,) = current
        self._traffic.route(region, function, {other: 50, number: 50})

    def disable(self, region: str, name: str) -> None:
        function, number = function_name(name), self._functions.require(region, name).number
        current = self._traffic.version_weights(region, function, fresh=True)
        if number not in current:
            return
        rest = {v: w for v, w in current.items() if v != number}
        if not rest:
            raise Conflict(
                f"{name} is the only version the alias {self._traffic.alias} routes to; enable "
                "another group first",
                resource=name,
            )
        self._traffic.route(region, function, {v: 100 for v in rest})

    # -- resize ----------------------------------------------------------------------------------
    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        """On demand: ``desired`` 0 or 1 (above: ``InvalidSpec``), recorded with ``min``/``max``
        in the version's capacity tag — no other call. Provisioned: ``desired`` becomes the
        version's provisioned concurrency (0: the config is deleted), ``min``/``max`` kept in
        the tag when they change. Disabled or not, the same: a disabled version keeps its
        environments until resized."""
        version = self._functions.require(region, name)
        function, number, facts = version.function, version.number, version.facts
        if not facts.provisioned:
            check_on_demand(name, capacity)
        else:
            config = self._config(region, version, fresh=True)
            if capacity.desired == 0:
                if config is not None:
                    self._provisioned.delete(region, function, number, name)
            elif (
                config is None or config.requested != capacity.desired or config.status == "FAILED"
            ):
                self._provisioned.put(region, function, number, capacity.desired, name)
        tags = version.config.get("_tags", {})
        wanted = capacity_tag(capacity, facts.provisioned)
        if tags.get(tag_key(number), capacity_tag(facts.capacity, facts.provisioned)) != wanted:
            client = self._functions.client(region)
            arn = _function_arn(version.config["FunctionArn"])
            client.call(
                "tag_resource",
                resource=name,
                safe=True,
                Resource=arn,
                Tags={tag_key(number): wanted},
            )
            client.invalidate(("version", function, number))
            self._functions.tags_changed(region, arn, facts.metadata.moniker.app)

    # -- destroy ---------------------------------------------------------------------------------
    def destroy(self, region: str, name: str) -> None:
        """Delete the version's provisioned concurrency config (provisioned mode), then the
        version; the function goes with its last cloudrig version when no alias routes to it.
        A version the alias still routes to is refused (Conflict).

        The config is deleted explicitly: AWS documents no cascade from a version to its config,
        and a config left behind keeps counting against the function's reserved (or the
        account's unreserved) concurrency. A version on demand has none that cloudrig put."""
        version = self._functions.find(region, name)
        if version is None:
            return
        if version.number in self._traffic.version_weights(region, version.function):
            raise Conflict(f"{name} still receives traffic through the alias", resource=name)
        if self._config(region, version, fresh=True) is not None:
            self._provisioned.delete(region, version.function, version.number, name)
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
            self._functions.listing_changed(region, version.facts.metadata.moniker.app)
            return
        if tag_key(version.number) in version.config.get("_tags", {}):
            arn = _function_arn(version.config["FunctionArn"])
            with contextlib.suppress(NotFound):
                client.call(
                    "untag_resource",
                    resource=name,
                    safe=True,
                    Resource=arn,
                    TagKeys=[tag_key(version.number)],
                )
            self._functions.tags_changed(region, arn, version.facts.metadata.moniker.app)


def _function_arn(arn: str) -> str:
    """The function's ARN from a version's (``…:function:name:3`` → ``…:function:name``):
    tags live on the function."""
    parts = arn.split(":")
    return ":".join(parts[:7])
