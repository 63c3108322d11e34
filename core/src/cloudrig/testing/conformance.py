"""The conformance kit: the behaviour every cloudrig provider must show, as a pytest test class.

A provider's own test suite opts in with one test module; nothing is auto-loaded (no ``pytest11``
entry point, no ``pytest_plugins`` line needed)::

    # tests/test_conformance.py of a provider distribution
    import pytest
    from cloudrig.provider import ProviderContext
    from cloudrig.testing import ConformanceTarget
    from cloudrig.testing.conformance import ConformanceSuite

    class TestMyCloud(ConformanceSuite):
        @pytest.fixture
        def conformance_target(self, my_cloud_server) -> ConformanceTarget:
            provider = MyCloudProvider(ProviderContext(account="conformance", settings=...))
            return ConformanceTarget(
                provider=provider,             # the RAW provider, not a cloudrig.Account
                descriptor=MY_DESCRIPTOR,      # what the plugin declares (capabilities, naming)
                region="us-east-1",
                artifact="ami-12345678",       # whatever the cloud boots
                spec_settings={...},           # the provider block of the specs the kit makes
                settle=my_cloud_server.tick,   # lets booting instances become healthy
                timeout=60.0,                  # real seconds any single wait may take
            )

Why a base class rather than a plugin with global fixtures: the opt-in is one explicit subclass
per provider (several providers can be checked in one session, each by its own class), the
fixture it needs is named in the class, and importing the class is all it takes. The class
brings its fixture ``conformance``: a ``ConformanceKit`` built from ``conformance_target`` that
destroys what each check created and then calls ``ConformanceTarget.teardown``.

Each check is a ``test_*`` method named for the behaviour it checks, so a failure reads as
"test_create_is_idempotent failed". Checks that need a capability the descriptor does not declare
check its absence instead (traffic weights raise ``NotSupported``) or are skipped with the
reason. Every provider call goes through the kit: any exception that is not a
``cloudrig.ProviderError`` (or ``NotSupported`` where the capabilities allow it) fails the check
with its name and the leaked exception. ``cloudrig.testing.reference_target()`` is the reference
provider's target; it passes every check. For pytest's detailed assertion messages, add
``pytest.register_assert_rewrite("cloudrig.testing.conformance")`` to the root ``conftest.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from cloudrig._errors import Conflict, NotFound, NotSupported, ProviderError
from cloudrig._model._health import HealthState, aggregate_health
from cloudrig._model._resources import (
    Capacity,
    CheckResult,
    IngressRule,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
    TrafficWeights,
)
from cloudrig.provider._contract import contract_problems
from cloudrig.provider._version import contract_compatible
from cloudrig.testing._conformance_kit import ConformanceKit
from cloudrig.testing._naming import name_problem
from cloudrig.testing._target import ConformanceTarget

__all__ = ["EXOTIC_MONIKERS", "ConformanceKit", "ConformanceSuite", "ConformanceTarget"]

# (app, stack, detail): Unicode a naming policy has to fold, drop, truncate or hash. The kit
# appends a random token to the app so runs on a shared cloud never meet each other's groups.
EXOTIC_MONIKERS: dict[str, tuple[str, str, str]] = {
    "accents": ("chéckout", "prød", "canary"),
    "cjk": ("支付", "生产", "金丝雀"),
    "case": ("Checkout", "PROD", "Canary-East"),
    "emoji-space": ("rocket🚀", "", "launch pad"),
    "punctuation": ("app.with.dots", "stack_under", "détail/slash"),
    "ligature": ("ﬁnance", "", "ﬂow"),
    "long": ("a" * 70, "s" * 20, "d" * 20),
}


class ConformanceSuite:
    """Subclass it in a test module and supply the ``conformance_target`` fixture."""

    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        pytest.fail(
            f"{type(self).__name__} must define the fixture conformance_target, returning a "
            "cloudrig.testing.ConformanceTarget",
            pytrace=False,
        )

    @pytest.fixture
    def conformance(
        self, request: pytest.FixtureRequest, conformance_target: ConformanceTarget
    ) -> Iterator[ConformanceKit]:
        """The kit for one check; destroys what the check created, then calls the target's
        ``teardown``."""
        kit = ConformanceKit(conformance_target, request.node.name)
        try:
            yield kit
        finally:
            kit.cleanup()
            conformance_target.teardown()

    # -- declaration and check ---------------------------------------------------------------------
    def test_contract_is_declared(self, conformance: ConformanceKit) -> None:
        target = conformance.target
        problems = contract_problems(type(target.provider), target.capabilities)
        if problems:
            conformance.fail("; ".join(problems))
        if not contract_compatible(target.descriptor.contract_version):
            conformance.fail(f"contract version {target.descriptor.contract_version} unsupported")

    def test_check(self, conformance: ConformanceKit) -> None:
        result = conformance.call("check")
        if not isinstance(result, CheckResult) or not result.identity:
            conformance.fail(f"check() must return a CheckResult with an identity, got {result!r}")

    # -- server groups -----------------------------------------------------------------------------
    def test_create_get_list(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="prod"), deployment_id="dep-create")
        created = kit.create(request)
        other = kit.create(kit.request(kit.moniker(stack="prod", detail="canary")))
        for seen in (created, kit.get(request.name)):
            kit.equal("the name the group was created with", seen.name, request.name)
            kit.equal(f"moniker of {seen.name}", seen.moniker, request.metadata.moniker)
            kit.equal(f"deployment id of {seen.name}", seen.deployment_id, "dep-create")
            kit.equal(f"region of {seen.name}", seen.region, kit.region)
            kit.equal(f"capacity of {seen.name}", seen.capacity, request.spec.capacity)
        for region in (None, kit.region):
            listed = [g.name for g in kit.call("list_server_groups", kit.app, region)]
            assert sorted(listed) == sorted([created.name, other.name]), (
                f"list_server_groups({kit.app!r}, {region!r}) must list each group once"
            )
        assert created.name not in [
            g.name for g in kit.call("list_server_groups", f"{kit.app}x", None)
        ], "list_server_groups must filter by the stored app"

    def test_create_is_idempotent(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="idem"), deployment_id="dep-idem")
        first = kit.create(request)
        again = kit.create(request)  # a retry after a timeout must not fail or duplicate
        kit.equal("name returned by the repeated create", again.name, first.name)
        kit.equal("moniker returned by the repeated create", again.moniker, first.moniker)
        kit.equal("deployment id returned by the repeated create", again.deployment_id, "dep-idem")
        listed = [g.name for g in kit.call("list_server_groups", kit.app, kit.region)]
        assert listed.count(request.name) == 1, f"one group expected, listed {listed}"

    def test_create_conflict(self, conformance: ConformanceKit) -> None:
        """Same cloud name, other moniker (a hash collision) or other deployment id: Conflict."""
        kit = conformance
        original = kit.request(kit.moniker(stack="one"), deployment_id="dep-a")
        kit.create(original)
        intruder = kit.request(kit.moniker(stack="two"), deployment_id="dep-a", name=original.name)
        kit.expect(Conflict, "create_server_group", intruder)
        rival = kit.request(original.metadata.moniker, deployment_id="dep-b")
        kit.expect(Conflict, "create_server_group", rival)
        kept = kit.call("read_metadata", kit.region, original.name)
        assert kept == original.metadata, "a refused create must leave the existing group as is"

    def test_get_missing_is_not_found(self, conformance: ConformanceKit) -> None:
        kit = conformance
        missing = kit.target.naming.server_group_name(kit.moniker(stack="missing"))
        kit.expect(NotFound, "get_server_group", kit.region, missing)

    def test_errors_are_provider_errors(self, conformance: ConformanceKit) -> None:
        """Operations on what does not exist fail with cloudrig errors (NotFound for reads)."""
        kit = conformance
        missing = kit.target.naming.server_group_name(kit.moniker(stack="nothing"))
        for operation in ("get_health", "read_metadata"):
            kit.expect(NotFound, operation, kit.region, missing)
        for operation in ("enable_server_group", "disable_server_group"):
            kit.expect(ProviderError, operation, kit.region, missing)
        if kit.target.capabilities.resizable:
            kit.expect(ProviderError, "resize_server_group", kit.region, missing, Capacity.fixed(1))
        if kit.target.capabilities.splits_traffic:
            kit.expect(ProviderError, "get_traffic_weights", kit.region, [missing])
            weights = TrafficWeights(weights={missing: 100})
            kit.expect(ProviderError, "set_traffic_weights", kit.region, weights)
        if kit.target.capabilities.efficient_wait:
            kit.expect(
                ProviderError, "wait_for_health", kit.region, missing, healthy=1, timeout=1.0
            )
        kit.expect(NotFound, "get_load_balancer", kit.region, f"{kit.app}-nolb")
        kit.expect(NotFound, "get_security_group", kit.region, f"{kit.app}-nosg")

    @pytest.mark.parametrize("parts", list(EXOTIC_MONIKERS.values()), ids=list(EXOTIC_MONIKERS))
    def test_metadata_round_trip(
        self, conformance: ConformanceKit, parts: tuple[str, str, str]
    ) -> None:
        """The exact moniker and deployment id come back from the cloud, whatever the name."""
        kit = conformance
        app, stack, detail = parts
        moniker = kit.moniker(app=f"{app}{kit.token}", stack=stack, detail=detail, sequence=7)
        request = kit.request(moniker, deployment_id=f"dep-{kit.token}", capacity=Capacity.fixed(0))
        kit.create(request)
        metadata = kit.call("read_metadata", kit.region, request.name)
        kit.equal("read_metadata", metadata, request.metadata)
        group = kit.get(request.name)
        kit.equal("get_server_group's moniker", group.moniker, moniker)
        kit.equal("get_server_group's deployment id", group.deployment_id, f"dep-{kit.token}")
        listed = kit.call("list_server_groups", moniker.app, kit.region)
        assert [g.moniker for g in listed] == [moniker], "list must find it by its original app"

    def test_names_follow_policy(self, conformance: ConformanceKit) -> None:
        """The declared policy maps any moniker to a name the cloud accepts and keeps."""
        kit = conformance
        for label, (app, stack, detail) in EXOTIC_MONIKERS.items():
            moniker = kit.moniker(app=f"{app}{kit.token}", stack=stack, detail=detail)
            request = kit.request(moniker, capacity=Capacity.fixed(0))
            problem = name_problem(kit.target.naming, request.name)
            if problem:
                kit.fail(f"policy name {request.name!r} for {label} is invalid: {problem}")
            group = kit.create(request)
            assert group.name == request.name, f"{label}: the cloud renamed the group"

    def test_resize(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="resize"), capacity=Capacity.fixed(1))
        kit.create(request)
        if not kit.target.capabilities.resizable:
            kit.expect(
                NotSupported, "resize_server_group", kit.region, request.name, kit.capacity(2)
            )
            return
        for capacity in (Capacity(min=1, desired=3, max=4), Capacity.fixed(1)):
            kit.call("resize_server_group", kit.region, request.name, capacity)
            kit.equal("capacity after resize", kit.get(request.name).capacity, capacity)
            kit.wait_for(
                f"{request.name} runs {capacity.desired} instance(s)",
                lambda: kit.get(request.name),
                lambda g, n=capacity.desired: len(g.instances) == n,  # type: ignore[misc]
            )

    def test_disable_and_enable(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="toggle"))
        kit.create(request)
        kit.wait_healthy(request.name, request.spec.capacity.desired)
        kit.call("disable_server_group", kit.region, request.name)
        assert not kit.get(request.name).enabled, "disabled groups must report enabled=False"
        kit.call("disable_server_group", kit.region, request.name)  # idempotent
        kit.call("enable_server_group", kit.region, request.name)
        assert kit.get(request.name).enabled, "enabled groups must report enabled=True"
        kit.wait_healthy(request.name, request.spec.capacity.desired)

    def test_disable_keeps_instances(self, conformance: ConformanceKit) -> None:
        kit = conformance
        if not kit.target.capabilities.disable_keeps_instances:
            pytest.skip("the provider declares that disable does not keep instances")
        request = kit.request(kit.moniker(stack="warm"))
        kit.create(request)
        before = kit.wait_healthy(request.name, request.spec.capacity.desired)
        kit.call("disable_server_group", kit.region, request.name)
        for _ in range(2):
            after = kit.get(request.name)
            kept = {i.id for i in after.instances}
            missing = {i.id for i in before.instances} - kept
            if missing:
                kit.fail(f"disable terminated instances {sorted(missing)}")
            kit.target.settle()

    def test_destroy_is_idempotent(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="gone"))
        kit.create(request)
        kit.call("destroy_server_group", kit.region, request.name)
        kit.wait_gone(request.name, "get_server_group", kit.region, request.name)
        kit.call("destroy_server_group", kit.region, request.name)  # already gone: success

    def test_health_details(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="health"))
        kit.create(request)
        group = kit.wait_healthy(request.name, request.spec.capacity.desired)
        _check_health(kit, group)
        health = kit.call("get_health", kit.region, request.name)
        assert {i.id for i in health} == {i.id for i in group.instances}, (
            "get_health must report the instances of the group"
        )

    def test_wait_for_health(self, conformance: ConformanceKit) -> None:
        kit = conformance
        request = kit.request(kit.moniker(stack="wait"))
        kit.create(request)
        desired = request.spec.capacity.desired
        if not kit.target.capabilities.efficient_wait:
            kit.expect(
                NotSupported, "wait_for_health", kit.region, request.name, healthy=1, timeout=1.0
            )
            return
        kit.wait_healthy(request.name, desired)
        group = kit.call("wait_for_health", kit.region, request.name, healthy=desired, timeout=5.0)
        kit.equal("healthy instances after wait_for_health", min(group.healthy, desired), desired)
        started = time.monotonic()
        short = kit.call(
            "wait_for_health", kit.region, request.name, healthy=desired + 1, timeout=1.0
        )
        kit.equal("the group wait_for_health returns at its deadline", short.name, request.name)
        assert time.monotonic() - started < 1.0 + kit.target.timeout, "the wait ignored its timeout"

    # -- traffic -----------------------------------------------------------------------------------
    def test_traffic_weights(self, conformance: ConformanceKit) -> None:
        """Weights between two groups of a cluster behind a load balancer round-trip (exactly
        for EXACT, within 10 points for APPROXIMATE); without a split, NotSupported."""
        kit = conformance
        caps = kit.target.capabilities
        # Behind a load balancer, as on real clouds where the weights live there (ALB forward
        # action, Lambda alias, GCP backend service).
        lbs = (kit.load_balancer("split"),) if caps.splits_traffic else ()
        first, second = (
            kit.create(kit.request(kit.moniker(stack="split", sequence=n), load_balancers=lbs))
            for n in (1, 2)
        )
        names = [first.name, second.name]
        if not caps.splits_traffic:
            weights = TrafficWeights(weights={first.name: 50, second.name: 50})
            kit.expect(NotSupported, "set_traffic_weights", kit.region, weights)
            kit.expect(NotSupported, "get_traffic_weights", kit.region, names)
            return
        for share in (80, 10):
            wanted = {first.name: share, second.name: 100 - share}
            kit.call("set_traffic_weights", kit.region, TrafficWeights(weights=wanted))
            got = dict(kit.call("get_traffic_weights", kit.region, names).weights)
            if caps.traffic_split == "exact":
                assert got == wanted, f"exact split: set {wanted}, read back {got}"
            else:
                assert set(got) == set(wanted), f"set {wanted}, read back {got}"
                assert all(abs(got[n] - wanted[n]) <= 10 for n in got), f"{wanted} vs {got}"

    # -- load balancers and security groups --------------------------------------------------------
    def test_load_balancer_lifecycle(self, conformance: ConformanceKit) -> None:
        kit = conformance
        name = f"{kit.app}-lb"
        first = kit.upsert_load_balancer(name)
        again = kit.upsert_load_balancer(name)  # an upsert of what exists updates it in place
        assert first.name == again.name == name, f"upserts returned {first.name}, {again.name}"
        kit.equal("load balancer region", first.region, kit.region)
        assert kit.call("get_load_balancer", kit.region, name).name == name
        listed = [lb.name for lb in kit.call("list_load_balancers", kit.region)]
        assert listed.count(name) == 1, f"an upsert twice must leave one load balancer: {listed}"
        kit.call("delete_load_balancer", kit.region, name)
        kit.wait_gone(name, "get_load_balancer", kit.region, name)
        kit.call("delete_load_balancer", kit.region, name)  # already gone: success

    def test_security_group_lifecycle(self, conformance: ConformanceKit) -> None:
        kit = conformance
        name = f"{kit.app}-sg"
        rule = IngressRule(from_port=443, to_port=443, cidrs=("10.0.0.0/8",))
        spec = SecurityGroupSpec(
            name=name,
            account=kit.provider.context.account,
            region=kit.region,
            description="cloudrig conformance",
            ingress=(rule,),
            settings=dict(kit.target.security_group_settings),
        )
        settings = kit._validate(kit.target.descriptor.security_group_settings, spec.settings)
        kit.track_security_group(name)
        first: SecurityGroup = kit.call("upsert_security_group", spec, settings)
        again: SecurityGroup = kit.call("upsert_security_group", spec, settings)
        assert first.id == again.id, "an upsert of an existing security group must keep it"
        got: SecurityGroup = kit.call("get_security_group", kit.region, name)
        kit.equal("get_security_group (name, id)", (got.name, got.id), (name, first.id))
        assert any(
            r.from_port <= 443 <= r.to_port and "10.0.0.0/8" in r.cidrs for r in got.ingress
        ), f"the ingress rule must be stored, got {got.ingress}"
        listed = [sg.name for sg in kit.call("list_security_groups", kit.region)]
        assert listed.count(name) == 1, f"an upsert twice must leave one security group: {listed}"
        kit.call("delete_security_group", kit.region, name)
        kit.wait_gone(name, "get_security_group", kit.region, name)
        kit.call("delete_security_group", kit.region, name)


def _check_health(kit: ConformanceKit, group: ServerGroup) -> None:
    """Per-source details on every instance, and an aggregate that follows from them."""
    kit.equal("counts.total", group.counts.total, len(group.instances))
    for instance in group.instances:
        sources = [d.source for d in instance.details]
        if not sources or not all(sources) or len(set(sources)) != len(sources):
            kit.fail(f"instance {instance.id} needs one health detail per named source: {sources}")
        expected = aggregate_health(instance.details)
        kit.equal(f"health of {instance.id} aggregated over its details", instance.health, expected)
    up = [i for i in group.instances if i.health is HealthState.UP]
    kit.equal("healthy count", group.healthy, len(up))
