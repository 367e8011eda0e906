"""AWS's business validation, case by case from the server's own rule table
(`GET /_admin/rules`): for every rule a request that breaks only that rule is refused with the
rule's FieldName, Code and message, and nothing is written; requests at the edge of a rule pass.
A rule without a case fails `test_every_rule_has_a_case`."""
import copy
import datetime
import json

import pytest

from conftest import Server, opportunity_input, update_input
from test_control_plane import admin

TODAY = datetime.date.today()
OFFER = "arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/Offer/offer-abc123"
CO_SELL = {"InvolvementType": "Co-Sell", "Visibility": "Full"}
FVO = {"InvolvementType": "For Visibility Only", "Visibility": "Full"}


def at(body, path, value=None, delete=False):
    """Sets (or deletes) a dotted path of a request body, creating objects on the way."""
    parts = path.split(".")
    cur = body
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    if delete:
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value
    return body


def spend(body, **member):
    body["Project"]["ExpectedCustomerSpend"][0].update(member)
    return body


def without_spend_member(body, member):
    del body["Project"]["ExpectedCustomerSpend"][0][member]
    return body


def no_needs(body):
    body.pop("PrimaryNeedsFromAws", None)
    return body


def revenue_without(member):
    """SoftwareRevenue with every member U8 asks for at Launched but `member`."""
    revenue = {"DeliveryModel": "Contract", "Value": {"Amount": "1000", "CurrencyCode": "USD"},
               "EffectiveDate": "2026-01-01", "ExpirationDate": "2027-01-01"}
    return at(revenue, member, delete=True)


# Rules the model's own shapes already enforce: the request is refused at request validation
# (REQUEST_VALIDATION_FAILED), before any business rule runs — as on AWS.
MODEL_FIRST = {("C2", "Customer.Account.CompanyName"), ("C2", "Project.ExpectedCustomerSpend.CurrencyCode"),
               ("C2", "Project.ExpectedCustomerSpend.Frequency"),
               ("C2", "Project.ExpectedCustomerSpend.TargetCompany"), ("C8", "Project.CustomerBusinessProblem"),
               ("U8", "SoftwareRevenue.Value.Amount"), ("U8", "SoftwareRevenue.Value.CurrencyCode")}

