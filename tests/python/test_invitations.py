"""Engagement invitations and AWS referrals (issue 9) through boto3 against the real binary:
Sandbox referrals, listing/reading, accept tasks, accept/reject, expiry through the clock,
delayed tasks, partner-sent invitations, leads from the control plane, the `aws refer` CLI,
events, state export/import, persistence and reset.

Written against /tmp/issue9-decisions.md (numbers in comments refer to its decisions)."""
import copy
import datetime
import json
import re
import subprocess
import threading
import time
import uuid

import pytest

from conftest import BIN, Server, approve, create_submitted, opportunity_input
from test_cli import aws as aws_cli
from test_control_plane import admin

REGION = "us-east-1"
ENGI = re.compile(r"engi-[0-9a-z]{13}")
ENG = re.compile(r"eng-[0-9a-z]{14}")
TASK = re.compile(r"task-[0-9a-z]{13}")
DOCUMENTED = {
    "Opportunity Created", "Opportunity Updated",
    "Engagement Invitation Created", "Engagement Invitation Accepted",
    "Engagement Invitation Rejected", "Engagement Invitation Expired",
    "Engagement Member Added", "Engagement Resource Snapshot Created",
    "Engagement Created", "Engagement Updated",
}
LEAD = {"Customer": {"CompanyName": "Umbrella Corp", "Industry": "Aerospace", "CountryCode": "US",
                     "WebsiteUrl": "https://umbrella.example.com"},
        "Interaction": {"SourceType": "Campaign", "SourceId": "src-9", "SourceName": "Summit",
                        "ContactBusinessTitle": "VP Engineering", "Usecase": "Database"}}


# ------------------------------------------------------------------------------ helpers

def account():
    return str(uuid.uuid4().int)[:12].rjust(12, "1")


def invitation_arn(catalog, iid):
    return f"arn:aws:partnercentral:{REGION}::catalog/{catalog}/engagement-invitation/{iid}"


def refer_via_api(c, catalog="Sandbox", **overrides):
    """Decision 1: the Sandbox referral simulation; returns the CreateOpportunity answer."""
    return c.create_opportunity(Catalog=catalog, Origin="AWS Referral", **opportunity_input(**overrides))


def send(server, acct, body, catalog="Sandbox"):
    """Decision 11: the control plane sends an invitation to `acct`."""
    status, _, answer = admin(server, "POST", f"/accounts/{acct}/catalogs/{catalog}/invitations", body)
    assert status == 200, answer
    return answer


def received(c, catalog="Sandbox", **kw):
    return c.list_engagement_invitations(Catalog=catalog, ParticipantType="RECEIVER",
                                         **kw)["EngagementInvitationSummaries"]


def sent(c, catalog="Sandbox", **kw):
    return c.list_engagement_invitations(Catalog=catalog, ParticipantType="SENDER",
                                         **kw)["EngagementInvitationSummaries"]


def only_pending_id(c, catalog="Sandbox"):
    [summary] = received(c, catalog, Status=["PENDING"])
    return summary["Id"]


def accept_task(c, iid, catalog="Sandbox", token=None):
    return c.start_engagement_by_accepting_invitation_task(
        Catalog=catalog, Identifier=iid, ClientToken=token or str(uuid.uuid4()))


def tasks(c, catalog="Sandbox", **kw):
    return c.list_engagement_by_accepting_invitation_tasks(Catalog=catalog, **kw)["TaskSummaries"]


def opportunity_ids(c, catalog="Sandbox"):
    return [o["Id"] for o in c.list_opportunities(Catalog=catalog)["OpportunitySummaries"]]


def all_events(server):
    status, _, body = admin(server, "GET", "/events")
    assert status == 200
    return body["events"]


def events_for(server, acct, kind=None):
    return [e for e in all_events(server)
            if e["account"] == acct and (kind is None or e["detail-type"] == kind)]


def stripped(resp):
    resp = dict(resp)
    resp.pop("ResponseMetadata", None)
    return resp


def clock(server, method="GET", body=None):
    return admin(server, method, "/clock", body)


# --------------------------------------------------------------- the Sandbox referral path

