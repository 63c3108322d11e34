"""Frigga-compatible server group names: ``app-stack-detail-v000``.

Names stay readable for people and for tools that know Spinnaker's conventions, but cloudrig never
depends on parsing them: the moniker is also stored in the cloud's tags or labels.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from cloudrig._errors import Conflict
from cloudrig._model._resources import Moniker

SEQUENCES = 1000
_SEQUENCE = re.compile(r"^(?P<cluster>.+)-v(?P<seq>\d{3})$")


def format_cluster(app: str, stack: str = "", detail: str = "") -> str:
    """``app``, ``app-stack``, ``app--detail`` or ``app-stack-detail`` (Frigga's rules)."""
    return Moniker(app=app, stack=stack, detail=detail).cluster


def format_name(moniker: Moniker) -> str:
    """The server group name of a moniker with a sequence: ``cluster-v003``."""
    if moniker.sequence is None:
        raise ValueError("a server group name needs a moniker with a sequence")
    return f"{moniker.cluster}-v{moniker.sequence:03d}"


def parse_name(name: str) -> Moniker:
    """Frigga's parse: app up to the first '-', stack up to the second, detail the rest, and an
    optional ``-vNNN`` sequence suffix. Lossy for names that were hashed; prefer stored metadata."""
    sequence: int | None = None
    match = _SEQUENCE.match(name)
    cluster = name
    if match:
        cluster, sequence = match["cluster"], int(match["seq"])
    app, _, rest = cluster.partition("-")
    stack, _, detail = rest.partition("-")
    return Moniker(app=app, stack=stack, detail=detail, sequence=sequence)


def next_sequence(taken: Collection[int], latest: int | None = None) -> int:
    """The sequence for the next version of a cluster.

    The first version of a cluster is v001 (versions read as releases); later ones count on from
    ``latest`` (the newest existing version; the highest taken one when not given), roll over from
    999 to 000 and skip numbers still in use. Raises ``Conflict`` when all 1,000 are taken.
    """
    used = set(taken)
    if len(used) >= SEQUENCES:
        raise Conflict(
            f"all {SEQUENCES} server group sequences (v000-v999) of the cluster are in use; "
            "destroy old server groups before deploying another"
        )
    start = latest if latest is not None else max(used, default=0)
    for step in range(1, SEQUENCES + 1):
        candidate = (start + step) % SEQUENCES
        if candidate not in used:
            return candidate
    raise AssertionError("unreachable: fewer than 1000 sequences are used")