# (rule id, field, message start) -> how to break only that rule.
#   step: create | update | submit | associate | launch (update of an approved opportunity)
#   mutate: applied to a valid CreateOpportunity body (create/submit) or UpdateOpportunity body
CASES = {
    ("C2", "Customer.Account.CompanyName"): dict(mutate=lambda b: at(b, "Customer.Account.CompanyName", delete=True)),
    ("C2", "Customer.Account.Industry"): dict(mutate=lambda b: at(b, "Customer.Account.Industry", delete=True)),
    ("C2", "Customer.Account.WebsiteUrl"): dict(mutate=lambda b: at(b, "Customer.Account.WebsiteUrl", delete=True)),
    ("C2", "Customer.Account.Address.CountryCode"): dict(
        mutate=lambda b: at(b, "Customer.Account.Address", {"City": "Seattle"})),
    ("C2", "LifeCycle.TargetCloseDate"): dict(mutate=lambda b: at(b, "LifeCycle.TargetCloseDate", delete=True)),
    ("C2", "Project.Title"): dict(mutate=lambda b: at(b, "Project.Title", delete=True)),
    ("C2", "Project.CustomerBusinessProblem"): dict(
        mutate=lambda b: at(b, "Project.CustomerBusinessProblem", delete=True)),
    ("C2", "Project.ExpectedCustomerSpend.Amount"): dict(mutate=lambda b: without_spend_member(b, "Amount")),
    ("C2", "Project.ExpectedCustomerSpend.CurrencyCode"): dict(
        mutate=lambda b: without_spend_member(b, "CurrencyCode")),
    ("C2", "Project.ExpectedCustomerSpend.Frequency"): dict(mutate=lambda b: without_spend_member(b, "Frequency")),
    ("C2", "Project.ExpectedCustomerSpend.TargetCompany"): dict(
        mutate=lambda b: without_spend_member(b, "TargetCompany")),
    ("C3", "Customer.Account.Address.PostalCode"): dict(
        mutate=lambda b: at(b, "Customer.Account.Address.PostalCode", delete=True),
        message="Field Customer.Account.Address.PostalCode is required for country US."),
    ("C4", "Customer.Account.Address.StateOrRegion", "Field Customer.Account.Address.StateOrRegion is required"): dict(
        mutate=lambda b: at(b, "Customer.Account.Address.StateOrRegion", delete=True)),
    ("C4", "Customer.Account.Address.StateOrRegion", "Field Customer.Account.Address.StateOrRegion must be"): dict(
        mutate=lambda b: at(b, "Customer.Account.Address.StateOrRegion", "Ontario")),
    ("C5", "Customer.Account.OtherIndustry"): dict(mutate=lambda b: at(b, "Customer.Account.Industry", "Other")),
    ("C6", "Customer.Account.Industry"): dict(mutate=lambda b: at(b, "NationalSecurity", "Yes")),
    ("C6", "PrimaryNeedsFromAws"): dict(
        mutate=lambda b: at(at(at(b, "NationalSecurity", "Yes"), "Customer.Account.Industry", "Government"),
                            "PrimaryNeedsFromAws", ["Do Not Need Support from AWS Sales Rep"])),
    ("C7", "LifeCycle.TargetCloseDate", "Invalid Data"): dict(
        mutate=lambda b: at(b, "LifeCycle.TargetCloseDate", TODAY.isoformat())),
    ("C7", "LifeCycle.TargetCloseDate", "Invalid date selection"): dict(
        mutate=lambda b: at(b, "LifeCycle.TargetCloseDate", (TODAY.replace(year=TODAY.year + 61)).isoformat())),
    ("C8", "Project.CustomerBusinessProblem"): dict(
        mutate=lambda b: at(b, "Project.CustomerBusinessProblem", "x" * 19)),
    ("C9", "Project.ExpectedCustomerSpend.Amount"): dict(mutate=lambda b: spend(b, Amount="0")),
    ("C10", "Project.ExpectedCustomerSpend.CurrencyCode", "Field"): dict(mutate=lambda b: spend(b, CurrencyCode="GBP")),
    ("C10", "Project.ExpectedCustomerSpend.CurrencyCode", "ESC"): dict(
        mutate=lambda b: at(b, "Project.AwsPartition", "aws-eusc")),
    ("C12", "Marketing.AwsFundingUsed", "marketing.awsFundingUsed is required"): dict(
        mutate=lambda b: at(b, "Marketing", {"Source": "Marketing Activity", "Channels": ["Email"]})),
    ("C12", "Marketing.Channels", "Field Marketing.Channels is required"): dict(
        mutate=lambda b: at(b, "Marketing", {"Source": "Marketing Activity", "AwsFundingUsed": "No"})),
    ("C12", "Marketing.CampaignName"): dict(mutate=lambda b: at(b, "Marketing", {"Source": "None",
                                                                                 "CampaignName": "re:Invent"})),
    ("C12", "Marketing.Channels", "Field Marketing.Channels must be null"): dict(
        mutate=lambda b: at(b, "Marketing", {"Source": "None", "Channels": ["Email"]})),
    ("C12", "Marketing.AwsFundingUsed", "marketing.useCases"): dict(
        mutate=lambda b: at(b, "Marketing", {"Source": "None", "AwsFundingUsed": "No"})),
    ("C12", "Marketing.UseCases"): dict(
        mutate=lambda b: at(b, "Marketing", {"Source": "Marketing Activity", "AwsFundingUsed": "No",
                                             "Channels": ["Email"], "UseCases": ["AI/ML"]})),
    ("C13", "Project.OtherCompetitorNames", "Field Project.OtherCompetitorNames is required"): dict(
        mutate=lambda b: at(b, "Project.CompetitorName", "*Other")),
    ("C13", "Project.OtherCompetitorNames", "Field Project.OtherCompetitorNames is only"): dict(
        mutate=lambda b: at(b, "Project.OtherCompetitorNames", "Some rival")),
    ("C14", "Project.RelatedOpportunityIdentifier"): dict(
        mutate=lambda b: at(b, "Project.RelatedOpportunityIdentifier", "O9999999999"),
        message="Resource with Identifier O9999999999 does not exist or is not accessible"),
    ("C16", "LifeCycle.ClosedLostReason"): dict(mutate=lambda b: at(b, "LifeCycle.ClosedLostReason", "Price")),
    ("C16", "LifeCycle.Stage"): dict(
        mutate=lambda b: at(at(b, "LifeCycle.Stage", "Closed Lost"), "LifeCycle.ClosedLostReason", "Price")),
    ("C18", "Project.CustomerUseCase"): dict(mutate=lambda b: at(b, "Project.CustomerUseCase", "Time travel")),
    ("C19", "PrimaryNeedsFromAws"): dict(
        mutate=lambda b: at(b, "PrimaryNeedsFromAws", ["Co-Sell - Deal Support",
                                                       "Do Not Need Support from AWS Sales Rep"])),
    ("C21", "SoftwareRevenue.ExpirationDate"): dict(
        mutate=lambda b: at(b, "SoftwareRevenue", {"EffectiveDate": "2026-06-01", "ExpirationDate": "2026-01-01"})),
    ("U4", "LifeCycle.Stage"): dict(step="update", mutate=lambda b: at(b, "LifeCycle.Stage", delete=True)),
    ("U5", "LifeCycle.Stage"): dict(step="update", mutate=lambda b: at(b, "LifeCycle.Stage", "Qualified")),
    ("U6", "LifeCycle.ClosedLostReason"): dict(step="launch", mutate=lambda b: at(b, "LifeCycle.Stage", "Closed Lost")),
    ("U7", "RelatedEntityIdentifiers.Solutions"): dict(
        step="launch", solution=False, mutate=lambda b: at(b, "LifeCycle.Stage", "Committed")),
    ("U8", "Customer.Account.AwsAccountId"): dict(step="launch", mutate=lambda b: at(b, "LifeCycle.Stage", "Launched")),
    **{("U8", f"SoftwareRevenue.{m}"): dict(
        step="launch", profile={"PartnerType": "Software", "Programs": ["SRRP"]},
        mutate=lambda b, m=m: at(at(b, "LifeCycle.Stage", "Launched"), "SoftwareRevenue", revenue_without(m)))
       for m in ("DeliveryModel", "Value.Amount", "Value.CurrencyCode", "EffectiveDate", "ExpirationDate")},
    ("U11", "PrimaryNeedsFromAws"): dict(
        step="launch", mutate=lambda b: at(b, "PrimaryNeedsFromAws", ["Do Not Need Support from AWS Sales Rep"])),
    ("S2", "RelatedEntityIdentifiers.Solutions"): dict(
        step="submit", mutate=lambda b: at(b, "Project.OtherSolutionDescription", delete=True)),
    ("S3", "Project.CustomerUseCase"): dict(step="submit", mutate=lambda b: at(b, "Project.CustomerUseCase", delete=True)),
    ("S3", "Project.DeliveryModels"): dict(step="submit", mutate=lambda b: at(b, "Project.DeliveryModels", delete=True)),
    ("S3", "PrimaryNeedsFromAws"): dict(step="submit", mutate=no_needs),
    ("S3", "Project.SalesActivities"): dict(step="submit", mutate=lambda b: at(b, "Project.SalesActivities", delete=True)),
    ("S4", "LifeCycle.NextSteps"): dict(step="submit", mutate=lambda b: at(b, "LifeCycle.NextSteps", delete=True)),
    ("S5", "PrimaryNeedsFromAws", "You cannot perform Submit action. Cannot submit opportunity with InvolvementType Co-Sell"): dict(
        step="submit", mutate=lambda b: at(b, "PrimaryNeedsFromAws", ["Do Not Need Support from AWS Sales Rep"])),
    ("S5", "PrimaryNeedsFromAws", "Cannot perform Submit action"): dict(step="submit", submission=FVO),
    ("S6", "PrimaryNeedsFromAws"): dict(
        step="submit", submission={"InvolvementType": "Co-Sell", "Visibility": "Limited"},
        also=[("S6", "Visibility")]),
    ("S6", "Visibility"): dict(
        step="submit", submission={"InvolvementType": "For Visibility Only", "Visibility": "Limited"},
        mutate=no_needs, profile={"LimitedVisibilityEligible": False}),
    ("C6", "Visibility"): dict(
        step="submit", submission={"InvolvementType": "For Visibility Only", "Visibility": "Limited"},
        mutate=lambda b: at(at(no_needs(b), "NationalSecurity", "Yes"), "Customer.Account.Industry", "Government")),
    ("S7", "Customer.Account.Address.PostalCode"): dict(
        step="submit", mutate=lambda b: at(b, "Customer.Account.Address.PostalCode", "9810"),
        message="The postal code is invalid for country United States, United States postal code must be in "
                "99999 OR 99999-9999 format."),
    ("S8", "LifeCycle.Stage"): dict(step="closed-lost-submit"),
    ("S9", "LifeCycle.TargetCloseDate"): dict(step="stale-date-submit"),
    ("R2", "RelatedEntityIdentifiers.AWSMarketplaceOffers"): dict(step="associate"),
}


