"""Finding plugins and the providers they contribute, with failures isolated and reported.

Plugins come from the ``cloudrig`` entry-point group and from module names given explicitly
(``connect(plugins=...)``, ``cloudrig -p``, ``CLOUDRIG_PLUGINS``). pluggy's own
``load_setuptools_entrypoints`` stops at the first plugin that fails to import, so entry points are
loaded here one by one: a broken distribution is recorded as a ``PluginFailure`` and the others load.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from cloudrig._errors import ContractVersionError, PluginError
from cloudrig._plugins import _hookspecs

# Listing providers needs none of these: the descriptor model comes with the plugins that build
# descriptors, the contract (and the rate limiter under it) with the first implementation or
# version check, the authorization model with the first authorization.
if TYPE_CHECKING:
    from cloudrig.canary._source_descriptor import MetricSourceDescriptor
    from cloudrig.provider._authorization import Decision
    from cloudrig.provider._contract import Provider
    from cloudrig.provider._descriptor import ProviderDescriptor

ENTRY_POINT_GROUP = "cloudrig"
PLUGINS_ENV = "CLOUDRIG_PLUGINS"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used: where it came from and why."""

    source: str  # the distribution name, or "module NAME" for plugins loaded by name
    entry_point: str | None
    error: str

    def __str__(self) -> str:
        where = f" (entry point {self.entry_point})" if self.entry_point else ""
        return f"{self.source}{where}: {self.error}"


class _Distribution:
    """The distribution a plugin was installed with. Its name and version are read from its
    metadata on first use, once: listing providers parses no distribution's metadata unless it
    shows it (``cloudrig providers`` and ``doctor`` do, ``connect`` and ``config validate`` never)."""

    def __init__(self, dist: importlib.metadata.Distribution | None) -> None:
        self._dist = dist
        self._read: tuple[str | None, str | None] | None = None

    def name_version(self) -> tuple[str | None, str | None]:
        if self._read is None:
            if self._dist is None:
                self._read = (None, None)
            else:
                metadata = self._dist.metadata  # parsed once for both
                self._read = (metadata["Name"], metadata["Version"])
        return self._read

    def source(self, otherwise: str) -> str:
        """The distribution's name, as a failure's source; ``otherwise`` when there is none."""
        return self.name_version()[0] or otherwise


_BY_NAME = _Distribution(None)  # plugins loaded by module name


