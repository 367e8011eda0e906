"""Model-driven negative tests: for every implemented operation, each required member
missing, each enum given a wrong value, each pattern, length, list size and range broken
must give a ValidationException whose ErrorList names the member with the model's code.

The cases are derived from the botocore model installed for the tests (the same release the
server bundles), starting from one valid request per operation. Requests go through boto3
with client-side validation off, so they reach the server exactly as built.
"""
import copy
import re

import pytest
from botocore import xform_name

from conftest import opportunity_input
from shapecheck import MODEL
from test_validation_all import implemented_operations

OPPORTUNITY = opportunity_input(
    Marketing={"AwsFundingUsed": "No", "CampaignName": "Q3", "Channels": ["AWS Marketing Central"],
               "Source": "Marketing Activity", "UseCases": ["AI/ML"]},
    SoftwareRevenue={"DeliveryModel": "Subscription", "EffectiveDate": "2027-01-01",
                     "ExpirationDate": "2028-01-01", "Value": {"Amount": "100.50", "CurrencyCode": "USD"}},
    NationalSecurity="No",
    PartnerOpportunityIdentifier="CRM-42",
)
TASK_ID = "task-abcdefghij123"
INVITATION_ID = "engi-abcdefghij123"

BASES = {
    "StartOpportunityBulkJob": {"Catalog": "Sandbox", "ClientToken": "token-bulk-1", "FileFormat": "CSV",
                                "FileURI": "s3://bucket/opportunities.csv"},
    "ListOpportunityBulkJobs": {"Catalog": "Sandbox", "JobId": "bulkjob-abcdefghij123", "Status": "COMPLETED",
                                "MaxResults": 10},
    "ListOpportunityBulkJobResults": {"Catalog": "Sandbox", "JobId": "bulkjob-abcdefghij123", "Status": "FAILED",
                                      "MaxResults": 10},
    "GetOpportunityBulkJobReportUrl": {"Catalog": "Sandbox", "JobId": "bulkjob-abcdefghij123", "ReportFormat": "CSV",
                                       "ReportType": "FAILED_RECORDS"},
    "StartCustomerAccountBulkJob": {"Catalog": "Sandbox", "ClientToken": "token-bulk-2",
                                    "FileUri": "https://127.0.0.1/accounts.csv"},
    "GetCustomerAccountBulkJob": {"Catalog": "Sandbox", "Identifier": "bulkjob-abcdefghij123"},
    "ListCustomerAccountBulkJobs": {"Catalog": "Sandbox", "MaxResults": 10,
                                    "Filter": {"Identifier": "bulkjob-abcdefghij123", "Status": "SUBMITTED"}},
    "ListCustomerAccountBulkJobResults": {"Catalog": "Sandbox", "Identifier": "bulkjob-abcdefghij123",
                                          "Status": "SUCCEEDED", "MaxResults": 10},
    "GetCustomerAccountBulkJobReportUrl": {"Catalog": "Sandbox", "Identifier": "bulkjob-abcdefghij123",
                                           "ReportType": "ALL_RECORDS"},
    "CreateCustomerAccount": {"Catalog": "Sandbox", "ClientToken": "token-ca1", "PartnerAccountIdentifier": "crm-1",
                              "Account": {"CompanyName": "Acme", "WebsiteUrl": "https://acme.example.com",
                                          "Duns": "123456789", "Industry": "Software", "OtherIndustry": "SaaS",
                                          "Domain": "acme.example.com", "ParentCompanyName": "Acme Holdings",
                                          "Address": {"City": "Seattle", "CountryCode": "US", "PostalCode": "98101",
                                                      "StateOrRegion": "Washington",
                                                      "StreetAddress": "1 Main St"}},
                              "Tags": [{"Key": "team", "Value": "east"}]},
    "GetCustomerAccount": {"Catalog": "Sandbox", "Identifier": "cust-acc-abcdefghij123"},
    "UpdateCustomerAccount": {"Catalog": "Sandbox", "Identifier": "cust-acc-abcdefghij123",
                              "LastModifiedDate": "2026-01-01T00:00:00Z", "PartnerAccountIdentifier": "crm-1",
                              "Account": {"CompanyName": "Acme", "Domain": "acme.example.com"}},
    "DeleteCustomerAccount": {"Catalog": "Sandbox", "Identifier": "cust-acc-abcdefghij123"},
    "SearchCustomerAccounts": {"Catalog": "Sandbox", "MaxResults": 10,
                               "Filter": {"AndAllFilters": [
                                   {"EqualsTo": {"Key": "ENRICHMENT_STATUS", "Value": {"StringValue": "ENRICHED"}}},
                                   {"ContainsAny": {"Key": "COMPANY_NAME", "Value": {"StringListValue": ["ac"]}}}]},
                               "Sort": {"SortBy": "COMPANY_NAME", "SortOrder": "ASCENDING"}},
    "SearchOpportunities": {"Catalog": "Sandbox", "Keyword": "acme", "MaxResults": 10,
                            "Filter": {"AndAllFilters": [
                                {"EqualsTo": {"Key": "Stage", "Value": {"StringValue": "Prospect"}}},
                                {"NotFilter": {"ContainsAny": {"Key": "PartnerProjectTitle",
                                                               "Value": {"StringListValue": ["x", "y"]}}}},
                                {"GreaterThan": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 10.5}}},
                                {"LessThan": {"Key": "CreatedDate",
                                              "Value": {"DateValue": "2030-01-01T00:00:00Z"}}}]},
                            "Sort": {"SortBy": "CustomerCompanyName", "SortOrder": "ASCENDING"}},
    "GetCustomerAccountStatistics": {"Catalog": "Sandbox", "IncludeMissing": True,
                                     "Filter": {"EqualsTo": {"Key": "GEO", "Value": {"StringValue": "AMER"}}},
                                     "Aggregations": [{"GroupBy": ["SEGMENT"]}]},
    "CreateResourceSnapshot": {"Catalog": "Sandbox", "ClientToken": "token-s1",
                               "EngagementIdentifier": "eng-abcdefghij1234", "ResourceType": "Opportunity",
                               "ResourceIdentifier": "O1", "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView"},
    "GetResourceSnapshot": {"Catalog": "Sandbox", "EngagementIdentifier": "eng-abcdefghij1234",
                            "ResourceType": "Opportunity", "ResourceIdentifier": "O1",
                            "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView", "Revision": 1},
    "ListResourceSnapshots": {"Catalog": "Sandbox", "EngagementIdentifier": "eng-abcdefghij1234",
                              "ResourceType": "Opportunity", "ResourceIdentifier": "O1",
                              "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView",
                              "CreatedBy": "111111111111", "MaxResults": 10},
    "CreateResourceSnapshotJob": {"Catalog": "Sandbox", "ClientToken": "token-j1",
                                  "EngagementIdentifier": "eng-abcdefghij1234", "ResourceType": "Opportunity",
                                  "ResourceIdentifier": "O1",
                                  "ResourceSnapshotTemplateIdentifier": "OpportunitySummaryView",
                                  "Tags": [{"Key": "team", "Value": "east"}]},
    "StartResourceSnapshotJob": {"Catalog": "Sandbox", "ResourceSnapshotJobIdentifier": "job-abcdefghij123"},
    "StopResourceSnapshotJob": {"Catalog": "Sandbox", "ResourceSnapshotJobIdentifier": "job-abcdefghij123"},
    "DeleteResourceSnapshotJob": {"Catalog": "Sandbox", "ResourceSnapshotJobIdentifier": "job-abcdefghij123"},
    "GetResourceSnapshotJob": {"Catalog": "Sandbox", "ResourceSnapshotJobIdentifier": "job-abcdefghij123"},
    "ListResourceSnapshotJobs": {"Catalog": "Sandbox", "EngagementIdentifier": "eng-abcdefghij1234",
                                 "Status": "Running", "MaxResults": 10,
                                 "Sort": {"SortBy": "CreatedDate", "SortOrder": "ASCENDING"}},
    "GetSellingSystemSettings": {"Catalog": "Sandbox"},
    "PutSellingSystemSettings": {"Catalog": "Sandbox", "ResourceSnapshotJobRoleIdentifier": "SnapshotJobRole"},
    "TagResource": {"ResourceArn": "arn:aws:partnercentral:us-east-1:111111111111:catalog/Sandbox/opportunity/O1",
                    "Tags": [{"Key": "team", "Value": "east"}]},
    "UntagResource": {"ResourceArn": "arn:aws:partnercentral:us-east-1:111111111111:catalog/Sandbox/opportunity/O1",
                      "TagKeys": ["team"]},
    "ListTagsForResource": {"ResourceArn":
                            "arn:aws:partnercentral:us-east-1:111111111111:catalog/Sandbox/opportunity/O1"},
    "CreateEngagement": {
        "Catalog": "Sandbox", "ClientToken": "token-e1", "Title": "Data platform", "Description": "Co-sell",
        "Contexts": [{"Type": "Lead", "Payload": {"Lead": {
            "Customer": {"CompanyName": "Acme", "Industry": "Software", "WebsiteUrl": "https://acme.example.com",
                         "Address": {"City": "Seattle", "CountryCode": "US", "PostalCode": "98101",
                                     "StateOrRegion": "WA"}, "AwsMaturity": "New", "MarketSegment": "Enterprise"},
            "Interactions": [{"SourceType": "Event", "SourceId": "e-1", "SourceName": "Summit",
                              "Usecase": "Migration", "InteractionDate": "2026-01-01T00:00:00Z",
                              "CustomerAction": "Asked for a demo", "BusinessProblem": "Capacity",
                              "Contact": {"BusinessTitle": "CTO", "Email": "cto@acme.example.com",
                                          "FirstName": "Ada", "LastName": "L", "Phone": "+12065550100"}}],
            "QualificationStatus": "Qualified",
            "Insights": {"LeadReadinessScore": "High",
                         "ChannelRecommendation": {"RecommendedChannel": "Email"}}}}}]},
    "GetEngagement": {"Catalog": "Sandbox", "Identifier": "eng-abcdefghij1234"},
    "ListEngagements": {"Catalog": "Sandbox", "MaxResults": 10, "CreatedBy": ["111111111111"],
                        "ExcludeCreatedBy": ["aws"], "ContextTypes": ["Lead"],
                        "ExcludeContextTypes": ["ProspectingResult"],
                        "EngagementIdentifier": ["eng-abcdefghij1234"],
                        "Sort": {"SortBy": "CreatedDate", "SortOrder": "DESCENDING"}},
    "SearchEngagements": {"Catalog": "Sandbox", "Keyword": "acme", "MaxResults": 10,
                          "Filter": {"AndAllFilters": [
                              {"EqualsTo": {"Key": "LeadQualificationStatus", "Value": {"StringValue": "Qualified"}}},
                              {"NotFilter": {"ContainsAny": {"Key": "Title",
                                                             "Value": {"StringListValue": ["x", "y"]}}}},
                              {"GreaterThan": {"Key": "MemberCount", "Value": {"LongValue": 1}}}]},
                          "Sort": {"SortBy": "CreatedAt", "SortOrder": "ASCENDING"}},
    "ListEngagementGroups": {"Catalog": "Sandbox", "ReadinessLevel": "SalesReady", "MaxResults": 10,
                             "EngagementGroupIdentifiers": ["eng-grp-abcdefghij1234"],
                             "Sort": {"SortBy": "Count", "SortOrder": "DESCENDING"}},
    "ListEngagementMembers": {"Catalog": "Sandbox", "Identifier": "eng-abcdefghij1234", "MaxResults": 5},
    "ListEngagementResourceAssociations": {"Catalog": "Sandbox", "EngagementIdentifier": "eng-abcdefghij1234",
                                           "ResourceType": "Opportunity", "ResourceIdentifier": "O1",
                                           "CreatedBy": "111111111111", "MaxResults": 10},
    "CreateEngagementContext": {"Catalog": "Sandbox", "ClientToken": "token-c1",
                                "EngagementIdentifier": "eng-abcdefghij1234", "Type": "CustomerProject",
                                "Payload": {"CustomerProject": {
                                    "Customer": {"CompanyName": "Acme", "CountryCode": "US",
                                                 "Industry": "Software and Internet",
                                                 "WebsiteUrl": "https://acme.example.com"},
                                    "Project": {"Title": "Data platform", "TargetCompletionDate": "2027-06-30",
                                                "BusinessProblem": "The customer runs out of capacity."}}}},
    "UpdateEngagementContext": {"Catalog": "Sandbox", "EngagementIdentifier": "eng-abcdefghij1234",
                                "ContextIdentifier": "1", "EngagementLastModifiedAt": "2026-01-01T00:00:00Z",
                                "Type": "Lead", "Payload": {"Lead": {
                                    "QualificationStatus": "Qualified", "Customer": {"CompanyName": "Acme"},
                                    "Interaction": {"SourceType": "Call", "Contact": {
                                        "BusinessTitle": "CTO", "Email": "cto@acme.example.com",
                                        "FirstName": "Ada", "LastName": "L"}}}}},
    "StartOpportunityFromEngagementTask": {"Catalog": "Sandbox", "ClientToken": "token-t1",
                                           "Identifier": "eng-abcdefghij1234", "ContextIdentifier": "1",
                                           "Tags": [{"Key": "team", "Value": "east"}]},
    "ListOpportunityFromEngagementTasks": {"Catalog": "Sandbox", "MaxResults": 10, "TaskStatus": ["COMPLETE"],
                                           "TaskIdentifier": ["task-abcdefghij123"],
                                           "OpportunityIdentifier": ["O1"],
                                           "EngagementIdentifier": ["eng-abcdefghij1234"],
                                           "ContextIdentifier": ["1"],
                                           "Sort": {"SortBy": "StartTime", "SortOrder": "ASCENDING"}},
    "StartProspectingFromEngagementTask": {"Catalog": "Sandbox", "ClientToken": "token-p1",
                                           "Identifiers": ["eng-abcdefghij1234"], "TaskName": "enrich"},
    "GetProspectingFromEngagementTask": {"Catalog": "Sandbox", "TaskIdentifier": "task-abcdefghij1234"},
    "ListProspectingFromEngagementTasks": {"Catalog": "Sandbox", "MaxResults": 10,
                                           "TaskIdentifier": ["task-abcdefghij1234"], "TaskName": ["enrich"],
                                           "StartAfter": "2026-01-01T00:00:00Z",
                                           "StartBefore": "2027-01-01T00:00:00Z",
                                           "Sort": {"SortBy": "TaskName", "SortOrder": "ASCENDING"}},
    "CreateOpportunity": dict(copy.deepcopy(OPPORTUNITY), Catalog="Sandbox", ClientToken="token-1",
                              OpportunityTeam=[{"Email": "rep@partner.example.com", "FirstName": "Rep",
                                                "LastName": "One", "BusinessTitle": "OpportunityOwner"}],
                              Origin="Partner Referral", Tags=[{"Key": "team", "Value": "east"}]),
    "UpdateOpportunity": dict(copy.deepcopy(OPPORTUNITY), Catalog="Sandbox", Identifier="O1",
                              LastModifiedDate="2026-01-01T00:00:00Z"),
    "GetOpportunity": {"Catalog": "AWS", "Identifier": "O1"},
    "ListOpportunities": {
        "Catalog": "AWS", "MaxResults": 10, "Sort": {"SortBy": "CreatedDate", "SortOrder": "ASCENDING"},
        "LifeCycleStage": ["Prospect"], "LifeCycleReviewStatus": ["Approved"], "Identifier": ["O1"],
        "CustomerCompanyName": ["Acme"], "TargetCloseDate": {"AfterTargetCloseDate": "2027-01-01"},
    },
    "AssignOpportunity": {"Catalog": "AWS", "Identifier": "O1", "Assignee": {
        "Email": "new@partner.example.com", "FirstName": "New", "LastName": "Owner",
        "BusinessTitle": "OpportunityOwner", "Phone": "+12065550100"}},
    "AssociateOpportunity": {"Catalog": "AWS", "OpportunityIdentifier": "O1",
                             "RelatedEntityType": "Solutions", "RelatedEntityIdentifier": "S-1234567"},
    "DisassociateOpportunity": {"Catalog": "AWS", "OpportunityIdentifier": "O1",
                                "RelatedEntityType": "Solutions", "RelatedEntityIdentifier": "S-1234567"},
    "SubmitOpportunity": {"Catalog": "AWS", "Identifier": "O1", "InvolvementType": "Co-Sell",
                          "Visibility": "Full"},
    "StartEngagementFromOpportunityTask": {
        "Catalog": "AWS", "ClientToken": "token-2", "Identifier": "O1",
        "AwsSubmission": {"InvolvementType": "Co-Sell", "Visibility": "Full"},
        "Tags": [{"Key": "k", "Value": "v"}]},
    "ListEngagementFromOpportunityTasks": {
        "Catalog": "AWS", "MaxResults": 10, "Sort": {"SortBy": "StartTime", "SortOrder": "ASCENDING"},
        "TaskIdentifier": [TASK_ID], "OpportunityIdentifier": ["O1"],
        "EngagementIdentifier": ["eng-abcdefghij1234"], "TaskStatus": ["COMPLETE"]},
    "ListSolutions": {"Catalog": "AWS", "MaxResults": 5, "Status": ["Active"], "Identifier": ["S-1234567"],
                      "Category": ["Compute"], "Sort": {"SortBy": "Name", "SortOrder": "ASCENDING"}},
    "ListEngagementInvitations": {
        "Catalog": "Sandbox", "ParticipantType": "RECEIVER", "MaxResults": 10,
        "Sort": {"SortBy": "InvitationDate", "SortOrder": "DESCENDING"},
        "PayloadType": ["OpportunityInvitation"], "Status": ["PENDING"],
        "EngagementIdentifier": ["eng-abcdefghij1234"], "SenderAwsAccountId": ["aws"]},
    "GetEngagementInvitation": {"Catalog": "Sandbox", "Identifier": INVITATION_ID},
    "AcceptEngagementInvitation": {"Catalog": "Sandbox", "Identifier": INVITATION_ID},
    "RejectEngagementInvitation": {"Catalog": "Sandbox", "Identifier": INVITATION_ID,
                                   "RejectionReason": "Customer problem unclear"},
    "StartEngagementByAcceptingInvitationTask": {
        "Catalog": "Sandbox", "ClientToken": "token-3", "Identifier": INVITATION_ID,
        "Tags": [{"Key": "k", "Value": "v"}]},
    "ListEngagementByAcceptingInvitationTasks": {
        "Catalog": "Sandbox", "MaxResults": 10, "Sort": {"SortBy": "StartTime", "SortOrder": "ASCENDING"},
        "TaskIdentifier": [TASK_ID], "OpportunityIdentifier": ["O1"],
        "EngagementInvitationIdentifier": [INVITATION_ID], "TaskStatus": ["COMPLETE"]},
    "CreateEngagementInvitation": {
        "Catalog": "Sandbox", "ClientToken": "token-4", "EngagementIdentifier": "eng-abcdefghij1234",
        "Invitation": {"Message": "Join us on this deal",
                       "Receiver": {"Account": {"AwsAccountId": "222222222222", "Alias": "Partner B"}},
                       "Payload": {"OpportunityInvitation": {
                           "Customer": {"CompanyName": "Acme", "CountryCode": "US",
                                        "Industry": "Software and Internet", "WebsiteUrl": "https://acme.example.com"},
                           "Project": {"Title": "Data platform", "TargetCompletionDate": "2027-06-30",
                                       "BusinessProblem": "The customer runs out of capacity every quarter end.",
                                       "ExpectedCustomerSpend": [{"Amount": "100", "CurrencyCode": "USD",
                                                                  "Frequency": "Monthly", "TargetCompany": "AWS"}]},
                           "ReceiverResponsibilities": ["Services Partner"],
                           "SenderContacts": [{"Email": "rep@partner.example.com", "FirstName": "Rep"}]}}}},
    "GetAwsOpportunitySummary": {"Catalog": "AWS", "RelatedOpportunityIdentifier": "O1"},
}

