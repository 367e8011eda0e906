"""Engagements, contexts, multi-partner opportunities, leads and prospecting (issue 12), through
boto3 against the real binary: research §3, §5, §8 (sequences 3 and 4) and §9."""
import datetime
import re
import uuid

import pytest

from conftest import Server, approve, opportunity_input
from test_control_plane import admin
from test_invitations import account, events_for, send

ENG = re.compile(r"eng-[0-9a-z]{14}")
TASK = re.compile(r"task-[0-9a-z]{13}")
PROSPECTING_TASK = re.compile(r"task-[0-9a-z]{14}")

CONTACT = {"BusinessTitle": "CTO", "Email": "cto@lead.example.com", "FirstName": "Ada", "LastName": "Lovelace"}
LEAD_CUSTOMER = {"CompanyName": "Lead Co", "Industry": "Software and Internet",
                 "WebsiteUrl": "https://lead.example.com",
                 "Address": {"CountryCode": "US", "City": "Seattle"}, "MarketSegment": "Enterprise"}
PROBLEM = "The customer wants to move its on-premises databases to a managed service."


def interaction(n=1, **extra):
    return dict({"SourceType": "Event", "SourceId": f"src-{n}", "SourceName": "Summit", "Usecase": "Migration",
                 "BusinessProblem": PROBLEM, "Contact": CONTACT}, **extra)


def lead_context(**extra):
    return {"Type": "Lead", "Payload": {"Lead": dict({"Customer": LEAD_CUSTOMER,
                                                       "Interactions": [interaction()]}, **extra)}}


PROJECT_CONTEXT = {"Type": "CustomerProject", "Payload": {"CustomerProject": {
    "Customer": {"CompanyName": "Acme", "CountryCode": "US", "Industry": "Software and Internet",
                 "WebsiteUrl": "https://acme.example.com"},
    "Project": {"Title": "Data platform", "BusinessProblem": PROBLEM, "TargetCompletionDate": "2027-06-30"}}}}

LEAD_INVITATION = {"LeadInvitation": {
    "Customer": {"CompanyName": "Lead Co", "Industry": "Software and Internet", "CountryCode": "US",
                 "WebsiteUrl": "https://lead.example.com", "AwsMaturity": "New", "MarketSegment": "Enterprise"},
    "Interaction": {"SourceType": "Event", "SourceId": "src-1", "SourceName": "Summit",
                    "ContactBusinessTitle": "CTO", "Usecase": "Migration"}}}


def token():
    return str(uuid.uuid4())


def create(c, contexts=(), catalog="Sandbox", **kw):
    return c.create_engagement(Catalog=catalog, ClientToken=token(), Contexts=list(contexts), **kw)


def invite(c, eid, receiver, payload=None, catalog="Sandbox"):
    return c.create_engagement_invitation(
        Catalog=catalog, ClientToken=token(), EngagementIdentifier=eid,
        Invitation={"Message": "Join us", "Receiver": {"Account": {"AwsAccountId": receiver}},
                    "Payload": payload or LEAD_INVITATION})


def shared_lead(server, a, b):
    """A creates a lead engagement and B joins it through a LeadInvitation: (eid, clients)."""
    ca, cb = server.client(account=a), server.client(account=b)
    eid = create(ca, [lead_context()], Title="Lead Co")["Id"]
    cb.accept_engagement_invitation(Catalog="Sandbox", Identifier=invite(ca, eid, b)["Id"])
    return eid, ca, cb


def convert(c, eid, context="1", **kw):
    return c.start_opportunity_from_engagement_task(Catalog="Sandbox", ClientToken=token(), Identifier=eid,
                                                    ContextIdentifier=context, **kw)


def modified_at(c, eid):
    return c.get_engagement(Catalog="Sandbox", Identifier=eid)["ModifiedAt"]


# ------------------------------------------------------------------------------ engagements

def test_create_and_get_an_engagement(server):
    a = account()
    c = server.client(account=a)
    made = create(c, [lead_context(), PROJECT_CONTEXT], Title="Lead Co", Description="A lead from an event")
    assert ENG.fullmatch(made["Id"])
    assert made["Arn"] == f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{made['Id']}"
    got = c.get_engagement(Catalog="Sandbox", Identifier=made["Arn"])
    assert got["Id"] == made["Id"] and got["Title"] == "Lead Co" and got["Description"] == "A lead from an event"
    assert got["CreatedBy"] == got["ModifiedBy"] == a and got["MemberCount"] == 1
    assert got["CreatedAt"] == got["ModifiedAt"] == made["ModifiedAt"]
    assert [(x["Id"], x["Type"]) for x in got["Contexts"]] == [("1", "Lead"), ("2", "CustomerProject")]
    assert got["Contexts"][0]["Payload"]["Lead"]["Customer"] == LEAD_CUSTOMER
    members = c.list_engagement_members(Catalog="Sandbox", Identifier=made["Id"])["EngagementMemberList"]
    assert members == [{"AccountId": a, "CompanyName": f"Partner {a}"}]
    created = events_for(server, a, "Engagement Created")
    assert [e["detail"]["engagement"]["engagementId"] for e in created] == [made["Id"]]
    assert created[0]["detail"]["engagement"]["ContextTypes"] == ["Lead", "CustomerProject"]
    assert created[0]["resources"] == [made["Arn"]]


def test_create_engagement_replays_its_client_token(server):
    c = server.client(account=account())
    t = token()
    first = c.create_engagement(Catalog="Sandbox", ClientToken=t, Title="Once")
    again = c.create_engagement(Catalog="Sandbox", ClientToken=t, Title="Once")
    assert again["Id"] == first["Id"]
    with pytest.raises(c.exceptions.ConflictException):
        c.create_engagement(Catalog="Sandbox", ClientToken=t, Title="Another")
    assert len(c.list_engagements(Catalog="Sandbox")["EngagementSummaryList"]) == 1


