"""What the pages show (HTTP level, the reference cloud): a finished canary's report, the
deployments list, and the fragments the live streams send."""

from __future__ import annotations

import re

from cloudrig.canary import MetricSpec
from cloudrig.strategies import Canary, RedBlack

from .conftest import Reference


def test_a_finished_canary_shows_the_judges_report(reference: Reference) -> None:
    reference.rig.deploy(reference.spec("v1"), RedBlack()).raise_for_status()
    canary = Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        traffic_percent=10,
        canary_capacity=1,
    )
    done = reference.rig.deploy(reference.spec("v2"), canary).raise_for_status()
    with reference.app() as client:
        page = client.get(f"/deployments/{done.id}").text
    assert "Canary analysis" in page
    assert "outcome: pass" in page
    metric_rows = re.findall(r'<tr class="metric"><td></td><td>([^<]+)</td><td>([^<]+)</td>', page)
    assert metric_rows == [("latency", "pass")]
    assert 'data-finished="yes"' in page, "a finished deployment's page opens no stream"


def test_the_live_stream_of_a_deployment_sends_its_events_then_ends(reference: Reference) -> None:
    record = reference.at_gate()
    reference.rig.promote(record.id).raise_for_status()
    events = reference.rig.deployment_events(record.id)
    with reference.app() as client:
        after = events[2].seq
        with client.stream("GET", f"/deployments/{record.id}/live?after={after}") as stream:
            body = "".join(stream.iter_text())
    sent = re.findall(r'data-seq="(\d+)"', body)
    assert sent == [str(e.seq) for e in events[3:]]
    names = re.findall(r"^event: (\S+)", body, flags=re.M)
    assert names[-1] == "end"
    assert "steps" in names
    assert "summary" in names


def test_what_the_cloud_and_the_store_hold_is_escaped(reference: Reference) -> None:
    hostile = "<script>alert(1)</script>"
    done = reference.rig.deploy(reference.spec(hostile), RedBlack()).raise_for_status()
    with reference.app() as client:
        pages = [client.get(path).text for path in ("/", f"/deployments/{done.id}")]
    for page in pages:
        assert hostile not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
