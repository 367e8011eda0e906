"""What each server keeps beside the database is shared by replicas of one database (issue 17):
events, fault rules (and their counts), the clock, quota counters; and no replica answers from
a stale cache. Two real servers on one PostgreSQL database, driven with boto3 and the control
plane; runs only on PostgreSQL (`PCL_TEST_DATABASE_URL`)."""
import uuid

import pytest

from conftest import DATABASE_URL, Server, _database, approve, create_submitted, opportunity_input, update_input
from test_control_plane import admin

pytestmark = pytest.mark.skipif(not DATABASE_URL, reason="needs PCL_TEST_DATABASE_URL")


def pair(*args):
    url = _database(f"shared-{uuid.uuid4()}")
    return Server("--database-url", url, *args).start(), Server("--database-url", url, *args).start()


@pytest.fixture
def replicas():
    a, b = pair()
    yield a, b
    a.stop()
    b.stop()


def events(server, account):
    status, _, body = admin(server, "GET", "/events")
    assert status == 200, body
    return [e for e in body["events"] if e["account"] == account]


def test_events_of_both_replicas_are_listed_once_by_each(replicas, fresh_account):
    a, b = replicas
    on_a = a.client(account=fresh_account).create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    on_b = b.client(account=fresh_account).create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    for server in (a, b):
        seen = events(server, fresh_account)
        created = [e["detail"]["opportunity"]["identifier"] for e in seen if e["detail-type"] == "Opportunity Created"]
        assert created == [on_a, on_b], seen
        assert len({e["id"] for e in seen}) == len(seen)
    assert events(a, fresh_account) == events(b, fresh_account)
    # A full reset through one replica empties the log every replica shows.
    assert admin(b, "POST", "/reset")[0] == 200
    assert events(a, fresh_account) == []


def test_a_fault_added_on_one_replica_fails_calls_on_the_other_and_its_count_is_shared(replicas, fresh_account):
    a, b = replicas
    ca, cb = (s.client(account=fresh_account) for s in (a, b))
    oid = ca.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    status, _, rule = admin(a, "POST", "/faults", {
        "operation": "GetOpportunity", "accountId": fresh_account, "error": "ThrottlingException", "count": 2})
    assert status == 200, rule
    assert [r["id"] for r in admin(b, "GET", "/faults")[2]["faults"]] == [rule["id"]]
    for c in (cb, ca):
        with pytest.raises(c.exceptions.ThrottlingException):
            c.get_opportunity(Catalog="AWS", Identifier=oid)
    # Two uses promised, two used (one on each replica): both answer again.
    assert cb.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid
    assert ca.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid
    assert admin(a, "GET", "/faults")[2]["faults"] == admin(b, "GET", "/faults")[2]["faults"] == []
    # Removing through one replica removes it from both.
    status, _, rule = admin(b, "POST", "/faults", {"operation": "*", "accountId": fresh_account,
                                                   "error": "InternalServerException"})
    assert status == 200
    with pytest.raises(ca.exceptions.InternalServerException):
        ca.get_opportunity(Catalog="AWS", Identifier=oid)
    assert admin(a, "DELETE", f"/faults/{rule['id']}")[0] == 200
    assert cb.get_opportunity(Catalog="AWS", Identifier=oid)["Id"] == oid


def test_the_clock_moved_through_one_replica_is_the_others_clock(replicas, fresh_account):
    a, b = replicas
    status, _, moved = admin(a, "POST", "/clock", {"advance": "PT5H"})
    assert status == 200, moved
    status, _, seen = admin(b, "GET", "/clock")
    assert seen["offsetMs"] == moved["offsetMs"] and seen["mode"] == "offset"
    oid = b.client(account=fresh_account).create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    created = b.client(account=fresh_account).get_opportunity(Catalog="AWS", Identifier=oid)["CreatedDate"]
    assert created.isoformat() >= moved["now"][:19]
    assert admin(b, "DELETE", "/clock")[0] == 200
    assert admin(a, "GET", "/clock")[2]["offsetMs"] == 0


def test_quotas_are_counted_once_for_all_replicas(fresh_account):
    a, b = pair("--quotas", "aws")
    try:
        ca, cb = (s.client(account=fresh_account) for s in (a, b))
        ca.create_opportunity(Catalog="AWS", **opportunity_input())
        # One write per second per account, whichever replica is asked.
        with pytest.raises(cb.exceptions.ThrottlingException):
            cb.create_opportunity(Catalog="AWS", **opportunity_input())
    finally:
        a.stop()
        b.stop()


def test_a_summary_read_on_one_replica_follows_a_write_on_the_other(replicas, fresh_account):
    a, b = replicas
    ca, cb = a.client(account=fresh_account), b.client(account=fresh_account)
    oid = create_submitted(ca)
    approve(ca, oid)
    before = cb.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    body = update_input(ca.get_opportunity(Catalog="Sandbox", Identifier=oid))
    body["Project"]["ExpectedCustomerSpend"][0]["Amount"] = "98765"
    ca.update_opportunity(**body)
    after = cb.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert before["Project"] != after["Project"]
