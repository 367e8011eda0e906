"""The inbound half with boto3 (issue 9): AWS referrals and engagement invitations, listed,
read, accepted, rejected and left to expire; partner invitations, leads, delayed tasks, the
clock, events, state and the control plane, all against the real binary."""
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

def test_listing_filters_sorts_and_pages(server, fresh_account):
    c = server.client(account=fresh_account)
    sent = [refer(server, fresh_account)["InvitationId"] for _ in range(3)]
    lead = send(server, fresh_account, {"LeadInvitation": LEAD, "SenderAwsAccountId": "333333333333"})
    newest_first = [i["Id"] for i in received(c)]
    assert newest_first == [lead["InvitationId"], *reversed(sent)]
    assert [i["Id"] for i in received(c, Sort={"SortBy": "InvitationDate", "SortOrder": "ASCENDING"})] == \
        list(reversed(newest_first))
    assert [i["Id"] for i in received(c, PayloadType=["LeadInvitation"])] == [lead["InvitationId"]]
    assert [i["Id"] for i in received(c, SenderAwsAccountId=["aws"])] == list(reversed(sent))
    assert [i["Id"] for i in received(c, EngagementIdentifier=[lead["EngagementArn"]])] == [lead["InvitationId"]]
    assert received(c, Status=["ACCEPTED"]) == []
    assert received(c, EngagementIdentifier=["eng-00000000000000"]) == []
    # Pages of one, in the same order, then no token.
    seen, token = [], None
    for _ in range(4):
        page = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER", MaxResults=1,
                                             **({"NextToken": token} if token else {}))
        seen += [i["Id"] for i in page["EngagementInvitationSummaries"]]
        token = page.get("NextToken")
    assert seen == newest_first and token is None
    first = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="RECEIVER", MaxResults=1)
    with pytest.raises(c.exceptions.ValidationException):
        c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="SENDER", MaxResults=1,
                                      NextToken=first["NextToken"])
    # The sender (a partner) sees its lead as SENDER; AWS-sent referrals are nobody's to list as SENDER.
    sender = server.client(account="333333333333")
    mine = [i for i in sender.list_engagement_invitations(
        Catalog="Sandbox", ParticipantType="SENDER")["EngagementInvitationSummaries"]
        if i["Id"] == lead["InvitationId"]]
    assert mine and mine[0]["ParticipantType"] == "SENDER"
    assert c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="SENDER")[
        "EngagementInvitationSummaries"] == []


def test_an_aws_referral_reads_as_the_captures_show(server, fresh_account):
    c = server.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", **opportunity_input())["Id"]
    assert oid not in opportunity_ids(c)
    [summary] = received(c, Status=["PENDING"])
    assert summary["SenderAwsAccountId"] == "aws" and summary["SenderCompanyName"] == "AWS"
    assert summary["ParticipantType"] == "RECEIVER" and summary["PayloadType"] == "OpportunityInvitation"
    assert summary["EngagementTitle"] == "Data platform migration"
    assert summary["Receiver"]["Account"]["AwsAccountId"] == fresh_account
    assert (summary["ExpirationDate"] - summary["InvitationDate"]).total_seconds() == 15 * 86400
    assert summary["Arn"] == ("arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement-invitation/"
                              + summary["Id"])
    by_arn = c.get_engagement_invitation(Catalog="Sandbox", Identifier=summary["Arn"])
    by_id = c.get_engagement_invitation(Catalog="Sandbox", Identifier=summary["Id"])
    by_arn.pop("ResponseMetadata"), by_id.pop("ResponseMetadata")
    assert by_arn == by_id
    assert by_id["Status"] == "PENDING" and "RejectionReason" not in by_id
    assert by_id["ExistingMembers"] == [{"CompanyName": "AWS", "WebsiteUrl": "www.aws.com"}]
    assert by_id["EngagementDescription"] == opportunity_input()["Project"]["CustomerBusinessProblem"]
    payload = by_id["Payload"]["OpportunityInvitation"]
    assert payload["Customer"] == {"CompanyName": "Acme Corp", "CountryCode": "US",
                                   "Industry": "Software and Internet", "WebsiteUrl": "https://acme.example.com"}
    assert payload["Project"]["TargetCompletionDate"] == "2027-06-30"
    text = json.dumps(by_id, default=str)
    for withheld in ("98101", "Seattle", "ann@acme.example.com", "+12065550100"):
        assert withheld not in text
    # Malformed identifiers are the model's; a well-formed unknown one is not found.
    with pytest.raises(c.exceptions.ValidationException):
        c.get_engagement_invitation(Catalog="Sandbox", Identifier="engi-UPPER")
    with pytest.raises(c.exceptions.ValidationException):
        c.get_engagement_invitation(Catalog="Sandbox", Identifier="arn:aws:partnercentral:us-east-1::foo")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_engagement_invitation(Catalog="Sandbox", Identifier="engi-0000000000000")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_engagement_invitation(Catalog="Sandbox",
                                    Identifier=summary["Arn"].replace("/Sandbox/", "/AWS/"))


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
        ("Customer.Account.WebsiteUrl", "REQUIRED_FIELD_MISSING"), ("Project.Title", "REQUIRED_FIELD_MISSING")}
    assert received(c) == []


