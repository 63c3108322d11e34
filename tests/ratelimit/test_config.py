"""The ``limits`` section: budgets from configuration, buckets keyed by the cloud's identity."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import cloudrig
from cloudrig.ratelimit import CallClass, Limit, Limiter, LimitsConfig, Rule, resolve_bucket


def test_burst_defaults_to_one_never_to_the_rate() -> None:
    limit = LimitsConfig.model_validate({"read": {"rate": 50}}).read
    assert limit == Limit(rate=50, burst=1)
    rule = Rule.model_validate({"service": "ec2", "rate": 100})
    assert rule.burst == 1


def test_most_specific_rule_wins_and_only_api_rules_split_buckets() -> None:
    config = LimitsConfig(
        rules=(
            Rule(cloud="aws", rate=30, burst=3),
            Rule(cloud="aws", service="ec2", call_class=CallClass.READ, rate=20, burst=5),
            Rule(cloud="aws", service="ec2", api="DescribeInstances", rate=40, burst=10),
        )
    )
    where = {"cloud": "aws", "identity": "123456789012", "region": "us-east-1"}
    describe = resolve_bucket(
        config, service="ec2", call_class=CallClass.READ, api="DescribeInstances", **where
    )
    other_read = resolve_bucket(
        config, service="ec2", call_class=CallClass.READ, api="DescribeImages", **where
    )
    mutate = resolve_bucket(
        config, service="ec2", call_class=CallClass.MUTATE, api="RunInstances", **where
    )
    assert describe.limit == Limit(rate=40, burst=10)
    assert describe.name == "aws/123456789012/ec2/us-east-1/read/DescribeInstances"
    assert other_read.limit == Limit(rate=20, burst=5)
    assert other_read.name == "aws/123456789012/ec2/us-east-1/read"
    assert mutate.limit == Limit(rate=30, burst=3)
    assert mutate.name == "aws/123456789012/ec2/us-east-1/mutate"


def test_defaults_per_call_class_when_no_rule_matches() -> None:
    config = LimitsConfig(read=Limit(rate=7), mutate=Limit(rate=1, burst=2))
    args = {
        "cloud": "gcp",
        "identity": "my-project",
        "service": "compute",
        "region": "europe-west1",
    }
    assert resolve_bucket(config, call_class=CallClass.READ, **args).limit == Limit(rate=7)
    assert resolve_bucket(config, call_class=CallClass.MUTATE, **args).limit == Limit(
        rate=1, burst=2
    )


def test_accounts_on_one_cloud_identity_share_one_bucket() -> None:
    """EC2, ECS and Lambda accounts on one AWS account spend one budget per service and region;
    the cloudrig account name is not part of the key."""
    limiter = Limiter()
    ec2_a = limiter.gate(cloud="aws", identity="123456789012", classify=lambda _: "ok")
    ec2_b = limiter.gate(cloud="aws", identity="123456789012", classify=lambda _: "ok")
    other = limiter.gate(cloud="aws", identity="210987654321", classify=lambda _: "ok")
    call = cloudrig.ratelimit.Call("ec2", "DescribeInstances", "us-east-1", CallClass.READ)
    assert ec2_a.bucket(call) == ec2_b.bucket(call)
    assert other.bucket(call).name != ec2_a.bucket(call).name


def test_bucket_names_cannot_break_the_hash_tag() -> None:
    bucket = resolve_bucket(
        LimitsConfig(),
        cloud="kubernetes",
        identity="https://10.0.0.1:6443/{x}",
        service="apps",
        region="default",
        call_class=CallClass.READ,
    )
    assert "{" not in bucket.name
    assert "}" not in bucket.name
    assert bucket.name.count("/") == 4


def test_connect_validates_the_limits_section_naming_the_field() -> None:
    with pytest.raises(cloudrig.ConfigError) as info:
        cloudrig.connect(
            {"limits": {"read": {"rate": 0}, "fallback": "sideways"}}, entry_points=False
        )
    text = str(info.value)
    assert "limits, field 'read.rate'" in text
    assert "limits, field 'fallback'" in text


def test_connect_builds_one_limiter_from_the_section() -> None:
    rig = cloudrig.connect({"limits": {"mutate": {"rate": 3, "burst": 2}}}, entry_points=False)
    assert rig.limiter.config.mutate == Limit(rate=3, burst=2)
    assert rig.limiter.config.backend == "local"


def test_redis_backend_needs_a_url_and_no_password_in_it() -> None:
    with pytest.raises(ValidationError, match="needs a 'redis' section"):
        LimitsConfig.model_validate({"backend": "redis"})
    with pytest.raises(ValidationError, match="not the URL"):
        LimitsConfig.model_validate(
            {"backend": "redis", "redis": {"url": "redis://:hunter2@10.0.0.5:6379/0"}}
        )


def test_unknown_fields_are_errors() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        LimitsConfig.model_validate({"read": {"rate": 1, "bursts": 4}})