@pytest.fixture(scope="module")
def srv():
    s = Server("--in-memory").start()
    yield s
    s.stop()


def rules_once():
    s = Server("--in-memory").start()
    try:
        return admin(s, "GET", "/rules")[2]["rules"]
    finally:
        s.stop()


ALL_RULES = rules_once()


def rule_id(rule):
    return f"{rule['id']}-{rule['field']}-{rule['message'][:24]}"


def test_every_rule_has_a_case():
    missing = [rule_id(r) for r in ALL_RULES if case_for_in(ALL_RULES, r) is None]
    assert not missing, f"rules without a test case: {missing}"


def case_for_in(rules, rule):
    key = (rule["id"], rule["field"])
    if key in CASES and sum(1 for r in rules if (r["id"], r["field"]) == key) == 1:
        return CASES[key]
    for k, case in CASES.items():
        if len(k) == 3 and k[:2] == key and rule["message"].startswith(k[2]):
            return case
    return None


def count(c, catalog="Sandbox"):
    return len(c.list_opportunities(Catalog=catalog, MaxResults=100)["OpportunitySummaries"])


def refused(call):
    with pytest.raises(Exception) as e:
        call()
    err = e.value.response
    assert err["Error"]["Code"] == "ValidationException", err
    assert err["Reason"] == "BUSINESS_VALIDATION_FAILED", err
    return err