def test_sandbox_referral_is_listed_read_accepted_and_summarised(server, fresh_account):
    c = server.client(account=fresh_account)
    created = refer_via_api(c)
    oid = created["Id"]
    assert re.fullmatch(r"O\d+", oid)
    # Nothing stored as an opportunity before acceptance.
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert oid not in opportunity_ids(c)

    [s] = received(c, Status=["PENDING"])
    assert ENGI.fullmatch(s["Id"]) and ENG.fullmatch(s["EngagementId"])
    assert s["Arn"] == invitation_arn("Sandbox", s["Id"])
    assert s["Catalog"] == "Sandbox"
    assert s["Status"] == "PENDING" and s["PayloadType"] == "OpportunityInvitation"
    assert s["SenderAwsAccountId"] == "aws" and s["SenderCompanyName"] == "AWS"
    assert s["ParticipantType"] == "RECEIVER"
    assert s["Receiver"]["Account"]["AwsAccountId"] == fresh_account
    assert s["EngagementTitle"] == "Data platform migration"
    assert s["ExpirationDate"] - s["InvitationDate"] == datetime.timedelta(days=15)

    by_id = stripped(c.get_engagement_invitation(Catalog="Sandbox", Identifier=s["Id"]))
    by_arn = stripped(c.get_engagement_invitation(Catalog="Sandbox", Identifier=s["Arn"]))
    assert by_id == by_arn
    assert by_id["Id"] == s["Id"] and by_id["Arn"] == s["Arn"] and by_id["EngagementId"] == s["EngagementId"]
    assert by_id["Status"] == "PENDING" and "RejectionReason" not in by_id
    assert by_id["ExistingMembers"] == [{"CompanyName": "AWS", "WebsiteUrl": "www.aws.com"}]
    payload = by_id["Payload"]["OpportunityInvitation"]
    assert payload["Customer"] == {"CompanyName": "Acme Corp", "CountryCode": "US",
                                   "Industry": "Software and Internet",
                                   "WebsiteUrl": "https://acme.example.com"}
    assert payload["Project"]["Title"] == "Data platform migration"
    text = json.dumps(by_id, default=str)
    for withheld in ("98101", "Seattle", "ann@acme.example.com", "+12065550100"):
        assert withheld not in text, withheld

    task = accept_task(c, s["Arn"])
    assert task["TaskStatus"] == "COMPLETE"
    assert TASK.fullmatch(task["TaskId"])
    assert task["TaskArn"] == (f"arn:aws:partnercentral:{REGION}::catalog/Sandbox/"
                               f"engagement-by-accepting-invitation-task/{task['TaskId']}")
    assert task["EngagementInvitationId"] == s["Id"]  # bare id although an ARN was sent
    assert task["OpportunityId"] == oid
    assert task["ResourceSnapshotJobId"].startswith("job-")
    assert "ReasonCode" not in task

    opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert opp["Id"] == oid
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved"
    assert opp["LifeCycle"]["Stage"] == "Prospect"
    # GetOpportunity has no Origin member in the model: read it from the summary below.
    assert opp["Customer"]["Account"]["Address"]["PostalCode"] == "98101"
    assert opp["Customer"]["Account"]["Address"]["City"] == "Seattle"
    assert opp["Customer"]["Contacts"][0]["Email"] == "ann@acme.example.com"
    # CreatedDate is the referral's create time (decision 1), not the acceptance time.
    assert abs(opp["CreatedDate"] - created["LastModifiedDate"]) < datetime.timedelta(seconds=1)
    assert opp["CreatedDate"] <= opp["LastModifiedDate"]
    assert oid in opportunity_ids(c)

    summary = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert summary["RelatedOpportunityId"] == oid and summary["Origin"] == "AWS Referral"

    got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=s["Id"])
    assert got["Status"] == "ACCEPTED"
    assert received(c, Status=["PENDING"]) == []
    assert [x["Id"] for x in received(c, Status=["ACCEPTED"])] == [s["Id"]]

    [listed] = tasks(c)
    assert listed["TaskId"] == task["TaskId"] and listed["TaskStatus"] == "COMPLETE"
    assert listed["OpportunityId"] == oid and listed["EngagementInvitationId"] == s["Id"]
    assert [t["TaskId"] for t in tasks(c, TaskStatus=["COMPLETE"])] == [task["TaskId"]]
    assert tasks(c, TaskStatus=["FAILED", "IN_PROGRESS"]) == []
    assert [t["TaskId"] for t in tasks(c, OpportunityIdentifier=[oid])] == [task["TaskId"]]
    assert tasks(c, OpportunityIdentifier=["O1"]) == []
    assert [t["TaskId"] for t in tasks(c, EngagementInvitationIdentifier=[s["Arn"]])] == [task["TaskId"]]
    assert [t["TaskId"] for t in tasks(c, TaskIdentifier=[task["TaskArn"]])] == [task["TaskId"]]
    assert tasks(c, TaskIdentifier=["task-0000000000000"]) == []
    sefot = c.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"]
    assert task["TaskId"] not in [t["TaskId"] for t in sefot]


def test_an_aws_referral_needs_a_company_and_a_title(server, fresh_account):
    c = server.client(account=fresh_account)
    body = opportunity_input()
    del body["Project"]["Title"]
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", **body)
    assert e.value.response["Reason"] == "BUSINESS_VALIDATION_FAILED"
    body = opportunity_input()
    del body["Customer"]  # the model requires CompanyName inside Account, so drop the customer
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", **body)
    assert e.value.response["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert received(c) == []


def test_a_replayed_referral_creates_one_invitation(server, fresh_account):
    c = server.client(account=fresh_account)
    first = c.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", ClientToken="ref-1",
                                 **opportunity_input())
    again = c.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", ClientToken="ref-1",
                                 **opportunity_input())
    assert again["Id"] == first["Id"]
    assert len(received(c)) == 1


# ------------------------------------------------------------------- listing: filters, pages

def test_list_filters_sort_and_pages(server, fresh_account):
    c = server.client(account=fresh_account)
    partner = account()
    referrals = [refer_via_api(c, Project=dict(opportunity_input()["Project"], Title=f"Deal {i}"))
                 for i in range(3)]
    assert len(referrals) == 3
    lead = send(server, fresh_account, {"LeadInvitation": LEAD, "SenderAwsAccountId": partner})
    assert lead["PayloadType"] == "LeadInvitation" and "OpportunityId" not in lead

    everything = received(c)
    assert len(everything) == 4
    # Default order: InvitationDate DESCENDING, ties by Id (decision 3).
    expected = [x["Id"] for x in sorted(everything, key=lambda x: (x["InvitationDate"], x["Id"]),
                                        reverse=True)]
    assert [x["Id"] for x in everything] == expected
    asc = received(c, Sort={"SortBy": "InvitationDate", "SortOrder": "ASCENDING"})
    assert [x["Id"] for x in asc] == list(reversed(expected))
    desc = received(c, Sort={"SortBy": "InvitationDate", "SortOrder": "DESCENDING"})
    assert [x["Id"] for x in desc] == expected

    assert [x["Id"] for x in received(c, PayloadType=["LeadInvitation"])] == [lead["InvitationId"]]
    assert len(received(c, PayloadType=["OpportunityInvitation"])) == 3
    assert len(received(c, PayloadType=["OpportunityInvitation", "LeadInvitation"])) == 4
    assert [x["Id"] for x in received(c, SenderAwsAccountId=[partner])] == [lead["InvitationId"]]
    assert len(received(c, SenderAwsAccountId=["aws"])) == 3
    assert len(received(c, SenderAwsAccountId=["aws", partner])) == 4
    assert received(c, SenderAwsAccountId=["999999999999"]) == []
    assert len(received(c, Status=["PENDING"])) == 4
    assert received(c, Status=["ACCEPTED", "REJECTED", "EXPIRED"]) == []
    assert [x["Id"] for x in received(c, EngagementIdentifier=[lead["EngagementId"]])] == [lead["InvitationId"]]
    assert [x["Id"] for x in received(c, EngagementIdentifier=[lead["EngagementArn"]])] == [lead["InvitationId"]]
    assert received(c, EngagementIdentifier=["eng-00000000000000"]) == []
    # Filters AND together.
    assert received(c, PayloadType=["LeadInvitation"], SenderAwsAccountId=["aws"]) == []

    seen, token, pages = [], None, 0
    while True:
        page = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER", MaxResults=1,
                                             **({"NextToken": token} if token else {}))
        pages += 1
        assert len(page["EngagementInvitationSummaries"]) == 1
        seen += [x["Id"] for x in page["EngagementInvitationSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 10
    assert seen == expected and pages == 4
    # A token belongs to the request that produced it.
    first = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER", MaxResults=1)
    with pytest.raises(c.exceptions.ValidationException):
        c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER", MaxResults=1,
                                      Status=["PENDING"], NextToken=first["NextToken"])
    with pytest.raises(c.exceptions.ValidationException):
        c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER", NextToken="garbage")
    # The receiver sent nothing; the partner sender sees the lead as SENDER.
    assert sent(c) == []
    [mine] = sent(server.client(account=partner))
    assert mine["Id"] == lead["InvitationId"] and mine["ParticipantType"] == "SENDER"
    assert mine["Receiver"]["Account"]["AwsAccountId"] == fresh_account


def test_default_page_is_twenty(server, fresh_account):
    c = server.client(account=fresh_account)
    for _ in range(21):
        send(server, fresh_account, {"LeadInvitation": LEAD})
    page = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER")
    assert len(page["EngagementInvitationSummaries"]) == 20 and page.get("NextToken")
    rest = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER",
                                         NextToken=page["NextToken"])
    assert len(rest["EngagementInvitationSummaries"]) == 1 and "NextToken" not in rest


