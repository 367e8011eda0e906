"""No operation returns or changes another account's or catalog's records, and allow lists hold
for every operation."""
import json
import time
import urllib.request

import pytest

from conftest import Server, approve, create_submitted, opportunity_input
from shapecheck import MODEL
from test_control_plane import admin
from test_validation_all import implemented_operations

OPPORTUNITY_ID = MODEL.shape_for("OpportunityIdentifier").metadata["pattern"]

# Implemented operations that name no single opportunity, and what covers them instead.
EXEMPT = {
    "CreateOpportunity": "names no existing opportunity: it only adds one to the caller's own scope",
    "ListOpportunities": "a list: the intruder's listing is asserted empty",
    "ListEngagementFromOpportunityTasks": "a list: the intruder's listing is asserted empty",
    "ListSolutions": "a list: the intruder sees only the shared solution, not the victim's",
    "ListEngagementInvitations": "a list: the intruder's listings (both roles) are asserted empty",
    "ListEngagementByAcceptingInvitationTasks": "a list: the intruder's listing is asserted empty",
    "CreateEngagement": "names no existing record: it only adds an engagement the caller is the one member of",
    "ListEngagements": "a list: the intruder's listing is asserted empty",
    "SearchEngagements": "a list: the intruder's search is asserted empty",
    "ListEngagementGroups": "a list: the intruder's groups count none of the victim's engagements",
    "ListEngagementResourceAssociations": "a list: asserted empty, and denied when naming the victim's engagement",
    "ListOpportunityFromEngagementTasks": "a list: the intruder's listing is asserted empty",
    "ListProspectingFromEngagementTasks": "a list: the intruder's listing is asserted empty",
    "StartProspectingFromEngagementTask": "answers a task of the caller's own: every engagement of the victim's "
                                          "fails in it with NotAMember, asserted below",
    "ListResourceSnapshotJobs": "a list: the intruder's listing is asserted empty",
    "GetSellingSystemSettings": "the caller's own settings: asserted to hold none of the victim's",
    "PutSellingSystemSettings": "the caller's own settings: the victim's are asserted unchanged",
    "TagResource": "no Catalog: the ARN names the account, asserted below (another account's is denied)",
    "UntagResource": "no Catalog: the ARN names the account, asserted below (another account's is denied)",
    "ListTagsForResource": "no Catalog: the ARN names the account, asserted below (another account's is denied)",
    "CreateCustomerAccount": "names no existing record: it only adds one to the caller's own scope",
    "SearchCustomerAccounts": "a list: the intruder's search is asserted empty",
    "SearchOpportunities": "a list: the intruder's search (keyword, filter on the victim's id) is asserted empty",
    "GetCustomerAccountStatistics": "counts the caller's own: the intruder's TotalCount is asserted 0",
    "DeleteCustomerAccount": "idempotent (the model): answers the intruder as if deleted; the victim's account is "
                             "asserted unchanged",
    "StartOpportunityBulkJob": "names no existing record: it only adds a job to the caller's own scope",
    "StartCustomerAccountBulkJob": "names no existing record: it only adds a job to the caller's own scope",
    "ListOpportunityBulkJobs": "a list: the intruder's listing is asserted empty",
    "ListCustomerAccountBulkJobs": "a list: the intruder's listing is asserted empty",
}

# Operations on one engagement: a member of the same catalog that is not a member is told it may not
# access it (research §9); in another catalog the engagement does not exist.
ENGAGEMENT_OPERATIONS = {"CreateEngagementInvitation", "GetEngagement", "ListEngagementMembers",
                         "CreateEngagementContext", "UpdateEngagementContext",
                         "StartOpportunityFromEngagementTask", "CreateResourceSnapshot", "GetResourceSnapshot",
                         "ListResourceSnapshots", "CreateResourceSnapshotJob"}


def takes_an_opportunity_identifier(operation):
    """Whether the operation acts on one opportunity: a required member of the identifier pattern."""
    shape = MODEL.operation_model(operation).input_shape
    members = [shape.members[n] for n in shape.required_members]
    return any(m.type_name == "string" and m.metadata.get("pattern") == OPPORTUNITY_ID for m in members)


