"""Planning and applying the load balancers and security groups a deployment needs.

``plan`` only reads: it checks every reference (a server group's load balancers and security
groups, a security group's source groups) against the declarations and the cloud, validates each
declaration's settings with the provider's model, and says per resource what applying would do:

    security group checkout: create
    load balancer checkout-prod: update (port 80 → 8080)
    load balancer legacy-web: exists

``apply`` then upserts the declared ones through their account (``Account.upsert_security_group``
and ``upsert_load_balancer``: authorized, limited, errors mapped like every other operation),
security groups first so a load balancer or a source rule can name them. Upserts are idempotent:
a provider compares before it changes, so applying twice sends no mutating request the second
time. ``unchanged`` compares what the neutral model shows (a load balancer's protocol and port, a
security group's ingress); the upsert still brings provider details the model does not show (a
health check, the settings block) to the declaration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import ValidationError

from cloudrig._config._file import validation_problems
from cloudrig._errors import CloudrigError, ConfigError, NotFound
from cloudrig._model._resources import (
    IngressRule,
    LoadBalancer,
    LoadBalancerSpec,
    Protocol,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroupSpec,
)

if TYPE_CHECKING:
    from cloudrig._account import Account
    from cloudrig._rig import Rig


class ResourceKind(StrEnum):
    """What a spec file may declare beside its server group."""

    LOAD_BALANCER = "load balancer"
    SECURITY_GROUP = "security group"


class ResourceAction(StrEnum):
    """What applying a declared resource does, as found by reads before anything is changed."""

    CREATE = "create"
    """Declared and absent: applying creates it."""
    UPDATE = "update"
    """Declared and present but different: applying brings it to the declaration."""
    UNCHANGED = "unchanged"
    """Declared and present as declared: applying sends no change."""
    EXISTS = "exists"
    """Named only (a reference): checked to exist, never changed."""


@dataclass(frozen=True)
class ResourceChange:
    """What applying does to one resource; ``differences`` say what an update changes."""

    kind: ResourceKind
    name: str
    account: str
    region: str
    action: ResourceAction
    differences: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        """Whether applying it changes the cloud (a create or an update)."""
        return self.action in (ResourceAction.CREATE, ResourceAction.UPDATE)

    def __str__(self) -> str:
        detail = f" ({'; '.join(self.differences)})" if self.differences else ""
        return f"{self.kind.value} {self.name}: {self.action.value}{detail}"


@dataclass(frozen=True)
class ResourcePlan:
    """Per load balancer and security group, what applying does (or did, when ``applied``);
    security groups first, in the order they are applied."""

    changes: tuple[ResourceChange, ...] = ()
    applied: bool = False

    def __iter__(self) -> Iterator[ResourceChange]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    @property
    def changed(self) -> tuple[ResourceChange, ...]:
        """The creates and updates."""
        return tuple(c for c in self.changes if c.changes)

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.changes) or "no load balancers or security groups"


@dataclass(frozen=True)
class Reference:
    """A resource named by a server group (or a source rule) rather than declared."""

    kind: ResourceKind
    account: str
    region: str
    name: str
    field: str
    """Where it is named, for the error: ``spec, field 'load_balancers'``."""


# A security group rule as comparable atoms: (protocol, from, to, "cidr"|"group", value).
_Atom = tuple[str, int, int, str, str]


class _Planner:
    """One plan: the reads and the problems found, raised together as one ``ConfigError``."""

    def __init__(self, rig: Rig, security_groups: Sequence[SecurityGroupSpec]) -> None:
        self.rig = rig
        self.problems: list[tuple[str, str]] = []
        self.declared_groups = {(s.account, s.region, s.name) for s in security_groups}

    def account(self, name: str, where: str) -> Account | None:
        try:
            return self.rig.account(name)
        except ConfigError as exc:
            self.problems.extend((f"{where}, field 'account'", m) for _, m in exc.problems)
            return None

    def settings_ok(self, account: Account, spec: LoadBalancerSpec | SecurityGroupSpec) -> bool:
        if isinstance(spec, LoadBalancerSpec):
            where, model = f"load balancer {spec.name!r}", account.descriptor.load_balancer_settings
        else:
            where, model = (
                f"security group {spec.name!r}",
                account.descriptor.security_group_settings,
            )
        ok = True
        if account.regions and spec.region not in account.regions:
            regions = ", ".join(account.regions)
            self.problems.append(
                (
                    f"{where}, field 'region'",
                    f"{spec.region!r} is not one of {account.name!r}'s ({regions})",
                )
            )
            ok = False
        try:
            model.model_validate(dict(spec.settings))
        except ValidationError as exc:
            self.problems.extend(validation_problems(f"{where}, settings", exc))
            ok = False
        return ok

    # -- reads -------------------------------------------------------------------------------------
    def find_group(self, account: Account, region: str, name: str) -> SecurityGroup | None:
        """A security group by name, or by the id the cloud gave it (``sg-…`` on AWS)."""
        try:
            return account.security_groups.get(region, name)
        except NotFound:
            pass
        return next((g for g in account.security_groups.list(region) if g.id == name), None)

    def find_load_balancer(self, account: Account, region: str, name: str) -> LoadBalancer | None:
        try:
            return account.load_balancers.get(region, name)
        except NotFound:
            return None

    def check_reference(self, ref: Reference) -> ResourceChange | None:
        account = self.account(ref.account, ref.field)
        if account is None:
            return None
        if ref.kind is ResourceKind.SECURITY_GROUP:
            found: object = self.find_group(account, ref.region, ref.name)
        else:
            found = self.find_load_balancer(account, ref.region, ref.name)
        if found is None:
            self.problems.append(
                (
                    ref.field,
                    f"{ref.kind.value} {ref.name!r} is neither declared nor exists in account "
                    f"{ref.account!r}, region {ref.region}",
                )
            )
            return None
        return ResourceChange(ref.kind, ref.name, ref.account, ref.region, ResourceAction.EXISTS)

    # -- declarations ------------------------------------------------------------------------------
    def plan_group(self, spec: SecurityGroupSpec) -> ResourceChange | None:
        where = f"security group {spec.name!r}"
        account = self.account(spec.account, where)
        if account is None or not self.settings_ok(account, spec):
            return None
        names: dict[str, str] = {}  # a source group's id -> the name the declaration uses
        for i, rule in enumerate(spec.ingress):
            for source in rule.source_groups:
                key = (spec.account, spec.region, source)
                if key in self.declared_groups:
                    found = self.find_group(account, spec.region, source)
                else:
                    field = f"{where}, field 'ingress.{i}.source_groups'"
                    ref = Reference(ResourceKind.SECURITY_GROUP, *key, field=field)
                    if self.check_reference(ref) is None:
                        continue
                    found = self.find_group(account, spec.region, source)
                if found is not None:
                    names[found.id] = source
        current = self.find_group(account, spec.region, spec.name)
        differences: tuple[str, ...] = ()
        if current is None:
            action = ResourceAction.CREATE
        else:
            wanted = _atoms(spec.ingress, {})
            have = _atoms(current.ingress, names)
            differences = tuple(
                [f"+ ingress {_show(a)}" for a in sorted(wanted - have)]
                + [f"- ingress {_show(a)}" for a in sorted(have - wanted)]
            )
            action = ResourceAction.UPDATE if differences else ResourceAction.UNCHANGED
        return ResourceChange(
            ResourceKind.SECURITY_GROUP, spec.name, spec.account, spec.region, action, differences
        )

    def plan_load_balancer(self, spec: LoadBalancerSpec) -> ResourceChange | None:
        account = self.account(spec.account, f"load balancer {spec.name!r}")
        if account is None or not self.settings_ok(account, spec):
            return None
        current = self.find_load_balancer(account, spec.region, spec.name)
        differences: tuple[str, ...] = ()
        if current is None:
            action = ResourceAction.CREATE
        else:
            differences = tuple(
                f"{what} {have} → {want}"
                for what, have, want in (
                    ("protocol", current.protocol, spec.protocol.lower()),
                    ("port", current.port, spec.port),
                )
                if have != want
            )
            action = ResourceAction.UPDATE if differences else ResourceAction.UNCHANGED
        return ResourceChange(
            ResourceKind.LOAD_BALANCER, spec.name, spec.account, spec.region, action, differences
        )


def plan(
    rig: Rig,
    load_balancers: Sequence[LoadBalancerSpec] = (),
    security_groups: Sequence[SecurityGroupSpec] = (),
    references: Iterable[Reference] = (),
    *,
    source: str | None = None,
) -> ResourcePlan:
    """What applying the declarations would do, after checking every reference; reads only.
    Every problem (an unknown account or region, invalid settings, a name neither declared nor
    existing, a name declared twice) is raised together as one ``ConfigError``."""
    planner = _Planner(rig, security_groups)
    for kind, specs in (
        (ResourceKind.SECURITY_GROUP, security_groups),
        (ResourceKind.LOAD_BALANCER, load_balancers),
    ):
        seen: set[tuple[str, str, str]] = set()
        for spec in specs:
            key = (spec.account, spec.region, spec.name)
            if key in seen:
                planner.problems.append((f"{kind.value} {spec.name!r}", "declared twice"))
            seen.add(key)
    if planner.problems:
        raise ConfigError(planner.problems, source=source)
    changes: list[ResourceChange | None] = [planner.plan_group(s) for s in security_groups]
    changes += [planner.plan_load_balancer(s) for s in load_balancers]
    declared = {(c.kind, c.account, c.region, c.name) for c in changes if c is not None}
    for ref in references:
        if (ref.kind, ref.account, ref.region, ref.name) not in declared:
            changes.append(planner.check_reference(ref))
            declared.add((ref.kind, ref.account, ref.region, ref.name))
    if planner.problems:
        raise ConfigError(planner.problems, source=source)
    return ResourcePlan(tuple(c for c in changes if c is not None))


def apply(
    rig: Rig,
    load_balancers: Sequence[LoadBalancerSpec] = (),
    security_groups: Sequence[SecurityGroupSpec] = (),
    references: Iterable[Reference] = (),
    *,
    source: str | None = None,
) -> ResourcePlan:
    """Plan (checking every reference first, so a bad one changes nothing), then upsert every
    declared security group and load balancer; returns the plan, ``applied``."""
    planned = plan(rig, load_balancers, security_groups, references, source=source)
    creating = {
        (c.account, c.region, c.name)
        for c in planned
        if c.kind is ResourceKind.SECURITY_GROUP and c.action is ResourceAction.CREATE
    }
    # The groups to create come first, without the rules that name a group not created yet
    # (itself, one later in the list, a cycle); then every group gets its whole ingress.
    done = set()
    for spec in security_groups:
        key = (spec.account, spec.region, spec.name)
        if key in creating:
            partial = _without_sources(
                spec, {n for a, r, n in creating if (a, r) == (spec.account, spec.region)}
            )
            _upsert(rig, partial)
            if partial is spec:
                done.add(key)
    for spec in security_groups:
        if (spec.account, spec.region, spec.name) not in done:
            _upsert(rig, spec)
    for lb in load_balancers:
        _upsert(rig, lb)
    return ResourcePlan(planned.changes, applied=True)


def _upsert(rig: Rig, spec: LoadBalancerSpec | SecurityGroupSpec) -> None:
    account = rig.account(spec.account)
    try:
        if isinstance(spec, LoadBalancerSpec):
            account.upsert_load_balancer(spec)
        else:
            account.upsert_security_group(spec)
    except CloudrigError as exc:
        kind = "load balancer" if isinstance(spec, LoadBalancerSpec) else "security group"
        exc.add_note(f"while applying {kind} {spec.name!r} in {spec.account}/{spec.region}")
        raise


def _without_sources(spec: SecurityGroupSpec, missing: set[str]) -> SecurityGroupSpec:
    """``spec`` without the source groups in ``missing`` (rules left with no source dropped)."""
    if not any(set(r.source_groups) & missing for r in spec.ingress):
        return spec
    rules = []
    for rule in spec.ingress:
        sources = tuple(s for s in rule.source_groups if s not in missing)
        if sources or rule.cidrs:
            rules.append(rule.model_copy(update={"source_groups": sources}))
    return spec.model_copy(update={"ingress": tuple(rules)})


def _atoms(rules: Iterable[IngressRule], names: dict[str, str]) -> set[_Atom]:
    """Rules as atoms, source groups by the name the declaration uses (``names``: id → name).
    Protocol ``all`` covers every port whatever the rule says, so its ports are not compared."""
    out: set[_Atom] = set()
    for rule in rules:
        proto = rule.protocol.value
        lo, hi = (0, 65535) if rule.protocol is Protocol.ALL else (rule.from_port, rule.to_port)
        out |= {(proto, lo, hi, "cidr", c) for c in rule.cidrs}
        out |= {(proto, lo, hi, "group", names.get(g, g)) for g in rule.source_groups}
    return out


def _show(atom: _Atom) -> str:
    proto, lo, hi, kind, value = atom
    ports = "" if proto == "all" else (f" {lo}" if lo == hi else f" {lo}-{hi}")
    return f"{proto}{ports} from {'group ' if kind == 'group' else ''}{value}"


def references(spec: ServerGroupSpec) -> list[Reference]:
    """The load balancers and security groups a server group names, to check before deploying."""
    return [
        Reference(kind, spec.account, spec.region, name, f"spec, field {field!r}")
        for kind, field, names in (
            (ResourceKind.LOAD_BALANCER, "load_balancers", spec.load_balancers),
            (ResourceKind.SECURITY_GROUP, "security_groups", spec.security_groups),
        )
        for name in names
    ]