def test_the_aws_cli_lists_invitations(server, fresh_account):
    invitation = send(server, fresh_account, {"Opportunity": opportunity_input()})
    p = aws_cli(server, "list-engagement-invitations", "--catalog", "Sandbox",
                "--participant-type", "RECEIVER", account=fresh_account)
    out = json.loads(p.stdout)
    assert [x["Id"] for x in out["EngagementInvitationSummaries"]] == [invitation["InvitationId"]]
    assert out["EngagementInvitationSummaries"][0]["Status"] == "PENDING"


# ------------------------------------------------------------------------ reject / accept

def test_reject_then_accept_conflicts_and_both_parties_read_rejected(server, fresh_account):
    receiver = server.client(account=fresh_account)
    partner = account()
    sender = server.client(account=partner)
    inv = send(server, fresh_account, {"Opportunity": opportunity_input(), "SenderAwsAccountId": partner,
                                       "Message": "Please help with this one"})
    iid = inv["InvitationId"]
    out = receiver.reject_engagement_invitation(Catalog="Sandbox", Identifier=invitation_arn("Sandbox", iid),
                                                RejectionReason="Next steps unclear")
    assert stripped(out) == {}
    for c in (receiver, sender):
        got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)
        assert got["Status"] == "REJECTED" and got["RejectionReason"] == "Next steps unclear"
    assert [x["Status"] for x in received(receiver)] == ["REJECTED"]
    assert [x["Status"] for x in sent(sender)] == ["REJECTED"]
    with pytest.raises(receiver.exceptions.ConflictException) as e:
        receiver.accept_engagement_invitation(Catalog="Sandbox", Identifier=iid)
    assert "REJECTED" in e.value.response["Error"]["Message"]
    with pytest.raises(receiver.exceptions.ConflictException):
        accept_task(receiver, iid)
    with pytest.raises(receiver.exceptions.ConflictException):
        receiver.reject_engagement_invitation(Catalog="Sandbox", Identifier=iid)
    assert opportunity_ids(receiver) == []
    with pytest.raises(receiver.exceptions.ResourceNotFoundException):
        receiver.get_opportunity(Catalog="Sandbox", Identifier=inv["OpportunityId"])