def approved(s, c, account, solution=True):
    body = opportunity_input()
    oid = c.create_opportunity(Catalog="Sandbox", **body)["Id"]
    if solution:
        c.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                                RelatedEntityIdentifier="S-0059717")
    c.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=oid, AwsSubmission=CO_SELL)
    assert admin(s, "POST", f"/accounts/{account}/catalogs/Sandbox/opportunities/{oid}/review",
                 {"ReviewStatus": "Approved"})[0] == 200
    return oid


@pytest.mark.parametrize("rule", ALL_RULES, ids=rule_id)
def test_a_request_breaking_only_this_rule_is_refused_and_writes_nothing(rule, fresh_account):
    case = case_for_in(ALL_RULES, rule)
    assert case is not None
    s = Server("--in-memory").start()
    try:
        _check_case(s, rule, case, fresh_account)
    finally:
        s.stop()


def _check_case(s, rule, case, account):
    # boto3 itself refuses a few of these (members the model marks required): send them anyway.
    c = s.client(account=account, parameter_validation=False)
    if case.get("profile"):
        assert admin(s, "PUT", f"/accounts/{account}/profile", case["profile"])[0] == 200
    step = case.get("step", "create")
    mutate = case.get("mutate", lambda b: b)
    expected = {(rule["fieldName"], rule["code"], case.get("message", rule["message"]))}
    for extra in case.get("also", []):
        other = next(r for r in ALL_RULES if (r["id"], r["field"]) == extra)
        expected.add((other["fieldName"], other["code"], other["message"]))

    def got(err):
        return {(x["FieldName"], x["Code"], x["Message"]) for x in err["ErrorList"]}

    if (rule["id"], rule["field"]) in MODEL_FIRST:
        before = count(c)
        with pytest.raises(Exception) as e:
            if step == "launch":
                oid = approved(s, c, account)
                c.update_opportunity(**mutate(update_input(c.get_opportunity(Catalog="Sandbox", Identifier=oid))))
            else:
                c.create_opportunity(Catalog="Sandbox", **mutate(opportunity_input()))
        err = e.value.response
        assert err["Reason"] == "REQUEST_VALIDATION_FAILED", err
        member = rule["field"].rsplit(".", 1)[1]
        assert any(member in x["FieldName"] for x in err["ErrorList"]), err
        if step != "launch":
            assert count(c) == before
        return
    if step == "create":
        before = count(c)
        err = refused(lambda: c.create_opportunity(Catalog="Sandbox", **mutate(opportunity_input())))
        assert got(err) == expected
        assert count(c) == before
        # The same rule holds on update (the whole proposed record is checked again).
        if "update" in rule["steps"]:
            step = "update"
        else:
            return
    if step == "update":
        oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
        err = refused(lambda: c.update_opportunity(**mutate(update_input(opp))))
        assert got(err) == expected
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LastModifiedDate"] == opp["LastModifiedDate"]
    elif step == "launch":
        oid = approved(s, c, account, solution=case.get("solution", True))
        opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
        err = refused(lambda: c.update_opportunity(**mutate(update_input(opp))))
        assert got(err) == expected
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["LastModifiedDate"] == opp["LastModifiedDate"]
    elif step == "submit":
        oid = c.create_opportunity(Catalog="Sandbox", **mutate(opportunity_input()))["Id"]
        for call in (
            lambda: c.start_engagement_from_opportunity_task(
                Catalog="Sandbox", Identifier=oid, AwsSubmission=case.get("submission", CO_SELL)),
            lambda: c.submit_opportunity(Catalog="Sandbox", Identifier=oid,
                                         **case.get("submission", CO_SELL)),
        ):
            err = refused(call)
            assert got(err) == expected
        opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
        assert opp["LifeCycle"]["ReviewStatus"] == "Pending Submission"
        assert c.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"] == []
    elif step == "stale-date-submit":
        oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        admin(s, "POST", "/clock", {"advance": "P400D"})  # the target close date passes
        err = refused(lambda: c.start_engagement_from_opportunity_task(
            Catalog="Sandbox", Identifier=oid, AwsSubmission=CO_SELL))
        assert got(err) == expected
    elif step == "closed-lost-submit":
        # Unreachable through the API (no create as Closed Lost, no stage change before
        # submission); a state document can hold such a record.
        oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
        state = admin(s, "GET", "/state")[2]
        rec = state["scopes"][0]["opportunities"][0]
        rec["doc"]["LifeCycle"].update(Stage="Closed Lost", ClosedLostReason="Price")
        assert admin(s, "PUT", "/state", state)[0] == 200
        err = refused(lambda: c.start_engagement_from_opportunity_task(
            Catalog="Sandbox", Identifier=oid, AwsSubmission=CO_SELL))
        assert got(err) == expected
    elif step == "associate":
        oid = approved(s, c, account)
        opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
        body = update_input(opp)
        body["LifeCycle"].update(Stage="Closed Lost", ClosedLostReason="Price")
        c.update_opportunity(**body)
        err = refused(lambda: c.associate_opportunity(
            Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="AwsMarketplaceOffers",
            RelatedEntityIdentifier=OFFER))
        assert got(err) == expected
        assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["RelatedEntityIdentifiers"][
            "AwsMarketplaceOffers"] == []


