"""``Rig.close()`` (and ``with connect(...) as rig``) releases every provider it created, once."""

from __future__ import annotations

import cloudrig
from cloudrig.testing import ReferenceProvider
from cloudrig.testing.reference import reference_plugin


class Recording(ReferenceProvider):
    closed: list[str] = []

    def close(self) -> None:
        Recording.closed.append(self.context.account)


def test_close_releases_each_created_provider_once() -> None:
    Recording.closed = []
    config = {
        "accounts": {
            "a": {"provider": "reference-closing", "regions": ["reference-1"]},
            "b": {"provider": "reference-closing", "regions": ["reference-1"]},
            "unused": {"provider": "reference-closing", "regions": ["reference-1"]},
        }
    }
    plugin = reference_plugin("reference-closing", provider_class=Recording)
    with cloudrig.connect(config, plugins=[plugin], entry_points=False) as rig:
        rig.account("a")
        rig.account("b")
        rig.account("a")  # the same provider instance
    assert sorted(Recording.closed) == ["a", "b"]  # never-used accounts created nothing to close
    rig.close()  # closing again is harmless
    assert sorted(Recording.closed) == ["a", "b"]