@pytest.mark.parametrize("contexts,field", [
    ([{"Type": "Lead", "Payload": {"CustomerProject": PROJECT_CONTEXT["Payload"]["CustomerProject"]}}],
     "Contexts[0].Payload"),
    ([lead_context(), {"Type": "Lead", "Payload": {}}], "Contexts[1].Payload"),
    ([{"Type": "CustomerProject", "Payload": dict(PROJECT_CONTEXT["Payload"], **lead_context()["Payload"])}],
     "Contexts[0].Payload"),
])
def test_a_context_must_hold_the_payload_its_type_names(server, contexts, field):
    c = server.client(account=account(), parameter_validation=False)
    with pytest.raises(c.exceptions.ValidationException) as e:
        create(c, contexts)
    assert e.value.response["ErrorList"][0]["FieldName"] == field
    assert c.list_engagements(Catalog="Sandbox")["EngagementSummaryList"] == []


def test_list_engagements_filters_and_sorts(server):
    a, b = account(), account()
    ca = server.client(account=a)
    import time
    lead = create(ca, [lead_context()], Title="lead")["Id"]
    time.sleep(0.002)   # creation times order the list; ties would fall back to the id
    project = create(ca, [PROJECT_CONTEXT], Title="project")["Id"]
    time.sleep(0.002)
    bare = create(ca, [], Title="bare")["Id"]
    time.sleep(0.002)
    # B's lead engagement with A as a member: created by B.
    theirs, _, _ = shared_lead(server, b, a)

    def ids(**kw):
        return [e["Id"] for e in ca.list_engagements(Catalog="Sandbox", **kw)["EngagementSummaryList"]]

    assert ids() == [theirs, bare, project, lead]  # newest first
    assert ids(Sort={"SortBy": "CreatedDate", "SortOrder": "ASCENDING"}) == [lead, project, bare, theirs]
    assert ids(CreatedBy=[b]) == [theirs]
    assert ids(ExcludeCreatedBy=[b]) == [bare, project, lead]
    assert ids(ContextTypes=["Lead"]) == [theirs, lead]
    assert ids(ExcludeContextTypes=["Lead"]) == [bare, project]
    arn = f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{project}"
    assert ids(EngagementIdentifier=[arn, lead]) == [project, lead]
    assert ids(EngagementIdentifier=["eng-00000000000000"]) == []
    summary = ca.list_engagements(Catalog="Sandbox", EngagementIdentifier=[theirs])["EngagementSummaryList"][0]
    assert summary["MemberCount"] == 2 and summary["ContextTypes"] == ["Lead"] and summary["CreatedBy"] == b
    # Pages of two, then the rest; a token of another query is refused.
    first = ca.list_engagements(Catalog="Sandbox", MaxResults=2)
    second = ca.list_engagements(Catalog="Sandbox", MaxResults=2, NextToken=first["NextToken"])
    assert [e["Id"] for e in first["EngagementSummaryList"] + second["EngagementSummaryList"]] == ids()
    assert "NextToken" not in second
    with pytest.raises(ca.exceptions.ValidationException):
        ca.list_engagements(Catalog="Sandbox", MaxResults=2, CreatedBy=[b], NextToken=first["NextToken"])
    # The other catalog holds none of them.
    assert ca.list_engagements(Catalog="AWS")["EngagementSummaryList"] == []


def test_members_and_resource_associations(server):
    a, b = account(), account()
    eid, ca, cb = shared_lead(server, a, b)
    pages = cb.list_engagement_members(Catalog="Sandbox", Identifier=eid, MaxResults=1)
    assert [m["AccountId"] for m in pages["EngagementMemberList"]] == [a]
    rest = cb.list_engagement_members(Catalog="Sandbox", Identifier=eid, MaxResults=1, NextToken=pages["NextToken"])
    assert [m["AccountId"] for m in rest["EngagementMemberList"]] == [b] and "NextToken" not in rest
    assert ca.list_engagement_resource_associations(Catalog="Sandbox")["EngagementResourceAssociationSummaries"] == []
    oid = convert(cb, eid)["OpportunityId"]
    want = [{"Catalog": "Sandbox", "EngagementId": eid, "ResourceType": "Opportunity", "ResourceId": oid,
             "CreatedBy": b}]
    # A member sees the associations of an engagement once it has a resource of its own there (the
    # model: "has at least one snapshot"): A, which converted nothing, sees none yet.
    assert ca.list_engagement_resource_associations(
        Catalog="Sandbox", EngagementIdentifier=eid)["EngagementResourceAssociationSummaries"] == []
    assert convert(ca, eid)["TaskStatus"] == "COMPLETE"   # A converts the lead too: its own resource
    oid_a = ca.list_opportunity_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"][0]["OpportunityId"]
    want = [want[0], dict(want[0], ResourceId=oid_a, CreatedBy=a)]
    for c in (ca, cb):
        assert c.list_engagement_resource_associations(
            Catalog="Sandbox")["EngagementResourceAssociationSummaries"] == want
        assert c.list_engagement_resource_associations(
            Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity", ResourceIdentifier=oid,
            CreatedBy=b)["EngagementResourceAssociationSummaries"] == want[:1]
        assert c.list_engagement_resource_associations(
            Catalog="Sandbox", CreatedBy=a)["EngagementResourceAssociationSummaries"] == want[1:]
    with pytest.raises(ca.exceptions.ResourceNotFoundException):
        ca.list_engagement_resource_associations(Catalog="Sandbox", EngagementIdentifier="eng-00000000000000")