# ---------------------------------------------------------------- the edges pass

EDGES = {
    "a target close date tomorrow": lambda b: at(b, "LifeCycle.TargetCloseDate",
                                                 (TODAY + datetime.timedelta(days=1)).isoformat()),
    "a business problem of exactly 20 characters": lambda b: at(b, "Project.CustomerBusinessProblem", "x" * 20),
    "a country without postal codes": lambda b: at(b, "Customer.Account.Address",
                                                   {"CountryCode": "AE", "City": "Dubai"}),
    "national security in the US without website, postal code or state": lambda b: at(
        at(at(b, "NationalSecurity", "Yes"), "Customer.Account.Industry", "Government"),
        "Customer.Account", {"CompanyName": "Agency", "Industry": "Government", "Address": {"CountryCode": "US"}}),
    "a marketing activity with funding and channels": lambda b: at(
        b, "Marketing", {"Source": "Marketing Activity", "AwsFundingUsed": "Yes", "Channels": ["Email"],
                         "CampaignName": "re:Invent"}),
    "the smallest amount": lambda b: spend(b, Amount="0.01"),
    "EUR in the European sovereign partition": lambda b: spend(at(b, "Project.AwsPartition", "aws-eusc"),
                                                               CurrencyCode="EUR"),
    "an estimation URL instead of an amount": lambda b: without_spend_member(
        spend(b, EstimationUrl="https://calculator.aws/#/estimate?id=" + "a" * 40), "Amount"),
    "Other with OtherIndustry": lambda b: at(at(b, "Customer.Account.Industry", "Other"),
                                             "Customer.Account.OtherIndustry", "Space mining"),
    "a use case written without spaces around the slash": lambda b: at(b, "Project.CustomerUseCase",
                                                                       "Migration/Database Migration"),
    "a Canadian postal code": lambda b: at(b, "Customer.Account.Address",
                                           {"CountryCode": "CA", "PostalCode": "K1A 0B1", "City": "Ottawa"}),
}


