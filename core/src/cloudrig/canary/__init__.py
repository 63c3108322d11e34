"""cloudrig.canary: canary analysis models, scoring, and the built-in Mann-Whitney U judge.

The judge needs scipy (``pip install 'cloudrig[canary]'``); it is imported only when a canary
analysis runs with it. Plugins contribute metrics (``cloudrig_canary_metrics``) and other judges
(``cloudrig_canary_judge``).
"""

from __future__ import annotations

from typing import Any

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
    score,
)

BUILTIN_JUDGES = ("mann-whitney",)


def builtin_judge(name: str) -> Judge | None:
    if name == "mann-whitney":
        from cloudrig.canary._mannwhitney import MannWhitneyJudge

        return MannWhitneyJudge()
    return None


def __getattr__(name: str) -> Any:
    # MannWhitneyJudge lives beside scipy's import; reached lazily so importing cloudrig.canary
    # does not need scipy.
    if name == "MannWhitneyJudge":
        from cloudrig.canary._mannwhitney import MannWhitneyJudge

        return MannWhitneyJudge
    raise AttributeError(name)


__all__ = [
    "BUILTIN_JUDGES",
    "Analysis",
    "Classification",
    "Judge",
    "JudgeRequest",
    "MannWhitneyJudge",
    "MetricResult",
    "MetricSamples",
    "MetricSpec",
    "MetricsRequest",
    "NoDataPolicy",
    "Outcome",
    "builtin_judge",
    "score",
]