@pytest.fixture(scope="module")
def victim(server):
    owner = server.client(account="131313131313")
    oid = create_submitted(owner, catalog="Sandbox")
    approve(owner, oid)
    admin(server, "POST", "/accounts/131313131313/catalogs/Sandbox/solutions",
          {"Id": "S-5555555", "Name": "Secret", "Category": "Private"})
    # An AWS referral waiting for the victim, and the engagement its submission created.
    sent = admin(server, "POST", "/accounts/131313131313/catalogs/Sandbox/invitations",
                 {"Opportunity": opportunity_input()})[2]
    engagement = owner.get_opportunity(Catalog="Sandbox", Identifier=oid)
    tasks = owner.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"]
    assert engagement and tasks
    # A lead engagement of the victim's, prospected.
    lead = owner.create_engagement(Catalog="Sandbox", ClientToken="victim-lead", Title="Secret lead",
                                   Contexts=[{"Type": "Lead", "Payload": {"Lead": LEAD_CONTEXT}}])["Id"]
    prospecting = owner.start_prospecting_from_engagement_task(
        Catalog="Sandbox", ClientToken="victim-p", Identifiers=[lead], TaskName="secret")["TaskId"]
    owner.put_selling_system_settings(Catalog="Sandbox", ResourceSnapshotJobRoleIdentifier="VictimRole")
    owner.tag_resource(ResourceArn=OPP_ARN.format(oid=oid), Tags=[{"Key": "secret", "Value": "yes"}])
    customer = owner.create_customer_account(Catalog="Sandbox", Account={"CompanyName": "Secret customer",
                                                                          "Domain": "secret.example.com"})["Id"]
    # Bulk jobs of the victim's, finished (their records are in the state compared below).
    urllib.request.urlopen(urllib.request.Request(
        f"{server.url}/_admin/files/victim/accounts.csv", method="PUT",
        data=b"Account.CompanyName,Account.Domain\nSecret bulk,bulk.secret.example.com\n"))
    customer_job = owner.start_customer_account_bulk_job(Catalog="Sandbox", ClientToken="victim-cj",
                                                         FileUri="s3://victim/victim/accounts.csv")["Id"]
    opportunity_job = owner.start_opportunity_bulk_job(Catalog="Sandbox", ClientToken="victim-oj", FileFormat="CSV",
                                                       FileURI="s3://victim/victim/accounts.csv")["JobId"]
    for _ in range(200):
        statuses = {owner.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=customer_job)["Status"],
                    owner.list_opportunity_bulk_jobs(Catalog="Sandbox", JobId=opportunity_job)[
                        "OpportunityBulkJobSummaries"][0]["Status"]}
        if statuses <= {"COMPLETED", "FAILED"}:
            break
        time.sleep(0.05)
    before = admin(server, "GET", "/state")[2]
    return (owner, oid, sent["InvitationId"], tasks[0]["EngagementId"],
            [s for s in before["scopes"] if s["accountId"] == "131313131313" and s["catalog"] == "Sandbox"], before["catalogs"],
            lead, prospecting, tasks[0]["ResourceSnapshotJobId"], customer, customer_job, opportunity_job)


OPP_ARN = "arn:aws:partnercentral:us-east-1:131313131313:catalog/Sandbox/opportunity/{oid}"
LEAD_CONTEXT = {"Customer": {"CompanyName": "Secret Co"}, "Interactions": [
    {"SourceType": "Event", "Contact": {"BusinessTitle": "CTO", "Email": "cto@secret.example.com",
                                        "FirstName": "S", "LastName": "C"}}]}


