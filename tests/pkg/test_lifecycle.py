"""The control-plane helpers through whole lifecycles: create → submit → approve → the AWS
summary; an AWS referral accepted; leads, solutions, faults, the clock, events, state."""

from __future__ import annotations

import datetime
import http.client
import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from partnercentral_local import AdminError, Server, sample_opportunity

SUBMIT = {"InvolvementType": "Co-Sell", "Visibility": "Full"}


def submitted(server: Server, catalog: str = "Sandbox", account_id: str = "111111111111") -> str:
    pc = server.client(account_id=account_id)
    oid: str = pc.create_opportunity(Catalog=catalog, **sample_opportunity())["Id"]
    pc.associate_opportunity(
        Catalog=catalog,
        OpportunityIdentifier=oid,
        RelatedEntityType="Solutions",
        RelatedEntityIdentifier="S-1234567",
    )
    task = pc.start_engagement_from_opportunity_task(
        Catalog=catalog, Identifier=oid, AwsSubmission=SUBMIT
    )
    assert task["TaskStatus"] == "COMPLETE"
    return oid


def test_create_submit_approve_summary(partnercentral: Server) -> None:
    pc = partnercentral.client()
    oid = submitted(partnercentral)
    with pytest.raises(ClientError) as not_yet:
        pc.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert not_yet.value.response["Error"]["Code"] == "ResourceNotFoundException"

    partnercentral.review(oid, "In review")
    answer = partnercentral.approve(oid, comments="Looks good")
    assert isinstance(answer, dict)
    opportunity = pc.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert opportunity["LifeCycle"]["ReviewStatus"] == "Approved"

    summary = pc.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert summary["RelatedOpportunityId"] == oid
    assert summary["InvolvementType"] == "Co-Sell"
    assert summary["RelatedEntityIds"]["Solutions"] == ["S-1234567"]

    # An AWS seller moves the stage and joins the team.
    partnercentral.patch_aws_opportunity(
        oid,
        {
            "LifeCycle": {"Stage": "Qualified", "NextSteps": "Seller meets the customer"},
            "OpportunityTeam": [
                {
                    "BusinessTitle": "AWSSalesRep",
                    "Email": "seller@example.com",
                    "FirstName": "Sam",
                    "LastName": "Seller",
                }
            ],
        },
    )
    record = partnercentral.aws_opportunity(oid)
    assert record["LifeCycle"]["Stage"] == "Qualified"
    summary = pc.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert summary["LifeCycle"]["Stage"] == "Qualified"
    assert summary["LifeCycle"]["NextStepsHistory"][-1]["Value"] == "Seller meets the customer"
    assert summary["OpportunityTeam"][-1]["FirstName"] == "Sam"

    updated = [
        e
        for e in partnercentral.events("Opportunity Updated")
        if e["detail"]["opportunity"]["identifier"] == oid
    ]
    assert len(updated) >= 3  # submission, approval, the AWS-side change
    assert partnercentral.events("Opportunity Created")


def test_review_in_the_production_catalog_and_other_accounts(partnercentral: Server) -> None:
    oid = submitted(partnercentral, catalog="AWS", account_id="333333333333")
    partnercentral.review(
        oid,
        "Action Required",
        comments="Add the use case",
        account_id="333333333333",
        catalog="AWS",
    )
    pc = partnercentral.client(account_id="333333333333")
    lifecycle = pc.get_opportunity(Catalog="AWS", Identifier=oid)["LifeCycle"]
    assert lifecycle["ReviewStatus"] == "Action Required"
    assert lifecycle["ReviewComments"] == "Add the use case"


def test_a_referral_accepted(partnercentral: Server) -> None:
    body = sample_opportunity()
    body["Customer"]["Account"]["CompanyName"] = "Globex"
    body["Project"]["Title"] = "Plant analytics"
    sent = partnercentral.refer(body, message="A referral for you")
    assert sent["PayloadType"] == "OpportunityInvitation"

    pc = partnercentral.client()
    pending = pc.list_engagement_invitations(
        Catalog="Sandbox", ParticipantType="RECEIVER", Status=["PENDING"]
    )["EngagementInvitationSummaries"]
    assert [i["Id"] for i in pending] == [sent["InvitationId"]]
    invitation = pc.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationArn"])
    assert invitation["SenderCompanyName"] == "AWS"

    task = pc.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=sent["InvitationArn"], ClientToken="accept-1"
    )
    assert task["TaskStatus"] == "COMPLETE"
    assert task["OpportunityId"] == sent["OpportunityId"]
    opportunity = pc.get_opportunity(Catalog="Sandbox", Identifier=task["OpportunityId"])
    assert opportunity["LifeCycle"]["ReviewStatus"] == "Approved"
    assert opportunity["Customer"]["Account"]["CompanyName"] == "Globex"
    summary = pc.get_aws_opportunity_summary(
        Catalog="Sandbox", RelatedOpportunityIdentifier=task["OpportunityId"]
    )
    assert summary["Origin"] == "AWS Referral"
    assert partnercentral.events("Engagement Invitation Accepted")


