"""SearchOpportunities through boto3 against the real binary: hand-written cases with exact ids and
orders for every filter key, sort key, the keyword and the tree operators; random trees compared
with a straightforward evaluation written here from the documented semantics (README
"SearchOpportunities"); paging; what the tree refuses; the per-account feature switches and their
control plane; and another account's opportunities staying invisible. Every success answer is
checked against the model's OpportunitySearchSummary shape by the client fixture (shapecheck)."""
import datetime
import random

import pytest

from conftest import Server, TARGET_CLOSE_DATE, approve, create_submitted, opportunity_input
from shapecheck import MODEL
from test_control_plane import admin

A, OTHER = "616161616161", "626262626262"
FILTER_KEYS = list(MODEL.shape_for("OpportunitySearchFilterName").enum)
SORT_KEYS = list(MODEL.shape_for("OpportunitySearchSortName").enum)
DATES = {"CreatedDate", "LastModifiedDate", "TargetCloseDate"}
MULTI = {"ApnPrograms", "Tags", "OfferId", "OfferSetId", "AwsMarketplaceSolution"}
OFFER = "arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/Offer/offer-{}"
OFFER_SET = "arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/OfferSet/offerset-{}"
SOLUTION = "arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/Solution/sol-{}"
ARN = "arn:aws:partnercentral:us-east-1:{account}:catalog/Sandbox/opportunity/{oid}"

# What each seeded opportunity is made of: partner data, then (for approved ones) the AWS side.
SEED = [
    dict(company="Acme Corp", title="Data platform migration", stage="Prospect", country="US",
         industry="Software and Internet", pid="CRM-1", type="Net New Business", aws_account="111122223333",
         apn=["APN Immersion Days"], next="Schedule a discovery call", close="2030-06-30",
         tags={"Team": "EMEA", "Tier": "1"}, offers=["a1"], sets=[], solutions=["s1"], approved=True,
         aws={"CosellMotion": "Co-Sell", "Insights": {"EngagementScore": "High"},
              "Project": {"ExpectedCustomerSpend": [
                  {"Amount": "1500.25", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}]}}),
    dict(company="Globex", title="Plant analytics", stage="Qualified", country="DE", industry="Manufacturing",
         pid="CRM-2", type="Expansion", aws_account=None, apn=[], next="Send the proposal", close="2030-01-15",
         tags={"Team": "AMER"}, offers=[], sets=["b2"], solutions=[], approved=True,
         aws={"Origin": "AWS Referral", "Insights": {"EngagementScore": "Low"}}),
    dict(company="Initech", title="Acme lookalike: TPS reports", stage="Committed", country="US",
         industry="Financial Services", pid=None, type="Flat Renewal", aws_account="444455556666",
         apn=["APN Immersion Days", "Migration Acceleration Program"], next=None, close="2031-03-01",
         tags={}, offers=["c3"], sets=["c3"], solutions=[], approved=False, aws=None),
    dict(company="Umbrella", title="Vaccine data lake", stage="Prospect", country="JP", industry="Healthcare",
         pid="crm-4", type="Net New Business", aws_account=None, apn=[], next="Discovery: Acme partner",
         close="2030-06-30", tags={"tier": "2"}, offers=[], sets=[], solutions=["s4"], approved=True,
         aws={"CosellMotion": "Partner-led", "Insights": {"EngagementScore": "Medium"}}),
    dict(company="Hooli", title="Search infrastructure", stage="Prospect", country="US",
         industry="Software and Internet", pid="CRM-5", type="Expansion", aws_account=None, apn=[],
         next="Waiting", close="2030-12-31", tags={}, offers=[], sets=[], solutions=[], approved=False,
         aws=None),
]