def test_accepting_twice_answers_the_same_task_and_one_opportunity(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = refer_via_api(c)["Id"]
    iid = only_pending_id(c)
    first = accept_task(c, iid, token="t-1")
    second = accept_task(c, iid, token="t-2")
    assert first["TaskStatus"] == second["TaskStatus"] == "COMPLETE"
    assert second["TaskId"] == first["TaskId"] and second["OpportunityId"] == oid
    assert opportunity_ids(c) == [oid]
    assert len(tasks(c)) == 1
    with pytest.raises(c.exceptions.ConflictException):
        c.accept_engagement_invitation(Catalog="Sandbox", Identifier=iid)
    with pytest.raises(c.exceptions.ConflictException):
        c.reject_engagement_invitation(Catalog="Sandbox", Identifier=iid)


def test_racing_accepts_create_one_opportunity(server, fresh_account):
    oid = refer_via_api(server.client(account=fresh_account))["Id"]
    iid = only_pending_id(server.client(account=fresh_account))
    clients = [server.client(account=fresh_account) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    results, errors = [None] * len(clients), []

    def run(i):
        try:
            barrier.wait()
            results[i] = accept_task(clients[i], iid, token=f"race-{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len({r["TaskId"] for r in results}) == 1
    assert {r["OpportunityId"] for r in results} == {oid}
    c = server.client(account=fresh_account)
    assert opportunity_ids(c) == [oid]
    assert len(tasks(c)) == 1


def test_client_token_replays_and_conflicts(server, fresh_account):
    c = server.client(account=fresh_account)
    refer_via_api(c)
    x = only_pending_id(c)
    task = accept_task(c, x, token="fixed-token")
    assert accept_task(c, x, token="fixed-token")["TaskId"] == task["TaskId"]
    refer_via_api(c)
    y = only_pending_id(c)
    with pytest.raises(c.exceptions.ConflictException):
        accept_task(c, y, token="fixed-token")
    assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=y)["Status"] == "PENDING"
    assert len(tasks(c)) == 1


def test_the_sender_cannot_accept_or_reject(server, fresh_account):
    partner = account()
    sender = server.client(account=partner)
    iid = send(server, fresh_account, {"Opportunity": opportunity_input(),
                                       "SenderAwsAccountId": partner})["InvitationId"]
    with pytest.raises(sender.exceptions.AccessDeniedException):
        sender.accept_engagement_invitation(Catalog="Sandbox", Identifier=iid)
    with pytest.raises(sender.exceptions.AccessDeniedException):
        sender.reject_engagement_invitation(Catalog="Sandbox", Identifier=iid, RejectionReason="Other")
    with pytest.raises(sender.exceptions.AccessDeniedException):
        accept_task(sender, iid)
    assert sender.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "PENDING"
    assert tasks(sender) == []
    assert opportunity_ids(sender) == []


def test_a_third_account_and_the_other_catalog_see_nothing(server, fresh_account):
    partner = account()
    receiver = server.client(account=fresh_account)
    inv = send(server, fresh_account, {"Opportunity": opportunity_input(), "SenderAwsAccountId": partner})
    iid = inv["InvitationId"]
    task = accept_task(receiver, iid)
    assert task["TaskStatus"] == "COMPLETE"
    # A second, still pending invitation for the mutating calls.
    pending = send(server, fresh_account, {"LeadInvitation": LEAD, "SenderAwsAccountId": partner})["InvitationId"]

    third = server.client(account=account())
    for ident in (iid, pending, invitation_arn("Sandbox", pending)):
        with pytest.raises(third.exceptions.ResourceNotFoundException) as e:
            third.get_engagement_invitation(Catalog="Sandbox", Identifier=ident)
        assert pending in e.value.response["Error"]["Message"] or iid in e.value.response["Error"]["Message"]
    with pytest.raises(third.exceptions.ResourceNotFoundException):
        third.accept_engagement_invitation(Catalog="Sandbox", Identifier=pending)
    with pytest.raises(third.exceptions.ResourceNotFoundException):
        third.reject_engagement_invitation(Catalog="Sandbox", Identifier=pending)
    with pytest.raises(third.exceptions.ResourceNotFoundException):
        accept_task(third, pending)
    assert received(third) == [] and sent(third) == []
    assert tasks(third) == [] and tasks(third, TaskIdentifier=[task["TaskId"]]) == []
    assert tasks(third, EngagementInvitationIdentifier=[iid]) == []
    # The invitation lives in Sandbox only.
    for c in (receiver, server.client(account=partner)):
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_engagement_invitation(Catalog="AWS", Identifier=pending)
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_engagement_invitation(Catalog="AWS", Identifier=invitation_arn("Sandbox", pending))
    with pytest.raises(receiver.exceptions.ResourceNotFoundException):
        receiver.accept_engagement_invitation(Catalog="AWS", Identifier=pending)
    with pytest.raises(receiver.exceptions.ResourceNotFoundException):
        accept_task(receiver, pending, catalog="AWS")
    assert received(receiver, catalog="AWS") == [] and sent(server.client(account=partner), catalog="AWS") == []
    assert tasks(receiver, catalog="AWS") == []
    assert receiver.get_engagement_invitation(Catalog="Sandbox", Identifier=pending)["Status"] == "PENDING"
    # A malformed ARN is a validation error; a legacy-form ARN resolves and is simply not found.
    with pytest.raises(receiver.exceptions.ValidationException):
        receiver.get_engagement_invitation(
            Catalog="Sandbox", Identifier=f"arn:aws:partnercentral:{REGION}::catalog/Sandbox/opportunity/{pending}")
    with pytest.raises(receiver.exceptions.ResourceNotFoundException):
        receiver.get_engagement_invitation(
            Catalog="Sandbox",
            Identifier="arn:aws:partnercentral-selling:us-east-1:aws:catalog/Sandbox/engagement-invitation/"
                       "engi-0000000IS0Qga")


# ------------------------------------------------------------------------ clock and expiry

def test_an_invitation_expires_once_through_the_clock():
    s = Server("--in-memory").start()
    try:
        a, b = account(), account()
        receiver, sender = s.client(account=b), s.client(account=a)
        status, _, now = clock(s)
        assert status == 200 and now["mode"] == "real" and now["offsetMs"] == 0
        assert now["now"].endswith("Z")
        iid = send(s, b, {"Opportunity": opportunity_input(), "SenderAwsAccountId": a})["InvitationId"]
        aws_ref = refer_via_api(receiver)["Id"]
        assert receiver.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "PENDING"

        for bad in ({"advance": "P1Y"}, {"advance": "-P1D"}, {"advance": "soon"}, {},
                    {"now": "yesterday"}, b"{not json"):
            status, _, body = clock(s, "POST", bad)
            assert status == 400 and body["error"], (bad, body)
        assert clock(s)[2]["offsetMs"] == 0

        status, _, moved = clock(s, "POST", {"advance": "P16D"})
        assert status == 200 and moved["mode"] == "offset"
        assert moved["offsetMs"] == 16 * 86400 * 1000
        assert (datetime.datetime.fromisoformat(moved["now"].replace("Z", "+00:00"))
                - datetime.datetime.now(datetime.timezone.utc)) > datetime.timedelta(days=15, hours=23)

        for c in (receiver, sender):
            assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "EXPIRED"
        assert {x["Status"] for x in received(receiver)} == {"EXPIRED"}
        assert len(received(receiver, Status=["EXPIRED"])) == 2
        assert [x["Status"] for x in sent(sender)] == ["EXPIRED"]
        with pytest.raises(receiver.exceptions.ConflictException) as e:
            receiver.accept_engagement_invitation(Catalog="Sandbox", Identifier=iid)
        assert "EXPIRED" in e.value.response["Error"]["Message"]
        with pytest.raises(receiver.exceptions.ConflictException):
            receiver.reject_engagement_invitation(Catalog="Sandbox", Identifier=iid)
        with pytest.raises(receiver.exceptions.ConflictException):
            accept_task(receiver, iid)
        with pytest.raises(receiver.exceptions.ResourceNotFoundException):
            receiver.get_opportunity(Catalog="Sandbox", Identifier=aws_ref)

        # More settling (calls, another clock move, background ticks) emits nothing more.
        clock(s, "POST", {"advance": "PT1H"})
        received(receiver)
        time.sleep(1.2)

        def expired(acct):
            return [e for e in events_for(s, acct, "Engagement Invitation Expired")
                    if e["detail"]["engagementInvitation"]["id"] == iid]

        [to_receiver], [to_sender] = expired(b), expired(a)
        assert to_receiver["detail"]["engagementInvitation"]["participantType"] == "RECEIVER"
        assert to_sender["detail"]["engagementInvitation"]["participantType"] == "SENDER"
        assert to_receiver["resources"] == [invitation_arn("Sandbox", iid)]
        # The AWS referral expired too: one event, to the receiver only (aws is never a recipient).
        assert len(events_for(s, b, "Engagement Invitation Expired")) == 2
        assert all(e["account"] != "aws" for e in all_events(s))

        status, _, back = clock(s, "DELETE")
        assert status == 200 and back["mode"] == "real" and back["offsetMs"] == 0
        assert receiver.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "EXPIRED"
    finally:
        s.stop()


def test_timestamps_follow_the_clock():
    s = Server("--in-memory").start()
    try:
        c = s.client(account=account())
        status, _, body = clock(s, "POST", {"now": "2030-01-02T03:04:05.000Z"})
        assert status == 200 and body["mode"] == "offset" and body["now"].startswith("2030-01-02T03:0")
        refer_via_api(c)
        [x] = received(c)
        assert x["InvitationDate"].year == 2030 and x["ExpirationDate"].isoformat().startswith("2030-01-17")
        # A full reset returns to real time.
        assert admin(s, "POST", "/reset")[0] == 200
        assert clock(s)[2]["mode"] == "real"
    finally:
        s.stop()


# ------------------------------------------------------------------------- delayed tasks

def test_a_delayed_accept_task_is_polled_to_completion():
    s = Server("--in-memory", "--task-delay-ms", "300").start()
    try:
        c = s.client(account=account())
        oid = refer_via_api(c)["Id"]
        iid = only_pending_id(c)
        started = accept_task(c, iid, token="slow")
        assert started["TaskStatus"] == "IN_PROGRESS"
        assert "OpportunityId" not in started and started["EngagementInvitationId"] == iid
        seen = {t["TaskStatus"] for t in tasks(c, TaskIdentifier=[started["TaskId"]])}
        assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "PENDING"
        with pytest.raises(c.exceptions.ConflictException):
            c.reject_engagement_invitation(Catalog="Sandbox", Identifier=iid)
        with pytest.raises(c.exceptions.ConflictException):
            c.accept_engagement_invitation(Catalog="Sandbox", Identifier=iid)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            [t] = tasks(c, TaskIdentifier=[started["TaskId"]])
            seen.add(t["TaskStatus"])
            if t["TaskStatus"] != "IN_PROGRESS":
                break
            time.sleep(0.05)
        assert seen == {"IN_PROGRESS", "COMPLETE"}
        assert t["OpportunityId"] == oid
        again = accept_task(c, iid, token="slow")
        assert again["TaskId"] == started["TaskId"] and again["TaskStatus"] == "COMPLETE"
        assert again["OpportunityId"] == oid
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Approved"
        assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "ACCEPTED"
    finally:
        s.stop()


# ----------------------------------------------------------- the invitation SEFOT sends AWS

def test_the_submission_invitation_is_readable_by_its_sender_and_follows_review(server, fresh_account):
    c = server.client(account=fresh_account)
    results = {}
    for decision in ("Approved", "Rejected"):
        oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        task = c.start_engagement_from_opportunity_task(
            Catalog="Sandbox", Identifier=oid, AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})
        iid, eid = task["EngagementInvitationId"], task["EngagementId"]
        [x] = [x for x in sent(c) if x["Id"] == iid]
        assert x["ParticipantType"] == "SENDER" and x["Status"] == "PENDING"
        assert x["EngagementId"] == eid and x["SenderAwsAccountId"] == fresh_account
        assert x["Receiver"]["Account"]["AwsAccountId"] == "aws"
        assert "ExpirationDate" not in x
        got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)
        assert got["Status"] == "PENDING" and "ExpirationDate" not in got and got["EngagementId"] == eid
        # Filter by the engagement of the task, as id and as ARN.
        assert [y["Id"] for y in sent(c, EngagementIdentifier=[eid])] == [iid]
        if decision == "Approved":
            approve(c, oid)
        else:
            status, _, _ = admin(server, "POST",
                                 f"/accounts/{fresh_account}/catalogs/Sandbox/opportunities/{oid}/review",
                                 {"ReviewStatus": "Rejected", "ReviewStatusReason": "Other"})
            assert status == 200
        results[decision] = c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)
    assert results["Approved"]["Status"] == "ACCEPTED" and "RejectionReason" not in results["Approved"]
    assert results["Rejected"]["Status"] == "REJECTED"
    assert received(c) == []  # the partner is the sender of both
    # The receiver is AWS: its sender cannot accept it (decision 5: wrong party before status).
    with pytest.raises(c.exceptions.AccessDeniedException):
        c.accept_engagement_invitation(Catalog="Sandbox", Identifier=results["Approved"]["Id"])