def requests_against(oid, catalog, invitation="engi-0000000000000", engagement="eng-00000000000000",
                     lead="eng-00000000000000", prospecting="task-00000000000000", job="job-0000000000000",
                     customer="cust-acc-0000000000000", customer_job="bulkjob-0000000000000",
                     opportunity_job="bulkjob-0000000000000"):
    lmd = "2026-01-01T00:00:00Z"
    return {
        "GetCustomerAccountBulkJob": {"Catalog": catalog, "Identifier": customer_job},
        "ListCustomerAccountBulkJobResults": {"Catalog": catalog, "Identifier": customer_job},
        "GetCustomerAccountBulkJobReportUrl": {"Catalog": catalog, "Identifier": customer_job,
                                               "ReportType": "ALL_RECORDS"},
        "ListOpportunityBulkJobResults": {"Catalog": catalog, "JobId": opportunity_job},
        "GetOpportunityBulkJobReportUrl": {"Catalog": catalog, "JobId": opportunity_job, "ReportFormat": "CSV"},
        "GetEngagement": {"Catalog": catalog, "Identifier": engagement},
        "ListEngagementMembers": {"Catalog": catalog, "Identifier": engagement},
        "CreateEngagementContext": {"Catalog": catalog, "EngagementIdentifier": lead, "ClientToken": "evil",
                                    "Type": "Lead", "Payload": {"Lead": LEAD_CONTEXT}},
        "UpdateEngagementContext": {"Catalog": catalog, "EngagementIdentifier": lead, "ContextIdentifier": "1",
                                    "EngagementLastModifiedAt": lmd, "Type": "Lead",
                                    "Payload": {"Lead": {"Customer": {"CompanyName": "Evil"}}}},
        "StartOpportunityFromEngagementTask": {"Catalog": catalog, "Identifier": lead, "ClientToken": "evil",
                                               "ContextIdentifier": "1"},
        "GetProspectingFromEngagementTask": {"Catalog": catalog, "TaskIdentifier": prospecting},
        "CreateResourceSnapshot": {"Catalog": catalog, "ClientToken": "evil", "EngagementIdentifier": engagement,
                                   "ResourceType": "Opportunity", "ResourceIdentifier": oid,
                                   "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView"},
        "GetResourceSnapshot": {"Catalog": catalog, "EngagementIdentifier": engagement, "ResourceType": "Opportunity",
                                "ResourceIdentifier": oid,
                                "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView"},
        "ListResourceSnapshots": {"Catalog": catalog, "EngagementIdentifier": engagement},
        "CreateResourceSnapshotJob": {"Catalog": catalog, "ClientToken": "evil", "EngagementIdentifier": engagement,
                                      "ResourceType": "Opportunity", "ResourceIdentifier": oid,
                                      "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView"},
        "StartResourceSnapshotJob": {"Catalog": catalog, "ResourceSnapshotJobIdentifier": job},
        "StopResourceSnapshotJob": {"Catalog": catalog, "ResourceSnapshotJobIdentifier": job},
        "DeleteResourceSnapshotJob": {"Catalog": catalog, "ResourceSnapshotJobIdentifier": job},
        "GetResourceSnapshotJob": {"Catalog": catalog, "ResourceSnapshotJobIdentifier": job},
        "GetCustomerAccount": {"Catalog": catalog, "Identifier": customer},
        "UpdateCustomerAccount": {"Catalog": catalog, "Identifier": customer, "LastModifiedDate": lmd,
                                  "Account": {"CompanyName": "Evil"}},
        "GetEngagementInvitation": {"Catalog": catalog, "Identifier": invitation},
        "AcceptEngagementInvitation": {"Catalog": catalog, "Identifier": invitation},
        "RejectEngagementInvitation": {"Catalog": catalog, "Identifier": invitation},
        "StartEngagementByAcceptingInvitationTask": {"Catalog": catalog, "Identifier": invitation,
                                                     "ClientToken": "evil"},
        "CreateEngagementInvitation": {"Catalog": catalog, "ClientToken": "evil", "EngagementIdentifier": engagement,
                                       "Invitation": {"Message": "join", "Receiver": {"Account": {
                                           "AwsAccountId": "141414141414"}}, "Payload": {"LeadInvitation": {
                                               "Customer": {"CompanyName": "Evil"},
                                               "Interaction": {"ContactBusinessTitle": "CEO", "SourceType": "Event",
                                                               "SourceId": "x", "SourceName": "x"}}}}},
        "GetOpportunity": {"Catalog": catalog, "Identifier": oid},
        "GetAwsOpportunitySummary": {"Catalog": catalog, "RelatedOpportunityIdentifier": oid},
        "UpdateOpportunity": {"Catalog": catalog, "Identifier": oid, "LastModifiedDate": lmd,
                              "LifeCycle": {"ReviewStatus": "Rejected"}},
        "AssignOpportunity": {"Catalog": catalog, "Identifier": oid, "Assignee": {
            "Email": "x@evil.example.com", "FirstName": "E", "LastName": "Vil", "BusinessTitle": "OpportunityOwner"}},
        "AssociateOpportunity": {"Catalog": catalog, "OpportunityIdentifier": oid,
                                 "RelatedEntityType": "AwsProducts", "RelatedEntityIdentifier": "Evil"},
        "DisassociateOpportunity": {"Catalog": catalog, "OpportunityIdentifier": oid,
                                    "RelatedEntityType": "Solutions", "RelatedEntityIdentifier": "S-1234567"},
        "SubmitOpportunity": {"Catalog": catalog, "Identifier": oid, "InvolvementType": "Co-Sell"},
        "StartEngagementFromOpportunityTask": {"Catalog": catalog, "Identifier": oid, "ClientToken": "evil",
                                               "AwsSubmission": {"InvolvementType": "Co-Sell"}},
    }


