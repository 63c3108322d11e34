"""Load balancers and security groups declared in a deployment spec file, next to the server group.

An entry of ``load_balancers`` or ``security_groups`` is either a name (the resource must exist)
or a declaration (a mapping with at least ``name``): declared resources are created, or brought
to the declaration, before the deployment (``cloudrig apply`` does only that), in the file's
account and region::

    load_balancers:
      - name: checkout-prod            # declared: upserted before the deployment
        port: 80
        health_check: {path: /health}
        settings: {scheme: internal}   # the provider's load balancer block
      - legacy-web                     # a name only: must exist already
    security_groups:
      - name: checkout
        ingress:
          - {from_port: 8080, to_port: 8080, cidrs: [10.0.0.0/8]}

Either way the server group joins every listed resource. ``cloudrig._config._apply`` plans and
applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from cloudrig._model._resources import HealthCheck, IngressRule, LoadBalancerSpec, SecurityGroupSpec

REFERENCE, DECLARATION = "reference", "declaration"
UNION_TAGS = frozenset({REFERENCE, DECLARATION})
"""The tags of the name-or-declaration unions: left out of error locations (``_file``)."""


class LoadBalancerDeclaration(BaseModel):
    """A load balancer a spec file declares: ``LoadBalancerSpec`` in the file's account and region."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    protocol: str = "http"
    port: int = Field(default=80, ge=1, le=65535)
    target_port: int | None = Field(default=None, ge=1, le=65535)
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The provider's load balancer block"
    )

    def spec(self, account: str, region: str) -> LoadBalancerSpec:
        return LoadBalancerSpec(account=account, region=region, **self.model_dump())


class SecurityGroupDeclaration(BaseModel):
    """A security group a spec file declares: ``SecurityGroupSpec`` in the file's account and region."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    ingress: tuple[IngressRule, ...] = ()
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The provider's security group block"
    )

    def spec(self, account: str, region: str) -> SecurityGroupSpec:
        return SecurityGroupSpec(
            account=account,
            region=region,
            name=self.name,
            description=self.description,
            ingress=self.ingress,
            settings=self.settings,
        )


def _kind(value: Any) -> str | None:
    if isinstance(value, str):
        return REFERENCE
    if isinstance(value, Mapping | BaseModel):
        return DECLARATION
    return None


_NOT_AN_ENTRY = "must be a name, or a declaration: a mapping with at least 'name'"

LoadBalancerEntry = Annotated[
    Annotated[str, Tag(REFERENCE), Field(min_length=1)]
    | Annotated[LoadBalancerDeclaration, Tag(DECLARATION)],
    Discriminator(
        _kind, custom_error_type="name_or_declaration", custom_error_message=_NOT_AN_ENTRY
    ),
]
"""A load balancer's name (it must exist) or its declaration (upserted before the deployment)."""

SecurityGroupEntry = Annotated[
    Annotated[str, Tag(REFERENCE), Field(min_length=1)]
    | Annotated[SecurityGroupDeclaration, Tag(DECLARATION)],
    Discriminator(
        _kind, custom_error_type="name_or_declaration", custom_error_message=_NOT_AN_ENTRY
    ),
]
"""A security group's name or id (it must exist) or its declaration (upserted before)."""


def entry_name(entry: str | LoadBalancerDeclaration | SecurityGroupDeclaration) -> str:
    return entry if isinstance(entry, str) else entry.name


def duplicate_problems(
    field: str, entries: tuple[str | LoadBalancerDeclaration | SecurityGroupDeclaration, ...]
) -> list[tuple[str, str]]:
    """A name listed twice is a mistake (two declarations would fight over one resource)."""
    seen: set[str] = set()
    problems = []
    for i, entry in enumerate(entries):
        name = entry_name(entry)
        if name in seen:
            problems.append((f"spec, field '{field}.{i}'", f"{name!r} is listed twice"))
        seen.add(name)
    return problems
