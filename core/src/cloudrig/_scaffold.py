"""``cloudrig new-provider``: a renamed copy of the provider template, its tests included.

The template is the ``cloudrig-example`` distribution (``examples/provider-template`` in the
repository): the provider package ``cloudrig_example``, the stand-in cloud its tests run against
(``example_cloud``), its tests, README and ``pyproject.toml``. An installed wheel carries the last
three inside the package (``cloudrig_example/_template``); a source checkout has them beside
``src/``. Both are read the same way, so a copy made from either is identical.

Renaming is textual and targeted, so prose keeps the word "example": the distribution
(``cloudrig-example``), the import packages (``cloudrig_example``, ``example_cloud``), class names
that start with ``Example`` followed by a capital, the provider's name as a quoted string
(``"example"``) or an entry-point key, and ``EXAMPLE_`` in environment variable names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from cloudrig._errors import PluginError

NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".cfg", ".ini", ".yaml", ".yml", ".json"}
_TEMPLATE_ONLY = re.compile(r"\n*# >>> template only.*?# <<< template only\n", re.S)
_SKIPPED = {"__pycache__", "_template", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Names:
    """Every spelling of a provider's name the copy needs."""

    provider: str  # the provider's name in configuration: "my-cloud"
    package: str  # import packages: "my_cloud" (cloudrig_my_cloud, my_cloud_cloud)
    camel: str  # class names: "MyCloud" (MyCloudProvider)
    upper: str  # environment variables: "MY_CLOUD"

    @classmethod
    def of(cls, name: str) -> Names:
        if not NAME.fullmatch(name) or name == "example":
            raise ValueError(
                f"provider name {name!r}: use lowercase letters and digits, words separated by "
                "'-' or '_', starting with a letter (and not 'example', the template's own)"
            )
        package = name.replace("-", "_")
        camel = "".join(part.capitalize() for part in package.split("_"))
        return cls(provider=name, package=package, camel=camel, upper=package.upper())

    def rename(self, text: str) -> str:
        """The template's text with the example's names replaced by these."""
        text = text.replace("cloudrig_example", f"cloudrig_{self.package}")
        text = text.replace("cloudrig-example", f"cloudrig-{self.provider}")
        text = text.replace("example_cloud", f"{self.package}_cloud")
        text = re.sub(r"\bExample(?=[A-Z])", self.camel, text)
        text = re.sub(r"(?<![\w-])EXAMPLE_", f"{self.upper}_", text)
        text = re.sub(r"_EXAMPLE_", f"_{self.upper}_", text)
        text = text.replace('"example"', f'"{self.provider}"')
        text = text.replace("'example'", f"'{self.provider}'")
        text = re.sub(r"(provider:\s*)example\b", rf"\g<1>{self.provider}", text)
        return re.sub(r"(?m)^example = ", f"{self.provider} = ", text)

    def rename_path(self, path: str) -> str:
        """A template file's path in the copy."""
        path = path.replace("cloudrig_example", f"cloudrig_{self.package}")
        return path.replace("example_cloud", f"{self.package}_cloud")


def template_files() -> Iterator[tuple[str, bytes]]:
    """Every file of the template as (path relative to the project root, content)."""
    try:
        package = resources.files("cloudrig_example")
    except ModuleNotFoundError:
        raise PluginError(
            "cloudrig new-provider copies the provider template, which is not installed: "
            "pip install cloudrig-example"
        ) from None
    bundled = package / "_template"
    if bundled.is_dir():  # an installed wheel
        yield from _walk(bundled, "")
        yield from _walk(package, "src/cloudrig_example/")
        yield from _walk(resources.files("example_cloud"), "src/example_cloud/")
        return
    root = Path(str(package)).resolve().parents[1]  # a source checkout: <root>/src/cloudrig_example
    if not (root / "pyproject.toml").is_file() or not (root / "tests").is_dir():
        raise PluginError(
            f"the installed cloudrig-example at {package} carries no template (no tests or "
            "pyproject.toml beside it); reinstall it from its wheel or from the repository"
        )
    for part in ("pyproject.toml", "README.md"):
        yield part, (root / part).read_bytes()
    yield from _walk(root / "tests", "tests/")
    yield from _walk(root / "src", "src/")


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name in _SKIPPED or item.name.endswith(".pyc"):
            continue
        if item.is_dir():
            yield from _walk(item, f"{prefix}{item.name}/")
        else:
            yield f"{prefix}{item.name}", item.read_bytes()


def new_provider(name: str, destination: Path) -> list[Path]:
    """Write a renamed copy of the template to ``destination`` (which must not exist or be
    empty); returns the files written. A bad name or destination raises ``ValueError``, a missing
    template ``PluginError``."""
    names = Names.of(name)
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"{destination} already exists and is not empty; choose a new folder")
    files = list(template_files())
    written: list[Path] = []
    for relative, content in files:
        target = destination / names.rename_path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(relative).suffix in _TEXT_SUFFIXES:
            text = _TEMPLATE_ONLY.sub("", content.decode("utf-8"))
            content = names.rename(text).encode("utf-8")
        target.write_bytes(content)
        written.append(target)
    return written
