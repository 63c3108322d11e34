"""The store of a step on Temporal: the record lives in the workflow (its history), so the
activity's store only keeps what the step changes and the events it emits, for its answer and
every heartbeat."""

from __future__ import annotations

from cloudrig.engine import DeploymentEvent, DeploymentNotFound, DeploymentRecord


class RecordStore:
    """The activity's store: the record lives in the workflow; events are numbered after the
    ``seen`` ones the workflow already has, and kept for the answer (and every heartbeat).
    ``history``: the cluster's earlier deployments, as the deploying client read them from
    Temporal (what a rollback consults)."""

    def __init__(
        self,
        record: DeploymentRecord,
        seen: int,
        events: list[DeploymentEvent],
        history: list[DeploymentRecord] | None = None,
    ) -> None:
        self.record, self.seen, self.events = record, seen, events
        self.history = history or []

    def find(
        self, *, lease_key: str | None = None, unfinished: bool | None = None
    ) -> list[DeploymentRecord]:
        return [
            r
            for r in self.history
            if (lease_key is None or r.lease_key == lease_key)
            and (unfinished is None or unfinished != r.status.finished)
        ]

    def get(self, deployment_id: str) -> DeploymentRecord:
        for record in [self.record, *self.history]:
            if record.id == deployment_id:
                return record
        raise DeploymentNotFound(f"no deployment {deployment_id} of this cluster on Temporal")

    def create(self, record: DeploymentRecord, *, holder: str) -> None:
        self.record = record

    def save(self, record: DeploymentRecord, *, holder: str) -> None:
        self.record = record

    def append_event(self, event: DeploymentEvent, *, holder: str) -> DeploymentEvent:
        stored = event.model_copy(update={"seq": self.seen + len(self.events) + 1})
        self.events.append(stored)
        return stored