def test_a_non_member_is_denied_the_same_way_by_every_engagement_operation(server):
    a, outsider = account(), account()
    ca, co = server.client(account=a), server.client(account=outsider)
    eid = create(ca, [lead_context()])["Id"]
    when = modified_at(ca, eid)
    calls = {
        "GetEngagement": lambda: co.get_engagement(Catalog="Sandbox", Identifier=eid),
        "ListEngagementMembers": lambda: co.list_engagement_members(Catalog="Sandbox", Identifier=eid),
        "ListEngagementResourceAssociations": lambda: co.list_engagement_resource_associations(
            Catalog="Sandbox", EngagementIdentifier=eid),
        "CreateEngagementContext": lambda: co.create_engagement_context(
            Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid, **PROJECT_CONTEXT),
        "UpdateEngagementContext": lambda: co.update_engagement_context(
            Catalog="Sandbox", EngagementIdentifier=eid, ContextIdentifier="1", EngagementLastModifiedAt=when,
            Type="Lead", Payload={"Lead": {"Customer": {"CompanyName": "Evil"}}}),
        "StartOpportunityFromEngagementTask": lambda: convert(co, eid),
        "CreateEngagementInvitation": lambda: invite(co, eid, account()),
    }
    for op, call in calls.items():
        with pytest.raises(co.exceptions.AccessDeniedException) as e:
            call()
        assert e.value.response["Error"]["Message"] == f"Account {outsider} is not a member of engagement {eid}.", op
        assert "Reason" not in e.value.response, op
    # An id that names nothing is not found; the engagement is unchanged.
    with pytest.raises(co.exceptions.ResourceNotFoundException):
        co.get_engagement(Catalog="Sandbox", Identifier="eng-00000000000000")
    assert modified_at(ca, eid) == when
    assert co.list_engagements(Catalog="Sandbox")["EngagementSummaryList"] == []
    assert co.list_opportunity_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"] == []


# ------------------------------------------------------------------------------ contexts

def test_contexts_count_up_and_stop_at_five(server):
    a = account()
    c = server.client(account=a)
    eid = create(c, [lead_context()])["Id"]
    before = modified_at(c, eid)
    added = c.create_engagement_context(Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid,
                                        **PROJECT_CONTEXT)
    assert added["ContextId"] == "2" and added["EngagementId"] == eid
    assert added["EngagementArn"].endswith(f"/engagement/{eid}")
    assert added["EngagementLastModifiedAt"] > before == c.get_engagement(
        Catalog="Sandbox", Identifier=eid)["CreatedAt"]
    for n in ("3", "4", "5"):
        assert c.create_engagement_context(Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid,
                                           **PROJECT_CONTEXT)["ContextId"] == n
    with pytest.raises(c.exceptions.ServiceQuotaExceededException):
        c.create_engagement_context(Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid,
                                    **PROJECT_CONTEXT)
    got = c.get_engagement(Catalog="Sandbox", Identifier=eid)
    assert [x["Id"] for x in got["Contexts"]] == ["1", "2", "3", "4", "5"]
    updated = events_for(server, a, "Engagement Updated")
    assert len(updated) == 4
    assert updated[-1]["detail"]["engagement"]["LastModifiedBy"] == a
    assert updated[-1]["detail"]["engagement"]["ContextTypes"] == ["Lead", "CustomerProject"]


def test_update_a_lead_context_with_the_concurrency_token(server):
    a, b = account(), account()
    eid, ca, cb = shared_lead(server, a, b)
    when = modified_at(cb, eid)
    customer = dict(LEAD_CUSTOMER, CompanyName="Lead Co Renamed")
    insights = {"LeadReadinessScore": "High", "ChannelRecommendation": {"RecommendedChannel": "Email"}}
    done = cb.update_engagement_context(
        Catalog="Sandbox", EngagementIdentifier=eid, ContextIdentifier="1", EngagementLastModifiedAt=when,
        Type="Lead", Payload={"Lead": {"QualificationStatus": "Qualified", "Customer": customer,
                                       "Interaction": interaction(2), "Insights": insights}})
    assert done["ContextId"] == "1" and done["EngagementLastModifiedAt"] > when
    lead = ca.get_engagement(Catalog="Sandbox", Identifier=eid)["Contexts"][0]["Payload"]["Lead"]
    assert lead["QualificationStatus"] == "Qualified" and lead["Customer"] == customer
    assert lead["Insights"] == insights
    assert [i["SourceId"] for i in lead["Interactions"]] == ["src-1", "src-2"]
    assert lead["Interactions"][1]["InteractionDate"] == done["EngagementLastModifiedAt"]
    got = ca.get_engagement(Catalog="Sandbox", Identifier=eid)
    assert got["ModifiedBy"] == b and got["ModifiedAt"] == done["EngagementLastModifiedAt"]
    # The old token is stale now: a conflict, and nothing changes.
    with pytest.raises(cb.exceptions.ConflictException) as e:
        cb.update_engagement_context(
            Catalog="Sandbox", EngagementIdentifier=eid, ContextIdentifier="1", EngagementLastModifiedAt=when,
            Type="Lead", Payload={"Lead": {"QualificationStatus": "Disqualified", "Customer": customer}})
    assert "stale" in e.value.response["Error"]["Message"]
    assert ca.get_engagement(Catalog="Sandbox", Identifier=eid)["Contexts"][0]["Payload"]["Lead"] == lead
    # Both members hear of the update.
    for acct in (a, b):
        assert eid in [ev["detail"]["engagement"]["engagementId"]
                       for ev in events_for(server, acct, "Engagement Updated")]


def test_a_lead_keeps_its_ten_newest_interactions(server):
    c = server.client(account=account())
    eid = create(c, [lead_context()])["Id"]
    for n in range(2, 13):
        c.update_engagement_context(
            Catalog="Sandbox", EngagementIdentifier=eid, ContextIdentifier="1",
            EngagementLastModifiedAt=modified_at(c, eid), Type="Lead",
            Payload={"Lead": {"Customer": LEAD_CUSTOMER, "Interaction": interaction(n)}})
    lead = c.get_engagement(Catalog="Sandbox", Identifier=eid)["Contexts"][0]["Payload"]["Lead"]
    assert [i["SourceId"] for i in lead["Interactions"]] == [f"src-{n}" for n in range(3, 13)]