def create(c, spec, i):
    account = {"CompanyName": spec["company"], "Industry": spec["industry"],
               "WebsiteUrl": f"https://c{i}.example.com",
               "Address": {"CountryCode": spec["country"], "PostalCode": "98101"}}
    if spec["aws_account"]:
        account["AwsAccountId"] = spec["aws_account"]
    body = opportunity_input()
    body["Customer"]["Account"] = account
    body["Project"]["Title"] = spec["title"]
    if spec["apn"]:
        body["Project"]["ApnPrograms"] = spec["apn"]
    body["LifeCycle"] = {"Stage": spec["stage"], "TargetCloseDate": spec["close"]}
    if spec["next"]:
        body["LifeCycle"]["NextSteps"] = spec["next"]
    body["OpportunityType"] = spec["type"]
    if spec["pid"]:
        body["PartnerOpportunityIdentifier"] = spec["pid"]
    if spec["approved"]:
        oid = create_submitted(c, **body)
        approve(c, oid)
    else:
        oid = c.create_opportunity(Catalog="Sandbox", **body)["Id"]
    for kind, fmt, ids in (("AwsMarketplaceOffers", OFFER, spec["offers"]),
                           ("AwsMarketplaceOfferSets", OFFER_SET, spec["sets"]),
                           ("AwsMarketplaceSolutions", SOLUTION, spec["solutions"])):
        for x in ids:
            c.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=oid, RelatedEntityType=kind,
                                    RelatedEntityIdentifier=fmt.format(x))
    if spec["tags"]:
        c.tag_resource(ResourceArn=ARN.format(account=A, oid=oid),
                       Tags=[{"Key": k, "Value": v} for k, v in spec["tags"].items()])
    return oid


@pytest.fixture(scope="module")
def seeded():
    # AWS's business rules are not what this tests (they would want a state for US addresses...).
    s = Server("--in-memory", "--business-rules", "off").start()
    a, other = s.client(account=A), s.client(account=OTHER)
    records = []
    for i, spec in enumerate(SEED):
        oid = create(a, spec, i)
        if spec["aws"]:
            status, _, body = admin(s, "PATCH", f"/accounts/{A}/catalogs/Sandbox/aws-opportunities/{oid}",
                                    spec["aws"])
            assert status == 200, body
        records.append(oid)
    # Another account's look-alikes, and one of A's in the other catalog: never found.
    create(other, dict(SEED[0], tags={}), 9)
    a.create_opportunity(Catalog="AWS", **opportunity_input())
    recs = []
    for oid, spec in zip(records, SEED):
        got = a.get_opportunity(Catalog="Sandbox", Identifier=oid)
        recs.append(dict(spec, id=oid, created=got["CreatedDate"], modified=got["LastModifiedDate"],
                         owner=next(f"{m['FirstName']} {m['LastName']}" for m in got["OpportunityTeam"]
                                    if m["BusinessTitle"] == "OpportunityOwner")))
    yield s, a, recs
    s.stop()


def ids(resp):
    return [x["Id"] for x in resp["OpportunitySearchSummaries"]]


def search(c, **kw):
    kw.setdefault("MaxResults", 100)
    return ids(c.search_opportunities(Catalog="Sandbox", **kw))


def eq(key, value):
    return {"EqualsTo": {"Key": key, "Value": {"StringValue": value}}}


# ------------------------------------------------------------------ the straightforward evaluation

def values(rec, key):
    aws = rec["aws"] if rec["approved"] else None
    if key == "OpportunityId":
        return [rec["id"]]
    if key in ("CreatedDate", "LastModifiedDate"):
        return [rec["created" if key == "CreatedDate" else "modified"]]
    if key == "TargetCloseDate":
        return [datetime.datetime.fromisoformat(rec["close"]).replace(tzinfo=datetime.timezone.utc)]
    simple = {"Stage": "stage", "CustomerCompanyName": "company", "CountryCode": "country",
              "PartnerProjectTitle": "title", "OpportunityType": "type", "PartnerOpportunityIdentifier": "pid",
              "Industry": "industry", "AwsAccountId": "aws_account", "NextStep": "next",
              "OpportunityOwner": "owner"}
    if key in simple:
        v = rec[simple[key]]
        return [] if v is None else [v]
    if key == "ReviewStatus":
        return ["Approved" if rec["approved"] else "Pending Submission"]
    if key == "ApnPrograms":
        return list(rec["apn"])
    if key == "Tags":
        return [x for k, v in rec["tags"].items() for x in (k, f"{k}:{v}")]
    if key in ("OfferId", "OfferSetId", "AwsMarketplaceSolution"):
        fmt, items, prefix = {"OfferId": (OFFER, rec["offers"], "offer-"),
                              "OfferSetId": (OFFER_SET, rec["sets"], "offerset-"),
                              "AwsMarketplaceSolution": (SOLUTION, rec["solutions"], "sol-")}[key]
        return [x for i in items for x in (fmt.format(i), prefix + i)]
    if key == "Origin":
        return [(aws or {}).get("Origin", "Partner Referral")]
    if key == "CosellMotion":
        return [aws["CosellMotion"]] if aws and "CosellMotion" in aws else []
    if key == "EngagementScore":
        return [aws["Insights"]["EngagementScore"]] if aws and "Insights" in aws else []
    if key == "EstimatedMrr":
        if not aws:
            return []
        spend = aws.get("Project", {}).get("ExpectedCustomerSpend") or [{"Amount": "5000"}]
        return [sum(float(s["Amount"]) for s in spend)]
    raise AssertionError(key)


