"""cloudrig.ratelimit: the client-side rate limiter every cloud request passes (docs/architecture.md §5).

One ``Limiter`` per process, built by ``cloudrig.connect`` from the configuration's ``limits``
section and handed to each provider as ``ProviderContext.limiter``. Providers attach it at their
transport through a ``Gate``::

    from cloudrig.ratelimit import Call, CallClass, Verdict

    gate = context.limiter.gate(cloud="aws", identity=account_id, classify=classify_botocore)
    answer = gate.send(Call("ec2", "DescribeInstances", "us-east-1", CallClass.READ), send_one)

Buckets are keyed by the cloud's own identity + service + region + call class (+ API when a rule
names it). Backends: in-process GCRA (default) or GCRA in one Lua script on Redis / Redis Cluster,
with a circuit breaker and a configured fallback (local share, closed, open) when Redis is away.
Throttling answers slow a bucket down for every process and it recovers linearly; one tenacity
retry policy; a short-TTL read cache with coalescing; per-bucket counters (``Limiter.stats()``).
"""

from typing import TYPE_CHECKING

from cloudrig._lazy import lazy_exports
from cloudrig.ratelimit._backend import Backend, Reservation
from cloudrig.ratelimit._bucket import Bucket, resolve_bucket
from cloudrig.ratelimit._cache import ReadCache, fresh_reads, read_your_writes
from cloudrig.ratelimit._errors import LimiterUnavailable, RateLimited
from cloudrig.ratelimit._gate import Call, Gate
from cloudrig.ratelimit._limiter import Admission, Limiter, build_backend
from cloudrig.ratelimit._local import LocalBackend
from cloudrig.ratelimit._observation import RequestObservation, RequestObserver, observing_step
from cloudrig.ratelimit._options import (
    AdaptiveOptions,
    CacheOptions,
    CallClass,
    Fallback,
    Limit,
    LimitsConfig,
    RedisOptions,
    RetryOptions,
    Rule,
)
from cloudrig.ratelimit._retry import AnswerClass, Classifier, RetryPolicy, Verdict
from cloudrig.ratelimit._stats import BucketStats

# The Redis-backed names load redis-py on first use only: `import cloudrig` must stay light.
if TYPE_CHECKING:
    from cloudrig.ratelimit._failover import CircuitBreaker, FailoverBackend
    from cloudrig.ratelimit._redis import RedisBackend, make_client

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "AdaptiveOptions",
    "Admission",
    "AnswerClass",
    "Backend",
    "Bucket",
    "BucketStats",
    "CacheOptions",
    "Call",
    "CallClass",
    "CircuitBreaker",
    "Classifier",
    "FailoverBackend",
    "Fallback",
    "Gate",
    "Limit",
    "Limiter",
    "LimiterUnavailable",
    "LimitsConfig",
    "LocalBackend",
    "RateLimited",
    "ReadCache",
    "RedisBackend",
    "RedisOptions",
    "RequestObservation",
    "RequestObserver",
    "Reservation",
    "RetryOptions",
    "RetryPolicy",
    "Rule",
    "Verdict",
    "build_backend",
    "fresh_reads",
    "make_client",
    "observing_step",
    "read_your_writes",
    "resolve_bucket",
]
