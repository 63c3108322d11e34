"""``cloudrig apply SPEC``: the load balancers and security groups a spec file declares are created
(or brought to the file) and nothing else; checked from moto's own state, over boto3.

Applying twice changes nothing and sends no mutating request the second time; ``--dry-run`` only
reads; a name neither declared nor existing is one error and nothing is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .clirun import invoke, write

pytestmark = pytest.mark.moto

KEY_ENV, SECRET_ENV = "CLOUDRIG_TEST_APPLY_KEY", "CLOUDRIG_TEST_APPLY_SECRET"
READS = ("Describe", "List", "Get")

CONFIG = """\
accounts:
  aws-prod:
    provider: aws
    regions: [us-east-1]
    endpoint_url: {url}
    account_id: "123456789012"
    access_key_id: env:{key}
    secret_access_key: env:{secret}
limits: {{read: {{rate: 500, burst: 50}}, mutate: {{rate: 500, burst: 50}}}}
deployments: {{path: {state}}}
"""

SPEC = """\
account: aws-prod
region: us-east-1
cluster: {{app: checkout, stack: prod}}
artifact: ami-0abc1234
capacity: {{min: 1, desired: 1, max: 2}}
load_balancers:
  - name: checkout-prod
    port: 80
    health_check: {{path: /ready, interval_seconds: 15}}
security_groups:
  - name: checkout
    description: checkout web servers
    ingress:
      - {{from_port: {port}, to_port: {port}, cidrs: [10.0.0.0/8], source_groups: [checkout-lb]}}
  - name: checkout-lb
    ingress: [{{from_port: 80, to_port: 80, cidrs: [0.0.0.0/0]}}]
