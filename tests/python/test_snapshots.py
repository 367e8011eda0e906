"""Resource snapshots, snapshot jobs, selling-system settings and tags (issue 13), through boto3
against the real binary: research §4, §7, §8 (sequence 5) and §9."""
import re
import uuid

import pytest

from conftest import Server, approve, opportunity_input, update_input
from test_control_plane import admin
from test_engagements import LEAD_INVITATION, PROJECT_CONTEXT, create, invite, lead_context, token
from test_invitations import account, events_for

SUMMARY = "OpportunitySummaryView"
AWS_VIEW = "AwsOpportunitySummaryFullView"


def opp_arn(acct, oid, catalog="Sandbox"):
    return f"arn:aws:partnercentral:us-east-1:{acct}:catalog/{catalog}/opportunity/{oid}"


def new_opportunity(c, catalog="Sandbox", **kw):
    oid = c.create_opportunity(Catalog=catalog, **opportunity_input(), **kw)["Id"]
    c.associate_opportunity(Catalog=catalog, OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                            RelatedEntityIdentifier="S-1234567")
    return oid


def update(c, oid, change):
    """UpdateOpportunity with the opportunity as it is, changed by `change`."""
    body = update_input(c.get_opportunity(Catalog="Sandbox", Identifier=oid))
    change(body)
    return c.update_opportunity(**body)


def revisions(c, eid, oid, template=SUMMARY):
    """Every revision of the view, all pages (a page holds 100)."""
    pages = c.get_paginator("list_resource_snapshots").paginate(
        Catalog="Sandbox", EngagementIdentifier=eid, ResourceIdentifier=oid,
        ResourceSnapshotTemplateIdentifier=template)
    return [s["Revision"] for page in pages for s in page["ResourceSnapshotSummaries"]]


def snapshot_job(c, eid, oid, **kw):
    return c.create_resource_snapshot_job(
        Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid, ResourceType="Opportunity",
        ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=SUMMARY, **kw)


# ------------------------------------------------------------------------------ sequence 5

