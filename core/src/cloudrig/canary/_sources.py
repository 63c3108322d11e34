"""Metric sources: where a canary's metrics come from when configuration names one.

A metric of a canary strategy may name a configured source and a query template::

    metric_sources:                       # the configuration file
      prom:
        source: prometheus                # an installed metric source (cloudrig-prometheus)
        url: http://prometheus:9090
        token: env:PROM_TOKEN

    metrics:                              # the canary strategy's parameters
      - name: latency
        source: prom
        query: 'histogram_quantile(0.9, rate(http_seconds_bucket{server_group="$server_group"}[1m]))'

For each analysis interval the source is asked for the samples of the canary group and of its
baseline, the query's ``$server_group``, ``$cluster``, ``$version``, ``$account`` and ``$region``
substituted for each (``string.Template``: PromQL's own braces stay as they are). Sources are
built once per rig, on first use, with the rig's limiter: their requests are admitted like a
provider's. Metrics without a source are still asked of the ``cloudrig_canary_metrics`` hook.
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from cloudrig._plugins._hookspecs import hookimpl
from cloudrig.canary._models import MetricSamples, MetricsRequest
from cloudrig.ratelimit import Limiter

if TYPE_CHECKING:
    from cloudrig.canary._source_descriptor import MetricSourceDescriptor

_VERSION = re.compile(r"^(?P<cluster>.+)-(?P<version>v\d{3,})$")


class MetricSourceSettings(BaseModel):
    """Base of a metric source's settings model: one entry of ``metric_sources`` in the
    configuration, minus its ``source`` key. Unknown fields are errors; secrets are ``Secret``."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


@dataclass(frozen=True)
class GroupRef:
    """The server group a query is about, as its template sees it."""

    server_group: str
    cluster: str
    version: str
    account: str
    region: str

    @classmethod
    def of(cls, name: str, account: str, region: str) -> GroupRef:
        """From a server group's cloud name (``cluster-v003``)."""
        match = _VERSION.match(name)
        cluster, version = (match["cluster"], match["version"]) if match else (name, "")
        return cls(name, cluster, version, account, region)

    def substitute(self, template: str) -> str:
        """The query with ``$server_group``, ``$cluster``, ``$version``, ``$account`` and
        ``$region`` replaced; an unknown ``$name`` is an error naming it."""
        try:
            return string.Template(template).substitute(vars(self))
        except KeyError as exc:
            raise ValueError(
                f"query {template!r}: unknown variable ${exc.args[0]} (known: "
                + ", ".join(f"${k}" for k in vars(self))
                + ")"
            ) from None


@dataclass(frozen=True)
class MetricSourceContext:
    """What a metric source is built with: its configured name, validated settings, the limiter."""

    name: str
    settings: Any
    limiter: Limiter


@runtime_checkable
class MetricSource(Protocol):
    """A metric source's implementation, built once per rig with a ``MetricSourceContext``."""

    def samples(
        self, query: str, group: GroupRef, start: datetime, end: datetime
    ) -> tuple[float, ...]:
        """Every observation ``query`` (already substituted for ``group``) gives between ``start``
        and ``end``; empty when there is none. Errors raise: the canary counts them as no data."""
        ...

    def check(self) -> str:
        """One cheap request proving the source answers with these settings (``cloudrig doctor
        --accounts``): what it found (a version, a region), or an exception saying what is wrong."""
        ...


@dataclass(frozen=True)
class ConfiguredSource:
    """One entry of the configuration's ``metric_sources``: the source it names and its settings."""

    name: str
    descriptor: MetricSourceDescriptor
    settings: Any


class ConfiguredMetrics:
    """The rig's configured metric sources, answering ``cloudrig_canary_metrics`` for every metric
    that names one. Registered as a plugin by ``cloudrig.connect``."""

    def __init__(self, sources: Mapping[str, ConfiguredSource], limiter: Limiter) -> None:
        self.sources = dict(sources)
        self.limiter = limiter
        self._built: dict[str, MetricSource] = {}
        self._lock = threading.Lock()

    def source(self, name: str) -> MetricSource:
        """The configured source ``name``, built on first use."""
        with self._lock:
            if name not in self._built:
                if name not in self.sources:
                    known = ", ".join(sorted(self.sources)) or "none"
                    raise ValueError(
                        f"no metric source {name!r} is configured (configured: {known})"
                    )
                configured = self.sources[name]
                context = MetricSourceContext(name, configured.settings, self.limiter)
                self._built[name] = configured.descriptor.load()(context)
            return self._built[name]

    @hookimpl
    def cloudrig_canary_metrics(self, request: MetricsRequest) -> dict[str, MetricSamples]:
        """Samples of canary and baseline for every metric of ``request`` that names a source."""
        answers: dict[str, MetricSamples] = {}
        canary = GroupRef.of(request.canary, request.account, request.region)
        baseline = GroupRef.of(request.baseline, request.account, request.region)
        for spec in request.specs:
            if spec.source is not None and spec.query is not None:
                answers[spec.name] = self.samples(
                    spec.source, spec.query, canary, baseline, request
                )
        return answers

    def samples(
        self,
        source_name: str,
        query: str,
        canary: GroupRef,
        baseline: GroupRef,
        request: MetricsRequest,
    ) -> MetricSamples:
        """Ask source ``source_name`` for both groups over the request's interval."""
        source = self.source(source_name)
        start, end = request.start, request.end
        return MetricSamples(
            canary=source.samples(canary.substitute(query), canary, start, end),
            baseline=source.samples(baseline.substitute(query), baseline, start, end),
            source=source_name,
        )
