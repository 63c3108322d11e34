"""The built-in Mann-Whitney judge on known samples, against scipy's own test."""

from __future__ import annotations

import random

import pytest
from scipy.stats import mannwhitneyu

from cloudrig.canary import (
    Classification,
    JudgeRequest,
    MannWhitneyJudge,
    MetricSamples,
    MetricSpec,
    Outcome,
)

rng = random.Random(7)
BASE = tuple(rng.gauss(100, 5) for _ in range(40))
SAME = tuple(rng.gauss(100, 5) for _ in range(40))
SLOW = tuple(v * 1.3 for v in SAME)
FAST = tuple(v * 0.7 for v in SAME)


def judge(metrics: tuple[MetricSpec, ...], data: dict[str, MetricSamples], **kw: object) -> object:
    return MannWhitneyJudge().judge(JudgeRequest(metrics=metrics, data=data, **kw))  # type: ignore[arg-type]


def test_identical_distributions_pass_with_scipys_p_value() -> None:
    analysis = judge(
        (MetricSpec(name="latency"),), {"latency": MetricSamples(canary=SAME, baseline=BASE)}
    )
    result = analysis.results[0]  # type: ignore[attr-defined]
    assert result.p_value == pytest.approx(mannwhitneyu(SAME, BASE, alternative="two-sided").pvalue)
    assert result.classification is Classification.PASS
    assert analysis.outcome is Outcome.PASS  # type: ignore[attr-defined]
    assert analysis.score == 100  # type: ignore[attr-defined]


def test_exactly_identical_samples_pass() -> None:
    analysis = judge(
        (MetricSpec(name="x"),), {"x": MetricSamples(canary=(5.0,) * 10, baseline=(5.0,) * 10)}
    )
    assert analysis.outcome is Outcome.PASS  # type: ignore[attr-defined]


def test_clear_regression_fails() -> None:
    analysis = judge(
        (MetricSpec(name="latency"),), {"latency": MetricSamples(canary=SLOW, baseline=BASE)}
    )
    result = analysis.results[0]  # type: ignore[attr-defined]
    expected = mannwhitneyu(SLOW, BASE, alternative="two-sided").pvalue
    assert expected < 0.05
    assert result.p_value == pytest.approx(expected)
    assert result.classification is Classification.HIGH
    assert result.failed
    assert analysis.outcome is Outcome.FAIL  # type: ignore[attr-defined]


def test_the_direction_decides() -> None:
    # latency fails when it increases: faster passes; throughput fails when it decreases
    faster = judge(
        (MetricSpec(name="latency"),), {"latency": MetricSamples(canary=FAST, baseline=BASE)}
    )
    assert faster.results[0].classification is Classification.LOW  # type: ignore[attr-defined]
    assert faster.outcome is Outcome.PASS  # type: ignore[attr-defined]
    drop = judge(
        (MetricSpec(name="rps", fails_on="decrease"),),
        {"rps": MetricSamples(canary=FAST, baseline=BASE)},
    )
    assert drop.outcome is Outcome.FAIL  # type: ignore[attr-defined]
    either = judge(
        (MetricSpec(name="x", fails_on="either"),), {"x": MetricSamples(canary=FAST, baseline=BASE)}
    )
    assert either.outcome is Outcome.FAIL  # type: ignore[attr-defined]


def test_significant_but_inside_the_tolerance_band_passes() -> None:
    slightly = tuple(v * 1.05 for v in BASE)
    assert mannwhitneyu(slightly, BASE).pvalue < 0.05
    analysis = judge(
        (MetricSpec(name="latency", tolerance=0.1),),
        {"latency": MetricSamples(canary=slightly, baseline=BASE)},
    )
    assert analysis.outcome is Outcome.PASS  # type: ignore[attr-defined]
    strict = judge(
        (MetricSpec(name="latency", tolerance=0.01),),
        {"latency": MetricSamples(canary=slightly, baseline=BASE)},
    )
    assert strict.outcome is Outcome.FAIL  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [("fail", Outcome.FAIL), ("inconclusive", Outcome.MARGINAL), ("pass", Outcome.PASS)],
)
def test_no_data_follows_the_policy(policy: str, outcome: Outcome) -> None:
    analysis = judge((MetricSpec(name="latency"),), {}, no_data=policy)
    assert analysis.outcome is outcome  # type: ignore[attr-defined]
    assert analysis.results[0].classification is Classification.NODATA  # type: ignore[attr-defined]
    few = judge(
        (MetricSpec(name="latency"),),
        {"latency": MetricSamples(canary=(1.0,), baseline=BASE)},
        no_data=policy,
    )
    assert few.outcome is outcome  # type: ignore[attr-defined]


def test_weighted_score_and_thresholds() -> None:
    metrics = (MetricSpec(name="a", weight=3), MetricSpec(name="b", weight=1))
    data = {
        "a": MetricSamples(canary=SAME, baseline=BASE),
        "b": MetricSamples(canary=SLOW, baseline=BASE),
    }
    analysis = judge(metrics, data)
    assert analysis.score == 75  # type: ignore[attr-defined]
    assert analysis.outcome is Outcome.MARGINAL  # type: ignore[attr-defined]
    assert judge(metrics, data, marginal_threshold=80, pass_threshold=90).outcome is Outcome.FAIL  # type: ignore[attr-defined]
    assert judge(metrics, data, pass_threshold=70).outcome is Outcome.PASS  # type: ignore[attr-defined]


def test_a_failed_critical_metric_fails_whatever_the_score() -> None:
    metrics = (MetricSpec(name="a", weight=10), MetricSpec(name="b", critical=True))
    data = {
        "a": MetricSamples(canary=SAME, baseline=BASE),
        "b": MetricSamples(canary=SLOW, baseline=BASE),
    }
    analysis = judge(metrics, data)
    assert analysis.outcome is Outcome.FAIL  # type: ignore[attr-defined]
    assert "critical" in analysis.reason  # type: ignore[attr-defined]


def test_a_missing_critical_metric_is_no_data() -> None:
    metrics = (MetricSpec(name="a"), MetricSpec(name="b", critical=True))
    data = {"a": MetricSamples(canary=SAME, baseline=BASE)}
    assert judge(metrics, data, no_data="fail").outcome is Outcome.FAIL  # type: ignore[attr-defined]


def test_a_metrics_own_no_data_policy_decides_for_it() -> None:
    good = {"a": MetricSamples(canary=SAME, baseline=BASE)}
    must = (MetricSpec(name="a"), MetricSpec(name="errors", no_data="fail", critical=True))
    failed = judge(must, good)
    assert failed.outcome is Outcome.FAIL  # type: ignore[attr-defined]
    assert "errors" in failed.reason  # type: ignore[attr-defined]
    optional = (MetricSpec(name="a"), MetricSpec(name="errors", no_data="pass"))
    passed = judge(optional, good, no_data="fail")  # the metric's own policy wins
    assert passed.outcome is Outcome.PASS  # type: ignore[attr-defined]
    assert passed.score == 100  # type: ignore[attr-defined]
    weighed = (MetricSpec(name="a"), MetricSpec(name="errors", no_data="fail"))
    assert judge(weighed, good).score == 50  # type: ignore[attr-defined]
    unset = (MetricSpec(name="a"), MetricSpec(name="errors"))
    assert judge(unset, good).outcome is Outcome.PASS  # type: ignore[attr-defined]
