"""The web view's security rules at the HTTP level (Starlette's TestClient, the reference cloud):
who may change what, CSRF on every form, the bind rule, and tokens that never show."""

from __future__ import annotations

import logging

import pytest

from cloudrig import ConfigError
from cloudrig.engine import DeploymentStatus
from cloudrig_web import load_settings, parse_token_options

from .conftest import TOKEN_ENV, Reference, csrf_of, eventually


def test_reads_are_open_on_localhost(reference: Reference) -> None:
    record = reference.at_gate()
    with reference.app() as client:
        clusters = client.get("/")
        assert clusters.status_code == 200
        assert "shop-prod-v001" in clusters.text
        assert "shop-prod-v002" in clusters.text
        listing = client.get("/deployments")
        assert listing.status_code == 200
        assert record.id[:12] in listing.text
        page = client.get(f"/deployments/{record.id}")
        assert page.status_code == 200
        assert 'id="approve"' in page.text, "a gate shows its approve button"
        assert client.get("/deployments/no-such-id").status_code == 404


def test_a_change_without_a_principal_is_401_and_changes_nothing(reference: Reference) -> None:
    record = reference.at_gate()
    with reference.app() as client:
        token = csrf_of(client.get(f"/deployments/{record.id}").text)
        answer = client.post(f"/deployments/{record.id}/approve", data={"csrf_token": token})
        assert answer.status_code == 401
        drain = client.post("/drain", data={"csrf_token": token, "state": "on"})
        assert drain.status_code == 401
        wrong = client.post(
            f"/deployments/{record.id}/approve",
            headers={"Authorization": "Bearer not-the-token"},
        )
        assert wrong.status_code == 401
    assert reference.rig.deployment(record.id).status is DeploymentStatus.AWAITING_APPROVAL
    assert not reference.store.draining()
    assert reference.authorizations.asked == [], "nothing was put to the hook"


def sign_in(client: object, token: str) -> None:
    from starlette.testclient import TestClient

    assert isinstance(client, TestClient)
    csrf = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": csrf, "token": token, "next": "/"})
    assert answer.status_code == 200, answer.text  # followed the redirect
    assert "cloudrig_session" in client.cookies


def test_a_form_without_its_csrf_token_is_403(reference: Reference, web_token: str) -> None:
    record = reference.at_gate()
    with reference.app() as client:
        sign_in(client, web_token)
        url = f"/deployments/{record.id}/approve"
        assert client.post(url).status_code == 403
        assert client.post(url, data={"csrf_token": "x" * 43}).status_code == 403
        token = csrf_of(client.get(f"/deployments/{record.id}").text)
        other_site = client.post(
            url, data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
        )
        assert other_site.status_code == 403
        # A login form is a form too.
        assert client.post("/login", data={"token": web_token}).status_code == 403
    assert reference.rig.deployment(record.id).status is DeploymentStatus.AWAITING_APPROVAL


def test_a_signed_in_approval_continues_the_deployment_as_its_principal(
    reference: Reference, web_token: str
) -> None:
    record = reference.at_gate()
    with reference.app() as client:
        sign_in(client, web_token)
        token = csrf_of(client.get(f"/deployments/{record.id}").text)
        answer = client.post(
            f"/deployments/{record.id}/approve",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"/deployments/{record.id}")
        eventually(lambda: reference.rig.deployment(record.id).status.finished)
    assert reference.rig.deployment(record.id).status is DeploymentStatus.SUCCEEDED
    groups = {g.name: g.enabled for g in reference.rig.cluster("test", "shop-prod").server_groups}
    assert groups == {"shop-prod-v001": False, "shop-prod-v002": True}
    asked = reference.authorizations.asked
    assert asked[0] == ("alice", "promote", "test", record.id)
    # The cloud operations after the gate were authorized for alice, not for the server.
    assert ("alice", "set_traffic_weights", "test", "shop-prod-v002") in asked
    assert {principal for principal, *_ in asked} == {"alice"}


def test_a_bearer_token_needs_no_csrf_and_the_hook_can_refuse(
    reference: Reference, web_token: str
) -> None:
    record = reference.at_gate()
    reference.authorizations.denied.add("alice")
    bearer = {"Authorization": f"Bearer {web_token}"}
    with reference.app() as client:
        refused = client.post(f"/deployments/{record.id}/reject", headers=bearer)
        assert refused.status_code == 403
        assert "alice is on the deny list" in refused.text
        assert reference.rig.deployment(record.id).status is DeploymentStatus.AWAITING_APPROVAL
        reference.authorizations.denied.clear()
        answer = client.post(
            f"/deployments/{record.id}/reject", headers=bearer, follow_redirects=False
        )
        assert answer.status_code == 303
        eventually(lambda: reference.rig.deployment(record.id).status.finished)
    assert reference.rig.deployment(record.id).status is DeploymentStatus.ROLLED_BACK
    assert ("alice", "reject", "test", record.id) in reference.authorizations.asked


