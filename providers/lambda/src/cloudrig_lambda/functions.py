"""Functions: finding a cluster's function, its cloudrig versions, and writing its code.

A cluster is one function; a server group is one published version of it. The version that
belongs to a server group is found by the cloudrig name in its description (``metadata``);
versions are immutable, so the name → version mapping is remembered in process and dropped when
the version turns out to be gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cloudrig import Clock, Conflict, InvalidSpec, NotFound, ProviderFailure
from cloudrig_aws import ClientFactory, tag_values
from cloudrig_lambda.code import is_image
from cloudrig_lambda.metadata import TAG_APP, VersionFacts, function_app, read_version
from cloudrig_lambda.naming import function_name

_FUNCTIONS = ("functions",)  # the read cache key of the region's function listing


def _tagged(app: str) -> tuple[str, str]:
    """The read cache key of the functions tagged with ``app``."""
    return ("tagged-functions", app)


# How long a function may stay Pending / InProgress before a create gives up.
SETTLE_TIMEOUT = 300.0


@dataclass(frozen=True)
class Version:
    """A published version that cloudrig created, with what Lambda says about it."""

    function: str
    number: str
    facts: VersionFacts
    config: dict[str, Any]


class Functions:
    def __init__(self, factory: ClientFactory, clock: Clock) -> None:
        self._factory = factory
        self._clock = clock
        self._lock = threading.Lock()
        self._numbers: dict[tuple[str, str], str] = {}  # (region, group) → version number

    def client(self, region: str) -> Any:
        return self._factory.client("lambda", region)

    def s3(self, region: str) -> Any:
        """The gated S3 client that uploads large zips (``code``), built on first use."""
        return _Lazy(lambda: self._factory.client("s3", region))

    # -- reading ---------------------------------------------------------------------------------
    def versions(self, region: str, function: str) -> list[Version]:
        """Every cloudrig version of ``function`` (none when the function does not exist)."""
        client = self.client(region)

        def load() -> list[Any]:
            try:
                found: list[Any] = client.pages(
                    "list_versions_by_function", "Versions", FunctionName=function
                )
            except NotFound:
                return []
            return found

        configs: list[Any] = client.read(("versions", function), load)
        found = []
        for config in configs:
            facts = read_version(config.get("Description"))
            if facts is not None and config.get("Version") != "$LATEST":
                found.append(Version(function, str(config["Version"]), facts, config))
                with self._lock:
                    self._numbers[(region, facts.name)] = str(config["Version"])
        return found

    def find(self, region: str, name: str) -> Version | None:
        """The version of server group ``name``: one ``GetFunction`` when its number is known."""
        function = function_name(name)
        with self._lock:
            number = self._numbers.get((region, name))
        if number is not None:
            client = self.client(region)

            def load() -> dict[str, Any] | None:
                try:
                    found: dict[str, Any] = client.call(
                        "get_function", resource=name, FunctionName=function, Qualifier=number
                    )
                except NotFound:
                    return None
                return found

            # Cached briefly (a version's code and description never change; its state does,
            # and the core's decision reads bypass the cache).
            answer = client.read(("version", function, number), load)
            config = (answer or {}).get("Configuration", {})
            facts = read_version(config.get("Description"))
            if facts is not None and facts.name == name:
                image = (answer.get("Code") or {}).get("ImageUri")  # not in Configuration
                extra = {"_tags": answer["Tags"], **({"_image": image} if image else {})}
                return Version(function, number, facts, config | extra)
            with self._lock:
                self._numbers.pop((region, name), None)
        for version in self.versions(region, function):
            if version.facts.name == name:
                return self.find(region, name)
        return None

    def require(self, region: str, name: str) -> Version:
        version = self.find(region, name)
        if version is None:
            raise NotFound(f"server group {name} not found", resource=name)
        return version

    def number(self, region: str, name: str) -> str:
        """The version number of server group ``name``: remembered (a group's version never
        changes; one that was deleted is refused by the alias write that names it), else read."""
        with self._lock:
            number = self._numbers.get((region, name))
        return number if number is not None else self.require(region, name).number

    def tagging(self, region: str) -> Any:
        return self._factory.client("resourcegroupstaggingapi", region)

    def of_app(self, region: str, app: str) -> Iterator[tuple[str, dict[str, str]]]:
        """The functions whose stored cluster moniker has ``app``, with their tags.

        One ``tag:GetResources`` of the functions tagged with the app (``TAG_APP``) — pages of
        the app's functions, however many others the region holds. Only when it finds none (an
        app's first deployment, or functions created before cloudrig tagged them: their next
        deployment does) is the region scanned with ``ListFunctions`` and their description
        read. Both through the read cache (this process's writes of functions and their tags
        invalidate them; listings that decide a write are fresh)."""
        tagging = self.tagging(region)
        tagged: list[dict[str, Any]] = tagging.read(
            _tagged(app),
            lambda: tagging.pages(
                "get_resources",
                "ResourceTagMappingList",
                ResourceTypeFilters=["lambda:function"],
                TagFilters=[{"Key": TAG_APP, "Values": [tag_values.encode(app)]}],
            ),
        )
        if tagged:
            for item in tagged:
                name = str(item["ResourceARN"]).split(":")[6]  # arn:aws:lambda:r:a:function:name
                yield name, {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            return
        yield from self._scanned(region, app)

    def _scanned(self, region: str, app: str) -> Iterator[tuple[str, dict[str, str]]]:
        """The region's scan: every function, its description says whose it is."""
        client = self.client(region)
        listed: list[dict[str, Any]] = client.read(
            _FUNCTIONS, lambda: client.pages("list_functions", "Functions")
        )
        for config in listed:
            if function_app(config.get("Description")) == app:
                arn = config["FunctionArn"]
                tags = client.read(
                    ("tags", arn), lambda arn=arn: client.call("list_tags", Resource=arn)
                )
                yield config["FunctionName"], dict(tags.get("Tags", {}))

    def tag_app(self, *, region: str, version: Version) -> bool:
        """Tag the function of ``version`` with its app (``TAG_APP``) unless it is: True when
        it was not (a function created before cloudrig tagged them)."""
        tags = version.config.get("_tags", {})
        app = version.facts.metadata.moniker.app
        if TAG_APP in tags:
            return False
        arn = ":".join(str(version.config["FunctionArn"]).split(":")[:7])  # unqualified
        self.client(region).call(
            "tag_resource", safe=True, Resource=arn, Tags={TAG_APP: tag_values.encode(app)}
        )
        self.tags_changed(region, arn, app)
        return True

    def listing_changed(self, region: str, app: str) -> None:
        """After this process created or deleted a function of ``app`` in the region."""
        self.client(region).invalidate(_FUNCTIONS)
        self.tagging(region).invalidate(_tagged(app))

    def tags_changed(self, region: str, arn: str, app: str) -> None:
        """After this process changed the tags of the function ``arn`` of ``app``."""
        self.client(region).invalidate(("tags", arn))
        self.tagging(region).invalidate(_tagged(app))

    def forget(self, region: str, name: str) -> None:
        with self._lock:
            self._numbers.pop((region, name), None)
        self.client(region).invalidate(("versions", function_name(name)))

    # -- writing ---------------------------------------------------------------------------------
    def write(
        self,
        region: str,
        name: str,
        code: dict[str, Any],
        config: dict[str, Any],
        tags: dict[str, str],
        *,
        architectures: list[str],
        reserved: int | None = None,
    ) -> dict[str, str]:
        """Bring ``$LATEST`` to ``code`` and ``config`` (whose ``FunctionName`` is the cluster's
        function) for server group ``name``: create the function on the cluster's first
        deployment, else update its configuration, code (with ``architectures``: Lambda takes
        them with the code, not the configuration) and changed tags, settled after each write;
        then the function's reserved concurrency, when it differs from ``reserved``. A function
        whose description is not ``config``'s — another cluster's, or no cloudrig cluster's —
        is refused (``Conflict``), never adopted. Returns the function's tags as they now are."""
        function = config["FunctionName"]
        client = self.client(region)
        current = self._current(region, function)
        if current is None:
            last = client.call(
                "create_function",
                resource=function,
                Code=code,
                PackageType="Image" if is_image(code) else "Zip",
                Publish=False,
                Tags=tags,
                Architectures=architectures,
                **config,
            )
            app = function_app(config["Description"]) or ""
            self.listing_changed(region, app)  # the region's listing has one more function
            now = dict(tags)
        else:
            if current.get("Description") != config["Description"]:
                raise Conflict(
                    f"function {current['FunctionName']} belongs to another cluster or to no "
                    "cloudrig cluster; it is not adopted",
                    resource=name,
                )
            self.settle(region, function, current)
            last = client.call(
                "update_function_configuration", resource=function, safe=True, **config
            )
            self.settle(region, function, last)
            last = client.call(
                "update_function_code",
                resource=function,
                safe=True,
                FunctionName=function,
                Architectures=architectures,
                **code,
            )
            now = current["_tags"] | tags
            stale = {k: v for k, v in tags.items() if current["_tags"].get(k) != v}
            if stale:
                client.call("tag_resource", safe=True, Resource=current["FunctionArn"], Tags=stale)
                app = function_app(config["Description"]) or ""
                self.tags_changed(region, current["FunctionArn"], app)
        # Each write answers with the function's configuration: a settled one needs no read.
        self.settle(region, function, last)
        was = (current or {}).get("_reserved")
        if reserved != was:
            if reserved is None:
                client.call(
                    "delete_function_concurrency",
                    resource=function,
                    safe=True,
                    FunctionName=function,
                )
            else:
                client.call(
                    "put_function_concurrency",
                    resource=function,
                    safe=True,
                    FunctionName=function,
                    ReservedConcurrentExecutions=reserved,
                )
        return now

    def _current(self, region: str, function: str) -> dict[str, Any] | None:
        try:
            answer = self.client(region).call(
                "get_function", resource=function, FunctionName=function
            )
        except NotFound:
            return None
        config: dict[str, Any] = answer["Configuration"]
        reserved = (answer.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        return config | {"_tags": dict(answer.get("Tags", {})), "_reserved": reserved}

    def settle(
        self, region: str, function: str, seen: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Wait until the function accepts the next update (AWS refuses updates and publishes
        while ``State`` is Pending or ``LastUpdateStatus`` InProgress); polls with backoff.
        ``seen`` is the configuration the last write answered with: when it is settled
        already, no read is made."""
        deadline = self._clock.monotonic() + SETTLE_TIMEOUT
        pause = 0.5
        while True:
            config: dict[str, Any] = seen or self.client(region).call(
                "get_function_configuration", resource=function, FunctionName=function
            )
            seen = None
            if config.get("State") == "Failed" or config.get("LastUpdateStatus") == "Failed":
                reason = config.get("StateReason") or config.get("LastUpdateStatusReason") or ""
                raise InvalidSpec(f"function {function} failed: {reason}", resource=function)
            if config.get("State") != "Pending" and config.get("LastUpdateStatus") != "InProgress":
                return config
            if self._clock.monotonic() > deadline:
                raise ProviderFailure(f"function {function} still updating", resource=function)
            self._clock.sleep(pause)
            pause = min(pause * 2, 10.0)

    def publish(
        self,
        region: str,
        function: str,
        name: str,
        description: str,
        *,
        tags: dict[str, str],
        image: str | None = None,
    ) -> Version:
        """Publish ``$LATEST``. Lambda returns the existing version when neither code nor
        configuration changed: ours on a retry, another group's when the deployment is identical
        to it — said as ``Conflict`` rather than pretending a new version exists.

        The answer is the version's configuration: with the function's ``tags`` (as ``write``
        left them) and the ``image`` it runs, it is what ``GetFunction`` of the version would
        say, so it goes into the read cache instead of being read back (``find``)."""
        client = self.client(region)
        answer = client.call(
            "publish_version", resource=name, FunctionName=function, Description=description
        )
        client.invalidate(("versions", function))
        facts = read_version(answer.get("Description"))
        if facts is None or facts.name != name:
            other = facts.name if facts else "a version not made by cloudrig"
            raise Conflict(
                f"{name}: code and configuration are identical to version {answer['Version']} "
                f"({other}); Lambda published nothing new",
                resource=name,
            )
        number = str(answer["Version"])
        with self._lock:
            self._numbers[(region, name)] = number
        config = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        client.put(
            ("version", function, number),
            {
                "Configuration": config,
                "Tags": dict(tags),
                "Code": {"ImageUri": image} if image else {},
            },
        )
        return Version(function, number, facts, answer)


class _Lazy:
    """A client built when first called: deployments that upload nothing never build S3's."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build

    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._build().call(method, **kwargs)
        return answer
