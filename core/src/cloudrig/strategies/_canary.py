"""Canary: a small group of the new version and — where the provider can run one beside it — a
freshly deployed baseline of the current version of equal size, both given a share of the traffic,
then compared interval by interval by a judge. Pass promotes (the canary grows and takes all the
traffic), fail rolls back, marginal (inconclusive) waits for a human.

Where the provider cannot run a baseline beside the canary (Lambda: an alias routes to two versions
at most) the production group itself is the baseline. A fresh baseline matters elsewhere because a
long-running production group differs from any new group (warm caches, leaked memory).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, model_validator

from cloudrig._errors import InvalidSpec
from cloudrig._model._resources import Capacity, ServerGroupSpec
from cloudrig.canary._models import (
    Analysis,
    JudgeRequest,
    MetricSamples,
    MetricSpec,
    MetricsRequest,
    NoDataPolicy,
    Outcome,
)
from cloudrig.engine import AnalysisFailed, Duration, EventKind, Run, Step
from cloudrig.provider._capabilities import Capabilities
from cloudrig.strategies._base import Retention, Strategy, switch_traffic


class Canary(Strategy, Retention):
    """A small canary of the new version (and a fresh baseline of the current one where the
    provider runs one beside it), judged on ``metrics`` interval by interval: pass promotes,
    fail rolls back, marginal waits for a human."""

    name: ClassVar[str] = "canary"
    roles: ClassVar[tuple[str, ...]] = ("canary", "baseline")

    traffic_percent: int = Field(default=10, ge=1, le=45, description="Traffic share of each")
    canary_capacity: int | None = Field(
        default=None, ge=1, description="Instances of canary and baseline (default: the share)"
    )
    intervals: int = Field(default=3, ge=1, description="Analysis intervals")
    interval: Duration = Field(default=300.0, gt=0, description="Length of one interval")
    metrics: tuple[MetricSpec, ...] = Field(min_length=1)
    judge: str = "mann-whitney"
    pass_threshold: float = Field(default=95.0, ge=0, le=100)
    marginal_threshold: float = Field(default=75.0, ge=0, le=100)
    no_data: NoDataPolicy = "inconclusive"

    @model_validator(mode="after")
    def _thresholds(self) -> Canary:
        if self.marginal_threshold > self.pass_threshold:
            raise ValueError("marginal_threshold must not be above pass_threshold")
        return self

    def check(self, capabilities: Capabilities, spec: ServerGroupSpec | None) -> None:
        limit = capabilities.max_weighted_groups
        needed = 3 if capabilities.baseline_beside_canary else 2
        if capabilities.traffic_split == "exact" and limit is not None and limit < needed:
            raise InvalidSpec(f"canary needs {needed} weighted groups, the provider allows {limit}")

    def size(self, run: Run) -> int:
        """Instances of the canary (and baseline): ``canary_capacity``, else the traffic share
        of the desired capacity, at least one."""
        desired = run.spec.capacity.desired
        return self.canary_capacity or max(1, math.ceil(desired * self.traffic_percent / 100))

    def with_baseline(self, run: Run) -> bool:
        """Whether a fresh baseline runs beside the canary (the provider can, and a group
        serves to copy); otherwise the serving group is the baseline."""
        return bool(run.capabilities.baseline_beside_canary and run.serving)

    def prepare(self, run: Run) -> None:
        if not run.serving:
            raise InvalidSpec(
                f"a canary needs a serving group of {run.record.cluster} to compare with; deploy "
                "the first version with another strategy"
            )
        run.state.baseline_artifact = run.original[run.serving[-1]].artifact

    # -- plan ------------------------------------------------------------------------------------
    def plan(self, run: Run) -> list[Step]:
        steps: list[Step] = []
        small = Capacity.fixed(self.size(run)) if run.capabilities.resizable else run.spec.capacity
        if self.with_baseline(run):
            base = run.spec.model_copy(
                update={"capacity": small, "artifact": run.state.baseline_artifact}
            )
            steps.append(self.create_step("baseline", base))
        steps.append(self.create_step("canary", run.spec.model_copy(update={"capacity": small})))
        steps.append(Step("verify", "wait until canary and baseline are healthy", self._verify))
        steps.append(
            Step("shift-traffic", f"{self.traffic_percent}% of the traffic to each", self._shift)
        )
        for i in range(1, self.intervals + 1):
            steps.append(
                Step(
                    f"analysis-{i}", f"analysis interval {i} of {self.intervals}", self._analysis(i)
                )
            )
        steps.append(
            Step(
                "promote",
                "grow the canary and give it all the traffic",
                self._promote,
                gate=lambda r: r.state.outcome == Outcome.MARGINAL.value,
            )
        )
        steps.append(Step("destroy-baseline", "destroy the baseline group", self._drop_baseline))
        return steps + self.cleanup_steps("canary", run)

    def _verify(self, run: Run) -> None:
        roles = ["baseline", "canary"] if self.with_baseline(run) else ["canary"]
        for role in roles:
            name = run.name(role)
            run.wait_healthy(name, self.target(run.get(name).capacity.desired), self.health_timeout)

    def _shift(self, run: Run) -> None:
        if not run.capabilities.splits_traffic:
            return  # traffic follows capacity: both groups already serve their share
        share = self.traffic_percent
        weights: dict[str, int] = {run.name("canary"): share}
        if self.with_baseline(run):
            weights[run.name("baseline")] = share
        rest = 100 - sum(weights.values())
        serving = run.serving
        for i, name in enumerate(serving):
            weights[name] = rest // len(serving) + (1 if i < rest % len(serving) else 0)
        run.set_weights(weights)

    def _analysis(self, index: int) -> Any:
        def analyse(run: Run) -> None:
            end = run.sleep(self.interval)  # the saved instant: a resume keeps the interval
            start = end - timedelta(seconds=self.interval)
            canary = run.name("canary")
            baseline = run.name("baseline") if self.with_baseline(run) else run.serving[-1]
            request = MetricsRequest(
                deployment_id=run.id,
                account=run.record.account,
                region=run.region,
                canary=canary,
                baseline=baseline,
                start=start,
                end=end,
                metrics=tuple(m.name for m in self.metrics),
                specs=self.metrics,
            )
            analysis = self._judge(run, request)
            results = run.state.analyses
            del results[index - 1 :]
            results.append(analysis.model_dump(mode="json"))
            run.emit(
                EventKind.ANALYSIS,
                f"interval {index}: {analysis.outcome.value} ({analysis.reason})",
                canary,
                outcome=analysis.outcome.value,
                score=analysis.score,
                results=[r.model_dump(mode="json") for r in analysis.results],
            )
            run.state.outcome = analysis.outcome.value
            if analysis.outcome is Outcome.FAIL:
                raise AnalysisFailed(
                    f"canary analysis failed at interval {index}: {analysis.reason}"
                )

        return analyse

    def _judge(self, run: Run, request: MetricsRequest) -> Analysis:
        data: dict[str, MetricSamples] = {}
        try:
            answers = run.hooks.cloudrig_canary_metrics(request=request) if run.hooks else []
        except Exception as exc:  # a metrics outage is "no data", decided by the no-data policy
            run.emit(EventKind.NOTE, f"metrics unavailable: {type(exc).__name__}: {exc}")
            answers = []
        sources = {m.name: m.source for m in self.metrics}
        for answer in answers or ():
            for metric, raw in (answer or {}).items():
                samples = MetricSamples.model_validate(raw)
                if sources.get(metric) is None or samples.source == sources[metric]:
                    data[metric] = samples  # a metric naming a source takes only its answer
        judge_request = JudgeRequest(
            metrics=self.metrics,
            data=data,
            pass_threshold=self.pass_threshold,
            marginal_threshold=self.marginal_threshold,
            no_data=self.no_data,
        )
        analysis: Analysis = resolve_judge(run, self.judge).judge(judge_request)
        return analysis

    def _promote(self, run: Run) -> None:
        canary, spec = run.name("canary"), run.spec
        if run.capabilities.resizable:
            run.resize(canary, spec.capacity, "promote")
        run.wait_healthy(canary, self.target(spec.capacity.desired), self.health_timeout)
        run.state.verified = canary
        switch_traffic(run, canary)

    def _drop_baseline(self, run: Run) -> None:
        if self.with_baseline(run):
            run.disable(run.name("baseline"))
            run.destroy(run.name("baseline"))


def resolve_judge(run: Run, name: str) -> Any:
    from cloudrig.canary import builtin_judge

    judge = run.hooks.cloudrig_canary_judge(name=name) if run.hooks else None
    judge = judge or builtin_judge(name)
    if judge is None:
        raise InvalidSpec(f"no canary judge named {name!r} (built in: mann-whitney)")
    return judge
