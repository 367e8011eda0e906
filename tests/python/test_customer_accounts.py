"""Customer accounts (issue 14, part 1): create, read, update, delete, search and statistics,
with AWS's matching as the README describes, through boto3 against the real binary."""
import re
import time
import uuid

import pytest

from conftest import Server
from test_control_plane import admin
from test_invitations import account

ACME = {"CompanyName": "Acme Corp", "Domain": "acme.example.com", "WebsiteUrl": "https://acme.example.com",
        "Industry": "Software", "Address": {"CountryCode": "US", "City": "Seattle"}}


def create(c, data=None, catalog="Sandbox", **kw):
    return c.create_customer_account(Catalog=catalog, Account=data or ACME, **kw)


def get(c, cid, catalog="Sandbox"):
    return c.get_customer_account(Catalog=catalog, Identifier=cid)


def test_create_then_read_an_enriched_account(server):
    a = account()
    c = server.client(account=a)
    made = create(c, PartnerAccountIdentifier="crm-42", Tags=[{"Key": "crm", "Value": "sf"}])
    assert re.fullmatch(r"cust-acc-[0-9a-z]{13}", made["Id"]) and made["Status"] == "PENDING"
    assert made["Arn"] == f"arn:aws:partnercentral:us-east-1:{a}:catalog/Sandbox/customer-account/{made['Id']}"
    assert made["PartnerAccountIdentifier"] == "crm-42"
    got = get(c, made["Arn"])
    assert got["EnrichmentStatus"] == "ENRICHED" and got["Account"] == ACME
    customer = got["AwsEnrichment"]["Customer"]
    assert customer["AccountName"] == "Acme Corp" and customer["Country"] == "US" and customer["Geo"] == "AMER"
    assert got["Tags"] == [{"Key": "crm", "Value": "sf"}]
    assert "ReasonCode" not in got and "ExistingCustomerAccountArn" not in got
    # The same data always gives the same enrichment.
    other = server.client(account=account())
    assert get(other, create(other)["Id"])["AwsEnrichment"] == got["AwsEnrichment"]
    assert c.list_tags_for_resource(ResourceArn=made["Arn"])["Tags"] == [{"Key": "crm", "Value": "sf"}]


def test_matching_outcomes(server):
    c = server.client(account=account())
    first = create(c)["Id"]
    by_domain = create(c, {"CompanyName": "Acme Inc", "Domain": "ACME.example.com"})["Id"]
    by_name = create(c, {"CompanyName": "  acme   corp ", "WebsiteUrl": "https://x.example.com",
                         "Address": {"CountryCode": "US"}})["Id"]
    elsewhere = create(c, {"CompanyName": "Acme Corp", "WebsiteUrl": "https://de.example.com",
                           "Address": {"CountryCode": "DE"}})["Id"]
    unknown = create(c, {"CompanyName": "Nameless"})["Id"]
    for cid in (by_domain, by_name):
        got = get(c, cid)
        assert (got["EnrichmentStatus"], got["ReasonCode"]) == ("ACTION_REQUIRED", "DUPLICATE_CUSTOMER_MATCH")
        assert got["ExistingCustomerAccountArn"].endswith(f"/customer-account/{first}")
        assert "AwsEnrichment" not in got and got["Message"]
    assert get(c, elsewhere)["EnrichmentStatus"] == "ENRICHED"
    assert get(c, unknown)["EnrichmentStatus"] == "NO_MATCH_FOUND"
    assert get(c, first)["EnrichmentStatus"] == "ENRICHED"


def test_the_control_plane_forces_an_outcome(server):
    a = account()
    c = server.client(account=a)
    cid = create(c)["Id"]
    path = f"/accounts/{a}/catalogs/Sandbox/customer-accounts/{cid}/matching"
    enrichment = {"Customer": {"AccountName": "ACME CORPORATION", "Segment": "Strategic", "Geo": "AMER"},
                  "Insights": {"MarketplaceEngagementScore": "High"}}
    assert admin(server, "PUT", path, {"Status": "ENRICHED", "AwsEnrichment": enrichment})[0] == 200
    assert get(c, cid)["AwsEnrichment"] == enrichment
    assert admin(server, "PUT", path, {"Status": "ACTION_REQUIRED", "ReasonCode": "PROCESSING_ERROR",
                                       "Message": "Try again later."})[0] == 200
    got = get(c, cid)
    assert (got["EnrichmentStatus"], got["ReasonCode"], got["Message"]) == (
        "ACTION_REQUIRED", "PROCESSING_ERROR", "Try again later.")
    assert admin(server, "PUT", path, {"Status": "PENDING"})[0] == 200
    assert get(c, cid)["EnrichmentStatus"] == "PENDING"
    for bad in ({"Status": "DONE"}, {"Status": "ENRICHED", "Colour": "red"},
                {"Status": "ACTION_REQUIRED", "ReasonCode": "NOPE"}):
        assert admin(server, "PUT", path, bad)[0] == 400, bad
    assert admin(server, "DELETE", path)[0] == 200
    assert get(c, cid)["EnrichmentStatus"] == "ENRICHED"
    assert admin(server, "PUT", f"/accounts/{a}/catalogs/Sandbox/customer-accounts/cust-acc-0000000000000/matching",
                 {"Status": "ENRICHED"})[0] == 404