@pytest.mark.parametrize("name", list(EDGES))
def test_a_request_at_the_edge_of_a_rule_is_accepted_and_submits(srv, fresh_account, name):
    c = srv.client(account=fresh_account)
    body = EDGES[name](opportunity_input())
    oid = c.create_opportunity(Catalog="Sandbox", **body)["Id"]
    task = c.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=oid, AwsSubmission=CO_SELL)
    assert task["TaskStatus"] == "COMPLETE", task


def test_for_visibility_only_without_needs_records_that_no_support_is_needed(srv, fresh_account):
    c = srv.client(account=fresh_account)
    body = no_needs(opportunity_input())
    oid = c.create_opportunity(Catalog="Sandbox", **body)["Id"]
    c.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=oid,
                                             AwsSubmission={"InvolvementType": "For Visibility Only"})
    opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    assert opp["PrimaryNeedsFromAws"] == ["Do Not Need Support from AWS Sales Rep"]


def test_a_solution_replaces_the_free_text_one(srv, fresh_account):
    c = srv.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    c.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="Solutions",
                            RelatedEntityIdentifier="S-0059717")
    assert "OtherSolutionDescription" not in c.get_opportunity(Catalog="Sandbox", Identifier=oid)["Project"]


def test_all_violations_of_a_request_come_together_in_aws_message_grammar(srv, fresh_account):
    c = srv.client(account=fresh_account)
    body = opportunity_input()
    at(body, "Customer.Account.WebsiteUrl", delete=True)
    at(body, "LifeCycle.TargetCloseDate", "2020-01-01")
    err = refused(lambda: c.create_opportunity(Catalog="Sandbox", **body))
    assert [x["FieldName"] for x in err["ErrorList"]] == ["customer.account.websiteUrl", "lifeCycle.targetCloseDate"]
    assert err["Message"] == (
        "BUSINESS_VALIDATION_EXCEPTION customer.account.websiteUrl:Field Customer.Account.WebsiteUrl is required.;"
        "BUSINESS_VALIDATION_EXCEPTION lifeCycle.targetCloseDate:Invalid Data: Target Close Date should be a future date")


def test_the_clock_drives_the_date_rules(srv, fresh_account):
    c = srv.client(account=fresh_account)
    body = at(opportunity_input(), "LifeCycle.TargetCloseDate", (TODAY + datetime.timedelta(days=10)).isoformat())
    try:
        assert admin(srv, "POST", "/clock", {"advance": "P20D"})[0] == 200
        refused(lambda: c.create_opportunity(Catalog="Sandbox", **copy.deepcopy(body)))
    finally:
        admin(srv, "DELETE", "/clock")
    assert c.create_opportunity(Catalog="Sandbox", **body)["Id"]


def test_rules_off_accepts_what_the_model_allows(fresh_account):
    s = Server("--in-memory", "--business-rules", "off").start()
    try:
        c = s.client(account=fresh_account)
        assert c.create_opportunity(Catalog="AWS", ClientToken="bare")["Id"]
        assert admin(s, "GET", "/rules")[2]["mode"] == "off"
    finally:
        s.stop()


def test_the_profile_is_per_account_and_checked(srv, fresh_account):
    path = f"/accounts/{fresh_account}/profile"
    status, _, profile = admin(srv, "GET", path)
    assert status == 200 and profile["PartnerType"] == "Consulting" and profile["LimitedVisibilityEligible"] is True
    user = {"Email": "owner@example.com", "FirstName": "Olive", "LastName": "Owner"}
    assert admin(srv, "PUT", path, {"PartnerType": "Software", "User": user})[0] == 200
    c = srv.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    team = c.get_opportunity(Catalog="Sandbox", Identifier=oid)["OpportunityTeam"]
    assert team[0] == {"BusinessTitle": "OpportunityOwner", **user}
    assert admin(srv, "PUT", path, {"PartnerType": "Reseller"})[0] == 400
    assert admin(srv, "PUT", path, {"Surprise": 1})[0] == 400
    assert admin(srv, "PUT", "/accounts/nope/profile", {})[0] == 400
    assert admin(srv, "DELETE", path)[0] == 200
    assert admin(srv, "GET", path)[2]["PartnerType"] == "Consulting"


