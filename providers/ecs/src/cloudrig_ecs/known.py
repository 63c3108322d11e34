"""Answers known without a read: a write's own response stored as the current answer.

``CreateService`` answers with the service it made, ``ModifyListener`` with the listener as it
now is: putting those into the limiter's read cache (``ReadCache.put``) spares the describe that
would otherwise follow every write. Only a single object a write itself returned is ever put —
never an object taken out of an older listing, which could hide another deployment's write from
it (the cache orders loads and writes; a put is by definition the newest answer).

``AwsClient`` (``cloudrig_aws``) offers ``read`` and ``invalidate`` but no ``put``; this builds the
same cache key ``AwsClient.read`` does (``tests/ecs/test_known.py`` fails if they drift apart).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


def cache_key(client: Any, key: Hashable) -> tuple[Any, ...]:
    """The limiter cache's key of ``client.read(key, …)``."""
    return ("aws", client.gate.identity, client.service, client.region, key)


def put(client: Any, key: Hashable, value: Any) -> None:
    """Store ``value`` as the answer of ``client.read(key, …)``, for every caller, until the TTL
    (after the write that returned it: call ``client.invalidate(key)`` before the write)."""
    client.gate.limiter.cache.put(cache_key(client, key), value)