# ---------------------------------------------------------------- accepting and rejecting

def test_accepting_puts_the_referral_into_the_pipeline_once(server, fresh_account):
    c = server.client(account=fresh_account)
    sent = refer(server, fresh_account)
    task = c.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=sent["InvitationArn"], ClientToken="accept-1")
    assert task["TaskStatus"] == "COMPLETE" and task["OpportunityId"] == sent["OpportunityId"]
    assert task["EngagementInvitationId"] == sent["InvitationId"]
    assert task["TaskArn"].endswith("/engagement-by-accepting-invitation-task/" + task["TaskId"])
    opp = c.get_opportunity(Catalog="Sandbox", Identifier=task["OpportunityId"])
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved" and opp["LifeCycle"]["Stage"] == "Prospect"
    assert opp["Customer"]["Contacts"][0]["Email"] == "ann@acme.example.com"
    assert opp["Customer"]["Account"]["Address"]["PostalCode"] == "98101"
    summary = c.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opp["Id"])
    assert summary["Origin"] == "AWS Referral"
    # Again, with the same token, another token, and the plain accept: one opportunity, one task.
    again = c.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=sent["InvitationId"], ClientToken="accept-1")
    other = c.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=sent["InvitationId"], ClientToken="accept-2")
    assert again["TaskId"] == other["TaskId"] == task["TaskId"]
    with pytest.raises(c.exceptions.ConflictException):
        c.accept_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    assert opportunity_ids(c) == [opp["Id"]]
    tasks = c.list_engagement_by_accepting_invitation_tasks(Catalog="Sandbox")["TaskSummaries"]
    assert [t["TaskId"] for t in tasks] == [task["TaskId"]]
    assert c.list_engagement_by_accepting_invitation_tasks(
        Catalog="Sandbox", TaskStatus=["FAILED"])["TaskSummaries"] == []
    assert c.list_engagement_by_accepting_invitation_tasks(
        Catalog="Sandbox", EngagementInvitationIdentifier=[sent["InvitationArn"]],
        OpportunityIdentifier=[opp["Id"]])["TaskSummaries"][0]["TaskId"] == task["TaskId"]
    assert c.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"] == []
    assert received(c)[0]["Status"] == "ACCEPTED"
    # The same token for another invitation's acceptance is a conflict.
    second = refer(server, fresh_account)
    with pytest.raises(c.exceptions.ConflictException):
        c.start_engagement_by_accepting_invitation_task(
            Catalog="Sandbox", Identifier=second["InvitationId"], ClientToken="accept-1")


