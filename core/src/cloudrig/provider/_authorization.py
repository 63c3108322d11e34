"""Authorization decisions: the answer of the ``cloudrig_authorize`` hook."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: bool
    reason: str = ""

    @classmethod
    def allow(cls, reason: str = "") -> Decision:
        return cls(allowed=True, reason=reason)

    @classmethod
    def deny(cls, reason: str) -> Decision:
        return cls(allowed=False, reason=reason)
