"""The program itself: durable storage across restarts, graceful shutdown, logging."""
import signal

from conftest import DATABASE_URL, Server, approve, create_submitted, opportunity_input, sqlite_only


def test_data_dir_keeps_state_across_restarts(tmp_path):
    first = Server("--data-dir", str(tmp_path)).start()
    c = first.client()
    oid = create_submitted(c)
    approve(c, oid)
    assert first.stop(signal.SIGINT) == 0
    second = Server("--data-dir", str(tmp_path)).start()
    try:
        c = second.client()
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Approved"
        assert c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
        newer = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        assert int(newer[1:]) > int(oid[1:])
    finally:
        assert second.stop() == 0
    assert DATABASE_URL or (tmp_path / "partnercentral-local.sqlite3").exists()


@sqlite_only
def test_in_memory_keeps_nothing_and_reports_its_storage(tmp_path):
    s = Server("--in-memory").start()
    try:
        status, _, body = s.raw(b"", {}, method="GET", path="/_admin/health")
        assert status == 200 and body["status"] == "ok" and body["storage"] == "memory"
    finally:
        s.stop()


def test_environment_variables_configure_the_server(tmp_path):
    s = Server(env={"PARTNERCENTRAL_LOCAL_DATA_DIR": str(tmp_path), "PARTNERCENTRAL_LOCAL_REGION": "eu-west-1"})
    s.start()
    try:
        c = s.client()
        oid = c.create_opportunity(Catalog="AWS", ClientToken="env", **opportunity_input())["Id"]
        assert c.get_opportunity(Catalog="AWS", Identifier=oid)["Arn"].startswith("arn:aws:partnercentral:eu-west-1:")
    finally:
        assert s.stop() == 0
    assert DATABASE_URL or (tmp_path / "partnercentral-local.sqlite3").exists()


def test_one_log_line_per_request_without_sensitive_values():
    s = Server("--in-memory", env={"RUST_LOG": "trace"}).start()
    try:
        c = s.client()
        c.create_opportunity(Catalog="AWS", ClientToken="log", **opportunity_input())
    finally:
        s.stop()
    logs = s.logs()
    assert "CreateOpportunity" in logs and "status=200" in logs
    assert "*** sensitive ***" in logs  # the trace line of the body was written, redacted
    for secret in ["ann@acme.example.com", "+12065550100", "Ann", "CTO"]:
        assert secret not in logs, secret


def test_acknowledged_writes_survive_a_killed_process(tmp_path):
    first = Server("--data-dir", str(tmp_path)).start()
    c = first.client()
    ids = [c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"] for _ in range(5)]
    first.stop(signal.SIGKILL)
    second = Server("--data-dir", str(tmp_path)).start()
    try:
        c = second.client()
        for oid in ids:
            assert c.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid
        fresh = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
        assert int(fresh[1:]) > max(int(i[1:]) for i in ids)
    finally:
        second.stop()


def test_unusable_data_dir_is_a_clear_start_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    import subprocess
    from conftest import BIN
    p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(blocker / "sub")],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0
    assert "data directory" in p.stderr