def test_racing_accepts_create_one_opportunity(server, fresh_account):
    c = server.client(account=fresh_account)
    sent = refer(server, fresh_account)
    results, errors = [], []

    def accept(i):
        try:
            results.append(server.client(account=fresh_account).start_engagement_by_accepting_invitation_task(
                Catalog="Sandbox", Identifier=sent["InvitationId"], ClientToken=f"race-{i}")["TaskId"])
        except Exception as e:  # noqa: BLE001 - any failure is a finding
            errors.append(e)

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(results)) == 1
    assert opportunity_ids(c) == [sent["OpportunityId"]]


def test_rejecting_is_final_and_both_parties_see_it(server, fresh_account):
    sender_account = "444444444444"
    c = server.client(account=fresh_account)
    sent = refer(server, fresh_account, SenderAwsAccountId=sender_account)
    sender = server.client(account=sender_account)
    with pytest.raises(c.exceptions.AccessDeniedException):
        sender.reject_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    with pytest.raises(c.exceptions.AccessDeniedException):
        sender.start_engagement_by_accepting_invitation_task(
            Catalog="Sandbox", Identifier=sent["InvitationId"], ClientToken="mine")
    c.reject_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationArn"],
                                   RejectionReason="Customer problem unclear")
    for who in (c, sender):
        got = who.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
        assert got["Status"] == "REJECTED" and got["RejectionReason"] == "Customer problem unclear"
    for call in (lambda: c.accept_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"]),
                 lambda: c.reject_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"]),
                 lambda: c.start_engagement_by_accepting_invitation_task(
                     Catalog="Sandbox", Identifier=sent["InvitationId"], ClientToken="late")):
        with pytest.raises(c.exceptions.ConflictException) as e:
            call()
        assert "REJECTED" in e.value.response["Error"]["Message"]
    assert opportunity_ids(c) == []
    rejected = [e for e in events(server) if e["detail-type"] == "Engagement Invitation Rejected"
                and e["detail"]["engagementInvitation"]["id"] == sent["InvitationId"]]
    assert sorted((e["account"], e["detail"]["engagementInvitation"]["participantType"]) for e in rejected) == \
        sorted([(fresh_account, "RECEIVER"), (sender_account, "SENDER")])


def test_third_parties_and_the_other_catalog_see_nothing(server, fresh_account):
    sent = refer(server, fresh_account)
    for account, catalog in (("555555555555", "Sandbox"), (fresh_account, "AWS")):
        other = server.client(account=account)
        assert all(i["Id"] != sent["InvitationId"] for i in received(other, catalog=catalog))
        for call in (lambda: other.get_engagement_invitation(Catalog=catalog, Identifier=sent["InvitationId"]),
                     lambda: other.accept_engagement_invitation(Catalog=catalog, Identifier=sent["InvitationId"]),
                     lambda: other.reject_engagement_invitation(Catalog=catalog, Identifier=sent["InvitationId"]),
                     lambda: other.start_engagement_by_accepting_invitation_task(
                         Catalog=catalog, Identifier=sent["InvitationId"], ClientToken="x")):
            with pytest.raises(other.exceptions.ResourceNotFoundException):
                call()
    assert received(server.client(account=fresh_account))[0]["Status"] == "PENDING"


def test_a_lead_is_accepted_without_an_opportunity(server, fresh_account):
    c = server.client(account=fresh_account)
    sent = send(server, fresh_account, {"LeadInvitation": LEAD, "LeadContact": {
        "FirstName": "Lee", "LastName": "Lead", "Email": "lee@initech.example.com"}})
    assert "OpportunityId" not in sent and sent["PayloadType"] == "LeadInvitation"
    got = c.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    assert got["Payload"]["LeadInvitation"]["Interaction"]["ContactBusinessTitle"] == "CTO"
    assert "lee@initech.example.com" not in json.dumps(got, default=str)
    task = c.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=sent["InvitationId"], ClientToken="lead")
    assert task["TaskStatus"] == "FAILED" and task["ReasonCode"] and "OpportunityId" not in task
    assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])["Status"] == "PENDING"
    c.accept_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])["Status"] == "ACCEPTED"
    assert opportunity_ids(c) == []