@pytest.mark.parametrize("context_id,type_,payload,error,field", [
    ("1", "CustomerProject", PROJECT_CONTEXT["Payload"], "ValidationException", "Type"),
    ("1", "Lead", PROJECT_CONTEXT["Payload"], "ValidationException", "Payload"),
    ("2", "CustomerAccount", {"Lead": {"Customer": LEAD_CUSTOMER}}, "ValidationException", "Type"),
    ("9", "Lead", {"Lead": {"Customer": LEAD_CUSTOMER}}, "ResourceNotFoundException", None),
])
def test_context_updates_that_are_refused(server, context_id, type_, payload, error, field):
    c = server.client(account=account())
    eid = create(c, [lead_context(), {"Type": "CustomerAccount", "Payload": {"CustomerAccount": {
        "AccountIdentifier": "cust-acc-abcdefghij123"}}}])["Id"]
    before = c.get_engagement(Catalog="Sandbox", Identifier=eid)
    with pytest.raises(c.exceptions.ClientError) as e:
        c.update_engagement_context(Catalog="Sandbox", EngagementIdentifier=eid, ContextIdentifier=context_id,
                                    EngagementLastModifiedAt=before["ModifiedAt"], Type=type_, Payload=payload)
    assert e.value.response["Error"]["Code"] == error
    if field:
        assert e.value.response["ErrorList"][0]["FieldName"] == field
        assert e.value.response["Reason"] == "REQUEST_VALIDATION_FAILED"
    after = c.get_engagement(Catalog="Sandbox", Identifier=eid)
    assert after["Contexts"] == before["Contexts"] and after["ModifiedAt"] == before["ModifiedAt"]


# ------------------------------------------------------------------------------ sequence 4: a lead

def test_a_lead_travels_from_invitation_to_a_submitted_opportunity(server):
    a, b = account(), account()
    eid, ca, cb = shared_lead(server, a, b)
    got = cb.get_engagement(Catalog="Sandbox", Identifier=eid)
    assert got["MemberCount"] == 2 and got["Contexts"][0]["Type"] == "Lead"
    cb.update_engagement_context(Catalog="Sandbox", EngagementIdentifier=eid, ContextIdentifier="1",
                                 EngagementLastModifiedAt=got["ModifiedAt"], Type="Lead",
                                 Payload={"Lead": {"QualificationStatus": "Qualified", "Customer": LEAD_CUSTOMER}})
    task = convert(cb, eid, Tags=[{"Key": "source", "Value": "crm"}])
    assert TASK.fullmatch(task["TaskId"]) and task["TaskStatus"] == "COMPLETE"
    assert task["TaskArn"].endswith(f"/opportunity-from-engagement-task/{task['TaskId']}")
    assert task["EngagementId"] == eid and task["ContextId"] == "2"
    assert re.fullmatch(r"job-[0-9a-z]{13}", task["ResourceSnapshotJobId"])
    opp = cb.get_opportunity(Catalog="Sandbox", Identifier=task["OpportunityId"])
    assert opp["Project"]["Title"] == "Converted from Lead"
    assert opp["Project"]["CustomerBusinessProblem"] == PROBLEM
    assert opp["LifeCycle"]["ReviewStatus"] == "Pending Submission" and opp["LifeCycle"]["Stage"] == "Prospect"
    created = datetime.date.fromisoformat(opp["CreatedDate"].date().isoformat())
    assert opp["LifeCycle"]["TargetCloseDate"] == (created + datetime.timedelta(days=90)).isoformat()
    assert opp["Customer"]["Account"] == {"CompanyName": "Lead Co", "Industry": "Software and Internet",
                                          "WebsiteUrl": "https://lead.example.com",
                                          "Address": {"CountryCode": "US"}}
    assert opp["OpportunityType"] == "Net New Business" and opp["Marketing"]["Source"] == "None"
    engagement = cb.get_engagement(Catalog="Sandbox", Identifier=eid)
    project = engagement["Contexts"][1]
    assert project["Id"] == "2" and project["Type"] == "CustomerProject"
    assert project["Payload"]["CustomerProject"]["Project"]["Title"] == "Converted from Lead"
    listed = cb.list_opportunity_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"]
    assert [t["TaskId"] for t in listed] == [task["TaskId"]]
    for filt in ({"EngagementIdentifier": [eid]}, {"ContextIdentifier": ["2"]}, {"TaskStatus": ["COMPLETE"]},
                 {"OpportunityIdentifier": [task["OpportunityId"]]}, {"TaskIdentifier": [task["TaskArn"]]}):
        assert [t["TaskId"] for t in cb.list_opportunity_from_engagement_tasks(
            Catalog="Sandbox", **filt)["TaskSummaries"]] == [task["TaskId"]], filt
    assert cb.list_opportunity_from_engagement_tasks(Catalog="Sandbox", TaskStatus=["FAILED"])["TaskSummaries"] == []
    # Converting again fails as a task, and changes nothing.
    again = convert(cb, eid)
    assert again["TaskStatus"] == "FAILED" and again["ReasonCode"] == "EngagementConflict"
    assert len(cb.get_engagement(Catalog="Sandbox", Identifier=eid)["Contexts"]) == 2
    # B completes the opportunity and submits it: the same engagement, now with AWS invited.
    body = dict(opportunity_input(), Catalog="Sandbox", Identifier=opp["Id"],
                LastModifiedDate=opp["LastModifiedDate"])
    cb.update_opportunity(**body)
    cb.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opp["Id"], RelatedEntityType="Solutions",
                             RelatedEntityIdentifier="S-1234567")
    submitted = cb.start_engagement_from_opportunity_task(
        Catalog="Sandbox", ClientToken=token(), Identifier=opp["Id"],
        AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})
    assert submitted["TaskStatus"] == "COMPLETE", submitted
    assert submitted["EngagementId"] == eid
    sent = cb.list_engagement_invitations(Catalog="Sandbox", ParticipantType="SENDER")
    assert [i["EngagementId"] for i in sent["EngagementInvitationSummaries"]] == [eid]
    assert cb.get_opportunity(Catalog="Sandbox", Identifier=opp["Id"])["LifeCycle"]["ReviewStatus"] == "Submitted"
    # No new engagement was created, so no Engagement Created event for it.
    assert [e["detail"]["engagement"]["engagementId"]
            for e in events_for(server, b, "Engagement Created")] == []
    approve(cb, opp["Id"])
    assert "aws" in [m["AccountId"] for m in cb.list_engagement_members(
        Catalog="Sandbox", Identifier=eid, MaxResults=10)["EngagementMemberList"]]


