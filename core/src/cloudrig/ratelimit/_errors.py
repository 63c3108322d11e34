"""The limiter's errors: a request that could not be admitted in time, or not at all."""

from __future__ import annotations

from cloudrig._errors import CloudrigError


class RateLimited(CloudrigError):
    """The bucket's next slot is further away than the caller may wait. Nothing was spent, and
    nothing was sent: it is safe to try again after ``retry_after`` seconds."""

    def __init__(self, bucket: str, retry_after: float) -> None:
        self.bucket = bucket
        self.retry_after = retry_after
        super().__init__(
            f"rate limit of bucket {bucket!r}: next slot in {retry_after:.3f} s, "
            "beyond the caller's timeout"
        )


class LimiterUnavailable(RateLimited):
    """Redis is unreachable and the fallback policy is ``closed``: no request is admitted."""

    def __init__(self, bucket: str, retry_after: float) -> None:
        self.bucket = bucket
        self.retry_after = retry_after
        CloudrigError.__init__(
            self,
            f"rate limiter unavailable for bucket {bucket!r}: Redis is unreachable and the "
            "fallback policy is 'closed'",
        )