CANDIDATES = ["", "!", "not valid!", "x" * 3000, "\u0000"]


def _violating_string(shape):
    """A string breaking the shape's pattern or length, or None if none is found."""
    md = shape.metadata
    if md.get("max") is not None:
        return "x" * (md["max"] + 1)
    if md.get("min"):
        return ""
    pat = md.get("pattern")
    if not pat:
        return None
    try:
        rx = re.compile(pat, re.S)
    except re.error:
        rx = None
    for c in CANDIDATES:
        if rx is not None and not rx.fullmatch(c):
            return c
    return None


def _cases(op, shape, value, path, out):
    t = shape.type_name
    if t == "structure":
        for name in shape.required_members:
            if name in value:
                out.append((op, f"{path}{name}", "remove", "REQUIRED_FIELD_MISSING"))
        for name, v in value.items():
            _cases(op, shape.members[name], v, f"{path}{name}.", out)
    elif t == "list":
        p = path.rstrip(".")
        mx, mn = shape.metadata.get("max"), shape.metadata.get("min")
        if mx is not None:
            out.append((op, p, ("replicate", mx + 1), "TOO_MANY_VALUES"))
        if mn:
            out.append((op, p, ("set", []), "NOT_ENOUGH_VALUES"))
        for i, v in enumerate(value):
            _cases(op, shape.member, v, f"{p}[{i}].", out)
    elif t == "string":
        p = path.rstrip(".")
        if shape.enum:
            out.append((op, p, ("set", "NotAValidValue"), "INVALID_ENUM_VALUE"))
        else:
            bad = _violating_string(shape)
            if bad is not None:
                out.append((op, p, ("set", bad), "INVALID_STRING_FORMAT"))
    elif t in ("integer", "long"):
        p = path.rstrip(".")
        if shape.metadata.get("max") is not None:
            out.append((op, p, ("set", shape.metadata["max"] + 1), "VALUE_OUT_OF_RANGE"))
        if shape.metadata.get("min") is not None:
            out.append((op, p, ("set", shape.metadata["min"] - 1), "VALUE_OUT_OF_RANGE"))


