"""The attachment API: a fake transport proves every request is admitted exactly once, retries
included, throttling slows the bucket, and reads are cached and coalesced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudrig.ratelimit import (
    AnswerClass,
    Call,
    CallClass,
    Limit,
    Limiter,
    LimitsConfig,
    RateLimited,
    RetryOptions,
    Rule,
    Verdict,
)


@dataclass
class Response:
    status: int
    body: str = ""


@dataclass
class FakeTransport:
    """A transport that answers from a script and counts what it was asked to send."""

    answers: list[int] = field(default_factory=list)
    sent: int = 0

    def send(self) -> Response:
        self.sent += 1
        status = self.answers.pop(0) if self.answers else 200
        return Response(status)


def classify(outcome: Any) -> AnswerClass:
    if isinstance(outcome, Response):
        if outcome.status == 429:
            return AnswerClass(Verdict.THROTTLED, retry_after=0.5)
        if outcome.status >= 500:
            return AnswerClass(Verdict.TRANSIENT)
        if outcome.status >= 400:
            return AnswerClass(Verdict.PERMANENT)
        return AnswerClass(Verdict.OK)
    return AnswerClass(Verdict.PERMANENT)


READ = Call("compute", "instances.list", "europe-west1", CallClass.READ)
WRITE = Call("compute", "instances.insert", "europe-west1", CallClass.MUTATE)


@pytest.fixture
def limiter(clock) -> Limiter:
    config = LimitsConfig(
        read=Limit(rate=10), mutate=Limit(rate=2), retries=RetryOptions(attempts=4)
    )
    return Limiter(config, clock=clock)


def admitted(limiter: Limiter) -> int:
    return sum(s.admitted for s in limiter.stats().values())


def test_every_attempt_is_admitted_exactly_once(limiter: Limiter) -> None:
    gate = limiter.gate(cloud="gcp", identity="my-project", classify=classify)
    transport = FakeTransport(answers=[503, 429, 200, 200])
    assert gate.send(READ, transport.send).status == 200
    assert gate.send(READ, transport.send).status == 200
    assert transport.sent == 4
    assert admitted(limiter) == transport.sent  # requests seen == requests admitted


def test_a_throttled_answer_slows_the_bucket_for_everyone(limiter: Limiter, clock) -> None:
    gate = limiter.gate(cloud="gcp", identity="my-project", classify=classify)
    transport = FakeTransport(answers=[429])
    gate.send(READ, transport.send)
    stats = limiter.stats()[gate.bucket(READ).name]
    assert stats.throttles == 1
    assert stats.factor == pytest.approx(0.5, abs=0.01)  # recovery began during the 0.5 s wait
    assert 0.5 in clock.sleeps  # waited what the cloud asked before the retry


def test_writes_are_not_repeated_unless_declared_safe(limiter: Limiter) -> None:
    gate = limiter.gate(cloud="gcp", identity="my-project", classify=classify)
    transport = FakeTransport(answers=[503])
    assert gate.send(WRITE, transport.send).status == 503
    assert transport.sent == 1
    token_write = Call("compute", "instances.insert", "europe-west1", CallClass.MUTATE, safe=True)
    transport = FakeTransport(answers=[503])
    assert gate.send(token_write, transport.send).status == 200
    assert transport.sent == 2


def test_a_throttled_write_is_resent_after_the_delay_the_cloud_asked(
    limiter: Limiter, clock
) -> None:
    gate = limiter.gate(cloud="gcp", identity="my-project", classify=classify)
    transport = FakeTransport(answers=[429])
    assert gate.send(WRITE, transport.send).status == 200
    assert transport.sent == 2
    assert 0.5 in clock.sleeps


def test_a_refused_admission_sends_nothing(clock) -> None:
    limiter = Limiter(LimitsConfig(read=Limit(rate=1)), clock=clock)
    gate = limiter.gate(cloud="gcp", identity="p", classify=classify, timeout=0.1)
    transport = FakeTransport()
    gate.send(READ, transport.send)
    with pytest.raises(RateLimited):
        gate.send(READ, transport.send)
    assert transport.sent == 1


def test_reads_are_cached_and_each_load_is_admitted(limiter: Limiter, clock) -> None:
    gate = limiter.gate(cloud="gcp", identity="my-project", classify=classify)
    transport = FakeTransport()
    for _ in range(5):
        gate.read(READ, "group-v003", transport.send)
    assert transport.sent == 1
    gate.read(READ, "group-v003", transport.send, fresh=True)
    assert transport.sent == 2
    assert admitted(limiter) == 2


def test_hook_style_transports_admit_and_observe_separately(limiter: Limiter) -> None:
    """botocore-style: admit in the before-send hook, observe the answer, retry around the call."""
    gate = limiter.gate(cloud="aws", identity="123456789012", classify=classify)
    call = Call("ec2", "DescribeInstances", "us-east-1", CallClass.READ)
    transport = FakeTransport(answers=[429, 200])

    def api_call() -> Response:  # what the SDK does for one attempt, hooks included
        gate.admit(call)
        response = transport.send()
        gate.observe(call, response)
        return response

    assert gate.retry(call, api_call).status == 200
    assert transport.sent == admitted(limiter) == 2
    assert limiter.stats()[gate.bucket(call).name].throttles == 1


def test_per_api_rules_give_an_api_its_own_bucket(clock) -> None:
    config = LimitsConfig(rules=(Rule(service="compute", api="instances.list", rate=50),))
    limiter = Limiter(config, clock=clock)
    gate = limiter.gate(cloud="gcp", identity="p", classify=classify)
    other = Call("compute", "instances.get", "europe-west1", CallClass.READ)
    assert gate.bucket(READ).limit.rate == 50
    assert gate.bucket(READ).name.endswith("/read/instances.list")
    assert gate.bucket(other).name.endswith("/read")