# ---------------------------------------------------------- partner-to-partner invitations

def opportunity_payload(title="Shared deal"):
    return {"OpportunityInvitation": {
        "Customer": {"CompanyName": "Acme Corp", "CountryCode": "US", "Industry": "Software and Internet",
                     "WebsiteUrl": "https://acme.example.com"},
        "Project": {"Title": title, "TargetCompletionDate": "2027-06-30",
                    "BusinessProblem": "The customer runs out of capacity every quarter end.",
                    "ExpectedCustomerSpend": [{"Amount": "100", "CurrencyCode": "USD", "Frequency": "Monthly",
                                               "TargetCompany": "AWS"}]},
        "ReceiverResponsibilities": ["Services Partner"],
        "SenderContacts": [{"Email": "rep@partner.example.com", "FirstName": "Rep"}]}}


def test_create_engagement_invitation_multi_partner(server):
    a, b, outsider = account(), account(), account()
    ca, cb, co = server.client(account=a), server.client(account=b), server.client(account=outsider)
    oid = ca.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    eid = ca.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=oid,
        AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})["EngagementId"]
    approve(ca, oid)  # so B's opportunity starts Approved and its AWS summary (with Origin) exists

    def invite(client, receiver, token=None, payload=None):
        return client.create_engagement_invitation(
            Catalog="Sandbox", ClientToken=token or str(uuid.uuid4()), EngagementIdentifier=eid,
            Invitation={"Message": "Join us on this deal", "Receiver": {"Account": {"AwsAccountId": receiver}},
                        "Payload": payload or opportunity_payload()})

    # A non-member may not invite: it is told so (the engagement exists; research §9).
    with pytest.raises(co.exceptions.AccessDeniedException):
        invite(co, b)
    for bad in ("aws", a):
        with pytest.raises(ca.exceptions.ValidationException) as e:
            invite(ca, bad)
        assert e.value.response["Reason"] == "BUSINESS_VALIDATION_FAILED"
    created = invite(ca, b, token="inv-1")
    assert ENGI.fullmatch(created["Id"]) and created["Arn"] == invitation_arn("Sandbox", created["Id"])
    assert invite(ca, b, token="inv-1")["Id"] == created["Id"]
    with pytest.raises(ca.exceptions.ConflictException):
        invite(ca, b)

    [x] = received(cb)
    assert x["Id"] == created["Id"] and x["Status"] == "PENDING" and x["EngagementId"] == eid
    assert x["SenderAwsAccountId"] == a and x["SenderCompanyName"]
    assert x["ExpirationDate"] - x["InvitationDate"] == datetime.timedelta(days=15)
    got = cb.get_engagement_invitation(Catalog="Sandbox", Identifier=created["Id"])
    assert got["InvitationMessage"] == "Join us on this deal"
    assert got["Payload"]["OpportunityInvitation"]["Project"]["Title"] == "Shared deal"
    assert any(m["CompanyName"] == x["SenderCompanyName"] for m in got["ExistingMembers"])
    assert [y["Id"] for y in sent(ca, SenderAwsAccountId=[a]) if y["Id"] == created["Id"]] == [created["Id"]]

    task = accept_task(cb, created["Id"])
    assert task["TaskStatus"] == "COMPLETE"
    opp = cb.get_opportunity(Catalog="Sandbox", Identifier=task["OpportunityId"])
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved"
    summary = cb.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opp["Id"])
    assert summary["Origin"] == "Partner Referral"
    assert opp["Customer"]["Account"]["CompanyName"] == "Acme Corp"
    assert opp["Project"]["Title"] == "Shared deal"
    assert opportunity_ids(cb) == [task["OpportunityId"]]
    assert ca.get_engagement_invitation(Catalog="Sandbox", Identifier=created["Id"])["Status"] == "ACCEPTED"
    # B is a member now: it may not be invited again.
    with pytest.raises(ca.exceptions.ConflictException):
        invite(ca, b)


