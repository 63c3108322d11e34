"""Errors of durable deployments. Every one is a ``CloudrigError``; none is a ``ProviderError``,
because none of them comes from a cloud."""

from __future__ import annotations

from cloudrig._errors import CloudrigError


class DeploymentError(CloudrigError):
    """Base of the deployment errors."""


class StateStoreUnavailable(DeploymentError):
    """The state store cannot be reached. Deployments fail closed: nothing is mutated until it is
    back (unlike the rate limiter, there is no local fallback: two workers could both mutate)."""


class LeaseHeld(DeploymentError):
    """Another worker holds the cluster's lease and did not release it within the wait."""

    def __init__(self, key: str, holder: str | None) -> None:
        self.key, self.holder = key, holder
        super().__init__(f"cluster {key!r} is being deployed by another worker ({holder})")


class LeaseLost(DeploymentError):
    """This worker's lease expired or was taken over: it stops before its next mutation."""

    def __init__(self, key: str, holder: str) -> None:
        self.key, self.holder = key, holder
        super().__init__(
            f"lost the lease of cluster {key!r} (holder {holder}); another worker resumes the "
            "deployment, this one stopped before its next change"
        )


class Draining(DeploymentError):
    """New deployments are drained (``cloudrig drain on``) and the wait for the switch ran out."""


class DeploymentNotFound(DeploymentError):
    """No deployment of that id in the state store."""


class DeploymentConflict(DeploymentError):
    """Another unfinished deployment occupies the cluster: resume, promote, roll back or abort it
    first."""


class NothingToRollBack(DeploymentError):
    """A rollback was asked for but no group can take the traffic back: the cluster's serving
    group is kept serving (a rollback never takes the last serving group out of traffic)."""

    def __init__(self, cluster: str, why: str) -> None:
        self.cluster, self.why = cluster, why
        super().__init__(f"nothing to roll back to in cluster {cluster}: {why}")


class PlanChanged(DeploymentError):
    """The plan a resumed deployment would run differs from the one it started with (a strategy
    or provider upgraded between a crash and the resume): resume with ``migrate=True`` to continue
    with the new plan."""


class WaitTimeout(DeploymentError):
    """A wait reached its deadline (the deployment then rolls back)."""


class AnalysisFailed(DeploymentError):
    """The canary analysis judged the canary worse than the baseline."""


class ApprovalRejected(DeploymentError):
    """A human said no at an approval gate."""