def kind(key):
    return "date" if key in DATES else "number" if key == "EstimatedMrr" else "text"


def parse_value(v):
    if "StringValue" in v:
        return [v["StringValue"]]
    if "StringListValue" in v:
        return v["StringListValue"]
    if "DoubleValue" in v:
        return [float(v["DoubleValue"])]
    if "LongValue" in v:
        return [float(v["LongValue"])]
    d = v["DateValue"]
    return [d if isinstance(d, datetime.datetime) else datetime.datetime.fromisoformat(d.replace("Z", "+00:00"))]


def holds(node, rec):
    if "AndAllFilters" in node:
        return all(holds(n, rec) for n in node["AndAllFilters"])
    if "OrAllFilters" in node:
        return any(holds(n, rec) for n in node["OrAllFilters"])
    if "NotFilter" in node:
        return not holds(node["NotFilter"], rec)
    (op, pred), = node.items()
    have, want = values(rec, pred["Key"]), parse_value(pred["Value"])
    if kind(pred["Key"]) == "text":
        have, want = [h.lower() for h in have], [w.lower() for w in want]
    if op == "ContainsAny":
        return any(w in h for w in want for h in have)
    if op == "ContainsAll":
        return (pred["Key"] in MULTI or len(want) <= 1) and all(w in have for w in want)
    cmp = {"EqualsTo": lambda h, w: h == w, "GreaterThan": lambda h, w: h > w,
           "GreaterThanOrEquals": lambda h, w: h >= w, "LessThan": lambda h, w: h < w,
           "LessThanOrEquals": lambda h, w: h <= w}[op]
    return all(any(cmp(h, w) for h in have) for w in want)


def expected_order(recs, key, descending):
    def sort_value(rec):
        vs = values(rec, key)
        if not vs:
            return None
        if kind(key) == "text":
            vs = [(v.lower(), v) for v in vs]
        return max(vs) if descending else min(vs)

    present = [r for r in recs if sort_value(r) is not None]
    missing = sorted((r for r in recs if sort_value(r) is None), key=lambda r: r["id"])
    present.sort(key=lambda r: r["id"])
    present.sort(key=sort_value, reverse=descending)
    if descending:  # ties by id ascending in both orders
        groups = {}
        for r in present:
            groups.setdefault(repr(sort_value(r)), []).append(r)
        present = [r for g in groups.values() for r in sorted(g, key=lambda r: r["id"])]
    return [r["id"] for r in present + missing]


# ------------------------------------------------------------------ hand-written cases

