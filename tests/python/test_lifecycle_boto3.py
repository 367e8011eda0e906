"""The opportunity lifecycle through boto3: create → associate → submit → AWS review → summary."""
import datetime

import pytest

from conftest import (ACCOUNT, OTHER_ACCOUNT, approve, create_submitted, opportunity_input,
                      update_input)


def test_create_returns_increasing_ids_and_pending_submission(client):
    a = client.create_opportunity(Catalog="Sandbox", **opportunity_input())
    b = client.create_opportunity(Catalog="Sandbox", **opportunity_input())
    assert a["Id"].startswith("O") and int(b["Id"][1:]) > int(a["Id"][1:])
    assert isinstance(a["LastModifiedDate"], datetime.datetime)
    opp = client.get_opportunity(Catalog="Sandbox", Identifier=a["Id"])
    assert opp["LifeCycle"]["ReviewStatus"] == "Pending Submission"
    assert opp["Arn"] == f"arn:aws:partnercentral:us-east-1:{ACCOUNT}:catalog/Sandbox/opportunity/{a['Id']}"
    assert opp["CreatedDate"] == opp["LastModifiedDate"] == a["LastModifiedDate"]
    assert opp["Customer"]["Account"]["CompanyName"] == "Acme Corp"
    # AWS always answers the four lists, and its server defaults (captured).
    assert opp["RelatedEntityIdentifiers"] == {"AwsMarketplaceOffers": [], "AwsMarketplaceOfferSets": [],
                                               "AwsProducts": [], "Solutions": []}
    assert opp["Marketing"] == {"Source": "None"} and opp["NationalSecurity"] == "No"
    assert opp["OpportunityTeam"][0]["BusinessTitle"] == "OpportunityOwner"


