"""Canary analysis on a real Prometheus (``cloudrig-prometheus``), end to end.

A real ``prometheus`` scrapes, every second, an application exposing one latency metric for every
server group of the reference cloud, labelled with the group's name; what a group reports depends
on the artifact it runs — as a real application's metrics depend on its version. The canary
strategy then asks the configured source for the canary's and the baseline's samples over a real
interval and the built-in judge decides: a clearly worse canary fails (rolled back, the report
naming the metric), an equal or clearly better one passes (promoted), a noisy one with the same
median passes, and a silent one (no samples) waits for a human under the "inconclusive" policy.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

import cloudrig
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus, EventKind
from cloudrig.strategies import Canary, Highlander
from cloudrig.testing import ReferenceCloud
from support.prometheus import AppMetrics, PrometheusServer

CLOUD = "canary-prometheus"
REGION = "reference-1"
BASELINE = "app:1"
LATENCY = 'latency_seconds{server_group="$server_group"}'

_scrapes: dict[str, itertools.count[int]] = {}


def _value(group: str, artifact: str) -> float | None:
    """What a group running ``artifact`` reports at its n-th scrape (``None``: nothing)."""
    n = next(_scrapes.setdefault(group, itertools.count()))
    behaviour, _, _ = artifact.partition(":")
    return {
        "app": 100.0 + n % 3,
        "worse": 200.0 + n % 3,
        "equal": 100.0 + (n + 1) % 3,
        "better": 50.0 + n % 3,
        "noisy": 100.0 + (60.0 if n % 2 else -60.0),
        "silent": None,
    }[behaviour]


def _render() -> str:
    lines = ["# TYPE latency_seconds gauge"]
    for group in list(ReferenceCloud.get(CLOUD).groups.values()):
        value = _value(group.name, group.artifact)
        if value is not None:
            lines.append(f'latency_seconds{{server_group="{group.name}"}} {value}')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def rig(prometheus: PrometheusServer, app_metrics: AppMetrics, tmp_path_factory: pytest.TempPathFactory) -> Iterator[cloudrig.Rig]:  # fmt: skip
    app_metrics.render = _render
    config = {
        "accounts": {"ref": {"provider": "reference", "regions": [REGION], "cloud": CLOUD}},
        "metric_sources": {"prom": {"source": "prometheus", "url": prometheus.url,
                                    "step_seconds": 1}},
        "deployments": {"path": str(tmp_path_factory.mktemp("state") / "state.sqlite3")},
    }  # fmt: skip
    with cloudrig.connect(config, plugins=["cloudrig.testing.reference"]) as rig:
        rig.account("ref").upsert_load_balancer(
            LoadBalancerSpec(name="web", account="ref", region=REGION)
        )
        yield rig
    ReferenceCloud.reset(CLOUD)
    app_metrics.render = lambda: ""


def spec(app: str, artifact: str) -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app=app),
        account="ref",
        region=REGION,
        artifact=artifact,
        capacity=Capacity(min=1, desired=2, max=4),
        load_balancers=("web",),
        settings={"boot_seconds": 0},
    )


def canary() -> Canary:
    latency = MetricSpec(name="latency", source="prom", query=LATENCY, critical=True)
    return Canary(metrics=(latency,), intervals=1, interval=4.0, traffic_percent=20)


@pytest.mark.parametrize(
    ("behaviour", "status", "outcome"),
    [
        ("worse", DeploymentStatus.FAILED, "fail"),
        ("equal", DeploymentStatus.SUCCEEDED, "pass"),
        ("better", DeploymentStatus.SUCCEEDED, "pass"),
        ("noisy", DeploymentStatus.SUCCEEDED, "pass"),
        ("silent", DeploymentStatus.AWAITING_APPROVAL, "marginal"),
    ],
)
def test_the_canary_is_judged_on_prometheus_samples(
    rig: cloudrig.Rig, behaviour: str, status: DeploymentStatus, outcome: str
) -> None:
    app = f"svc{behaviour}"
    rig.deploy(spec(app, BASELINE), Highlander()).raise_for_status()
    deployment = rig.deploy(spec(app, f"{behaviour}:2"), canary())
    assert deployment.status is status, deployment.record.error
    analyses = [e for e in deployment.events() if e.kind is EventKind.ANALYSIS]
    assert [a.data["outcome"] for a in analyses] == [outcome]
    assert [r["metric"] for r in analyses[0].data["results"]] == ["latency"]  # events carry it
    results = deployment.record.state.analyses[0]["results"]
    assert [r["metric"] for r in results] == ["latency"]
    (latency,) = results
    if behaviour == "worse":
        assert latency["classification"] == "high"
        assert latency["failed"]
        assert "latency" in deployment.record.error  # the report names the failing metric
    elif behaviour == "silent":
        assert latency["classification"] == "nodata"
        assert rig.promote(deployment.id, approve=False).status is DeploymentStatus.ROLLED_BACK
    else:
        assert not latency["failed"]
    enabled = [g.artifact for g in rig.cluster("ref", Moniker(app=app)).server_groups if g.enabled]
    expected = [BASELINE] if status is not DeploymentStatus.SUCCEEDED else [f"{behaviour}:2"]
    assert enabled == expected


def test_doctor_checks_a_configured_source_with_one_request(
    prometheus: PrometheusServer, tmp_path: Path
) -> None:
    from cli.clirun import invoke, write

    reachable = write(tmp_path, f"""
accounts: {{}}
metric_sources:
  prom: {{source: prometheus, url: "{prometheus.url}"}}
  gone: {{source: prometheus, url: "http://127.0.0.1:9", timeout_seconds: 1}}
""")  # fmt: skip
    result = invoke(["doctor", "--config", str(reachable), "--accounts"])
    assert "✓ metric source 'prom' (prometheus): Prometheus 2." in result.output
    assert "✗ metric source 'gone' (prometheus): PrometheusError: no answer from" in result.output
    assert result.exit_code == 1  # a problem was found


def test_a_source_that_is_not_installed_is_one_clear_configuration_error() -> None:
    with pytest.raises(cloudrig.ConfigError, match=r"metric source 'm', field 'source'.*'datadog' is not an installed metric source \(installed: cloudwatch, prometheus\)"):  # fmt: skip
        cloudrig.connect({"accounts": {}, "metric_sources": {"m": {"source": "datadog"}}})
    with pytest.raises(cloudrig.ConfigError, match=r"metric source 'p'.*step_seconds"):
        cloudrig.connect({"metric_sources": {"p": {"source": "prometheus", "url": "http://x",
                                                   "step_seconds": 0}}})  # fmt: skip
