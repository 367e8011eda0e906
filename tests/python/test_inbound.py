"""The inbound half with boto3, beyond test_invitations.py: the referral rule on what an
invitation must show, delayed tasks of both kinds, a bad shared record in a state document, and
durability of acknowledged invitation changes across SIGKILL."""
import datetime
import json
import subprocess
import threading
import time

import pytest

from conftest import BIN, Server, approve, create_submitted, opportunity_input
from test_cli import aws
from test_control_plane import admin

DOCUMENTED = {
    "Opportunity Created", "Opportunity Updated", "Opportunity Accepted", "Opportunity Rejected",
    "Engagement Invitation Created", "Engagement Invitation Accepted", "Engagement Invitation Rejected",
    "Engagement Invitation Expired", "Engagement Member Joined", "Engagement Member Added",
    "Resource Snapshot Created", "Engagement Resource Snapshot Created",
}
LEAD = {"Customer": {"CompanyName": "Initech", "Industry": "Aerospace", "CountryCode": "US",
                     "WebsiteUrl": "https://initech.example.com", "MarketSegment": "Enterprise",
                     "AwsMaturity": "Evaluating"},
        "Interaction": {"SourceType": "Campaign", "SourceId": "c-1", "SourceName": "re:Invent",
                        "ContactBusinessTitle": "CTO", "Usecase": "Database"}}


def send(server, account, body, catalog="Sandbox", expect=200):
    status, _, answer = admin(server, "POST", f"/accounts/{account}/catalogs/{catalog}/invitations", body)
    assert status == expect, answer
    return answer


def refer(server, account, catalog="Sandbox", **extra):
    """AWS (or `SenderAwsAccountId`) refers a full opportunity to `account`."""
    return send(server, account, {"Opportunity": opportunity_input(), **extra}, catalog)


def received(c, catalog="Sandbox", **filters):
    return c.list_engagement_invitations(Catalog=catalog, ParticipantType="RECEIVER",
                                         **filters)["EngagementInvitationSummaries"]


def events(server, account=None):
    return [e for e in admin(server, "GET", "/events")[2]["events"]
            if account is None or e["account"] == account]


def opportunity_ids(c, catalog="Sandbox"):
    return [o["Id"] for o in c.list_opportunities(Catalog=catalog)["OpportunitySummaries"]]


# ---------------------------------------------------------------- listing and reading

def test_a_referral_needs_what_its_invitation_shows(server, fresh_account):
    c = server.client(account=fresh_account)
    body = opportunity_input()
    del body["Customer"]["Account"]["WebsiteUrl"]
    del body["Project"]["Title"]
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", **body)
    r = e.value.response
    assert r["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert {(x["FieldName"], x["Code"]) for x in r["ErrorList"]} == {
        ("customer.account.websiteUrl", "REQUIRED_FIELD_MISSING"), ("project.title", "REQUIRED_FIELD_MISSING")}
    assert received(c) == []


# ---------------------------------------------------------------- accepting and rejecting

# ---------------------------------------------------------------- partner-sent invitations

# ---------------------------------------------------------------- time

def test_delayed_tasks_are_polled_to_completion():
    s = Server("--in-memory", "--task-delay-ms", "300").start()
    try:
        account = "810000000001"
        c = s.client(account=account)
        sent = refer(s, account)
        task = c.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", Identifier=sent["InvitationId"],
                                                               ClientToken="slow")
        assert task["TaskStatus"] == "IN_PROGRESS" and "OpportunityId" not in task
        with pytest.raises(c.exceptions.ConflictException):
            c.reject_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
        deadline, status = time.monotonic() + 5, None
        while time.monotonic() < deadline:
            [t] = c.list_engagement_by_accepting_invitation_tasks(Catalog="Sandbox")["TaskSummaries"]
            status = t["TaskStatus"]
            if status == "COMPLETE":
                break
            time.sleep(0.05)
        assert status == "COMPLETE" and t["OpportunityId"] == sent["OpportunityId"]
        assert c.get_opportunity(Catalog="Sandbox", Identifier=t["OpportunityId"])["LifeCycle"][
            "ReviewStatus"] == "Approved"
        # StartEngagementFromOpportunityTask too.
        oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        started = c.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=oid, ClientToken="sub",
                                                           AwsSubmission={"InvolvementType": "Co-Sell"})
        assert started["TaskStatus"] == "IN_PROGRESS"
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == \
            "Pending Submission"
        time.sleep(0.5)
        replay = c.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=oid, ClientToken="sub",
                                                          AwsSubmission={"InvolvementType": "Co-Sell"})
        assert replay["TaskId"] == started["TaskId"] and replay["TaskStatus"] == "COMPLETE"
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"
    finally:
        s.stop()