# ------------------------------------------------------------------ leads from the control plane

def test_a_lead_from_the_control_plane_is_accepted_without_an_opportunity(server, fresh_account):
    c = server.client(account=fresh_account)
    pinned = "engi-" + uuid.uuid4().hex[:13]
    answer = send(server, fresh_account, {
        "LeadInvitation": LEAD, "Message": "A lead for you", "SenderCompanyName": "AWS Marketing",
        "InvitationId": pinned,
        "LeadContact": {"FirstName": "Peter", "LastName": "Gibbons", "Email": "peter@umbrella.example.com"}})
    assert answer["InvitationId"] == pinned and answer["PayloadType"] == "LeadInvitation"
    assert answer["InvitationArn"] == invitation_arn("Sandbox", pinned)
    assert ENG.fullmatch(answer["EngagementId"]) and answer["EngagementArn"].endswith(
        f"::catalog/Sandbox/engagement/{answer['EngagementId']}")
    assert "OpportunityId" not in answer
    status, _, body = admin(server, "POST", f"/accounts/{fresh_account}/catalogs/Sandbox/invitations",
                            {"LeadInvitation": LEAD, "InvitationId": pinned})
    assert status == 409 and body["error"]

    got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=pinned)
    assert got["PayloadType"] == "LeadInvitation" and got["SenderCompanyName"] == "AWS Marketing"
    assert got["InvitationMessage"] == "A lead for you"
    assert got["Payload"]["LeadInvitation"]["Interaction"]["ContactBusinessTitle"] == "VP Engineering"
    assert got["Payload"]["LeadInvitation"]["Customer"]["CompanyName"] == "Umbrella Corp"
    text = json.dumps(got, default=str)
    assert "Gibbons" not in text and "peter@umbrella" not in text

    failed = accept_task(c, pinned)
    assert failed["TaskStatus"] == "FAILED" and failed["ReasonCode"]
    assert "OpportunityId" not in failed
    assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=pinned)["Status"] == "PENDING"
    assert [t["TaskId"] for t in tasks(c, TaskStatus=["FAILED"])] == [failed["TaskId"]]

    assert stripped(c.accept_engagement_invitation(Catalog="Sandbox", Identifier=pinned)) == {}
    assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=pinned)["Status"] == "ACCEPTED"
    assert opportunity_ids(c) == []
    with pytest.raises(c.exceptions.ConflictException):
        c.accept_engagement_invitation(Catalog="Sandbox", Identifier=pinned)


def test_the_control_plane_sends_a_referral_in_the_aws_catalog(server, fresh_account):
    c = server.client(account=fresh_account)
    answer = send(server, fresh_account, {"Opportunity": opportunity_input(), "EngagementTitle": "Prod referral"},
                  catalog="AWS")
    assert answer["InvitationArn"] == invitation_arn("AWS", answer["InvitationId"])
    assert answer["OpportunityId"].startswith("O")
    assert received(c) == []
    [x] = received(c, catalog="AWS")
    assert x["Id"] == answer["InvitationId"] and x["Catalog"] == "AWS"
    task = accept_task(c, x["Id"], catalog="AWS")
    assert task["OpportunityId"] == answer["OpportunityId"]
    opp = c.get_opportunity(Catalog="AWS", Identifier=answer["OpportunityId"])
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved"
    summary = c.get_aws_opportunity_summary(Catalog="AWS", RelatedOpportunityIdentifier=answer["OpportunityId"])
    assert summary["Origin"] == "AWS Referral"


@pytest.mark.parametrize("path_account,catalog,body,needle", [
    ("12", "Sandbox", {"LeadInvitation": LEAD}, "account"),
    (None, "Prod", {"LeadInvitation": LEAD}, "atalog"),
    (None, "Sandbox", b"{not json", ""),
    (None, "Sandbox", {"LeadInvitation": LEAD, "Opportunity": opportunity_input()}, ""),
    (None, "Sandbox", {"Message": "neither payload"}, ""),
    (None, "Sandbox", {"LeadInvitation": LEAD, "Surprise": 1}, "Surprise"),
    (None, "Sandbox", {"Opportunity": opportunity_input(
        Customer={"Account": {"CompanyName": "X", "Industry": "Wizardry"}})}, "Industry"),
    (None, "Sandbox", {"LeadInvitation": {"Customer": {"CompanyName": "X"}, "Interaction": {}}},
     "ContactBusinessTitle"),
    (None, "Sandbox", {"LeadInvitation": LEAD, "InvitationId": "engi-UPPERCASE0000"}, "InvitationId"),
    (None, "Sandbox", {"LeadInvitation": LEAD, "Message": "x" * 256}, "Message"),
    ("self", "Sandbox", {"LeadInvitation": LEAD}, ""),
])
def test_bad_control_plane_invitations_are_400_and_write_nothing(server, fresh_account, path_account, catalog,
                                                                 body, needle):
    c = server.client(account=fresh_account)
    body = copy.deepcopy(body)
    if path_account == "self":
        body["SenderAwsAccountId"] = fresh_account
    before = (received(c), received(c, catalog="AWS"), len(events_for(server, fresh_account)))
    target = path_account if path_account not in (None, "self") else fresh_account
    status, _, answer = admin(server, "POST", f"/accounts/{target}/catalogs/{catalog}/invitations", body)
    assert status == 400, answer
    assert answer["error"] and needle in answer["error"], answer
    after = (received(c), received(c, catalog="AWS"), len(events_for(server, fresh_account)))
    assert after == before and before[0] == [] and before[1] == []


