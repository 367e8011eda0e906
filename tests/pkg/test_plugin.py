"""The pytest plugin's fixtures and marker, as a project that installed the package uses them
(nothing here defines them: the ``pytest11`` entry point does)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import boto3
import pytest

from partnercentral_local import Server, sample_opportunity

ENDPOINT_VAR = "AWS_ENDPOINT_URL_PARTNERCENTRAL_SELLING"
SEEN: dict[str, object] = {}


def test_the_plugin_is_loaded_from_the_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("partnercentral_local")
    assert plugin is not None
    assert plugin.__name__ == "partnercentral_local.plugin"


def test_partnercentral_is_a_running_server(partnercentral: Server) -> None:
    assert partnercentral.running
    assert partnercentral.health()["storage"] == "memory"
    pc = partnercentral.client()
    assert pc.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
    # Leave behind everything a test can change, for the next test to find gone.
    oid = pc.create_opportunity(Catalog="Sandbox", **sample_opportunity())["Id"]
    partnercentral.add_fault("ListSolutions", error="ThrottlingException")
    partnercentral.advance_clock("P2D")
    partnercentral.admin("PUT", "/catalogs/Sandbox/engagement-groups", {"Groups": [{"Name": "G"}]})
    SEEN.update(pid=partnercentral.pid, url=partnercentral.endpoint_url, oid=oid)


def test_each_test_starts_from_a_reset_server(partnercentral: Server) -> None:
    assert (partnercentral.pid, partnercentral.endpoint_url) == (SEEN["pid"], SEEN["url"])
    pc = partnercentral.client()
    assert pc.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
    assert partnercentral.faults() == []
    assert partnercentral.clock()["mode"] == "real"
    assert partnercentral.events() == []
    assert partnercentral.admin("GET", "/catalogs/Sandbox/engagement-groups") == {"Groups": []}
    # Ids are never reused, so an id of the last test names nothing now.
    new = pc.create_opportunity(Catalog="Sandbox", **sample_opportunity())["Id"]
    assert new != SEEN["oid"]


def test_the_session_server_is_shared(
    partnercentral_server: Server, partnercentral: Server
) -> None:
    assert partnercentral_server is partnercentral


def test_the_environment_is_not_touched_without_mock() -> None:
    assert os.environ.get(ENDPOINT_VAR) != SEEN["url"]


@pytest.mark.partnercentral_mock(account_id="222222222222")
def test_the_marker_applies_mock(partnercentral: Server) -> None:
    assert os.environ[ENDPOINT_VAR] == partnercentral.endpoint_url
    assert os.environ["AWS_ACCESS_KEY_ID"] == "222222222222"
    pc = boto3.client("partnercentral-selling")  # the code under test's own client
    oid = pc.create_opportunity(Catalog="Sandbox", **sample_opportunity())["Id"]
    mine = partnercentral.client(account_id="222222222222")
    assert mine.get_opportunity(Catalog="Sandbox", Identifier=oid)["Id"] == oid


@pytest.mark.partnercentral_mock
def test_the_bare_marker_works() -> None:
    pc = boto3.client("partnercentral-selling")
    assert pc.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []


def test_the_mock_fixture(partnercentral_mock: Server) -> None:
    assert os.environ[ENDPOINT_VAR] == partnercentral_mock.endpoint_url
    assert os.environ["AWS_ACCESS_KEY_ID"] == "111111111111"
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    import sample_app

    created = sample_app.handler({"company": "Initech", "id": "evt-1"}, None)
    assert sample_app.sync_job() == [created["opportunityId"]]


def test_after_the_mock_the_environment_is_back() -> None:
    assert os.environ.get(ENDPOINT_VAR) != SEEN["url"]
    assert os.environ.get("AWS_ACCESS_KEY_ID") not in ("111111111111", "222222222222")


def test_a_sample_project_with_serve_args(pytester: pytest.Pytester) -> None:
    """A project of its own (its own ini, its own process): the plugin is found through the
    entry point, the ini's serve options reach the server, fixtures reset between tests."""
    pytester.makeini(
        """
        [pytest]
        partnercentral_serve_args = --task-delay-ms 60000
        """
    )
    pytester.makepyfile(
        test_sample=textwrap.dedent(
            """
            from partnercentral_local import sample_opportunity

            def submit(server):
                pc = server.client()
                oid = pc.create_opportunity(Catalog="Sandbox", **sample_opportunity())["Id"]
                return pc.start_engagement_from_opportunity_task(
                    Catalog="Sandbox", Identifier=oid,
                    AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})

            def test_delayed_task(partnercentral):
                assert submit(partnercentral)["TaskStatus"] == "IN_PROGRESS"

            def test_again_from_nothing(partnercentral):
                pc = partnercentral.client()
                assert pc.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_dead_server_is_replaced_for_the_next_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_dies=textwrap.dedent(
            """
            import os, signal, time

            def test_kill(partnercentral):
                os.kill(partnercentral.pid, signal.SIGKILL)
                time.sleep(0.2)

            def test_next(partnercentral):
                assert partnercentral.running
                assert partnercentral.client().list_solutions(Catalog="Sandbox")
            """
        )
    )
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("SIGKILL")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_fixture_timing(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    """How fast the fixtures are: one server start per session, a reset per test. Measured
    in a sample project of 1 and of 101 tests (each test asks for ``partnercentral``)."""
    tests = "\n".join(
        f"def test_{i}(partnercentral):\n    assert partnercentral.running\n" for i in range(100)
    )
    pytester.makepyfile(test_many=tests)
    pytester.makepyfile(
        test_one="def test_one(partnercentral):\n    assert partnercentral.running\n"
    )

    def run(*args: str) -> float:
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=pytester.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return time.perf_counter() - started

    def plain(n: int) -> str:
        pytester.makepyfile(
            **{f"test_plain{n}": "\n".join(f"def test_{i}():\n    pass\n" for i in range(n))}
        )
        return f"test_plain{n}.py"

    baseline = run(plain(1))
    one = run("test_one.py")
    many = run("test_many.py", "test_one.py")
    baseline_many = run(plain(101))

    # Direct measurements, in this process.
    started = time.perf_counter()
    server = Server().start()
    start = time.perf_counter() - started
    try:
        samples = []
        for _ in range(50):
            t = time.perf_counter()
            server.reset_all()
            samples.append(time.perf_counter() - t)
    finally:
        server.stop()
    samples.sort()
    reset_median = samples[len(samples) // 2]
    per_test = (many - baseline_many - (one - baseline)) / 100
    with capsys.disabled():
        print(
            f"\n[fixture timing] server start {start * 1000:.0f} ms; reset_all median "
            f"{reset_median * 1000:.1f} ms (max {samples[-1] * 1000:.1f} ms); a session's "
            f"first partnercentral test costs {(one - baseline) * 1000:.0f} ms over a plain "
            f"test, each further one {per_test * 1000:.1f} ms"
        )
    assert start < 5
    assert reset_median < 0.25