"""


@pytest.fixture
def files(tmp_path: Path, moto_aws: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, "testing")
    config = write(
        tmp_path,
        CONFIG.format(
            url=moto_aws.url, key=KEY_ENV, secret=SECRET_ENV, state=tmp_path / "d.sqlite3"
        ),
    )
    return config, write(tmp_path, SPEC.format(port=8080), "checkout.yaml")


def apply(config: Path, spec: Path, *flags: str) -> list[str]:
    result = invoke(["apply", str(spec), "--config", str(config), *flags])
    assert result.exit_code == 0, result.output
    return [line.strip() for line in result.output.splitlines()]


def groups(moto: Any) -> dict[str, dict[str, Any]]:
    found = moto.client("ec2").describe_security_groups()["SecurityGroups"]
    return {g["GroupName"]: g for g in found if g["GroupName"] != "default"}


def permissions(group: dict[str, Any], ids: dict[str, str]) -> set[tuple[Any, ...]]:
    """(protocol, from, to, source) with source groups by name."""
    out: set[tuple[Any, ...]] = set()
    for p in group["IpPermissions"]:
        key = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"))
        out |= {(*key, r["CidrIp"]) for r in p.get("IpRanges", [])}
        out |= {(*key, ids[g["GroupId"]]) for g in p.get("UserIdGroupPairs", [])}
    return out


def mutations(moto: Any) -> list[str]:
    return [r.label for r in moto.requests() if not r.label.startswith(READS)]


def test_apply_creates_what_the_file_declares_then_changes_nothing(
    files: tuple[Path, Path], moto_aws: Any
) -> None:
    config, spec = files
    out = apply(config, spec)
    assert "security group checkout: create" in out
    assert "security group checkout-lb: create" in out
    assert "load balancer checkout-prod: create" in out
    assert out[-1] == "applied: 3 create"

    found = groups(moto_aws)
    assert set(found) == {"checkout", "checkout-lb"}
    ids = {g["GroupId"]: name for name, g in found.items()}
    assert found["checkout"]["Description"] == "checkout web servers"
    assert permissions(found["checkout"], ids) == {
        ("tcp", 8080, 8080, "10.0.0.0/8"),
        ("tcp", 8080, 8080, "checkout-lb"),
    }
    assert permissions(found["checkout-lb"], ids) == {("tcp", 80, 80, "0.0.0.0/0")}
    elb = moto_aws.client("elbv2")
    lb = elb.describe_load_balancers(Names=["checkout-prod"])["LoadBalancers"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert [(x["Port"], x["Protocol"]) for x in listeners] == [(80, "HTTP")]
    tg = elb.describe_target_groups(Names=["checkout-prod"])["TargetGroups"][0]
    assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"]) == ("/ready", 15)
    # apply deploys nothing: no server group, no launch template
    assert moto_aws.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []

    moto_aws.clear_requests()
    again = apply(config, spec)
    assert again[-1] == "applied: 3 unchanged", again
    assert mutations(moto_aws) == [], "a second apply sends no mutating request"
    assert groups(moto_aws).keys() == found.keys()
    assert len(elb.describe_load_balancers()["LoadBalancers"]) == 1


def test_dry_run_reads_only_and_an_edit_is_an_update(
    files: tuple[Path, Path], moto_aws: Any, tmp_path: Path
) -> None:
    config, spec = files
    out = apply(config, spec, "--dry-run")
    assert "load balancer checkout-prod: create" in out
    assert out[-1] == "dry run: 3 create; nothing was changed"
    assert mutations(moto_aws) == []
    assert groups(moto_aws) == {}

    apply(config, spec)
    edited = write(tmp_path, SPEC.format(port=8443), "checkout.yaml")
    moto_aws.clear_requests()
    out = apply(config, edited, "--dry-run")
    assert (
        "security group checkout: update (+ ingress tcp 8443 from 10.0.0.0/8; "
        "+ ingress tcp 8443 from group checkout-lb; - ingress tcp 8080 from 10.0.0.0/8; "
        "- ingress tcp 8080 from group checkout-lb)"
    ) in out
    assert "security group checkout-lb: unchanged" in out
    assert mutations(moto_aws) == []

    out = apply(config, edited)
    assert out[-1] == "applied: 2 unchanged, 1 update"
    found = groups(moto_aws)
    ids = {g["GroupId"]: name for name, g in found.items()}
    assert permissions(found["checkout"], ids) == {
        ("tcp", 8443, 8443, "10.0.0.0/8"),
        ("tcp", 8443, 8443, "checkout-lb"),
    }


def test_names_neither_declared_nor_existing_are_one_error_and_nothing_changes(
    files: tuple[Path, Path], moto_aws: Any, tmp_path: Path
) -> None:
    config, _ = files
    spec = write(
        tmp_path,
        SPEC.format(port=8080)
        .replace("  - name: checkout-prod\n", "  - legacy-web\n  - name: checkout-prod\n")
        .replace("source_groups: [checkout-lb]", "source_groups: [ghost]"),
        "checkout.yaml",
    )
    result = invoke(["apply", str(spec), "--config", str(config)])
    assert result.exit_code == 1
    message = result.output
    assert message.count("error:") == 1, message
    assert (
        "security group 'checkout', field 'ingress.0.source_groups': security group 'ghost' is "
        "neither declared nor exists in account 'aws-prod', region us-east-1"
    ) in message
    assert (
        "spec, field 'load_balancers': load balancer 'legacy-web' is neither declared nor exists"
    ) in message
    assert mutations(moto_aws) == []
    assert groups(moto_aws) == {}


def test_a_name_that_exists_is_checked_and_left_alone(
    files: tuple[Path, Path], moto_aws: Any, tmp_path: Path
) -> None:
    config, spec = files
    apply(config, spec)
    existing = groups(moto_aws)["checkout-lb"]["GroupId"]
    by_id = write(
        tmp_path,
        SPEC.format(port=8080).split("security_groups:")[0]
        + f"security_groups: [checkout, {existing}]\n",
        "by-id.yaml",
    )
    moto_aws.clear_requests()
    out = apply(config, by_id)
    assert "security group checkout: exists" in out
    assert f"security group {existing}: exists" in out
    assert mutations(moto_aws) == []
