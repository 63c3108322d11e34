"""Metric source descriptors: what a plugin says about a metric source, cheaply.

Like a provider's descriptor (``cloudrig.provider.ProviderDescriptor``), it is plain Python and
names its settings model and its implementation as ``"module:Name"`` references, imported when a
configuration names the source: discovering the installed sources imports neither pydantic nor
the source's HTTP client.
"""

from __future__ import annotations

import re
from typing import Any

from cloudrig._errors import PluginError
from cloudrig.provider._descriptor import import_reference

_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_REFERENCE = re.compile(r"[\w.]+:[\w.]+")


class MetricSourceDescriptor:
    """A metric source as a plugin declares it: ``name`` (what configuration's ``source:`` says),
    ``settings`` (a ``MetricSourceSettings`` subclass, or its reference) and ``implementation``
    (``"module:Class"`` of a ``MetricSource``, built with a ``MetricSourceContext``)."""

    __slots__ = ("_settings", "description", "implementation", "name")

    name: str
    description: str
    implementation: str

    def __init__(
        self, *, name: str, settings: type | str, implementation: str, description: str = ""
    ) -> None:
        problems: list[str] = []
        if not (isinstance(name, str) and _NAME.fullmatch(name)):
            problems.append(f"name {name!r} must match {_NAME.pattern}")
        if not (isinstance(implementation, str) and _REFERENCE.fullmatch(implementation)):
            problems.append("implementation must be 'package.module:ClassName'")
        if isinstance(settings, str) and not _REFERENCE.fullmatch(settings):
            problems.append(f"settings {settings!r} must be a class or 'package.module:Name'")
        if problems:
            raise ValueError(f"invalid MetricSourceDescriptor {name!r}: " + "; ".join(problems))
        self.name, self.description, self.implementation = name, description, implementation
        self._settings: type | str = settings

    @property
    def settings(self) -> type[Any]:
        """The settings model (a ``MetricSourceSettings`` subclass), imported on first use."""
        from cloudrig.canary._sources import MetricSourceSettings

        model = self._settings
        if isinstance(model, str):
            try:
                model = import_reference(model)
            except Exception as exc:
                raise PluginError(
                    f"metric source {self.name!r}: cannot import settings {self._settings}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        if not (isinstance(model, type) and issubclass(model, MetricSourceSettings)):
            raise PluginError(
                f"metric source {self.name!r}: settings must be a subclass of MetricSourceSettings"
            )
        self._settings = model
        return model

    def load(self) -> type[Any]:
        """The implementation class, imported."""
        try:
            cls: type[Any] = import_reference(self.implementation)
        except Exception as exc:
            raise PluginError(
                f"metric source {self.name!r}: cannot import implementation "
                f"{self.implementation}: {type(exc).__name__}: {exc}"
            ) from exc
        return cls

    def __repr__(self) -> str:
        return f"MetricSourceDescriptor(name={self.name!r}, implementation={self.implementation!r})"
