"""Faults injected through the control plane, and the real service's rate quotas."""
import json
import time

import pytest

from conftest import Server, opportunity_input
from test_control_plane import admin


@pytest.fixture
def clean_faults(server):
    admin(server, "DELETE", "/faults")
    yield
    admin(server, "DELETE", "/faults")


def attempts(client):
    calls = []
    client.meta.events.register("before-send", lambda **kw: calls.append(1))
    return calls


def test_the_api_throttles_twice_and_a_retrying_client_rides_it_out(server, fresh_account, clean_faults):
    c = server.client(account=fresh_account, retries={"mode": "standard", "max_attempts": 3})
    oid = c.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    status, _, rule = admin(server, "POST", "/faults", {
        "operation": "GetOpportunity", "accountId": fresh_account, "error": "ThrottlingException", "count": 2})
    assert status == 200 and rule["id"].startswith("fault-")
    sent = attempts(c)
    assert c.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid
    assert len(sent) == 3
    assert admin(server, "GET", "/faults")[2]["faults"] == []  # used up


def test_without_retries_each_promised_failure_is_seen(server, fresh_account, clean_faults):
    c = server.client(account=fresh_account)
    admin(server, "POST", "/faults", {"operation": "ListSolutions", "error": "InternalServerException",
                                      "count": 2, "message": "AWS is having a bad day"})
    for _ in range(2):
        with pytest.raises(c.exceptions.InternalServerException) as e:
            c.list_solutions(Catalog="AWS")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert e.value.response["Error"]["Message"] == "AWS is having a bad day"
    assert c.list_solutions(Catalog="AWS")["SolutionSummaries"]


def test_a_rule_can_target_one_account_and_every_operation(server, fresh_account, clean_faults):
    admin(server, "POST", "/faults", {"operation": "*", "accountId": fresh_account,
                                      "error": "AccessDeniedException"})
    victim = server.client(account=fresh_account)
    bystander = server.client(account="555555555555")
    with pytest.raises(victim.exceptions.AccessDeniedException):
        victim.list_solutions(Catalog="AWS")
    with pytest.raises(victim.exceptions.AccessDeniedException):
        victim.get_aws_opportunity_summary(Catalog="AWS", RelatedOpportunityIdentifier="O1")
    assert bystander.list_solutions(Catalog="AWS")["SolutionSummaries"]


def test_latency_is_added_before_answering(server, fresh_account, clean_faults):
    admin(server, "POST", "/faults", {"operation": "ListSolutions", "accountId": fresh_account,
                                      "latencyMs": 300, "count": 1})
    c = server.client(account=fresh_account)
    t = time.monotonic()
    c.list_solutions(Catalog="AWS")
    assert time.monotonic() - t >= 0.3
    t = time.monotonic()
    c.list_solutions(Catalog="AWS")
    assert time.monotonic() - t < 0.3


def test_probability_zero_never_fires_and_rules_can_be_removed(server, fresh_account, clean_faults):
    _, _, never = admin(server, "POST", "/faults", {"operation": "ListSolutions", "error": "ThrottlingException",
                                                    "probability": 0})
    c = server.client(account=fresh_account)
    for _ in range(20):
        c.list_solutions(Catalog="AWS")
    assert admin(server, "DELETE", f"/faults/{never['id']}")[0] == 200
    assert admin(server, "DELETE", f"/faults/{never['id']}")[0] == 404


@pytest.mark.parametrize("rule,needle", [
    ({"operation": "GetOpportunity", "error": "ConflictException"}, "never returns ConflictException"),
    ({"operation": "Nope", "error": "ThrottlingException"}, "not an operation"),
    ({"operation": "*", "error": "TeapotException"}, "not an error shape"),
    ({"operation": "*"}, "needs an error"),
    ({"operation": "*", "error": "ThrottlingException", "probability": 2}, "probability"),
    ({"operation": "*", "error": "ThrottlingException", "count": 0}, "count"),
    ({"operation": "*", "error": "ThrottlingException", "colour": "red"}, "invalid fault rule"),
    ({"operation": "*", "error": "ThrottlingException", "accountId": "12"}, "accountId"),
])
def test_bad_fault_rules_are_refused(server, clean_faults, rule, needle):
    status, _, body = admin(server, "POST", "/faults", rule)
    assert status == 400 and needle in body["error"], body
    assert admin(server, "GET", "/faults")[2]["faults"] == []


@pytest.fixture(scope="module")
def quota_server():
    s = Server("--in-memory", "--quotas", "aws").start()
    yield s
    s.stop()


def test_writes_are_limited_to_one_per_second_per_account(quota_server, fresh_account):
    c = quota_server.client(account=fresh_account)
    c.create_opportunity(Catalog="AWS", **opportunity_input())
    with pytest.raises(c.exceptions.ThrottlingException) as e:
        c.create_opportunity(Catalog="AWS", **opportunity_input())
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    other = quota_server.client(account="666666666666")
    other.create_opportunity(Catalog="AWS", **opportunity_input())
    time.sleep(1.05)
    c.create_opportunity(Catalog="AWS", **opportunity_input())


def test_reads_are_limited_to_ten_per_second(quota_server, fresh_account):
    c = quota_server.client(account=fresh_account)
    results = []
    started = time.monotonic()
    for _ in range(40):
        try:
            c.list_solutions(Catalog="AWS")
            results.append("ok")
        except c.exceptions.ThrottlingException:
            results.append("throttled")
    elapsed = time.monotonic() - started
    assert results[:10] == ["ok"] * 10
    # A burst of 10, then 10 more per second: never more than that got through.
    assert results.count("ok") <= 10 + int(elapsed * 10) + 1
    assert "throttled" in results


def test_quota_table_is_shown_and_can_be_replaced(tmp_path):
    table = {"rules": [{"name": "read", "operations": ["ListSolutions"], "perSecond": 2, "per24Hours": 3}]}
    f = tmp_path / "quotas.json"
    f.write_text(json.dumps(table))
    s = Server("--in-memory", "--quotas", "aws", "--quotas-file", str(f)).start()
    try:
        status, _, body = admin(s, "GET", "/quotas")
        assert body["enforced"] is True and body["table"] == table
        c = s.client()
        c.list_solutions(Catalog="AWS")
        c.list_solutions(Catalog="AWS")
        time.sleep(0.6)
        c.list_solutions(Catalog="AWS")
        time.sleep(0.6)
        with pytest.raises(c.exceptions.ThrottlingException) as e:
            c.list_solutions(Catalog="AWS")
        assert "24 hours" in e.value.response["Error"]["Message"]
        for _ in range(12):  # not in this table, so never throttled (the aws table allows 10/s)
            with pytest.raises(c.exceptions.ResourceNotFoundException):
                c.get_opportunity(Catalog="AWS", Identifier="O999999999")
    finally:
        s.stop()
    f.write_text(json.dumps({"rules": [{"name": "x", "operations": ["Nope"]}]}))
    import subprocess
    from conftest import BIN
    p = subprocess.run([BIN, "serve", "--in-memory", "--listen", "127.0.0.1:0", "--quotas", "aws",
                        "--quotas-file", str(f)], capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "Nope" in p.stderr