def test_update_needs_the_last_modified_date_and_matches_again(server):
    c = server.client(account=account())
    cid = create(c)["Id"]
    before = get(c, cid)
    changed = dict(ACME, CompanyName="Acme Corporation")
    done = c.update_customer_account(Catalog="Sandbox", Identifier=cid, LastModifiedDate=before["LastModifiedDate"],
                                     Account=changed, PartnerAccountIdentifier="crm-7")
    assert done["Status"] == "PENDING" and done["LastModifiedDate"] > before["LastModifiedDate"]
    got = get(c, cid)
    assert got["Account"] == changed and got["PartnerAccountIdentifier"] == "crm-7"
    assert got["AwsEnrichment"]["Customer"]["AccountName"] == "Acme Corporation"
    with pytest.raises(c.exceptions.ConflictException):
        c.update_customer_account(Catalog="Sandbox", Identifier=cid, LastModifiedDate=before["LastModifiedDate"],
                                  Account=ACME)
    assert get(c, cid)["Account"] == changed
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.update_customer_account(Catalog="Sandbox", Identifier="cust-acc-0000000000000",
                                  LastModifiedDate=before["LastModifiedDate"], Account=ACME)


def test_delete_is_idempotent_and_takes_the_tags(server):
    a = account()
    c = server.client(account=a)
    made = create(c, Tags=[{"Key": "x", "Value": "1"}])
    c.delete_customer_account(Catalog="Sandbox", Identifier=made["Id"])
    c.delete_customer_account(Catalog="Sandbox", Identifier=made["Id"])
    c.delete_customer_account(Catalog="Sandbox", Identifier="cust-acc-0000000000000")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        get(c, made["Id"])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.list_tags_for_resource(ResourceArn=made["Arn"])


def test_a_client_token_replays_the_create(server):
    c = server.client(account=account())
    t = str(uuid.uuid4())
    first = create(c, ClientToken=t)
    assert create(c, ClientToken=t)["Id"] == first["Id"]
    with pytest.raises(c.exceptions.ConflictException):
        create(c, {"CompanyName": "Other"}, ClientToken=t)
    assert c.get_customer_account_statistics(Catalog="Sandbox")["TotalCount"] == 1


@pytest.fixture(scope="module")
def seeded(server):
    a = account()
    c = server.client(account=a)
    ids = {}
    for name, country, extra in [("Acme", "US", {"Domain": "acme.example.com"}),
                                 ("Globex", "DE", {"WebsiteUrl": "https://globex.example.com"}),
                                 ("Initech", "JP", {"Duns": "123456789"}),
                                 ("Hooli", "US", {"Domain": "hooli.example.com"}),
                                 ("Nameless", "US", {}),
                                 ("Acme", "US", {"Domain": "acme.example.com"})]:
        ids.setdefault(name, []).append(create(c, dict({"CompanyName": name, "Address": {"CountryCode": country}},
                                                       **extra))["Id"])
        time.sleep(0.002)
    return c, ids


def names(page):
    return [s["CustomerAccount"]["CompanyName"] for s in page["CustomerAccountSummaries"]]


