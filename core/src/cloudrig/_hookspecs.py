"""The hooks a cloudrig plugin may implement (pluggy, project name ``cloudrig``).

A plugin is a module registered under the ``cloudrig`` entry-point group (or loaded by name with
``connect(plugins=[...])``, ``cloudrig -p`` or ``CLOUDRIG_PLUGINS``) whose functions are marked with
``cloudrig.hookimpl``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from cloudrig._authorization import Decision
from cloudrig._descriptor import ProviderDescriptor

hookspec = pluggy.HookspecMarker("cloudrig")
hookimpl = pluggy.HookimplMarker("cloudrig")


@hookspec
def cloudrig_providers() -> Sequence[ProviderDescriptor]:  # type: ignore[empty-body]
    """Return the descriptors of the providers this plugin contributes."""


@hookspec
def cloudrig_authorize(
    principal: str | None, action: str, account: str, resource: str
) -> Decision | None:
    """Allow or deny a mutating operation; ``None`` abstains. Any deny wins; no answer allows."""