def test_summary_is_not_found_until_aws_approves(client):
    body = opportunity_input()
    del body["PrimaryNeedsFromAws"]  # For Visibility Only: no co-sell needs (AWS refuses them)
    oid = client.create_opportunity(Catalog="Sandbox", **body)["Id"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                 RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                 RelatedEntityType="AwsProducts", RelatedEntityIdentifier="AmazonEC2")
    task = client.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=oid,
        AwsSubmission={"InvolvementType": "For Visibility Only", "Visibility": "Limited"})
    assert task["TaskStatus"] == "COMPLETE"
    assert task["OpportunityId"] == oid
    assert task["EngagementId"].startswith("eng-") and task["EngagementInvitationId"].startswith("engi-")
    assert task["ResourceSnapshotJobId"].startswith("job-")
    assert client.get_opportunity(Catalog="Sandbox", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as e:
        client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert "Submitted" in e.value.response["Error"]["Message"]

    approve(client, oid, ReviewComments="Looks good")
    s = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert s["Catalog"] == "Sandbox"
    assert s["RelatedOpportunityId"] == oid
    assert s["Origin"] == "Partner Referral"
    assert s["InvolvementType"] == "For Visibility Only"
    assert s["Visibility"] == "Limited"
    assert s["Customer"]["Contacts"][0]["Email"] == "ann@acme.example.com"
    assert s["Project"]["ExpectedCustomerSpend"][0]["Amount"] == "5000"
    assert "LifeCycle" not in s  # AWS's own, none yet (captured 2026)
    assert s["RelatedEntityIds"] == {"Solutions": ["S-1234567"], "AwsProducts": ["AmazonEC2"]}
    assert s["OpportunityTeam"][0]["BusinessTitle"] == "PDM"
    opp = client.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert opp["LifeCycle"]["ReviewStatus"] == "Approved"
    assert opp["LifeCycle"]["ReviewComments"] == "Looks good"


def aws_next_steps(server, oid, steps):
    """AWS's side changes its next steps (the control plane plays AWS)."""
    from test_control_plane import admin
    status, _, body = admin(server, "PATCH", f"/accounts/{ACCOUNT}/catalogs/Sandbox/aws-opportunities/{oid}",
                            {"LifeCycle": {"NextSteps": steps}})
    assert status == 200, body


def test_summary_mirrors_partner_changes_and_records_aws_next_steps_history(server, client):
    oid = create_submitted(client)
    approve(client, oid)
    s = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    # As AWS answered in 2026 (captured): the summary's LifeCycle is AWS's own, not a copy of
    # the partner's next steps.
    assert "LifeCycle" not in s
    body = update_input(client.get_opportunity(Catalog="Sandbox", Identifier=oid))
    body["LifeCycle"]["NextSteps"] = "Partner's own next step"
    body["Customer"]["Contacts"][0]["FirstName"] = "Anna"
    client.update_opportunity(**body)
    s = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert "LifeCycle" not in s
    assert s["Customer"]["Contacts"][0]["FirstName"] == "Anna"
    for step in ["Run the workshop", "Send the proposal"]:
        aws_next_steps(server, oid, step)
    s = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert s["LifeCycle"]["NextSteps"] == "Send the proposal"
    history = s["LifeCycle"]["NextStepsHistory"]
    assert [h["Value"] for h in history] == ["Run the workshop", "Send the proposal"]
    assert all(h["Time"].tzinfo is not None for h in history)
    assert history[0]["Time"] <= history[1]["Time"]


def test_next_steps_history_keeps_the_last_fifty(server, client):
    oid = create_submitted(client)
    approve(client, oid)
    for i in range(53):
        aws_next_steps(server, oid, f"step {i}")
    history = client.get_aws_opportunity_summary(
        Catalog="Sandbox", RelatedOpportunityIdentifier=oid)["LifeCycle"]["NextStepsHistory"]
    assert len(history) == 50
    assert history[0]["Value"] == "step 3" and history[-1]["Value"] == "step 52"


def test_submitted_opportunity_is_locked_for_the_partner(client):
    oid = create_submitted(client)
    body = update_input(client.get_opportunity(Catalog="Sandbox", Identifier=oid))
    body["Project"]["Title"] = "Changed"
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_opportunity(**body)
    r = e.value.response
    assert r["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert r["ErrorList"][0]["Code"] == "INVALID_RESOURCE_STATE"
    assert client.get_opportunity(Catalog="Sandbox", Identifier=oid)["Project"]["Title"] == "Data platform migration"


def test_action_required_allows_only_the_documented_fields(client):
    oid = create_submitted(client)
    approve(client, oid, status="Action Required", ReviewComments="Fix the problem statement",
            ReviewStatusReason="Additional information needed")
    opp = client.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert opp["LifeCycle"]["ReviewStatus"] == "Action Required"
    assert opp["LifeCycle"]["ReviewStatusReason"] == "Additional information needed"
    bad = update_input(opp)
    bad["Project"]["Title"] = "Not allowed now"
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_opportunity(**bad)
    assert e.value.response["ErrorList"] == [{
        "FieldName": "project.title", "Code": "ACTION_NOT_PERMITTED",
        "Message": e.value.response["ErrorList"][0]["Message"]}]
    good = update_input(opp)
    good["Project"]["CustomerBusinessProblem"] = "A clearer statement of the customer's problem."
    client.update_opportunity(**good)
    after = client.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert after["Project"]["CustomerBusinessProblem"].startswith("A clearer")
    assert after["LifeCycle"]["ReviewStatus"] == "Submitted"


def test_approved_opportunity_freezes_customer_identity(client):
    oid = create_submitted(client)
    approve(client, oid)
    body = update_input(client.get_opportunity(Catalog="Sandbox", Identifier=oid))
    body["Customer"]["Account"]["WebsiteUrl"] = "https://other.example.com"
    body["Project"]["Title"] = "Renamed"
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_opportunity(**body)
    fields = sorted(x["FieldName"] for x in e.value.response["ErrorList"])
    assert fields == ["customer.account.websiteUrl", "project.title"]


def test_rejected_opportunity_is_read_only_and_has_no_summary(client):
    oid = create_submitted(client)
    approve(client, oid, status="Rejected")
    body = update_input(client.get_opportunity(Catalog="Sandbox", Identifier=oid))
    body["LifeCycle"]["NextSteps"] = "anything"
    with pytest.raises(client.exceptions.ValidationException):
        client.update_opportunity(**body)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)


def test_aws_catalog_does_not_let_the_partner_approve(client):
    oid = create_submitted(client, catalog="AWS")
    with pytest.raises(client.exceptions.ValidationException) as e:
        approve(client, oid, catalog="AWS")
    assert e.value.response["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert e.value.response["ErrorList"][0]["FieldName"] == "lifeCycle.reviewStatus"
    assert client.get_opportunity(Catalog="AWS", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"


def test_review_before_submission_is_refused(client):
    oid = client.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    with pytest.raises(client.exceptions.ValidationException) as e:
        approve(client, oid)
    assert e.value.response["ErrorList"][0]["Code"] == "INVALID_RESOURCE_STATE"


def test_stale_last_modified_date_is_a_conflict(client):
    oid = client.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    stale = update_input(client.get_opportunity(Catalog="Sandbox", Identifier=oid))
    fresh = dict(stale, PartnerOpportunityIdentifier="CRM-1")
    client.update_opportunity(**fresh)
    with pytest.raises(client.exceptions.ConflictException):
        client.update_opportunity(**dict(stale, PartnerOpportunityIdentifier="CRM-2"))
    assert client.get_opportunity(Catalog="Sandbox", Identifier=oid)["PartnerOpportunityIdentifier"] == "CRM-1"


def test_update_replaces_the_whole_record(client):
    oid = client.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    body = update_input(client.get_opportunity(Catalog="Sandbox", Identifier=oid))
    for member in ("DeliveryModels", "SalesActivities", "CustomerUseCase"):
        del body["Project"][member]
    del body["Customer"]["Contacts"]
    out = client.update_opportunity(**body)
    assert out["Id"] == oid
    opp = client.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert not {"DeliveryModels", "SalesActivities", "CustomerUseCase"} & set(opp["Project"])
    assert opp["Customer"]["Contacts"] == []
    assert opp["LastModifiedDate"] == out["LastModifiedDate"]
    assert opp["LastModifiedDate"] > opp["CreatedDate"]


def test_client_token_makes_create_idempotent(client):
    body = opportunity_input()
    a = client.create_opportunity(Catalog="Sandbox", ClientToken="tok-1", **body)
    b = client.create_opportunity(Catalog="Sandbox", ClientToken="tok-1", **body)
    assert a["Id"] == b["Id"]
    body["Project"]["Title"] = "Different"
    with pytest.raises(client.exceptions.ConflictException) as e:
        client.create_opportunity(Catalog="Sandbox", ClientToken="tok-1", **body)
    assert "Conflicting client token" in e.value.response["Error"]["Message"]


def test_aws_referral_origin_is_only_for_the_sandbox(server, fresh_account):
    client = server.client(account=fresh_account)
    with pytest.raises(client.exceptions.ValidationException):
        client.create_opportunity(Catalog="AWS", Origin="AWS Referral", **opportunity_input())
    # In the Sandbox it simulates AWS referring the opportunity: an invitation, accepted into
    # the pipeline as an approved AWS-originated opportunity.
    oid = client.create_opportunity(Catalog="Sandbox", Origin="AWS Referral", **opportunity_input())["Id"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_opportunity(Catalog="Sandbox", Identifier=oid)
    [invitation] = client.list_engagement_invitations(
        Catalog="Sandbox", ParticipantType="RECEIVER")["EngagementInvitationSummaries"]
    task = client.start_engagement_by_accepting_invitation_task(
        Catalog="Sandbox", Identifier=invitation["Id"], ClientToken="accept")
    assert task["OpportunityId"] == oid
    summary = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=oid)
    assert summary["Origin"] == "AWS Referral"


def test_accounts_and_catalogs_never_see_each_other(server, fresh_account):
    mine = server.client(account=fresh_account)
    theirs = server.client(account=OTHER_ACCOUNT)
    oid = create_submitted(mine)
    approve(mine, oid)
    for c, catalog in [(theirs, "Sandbox"), (mine, "AWS")]:
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_opportunity(Catalog=catalog, Identifier=oid)
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_aws_opportunity_summary(Catalog=catalog, RelatedOpportunityIdentifier=oid)
        ids = [o["Id"] for o in c.list_opportunities(Catalog=catalog, MaxResults=100)["OpportunitySummaries"]]
        assert oid not in ids
    assert [o["Id"] for o in mine.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"]] == [oid]


def test_list_filters_sorts_and_pages(server, fresh_account):
    c = server.client(account=fresh_account)
    ids = []
    for i in range(7):
        body = opportunity_input()
        body["Customer"]["Account"]["CompanyName"] = f"Company {i % 2}"
        body["LifeCycle"]["Stage"] = "Qualified" if i < 3 else "Prospect"
        ids.append(c.create_opportunity(Catalog="Sandbox", **body)["Id"])
    page = c.list_opportunities(Catalog="Sandbox", MaxResults=3,
                                Sort={"SortBy": "Identifier", "SortOrder": "ASCENDING"})
    assert [o["Id"] for o in page["OpportunitySummaries"]] == ids[:3]
    rest = c.list_opportunities(Catalog="Sandbox", MaxResults=3, NextToken=page["NextToken"],
                                Sort={"SortBy": "Identifier", "SortOrder": "ASCENDING"})
    assert [o["Id"] for o in rest["OpportunitySummaries"]] == ids[3:6]
    last = c.list_opportunities(Catalog="Sandbox", MaxResults=3, NextToken=rest["NextToken"],
                                Sort={"SortBy": "Identifier", "SortOrder": "ASCENDING"})
    assert [o["Id"] for o in last["OpportunitySummaries"]] == ids[6:]
    assert "NextToken" not in last
    default = c.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"]
    assert [o["Id"] for o in default] == ids[::-1]  # LastModifiedDate, newest first
    qualified = c.list_opportunities(Catalog="Sandbox", LifeCycleStage=["Qualified"])["OpportunitySummaries"]
    assert sorted(o["Id"] for o in qualified) == sorted(ids[:3])
    by_name = c.list_opportunities(Catalog="Sandbox", CustomerCompanyName=["Company 1"])["OpportunitySummaries"]
    assert sorted(o["Id"] for o in by_name) == sorted(ids[1::2])
    by_id = c.list_opportunities(Catalog="Sandbox", Identifier=[ids[2], ids[4]])["OpportunitySummaries"]
    assert sorted(o["Id"] for o in by_id) == sorted([ids[2], ids[4]])
    summary = default[0]
    assert summary["Customer"]["Account"]["CompanyName"].startswith("Company")
    assert "Contacts" not in summary["Customer"]
    paginator = c.get_paginator("list_opportunities")
    seen = [o["Id"] for p in paginator.paginate(Catalog="Sandbox", PaginationConfig={"PageSize": 2})
            for o in p["OpportunitySummaries"]]
    assert sorted(seen) == sorted(ids)


def test_list_by_last_modified_date_supports_incremental_sync(server, fresh_account):
    c = server.client(account=fresh_account)
    first = c.create_opportunity(Catalog="Sandbox", **opportunity_input())
    second = c.create_opportunity(Catalog="Sandbox", **opportunity_input())
    since = c.list_opportunities(Catalog="Sandbox", LastModifiedDate={
        "AfterLastModifiedDate": second["LastModifiedDate"]})["OpportunitySummaries"]
    assert [o["Id"] for o in since] == [second["Id"]]
    assert first["Id"] != second["Id"]


def test_a_foreign_next_token_is_refused(client):
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.list_opportunities(Catalog="Sandbox", NextToken="not-a-token")
    assert e.value.response["ErrorList"][0]["FieldName"] == "NextToken"


def test_assign_replaces_the_owner(client):
    oid = client.create_opportunity(Catalog="Sandbox", **opportunity_input(OpportunityTeam=[
        {"Email": "owner@partner.example.com", "FirstName": "Old", "LastName": "Owner",
         "BusinessTitle": "OpportunityOwner"}]))["Id"]
    client.assign_opportunity(Catalog="Sandbox", Identifier=oid, Assignee={
        "Email": "new@partner.example.com", "FirstName": "New", "LastName": "Owner",
        "BusinessTitle": "OpportunityOwner"})
    team = client.get_opportunity(Catalog="Sandbox", Identifier=oid)["OpportunityTeam"]
    assert [m["Email"] for m in team] == ["new@partner.example.com"]


def test_associations_have_limits_and_unknown_solutions_are_not_found(client):
    oid = client.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                     RelatedEntityType="Solutions", RelatedEntityIdentifier="S-9999999")
    for i in range(20):
        client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                     RelatedEntityType="AwsProducts", RelatedEntityIdentifier=f"Product{i}")
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                     RelatedEntityType="AwsProducts", RelatedEntityIdentifier="OneTooMany")
    assert e.value.response["ErrorList"][0]["Code"] == "TOO_MANY_VALUES"
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                     RelatedEntityType="AwsMarketplaceOffers", RelatedEntityIdentifier="offer-1")
    assert e.value.response["ErrorList"][0]["Code"] == "INVALID_STRING_FORMAT"
    offer = "arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/Offer/offer-abc"
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                 RelatedEntityType="AwsMarketplaceOffers", RelatedEntityIdentifier=offer)
    client.disassociate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                    RelatedEntityType="AwsProducts", RelatedEntityIdentifier="Product0")
    related = client.get_opportunity(Catalog="Sandbox", Identifier=oid)["RelatedEntityIdentifiers"]
    assert len(related["AwsProducts"]) == 19 and related["AwsMarketplaceOffers"] == ["offer-abc"]  # answered as its id (captured)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                                        RelatedEntityType="AwsProducts", RelatedEntityIdentifier="Product0")