def test_the_drain_switch(reference: Reference, web_token: str) -> None:
    with reference.app() as client:
        sign_in(client, web_token)
        token = csrf_of(client.get("/").text)
        assert client.post("/drain", data={"csrf_token": token, "state": "on"}).status_code == 200
        assert reference.store.draining()
        page = client.get("/deployments").text
        assert "on: new deployments wait" in page
        assert (
            client.post("/drain", data={"csrf_token": token, "state": "sideways"}).status_code
            == 400
        )
        assert client.post("/drain", data={"csrf_token": token, "state": "off"}).status_code == 200
    assert not reference.store.draining()
    drains = [a for a in reference.authorizations.asked if a[1] == "drain"]
    assert drains == [("alice", "drain", "*", "on"), ("alice", "drain", "*", "off")]


def test_the_trusted_header_only_when_configured(reference: Reference) -> None:
    with reference.app() as client:
        token = csrf_of(client.get("/").text)
        ignored = client.post(
            "/drain", data={"csrf_token": token, "state": "on"}, headers={"X-Forwarded-User": "bob"}
        )
        assert ignored.status_code == 401
    with reference.app(trusted_header="X-Forwarded-User") as client:
        token = csrf_of(client.get("/").text)
        headers = {"X-Forwarded-User": "bob"}
        no_csrf = client.post("/drain", data={"state": "on"}, headers=headers)
        assert no_csrf.status_code == 403, "a proxy's header is ambient: CSRF still applies"
        ok = client.post("/drain", data={"csrf_token": token, "state": "on"}, headers=headers)
        assert ok.status_code == 200
    assert reference.store.draining()
    assert ("bob", "drain", "*", "on") in reference.authorizations.asked


def test_the_token_never_shows(
    reference: Reference, web_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    record = reference.at_gate()
    seen = []
    with reference.app() as client:
        wrong = client.post("/login", data={"csrf_token": csrf_of(client.get("/login").text),
                                            "token": "guess"})  # fmt: skip
        assert wrong.status_code == 401
        sign_in(client, web_token)
        for path in ("/", "/deployments", f"/deployments/{record.id}", "/login"):
            seen.append(client.get(path).text)
    assert all(web_token not in text for text in seen)
    assert web_token not in caplog.text
    assert "alice signed in" in caplog.text


def test_binding_beyond_localhost_needs_the_flag_and_a_token(
    reference: Reference, web_token: str
) -> None:
    token = {"tokens": {"alice": f"env:{TOKEN_ENV}"}}
    with pytest.raises(ConfigError) as no_flag:
        load_settings(host="0.0.0.0", **token)
    assert "--allow-remote" in str(no_flag.value)
    assert "a token" not in str(no_flag.value)
    with pytest.raises(ConfigError) as no_token:
        load_settings(host="0.0.0.0", allow_remote=True)
    assert "needs a token" in str(no_token.value)
    with pytest.raises(ConfigError, match="needs a token"):  # a header is no token
        load_settings(host="10.0.0.1", allow_remote=True, trusted_header="X-User")
    assert load_settings(host="::1").loopback
    remote = load_settings(host="0.0.0.0", allow_remote=True, **token)
    # Beyond localhost, reads need a principal too.
    from cloudrig_web import create_app

    app = create_app(reference.rig, remote, connect_as=reference.connect)
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/").status_code == 401
        bearer = {"Authorization": f"Bearer {web_token}"}
        assert client.get("/", headers=bearer).status_code == 200


def test_the_serve_command_refuses_a_remote_bind_with_one_error(tmp_path: object) -> None:
    from typer.testing import CliRunner

    from cloudrig._cli import app

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--config", "/dev/null"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: invalid configuration: --host: 0.0.0.0 is not a loopback address: binding "
        "beyond localhost needs --allow-remote and a token (--token PRINCIPAL=env:NAME)"
    ]


def test_tokens_are_secret_references(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as literal:
        load_settings(tokens={"alice": "hunter2-literal"})
    assert "secret reference" in str(literal.value)
    assert "hunter2" not in str(literal.value)
    assert parse_token_options(["env:A", "bob=file:/run/b"]) == {
        "web": "env:A",
        "bob": "file:/run/b",
    }
    with pytest.raises(ConfigError, match="two tokens"):
        parse_token_options(["bob=env:A", "bob=env:B"])
