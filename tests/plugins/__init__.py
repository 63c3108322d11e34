"""Plugin discovery and isolation tests; ``plugins.fakesite`` builds fake distributions for them
and for ``tests/cli``."""