def test_a_snapshot_job_revises_only_on_real_changes(server):
    a = account()
    c = server.client(account=a)
    before = c.get_selling_system_settings(Catalog="Sandbox")
    before.pop("ResponseMetadata")
    assert before == {"Catalog": "Sandbox"}
    put = c.put_selling_system_settings(Catalog="Sandbox", ResourceSnapshotJobRoleIdentifier="SnapshotRole")
    assert put["ResourceSnapshotJobRoleArn"] == f"arn:aws:iam::{a}:role/SnapshotRole"
    assert c.get_selling_system_settings(Catalog="Sandbox")["ResourceSnapshotJobRoleArn"] == put[
        "ResourceSnapshotJobRoleArn"]
    assert "ResourceSnapshotJobRoleArn" not in c.get_selling_system_settings(Catalog="AWS")
    oid = new_opportunity(c)
    eid = create(c, [PROJECT_CONTEXT])["Id"]
    job = snapshot_job(c, eid, oid, Tags=[{"Key": "sync", "Value": "crm"}])
    assert re.fullmatch(r"job-[0-9a-z]{13}", job["Id"])
    assert job["Arn"] == f"arn:aws:partnercentral:us-east-1:{a}:catalog/Sandbox/resource-snapshot-job/{job['Id']}"
    assert c.list_tags_for_resource(ResourceArn=job["Arn"])["Tags"] == [{"Key": "sync", "Value": "crm"}]
    got = c.get_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    assert got["Status"] == "Stopped" and got["EngagementId"] == eid and got["ResourceId"] == oid
    assert got["ResourceArn"] == opp_arn(a, oid) and got["ResourceSnapshotTemplateName"] == SUMMARY
    assert "LastSuccessfulExecutionDate" not in got
    with pytest.raises(c.exceptions.ConflictException):
        snapshot_job(c, eid, oid)
    assert revisions(c, eid, oid) == []
    c.start_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    c.start_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])  # a no-op
    assert revisions(c, eid, oid) == [1]
    running = c.get_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    assert running["Status"] == "Running" and running["LastSuccessfulExecutionDate"]
    # The first snapshot associated the opportunity with the engagement.
    assert [(x["ResourceId"], x["CreatedBy"]) for x in c.list_engagement_resource_associations(
        Catalog="Sandbox", EngagementIdentifier=eid)["EngagementResourceAssociationSummaries"]] == [(oid, a)]
    # A field of the view changes: a revision. The title is not in the view: none.
    update(c, oid, lambda b: b["LifeCycle"].update(NextSteps="Send the proposal"))
    assert revisions(c, eid, oid) == [1, 2]
    latest = c.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                     ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=SUMMARY)
    assert latest["Revision"] == 2
    assert latest["Payload"]["OpportunitySummary"]["Lifecycle"]["NextSteps"] == "Send the proposal"
    assert "Title" not in latest["Payload"]["OpportunitySummary"].get("Project", {})
    update(c, oid, lambda b: b["Project"].update(Title="A new title"))
    update(c, oid, lambda b: b["LifeCycle"].update(NextSteps="Send the proposal"))
    assert revisions(c, eid, oid) == [1, 2]
    first = c.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                    ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=SUMMARY, Revision=1)
    assert first["Payload"]["OpportunitySummary"]["Lifecycle"]["NextSteps"] == "Schedule a discovery call"
    assert first["Arn"].endswith(f"/engagement/{eid}/resource/Opportunity/{oid}/template/{SUMMARY}/snapshot/1")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=SUMMARY, Revision=3)
    # Deleting a running job is a conflict; stopped, it takes no revisions and can go.
    with pytest.raises(c.exceptions.ConflictException):
        c.delete_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    c.stop_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    update(c, oid, lambda b: b["LifeCycle"].update(NextSteps="Negotiate"))
    assert revisions(c, eid, oid) == [1, 2]
    listed = c.list_resource_snapshot_jobs(Catalog="Sandbox", EngagementIdentifier=eid)[
        "ResourceSnapshotJobSummaries"]
    assert listed == [{"Id": job["Id"], "Arn": job["Arn"], "EngagementId": eid, "Status": "Stopped"}]
    assert c.list_resource_snapshot_jobs(Catalog="Sandbox", Status="Running",
                                         EngagementIdentifier=eid)["ResourceSnapshotJobSummaries"] == []
    c.delete_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.list_tags_for_resource(ResourceArn=job["Arn"])
    # Snapshots stay readable after their job is gone.
    assert revisions(c, eid, oid) == [1, 2]


def test_explicit_snapshots_always_revise_and_templates_are_checked(server):
    a = account()
    c = server.client(account=a, parameter_validation=False)
    oid = new_opportunity(c)
    eid = create(c, [PROJECT_CONTEXT])["Id"]

    def snap(template=SUMMARY, **kw):
        return c.create_resource_snapshot(Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid,
                                          ResourceType="Opportunity", ResourceIdentifier=oid,
                                          ResourceSnapshotTemplateIdentifier=template, **kw)

    assert [snap()["Revision"] for _ in range(3)] == [1, 2, 3]
    t = token()
    once = c.create_resource_snapshot(Catalog="Sandbox", ClientToken=t, EngagementIdentifier=eid,
                                      ResourceType="Opportunity", ResourceIdentifier=oid,
                                      ResourceSnapshotTemplateIdentifier=SUMMARY)
    again = c.create_resource_snapshot(Catalog="Sandbox", ClientToken=t, EngagementIdentifier=eid,
                                       ResourceType="Opportunity", ResourceIdentifier=oid,
                                       ResourceSnapshotTemplateIdentifier=SUMMARY)
    assert once["Revision"] == again["Revision"] == 4
    for template in ("Nope", AWS_VIEW):
        with pytest.raises(c.exceptions.ValidationException) as e:
            snap(template)
        assert e.value.response["ErrorList"][0]["FieldName"] == "ResourceSnapshotTemplateIdentifier"
        with pytest.raises(c.exceptions.ValidationException):
            snapshot_job(c, eid, oid) if template == "x" else c.create_resource_snapshot_job(
                Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid, ResourceType="Opportunity",
                ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=template)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.create_resource_snapshot(Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid,
                                   ResourceType="Opportunity", ResourceIdentifier="O9999999",
                                   ResourceSnapshotTemplateIdentifier=SUMMARY)
    assert revisions(c, eid, oid) == [1, 2, 3, 4]
    # The early captures' template name is still accepted and keeps its own revisions.
    assert snap("Opportunity")["Revision"] == 1
    events = [e for e in events_for(server, a, "Engagement Resource Snapshot Created")
              if e["detail"]["resourceSnapshot"]["engagementId"] == eid]
    assert [e["detail"]["resourceSnapshot"]["arn"].rsplit("/", 3)[1::2] for e in events] == [
        [SUMMARY, "1"], [SUMMARY, "2"], [SUMMARY, "3"], [SUMMARY, "4"], ["Opportunity", "1"]]


