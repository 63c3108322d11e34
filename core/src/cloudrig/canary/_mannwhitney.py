"""The built-in judge: a two-sided Mann-Whitney U test per metric with a tolerance band.

Mann-Whitney because metric samples (latencies, error rates) are rarely normal and it needs no
assumption about their distribution (Netflix's Kayenta uses it for the same reason). A metric fails
when the difference is significant (p < alpha), outside the tolerance band around the baseline's
median, and in the metric's bad direction. scipy is imported here only (extra ``cloudrig[canary]``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from cloudrig.canary._models import (
    Analysis,
    Classification,
    JudgeRequest,
    MetricResult,
    MetricSpec,
    score,
)

MIN_SAMPLES = 3


def _mannwhitneyu(canary: Sequence[float], baseline: Sequence[float]) -> float:
    try:
        from scipy.stats import mannwhitneyu  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "the built-in canary judge needs scipy: pip install 'cloudrig[canary]'"
        ) from exc
    return float(mannwhitneyu(canary, baseline, alternative="two-sided").pvalue)


def classify(
    metric: MetricSpec, canary: Sequence[float], baseline: Sequence[float], *, alpha: float = 0.05
) -> MetricResult:
    if len(canary) < MIN_SAMPLES or len(baseline) < MIN_SAMPLES:
        return MetricResult(
            metric=metric.name,
            classification=Classification.NODATA,
            failed=False,
            reason=f"{len(canary)} canary / {len(baseline)} baseline samples (< {MIN_SAMPLES})",
        )
    c_med, b_med = statistics.median(canary), statistics.median(baseline)
    if b_med == 0:
        ratio = 1.0 if c_med == 0 else float("inf") if c_med > 0 else float("-inf")
    else:
        ratio = c_med / b_med
    if set(canary) == set(baseline) and len(set(canary)) == 1:
        p_value = 1.0  # identical constants: scipy warns and answers nan; there is no difference
    else:
        p_value = _mannwhitneyu(canary, baseline)
    within = 1 - metric.tolerance <= ratio <= 1 + metric.tolerance
    if p_value >= alpha or within:
        why = f"p={p_value:.4g}" + ("" if p_value >= alpha else f", ratio {ratio:.3g} within band")
        return MetricResult(
            metric=metric.name,
            classification=Classification.PASS,
            failed=False,
            p_value=p_value,
            ratio=ratio,
            canary_median=c_med,
            baseline_median=b_med,
            reason=why,
        )
    direction = Classification.HIGH if c_med > b_med else Classification.LOW
    bad = {"increase": Classification.HIGH, "decrease": Classification.LOW}.get(metric.fails_on)
    failed = bad is None or direction is bad
    return MetricResult(
        metric=metric.name,
        classification=direction,
        failed=failed,
        p_value=p_value,
        ratio=ratio,
        canary_median=c_med,
        baseline_median=b_med,
        reason=f"p={p_value:.4g}, canary/baseline median ratio {ratio:.3g}"
        + (f" ({metric.name} fails on {metric.fails_on})" if failed else ""),
    )


class MannWhitneyJudge:
    """The built-in judge ``"mann-whitney"`` (the module docstring)."""

    name = "mann-whitney"

    def judge(self, request: JudgeRequest) -> Analysis:
        """Each metric tested (or its no-data policy applied), then scored against the
        request's thresholds."""
        results = []
        for metric in request.metrics:
            samples = request.data.get(metric.name)
            canary = samples.canary if samples else ()
            baseline = samples.baseline if samples else ()
            results.append(classify(metric, canary, baseline, alpha=request.alpha))
        return score(request, results)
