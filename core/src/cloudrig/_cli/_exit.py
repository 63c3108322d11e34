"""The exit codes of the ``cloudrig`` command, in one place (documented in docs/cli.md).

Scripts branch on them: a deployment that failed but put the cluster back as it was (3) is a
different situation from one whose cluster may be half changed (1), and a deployment waiting at an
approval gate (4) is neither a success nor a failure.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    SUCCESS = 0
    """The command did what was asked."""
    FAILURE = 1
    """It could not: an error named on stderr (configuration, cloud, state store, lease), a
    restore that did not complete (resume the deployment to retry it), or a confirmation
    declined."""
    USAGE = 2
    """The command line is wrong (unknown option, missing argument, a confirmation needed
    without a terminal to ask on): nothing was done."""
    ROLLED_BACK = 3
    """The deployment did not go through and the cluster was put back as it was: it failed and
    was restored (``failed``), was rejected or rolled back (``rolled_back``), or aborted."""
    AWAITING_APPROVAL = 4
    """The deployment waits at an approval gate: ``cloudrig promote ID`` (or ``--reject``)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT): the deployment's id and the command that resumes it
    are printed, and its record lets ``cloudrig resume ID`` continue where it stopped."""


_RESTORED = frozenset({"failed", "rolled_back", "aborted"})


def for_status(status: str, *, rollback_asked: bool = False) -> ExitCode:
    """The exit code of a command that ran a deployment to ``status`` (a ``DeploymentStatus``
    value). ``rollback_asked``: the command asked for the undo (``rollback``, ``abort``,
    ``promote --reject``), so a cluster put back as it was is its success."""
    if status == "awaiting_approval":
        return ExitCode.AWAITING_APPROVAL
    if status == "succeeded" or (rollback_asked and status in ("rolled_back", "aborted")):
        return ExitCode.SUCCESS
    if status in _RESTORED and not rollback_asked:
        return ExitCode.ROLLED_BACK
    return ExitCode.FAILURE