@pytest.mark.parametrize("account,catalog", [("141414141414", "Sandbox"), ("131313131313", "AWS")])
def test_no_operation_reaches_another_account_or_catalog(server, victim, account, catalog):
    (owner, oid, invitation, engagement, scopes_before, shared_before, lead, prospecting, job, customer,
     customer_job, opportunity_job) = victim
    for op, body in requests_against(oid, catalog, invitation, engagement, lead, prospecting, job,
                                     customer, customer_job, opportunity_job).items():
        status, _, resp = server.call(op, body, {"Authorization":
            f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/partnercentral-selling/aws4_request, "
            "SignedHeaders=host, Signature=00"})
        wanted = "AccessDenied" if op in ENGAGEMENT_OPERATIONS and catalog == "Sandbox" else "ResourceNotFound"
        assert status == 400 and resp["__type"].endswith(f"#{wanted}Exception"), (op, resp)
    intruder = server.client(account=account)
    assert intruder.list_engagements(Catalog=catalog)["EngagementSummaryList"] == []
    assert intruder.search_engagements(Catalog=catalog, Keyword="Secret")["EngagementSearchSummaries"] == []
    assert intruder.list_engagement_resource_associations(Catalog=catalog)[
        "EngagementResourceAssociationSummaries"] == []
    with pytest.raises(intruder.exceptions.ClientError) as e:
        intruder.list_engagement_resource_associations(Catalog=catalog, EngagementIdentifier=engagement)
    assert e.value.response["Error"]["Code"] == (
        "AccessDeniedException" if catalog == "Sandbox" else "ResourceNotFoundException")
    assert intruder.list_opportunity_from_engagement_tasks(Catalog=catalog)["TaskSummaries"] == []
    assert intruder.list_prospecting_from_engagement_tasks(Catalog=catalog)["TaskSummaries"] == []
    task = intruder.start_prospecting_from_engagement_task(
        Catalog=catalog, ClientToken=f"evil-{account}-{catalog}", Identifiers=[lead, engagement], TaskName="evil")
    assert task["TaskStatus"] == "FAILED"
    results = intruder.get_prospecting_from_engagement_task(Catalog=catalog, TaskIdentifier=task["TaskId"])
    reasons = {r["ReasonCode"] for r in results["Engagements"]}
    assert reasons == ({"NotAMember"} if catalog == "Sandbox" else {"EngagementNotFound"}), results
    assert intruder.list_resource_snapshot_jobs(Catalog=catalog)["ResourceSnapshotJobSummaries"] == []
    assert intruder.list_customer_account_bulk_jobs(Catalog=catalog)["items"] == []
    assert intruder.list_opportunity_bulk_jobs(Catalog=catalog)["OpportunityBulkJobSummaries"] == []
    assert intruder.search_customer_accounts(Catalog=catalog)["CustomerAccountSummaries"] == []
    assert intruder.search_opportunities(Catalog=catalog)["OpportunitySearchSummaries"] == []
    assert intruder.search_opportunities(
        Catalog=catalog, Keyword=oid,
        Filter={"EqualsTo": {"Key": "OpportunityId", "Value": {"StringValue": oid}}})[
        "OpportunitySearchSummaries"] == []
    assert intruder.get_customer_account_statistics(Catalog=catalog)["TotalCount"] == 0
    intruder.delete_customer_account(Catalog=catalog, Identifier=customer)
    assert "ResourceSnapshotJobRoleArn" not in intruder.get_selling_system_settings(Catalog=catalog)
    intruder.put_selling_system_settings(Catalog=catalog, ResourceSnapshotJobRoleIdentifier="IntruderRole")
    if account != "131313131313":
        for call in (lambda: intruder.list_tags_for_resource(ResourceArn=OPP_ARN.format(oid=oid)),
                     lambda: intruder.tag_resource(ResourceArn=OPP_ARN.format(oid=oid),
                                                   Tags=[{"Key": "evil", "Value": "1"}]),
                     lambda: intruder.untag_resource(ResourceArn=OPP_ARN.format(oid=oid), TagKeys=["secret"])):
            with pytest.raises(intruder.exceptions.AccessDeniedException):
                call()
    assert intruder.list_opportunities(Catalog=catalog)["OpportunitySummaries"] == []
    assert intruder.list_engagement_from_opportunity_tasks(Catalog=catalog)["TaskSummaries"] == []
    assert [s["Id"] for s in intruder.list_solutions(Catalog=catalog)["SolutionSummaries"]] == ["S-0059717", "S-1234567"]
    for role in ["RECEIVER", "SENDER"]:
        listed = intruder.list_engagement_invitations(Catalog=catalog, ParticipantType=role)
        assert listed["EngagementInvitationSummaries"] == []
    assert intruder.list_engagement_by_accepting_invitation_tasks(Catalog=catalog)["TaskSummaries"] == []
    after = admin(server, "GET", "/state")[2]
    assert [s for s in after["scopes"]
            if s["accountId"] == "131313131313" and s["catalog"] == "Sandbox"] == scopes_before
    assert after["catalogs"] == shared_before