def test_a_snapshot_on_a_lead_engagement_adds_the_customer_project(server):
    c = server.client(account=account())
    oid = new_opportunity(c)
    eid = create(c, [lead_context()])["Id"]
    c.create_resource_snapshot(Catalog="Sandbox", ClientToken=token(), EngagementIdentifier=eid,
                               ResourceType="Opportunity", ResourceIdentifier=oid,
                               ResourceSnapshotTemplateIdentifier=SUMMARY)
    contexts = c.get_engagement(Catalog="Sandbox", Identifier=eid)["Contexts"]
    assert [(x["Id"], x["Type"]) for x in contexts] == [("1", "Lead"), ("2", "CustomerProject")]
    assert contexts[1]["Payload"]["CustomerProject"]["Project"]["Title"] == opportunity_input()["Project"]["Title"]


# ------------------------------------------------------------------------------ who sees what

def test_members_see_shared_snapshots_and_only_the_owner_sees_aws_view(server):
    a, b, outsider = account(), account(), account()
    ca, cb, co = server.client(account=a), server.client(account=b), server.client(account=outsider)
    oid = new_opportunity(ca)
    task = ca.start_engagement_from_opportunity_task(Catalog="Sandbox", ClientToken=token(), Identifier=oid,
                                                     AwsSubmission={"InvolvementType": "Co-Sell"})
    eid = task["EngagementId"]
    job = ca.get_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=task["ResourceSnapshotJobId"])
    assert job["Status"] == "Running" and job["EngagementId"] == eid
    payload = {"OpportunityInvitation": {
        "Customer": {"CompanyName": "Acme Corp", "CountryCode": "US", "Industry": "Software and Internet",
                     "WebsiteUrl": "https://acme.example.com"},
        "Project": {"Title": "Data platform migration", "TargetCompletionDate": "2027-06-30",
                    "BusinessProblem": "The customer runs out of capacity every quarter end.",
                    "ExpectedCustomerSpend": []},
        "ReceiverResponsibilities": ["Co-Sell Facilitator"]}}
    iid = invite(ca, eid, b, payload)["Id"]
    accepted = cb.start_engagement_by_accepting_invitation_task(Catalog="Sandbox", ClientToken=token(), Identifier=iid)
    theirs = accepted["OpportunityId"]
    assert cb.get_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=accepted[
        "ResourceSnapshotJobId"])["ResourceId"] == theirs
    approve(ca, oid)
    # B sees A's OpportunitySummaryView revisions (the submission's and the approval's).
    seen = cb.list_resource_snapshots(Catalog="Sandbox", EngagementIdentifier=eid, CreatedBy=a)[
        "ResourceSnapshotSummaries"]
    assert [(s["ResourceId"], s["ResourceSnapshotTemplateName"], s["Revision"]) for s in seen] == [
        (oid, SUMMARY, 1), (oid, SUMMARY, 2)]
    latest = cb.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                      ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=SUMMARY)
    view = latest["Payload"]["OpportunitySummary"]
    assert view["Lifecycle"]["ReviewStatus"] == "Approved"
    assert view["Customer"]["Account"]["CompanyName"] == "Acme Corp"
    assert latest["CreatedBy"] == a and set(latest["TargetMemberAccounts"]) >= {a, "aws"}
    # AWS's own view of A's opportunity: A's alone.
    mine = ca.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                    ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    assert mine["CreatedBy"] == "aws" and mine["TargetMemberAccounts"] == [a] and mine["Revision"] == 1
    assert mine["Payload"]["AwsOpportunitySummaryFullView"]["RelatedOpportunityId"] == oid
    with pytest.raises(cb.exceptions.AccessDeniedException):
        cb.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                 ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    assert (oid, AWS_VIEW) not in {(s["ResourceId"], s["ResourceSnapshotTemplateName"]) for s in
                                   cb.list_resource_snapshots(Catalog="Sandbox", EngagementIdentifier=eid)[
                                       "ResourceSnapshotSummaries"]}
    # An AWS-side change revises AWS's view; a no-op patch does not.
    status, _, _ = admin(server, "PATCH", f"/accounts/{a}/catalogs/Sandbox/aws-opportunities/{oid}",
                         {"LifeCycle": {"Stage": "Qualified"}})
    assert status == 200
    admin(server, "PATCH", f"/accounts/{a}/catalogs/Sandbox/aws-opportunities/{oid}", {"LifeCycle": {"Stage": "Qualified"}})
    assert revisions(ca, eid, oid, AWS_VIEW) == [1, 2]
    # Events go to the partners a snapshot targets: B hears of A's summary view, never of AWS's view of it.
    heard = [e["detail"]["resourceSnapshot"] for e in events_for(server, b, "Engagement Resource Snapshot Created")]
    assert {(s["resourceId"], s["resourceSnapshotTemplateName"]) for s in heard if s["resourceId"] == oid} == {
        (oid, SUMMARY)}
    # A non-member is denied; the other catalog knows nothing of it.
    for call in (lambda: co.list_resource_snapshots(Catalog="Sandbox", EngagementIdentifier=eid),
                 lambda: co.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid,
                                                  ResourceType="Opportunity", ResourceIdentifier=oid,
                                                  ResourceSnapshotTemplateIdentifier=SUMMARY)):
        with pytest.raises(co.exceptions.AccessDeniedException):
            call()
    with pytest.raises(ca.exceptions.ResourceNotFoundException):
        ca.list_resource_snapshots(Catalog="AWS", EngagementIdentifier=eid)
    # B's own follows: its accepted opportunity has a running job and its own revisions, and
    # AWS's view of it (approved with A's) is B's alone.
    assert revisions(cb, eid, theirs) != []
    own = cb.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                   ResourceIdentifier=theirs, ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    assert own["TargetMemberAccounts"] == [b] and own["CreatedBy"] == "aws"
    # A name that is no template is refused on reads as well.
    with pytest.raises(cb.exceptions.ValidationException):
        cb.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                 ResourceIdentifier=theirs, ResourceSnapshotTemplateIdentifier="Nope")
    with pytest.raises(cb.exceptions.ValidationException):
        cb.list_resource_snapshots(Catalog="Sandbox", EngagementIdentifier=eid,
                                   ResourceSnapshotTemplateIdentifier="Nope")