def test_every_filter_key_finds_exactly_its_opportunities(seeded):
    _, a, recs = seeded
    o = [r["id"] for r in recs]
    asc = {"SortBy": "OpportunityId", "SortOrder": "ASCENDING"}
    cases = [
        (eq("OpportunityId", o[2]), [o[2]]),
        (eq("Stage", "prospect"), [o[0], o[3], o[4]]),
        (eq("ReviewStatus", "Approved"), [o[0], o[1], o[3]]),
        (eq("CustomerCompanyName", "GLOBEX"), [o[1]]),
        (eq("CountryCode", "us"), [o[0], o[2], o[4]]),
        (eq("PartnerProjectTitle", "Plant analytics"), [o[1]]),
        (eq("OpportunityType", "Expansion"), [o[1], o[4]]),
        (eq("PartnerOpportunityIdentifier", "CRM-4"), [o[3]]),
        (eq("Industry", "Software and Internet"), [o[0], o[4]]),
        (eq("AwsAccountId", "444455556666"), [o[2]]),
        (eq("ApnPrograms", "Migration Acceleration Program"), [o[2]]),
        (eq("Origin", "AWS Referral"), [o[1]]),
        (eq("Origin", "Partner Referral"), [o[0], o[2], o[3], o[4]]),
        (eq("Tags", "team"), [o[0], o[1]]),
        (eq("Tags", "Tier:2"), [o[3]]),
        (eq("NextStep", "Waiting"), [o[4]]),
        (eq("OfferId", "offer-a1"), [o[0]]),
        (eq("OfferId", OFFER.format("c3")), [o[2]]),
        (eq("OfferSetId", "offerset-b2"), [o[1]]),
        (eq("AwsMarketplaceSolution", "sol-s4"), [o[3]]),
        (eq("CosellMotion", "co-sell"), [o[0]]),
        (eq("OpportunityOwner", recs[0]["owner"]), o),
        (eq("EngagementScore", "Medium"), [o[3]]),
        ({"GreaterThan": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 1500.25}}}, [o[1], o[3]]),
        ({"GreaterThanOrEquals": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 1500.25}}}, [o[0], o[1], o[3]]),
        ({"LessThan": {"Key": "EstimatedMrr", "Value": {"LongValue": 5000}}}, [o[0]]),
        ({"EqualsTo": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 5000}}}, [o[1], o[3]]),
        ({"LessThan": {"Key": "TargetCloseDate", "Value": {"DateValue": "2030-06-30T00:00:00Z"}}}, [o[1]]),
        ({"EqualsTo": {"Key": "TargetCloseDate", "Value": {"DateValue": "2030-06-30T00:00:00Z"}}}, [o[0], o[3]]),
        ({"GreaterThan": {"Key": "CreatedDate", "Value": {"DateValue": recs[2]["created"]}}}, [o[3], o[4]]),
        ({"LessThanOrEquals": {"Key": "LastModifiedDate", "Value": {"DateValue": recs[0]["modified"]}}}, [o[0]]),
        ({"ContainsAny": {"Key": "CustomerCompanyName", "Value": {"StringListValue": ["ACM", "hoo"]}}},
         [o[0], o[4]]),
        ({"ContainsAll": {"Key": "ApnPrograms", "Value": {"StringListValue": [
            "apn immersion days", "Migration Acceleration Program"]}}}, [o[2]]),
        ({"ContainsAll": {"Key": "Stage", "Value": {"StringListValue": ["Prospect", "Qualified"]}}}, []),
    ]
    covered = {next(iter(f.values()))["Key"] for f, _ in cases}
    assert covered == set(FILTER_KEYS)
    for f, want in cases:
        assert search(a, Filter=f, Sort=asc) == want, f


def test_keyword_looks_in_the_documented_texts_and_is_anded_with_the_filter(seeded):
    _, a, recs = seeded
    o = [r["id"] for r in recs]
    asc = {"SortBy": "OpportunityId", "SortOrder": "ASCENDING"}
    # Company name, title and next steps; case-insensitive substrings.
    assert search(a, Keyword="ACME", Sort=asc) == [o[0], o[2], o[3]]
    assert search(a, Keyword="  ta lak ", Sort=asc) == [o[3]]
    assert search(a, Keyword="crm-", Sort=asc) == [o[0], o[1], o[3], o[4]]
    assert search(a, Keyword=o[4], Sort=asc) == [o[4]]
    assert search(a, Keyword="ac", Sort=asc) == [o[0], o[2], o[3]]  # shorter than a trigram
    # Not searched: industry, country, tags.
    assert search(a, Keyword="Manufacturing") == []
    assert search(a, Keyword="EMEA") == []
    assert search(a, Keyword="acme", Filter=eq("Stage", "Prospect"), Sort=asc) == [o[0], o[3]]
    assert search(a, Keyword="acme", Filter={"NotFilter": eq("Stage", "Prospect")}) == [o[2]]