def test_search_filters_sorts_and_pages(seeded):
    c, ids = seeded
    every = c.search_customer_accounts(Catalog="Sandbox")
    assert names(every) == ["Acme", "Nameless", "Hooli", "Initech", "Globex", "Acme"]   # newest first
    enriched = c.search_customer_accounts(Catalog="Sandbox", Filter={"EqualsTo": {
        "Key": "ENRICHMENT_STATUS", "Value": {"StringValue": "ENRICHED"}}},
        Sort={"SortBy": "COMPANY_NAME", "SortOrder": "ASCENDING"})
    assert names(enriched) == ["Acme", "Globex", "Hooli", "Initech"]
    summary = enriched["CustomerAccountSummaries"][0]
    assert summary["EnrichmentStatus"] == "ENRICHED" and summary["AwsEnrichment"]["Customer"]["Country"] == "US"
    amer = c.search_customer_accounts(Catalog="Sandbox", Filter={"AndAllFilters": [
        {"EqualsTo": {"Key": "GEO", "Value": {"StringValue": "AMER"}}},
        {"NotFilter": {"ContainsAny": {"Key": "COMPANY_NAME", "Value": {"StringListValue": ["hoo"]}}}}]})
    assert names(amer) == ["Acme"]
    dup = c.search_customer_accounts(Catalog="Sandbox", Filter={"EqualsTo": {
        "Key": "ENRICHMENT_STATUS", "Value": {"StringValue": "ACTION_REQUIRED"}}})
    assert [s["Id"] for s in dup["CustomerAccountSummaries"]] == [ids["Acme"][1]]
    assert "AwsEnrichment" not in dup["CustomerAccountSummaries"][0]
    first = c.search_customer_accounts(Catalog="Sandbox", MaxResults=4)
    rest = c.search_customer_accounts(Catalog="Sandbox", MaxResults=4, NextToken=first["NextToken"])
    assert names(first) + names(rest) == names(every) and "NextToken" not in rest
    raw = c
    with pytest.raises(raw.exceptions.ValidationException) as e:
        c.search_customer_accounts(Catalog="Sandbox", Filter={"GreaterThan": {
            "Key": "COMPANY_NAME", "Value": {"StringValue": "A"}}})
    assert e.value.response["ErrorList"][0]["FieldName"].startswith("Filter.GreaterThan")


def test_statistics_count_per_value(seeded):
    c, _ = seeded
    stats = c.get_customer_account_statistics(Catalog="Sandbox", Aggregations=[
        {"GroupBy": ["ENRICHMENT_STATUS"]}, {"GroupBy": ["COUNTRY"]}])
    assert stats["TotalCount"] == 6
    by_status = stats["Aggregations"][0]
    assert by_status["GroupBy"] == ["ENRICHMENT_STATUS"] and by_status["OtherCount"] == 0
    assert [(b["Values"], b["Count"]) for b in by_status["Buckets"]] == [
        (["ENRICHED"], 4), (["ACTION_REQUIRED"], 1), (["NO_MATCH_FOUND"], 1)]
    assert [(b["Values"], b["Count"]) for b in stats["Aggregations"][1]["Buckets"]] == [
        (["US"], 2), (["DE"], 1), (["JP"], 1)]
    missing = c.get_customer_account_statistics(Catalog="Sandbox", IncludeMissing=True,
                                                Aggregations=[{"GroupBy": ["COUNTRY"]}])
    assert (["MISSING"], 2) in [(b["Values"], b["Count"]) for b in missing["Aggregations"][0]["Buckets"]]
    narrowed = c.get_customer_account_statistics(Catalog="Sandbox", Filter={"EqualsTo": {
        "Key": "COUNTRY", "Value": {"StringValue": "US"}}})
    assert narrowed["TotalCount"] == 2 and "Aggregations" not in narrowed


def test_matching_waits_for_the_task_delay_and_state_round_trips(tmp_path):
    s = Server("--data-dir", str(tmp_path), "--task-delay-ms", "400").start()
    a = account()
    try:
        c = s.client(account=a)
        cid = create(c, Tags=[{"Key": "t", "Value": "1"}])["Id"]
        assert get(c, cid)["EnrichmentStatus"] == "PENDING"
        time.sleep(0.6)
        assert get(c, cid)["EnrichmentStatus"] == "ENRICHED"
        status, _, state = admin(s, "GET", "/state")
        scope = next(x for x in state["scopes"] if x["accountId"] == a)
        assert [x["id"] for x in scope["customerAccounts"]] == [cid]
        assert admin(s, "POST", "/reset", {"accountId": a})[0] == 200
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            get(c, cid)
        assert admin(s, "PUT", "/state", state)[0] == 200
        assert get(c, cid)["Tags"] == [{"Key": "t", "Value": "1"}]
        bad = dict(state, scopes=[dict(x, customerAccounts=[dict(x["customerAccounts"][0], id="cust-acc-x")])
                                  if x.get("customerAccounts") else x for x in state["scopes"]])
        status, _, answer = admin(s, "PUT", "/state", bad)
        assert status == 400 and "customerAccounts[0]" in answer["error"], answer
    finally:
        s.stop()
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        assert get(s.client(account=a), cid)["EnrichmentStatus"] == "ENRICHED"
    finally:
        s.stop()
