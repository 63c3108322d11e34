"""Authorization decisions: the answer of the ``cloudrig_authorize`` hook."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Decision(BaseModel):
    """An authorization hook's answer for one action on one resource. Any ``deny`` among the
    plugins' answers refuses the action (``Unauthorized`` carrying the ``reason``); no answer, or
    only ``allow``, permits it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: bool
    reason: str = ""

    @classmethod
    def allow(cls, reason: str = "") -> Decision:
        """Permit the action."""
        return cls(allowed=True, reason=reason)

    @classmethod
    def deny(cls, reason: str) -> Decision:
        """Refuse the action; ``reason`` is shown to the user."""
        return cls(allowed=False, reason=reason)