def test_and_or_not_combine(seeded):
    _, a, recs = seeded
    o = [r["id"] for r in recs]
    asc = {"SortBy": "OpportunityId", "SortOrder": "ASCENDING"}
    f = {"OrAllFilters": [
        {"AndAllFilters": [eq("Stage", "Prospect"), {"NotFilter": eq("CountryCode", "US")}]},
        eq("EngagementScore", "Low")]}
    assert search(a, Filter=f, Sort=asc) == [o[1], o[3]]
    # NotFilter holds on opportunities without the value (no AWS summary).
    assert search(a, Filter={"NotFilter": eq("EngagementScore", "High")}, Sort=asc) == [o[1], o[2], o[3], o[4]]


def test_every_sort_key_orders_both_ways(seeded):
    _, a, recs = seeded
    for key in SORT_KEYS:
        for order in ("ASCENDING", "DESCENDING"):
            got = search(a, Sort={"SortBy": key, "SortOrder": order})
            assert got == expected_order(recs, key, order == "DESCENDING"), (key, order)
    # Default: most recently modified first.
    assert search(a) == expected_order(recs, "LastModifiedDate", True)
    assert search(a, Sort={"SortBy": "EstimatedMrr", "SortOrder": "ASCENDING"})[-2:] == sorted(
        [recs[2]["id"], recs[4]["id"]])


def random_leaf(rng, recs):
    key = rng.choice(FILTER_KEYS)
    pool = [v for r in recs for v in values(r, key)] or ["nothing"]
    k = kind(key)
    if k == "text":
        op = rng.choice(["EqualsTo", "ContainsAny", "ContainsAll"])
        picks = [str(rng.choice(pool)) for _ in range(rng.randint(1, 3))]
        if op == "ContainsAny":
            picks = [p[rng.randint(0, max(0, len(p) - 3)):][:rng.randint(1, 6)] for p in picks]
        picks = [p.upper() if rng.random() < 0.3 else p for p in picks]
        value = {"StringValue": picks[0]} if op == "EqualsTo" or rng.random() < 0.4 else {"StringListValue": picks}
        return {op: {"Key": key, "Value": value}}
    op = rng.choice(["EqualsTo", "GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals"])
    v = rng.choice(pool)
    if k == "number":
        return {op: {"Key": key, "Value": {"DoubleValue": v + rng.choice([-1, 0, 0.5])}}}
    if isinstance(v, datetime.datetime):
        v = v + datetime.timedelta(milliseconds=rng.choice([-1, 0, 1]))
        return {op: {"Key": key, "Value": {"DateValue": v.isoformat()}}}
    return {op: {"Key": key, "Value": {"DateValue": v}}}


def random_tree(rng, recs, depth=0):
    r = rng.random()
    if depth >= 3 or r < 0.4:
        return random_leaf(rng, recs)
    if r < 0.55:
        return {"NotFilter": random_tree(rng, recs, depth + 1)}
    nodes = [random_tree(rng, recs, depth + 1) for _ in range(rng.randint(1, 3))]
    return {"AndAllFilters" if r < 0.8 else "OrAllFilters": nodes}


def test_random_trees_agree_with_the_straightforward_evaluation(seeded):
    _, a, recs = seeded
    rng = random.Random(7)
    nonempty = 0
    for _ in range(250):
        tree = random_tree(rng, recs)
        key, order = rng.choice(SORT_KEYS), rng.choice(["ASCENDING", "DESCENDING"])
        keyword = rng.choice([None, None, "acme", "CRM", "ta"])
        kw = {"Keyword": keyword} if keyword else {}
        got = search(a, Filter=tree, Sort={"SortBy": key, "SortOrder": order}, **kw)
        matching = [r for r in recs if holds(tree, r) and (
            not keyword or any(keyword.lower() in t.lower() for t in
                               [r["id"], r["title"], r["company"], r["pid"] or "", r["next"] or ""]))]
        assert got == expected_order(matching, key, order == "DESCENDING"), (tree, key, order, keyword)
        nonempty += bool(got)
    assert nonempty > 50