# ------------------------------------------------------------------------------ tags

def test_tags_round_trip_on_every_taggable_resource(server):
    a = account()
    c = server.client(account=a)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input(), Tags=[{"Key": "crm", "Value": "sf-1"}])["Id"]
    arn = opp_arn(a, oid)
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "crm", "Value": "sf-1"}]
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "east"}, {"Key": "crm", "Value": "sf-2"}])
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "crm", "Value": "sf-2"}, {"Key": "team", "Value": "east"}]
    c.untag_resource(ResourceArn=arn, TagKeys=["crm", "absent"])
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "east"}]
    eid = create(c, [PROJECT_CONTEXT])["Id"]
    job = snapshot_job(c, eid, oid)
    c.tag_resource(ResourceArn=job["Arn"], Tags=[{"Key": "owner", "Value": "sync"}])
    assert c.list_tags_for_resource(ResourceArn=job["Arn"])["Tags"] == [{"Key": "owner", "Value": "sync"}]
    untagged = new_opportunity(c)
    assert c.list_tags_for_resource(ResourceArn=opp_arn(a, untagged))["Tags"] == []
    # Tags of the Start…Task operations land on the opportunity they submit or create.
    c.start_engagement_from_opportunity_task(Catalog="Sandbox", ClientToken=token(), Identifier=untagged,
                                             AwsSubmission={"InvolvementType": "Co-Sell"},
                                             Tags=[{"Key": "submitted-by", "Value": "sync"}])
    assert c.list_tags_for_resource(ResourceArn=opp_arn(a, untagged))["Tags"] == [
        {"Key": "submitted-by", "Value": "sync"}]
    lead = create(c, [lead_context()])["Id"]
    converted = c.start_opportunity_from_engagement_task(Catalog="Sandbox", ClientToken=token(), Identifier=lead,
                                                         ContextIdentifier="1", Tags=[{"Key": "lead", "Value": "1"}])
    assert c.list_tags_for_resource(ResourceArn=opp_arn(a, converted["OpportunityId"]))["Tags"] == [
        {"Key": "lead", "Value": "1"}]


