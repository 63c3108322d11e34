"""The web view in a real browser (Debian's headless Chromium, driven by Playwright) over a red/black
deployment on moto: steps arriving live, a refused approval without the token, an approval from
the page that continues the deployment (checked in moto's own state), and screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cloudrig
from cloudrig import ServerGroupSpec
from cloudrig.engine import DeploymentStatus, SqliteStateStore
from cloudrig.strategies import RedBlack
from cloudrig_web import BackgroundServer, create_app, load_settings
from support.aws.accounts import CREDENTIALS, REGION, ZONES
from support.rig import PassingMetrics, RigFactory, limits

from .conftest import TOKEN_ENV

pytestmark = pytest.mark.moto

ACCOUNT = "aws-web"
WEB = RigFactory(provider="aws", account=ACCOUNT, settings={"regions": [REGION], **CREDENTIALS})


class MotoView:
    """A rig on moto (account ``aws-web``) and ``cloudrig serve``'s app over it on a free port."""

    def __init__(self, moto: Any, tmp: Path) -> None:
        self.moto = moto
        self.store = SqliteStateStore(tmp / "deployments.sqlite3")
        self.rig = self.connect(None)
        WEB.upsert_web(self.rig, REGION)
        settings = load_settings(tokens={"alice": f"env:{TOKEN_ENV}"}, poll_interval=0.1)
        self.app = create_app(self.rig, settings, connect_as=self.connect)
        self.server = BackgroundServer(self.app).start()
        self.url = self.server.url

    def connect(self, principal: str | None) -> cloudrig.Rig:
        account = {"provider": "aws", **WEB.settings, "endpoint_url": self.moto.url}
        return cloudrig.connect(
            {"accounts": {ACCOUNT: account}, "limits": limits()},
            principal=principal,
            plugins=[PassingMetrics()],
            state_store=self.store,
        )

    def spec(self, artifact: str) -> ServerGroupSpec:
        return WEB.spec(REGION, artifact, zones=ZONES)

    def asg(self, name: str) -> dict[str, Any]:
        found = self.moto.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]
        )
        groups: list[dict[str, Any]] = found["AutoScalingGroups"]
        return groups[0]

    def close(self) -> None:
        self.server.stop()
        self.rig.close()


@pytest.fixture
def view(
    moto_aws: Any, strict_aws: Any, aws_env: None, tmp_path: Path, web_token: str
) -> Iterator[MotoView]:
    view = MotoView(moto_aws, tmp_path)
    yield view
    view.close()


def shot(page: Any, artifacts: Path, name: str) -> Path:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{name}.png is (nearly) empty"
    return path


# Records every text the step and status cells of the deployment rows take, as the page sees them.
WATCH_ROWS = """() => {
  window.seen = [];
  window.notReloaded = true;
  const record = () => document.querySelectorAll("tr.deployment").forEach((row) =>
    window.seen.push(row.querySelector(".status").textContent + ":" +
                     row.querySelector(".step").textContent));
  new MutationObserver(record).observe(document.getElementById("deployments"),
                                       {childList: true, subtree: true});
}"""


def test_a_red_black_arrives_live_and_is_approved_from_the_page(
    view: MotoView, page: Any, artifacts: Path, web_token: str
) -> None:
    view.rig.deploy(view.spec("ami-00000001"), RedBlack()).raise_for_status()
    page.goto(view.url + "/deployments")
    page.evaluate(WATCH_ROWS)
    # Started while the page is open: a delay in disable-old keeps it running after approval.
    gated = RedBlack(approvals=("disable-old",), delay_before_disable=4)
    running = view.rig.deploy(view.spec("ami-00000002"), gated, background=True)
    page.wait_for_selector("tr.deployment.status-awaiting_approval", timeout=30_000)
    running.wait()
    assert running.id is not None
    # The new deployment's row appeared running at one of its first steps, then at the gate.
    seen = [s for s in page.evaluate("window.seen") if not s.startswith("succeeded:")]
    first_steps = {"-", "create-new", "verify-new", "enable-new"}  # "-": before its first step
    steps = [i for i, s in enumerate(seen) if s.startswith("running:")]
    assert steps, f"the page never showed it running: {seen}"
    assert steps[0] == 0, seen
    assert {seen[i].split(":", 1)[1] for i in steps} <= first_steps, seen
    assert set(seen[steps[-1] + 1 :]) == {"awaiting_approval:disable-old"}, seen
    assert page.evaluate("window.notReloaded"), "the rows arrived without a reload"

    # Without the token, the approval is refused and nothing moves.
    page.click(f"tr.deployment[data-id='{running.id}'] a")
    page.wait_for_selector("#approve")
    page.click("#approve")
    assert page.inner_text("#refused").startswith("sign in first")
    assert view.rig.deployment(running.id).status is DeploymentStatus.AWAITING_APPROVAL
    assert view.asg("shop-prod-v001")["TargetGroupARNs"], "v001 still takes traffic"

    # Signed in with the token, the approval continues the deployment; its steps arrive live.
    page.goto(f"{view.url}/login?next=/deployments/{running.id}")
    page.fill("#token", web_token)
    page.click("#sign-in")
    page.wait_for_selector("#approve")
    shot(page, artifacts, "web-gate")
    page.click("#approve")
    page.wait_for_url(f"**/deployments/{running.id}")
    assert page.get_attribute("#events", "data-finished") == "no"
    page.evaluate("window.notReloaded = true")
    page.wait_for_selector("tr.event.kind-done", timeout=30_000)
    assert page.inner_text("#status") == "succeeded"
    assert page.evaluate("window.notReloaded"), "the events arrived without a reload"
    states = page.eval_on_selector_all(
        "#steps tr.step", "rows => rows.map(r => r.querySelector('.state').textContent)"
    )
    assert states == ["done"] * len(states)
    assert page.query_selector("#approve") is None
    shot(page, artifacts, "web-deployment")

    # moto's own state: v001 left the target group (instances kept warm), v002 is in it.
    old, new = view.asg("shop-prod-v001"), view.asg("shop-prod-v002")
    assert old["TargetGroupARNs"] == []
    assert len(old["Instances"]) == 2
    assert len(new["TargetGroupARNs"]) == 1

    page.goto(view.url + "/")
    enabled = page.eval_on_selector_all(
        "tr.server-group",
        "rows => rows.map(r => [r.dataset.name, r.querySelector('.state').textContent, r.querySelector('.traffic').textContent.trim()])",
    )
    assert enabled == [
        ["shop-prod-v001", "disabled", "0%"],
        ["shop-prod-v002", "enabled", "100%"],
    ]
    shot(page, artifacts, "web-clusters")