def test_submit_opportunity_and_resubmission(client):
    oid = client.create_opportunity(Catalog="AWS", **opportunity_input())["Id"]
    client.submit_opportunity(Catalog="AWS", Identifier=oid, InvolvementType="Co-Sell")
    assert client.get_opportunity(Catalog="AWS", Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted"
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.submit_opportunity(Catalog="AWS", Identifier=oid, InvolvementType="Co-Sell")
    assert e.value.response["ErrorList"][0]["Code"] == "INVALID_RESOURCE_STATE"
    task = client.start_engagement_from_opportunity_task(
        Catalog="AWS", Identifier=oid, AwsSubmission={"InvolvementType": "Co-Sell"})
    assert task["TaskStatus"] == "FAILED" and task["ReasonCode"] == "OpportunitySubmissionFailed"


def test_engagement_tasks_are_listed_and_filtered(server, fresh_account):
    c = server.client(account=fresh_account)
    a = create_submitted(c)
    b = create_submitted(c)
    tasks = c.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"]
    assert sorted(t["OpportunityId"] for t in tasks) == sorted([a, b])
    only_a = c.list_engagement_from_opportunity_tasks(Catalog="Sandbox", OpportunityIdentifier=[a])
    assert [t["OpportunityId"] for t in only_a["TaskSummaries"]] == [a]
    task_id = only_a["TaskSummaries"][0]["TaskId"]
    by_arn = c.list_engagement_from_opportunity_tasks(
        Catalog="Sandbox", TaskIdentifier=[only_a["TaskSummaries"][0]["TaskArn"]])
    assert [t["TaskId"] for t in by_arn["TaskSummaries"]] == [task_id]


def test_every_account_starts_with_the_sample_solution(server, fresh_account):
    c = server.client(account=fresh_account)
    for catalog in ["AWS", "Sandbox"]:
        sols = c.list_solutions(Catalog=catalog)["SolutionSummaries"]
        # S-0059717 is the sample every real Sandbox account has (AWS's samples use it).
        assert [(s["Id"], s["Name"], s["Status"]) for s in sols] == [
            ("S-0059717", "Sample Solution", "Active"), ("S-1234567", "Sample Solution", "Active")]
        assert sols[0]["Arn"] == f"arn:aws:partnercentral:us-east-1:{fresh_account}:catalog/{catalog}/solution/S-0059717"
    assert c.list_solutions(Catalog="AWS", Status=["Inactive"])["SolutionSummaries"] == []


def test_not_found_for_unknown_opportunity(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_opportunity(Catalog="AWS", Identifier="O999999999")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_aws_opportunity_summary(Catalog="AWS", RelatedOpportunityIdentifier="O999999999")


def test_list_filters_by_created_and_target_close_dates(server, fresh_account):
    c = server.client(account=fresh_account)
    early = opportunity_input()
    early["LifeCycle"]["TargetCloseDate"] = "2027-01-15"
    late = opportunity_input()
    late["LifeCycle"]["TargetCloseDate"] = "2027-09-15"
    a = c.create_opportunity(Catalog="AWS", **early)
    b = c.create_opportunity(Catalog="AWS", **late)
    got = c.list_opportunities(Catalog="AWS", TargetCloseDate={
        "AfterTargetCloseDate": "2027-06-01"})["OpportunitySummaries"]
    assert [o["Id"] for o in got] == [b["Id"]]
    got = c.list_opportunities(Catalog="AWS", TargetCloseDate={
        "BeforeTargetCloseDate": "2027-06-01"})["OpportunitySummaries"]
    assert [o["Id"] for o in got] == [a["Id"]]
    got = c.list_opportunities(Catalog="AWS", CreatedDate={
        "AfterCreatedDate": b["LastModifiedDate"]})["OpportunitySummaries"]
    assert [o["Id"] for o in got] == [b["Id"]]
    got = c.list_opportunities(Catalog="AWS", CreatedDate={"BeforeCreatedDate": b["LastModifiedDate"]},
                               Sort={"SortBy": "TargetCloseDate", "SortOrder": "ASCENDING"})
    assert [o["Id"] for o in got["OpportunitySummaries"]] == [a["Id"]]
