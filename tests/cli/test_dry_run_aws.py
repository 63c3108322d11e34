"""``cloudrig deploy --dry-run`` on EC2 (moto over HTTP): after a real deployment, the dry run of
the next version prints its diff and moto receives only reads (``Describe``/``List``/``Get``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .clirun import invoke, write

pytestmark = pytest.mark.moto

KEY_ENV, SECRET_ENV = "CLOUDRIG_TEST_DRYRUN_KEY", "CLOUDRIG_TEST_DRYRUN_SECRET"
READS = ("Describe", "List", "Get")
CONFIG = """\
accounts:
  aws-dry:
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
account: aws-dry
region: us-east-1
cluster: {{app: dryrun, stack: prod}}
artifact: {ami}
capacity: {{min: 1, desired: 1, max: 2}}
load_balancers:
  - {{name: dryrun-prod, port: 80, health_check: {{path: /health}}}}
security_groups: [{{name: dryrun}}]
settings: {{instance_type: t3.micro}}
strategy: {{name: red-black, max_remaining: 2}}
"""


def test_a_dry_run_on_ec2_reads_only(
    tmp_path: Path, moto_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, "testing")
    config = write(
        tmp_path,
        CONFIG.format(
            url=moto_aws.url, key=KEY_ENV, secret=SECRET_ENV, state=tmp_path / "d.sqlite3"
        ),
    )
    amis = [i["ImageId"] for i in moto_aws.client("ec2").describe_images()["Images"][:2]]
    first = write(tmp_path, SPEC.format(ami=amis[0]), "v1.yaml")
    second = write(tmp_path, SPEC.format(ami=amis[1]), "v2.yaml")
    deployed = invoke(["deploy", str(first), "--config", str(config)])
    assert deployed.exit_code == 0, deployed.output

    moto_aws.clear_requests()
    result = invoke(["deploy", str(second), "--config", str(config), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert "= unchanged load balancer dryrun-prod" in lines
    assert f"+ create dryrun-prod-v002 (new, {amis[1]}, capacity 1/1/2)" in lines
    assert "- dryrun-prod-v001 out of traffic (weight 0)" in lines
    assert "traffic: dryrun-prod-v001 100% → dryrun-prod-v002 100%" in lines
    mutations = [r.label for r in moto_aws.requests() if not r.label.startswith(READS)]
    assert mutations == []
    groups = moto_aws.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert sorted(g["AutoScalingGroupName"] for g in groups) == ["dryrun-prod-v001"]
