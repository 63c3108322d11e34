"""Canary analysis: what is measured, what a judge answers, and the shared scoring rules.

No scipy here: the models and the scoring are used by the canary strategy whatever judge runs;
only the built-in Mann-Whitney judge (``cloudrig[canary]``) needs scipy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(frozen=True, extra="forbid")


NoDataPolicy = Literal["fail", "inconclusive", "pass"]


class MetricSpec(BaseModel):
    """One metric compared between canary and baseline."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0, description="Share of the group score")
    fails_on: Literal["increase", "decrease", "either"] = Field(
        default="increase", description="Which direction of change is a regression"
    )
    tolerance: float = Field(
        default=0.1,
        ge=0,
        description="Relative band around the baseline (0.1 = ±10% of its median) inside which a "
        "statistically significant change still passes",
    )
    critical: bool = Field(default=False, description="A failure of this metric fails the canary")
    no_data: NoDataPolicy | None = Field(
        default=None,
        description="When this metric has no data: 'fail' counts it failed, 'pass' passed, "
        "'inconclusive' leaves it out of the score; unset, the strategy's no_data decides",
    )
    source: str | None = Field(
        default=None,
        description="A configured metric source (the configuration's metric_sources) to ask; "
        "without one, the cloudrig_canary_metrics hook is asked",
    )
    query: str | None = Field(
        default=None,
        description="The source's query, with $server_group, $cluster, $version, $account and "
        "$region substituted for the canary and for the baseline",
    )

    @model_validator(mode="after")
    def _query_with_source(self) -> MetricSpec:
        if (self.source is None) != (self.query is None):
            raise ValueError("a metric names both a source and a query, or neither")
        return self


class MetricSamples(BaseModel):
    """Observations of one metric in one interval (what a ``cloudrig_canary_metrics`` hook returns)."""

    model_config = _FROZEN

    canary: tuple[float, ...] = ()
    baseline: tuple[float, ...] = ()
    source: str | None = None
    """The configured metric source that answered; a metric naming a source takes only its
    source's answer (a hook's answer for it is ignored)."""


class MetricsRequest(BaseModel):
    """What a metrics hook is asked for: one interval of the canary and its baseline."""

    model_config = _FROZEN

    deployment_id: str
    account: str
    region: str
    canary: str
    baseline: str
    start: datetime
    end: datetime
    metrics: tuple[str, ...]
    specs: tuple[MetricSpec, ...] = ()
    """The metrics as the strategy declares them (sources, queries, directions)."""


class Classification(StrEnum):
    """One metric's verdict in one interval: as the baseline, higher, lower, or no data."""

    PASS = "pass"
    HIGH = "high"
    LOW = "low"
    NODATA = "nodata"


class Outcome(StrEnum):
    """An analysis's verdict: the canary passes (promote), is marginal, or fails (roll back)."""

    PASS = "pass"
    MARGINAL = "marginal"
    """Inconclusive: a human decides (the deployment waits for approval)."""
    FAIL = "fail"


class MetricResult(BaseModel):
    """One metric's verdict in one interval, as the report shows it: the medians compared, their
    ratio (canary / baseline), the test's p-value, the classification and why."""

    model_config = _FROZEN

    metric: str
    classification: Classification
    failed: bool
    p_value: float | None = None
    ratio: float | None = None
    canary_median: float | None = None
    baseline_median: float | None = None
    reason: str = ""


class JudgeRequest(BaseModel):
    """What a judge is asked: the metrics with their samples of canary and baseline, the score
    thresholds for pass and marginal, the no-data policy and the test's significance level."""

    model_config = _FROZEN

    metrics: tuple[MetricSpec, ...]
    data: Mapping[str, MetricSamples]
    pass_threshold: float = 95.0
    marginal_threshold: float = 75.0
    no_data: NoDataPolicy = "inconclusive"
    alpha: float = 0.05


class Analysis(BaseModel):
    """A judge's answer for one interval: the outcome, the score (the weight of the metrics that
    passed over that of the metrics with data, in percent; None without data), each metric's
    result and why."""

    model_config = _FROZEN

    outcome: Outcome
    score: float | None
    results: tuple[MetricResult, ...]
    reason: str


@runtime_checkable
class Judge(Protocol):
    """Compares canary with baseline; built in: ``"mann-whitney"``. Contributed by plugins through
    ``cloudrig_canary_judge(name)``."""

    def judge(self, request: JudgeRequest) -> Analysis:
        """Compare canary with baseline on every metric of ``request``."""
        ...


_OWN = "no data; its own no-data policy: "


def _own_no_data(result: MetricResult, spec: MetricSpec) -> MetricResult:
    """A metric without data whose own policy decides (``fail``/``pass``) counts like one with
    data, failed or passed; otherwise it stays no data."""
    if result.classification is not Classification.NODATA or spec.no_data in (None, "inconclusive"):
        return result
    return result.model_copy(
        update={
            "failed": spec.no_data == "fail",
            "reason": f"{_OWN}{spec.no_data} ({result.reason})",
        }
    )


def score(request: JudgeRequest, results: Sequence[MetricResult]) -> Analysis:
    """The group score and outcome from per-metric results.

    Score = weight of the metrics that passed / weight of the metrics with data, in percent. A
    failed critical metric fails the canary whatever the score. When a critical metric or every
    metric has no data, the no-data policy decides (``fail``, ``inconclusive`` -> marginal, or
    ``pass``) — never silently a pass.
    """
    specs = {m.name: m for m in request.metrics}
    results = [_own_no_data(r, specs[r.metric]) for r in results]
    with_data = [
        r
        for r in results
        if r.classification is not Classification.NODATA or r.reason.startswith(_OWN)
    ]
    missing = [r.metric for r in results if r not in with_data]
    critical_missing = [n for n in missing if specs[n].critical]
    critical_failed = [r.metric for r in with_data if r.failed and specs[r.metric].critical]
    if critical_failed:
        return Analysis(
            outcome=Outcome.FAIL,
            score=None,
            results=tuple(results),
            reason=f"critical metric(s) failed: {', '.join(critical_failed)}",
        )
    if not with_data or critical_missing:
        policy = {"fail": Outcome.FAIL, "inconclusive": Outcome.MARGINAL, "pass": Outcome.PASS}
        what = ", ".join(critical_missing) if critical_missing else "every metric"
        return Analysis(
            outcome=policy[request.no_data],
            score=None,
            results=tuple(results),
            reason=f"no data for {what} (no-data policy: {request.no_data})",
        )
    total = sum(specs[r.metric].weight for r in with_data)
    passed = sum(specs[r.metric].weight for r in with_data if not r.failed)
    value = round(100.0 * passed / total, 2)
    if value >= request.pass_threshold:
        outcome = Outcome.PASS
    elif value >= request.marginal_threshold:
        outcome = Outcome.MARGINAL
    else:
        outcome = Outcome.FAIL
    failed = [r.metric for r in with_data if r.failed]
    reason = f"score {value:g} (pass >= {request.pass_threshold:g}, marginal >= "
    reason += f"{request.marginal_threshold:g})" + (
        f"; failed: {', '.join(failed)}" if failed else ""
    )
    if missing:
        reason += f"; no data: {', '.join(missing)}"
    return Analysis(outcome=outcome, score=value, results=tuple(results), reason=reason)


def builtin_judge(name: str) -> Judge | None:
    """The built-in judge called ``name`` (``"mann-whitney"``, which needs scipy), or ``None``."""
    if name == "mann-whitney":
        from cloudrig.canary._mannwhitney import MannWhitneyJudge

        return MannWhitneyJudge()
    return None