@dataclass(frozen=True)
class ProviderEntry:
    """A provider descriptor with where it came from."""

    descriptor: ProviderDescriptor
    plugin: str
    installed_with: _Distribution = field(default=_BY_NAME, repr=False, compare=False)

    @property
    def distribution(self) -> str | None:
        """The distribution's name, ``None`` for a plugin loaded by module name."""
        return self.installed_with.name_version()[0]

    @property
    def version(self) -> str | None:
        return self.installed_with.name_version()[1]

    @property
    def name(self) -> str:
        return self.descriptor.name

    @property
    def compatible(self) -> bool:
        from cloudrig.provider._version import contract_compatible

        return contract_compatible(self.descriptor.contract_version)

    @property
    def origin(self) -> str:
        if self.distribution:
            return f"{self.distribution} {self.version or ''}".strip()
        return f"module {self.plugin}"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class PluginRegistry:
    """The loaded plugins, their providers, and the failures met on the way."""

    def __init__(
        self,
        plugins: Iterable[str | ModuleType | object] = (),
        *,
        entry_points: bool = True,
        environment: bool = True,
    ) -> None:
        self.manager = pluggy.PluginManager("cloudrig")
        self.manager.add_hookspecs(_hookspecs)
        self.failures: list[PluginFailure] = []
        self._origin: dict[str, _Distribution] = {}
        self._implementations: dict[str, type[Provider[Any]]] = {}
        if entry_points:
            self._load_entry_points()
        names: list[str | ModuleType | object] = list(plugins)
        if environment:
            names += [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]
        for plugin in names:
            self.add(plugin)
        self.providers: dict[str, ProviderEntry] = self._collect_providers()
        self._metric_sources: dict[str, MetricSourceDescriptor] | None = None

    # -- loading ---------------------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            installed_with = _Distribution(ep.dist)
            if self.manager.get_plugin(ep.name) is not None or self.manager.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
                self.manager.register(plugin, name=ep.name)
            except Exception as exc:  # isolate any failure of third-party code
                source = installed_with.source(f"entry point {ep.name}")
                self.failures.append(PluginFailure(source, ep.value, _describe(exc)))
                continue
            self._origin[ep.name] = installed_with

    def add(self, plugin: str | ModuleType | object) -> None:
        """Register a plugin besides the entry points: a module name, a module, or any object whose
        methods are marked with ``cloudrig.provider.hookimpl`` (handy for tests and embedders)."""
        if isinstance(plugin, str):
            name = plugin
        elif isinstance(plugin, ModuleType):
            name = plugin.__name__
        else:
            name = f"{type(plugin).__module__}.{type(plugin).__qualname__}@{id(plugin):x}"
        if self.manager.get_plugin(name) is not None:
            return
        try:
            obj = importlib.import_module(plugin) if isinstance(plugin, str) else plugin
            self.manager.register(obj, name=name)
        except Exception as exc:
            self.failures.append(PluginFailure(f"module {name}", None, _describe(exc)))
            return
        self._origin[name] = _BY_NAME

    def _collect_providers(self) -> dict[str, ProviderEntry]:
        from cloudrig.provider._descriptor import ProviderDescriptor

        providers: dict[str, ProviderEntry] = {}
        # Called one implementation at a time so one plugin's exception or bad answer cannot hide
        # the others' providers.
        for impl in self.manager.hook.cloudrig_providers.get_hookimpls():
            name = self.manager.get_name(impl.plugin) or repr(impl.plugin)
            installed_with = self._origin.get(name, _BY_NAME)
            try:
                answer: Any = impl.function()
                descriptors: list[Any] = list(answer or ())
                bad = [d for d in descriptors if not isinstance(d, ProviderDescriptor)]
                if bad:
                    raise PluginError(
                        f"cloudrig_providers returned {type(bad[0]).__name__}, "
                        "expected ProviderDescriptor"
                    )
            except Exception as exc:
                source = installed_with.source(f"module {name}")
                self.failures.append(PluginFailure(source, name, _describe(exc)))
                continue
            for descriptor in descriptors:
                if descriptor.name in providers:
                    first = providers[descriptor.name].origin
                    source = installed_with.source(f"module {name}")
                    self.failures.append(
                        PluginFailure(
                            source,
                            name,
                            f"provider name {descriptor.name!r} is already provided by {first}",
                        )
                    )
                    continue
                providers[descriptor.name] = ProviderEntry(descriptor, name, installed_with)
        return providers

    # -- queries -------------------------------------------------------------------------------
    @property
    def plugins(self) -> dict[str, tuple[str | None, str | None]]:
        """Every plugin that loaded, by name, with its (distribution, version); ``(None, None)``
        for plugins loaded by module name. Used by ``cloudrig doctor``."""
        return {
            name: installed_with.name_version() for name, installed_with in self._origin.items()
        }

    @property
    def metric_sources(self) -> dict[str, MetricSourceDescriptor]:
        """The installed metric sources by name (``cloudrig_metric_sources``), collected on first
        use; a plugin's failure is recorded in ``failures`` like a provider's."""
        if self._metric_sources is None:
            from cloudrig.canary._source_descriptor import MetricSourceDescriptor

            found: dict[str, MetricSourceDescriptor] = {}
            for impl in self.manager.hook.cloudrig_metric_sources.get_hookimpls():
                name = self.manager.get_name(impl.plugin) or repr(impl.plugin)
                try:
                    result: Any = impl.function()
                    answer = list(result or ())
                    bad = [d for d in answer if not isinstance(d, MetricSourceDescriptor)]
                    if bad:
                        raise PluginError(
                            f"cloudrig_metric_sources returned {type(bad[0]).__name__}, "
                            "expected MetricSourceDescriptor"
                        )
                except Exception as exc:
                    source = self._origin.get(name, _BY_NAME).source(f"module {name}")
                    self.failures.append(PluginFailure(source, name, _describe(exc)))
                    continue
                for descriptor in answer:
                    found.setdefault(descriptor.name, descriptor)
            self._metric_sources = found
        return self._metric_sources

    def provider(self, name: str) -> ProviderEntry:
        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(sorted(self.providers)) or "none"
            raise PluginError(f"unknown provider {name!r} (installed: {known})") from None

    def check_version(self, name: str) -> None:
        from cloudrig.provider._version import CONTRACT_VERSION

        entry = self.provider(name)
        if not entry.compatible:
            raise ContractVersionError(
                f"provider {name!r} ({entry.origin}) was written for contract version "
                f"{entry.descriptor.contract_version}; this cloudrig implements contract version "
                f"{CONTRACT_VERSION}"
            )

    def implementation(self, name: str) -> type[Provider[Any]]:
        """Import a provider's implementation class and check it fulfils the contract; the
        descriptor's references (settings models, naming policy) are imported and checked too."""
        if name in self._implementations:
            return self._implementations[name]
        from cloudrig.provider._contract import contract_problems

        self.check_version(name)
        entry = self.provider(name)
        module_name, _, attr = entry.descriptor.implementation.partition(":")
        try:
            obj: object = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except Exception as exc:
            raise PluginError(
                f"provider {name!r} ({entry.origin}): cannot import implementation "
                f"{entry.descriptor.implementation}: {_describe(exc)}"
            ) from exc
        if isinstance(obj, type):
            problems = contract_problems(obj, entry.descriptor.capabilities)
        else:
            problems = [f"{entry.descriptor.implementation} is not a class"]
        if problems:
            raise PluginError(
                f"provider {name!r} ({entry.origin}) does not fulfil the contract: "
                + "; ".join(problems)
            )
        for reference in entry.descriptor.references():
            getattr(entry.descriptor, reference)  # imports and checks it, or raises PluginError
        cls: type[Provider[Any]] = obj  # type: ignore[assignment]  # checked above
        self._implementations[name] = cls
        return cls

    def authorize(
        self, principal: str | None, action: str, account: str, resource: str
    ) -> Decision:
        from cloudrig.provider._authorization import Decision

        answers = self.manager.hook.cloudrig_authorize(
            principal=principal, action=action, account=account, resource=resource
        )
        for answer in answers:
            if isinstance(answer, Decision) and not answer.allowed:
                return answer
        return Decision.allow()