def test_tags_that_are_refused_change_nothing(server):
    a, other = account(), account()
    c, o = server.client(account=a), server.client(account=other)
    raw = server.client(account=a, parameter_validation=False)
    oid = new_opportunity(c)
    arn = opp_arn(a, oid)
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "keep", "Value": "1"}])
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert e.value.response["ErrorList"][0]["FieldName"] == "Tags[0].Key"
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert e.value.response["ErrorList"][0]["Code"] == "TOO_MANY_VALUES"
    with pytest.raises(o.exceptions.AccessDeniedException):
        o.tag_resource(ResourceArn=arn, Tags=[{"Key": "evil", "Value": "1"}])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.tag_resource(ResourceArn=opp_arn(a, "O9999999"), Tags=[{"Key": "x", "Value": "1"}])
    solution = f"arn:aws:partnercentral:us-east-1:{a}:catalog/Sandbox/solution/S-1234567"
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.tag_resource(ResourceArn=solution, Tags=[{"Key": "x", "Value": "1"}])
    assert e.value.response["ErrorList"][0]["FieldName"] == "resourceArn"   # AWS's business-rule naming
    assert e.value.response["Reason"] == "BUSINESS_VALIDATION_FAILED"
    engagement = "arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/eng-abcdefghij1234"
    with pytest.raises(raw.exceptions.ValidationException) as e:
        raw.tag_resource(ResourceArn=engagement, Tags=[{"Key": "x", "Value": "1"}])
    assert e.value.response["Reason"] == "REQUEST_VALIDATION_FAILED"   # no account: not a taggable ARN
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "keep", "Value": "1"}]
    # The catalog comes from the ARN: the same id in the other catalog is another resource.
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.list_tags_for_resource(ResourceArn=opp_arn(a, oid, catalog="AWS"))


def test_settings_take_a_name_or_an_arn_of_the_callers_account(server):
    a = account()
    c = server.client(account=a)
    arn = f"arn:aws:iam::{a}:role/path/SyncRole"
    assert c.put_selling_system_settings(Catalog="AWS", ResourceSnapshotJobRoleIdentifier=arn)[
        "ResourceSnapshotJobRoleArn"] == arn
    with pytest.raises(c.exceptions.ValidationException):
        c.put_selling_system_settings(Catalog="AWS", ResourceSnapshotJobRoleIdentifier=
                                      "arn:aws:iam::999999999999:role/Other")
    assert c.get_selling_system_settings(Catalog="AWS")["ResourceSnapshotJobRoleArn"] == arn
    assert c.put_selling_system_settings(Catalog="AWS")["ResourceSnapshotJobRoleArn"] == arn  # nothing to change


# ------------------------------------------------------------------------------ state

