"""A tiny REST cloud for the provider template: its tests and ``make demo`` run against it.

It is not part of the provider (``cloudrig_example`` never imports it): it stands in for the real
cloud a provider talks to. Run it in process::

    from example_cloud import ExampleCloud, Token
    with ExampleCloud([Token("s3cret", "alice")], boot_delay=0.5) as cloud:
        ...  # cloud.url, cloud.inject(503), cloud.requests

or as a process: ``python -m example_cloud --port 8700 --token-file token.txt``.
"""

from example_cloud.errors import ApiError
from example_cloud.server import DEFAULT_REGIONS, ExampleCloud, Fault, Token

__all__ = ["DEFAULT_REGIONS", "ApiError", "ExampleCloud", "Fault", "Token"]