def test_the_aws_refer_command(server, fresh_account):
    def refer(*args):
        p = subprocess.run([BIN, "aws", "--endpoint", server.url, "--account", fresh_account,
                            "--catalog", "Sandbox", "refer", *args], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    c = server.client(account=fresh_account)
    referral = refer("--title", "CLI referral", "--company", "Globex")
    assert ENGI.fullmatch(referral["InvitationId"]) and referral["PayloadType"] == "OpportunityInvitation"
    got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=referral["InvitationId"])
    assert got["EngagementTitle"] == "CLI referral"
    assert got["Payload"]["OpportunityInvitation"]["Customer"]["CompanyName"] == "Globex"
    pinned = "engi-" + uuid.uuid4().hex[:13]
    lead = refer("--lead", "--invitation-id", pinned)
    assert lead["InvitationId"] == pinned and lead["PayloadType"] == "LeadInvitation"
    assert {x["Id"] for x in received(c)} == {referral["InvitationId"], pinned}
    task = accept_task(c, referral["InvitationId"])
    assert task["OpportunityId"] == referral["OpportunityId"]
    p = subprocess.run([BIN, "aws", "--endpoint", server.url, "--account", fresh_account, "--catalog", "Sandbox",
                        "refer", "--invitation-id", pinned], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and len(received(c)) == 2


# ----------------------------------------------------------------------------------- events

def test_events_of_a_referral_and_its_acceptance(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = refer_via_api(c)["Id"]
    iid = only_pending_id(c)
    evs = events_for(server, fresh_account)
    assert [e["detail-type"] for e in evs] == ["Engagement Invitation Created"]
    e = evs[0]
    assert e["source"] == "aws.partnercentral-selling" and e["version"] == "0" and e["region"] == REGION
    assert e["resources"] == [invitation_arn("Sandbox", iid)]
    d = e["detail"]
    assert d["schemaVersion"] == "1.0" and d["catalog"] == "Sandbox"
    inv = d["engagementInvitation"]
    got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)
    assert inv["arn"] == got["Arn"] and inv["id"] == iid and inv["engagementId"] == got["EngagementId"]
    assert inv["senderAccountId"] == "aws" and inv["receiverAccountId"] == fresh_account
    assert inv["senderCompanyName"] == "AWS" and inv["participantType"] == "RECEIVER"
    assert inv["payloadType"] == "OpportunityInvitation" and inv["expirationDate"]

    accept_task(c, iid)
    types = [x["detail-type"] for x in events_for(server, fresh_account)][1:]
    it = iter(types)
    assert all(t in it for t in ("Engagement Invitation Accepted", "Engagement Member Added",
                                 "Opportunity Created")), types
    [added] = [x for x in events_for(server, fresh_account, "Engagement Member Added")]
    assert added["detail"]["catalog"] == "Sandbox"
    assert added["detail"]["engagement"]["id"] == got["EngagementId"]
    assert added["detail"]["engagementMember"]["accountId"] == fresh_account
    assert added["detail"]["engagementMember"]["companyName"]
    [opp_created] = events_for(server, fresh_account, "Opportunity Created")
    assert opp_created["detail"]["opportunity"]["identifier"] == oid
    [accepted] = events_for(server, fresh_account, "Engagement Invitation Accepted")
    assert accepted["detail"]["engagementInvitation"]["participantType"] == "RECEIVER"


def test_events_of_partner_invitations_reach_both_parties(server, fresh_account):
    partner = account()
    c = server.client(account=fresh_account)
    rejected = send(server, fresh_account, {"Opportunity": opportunity_input(),
                                            "SenderAwsAccountId": partner})["InvitationId"]
    lead = send(server, fresh_account, {"LeadInvitation": LEAD, "SenderAwsAccountId": partner})["InvitationId"]
    c.reject_engagement_invitation(Catalog="Sandbox", Identifier=rejected, RejectionReason="Other")
    c.accept_engagement_invitation(Catalog="Sandbox", Identifier=lead)

    def mine(acct, kind, iid):
        return [e["detail"]["engagementInvitation"]["participantType"] for e in events_for(server, acct, kind)
                if e["detail"]["engagementInvitation"]["id"] == iid]

    for kind, iid in (("Engagement Invitation Created", rejected), ("Engagement Invitation Created", lead),
                      ("Engagement Invitation Rejected", rejected), ("Engagement Invitation Accepted", lead)):
        assert mine(fresh_account, kind, iid) == ["RECEIVER"], (kind, iid)
        assert mine(partner, kind, iid) == ["SENDER"], (kind, iid)
    assert mine(fresh_account, "Engagement Invitation Accepted", rejected) == []
    assert mine(partner, "Engagement Invitation Rejected", lead) == []
    for acct in (fresh_account, partner):
        added = [e["detail"]["engagementMember"]["accountId"]
                 for e in events_for(server, acct, "Engagement Member Added")]
        assert added == [fresh_account], (acct, added)
    assert events_for(server, fresh_account, "Opportunity Created") == []


def test_every_emitted_detail_type_is_documented(server, fresh_account):
    # Make sure the log holds at least the submission path and an invitation path.
    c = server.client(account=fresh_account)
    oid = create_submitted(c)
    approve(c, oid)
    refer_via_api(c)
    accept_task(c, only_pending_id(c))
    emitted = {e["detail-type"] for e in all_events(server)}
    # The submission created an engagement: Partner Central's events page lists its event.
    assert "Engagement Created" in emitted
    assert emitted <= DOCUMENTED, emitted - DOCUMENTED
    assert {"Engagement Invitation Created", "Engagement Invitation Accepted",
            "Engagement Member Added", "Opportunity Created"} <= emitted


# ------------------------------------------------------------------- state, restart, reset

def test_state_export_import_round_trips_invitations():
    s = Server("--in-memory").start()
    try:
        a, partner = account(), account()
        c = s.client(account=a)
        pending = send(s, a, {"Opportunity": opportunity_input()})["InvitationId"]
        rejected = send(s, a, {"LeadInvitation": LEAD, "SenderAwsAccountId": partner})["InvitationId"]
        c.reject_engagement_invitation(Catalog="Sandbox", Identifier=rejected, RejectionReason="Other")
        refer_via_api(c, Project=dict(opportunity_input()["Project"], Title="Accepted one"))
        [accepted] = [x["Id"] for x in received(c, Status=["PENDING"]) if x["Id"] != pending]
        oid = accept_task(c, accepted)["OpportunityId"]
        before = {x["Id"]: x["Status"] for x in received(c)}
        assert before == {pending: "PENDING", rejected: "REJECTED", accepted: "ACCEPTED"}

        status, _, state = admin(s, "GET", "/state")
        assert status == 200 and state["version"] == 3
        [sandbox] = [x for x in state["catalogs"] if x["catalog"] == "Sandbox"]
        assert {i["id"] for i in sandbox["invitations"]} == set(before)
        assert len(sandbox["engagements"]) == 3

        assert admin(s, "POST", "/reset")[0] == 200
        assert received(c) == []
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_engagement_invitation(Catalog="Sandbox", Identifier=pending)
        status, _, body = admin(s, "PUT", "/state", state)
        assert status == 200, body
        assert {x["Id"]: x["Status"] for x in received(c)} == before
        assert admin(s, "GET", "/state")[2] == state
        assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=rejected)["RejectionReason"] == "Other"
        assert [x["Id"] for x in sent(s.client(account=partner))] == [rejected]
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Approved"
        assert c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)[
            "Origin"] == "AWS Referral"
        assert accept_task(c, pending)["TaskStatus"] == "COMPLETE"
    finally:
        s.stop()