def test_snapshots_jobs_tags_and_settings_survive_restart_export_and_reset(tmp_path):
    s = Server("--data-dir", str(tmp_path)).start()
    a = account()
    try:
        c = s.client(account=a)
        oid = new_opportunity(c, Tags=[{"Key": "crm", "Value": "1"}])
        eid = create(c, [PROJECT_CONTEXT])["Id"]
        job = snapshot_job(c, eid, oid, Tags=[{"Key": "j", "Value": "1"}])
        c.start_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
        c.put_selling_system_settings(Catalog="Sandbox", ResourceSnapshotJobRoleIdentifier="R")
        status, _, state = admin(s, "GET", "/state")
        assert status == 200 and state["version"] == 3
        scope = next(x for x in state["scopes"] if x["accountId"] == a)
        assert len(scope["snapshotJobs"]) == 1 and len(scope["tags"]) == 2 and len(scope["sellingSettings"]) == 1
        assert len(next(x for x in state["catalogs"] if x["catalog"] == "Sandbox")["snapshots"]) == 1
    finally:
        s.stop()
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        c = s.client(account=a)
        assert revisions(c, eid, oid) == [1]
        update(c, oid, lambda b: b["LifeCycle"].update(NextSteps="After the restart"))
        assert revisions(c, eid, oid) == [1, 2]     # the job still runs after a restart
        assert c.list_tags_for_resource(ResourceArn=job["Arn"])["Tags"] == [{"Key": "j", "Value": "1"}]
        assert admin(s, "POST", "/reset", {"accountId": a})[0] == 200
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
        assert "ResourceSnapshotJobRoleArn" not in c.get_selling_system_settings(Catalog="Sandbox")
        assert admin(s, "PUT", "/state", state)[0] == 200
        assert c.get_selling_system_settings(Catalog="Sandbox")["ResourceSnapshotJobRoleArn"].endswith("/R")
        assert revisions(c, eid, oid) == [1]
        assert c.list_tags_for_resource(ResourceArn=opp_arn(a, oid))["Tags"] == [{"Key": "crm", "Value": "1"}]
        # A bad snapshot record changes nothing.
        bad = dict(state)
        bad["catalogs"] = [dict(x, snapshots=[dict(x["snapshots"][0], revision=0)]) if x.get("snapshots") else x
                           for x in state["catalogs"]]
        status, _, answer = admin(s, "PUT", "/state", bad)
        assert status == 400 and "snapshots[0]" in answer["error"], answer
        assert revisions(c, eid, oid) == [1]
    finally:
        s.stop()


def test_each_acknowledged_write_has_its_revision_after_sigkill(tmp_path):
    """A running job's revision is written in the same transaction as the change it follows: after
    SIGKILL, every acknowledged update's view is a revision, and no revision exists for a change
    that was never acknowledged."""
    import signal
    import threading
    import time
    a = account()
    s = Server("--data-dir", str(tmp_path)).start()
    c = s.client(account=a, check_shapes=False)
    oid = new_opportunity(c)
    eid = create(c, [PROJECT_CONTEXT])["Id"]
    job = snapshot_job(c, eid, oid)
    c.start_resource_snapshot_job(Catalog="Sandbox", ResourceSnapshotJobIdentifier=job["Id"])
    acked, sent = [], []
    stop = threading.Event()

    def write():
        w = s.client(account=a, check_shapes=False, connect_timeout=1, read_timeout=3)
        body = update_input(w.get_opportunity(Catalog="Sandbox", Identifier=oid))
        n = 0
        while not stop.is_set():
            body["LifeCycle"]["NextSteps"] = f"step {n}"
            sent.append(f"step {n}")
            try:
                body["LastModifiedDate"] = w.update_opportunity(**body)["LastModifiedDate"]
            except Exception:
                return
            acked.append(f"step {n}")
            n += 1

    t = threading.Thread(target=write)
    t.start()
    time.sleep(0.6)
    s.stop(signal.SIGKILL)
    stop.set()
    t.join(timeout=10)
    assert len(acked) > 5
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        c = s.client(account=a)
        steps = []
        for r in revisions(c, eid, oid):
            snap = c.get_resource_snapshot(Catalog="Sandbox", EngagementIdentifier=eid, ResourceType="Opportunity",
                                           ResourceIdentifier=oid, ResourceSnapshotTemplateIdentifier=SUMMARY,
                                           Revision=r)
            steps.append(snap["Payload"]["OpportunitySummary"]["Lifecycle"]["NextSteps"])
        # Revision 1 is the view at start; then one per committed update, in order.
        assert steps[1:len(acked) + 1] == acked
        assert set(steps[1:]) <= set(sent) and len(steps) - 1 - len(acked) <= 1
        current = c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["NextSteps"]
        assert current == steps[-1]
    finally:
        s.stop()
