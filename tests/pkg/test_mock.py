"""mock() around code that builds its own boto3 clients (sample_app: a Lambda-style handler
and a sync job), and what it does to the environment before, during and after."""

from __future__ import annotations

import asyncio
import os
import socket
import urllib.parse

import boto3
import pytest

import sample_app
from partnercentral_local import Server, mock
from partnercentral_local.mock import ENV_CLEARED, ENV_SET

ENDPOINT_VAR = "AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING"


def refuses_connections(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return True
    return False


def aws_env() -> dict[str, str]:
    """The process's AWS_* variables (pytest changes PYTEST_CURRENT_TEST as a test runs)."""
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


@pytest.fixture
def real_looking_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment as on a developer's machine: a profile, real-looking keys, a token."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEREALKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    monkeypatch.delenv(ENDPOINT_VAR, raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    return aws_env()


def test_code_that_builds_its_own_clients_reaches_the_emulator(
    real_looking_env: dict[str, str],
) -> None:
    with mock() as server:
        created = sample_app.handler({"company": "Initech", "id": "evt-1"}, None)
        again = sample_app.handler({"company": "Initech", "id": "evt-1"}, None)  # idempotent
        assert again == created
        assert sample_app.sync_job() == [created["opportunityId"]]
        mine = server.client()
        opportunity = mine.get_opportunity(Catalog="Sandbox", Identifier=created["opportunityId"])
        assert opportunity["Customer"]["Account"]["CompanyName"] == "Initech"
        assert server.events("Opportunity Created")
        url = server.endpoint_url
    assert aws_env() == real_looking_env
    assert not server.running  # it started its own server, and stopped it
    assert refuses_connections(url)


def test_server_clients_ignore_the_profile(real_looking_env: dict[str, str]) -> None:
    """A profile of the environment (here: one that does not exist) is not the emulator's."""
    with Server() as server:
        pc = server.client(account_id="444444444444")
        assert pc.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []


def test_the_environment_during_the_block(real_looking_env: dict[str, str]) -> None:
    with mock(account_id="222222222222", region_name="eu-central-1") as server:
        assert os.environ[ENDPOINT_VAR] == server.endpoint_url
        assert os.environ["AWS_ACCESS_KEY_ID"] == "222222222222"
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == "local"
        assert os.environ["AWS_DEFAULT_REGION"] == os.environ["AWS_REGION"] == "eu-central-1"
        for name in ENV_CLEARED:
            assert name not in os.environ
        pc = boto3.client("partnercentral-selling")
        assert pc.meta.region_name == "eu-central-1"
        assert pc.meta.endpoint_url == server.endpoint_url
    assert aws_env() == real_looking_env


def test_restored_on_exceptions(real_looking_env: dict[str, str]) -> None:
    servers: list[Server] = []

    def failing_handler() -> None:
        with mock() as server:
            servers.append(server)
            assert os.environ[ENDPOINT_VAR] == server.endpoint_url
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        failing_handler()
    assert aws_env() == real_looking_env
    assert not servers[0].running


def test_restored_on_keyboard_interrupt(real_looking_env: dict[str, str]) -> None:
    with pytest.raises(KeyboardInterrupt), mock():
        raise KeyboardInterrupt
    assert aws_env() == real_looking_env


def test_unset_variables_are_unset_again(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ENV_SET, *ENV_CLEARED):
        monkeypatch.delenv(name, raising=False)
    before = aws_env()
    with mock():
        assert ENDPOINT_VAR in os.environ
    assert aws_env() == before


def test_as_a_decorator(real_looking_env: dict[str, str]) -> None:
    seen: list[str] = []

    @mock(account_id="333333333333")
    def job(company: str) -> list[str]:
        """A sync job."""
        seen.append(os.environ[ENDPOINT_VAR])
        sample_app.handler({"company": company, "id": company}, None)
        return sample_app.sync_job()

    assert job.__doc__ == "A sync job."
    assert len(job("Acme")) == 1
    assert len(job("Globex")) == 1  # each call: a server of its own
    assert len(seen) == 2
    assert seen[0] != seen[1]
    assert all(refuses_connections(url) for url in seen)
    assert aws_env() == real_looking_env


def test_as_a_decorator_of_a_coroutine(real_looking_env: dict[str, str]) -> None:
    @mock()
    async def job() -> str:
        await asyncio.sleep(0)
        return os.environ[ENDPOINT_VAR]

    url = asyncio.run(job())
    assert url.startswith("http://127.0.0.1:")
    assert aws_env() == real_looking_env


def test_a_given_server_is_reused_and_left_running(partnercentral: Server) -> None:
    with mock(partnercentral) as server:
        assert server is partnercentral
        sample_app.handler({"company": "Initech", "id": "x"}, None)
    assert partnercentral.running
    listed = partnercentral.client().list_opportunities(Catalog="Sandbox")
    assert len(listed["OpportunitySummaries"]) == 1


def test_nested_blocks_reuse_the_outer_server() -> None:
    with mock() as outer:
        with mock(account_id="222222222222") as inner:
            assert inner is outer
            assert os.environ["AWS_ACCESS_KEY_ID"] == "222222222222"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "111111111111"
        assert outer.running
    assert not outer.running


def test_one_mock_object_entered_twice() -> None:
    m = mock()
    with m as first:
        with m as second:
            assert first is second
        assert first.running
        assert m.server is first
    assert not first.running


def test_boto3_default_session_is_not_reused(
    real_looking_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_PROFILE")  # for the default session made before the block
    boto3.setup_default_session(
        aws_access_key_id="999999999999", aws_secret_access_key="x", region_name="us-west-2"
    )
    before = boto3.DEFAULT_SESSION
    try:
        with mock() as server:
            pc = boto3.client("partnercentral-selling")  # acts for 111111111111, not 999...
            oid = pc.create_opportunity(Catalog="Sandbox", **sample_app.sample_opportunity())["Id"]
            mine = server.client(account_id="111111111111")
            assert mine.get_opportunity(Catalog="Sandbox", Identifier=oid)["Id"] == oid
        assert boto3.DEFAULT_SESSION is before
    finally:
        boto3.DEFAULT_SESSION = None