def test_the_readme_lists_every_rule_of_the_table():
    import pathlib
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Business rules", 1)[1].split("\n## ", 1)[0]
    rows = [l for l in section.splitlines() if l.startswith("| ") and not l.startswith("| rule")]
    listed = {tuple(cell.strip().strip("`") for cell in row.strip("|").split("|")[:3]) for row in rows}
    for r in ALL_RULES:
        assert (r["id"], r["fieldName"], r["code"]) in listed, f"README lacks {r['id']} {r['fieldName']} {r['code']}"
    assert len(rows) == len(ALL_RULES)


def test_launched_and_closed_lost_opportunities_take_only_what_aws_allows(srv, fresh_account):
    c = srv.client(account=fresh_account)
    oid = approved(srv, c, fresh_account)
    body = update_input(c.get_opportunity(Catalog="Sandbox", Identifier=oid))
    body["LifeCycle"]["Stage"] = "Launched"
    body["Customer"]["Account"]["AwsAccountId"] = "123456789012"
    c.update_opportunity(**body)
    opp = c.get_opportunity(Catalog="Sandbox", Identifier=oid)
    renamed = update_input(opp)
    renamed["Project"]["Title"] = "Renamed after launch"
    err = refused(lambda: c.update_opportunity(**renamed))
    assert [(x["FieldName"], x["Code"]) for x in err["ErrorList"]] == [("project.title", "ACTION_NOT_PERMITTED")]
    assert err["ErrorList"][0]["Message"] == \
        'Changes are not allowed when an opportunity stage is "Closed Lost" or "Launched."'
    comments = update_input(opp)
    comments["Project"]["AdditionalComments"] = "Went live in March"
    c.update_opportunity(**comments)

    lost = approved(srv, c, fresh_account)
    body = update_input(c.get_opportunity(Catalog="Sandbox", Identifier=lost))
    body["LifeCycle"].update(Stage="Closed Lost", ClosedLostReason="Price")
    c.update_opportunity(**body)
    again = update_input(c.get_opportunity(Catalog="Sandbox", Identifier=lost))
    again["Project"]["AdditionalComments"] = "Maybe next year"
    refused(lambda: c.update_opportunity(**again))


def test_an_offer_associated_by_its_arn_comes_back_as_its_id(srv, fresh_account):
    c = srv.client(account=fresh_account)
    oid = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    c.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType="AwsMarketplaceOffers",
                            RelatedEntityIdentifier=OFFER)
    related = c.get_opportunity(Catalog="Sandbox", Identifier=oid)["RelatedEntityIdentifiers"]
    assert related["AwsMarketplaceOffers"] == ["offer-abc123"]
    c.disassociate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid,
                               RelatedEntityType="AwsMarketplaceOffers", RelatedEntityIdentifier=OFFER)
    assert c.get_opportunity(Catalog="Sandbox", Identifier=oid)["RelatedEntityIdentifiers"][
        "AwsMarketplaceOffers"] == []


def test_real_solution_arns_are_accepted_wherever_stored(fresh_account):
    s = Server("--in-memory").start()
    try:
        arn = f"arn:aws:partnercentral:us-east-1:{fresh_account}:catalog/Sandbox/solution/S-7777777"
        status, _, body = admin(s, "POST", f"/accounts/{fresh_account}/catalogs/Sandbox/solutions",
                                {"Id": "S-7777777", "Name": "Data Lake", "Category": "Analytics", "Arn": arn})
        assert status == 200, body
        listed = s.client(account=fresh_account).list_solutions(Catalog="Sandbox")["SolutionSummaries"]
        assert [x["Arn"] for x in listed if x["Id"] == "S-7777777"] == [arn]
        state = admin(s, "GET", "/state")[2]
        assert admin(s, "PUT", "/state", state)[0] == 200
        assert admin(s, "GET", "/state")[2] == state
    finally:
        s.stop()