# ---------------------------------------------------------------- partner-sent invitations

def test_the_submission_invitation_follows_aws_review(server, fresh_account):
    c = server.client(account=fresh_account)
    approved = create_submitted(c)
    rejected = create_submitted(c)
    tasks = {t["OpportunityId"]: t for t in
             c.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"]}
    sent = c.list_engagement_invitations(Catalog="Sandbox", ParticipantType="SENDER")[
        "EngagementInvitationSummaries"]
    assert sorted(i["Id"] for i in sent) == sorted(t["EngagementInvitationId"] for t in tasks.values())
    for i in sent:
        assert i["ParticipantType"] == "SENDER" and i["Status"] == "PENDING"
        assert i["Receiver"]["Account"]["AwsAccountId"] == "aws" and "ExpirationDate" not in i
    approve(c, approved)
    approve(c, rejected, status="Rejected", ReviewStatusReason="Duplicate of an AWS opportunity")
    a = c.get_engagement_invitation(Catalog="Sandbox", Identifier=tasks[approved]["EngagementInvitationId"])
    r = c.get_engagement_invitation(Catalog="Sandbox", Identifier=tasks[rejected]["EngagementInvitationId"])
    assert a["Status"] == "ACCEPTED" and a["EngagementId"] == tasks[approved]["EngagementId"]
    assert r["Status"] == "REJECTED" and r["RejectionReason"] == "Duplicate of an AWS opportunity"
    # AWS is not an account to act with: the invitation cannot be answered by its sender.
    with pytest.raises(c.exceptions.AccessDeniedException):
        c.accept_engagement_invitation(Catalog="Sandbox", Identifier=a["Id"])


def test_a_member_invites_another_partner(server):
    a_account, b_account, c_account = "610000000001", "620000000002", "630000000003"
    a, b, third = (server.client(account=x) for x in (a_account, b_account, c_account))
    oid = create_submitted(a)
    approve(a, oid)
    engagement = a.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"][0]["EngagementId"]
    invitation = {"Message": "Join us on Acme", "Receiver": {"Account": {"AwsAccountId": b_account,
                                                                          "Alias": "Partner B"}},
                  "Payload": {"OpportunityInvitation": {
                      "Customer": {"CompanyName": "Acme Corp", "CountryCode": "US",
                                   "Industry": "Software and Internet", "WebsiteUrl": "https://acme.example.com"},
                      "Project": {"Title": "Data platform migration", "TargetCompletionDate": "2027-06-30",
                                  "BusinessProblem": "The customer runs out of capacity every quarter end.",
                                  "ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "USD",
                                                             "Frequency": "Monthly", "TargetCompany": "AWS"}]},
                      "ReceiverResponsibilities": ["Software Partner"]}}}
    created = a.create_engagement_invitation(Catalog="Sandbox", ClientToken="invite-b",
                                             EngagementIdentifier=engagement, Invitation=invitation)
    assert created["Arn"].endswith("/engagement-invitation/" + created["Id"])
    replay = a.create_engagement_invitation(Catalog="Sandbox", ClientToken="invite-b",
                                            EngagementIdentifier=engagement, Invitation=invitation)
    assert replay["Id"] == created["Id"]
    with pytest.raises(a.exceptions.ConflictException):
        a.create_engagement_invitation(Catalog="Sandbox", ClientToken="invite-b-again",
                                       EngagementIdentifier=engagement, Invitation=invitation)
    for receiver in (a_account, "aws"):
        bad = json.loads(json.dumps(invitation))
        bad["Receiver"]["Account"]["AwsAccountId"] = receiver
        with pytest.raises(a.exceptions.ValidationException):
            a.create_engagement_invitation(Catalog="Sandbox", ClientToken=f"to-{receiver}",
                                           EngagementIdentifier=engagement, Invitation=bad)
    with pytest.raises(third.exceptions.ResourceNotFoundException):
        third.create_engagement_invitation(Catalog="Sandbox", ClientToken="intruder",
                                           EngagementIdentifier=engagement, Invitation=invitation)
    [mine] = received(b)
    assert mine["SenderAwsAccountId"] == a_account and mine["Receiver"]["Account"]["Alias"] == "Partner B"
    got = b.get_engagement_invitation(Catalog="Sandbox", Identifier=mine["Id"])
    assert got["InvitationMessage"] == "Join us on Acme"
    assert {m["CompanyName"] for m in got["ExistingMembers"]} == {f"Partner {a_account}", "AWS"}
    task = b.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", Identifier=mine["Id"],
                                                           ClientToken="b-accepts")
    opp = b.get_opportunity(Catalog="Sandbox", Identifier=task["OpportunityId"])
    assert opp["Id"] != oid and opp["LifeCycle"]["ReviewStatus"] == "Approved"  # A's is approved
    assert opp["Project"]["Title"] == "Data platform migration"
    summary = b.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opp["Id"])
    assert summary["Origin"] == "Partner Referral"
    joined = [e for e in events(server, a_account) if e["detail-type"] == "Engagement Member Added"
              and e["detail"]["engagementMember"]["accountId"] == b_account]
    assert len(joined) == 1, "the inviting member hears that B joined"


