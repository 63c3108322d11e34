"""Issue 15, item 4: ``deploy --dry-run`` is a diff — the new group's name and capacity, each group
disabled, resized or destroyed, traffic before → after, the load balancers and security groups it
would create — after checking every reference, and it sends no mutating request (counted in the
reference cloud's own history) and writes no record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli.clirun import reference_cli, reference_config, reference_spec

from cloudrig.provider import MUTATING
from cloudrig.testing import ReferenceCloud

CLOUD = "cli-dry-run"
RETAIN = "{name: red-black, max_remaining: 2, scale_down_after: 0s}"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path, reference_config(tmp_path, CLOUD)


def cli(config: Path, *args: str) -> Any:
    return reference_cli(config, *args)


def spec(tmp: Path, artifact: str, strategy: str = RETAIN, extra: str = "") -> Path:
    return reference_spec(tmp, artifact, strategy, extra)


def mutations() -> int:
    return len([e for e in ReferenceCloud.get(CLOUD).calls() if e.operation in MUTATING])


def recorded(config: Path) -> int:
    return len(json.loads(cli(config, "deployments", "--all", "--json").output)["deployments"])


def groups() -> dict[str, tuple[bool, int]]:
    cloud = ReferenceCloud.get(CLOUD)
    return {name: (g.enabled, g.capacity.desired) for (_, name), g in cloud.groups.items()}


def test_a_dry_run_prints_the_changes_and_sends_no_mutation(files: tuple[Path, Path]) -> None:
    tmp, config = files
    for artifact in ("img-0", "img-1"):
        assert cli(config, "deploy", str(spec(tmp, artifact))).exit_code == 0
    before, records, state = mutations(), recorded(config), groups()
    result = cli(config, "deploy", str(spec(tmp, "img-2")), "--dry-run")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert "+ create shop-prod-v003 (new, img-2, capacity 1/2/4)" in lines
    assert "- shop-prod-v002 out of traffic (weight 0)" in lines
    assert "~ scale down shop-prod-v002 to 0/0/4" in lines
    assert "- destroy shop-prod-v001" in lines
    assert "traffic: shop-prod-v002 100% → shop-prod-v003 100%" in lines
    assert "dry run: nothing was changed" in lines
    assert mutations() == before
    assert recorded(config) == records
    assert groups() == state


def test_the_diff_of_a_rolling_deployment_shows_each_traffic_step(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    before = mutations()
    rolling = "{name: rolling-red-black, steps: [20, 100], approvals: [shift-100]}"
    result = cli(config, "deploy", str(spec(tmp, "img-1", rolling)), "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "shop-prod-v001 80%" in out
    assert "shop-prod-v002 20%" in out
    assert "[waits for approval: cloudrig promote]" in out
    assert "traffic: shop-prod-v001 100% → shop-prod-v002 100%" in out
    assert mutations() == before


def test_a_missing_load_balancer_is_named_and_nothing_is_changed(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    missing = spec(tmp, "img-0", extra="load_balancers: [web]")
    for args in (["--dry-run"], []):
        result = cli(config, "deploy", str(missing), *args)
        assert result.exit_code == 1, result.output
        assert "web" in result.output
        assert "load balancer" in result.output
    assert mutations() == 0
    assert groups() == {}
    assert recorded(config) == 0


def test_declared_load_balancers_are_in_the_diff_then_created_by_the_deploy(
    files: tuple[Path, Path],
) -> None:
    tmp, config = files
    declared = spec(tmp, "img-0", extra="load_balancers: [{name: web}]")
    result = cli(config, "deploy", str(declared), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+ create load balancer web" in result.output
    assert "+ create shop-prod-v001 (new, img-0, capacity 1/2/4)" in result.output
    assert mutations() == 0
    deployed = cli(config, "deploy", str(declared))
    assert deployed.exit_code == 0, deployed.output
    assert "+ created load balancer web" in deployed.output
    assert ("reference-1", "web") in ReferenceCloud.get(CLOUD).load_balancers
    again = cli(config, "deploy", str(spec(tmp, "img-1", extra="load_balancers: [{name: web}]")))
    assert (
        "= unchanged load balancer web"
        in cli(
            config,
            "deploy",
            str(spec(tmp, "img-2", extra="load_balancers: [{name: web}]")),
            "--dry-run",
        ).output
    )
    assert again.exit_code == 0, again.output


def test_a_canary_diff_does_not_guess_the_analysis(files: tuple[Path, Path]) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    before = mutations()
    canary = (
        "{name: canary, traffic_percent: 10, intervals: 2, interval: 5m, "
        "metrics: [{name: latency_ms}]}"
    )
    result = cli(config, "deploy", str(spec(tmp, "img-1", canary)), "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("· judged on live metrics when it runs (not previewed)") == 2
    assert "[waits for approval if the analysis asks for it: cloudrig promote]" in out
    assert "(canary, img-1, capacity 1/1/1)" in out
    assert "(baseline, img-0, capacity 1/1/1)" in out
    assert mutations() == before