def test_every_implemented_operation_is_covered(server):
    """Each operation the server implements that names an opportunity is tried across accounts
    and catalogs above; any other is exempt by name, with the reason."""
    implemented = implemented_operations(server)
    covered = set(requests_against("O1", "AWS"))
    targeted = {op for op in implemented if takes_an_opportunity_identifier(op)}
    assert targeted - covered == set(), "add these to requests_against"
    assert covered <= implemented
    assert implemented - covered == set(EXEMPT), "cover these in requests_against or list them in EXEMPT"
    assert not targeted & set(EXEMPT)


@pytest.fixture(scope="module")
def restricted(tmp_path_factory):
    path = tmp_path_factory.mktemp("allow") / "credentials.json"
    path.write_text(json.dumps({"credentials": [
        {"accessKeyId": "AKIDREADER", "secretAccessKey": "s", "accountId": "151515151515",
         "allow": {"actions": ["ListSolutions"], "catalogs": ["Sandbox"]}}]}))
    s = Server("--in-memory", "--credentials", str(path)).start()
    yield s
    s.stop()


@pytest.mark.parametrize("operation", sorted(MODEL.operation_names))
def test_allow_lists_hold_for_every_operation(restricted, operation):
    from botocore import xform_name
    c = restricted.client(account="AKIDREADER", secret="s", check_shapes=False, parameter_validation=False)
    call = getattr(c, xform_name(operation))
    has_catalog = "Catalog" in MODEL.operation_model(operation).input_shape.members
    for catalog in ["AWS", "Sandbox"] if has_catalog else [None]:
        args = {"Catalog": catalog} if catalog else {}
        if operation == "ListSolutions" and catalog == "Sandbox":
            assert call(**args)["SolutionSummaries"]
            continue
        with pytest.raises(c.exceptions.ClientError) as e:
            call(**args)
        assert e.value.response["Error"]["Code"] == "AccessDeniedException", (operation, catalog)