# ---------------------------------------------------------------- time

def test_an_unanswered_invitation_expires_once_on_the_clock():
    s = Server("--in-memory").start()
    try:
        receiver, sender = "710000000001", "720000000002"
        c = s.client(account=receiver)
        sent = refer(s, receiver, SenderAwsAccountId=sender)
        assert admin(s, "POST", "/clock", {"advance": "P14D"})[2]["mode"] == "offset"
        assert received(c)[0]["Status"] == "PENDING"
        clock = admin(s, "POST", "/clock", {"advance": "P2D"})[2]
        assert clock["offsetMs"] == 16 * 86_400_000
        assert received(c)[0]["Status"] == "EXPIRED"
        assert received(c, Status=["PENDING"]) == []
        assert c.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])["Status"] == "EXPIRED"
        with pytest.raises(c.exceptions.ConflictException):
            c.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", Identifier=sent["InvitationId"],
                                                            ClientToken="too-late")
        with pytest.raises(c.exceptions.ConflictException):
            c.accept_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
        time.sleep(1.5)  # and the background settling
        admin(s, "POST", "/clock", {"advance": "PT1H"})
        expired = [e for e in events(s) if e["detail-type"] == "Engagement Invitation Expired"]
        assert sorted(e["account"] for e in expired) == sorted([receiver, sender])
        expiry = c.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])["ExpirationDate"]
        stamp = expiry.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expiry.microsecond // 1000:03d}Z"
        assert {e["detail"]["engagementInvitation"]["expirationDate"] for e in expired} == {stamp}
        # Timestamps follow the clock: a new referral is dated 16 days and an hour ahead.
        later = refer(s, receiver)
        dated = [i for i in received(c) if i["Id"] == later["InvitationId"]][0]["InvitationDate"]
        assert dated.timestamp() > time.time() + 16 * 86400
        back = admin(s, "DELETE", "/clock")[2]
        assert back["mode"] == "real" and back["offsetMs"] == 0
        assert abs(datetime.datetime.fromisoformat(back["now"].replace("Z", "+00:00")).timestamp() - time.time()) < 5
        for bad in ({"advance": "P1M"}, {"advance": "-P1D"}, {"now": "soon"}, {}, {"now": "2026-01-01T00:00:00Z",
                                                                                   "advance": "P1D"}):
            assert admin(s, "POST", "/clock", bad)[0] == 400, bad
        assert admin(s, "GET", "/clock")[2]["offsetMs"] == 0
    finally:
        s.stop()


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

