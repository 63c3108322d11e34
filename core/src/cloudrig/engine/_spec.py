"""Declarative deployment specs (YAML), validated by the same models the library uses.

    account: aws-prod
    region: us-east-1
    cluster: {app: checkout, stack: prod}
    artifact: ami-0abc1234
    capacity: {min: 2, desired: 3, max: 6}
    load_balancers:                  # names, or declarations upserted before the deployment
      - {name: checkout-prod, port: 80, health_check: {path: /health}}
    security_groups:
      - name: checkout
        ingress: [{from_port: 8080, to_port: 8080, cidrs: [10.0.0.0/8]}]
    strategy:
      name: red-black             # or highlander, rolling-red-black, canary, a plugin's
      max_remaining: 2
      scale_down_after: 10m
    settings: {instance_type: m7g.large}   # the provider's block, checked by its own model

``cloudrig schema`` prints the JSON Schema of this file, with every installed strategy. Declared
load balancers and security groups (``cloudrig._config._resources``) are planned and applied by
``cloudrig._config._apply`` (``rig.apply``, ``cloudrig apply``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudrig._config._file import read_config, validation_problems
from cloudrig._config._resources import (
    LoadBalancerEntry,
    SecurityGroupEntry,
    duplicate_problems,
    entry_name,
)
from cloudrig._errors import ConfigError
from cloudrig._model._resources import (
    Capacity,
    LoadBalancerSpec,
    Moniker,
    SecurityGroupSpec,
    ServerGroupSpec,
)


class ClusterRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    app: str = Field(min_length=1)
    stack: str = ""
    detail: str = ""


class DeploySpec(BaseModel):
    """One deployment as a file: what to deploy, where, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    zones: tuple[str, ...] = ()
    cluster: ClusterRef
    artifact: str = Field(min_length=1)
    capacity: Capacity
    load_balancers: tuple[LoadBalancerEntry, ...] = Field(
        default=(), description="Names, or declarations upserted before the deployment"
    )
    security_groups: tuple[SecurityGroupEntry, ...] = Field(
        default=(), description="Names or ids, or declarations upserted before the deployment"
    )
    environment: dict[str, str] = Field(default_factory=dict)
    user_data: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict, description="The provider's block")
    strategy: dict[str, Any] = Field(
        default_factory=lambda: {"name": "red-black"},
        description="name: the strategy; every other key is one of its parameters",
    )

    def server_group_spec(self) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=Moniker(
                app=self.cluster.app, stack=self.cluster.stack, detail=self.cluster.detail
            ),
            account=self.account,
            region=self.region,
            zones=self.zones,
            artifact=self.artifact,
            capacity=self.capacity,
            load_balancers=tuple(entry_name(e) for e in self.load_balancers),
            security_groups=tuple(entry_name(e) for e in self.security_groups),
            environment=self.environment,
            user_data=self.user_data,
            tags=self.tags,
            settings=self.settings,
        )

    def declared_load_balancers(self) -> tuple[LoadBalancerSpec, ...]:
        return tuple(
            e.spec(self.account, self.region) for e in self.load_balancers if not isinstance(e, str)
        )

    def declared_security_groups(self) -> tuple[SecurityGroupSpec, ...]:
        return tuple(
            e.spec(self.account, self.region)
            for e in self.security_groups
            if not isinstance(e, str)
        )


@dataclass(frozen=True)
class SpecFile:
    """A deployment spec file, loaded: the server group, its strategy, and the load balancers and
    security groups it declares (``rig.apply(spec_file)`` upserts them; ``rig.deploy(spec_file)``
    does, then deploys)."""

    server_group: ServerGroupSpec
    strategy: Strategy
    load_balancers: tuple[LoadBalancerSpec, ...] = ()
    """The declared load balancers (the server group's ``load_balancers`` also names the others)."""
    security_groups: tuple[SecurityGroupSpec, ...] = ()
    """The declared security groups."""
    source: str | None = None
    """The file's path, for errors."""


def load_deploy_spec(
    source: str | Path | Mapping[str, Any], strategies: Mapping[str, type[Strategy]]
) -> tuple[ServerGroupSpec, Strategy]:
    """Read and validate a spec file; one ``ConfigError`` listing every problem with its field.
    The server group and its strategy; ``load_spec_file`` has the declarations too."""
    loaded = load_spec_file(source, strategies)
    return loaded.server_group, loaded.strategy


def load_spec_file(
    source: str | Path | Mapping[str, Any], strategies: Mapping[str, type[Strategy]]
) -> SpecFile:
    """Read and validate a spec file; one ``ConfigError`` listing every problem with its field."""
    data, origin = read_config(source)
    problems: list[tuple[str, str]] = []
    try:
        spec = DeploySpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_problems("spec", exc), source=origin) from None
    problems += duplicate_problems("load_balancers", spec.load_balancers)
    problems += duplicate_problems("security_groups", spec.security_groups)
    params = dict(spec.strategy)
    name = params.pop("name", "red-black")
    cls = strategies.get(name)
    if cls is None:
        known = ", ".join(sorted(strategies))
        raise ConfigError(
            [("spec, field 'strategy.name'", f"unknown strategy {name!r} (known: {known})")],
            source=origin,
        )
    try:
        strategy = cls.model_validate(params)
    except ValidationError as exc:
        problems.extend(validation_problems("spec, strategy", exc))
    if problems:
        raise ConfigError(problems, source=origin)
    return SpecFile(
        server_group=spec.server_group_spec(),
        strategy=strategy,
        load_balancers=spec.declared_load_balancers(),
        security_groups=spec.declared_security_groups(),
        source=origin,
    )


def deploy_spec_schema(strategies: Mapping[str, type[Strategy]]) -> dict[str, Any]:
    """The JSON Schema of a spec file: ``strategy`` is one of the strategies, told apart by name."""
    schema = DeploySpec.model_json_schema()
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    choices = []
    for name, cls in sorted(strategies.items()):
        sub = cls.model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
        defs.update(sub.pop("$defs", {}))
        sub["properties"] = {"name": {"const": name}, **sub.get("properties", {})}
        sub["required"] = ["name", *sub.get("required", [])]
        sub["title"] = f"strategy {name}"
        choices.append(sub)
    schema["properties"]["strategy"] = {
        "description": "How to deploy: a strategy and its parameters",
        "oneOf": choices,
    }
    return schema


# Imported last, not under TYPE_CHECKING, so ``typing.get_type_hints(SpecFile)`` resolves; at the
# bottom the import cycle with the strategies (which import the engine) is harmless.
from cloudrig.strategies import Strategy  # noqa: E402