def test_an_unanswered_invitation_expires_when_the_clock_moves(partnercentral: Server) -> None:
    sent = partnercentral.refer(sample_opportunity(), invitation_id="engi-0000000000001")
    assert sent["InvitationId"] == "engi-0000000000001"
    before = datetime.datetime.fromisoformat(partnercentral.clock()["now"].replace("Z", "+00:00"))
    moved = partnercentral.advance_clock(datetime.timedelta(days=16))
    assert moved["mode"] == "offset"
    pc = partnercentral.client()
    invitation = pc.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    assert invitation["Status"] == "EXPIRED"
    assert partnercentral.events("Engagement Invitation Expired")

    later = datetime.datetime(before.year + 2, 1, 31, 12, tzinfo=datetime.timezone.utc)
    assert partnercentral.set_clock(later)["now"].startswith(f"{before.year + 2}-01-31T12:00")
    assert partnercentral.reset_clock()["mode"] == "real"
    with pytest.raises(ValueError, match="aware"):
        partnercentral.set_clock(datetime.datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="advances"):
        partnercentral.advance_clock(datetime.timedelta(days=-1))


def test_a_lead_sent_by_aws(partnercentral: Server) -> None:
    sent = partnercentral.send_lead(
        {
            "Customer": {"CompanyName": "Initech", "CountryCode": "US"},
            "Interaction": {
                "SourceType": "Event",
                "SourceId": "summit-1",
                "SourceName": "Summit",
                "ContactBusinessTitle": "CTO",
            },
        },
        engagement_title="Initech lead",
    )
    assert sent["PayloadType"] == "LeadInvitation"
    pc = partnercentral.client()
    invitation = pc.get_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    assert invitation["EngagementTitle"] == "Initech lead"


def test_solutions(partnercentral: Server) -> None:
    added = partnercentral.add_solution(
        "Data Lake", "Software Product", solution_id="S-7654321", catalog="AWS"
    )
    assert added["Id"] == "S-7654321"
    ids = [s["Id"] for s in partnercentral.solutions(catalog="AWS")]
    assert "S-7654321" in ids
    listed = partnercentral.client().list_solutions(Catalog="AWS")["SolutionSummaries"]
    assert "S-7654321" in [s["Id"] for s in listed]


def test_faults(partnercentral: Server) -> None:
    rule = partnercentral.add_fault("ListSolutions", error="ThrottlingException", count=1)
    assert [f["id"] for f in partnercentral.faults()] == [rule["id"]]
    pc = partnercentral.client(config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as throttled:
        pc.list_solutions(Catalog="Sandbox")
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    assert pc.list_solutions(Catalog="Sandbox")["SolutionSummaries"]  # count used up

    other = partnercentral.add_fault("*", latency_ms=1, account_id="999999999999")
    partnercentral.remove_fault(other["id"])
    with pytest.raises(AdminError) as missing:
        partnercentral.remove_fault(other["id"])
    assert missing.value.status == 404
    partnercentral.add_fault("GetOpportunity", error="InternalServerException")
    assert partnercentral.clear_faults() == 1


def test_state_round_trip_and_narrow_reset(partnercentral: Server) -> None:
    oid = submitted(partnercentral)
    other = submitted(partnercentral, account_id="222222222222")
    document = partnercentral.state()
    assert document["format"] == "partnercentral-local/state"

    partnercentral.reset(account_id="222222222222")
    pc2 = partnercentral.client(account_id="222222222222")
    assert pc2.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
    pc = partnercentral.client()
    assert pc.get_opportunity(Catalog="Sandbox", Identifier=oid)["Id"] == oid

    partnercentral.reset()
    assert pc.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
    imported = partnercentral.load_state(document)
    assert "imported" in imported
    assert pc2.get_opportunity(Catalog="Sandbox", Identifier=other)["Id"] == other
    partnercentral.load_state(json.dumps(document))  # text works too

    with pytest.raises(AdminError) as bad:
        partnercentral.load_state({"format": "nonsense"})
    assert bad.value.status == 400
    assert pc.get_opportunity(Catalog="Sandbox", Identifier=oid)["Id"] == oid  # unchanged


def test_a_4xx_raises_admin_error_with_the_servers_message(partnercentral: Server) -> None:
    oid = submitted(partnercentral)
    with pytest.raises(AdminError) as bad:
        partnercentral.review(oid, "Maybe")
    assert bad.value.status == 400
    assert "ReviewStatus must be one of" in bad.value.error
    assert bad.value.method == "POST"
    assert bad.value.path.endswith(f"/opportunities/{oid}/review")
    assert "answered 400" in str(bad.value)

    with pytest.raises(AdminError) as missing:
        partnercentral.approve("O999999999")
    assert missing.value.status == 404
    assert "O999999999" in missing.value.error

    with pytest.raises(AdminError) as account:
        partnercentral.approve(oid, account_id="12")
    assert "12 digits" in account.value.error

    with pytest.raises(AdminError) as unknown:
        partnercentral.admin("GET", "/nowhere")
    assert unknown.value.status == 404


def test_health_and_operations(partnercentral: Server) -> None:
    health = partnercentral.health()
    assert health["status"] == "ok"
    names = {o["name"] for o in partnercentral.operations()}
    assert "GetAwsOpportunitySummary" in names


def test_admin_token() -> None:
    with Server(admin_token="s3cret") as server:
        assert server.health()["status"] == "ok"  # the helpers send the token
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/_admin/health")
        assert conn.getresponse().status == 401
        conn.close()
        server.admin_token = "wrong"
        with pytest.raises(AdminError) as refused:
            server.health()
        assert refused.value.status == 401
        server.admin_token = "s3cret"