def test_every_event_is_documented_and_shaped(server, fresh_account):
    c = server.client(account=fresh_account)
    sent = refer(server, fresh_account)
    c.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", Identifier=sent["InvitationId"],
                                                    ClientToken="events")
    mine = [e for e in events(server, fresh_account)]
    assert [e["detail-type"] for e in mine] == [
        "Engagement Invitation Created", "Engagement Invitation Accepted", "Engagement Member Added",
        "Opportunity Created", "Engagement Resource Snapshot Created"]
    created = mine[0]["detail"]["engagementInvitation"]
    assert created["senderCompanyName"] == "AWS" and created["participantType"] == "RECEIVER"
    assert created["expirationDate"].endswith("Z") and created["receiverAccountId"] == fresh_account
    assert mine[0]["resources"] == [sent["InvitationArn"]]
    everything = {e["detail-type"] for e in events(server)}
    assert everything <= DOCUMENTED, everything - DOCUMENTED


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
        assert state["version"] == 2
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


def test_bad_control_plane_invitations_change_nothing(server, fresh_account):
    before = admin(server, "GET", "/state")[2]["catalogs"]
    path = f"/accounts/{fresh_account}/catalogs/Sandbox/invitations"
    for body in ({}, {"Opportunity": {}}, {"LeadInvitation": {"Customer": {}}},
                 {"Opportunity": opportunity_input(), "LeadInvitation": LEAD},
                 {"LeadInvitation": LEAD, "Unknown": 1}, {"LeadInvitation": LEAD, "SenderAwsAccountId": fresh_account},
                 {"LeadInvitation": LEAD, "InvitationId": "engi-NOPE"},
                 {"Opportunity": dict(opportunity_input(), Catalog="AWS")}, b"not json"):
        status, _, answer = admin(server, "POST", path, body)
        assert status == 400 and answer["error"], (body, answer)
    for bad_path in ("/accounts/12/catalogs/Sandbox/invitations", f"/accounts/{fresh_account}/catalogs/Nope/invitations"):
        assert admin(server, "POST", bad_path, {"LeadInvitation": LEAD})[0] == 400
    assert admin(server, "GET", "/state")[2]["catalogs"] == before
    pinned = {"LeadInvitation": LEAD, "InvitationId": "engi-pinned0000001"}
    assert send(server, fresh_account, pinned)["InvitationId"] == "engi-pinned0000001"
    send(server, fresh_account, pinned, expect=409)


def test_the_command_line_refers_and_the_aws_cli_lists(server, fresh_account):
    p = subprocess.run([BIN, "aws", "--endpoint", server.url, "--account", fresh_account, "refer",
                        "--title", "CLI referral", "--company", "Globex"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["InvitationId"].startswith("engi-") and out["OpportunityId"].startswith("O")
    p = subprocess.run([BIN, "aws", "--endpoint", server.url, "--account", fresh_account, "refer", "--lead",
                        "--company", "Initech"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and json.loads(p.stdout)["PayloadType"] == "LeadInvitation", p.stderr
    listed = json.loads(aws(server, "list-engagement-invitations", "--catalog", "Sandbox",
                            "--participant-type", "RECEIVER", account=fresh_account).stdout)
    titles = sorted(i["EngagementTitle"] for i in listed["EngagementInvitationSummaries"])
    assert titles == ["CLI referral", "Initech lead"]
    got = json.loads(aws(server, "get-engagement-invitation", "--catalog", "Sandbox", "--identifier",
                         out["InvitationId"], account=fresh_account).stdout)
    assert got["Payload"]["OpportunityInvitation"]["Customer"]["CompanyName"] == "Globex"


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