def test_pages_follow_each_other_and_tokens_belong_to_their_query(seeded):
    _, a, recs = seeded
    sort = {"SortBy": "CustomerCompanyName", "SortOrder": "ASCENDING"}
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = a.search_opportunities(Catalog="Sandbox", MaxResults=2, Sort=sort, **kw)
        assert len(page["OpportunitySearchSummaries"]) <= 2
        seen += ids(page)
        token = page.get("NextToken")
        if not token:
            break
    assert seen == expected_order(recs, "CustomerCompanyName", False)
    first = a.search_opportunities(Catalog="Sandbox", MaxResults=2, Sort=sort)
    with pytest.raises(a.exceptions.ValidationException):
        a.search_opportunities(Catalog="Sandbox", MaxResults=2, NextToken=first["NextToken"],
                               Sort={"SortBy": "Stage", "SortOrder": "ASCENDING"})
    # Default page: 20 (five stored, so no token).
    assert "NextToken" not in a.search_opportunities(Catalog="Sandbox")


def test_result_items_have_the_models_shape_and_the_aws_side_only_when_approved(seeded):
    _, a, recs = seeded
    got = {x["Id"]: x for x in a.search_opportunities(Catalog="Sandbox")["OpportunitySearchSummaries"]}
    first = got[recs[0]["id"]]
    allowed = set(MODEL.shape_for("OpportunitySearchSummary").members)
    for item in got.values():
        assert set(item) <= allowed
    assert first["AwsOpportunitySummary"] == {"Origin": "Partner Referral", "CosellMotion": "Co-Sell",
                                              "Insights": {"EngagementScore": "High"}}
    assert "AwsOpportunitySummary" not in got[recs[2]["id"]]
    assert got[recs[1]["id"]]["AwsOpportunitySummary"]["Origin"] == "AWS Referral"
    assert first["Customer"] == {"Account": {"CompanyName": "Acme Corp", "Industry": "Software and Internet",
                                             "AwsAccountId": "111122223333", "Address": {"CountryCode": "US"}}}
    assert first["Project"] == {"Title": "Data platform migration", "ApnPrograms": ["APN Immersion Days"],
                                "ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "USD"}]}
    assert first["LifeCycle"] == {"ReviewStatus": "Approved", "Stage": "Prospect",
                                  "NextSteps": "Schedule a discovery call", "TargetCloseDate": "2030-06-30"}
    assert sorted(first["Tags"], key=lambda t: t["Key"]) == [{"Key": "Team", "Value": "EMEA"},
                                                              {"Key": "Tier", "Value": "1"}]
    assert "Tags" not in got[recs[4]["id"]]
    assert first["RelatedEntityIdentifiers"]["AwsMarketplaceOffers"] == [OFFER.format("a1")]
    assert all(set(m) <= {"FirstName", "LastName", "BusinessTitle"} for m in first["OpportunityTeam"])
    assert first["PartnerOpportunityIdentifier"] == "CRM-1" and first["OpportunityType"] == "Net New Business"


def test_writes_are_searchable_at_once(seeded):
    s, a, recs = seeded
    oid = recs[4]["id"]
    arn = ARN.format(account=A, oid=oid)
    a.tag_resource(ResourceArn=arn, Tags=[{"Key": "Fresh", "Value": "yes"}])
    assert search(a, Filter=eq("Tags", "fresh:yes")) == [oid]
    a.untag_resource(ResourceArn=arn, TagKeys=["Fresh"])
    assert search(a, Filter=eq("Tags", "fresh:yes")) == []
    opp = a.get_opportunity(Catalog="Sandbox", Identifier=recs[3]["id"])
    status, _, _ = admin(s, "PATCH", f"/accounts/{A}/catalogs/Sandbox/aws-opportunities/{recs[3]['id']}",
                         {"Insights": {"EngagementScore": "High"}})
    assert status == 200
    assert search(a, Filter=eq("EngagementScore", "High"),
                  Sort={"SortBy": "OpportunityId", "SortOrder": "ASCENDING"}) == [recs[0]["id"], recs[3]["id"]]
    admin(s, "PATCH", f"/accounts/{A}/catalogs/Sandbox/aws-opportunities/{recs[3]['id']}",
          {"Insights": {"EngagementScore": "Medium"}})
    assert opp["Id"] == recs[3]["id"]


def test_other_accounts_and_catalogs_stay_invisible(seeded):
    s, a, recs = seeded
    other = s.client(account=OTHER)
    theirs = search(other)
    assert len(theirs) == 1 and not set(theirs) & {r["id"] for r in recs}
    assert search(other, Keyword="Data platform", Filter=eq("OpportunityId", recs[0]["id"])) == []
    stranger = s.client(account="636363636363")
    assert search(stranger) == []
    # A's opportunity in the AWS catalog is not in its Sandbox results, nor the other way round.
    aws_ids = ids(a.search_opportunities(Catalog="AWS"))
    assert len(aws_ids) == 1 and aws_ids[0] not in {r["id"] for r in recs}


# ------------------------------------------------------------------ what the tree refuses

def refused(c, **kw):
    with pytest.raises(c.exceptions.ValidationException) as e:
        c.search_opportunities(Catalog="Sandbox", **kw)
    err = e.value.response
    assert err["Reason"] == "REQUEST_VALIDATION_FAILED"
    return err["ErrorList"][0]


def test_type_mismatched_values_are_refused_with_the_member(seeded):
    s, _, _ = seeded
    a = s.client(account=A, parameter_validation=False)
    cases = [
        ({"EqualsTo": {"Key": "EstimatedMrr", "Value": {"StringValue": "10"}}}, "Filter.EqualsTo.Value.StringValue"),
        ({"EqualsTo": {"Key": "Stage", "Value": {"DoubleValue": 1.5}}}, "Filter.EqualsTo.Value.DoubleValue"),
        ({"LessThan": {"Key": "CreatedDate", "Value": {"DoubleValue": 1.5}}}, "Filter.LessThan.Value.DoubleValue"),
        ({"EqualsTo": {"Key": "TargetCloseDate", "Value": {"StringValue": "2030-06-30"}}},
         "Filter.EqualsTo.Value.StringValue"),
        ({"GreaterThan": {"Key": "Stage", "Value": {"StringValue": "Prospect"}}}, "Filter.GreaterThan"),
        ({"ContainsAny": {"Key": "EstimatedMrr", "Value": {"StringListValue": ["1"]}}}, "Filter.ContainsAny"),
        ({"EqualsTo": {"Key": "Stage", "Value": {"StringListValue": ["Prospect"]}}},
         "Filter.EqualsTo.Value.StringListValue"),
        ({"EqualsTo": {"Key": "Stage", "Value": {"StringValue": "a", "LongValue": 1}}}, "Filter.EqualsTo.Value"),
    ]
    for f, path in cases:
        assert refused(a, Filter=f)["FieldName"] == path, f
    # AwsMarketplaceSolution can be filtered on, not sorted by.
    e = refused(a, Sort={"SortBy": "AwsMarketplaceSolution", "SortOrder": "ASCENDING"})
    assert e["FieldName"] == "Sort.SortBy"


def test_too_deep_trees_are_refused(seeded):
    _, a, _ = seeded
    tree = eq("Stage", "Prospect")
    for _ in range(31):
        tree = {"NotFilter": tree}
    assert search(a, Filter=tree) == search(a, Filter={"NotFilter": eq("Stage", "Prospect")})
    e = refused(a, Filter={"NotFilter": tree})
    assert e["FieldName"] == "Filter" + ".NotFilter" * 32 and "32 levels" in e["Message"]


# ------------------------------------------------------------------ feature switches

def features(s, account):
    return admin(s, "GET", f"/accounts/{account}/features")


def test_feature_switches_answer_the_modeled_reasons(seeded):
    s, _, _ = seeded
    account = "646464646464"
    c = s.client(account=account)
    c.create_opportunity(Catalog="Sandbox", **opportunity_input())
    status, _, body = features(s, account)
    assert status == 200 and body == {"accountId": account, "features": {
        "SearchOpportunities": {"enabled": True, "reason": "SEARCH_OPPORTUNITIES_NOT_ENABLED"},
        "SearchDataRouted": {"enabled": True, "reason": "SEARCH_OPPORTUNITIES_DATA_NOT_ROUTED_TO_DDB"},
        "OpportunityBulkJobs": {"enabled": True, "reason": "OPPORTUNITY_BULK_JOB_NOT_ENABLED"}}}
    assert len(search(c)) == 1

    status, _, body = admin(s, "PUT", f"/accounts/{account}/features/SearchDataRouted", {"enabled": False})
    assert status == 200 and body["features"]["SearchDataRouted"]["enabled"] is False
    with pytest.raises(c.exceptions.AccessDeniedException) as e:
        c.search_opportunities(Catalog="Sandbox")
    assert e.value.response["Reason"] == "SEARCH_OPPORTUNITIES_DATA_NOT_ROUTED_TO_DDB"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # Both off: the feature itself is reported first; the catalog does not matter.
    admin(s, "PUT", f"/accounts/{account}/features/SearchOpportunities", {"enabled": False})
    for catalog in ("Sandbox", "AWS"):
        with pytest.raises(c.exceptions.AccessDeniedException) as e:
            c.search_opportunities(Catalog=catalog, Keyword="acme")
        assert e.value.response["Reason"] == "SEARCH_OPPORTUNITIES_NOT_ENABLED"
        assert account in e.value.response["Error"]["Message"]
    # Other accounts are untouched, and other operations still answer.
    assert len(search(seeded[1])) == 5
    c.list_opportunities(Catalog="Sandbox")

    admin(s, "PUT", f"/accounts/{account}/features/SearchOpportunities", {"enabled": True})
    with pytest.raises(c.exceptions.AccessDeniedException) as e:
        c.search_opportunities(Catalog="Sandbox")
    assert e.value.response["Reason"] == "SEARCH_OPPORTUNITIES_DATA_NOT_ROUTED_TO_DDB"
    status, _, body = admin(s, "DELETE", f"/accounts/{account}/features")
    assert status == 200 and all(f["enabled"] for f in body["features"].values())
    assert len(search(c)) == 1


def test_a_reset_switches_the_accounts_features_back_on(seeded):
    s, _, _ = seeded
    account = "656565656565"
    admin(s, "PUT", f"/accounts/{account}/features/SearchOpportunities", {"enabled": False})
    admin(s, "POST", "/reset", {"accountId": account, "catalog": "Sandbox"})
    assert features(s, account)[2]["features"]["SearchOpportunities"]["enabled"] is False
    admin(s, "POST", "/reset", {"accountId": account})
    assert features(s, account)[2]["features"]["SearchOpportunities"]["enabled"] is True


def test_feature_control_plane_refuses_bad_input(seeded):
    s, _, _ = seeded
    account = "666666666666"
    cases = [
        ("PUT", f"/accounts/{account}/features/Nope", {"enabled": False}, "Nope"),
        ("PUT", f"/accounts/{account}/features/SearchOpportunities", b"{not json", "not valid JSON"),
        ("PUT", f"/accounts/{account}/features/SearchOpportunities", [1], "JSON object"),
        ("PUT", f"/accounts/{account}/features/SearchOpportunities", {}, "enabled is required"),
        ("PUT", f"/accounts/{account}/features/SearchOpportunities", {"enabled": "no"}, "true or false"),
        ("PUT", f"/accounts/{account}/features/SearchOpportunities", b"", "JSON object body"),
        ("PUT", "/accounts/12345/features/SearchOpportunities", {"enabled": False}, "12 digits"),
        ("GET", "/accounts/abc/features", None, "12 digits"),
    ]
    for method, path, body, says in cases:
        status, _, answer = admin(s, method, path, body)
        assert status == 400 and says in answer["error"], (path, body, answer)
    assert all(f["enabled"] for f in features(s, account)[2]["features"].values())