def test_an_aws_lead_from_the_control_plane_converts(server):
    b = account()
    sent = send(server, b, {"LeadInvitation": LEAD_INVITATION["LeadInvitation"], "LeadContact": CONTACT})
    cb = server.client(account=b)
    cb.accept_engagement_invitation(Catalog="Sandbox", Identifier=sent["InvitationId"])
    eid = sent["EngagementId"]
    got = cb.get_engagement(Catalog="Sandbox", Identifier=eid)
    assert got["CreatedBy"] == "aws" and got["MemberCount"] == 2
    lead = got["Contexts"][0]["Payload"]["Lead"]
    assert lead["Interactions"][0]["Contact"]["Email"] == CONTACT["Email"]
    # As captured: the invitation's flat CountryCode is the lead's Address.CountryCode, and an
    # interaction sent without a date is dated when it arrived.
    assert lead["Customer"]["Address"] == {"CountryCode": "US"} and "CountryCode" not in lead["Customer"]
    assert lead["Interactions"][0]["InteractionDate"] == got["CreatedAt"]
    task = convert(cb, eid)
    assert task["TaskStatus"] == "COMPLETE" and task["ContextId"] == "2"
    assert [e["Id"] for e in cb.list_engagements(Catalog="Sandbox", CreatedBy=["aws"])[
        "EngagementSummaryList"]] == [eid]
    # Submitting in an engagement AWS is already in invites nobody (captured: no
    # EngagementInvitationId); AWS's approval still approves it.
    oid = task["OpportunityId"]
    opp = cb.get_opportunity(Catalog="Sandbox", Identifier=oid)
    cb.update_opportunity(**dict(opportunity_input(), Catalog="Sandbox", Identifier=oid,
                                 LastModifiedDate=opp["LastModifiedDate"]))
    cb.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                             RelatedEntityIdentifier="S-1234567")
    submitted = cb.start_engagement_from_opportunity_task(
        Catalog="Sandbox", ClientToken=token(), Identifier=oid, AwsSubmission={"InvolvementType": "Co-Sell"})
    assert submitted["TaskStatus"] == "COMPLETE" and submitted["EngagementId"] == eid
    assert "EngagementInvitationId" not in submitted
    assert cb.list_engagement_invitations(Catalog="Sandbox", ParticipantType="SENDER")[
        "EngagementInvitationSummaries"] == []
    approve(cb, oid)
    assert cb.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)[
        "RelatedOpportunityId"] == oid
    kinds = [e["detail-type"] for e in events_for(server, b) if e["detail-type"].startswith("Engagement Invitation")]
    assert kinds == ["Engagement Invitation Created", "Engagement Invitation Accepted"]  # the lead's only


@pytest.mark.parametrize("contexts,context_id,reason", [
    ([PROJECT_CONTEXT], "1", "CustomerProjectContextNotPermitted"),
    ([lead_context()], "7", "ContextNotFound"),
    ([lead_context(QualificationStatus="disqualified")], "1", "DisqualifiedLeadNotPermitted"),
    ([{"Type": "ProspectingResult", "Payload": {"ProspectingResult": {"Aws": {"TaskName": "x"}}}}], "1",
     "EngagementValidationFailed"),
])
def test_conversions_that_fail_as_tasks(server, contexts, context_id, reason):
    c = server.client(account=account())
    eid = create(c, contexts)["Id"]
    before = c.get_engagement(Catalog="Sandbox", Identifier=eid)
    task = convert(c, eid, context=context_id)
    assert task["TaskStatus"] == "FAILED" and task["ReasonCode"] == reason and task["Message"]
    assert "OpportunityId" not in task
    after = c.get_engagement(Catalog="Sandbox", Identifier=eid)
    assert (after["Contexts"], after["ModifiedAt"]) == (before["Contexts"], before["ModifiedAt"])
    assert c.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
    assert [t["ReasonCode"] for t in c.list_opportunity_from_engagement_tasks(
        Catalog="Sandbox", TaskStatus=["FAILED"])["TaskSummaries"]] == [reason]


# ------------------------------------------------------------------------------ sequence 3: multi-partner