def version_one_of(server, c):
    """A submitted opportunity exported, then turned into a version-1 document (no "catalogs",
    tasks without "kind"). Returns (document, opportunity id, id of the invitation to AWS)."""
    submitted = create_submitted(c)
    [invitation] = sent(c)
    v1 = copy.deepcopy(admin(server, "GET", "/state")[2])
    v1["version"] = 1
    v1.pop("catalogs")
    for scope in v1["scopes"]:
        for t in scope.get("tasks", []):
            t.pop("kind", None)
            t.pop("completeAt", None)
    return v1, submitted, invitation["Id"]


def test_a_version_one_document_still_imports():
    s = Server("--in-memory").start()
    try:
        c = s.client(account=account())
        v1, submitted, _ = version_one_of(s, c)
        assert admin(s, "POST", "/reset")[0] == 200
        status, _, body = admin(s, "PUT", "/state", v1)
        assert status == 200, body
        assert c.get_opportunity(Catalog="Sandbox", Identifier=submitted)["LifeCycle"]["ReviewStatus"] == "Submitted"
        listed = c.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"]
        assert [t["OpportunityId"] for t in listed] == [submitted]
        state = admin(s, "GET", "/state")[2]
        assert state["version"] == 3 and "catalogs" in state
    finally:
        s.stop()


def test_restart_keeps_a_pending_invitation_and_reset_clears_it(tmp_path):
    data = tmp_path / "data"
    a = account()
    first = Server("--data-dir", str(data)).start()
    try:
        c = first.client(account=a)
        oid = refer_via_api(c)["Id"]
        iid = only_pending_id(c)
        expires = received(c)[0]["ExpirationDate"]
    finally:
        assert first.stop() == 0
    second = Server("--data-dir", str(data)).start()
    try:
        c = second.client(account=a)
        [x] = received(c)
        assert x["Id"] == iid and x["Status"] == "PENDING" and x["ExpirationDate"] == expires
        pending_lead = send(second, a, {"LeadInvitation": LEAD})["InvitationId"]
        task = accept_task(c, iid)
        assert task["OpportunityId"] == oid
        assert admin(second, "POST", "/reset")[0] == 200
        assert received(c) == [] and tasks(c) == []
        for ident in (iid, pending_lead):
            with pytest.raises(c.exceptions.ResourceNotFoundException):
                c.get_engagement_invitation(Catalog="Sandbox", Identifier=ident)
    finally:
        assert second.stop() == 0


def test_an_in_progress_accept_task_completes_after_a_restart(tmp_path):
    data = tmp_path / "data"
    a = account()
    first = Server("--data-dir", str(data), "--task-delay-ms", "1500").start()
    try:
        c = first.client(account=a)
        oid = refer_via_api(c)["Id"]
        iid = only_pending_id(c)
        started = accept_task(c, iid, token="before-restart")
        assert started["TaskStatus"] == "IN_PROGRESS"
    finally:
        assert first.stop() == 0
    second = Server("--data-dir", str(data), "--task-delay-ms", "1500").start()
    try:
        c = second.client(account=a)
        deadline = time.monotonic() + 10
        while True:
            [t] = tasks(c)
            if t["TaskStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert t["TaskId"] == started["TaskId"] and t["TaskStatus"] == "COMPLETE"
        assert t["OpportunityId"] == oid
        assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=iid)["Status"] == "ACCEPTED"
        assert opportunity_ids(c) == [oid]
    finally:
        assert second.stop() == 0


def test_an_accepted_referral_keeps_the_stage_it_was_sent_with(server, fresh_account):
    c = server.client(account=fresh_account)
    lifecycle = dict(opportunity_input()["LifeCycle"], Stage="Qualified")
    qualified = refer_via_api(c, LifeCycle=lifecycle)["Id"]
    accept_task(c, only_pending_id(c))
    no_stage = {k: v for k, v in opportunity_input()["LifeCycle"].items() if k != "Stage"}
    default = refer_via_api(c, LifeCycle=no_stage)["Id"]
    accept_task(c, only_pending_id(c))
    assert c.get_opportunity(Catalog="Sandbox", Identifier=qualified)["LifeCycle"]["Stage"] == "Qualified"
    assert c.get_opportunity(Catalog="Sandbox", Identifier=default)["LifeCycle"]["Stage"] == "Prospect"