def _all_cases():
    out = []
    for op, base in BASES.items():
        _cases(op, MODEL.operation_model(op).input_shape, base, "", out)
    return out


CASES = _all_cases()


def _split(path):
    parts = []
    for piece in path.split("."):
        m = re.fullmatch(r"(\w+)((?:\[\d+\])*)", piece)
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return parts


def _apply(body, path, action):
    parts = _split(path)
    parent = body
    for p in parts[:-1]:
        parent = parent[p]
    last = parts[-1]
    if action == "remove":
        del parent[last]
    elif action[0] == "set":
        parent[last] = action[1]
    elif action[0] == "replicate":
        parent[last] = [copy.deepcopy(parent[last][0])] * action[1]


def _idempotency_tokens(op):
    shape = MODEL.operation_model(op).input_shape
    return {n for n, m in shape.members.items() if m.metadata.get("idempotencyToken")}


@pytest.fixture(scope="module")
def raw_client(server):
    return server.client(check_shapes=False, parameter_validation=False)


@pytest.mark.parametrize("op", sorted(BASES))
def test_base_request_passes_validation(raw_client, op):
    try:
        getattr(raw_client, xform_name(op))(**copy.deepcopy(BASES[op]))
    except raw_client.exceptions.ValidationException as e:
        assert e.response["Reason"] != "REQUEST_VALIDATION_FAILED", e.response["ErrorList"]
    except (raw_client.exceptions.ResourceNotFoundException, raw_client.exceptions.ConflictException):
        pass