def test_a_partner_invited_to_a_submitted_opportunity_follows_its_review(server):
    a, b = account(), account()
    ca, cb = server.client(account=a), server.client(account=b)
    oid = ca.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    ca.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                             RelatedEntityIdentifier="S-1234567")
    eid = ca.start_engagement_from_opportunity_task(
        Catalog="Sandbox", ClientToken=token(), Identifier=oid,
        AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})["EngagementId"]
    payload = {"OpportunityInvitation": {
        "Customer": {"CompanyName": "Acme Corp", "CountryCode": "US", "Industry": "Software and Internet",
                     "WebsiteUrl": "https://acme.example.com"},
        "Project": {"Title": "Data platform migration", "BusinessProblem": PROBLEM,
                    "TargetCompletionDate": "2027-06-30", "ExpectedCustomerSpend": []},
        "ReceiverResponsibilities": ["Co-Sell Facilitator"]}}
    iid = invite(ca, eid, b, payload)["Id"]
    task = cb.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", ClientToken=token(), Identifier=iid)
    assert task["TaskStatus"] == "COMPLETE"
    theirs = task["OpportunityId"]
    assert cb.get_opportunity(Catalog="Sandbox", Identifier=theirs)["LifeCycle"]["ReviewStatus"] == "Submitted"
    with pytest.raises(cb.exceptions.ResourceNotFoundException):
        cb.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=theirs)
    approve(ca, oid)
    mine = cb.get_opportunity(Catalog="Sandbox", Identifier=theirs)
    assert mine["LifeCycle"]["ReviewStatus"] == "Approved"
    assert cb.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=theirs)[
        "RelatedOpportunityId"] == theirs
    assert theirs in [e["detail"]["opportunity"]["identifier"] for e in events_for(server, b, "Opportunity Updated")]
    for c in (ca, cb):
        members = c.list_engagement_members(Catalog="Sandbox", Identifier=eid, MaxResults=10)["EngagementMemberList"]
        assert [m["AccountId"] for m in members] == [a, b, "aws"]  # in the order they joined
        assocs = c.list_engagement_resource_associations(Catalog="Sandbox", EngagementIdentifier=eid)[
            "EngagementResourceAssociationSummaries"]
        assert {(x["CreatedBy"], x["ResourceId"]) for x in assocs} == {(a, oid), (b, theirs)}
    # A third partner invited after the approval starts Approved at once.
    c3 = account()
    iid3 = invite(ca, eid, c3, payload)["Id"]
    t3 = server.client(account=c3).start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", ClientToken=token(), Identifier=iid3)
    assert server.client(account=c3).get_opportunity(
        Catalog="Sandbox", Identifier=t3["OpportunityId"])["LifeCycle"]["ReviewStatus"] == "Approved"


def test_the_partner_cap_of_an_engagement(server):
    a = account()
    ca = server.client(account=a)
    eid = create(ca, [lead_context()])["Id"]
    for _ in range(9):
        invite(ca, eid, account())
    with pytest.raises(ca.exceptions.ServiceQuotaExceededException):
        invite(ca, eid, account())


# ------------------------------------------------------------------------------ groups

def test_engagement_groups_come_from_the_control_plane(server):
    a = account()
    c = server.client(account=a)
    assert c.list_engagement_groups(Catalog="AWS")["EngagementGroupSummaries"] == []
    lead = create(c, [lead_context()], catalog="AWS", Title="lead")["Id"]
    create(c, [PROJECT_CONTEXT], catalog="AWS", Title="project")
    body = {"Groups": [
        {"Id": "eng-grp-leads000000000", "Name": "Leads", "Description": "Every lead", "ReadinessLevel": "SalesReady",
         "Filter": {"EqualsTo": {"Key": "ContextType", "Value": {"StringValue": "Lead"}}}},
        {"Name": "Everything", "ReadinessLevel": "LowPotential"}]}
    status, _, stored = admin(server, "PUT", "/catalogs/AWS/engagement-groups", body)
    assert status == 200, stored
    assert re.fullmatch(r"eng-grp-[0-9a-z]{14}", stored["Groups"][1]["Id"])
    groups = c.list_engagement_groups(Catalog="AWS")["EngagementGroupSummaries"]
    assert [(g["Name"], g["Count"]) for g in groups] == [("Leads", 1), ("Everything", 2)]
    assert groups[0]["Arn"].endswith("/engagement-group/eng-grp-leads000000000") and groups[0]["Catalog"] == "AWS"
    assert [g["Name"] for g in c.list_engagement_groups(
        Catalog="AWS", Sort={"SortBy": "Count", "SortOrder": "DESCENDING"})["EngagementGroupSummaries"]] == [
        "Everything", "Leads"]
    assert [g["Name"] for g in c.list_engagement_groups(
        Catalog="AWS", ReadinessLevel="SalesReady")["EngagementGroupSummaries"]] == ["Leads"]
    assert [g["Name"] for g in c.list_engagement_groups(
        Catalog="AWS", EngagementGroupIdentifiers=["eng-grp-leads000000000", "eng-grp-unknown0000000"])[
        "EngagementGroupSummaries"]] == ["Leads"]
    found = c.search_engagements(Catalog="AWS", GroupId="eng-grp-leads000000000")["EngagementSearchSummaries"]
    assert [e["Id"] for e in found] == [lead]
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.search_engagements(Catalog="AWS", GroupId="eng-grp-nothere0000000")
    assert e.value.response["ErrorList"][0]["FieldName"] == "GroupId"
    # Another account counts only its own engagements; another catalog has no groups.
    assert [g["Count"] for g in server.client(account=account()).list_engagement_groups(
        Catalog="AWS")["EngagementGroupSummaries"]] == [0, 0]
    assert c.list_engagement_groups(Catalog="Sandbox")["EngagementGroupSummaries"] == []
    # Bad groups change nothing.
    for bad in ({"Groups": [{"Name": "x", "ReadinessLevel": "Hot"}]}, {"Groups": [{"Description": "no name"}]},
                {"Groups": [{"Name": "x", "Filter": {"EqualsTo": {"Key": "Nope", "Value": {"StringValue": "x"}}}}]},
                {"Groups": [{"Name": "x", "Colour": "red"}]}, {"Nope": []}):
        status, _, answer = admin(server, "PUT", "/catalogs/AWS/engagement-groups", bad)
        assert status == 400 and answer["error"], bad
    assert len(admin(server, "GET", "/catalogs/AWS/engagement-groups")[2]["Groups"]) == 2
    assert admin(server, "DELETE", "/catalogs/AWS/engagement-groups")[0] == 200
    assert c.list_engagement_groups(Catalog="AWS")["EngagementGroupSummaries"] == []


