"""The README is executable: its "How it feels" Python snippet and its command-line sequence run as
written against moto, with only each account's ``endpoint_url`` added to its ``cloudrig.yaml``;
so does the package README's example (core/README.md) with the README's files.

The blocks are read from README.md itself, so editing the README without keeping it working fails
here. The snippet creates what it needs, prints each event while the deployment runs (checked by
holding moto's first health answer until the snippet has printed the create), and exits non-zero
when the deployment fails; every command of the sequence exits 0, and what they did is checked in
moto's own state: the groups, which of them the load balancer's target group serves, the rules.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.proxy import FaultProxy, Request, Respond

pytestmark = [pytest.mark.moto, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## How it feels"
ACCOUNT, CLUSTER, LB, SG = "aws-prod", "checkout-prod", "checkout-prod", "checkout"


@dataclass(frozen=True)
class Readme:
    python: str
    files: dict[str, str]
    """The YAML blocks by the file name their first line gives (``# cloudrig.yaml: ...``)."""
    commands: list[str]


def read_readme() -> Readme:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    python = [body for lang, body in blocks if lang == "python"]
    files = {
        m[1]: body
        for lang, body in blocks
        if lang == "yaml" and (m := re.match(r"# ([\w.-]+\.ya?ml):", body))
    }
    commands = [
        line.removeprefix("$ ")
        for lang, body in blocks
        if lang == "console"
        for line in body.splitlines()
        if line.startswith("$ cloudrig")
    ]
    assert len(python) == 1, "one Python snippet in the section"
    assert set(files) == {"cloudrig.yaml", "checkout.yaml"}, files.keys()
    assert commands, "a command-line sequence"
    return Readme(python[0], files, commands)


@dataclass
class Hold:
    """Holds moto's first DescribeTargetHealth after the first CreateAutoScalingGroup (the new
    group's first health check) until the snippet has printed its ``created`` event."""

    printed: threading.Event = field(default_factory=threading.Event)
    created: bool = False
    held: bool = False
    printed_while_held: bool | None = None

    def __call__(self, request: Request) -> Respond | None:
        if request.operation == "CreateAutoScalingGroup":
            self.created = True
        elif request.operation == "DescribeTargetHealth" and self.created and not self.held:
            self.held = True
            self.printed_while_held = self.printed.wait(timeout=30)
        return None


@pytest.fixture
def readme() -> Readme:
    return read_readme()


@pytest.fixture
def proxy(moto_aws: Any, fault_proxy: Any) -> FaultProxy:
    """moto behind the fault proxy: the endpoint the README's accounts get."""
    proxied: FaultProxy = fault_proxy(moto_aws.url)
    return proxied


@pytest.fixture
def workdir(tmp_path: Path, readme: Readme, proxy: FaultProxy) -> Path:
    """The README's files, as a user would save them, plus the endpoint in each account."""
    config = yaml.safe_load(readme.files["cloudrig.yaml"])
    for account in config["accounts"].values():
        account["endpoint_url"] = proxy.url
    (tmp_path / "cloudrig.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (tmp_path / "checkout.yaml").write_text(readme.files["checkout.yaml"], encoding="utf-8")
    (tmp_path / "snippet.py").write_text(readme.python, encoding="utf-8")
    return tmp_path


def environment(workdir: Path) -> dict[str, str]:
    """A user's shell: credentials in boto3's default chain, no AWS or cloudrig files of the
    machine's (HOME is the work dir), the state store in the work dir, this venv on PATH."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(workdir),
        "XDG_STATE_HOME": str(workdir / "state"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "COLUMNS": "160",
    }


def python_block(readme: Path) -> str:
    blocks = re.findall(r"^```python\n(.*?)^```$", readme.read_text("utf-8"), re.M | re.S)
    assert len(blocks) == 1, f"one Python example in {readme}"
    return str(blocks[0])


def run_snippet(
    workdir: Path, hold: Hold | None = None, script: str = "snippet.py"
) -> tuple[int, list[str], str]:
    """Run the snippet; return its exit code, its stdout lines and its stderr. ``hold`` hears
    every line as it arrives."""
    child = subprocess.Popen(
        [sys.executable, script],
        cwd=workdir,
        env=environment(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def read(stream: Iterator[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))
            if hold is not None and re.search(rf"created +created {CLUSTER}-v001\b", line):
                hold.printed.set()

    assert child.stdout is not None
    assert child.stderr is not None
    reader = threading.Thread(target=read, args=(child.stdout,), daemon=True)
    reader.start()
    try:
        stderr = child.stderr.read()
        code = child.wait(timeout=120)
    finally:
        child.kill()
    reader.join(timeout=10)
    return code, lines, stderr


def groups(moto: Any) -> dict[str, dict[str, Any]]:
    found = moto.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    return {g["AutoScalingGroupName"]: g for g in found}


def serving(moto: Any) -> list[str]:
    """The groups attached to the load balancer's target group, from Auto Scaling's side."""
    elb = moto.client("elbv2")
    arn = elb.describe_target_groups(Names=[LB])["TargetGroups"][0]["TargetGroupArn"]
    return sorted(name for name, g in groups(moto).items() if arn in g["TargetGroupARNs"])


def test_the_snippet_then_the_command_line_sequence(
    workdir: Path, readme: Readme, proxy: FaultProxy, moto_aws: Any
) -> None:
    hold = Hold()
    proxy.add_responder(hold)
    code, lines, stderr = run_snippet(workdir, hold)
    assert code == 0, "\n".join(lines) + stderr
    assert hold.held, "the new group's health was asked"
    assert hold.printed_while_held, "the created event was printed while the deployment ran"
    assert any(" done " in line and "succeeded" in line for line in lines), lines
    assert lines[-1] == f"{CLUSTER}-v001 enabled"

    ec2 = moto_aws.client("ec2")
    sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [SG]}])
    rules = sg["SecurityGroups"][0]["IpPermissions"]
    assert [(r["FromPort"], r["IpRanges"][0]["CidrIp"]) for r in rules] == [(8080, "10.0.0.0/8")]
    v001 = groups(moto_aws)[f"{CLUSTER}-v001"]
    assert (v001["MinSize"], v001["DesiredCapacity"], v001["MaxSize"]) == (2, 3, 6)
    assert serving(moto_aws) == [f"{CLUSTER}-v001"]

    outputs: dict[str, str] = {}
    for command in readme.commands:
        done = subprocess.run(
            shlex.split(command, comments=True),
            cwd=workdir,
            env=environment(workdir),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"$ {command}\n{done.stdout}{done.stderr}"
        outputs[shlex.join(shlex.split(command, comments=True))] = done.stdout
        if command.startswith("cloudrig deploy checkout.yaml ") and "--dry-run" not in command:
            assert serving(moto_aws) == [f"{CLUSTER}-v002"], "v002 took the traffic"
        if command.startswith("cloudrig rollback"):
            assert serving(moto_aws) == [f"{CLUSTER}-v001"], "v001 serves again"
            assert set(groups(moto_aws)) == {f"{CLUSTER}-v001", f"{CLUSTER}-v002"}

    # The spec file declares what the snippet created, the same way: nothing to change.
    planned = outputs["cloudrig apply checkout.yaml --dry-run"]
    assert f"load balancer {LB}: unchanged" in planned
    assert f"security group {SG}: unchanged" in planned
    assert f"{CLUSTER}-v002" in outputs[f"cloudrig cluster show {ACCOUNT} {CLUSTER}"]


def test_the_snippet_exits_non_zero_when_its_deployment_fails(
    workdir: Path, proxy: FaultProxy, moto_aws: Any
) -> None:
    # Auto Scaling refuses the new group (a permanent error, in its wire shape).
    refusal = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
        "<Message>Injected: launch refused</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
    proxy.add(
        Respond(400, refusal.encode(), {"Content-Type": "text/xml"}),
        operation="CreateAutoScalingGroup",
    )
    code, lines, stderr = run_snippet(workdir)
    assert code == 1, "\n".join(lines) + stderr
    assert re.search(r"deployment \w+ failed: .*launch refused", stderr), stderr
    assert groups(moto_aws) == {}
    assert os.path.exists(workdir / "state" / "cloudrig" / "deployments.sqlite3")


def test_the_package_readme_example(workdir: Path, moto_aws: Any) -> None:
    (workdir / "package.py").write_text(python_block(ROOT / "core" / "README.md"), "utf-8")
    code, lines, stderr = run_snippet(workdir, script="package.py")
    assert code == 0, "\n".join(lines) + stderr
    assert f"load balancer {LB}: create" in lines, "the dry run's plan"
    assert f"security group {SG}: create" in lines
    assert any(re.search(rf"created +created {CLUSTER}-v001\b", line) for line in lines), lines
    assert serving(moto_aws) == [f"{CLUSTER}-v001"]
