"""Canary on the reference provider: baseline beside the canary where possible, analysis by the
built-in judge, pass promotes, fail rolls back, inconclusive and no data wait for a human."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategies.invariants import Checker
from strategies.world import World

from cloudrig import InvalidSpec
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus, EventKind
from cloudrig.strategies import Canary, RedBlack

METRICS = (MetricSpec(name="latency", critical=True), MetricSpec(name="errors"))


def canary(**kw: object) -> Canary:
    return Canary(metrics=METRICS, intervals=2, interval="1m", **kw)  # type: ignore[arg-type]


@pytest.fixture
def serving(world: World) -> World:
    world.desired = 10
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    return world


def test_pass_promotes_with_a_fresh_baseline(serving: World) -> None:
    w = serving
    checker = Checker(w, service_size=10)
    deployment = w.main.deploy(w.spec("img-1"), canary())
    assert deployment.status is DeploymentStatus.SUCCEEDED
    checker.final(deployment.record, roles=2)  # type: ignore[arg-type]
    creates = {
        e.args["name"]: e.args["capacity"].desired for e in w.cloud.calls("create_server_group")[1:]
    }
    baseline, new = (
        deployment.record.state.names["baseline"],
        deployment.record.state.names["canary"],
    )  # type: ignore[union-attr]
    assert creates == {baseline: 1, new: 1}  # equal, small
    assert w.groups()[new].capacity.desired == 10
    assert baseline not in w.groups()  # the baseline is gone after promotion
    assert [g.artifact for g in w.groups().values() if g.enabled] == ["img-1"]
    first = dict(w.cloud.calls("set_traffic_weights")[0].args["weights"].weights)
    assert first == {new: 10, baseline: 10, "shop-prod-v001": 80}
    analyses = [e for e in deployment.events() if e.kind is EventKind.ANALYSIS]
    assert [a.data["outcome"] for a in analyses] == ["pass", "pass"]
    assert w.metrics.calls == 2


def test_regression_fails_and_rolls_back(serving: World) -> None:
    w = serving
    w.metrics.regression = 0.5  # the canary is 50% slower
    checker = Checker(w, service_size=10)
    deployment = w.main.deploy(w.spec("img-1"), canary())
    assert deployment.status is DeploymentStatus.FAILED
    assert "AnalysisFailed" in (deployment.error or "")
    assert w.metrics.calls == 1  # stopped at the first failing interval
    checker.final(deployment.record, roles=2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "status"),
    [
        ("inconclusive", DeploymentStatus.AWAITING_APPROVAL),
        ("fail", DeploymentStatus.FAILED),
        ("pass", DeploymentStatus.SUCCEEDED),
    ],
)
def test_metric_outage_follows_the_no_data_policy(
    serving: World, policy: str, status: DeploymentStatus
) -> None:
    w = serving
    w.metrics.outage = True
    deployment = w.main.deploy(w.spec("img-1"), canary(no_data=policy))
    assert deployment.status is status
    new = deployment.record.state.names["canary"]  # type: ignore[union-attr]
    if status is DeploymentStatus.AWAITING_APPROVAL:  # invariant 9: not promoted meanwhile
        assert w.groups()[new].capacity.desired == 1
        assert w.groups()["shop-prod-v001"].enabled
        assert [e.kind for e in deployment.events()][-1] is EventKind.APPROVAL_NEEDED


def test_inconclusive_waits_for_approval_then_promote(serving: World) -> None:
    w = serving
    w.metrics.regression = 0.5
    # errors (weight 3) pass within a wide band, latency (weight 1) fails: score 75 = marginal
    metrics = (
        MetricSpec(name="latency", weight=1),
        MetricSpec(name="errors", weight=3, tolerance=1.0),
    )
    deployment = w.main.deploy(w.spec("img-1"), Canary(metrics=metrics, intervals=1))
    assert deployment.status is DeploymentStatus.AWAITING_APPROVAL
    promoted = w.rig().promote(deployment.id)  # type: ignore[arg-type]
    assert promoted.status is DeploymentStatus.SUCCEEDED
    assert [e.kind for e in promoted.events()][:2] == [EventKind.RESUMED, EventKind.APPROVED]


def test_without_a_baseline_slot_the_production_group_is_the_baseline(tmp_path: Path) -> None:
    w = World(tmp_path, provider="ref-lambda", desired=2)
    try:
        w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
        deployment = w.main.deploy(w.spec("img-1"), canary())
        assert deployment.status is DeploymentStatus.SUCCEEDED
        assert len(w.cloud.calls("create_server_group")) == 2  # no baseline group
        weights = [dict(e.args["weights"].weights) for e in w.cloud.calls("set_traffic_weights")]
        assert weights[0] == {"shop-prod-v002": 10, "shop-prod-v001": 90}
    finally:
        w.close()


def test_a_provider_with_too_few_weighted_groups_is_refused(tmp_path: Path) -> None:
    from cloudrig.provider import Capabilities
    from cloudrig.strategies import Canary as C

    caps = Capabilities(traffic_split="exact", max_weighted_groups=2, baseline_beside_canary=True)
    with pytest.raises(InvalidSpec, match="3 weighted groups"):
        C(metrics=METRICS).check(caps, None)


def test_a_judge_from_a_plugin_replaces_the_builtin(serving: World) -> None:
    from cloudrig.canary import Analysis, JudgeRequest, Outcome
    from cloudrig.provider import hookimpl

    class Pessimist:
        def judge(self, request: JudgeRequest) -> Analysis:
            return Analysis(outcome=Outcome.FAIL, score=0, results=(), reason="never")

    class Plugin:
        @hookimpl
        def cloudrig_canary_judge(self, name: str) -> object:
            return Pessimist() if name == "pessimist" else None

    w = serving
    w.main.registry.add(Plugin())
    deployment = w.main.deploy(w.spec("img-1"), canary(judge="pessimist"))
    assert deployment.status is DeploymentStatus.FAILED
    assert "never" in (deployment.error or "")
    assert [g.artifact for g in w.groups().values() if g.enabled] == ["img-0"]