# ------------------------------------------------------------------------------ prospecting

def test_prospecting_enriches_the_leads_of_the_callers_engagements(server):
    a, outsider = account(), account()
    c = server.client(account=a)
    lead = create(c, [lead_context()])["Id"]
    project = create(c, [PROJECT_CONTEXT])["Id"]
    foreign = create(server.client(account=outsider), [lead_context()])["Id"]
    started = c.start_prospecting_from_engagement_task(
        Catalog="Sandbox", ClientToken=token(), TaskName="enrich",
        Identifiers=[lead, project, foreign, "eng-00000000000000"])
    assert PROSPECTING_TASK.fullmatch(started["TaskId"]) and started["TaskStatus"] == "COMPLETED"
    assert started["Identifiers"] == [lead, project, foreign, "eng-00000000000000"]
    assert started["TaskArn"].endswith(f"/prospecting-from-engagement-task/{started['TaskId']}")
    got = c.get_prospecting_from_engagement_task(Catalog="Sandbox", TaskIdentifier=started["TaskId"])
    assert got["TaskName"] == "enrich" and got["EndTime"] >= got["StartTime"]
    results = {r["EngagementIdentifier"]: r for r in got["Engagements"]}
    assert results[lead]["Status"] == "COMPLETED" and results[lead]["EngagementContextId"] == "ctx-00000000000002"
    assert "ReasonCode" not in results[lead]
    assert {k: (r["Status"], r.get("ReasonCode")) for k, r in results.items() if k != lead} == {
        project: ("FAILED", "NoLeadContext"), foreign: ("FAILED", "NotAMember"),
        "eng-00000000000000": ("FAILED", "EngagementNotFound")}
    assert all(r["Message"] for k, r in results.items() if k != lead)
    context = c.get_engagement(Catalog="Sandbox", Identifier=lead)["Contexts"][1]
    assert context["Id"] == "2" and context["Type"] == "ProspectingResult"
    aws = context["Payload"]["ProspectingResult"]["Aws"]
    assert aws["Customer"]["AccountName"] == "Lead Co" and aws["TaskId"] == started["TaskId"]
    assert aws["Insights"]["MarketplaceEngagementScore"] in ("Low", "Medium", "High")
    # The same lead scores the same each time; a second run replaces the result.
    again = c.start_prospecting_from_engagement_task(Catalog="Sandbox", ClientToken=token(), TaskName="again",
                                                     Identifiers=[lead])
    contexts = c.get_engagement(Catalog="Sandbox", Identifier=lead)["Contexts"]
    assert [x["Type"] for x in contexts] == ["Lead", "ProspectingResult"]
    assert contexts[1]["Payload"]["ProspectingResult"]["Aws"]["Insights"] == aws["Insights"]
    listed = c.list_prospecting_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"]
    assert [(t["TaskName"], t["TotalEngagementCount"], t["CompletedEngagementCount"],
             t["FailedEngagementCount"]) for t in listed] == [("again", 1, 1, 0), ("enrich", 4, 1, 3)]
    by_failures = c.list_prospecting_from_engagement_tasks(
        Catalog="Sandbox", Sort={"SortBy": "FailedEngagementCount", "SortOrder": "DESCENDING"})["TaskSummaries"]
    assert [t["TaskName"] for t in by_failures] == ["enrich", "again"]
    assert [t["TaskName"] for t in c.list_prospecting_from_engagement_tasks(
        Catalog="Sandbox", TaskName=["again"])["TaskSummaries"]] == ["again"]
    assert [t["TaskId"] for t in c.list_prospecting_from_engagement_tasks(
        Catalog="Sandbox", TaskIdentifier=[again["TaskId"]])["TaskSummaries"]] == [again["TaskId"]]
    assert c.list_prospecting_from_engagement_tasks(
        Catalog="Sandbox", StartAfter=datetime.datetime(2100, 1, 1))["TaskSummaries"] == []
    # The same client token answers the same task.
    t = token()
    first = c.start_prospecting_from_engagement_task(Catalog="Sandbox", ClientToken=t, TaskName="x",
                                                     Identifiers=[lead])
    assert c.start_prospecting_from_engagement_task(Catalog="Sandbox", ClientToken=t, TaskName="x",
                                                    Identifiers=[lead])["TaskId"] == first["TaskId"]
    with pytest.raises(c.exceptions.ValidationException):
        c.start_prospecting_from_engagement_task(Catalog="Sandbox", ClientToken=token(), TaskName="x",
                                                 Identifiers=[])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_prospecting_from_engagement_task(Catalog="Sandbox", TaskIdentifier="task-00000000000000")


def test_prospecting_results_the_control_plane_sets(server):
    c = server.client(account=account())
    lead = create(c, [lead_context()], catalog="AWS")["Id"]
    failing = create(c, [lead_context()], catalog="AWS")["Id"]
    fixtures = {"Customer": {"AccountName": "Lead Co Inc", "Geo": "AMER", "Country": "US", "Segment": "Enterprise"},
                "Insights": {"MarketplaceEngagementScore": "High", "SolutionCategory": "Security"},
                "Engagements": {failing: {"ReasonCode": "InsufficientData", "Message": "Nothing known."}}}
    status, _, answer = admin(server, "PUT", "/catalogs/AWS/prospecting", fixtures)
    assert status == 200, answer
    task = c.start_prospecting_from_engagement_task(Catalog="AWS", ClientToken=token(), TaskName="p",
                                                    Identifiers=[lead, failing])
    got = c.get_prospecting_from_engagement_task(Catalog="AWS", TaskIdentifier=task["TaskId"])
    assert [(r["Status"], r.get("ReasonCode")) for r in got["Engagements"]] == [
        ("COMPLETED", None), ("FAILED", "InsufficientData")]
    aws = c.get_engagement(Catalog="AWS", Identifier=lead)["Contexts"][1]["Payload"]["ProspectingResult"]["Aws"]
    assert aws["Customer"] == fixtures["Customer"] and aws["Insights"] == fixtures["Insights"]
    for bad in ({"Insights": {"MarketplaceEngagementScore": 5}}, {"Colour": "red"},
                {"Engagements": {"eng-x": {"Customer": {"AccountName": 1}}}}, {"Engagements": []}):
        assert admin(server, "PUT", "/catalogs/AWS/prospecting", bad)[0] == 400, bad
    assert admin(server, "GET", "/catalogs/AWS/prospecting")[2] == fixtures
    assert admin(server, "DELETE", "/catalogs/AWS/prospecting")[0] == 200
    assert admin(server, "GET", "/catalogs/AWS/prospecting")[2] == {}