# ---------------------------------------------------------------- events, state, control plane, CLIs

def test_state_keeps_invitations_and_still_reads_version_1(tmp_path):
    data = tmp_path / "data"
    s = Server("--data-dir", str(data)).start()
    try:
        account = "910000000001"
        c = s.client(account=account)
        pending = refer(s, account)
        accepted = refer(s, account)
        c.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", Identifier=accepted["InvitationId"],
                                                        ClientToken="keep")
        state = admin(s, "GET", "/state")[2]
        assert state["version"] == 3
        [sandbox] = state["catalogs"]
        assert {i["id"] for i in sandbox["invitations"]} == {pending["InvitationId"], accepted["InvitationId"]}
    finally:
        s.stop()
    s = Server("--data-dir", str(data)).start()  # a restart keeps them
    try:
        c = s.client(account=account)
        assert {i["Id"]: i["Status"] for i in received(c)} == {pending["InvitationId"]: "PENDING",
                                                               accepted["InvitationId"]: "ACCEPTED"}
        assert admin(s, "PUT", "/state", state)[0] == 200
        assert admin(s, "GET", "/state")[2] == state
        # A bad shared record is refused, and nothing changes.
        broken = json.loads(json.dumps(state))
        broken["catalogs"][0]["invitations"][0]["engagementId"] = "eng-00000000000000"
        status, _, body = admin(s, "PUT", "/state", broken)
        assert status == 400 and "engagement" in body["error"]
        assert admin(s, "GET", "/state")[2] == state
        # Version 1: no shared records.
        v1 = {"format": "partnercentral-local/state", "version": 1, "nextOpportunityNumber": 5_000_000,
              "scopes": [{"accountId": account, "catalog": "Sandbox"}]}
        assert admin(s, "PUT", "/state", v1)[0] == 200
        assert received(c) == []
        assert admin(s, "POST", "/reset")[0] == 200
    finally:
        s.stop()


def test_acknowledged_invitation_changes_survive_a_kill(tmp_path):
    """SIGKILL right after the answers: the referral, its acceptance (invitation, engagement,
    opportunity, task) and a rejection are all there after the restart, or none of each."""
    import signal
    data = tmp_path / "data"
    s = Server("--data-dir", str(data)).start()
    account = "920000000002"
    c = s.client(account=account)
    accepted = refer(s, account)
    rejected = refer(s, account)
    task = c.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", Identifier=accepted["InvitationId"],
                                                           ClientToken="durable")
    c.reject_engagement_invitation(Catalog="Sandbox", Identifier=rejected["InvitationId"])
    s.stop(signal.SIGKILL)
    s = Server("--data-dir", str(data)).start()
    try:
        c = s.client(account=account)
        assert {i["Id"]: i["Status"] for i in received(c)} == {accepted["InvitationId"]: "ACCEPTED",
                                                               rejected["InvitationId"]: "REJECTED"}
        assert opportunity_ids(c) == [task["OpportunityId"]]
        [listed] = c.list_engagement_by_accepting_invitation_tasks(Catalog="Sandbox")["TaskSummaries"]
        assert listed["TaskId"] == task["TaskId"] and listed["TaskStatus"] == "COMPLETE"
    finally:
        s.stop()
