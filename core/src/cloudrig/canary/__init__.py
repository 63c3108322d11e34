"""cloudrig.canary: canary analysis models, scoring, and the built-in Mann-Whitney U judge.

The judge needs scipy (``pip install 'cloudrig[canary]'``); it is imported only when a canary
analysis runs with it. Plugins contribute metrics (``cloudrig_canary_metrics``) and other judges
(``cloudrig_canary_judge``); metric sources (``cloudrig_metric_sources``, e.g. ``cloudrig-prometheus``)
answer the metrics that name a configured source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig._lazy import lazy_exports

if TYPE_CHECKING:
    from cloudrig.canary._mannwhitney import MannWhitneyJudge
    from cloudrig.canary._models import (
        Analysis,
        Classification,
        Judge,
        JudgeRequest,
        MetricResult,
        MetricSamples,
        MetricSpec,
        MetricsRequest,
        NoDataPolicy,
        Outcome,
        builtin_judge,
        score,
    )
    from cloudrig.canary._source_descriptor import MetricSourceDescriptor
    from cloudrig.canary._sources import (
        GroupRef,
        MetricSource,
        MetricSourceContext,
        MetricSourceSettings,
    )

BUILTIN_JUDGES = ("mann-whitney",)


# Every name loads on first use: a metric source's plugin module imports its descriptor without
# pydantic, and MannWhitneyJudge lives beside scipy's import.
__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "BUILTIN_JUDGES",
    "Analysis",
    "Classification",
    "GroupRef",
    "Judge",
    "JudgeRequest",
    "MannWhitneyJudge",
    "MetricResult",
    "MetricSamples",
    "MetricSource",
    "MetricSourceContext",
    "MetricSourceDescriptor",
    "MetricSourceSettings",
    "MetricSpec",
    "MetricsRequest",
    "NoDataPolicy",
    "Outcome",
    "builtin_judge",
    "score",
]