# ------------------------------------------------------------------------------ delay, state, restart

def test_delayed_tasks_complete_later():
    s = Server("--in-memory", "--task-delay-ms", "300").start()
    try:
        c = s.client(account=account())
        eid = create(c, [lead_context()])["Id"]
        task = convert(c, eid)
        assert task["TaskStatus"] == "IN_PROGRESS" and "OpportunityId" not in task
        p = c.start_prospecting_from_engagement_task(Catalog="Sandbox", ClientToken=token(), TaskName="p",
                                                     Identifiers=[eid])
        assert p["TaskStatus"] == "IN_PROGRESS"
        assert "EndTime" not in c.get_prospecting_from_engagement_task(Catalog="Sandbox", TaskIdentifier=p["TaskId"])
        import time
        time.sleep(1.5)
        [done] = c.list_opportunity_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"]
        assert done["TaskStatus"] == "COMPLETE" and done["OpportunityId"]
        got = c.get_prospecting_from_engagement_task(Catalog="Sandbox", TaskIdentifier=p["TaskId"])
        assert got["EndTime"] and got["Engagements"][0]["Status"] == "COMPLETED"
    finally:
        s.stop()


def test_engagements_survive_export_import_reset_and_restart(tmp_path):
    s = Server("--data-dir", str(tmp_path)).start()
    a, b = account(), account()
    try:
        eid, ca, cb = shared_lead(s, a, b)
        convert(cb, eid)
        cb.start_prospecting_from_engagement_task(Catalog="Sandbox", ClientToken=token(), TaskName="p",
                                                  Identifiers=[eid])
        before = cb.get_engagement(Catalog="Sandbox", Identifier=eid)
        tasks = cb.list_opportunity_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"]
        prospecting = cb.list_prospecting_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"]
        status, _, state = admin(s, "GET", "/state")
        assert status == 200
    finally:
        s.stop()
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        cb = s.client(account=b)
        after = cb.get_engagement(Catalog="Sandbox", Identifier=eid)
        after.pop("ResponseMetadata")
        before.pop("ResponseMetadata", None)
        assert after == before
        assert cb.list_opportunity_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"] == tasks
        assert cb.list_prospecting_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"] == prospecting
        # B leaves with a reset of its account: A still sees the engagement, without B.
        assert admin(s, "POST", "/reset", {"accountId": b})[0] == 200
        with pytest.raises(cb.exceptions.AccessDeniedException):
            cb.get_engagement(Catalog="Sandbox", Identifier=eid)
        assert cb.list_engagements(Catalog="Sandbox")["EngagementSummaryList"] == []
        assert s.client(account=a).get_engagement(Catalog="Sandbox", Identifier=eid)["MemberCount"] == 1
        # The export loads back whole: B is a member again, its tasks are back.
        status, _, answer = admin(s, "PUT", "/state", state)
        assert status == 200, answer
        assert cb.list_engagements(Catalog="Sandbox")["EngagementSummaryList"][0]["Id"] == eid
        assert cb.list_prospecting_from_engagement_tasks(Catalog="Sandbox")["TaskSummaries"] == prospecting
    finally:
        s.stop()


def test_acknowledged_engagement_writes_survive_sigkill(tmp_path):
    """Writers create engagements and add contexts while the process is killed with SIGKILL; after a
    restart every acknowledged engagement and context is there, and no context id repeats."""
    import signal
    import threading
    import time
    a = account()
    acked = {}     # engagement id -> context ids acknowledged
    lock = threading.Lock()
    for round_ in range(3):
        s = Server("--data-dir", str(tmp_path)).start()
        c = s.client(account=a, check_shapes=False, connect_timeout=1, read_timeout=3)
        for eid, ctx_ids in acked.items():
            got = c.get_engagement(Catalog="Sandbox", Identifier=eid)
            have = [x["Id"] for x in got["Contexts"]]
            assert set(ctx_ids) <= set(have) and len(have) == len(set(have)), (eid, ctx_ids, have)
        stop = threading.Event()

        def write():
            w = s.client(account=a, check_shapes=False, connect_timeout=1, read_timeout=3)
            while not stop.is_set():
                try:
                    eid = create(w, [lead_context()])["Id"]
                    with lock:
                        acked[eid] = ["1"]
                    cid = w.create_engagement_context(Catalog="Sandbox", ClientToken=token(),
                                                      EngagementIdentifier=eid, **PROJECT_CONTEXT)["ContextId"]
                    with lock:
                        acked[eid].append(cid)
                except Exception:
                    return

        threads = [threading.Thread(target=write) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.3 + 0.2 * round_)
        s.stop(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert len(acked) > 10
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        pages = s.client(account=a).get_paginator("list_engagements").paginate(Catalog="Sandbox")
        listed = {e["Id"] for page in pages for e in page["EngagementSummaryList"]}
        assert set(acked) <= listed
    finally:
        s.stop()
