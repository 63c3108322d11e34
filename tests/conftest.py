"""Root conftest: the session-wide server fixtures of tests/support, loaded as plugins.

Each support module starts its server only when a test asks for its fixture, once per session.
"""

pytest_plugins: list[str] = [
    "support.proxy",
    "support.aws",
    "support.kube.plugin",
    "support.redis_servers",
    "support.gcp.plugin",
    "support.prometheus",
    "pytester",
]
