"""The neutral model every provider maps to: monikers and names, specs, resources and health.

Internal layout; the names are exported by ``cloudrig`` (the orchestrator's) and
``cloudrig.provider`` (what only providers build: ``CreateServerGroup``, ``ServerGroupMetadata``,
``aggregate_health``).
"""