def test_every_implemented_operation_and_rule_is_covered(server):
    """BASES has a request for exactly the operations the server says it implements."""
    assert set(BASES) == implemented_operations(server)
    assert {c[0] for c in CASES} == set(BASES)
    codes = {c[3] for c in CASES}
    assert codes >= {"REQUIRED_FIELD_MISSING", "INVALID_ENUM_VALUE", "INVALID_STRING_FORMAT",
                     "TOO_MANY_VALUES", "NOT_ENOUGH_VALUES", "VALUE_OUT_OF_RANGE"}
    assert len(CASES) > 150


@pytest.mark.parametrize("op,path,action,code", CASES, ids=[f"{c[0]}:{c[1]}:{c[3]}" for c in CASES])
def test_violation_is_reported_with_field_and_code(server, raw_client, op, path, action, code):
    body = copy.deepcopy(BASES[op])
    _apply(body, path, action)
    member = MODEL.operation_model(op).input_shape.members.get(path)
    if action == "remove" and member is not None and path in _idempotency_tokens(op):
        # SDKs fill a missing idempotency token themselves: only raw HTTP can omit it.
        status, _, r = server.call(op, body)
        assert status == 400 and r["__type"].endswith("#ValidationException")
    else:
        with pytest.raises(raw_client.exceptions.ValidationException) as e:
            getattr(raw_client, xform_name(op))(**body)
        r = e.value.response
        assert r["Error"]["Code"] == "ValidationException"
    assert r["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert {"FieldName": path, "Code": code} in [
        {"FieldName": x.get("FieldName"), "Code": x["Code"]} for x in r["ErrorList"]], r["ErrorList"]
    for entry in r["ErrorList"]:
        assert entry["Message"]
