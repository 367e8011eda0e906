"""SearchEngagements against a seeded set of engagements, compared with a straightforward evaluation
written here from the documented semantics (research §3.2, README): random filter trees over every
filter key of the model, keywords, every sort key; and the malformed trees it must refuse."""
import datetime
import random
import uuid

import pytest

from conftest import Server
from shapecheck import MODEL

A, B, OTHER = "515151515151", "525252525252", "535353535353"
FILTER_KEYS = list(MODEL.shape_for("EngagementSearchFilterName").enum)
SORT_KEYS = list(MODEL.shape_for("EngagementSearchSortName").enum)
DATES = {"CreatedAt", "LastModifiedAt"}
NUMBERS = {"MemberCount"}
MULTI = {"PartnerId", "ContextType"} | {k for k in FILTER_KEYS if k.startswith("LeadInteractions")}

INDUSTRIES = ["Software and Internet", "Healthcare", "Manufacturing", "Retail"]
STATUSES = ["Qualified", "Unqualified", "Disqualified", "Nurturing"]
NAMES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries"]


def lead(rng, i):
    customer = {"CompanyName": f"{rng.choice(NAMES)} {i}", "Industry": rng.choice(INDUSTRIES),
                "Address": {"CountryCode": rng.choice(["US", "DE", "JP"])},
                "AwsMaturity": rng.choice(["New", "Experienced"]), "MarketSegment": rng.choice(["SMB", "Enterprise"])}
    if rng.random() < 0.2:
        del customer["Industry"]
    interactions = [{"SourceType": rng.choice(["Event", "Campaign", "Website"]),
                     "SourceName": rng.choice(["Summit", "Webinar", "Blog"]),
                     "Usecase": rng.choice(["Migration", "Analytics", "Security"]),
                     "Contact": {"BusinessTitle": rng.choice(["CTO", "CIO", "VP Engineering"]),
                                 "Email": f"c{i}-{n}@example.com", "FirstName": rng.choice(["Ada", "Alan", "Grace"]),
                                 "LastName": rng.choice(["Lovelace", "Turing", "Hopper"])}}
                    for n in range(rng.randint(1, 3))]
    body = {"Customer": customer, "Interactions": interactions}
    if rng.random() < 0.8:
        body["QualificationStatus"] = rng.choice(STATUSES)
    if rng.random() < 0.6:
        body["Insights"] = {"LeadReadinessScore": rng.choice(["Low", "Medium", "High"])}
    return {"Type": "Lead", "Payload": {"Lead": body}}


def prospecting_result(rng):
    return {"Type": "ProspectingResult", "Payload": {"ProspectingResult": {"Aws": {
        "Customer": {"Geo": rng.choice(["AMER", "EMEA"]), "Region": rng.choice(["NA", "Europe"]),
                     "Industry": rng.choice(INDUSTRIES), "Segment": rng.choice(["SMB", "Enterprise"]),
                     "Country": rng.choice(["US", "DE"]), "CompanySize": rng.choice(["1-50", "1000+"])},
        "Insights": {"MarketplaceEngagementScore": rng.choice(["Low", "High"]),
                     "SolutionCategory": rng.choice(["Security", "Data"]),
                     "SolutionSubCategory": rng.choice(["SIEM", "Lakehouse"])}}}}}


PROJECT = {"Type": "CustomerProject", "Payload": {"CustomerProject": {
    "Customer": {"CompanyName": "Project Co", "CountryCode": "US", "Industry": "Retail",
                 "WebsiteUrl": "https://p.example.com"},
    "Project": {"Title": "P", "BusinessProblem": "A business problem of enough length.",
                "TargetCompletionDate": "2027-01-01"}}}}


@pytest.fixture(scope="module")
def seeded():
    rng = random.Random(12)
    s = Server("--in-memory").start()
    a, b, other = s.client(account=A), s.client(account=B), s.client(account=OTHER)
    for i in range(30):
        contexts = []
        if rng.random() < 0.85:
            contexts.append(lead(rng, i))
        if rng.random() < 0.4:
            contexts.append(prospecting_result(rng))
        if rng.random() < 0.2:
            contexts.append(PROJECT)
        title = f"{rng.choice(NAMES)} deal {i}" if rng.random() < 0.9 else ""
        eid = a.create_engagement(Catalog="Sandbox", ClientToken=str(uuid.uuid4()), Title=title,
                                  Description=rng.choice(["", "Urgent co-sell", "Renewal"]),
                                  Contexts=contexts)["Id"]
        if rng.random() < 0.3:
            inv = a.create_engagement_invitation(
                Catalog="Sandbox", ClientToken=str(uuid.uuid4()), EngagementIdentifier=eid,
                Invitation={"Message": "m", "Receiver": {"Account": {"AwsAccountId": B}},
                            "Payload": {"LeadInvitation": {"Customer": {"CompanyName": "X"},
                                                           "Interaction": {"ContactBusinessTitle": "CTO"}}}})
            b.accept_engagement_invitation(Catalog="Sandbox", Identifier=inv["Id"])
    # Engagements A may not see.
    for i in range(5):
        other.create_engagement(Catalog="Sandbox", ClientToken=str(uuid.uuid4()), Title=f"Acme deal {i}",
                                Contexts=[lead(rng, 100 + i)])
    records = []
    for summary in a.list_engagements(Catalog="Sandbox", MaxResults=100)["EngagementSummaryList"]:
        got = a.get_engagement(Catalog="Sandbox", Identifier=summary["Id"])
        members = a.list_engagement_members(Catalog="Sandbox", Identifier=summary["Id"], MaxResults=10)
        got["Members"] = members["EngagementMemberList"]
        records.append(got)
    yield s, a, records
    s.stop()


# ------------------------------------------------------------------ the straightforward evaluation

def payloads(rec, kind):
    return [c["Payload"][kind] for c in rec.get("Contexts", []) if kind in c.get("Payload", {})]


def dig(value, path):
    for p in path:
        if not isinstance(value, dict) or p not in value:
            return None
        value = value[p]
    return value


def values(rec, key):
    """The values a record holds for a filter key (text, number or datetime)."""
    if key == "EngagementId":
        out = [rec["Id"]]
    elif key == "Title":
        out = [rec.get("Title", "")]
    elif key == "PartnerId":
        out = [m["AccountId"] for m in rec["Members"] if m["AccountId"] != "aws"]
    elif key == "CreatedAt":
        out = [rec["CreatedAt"]]
    elif key == "LastModifiedAt":
        out = [rec["ModifiedAt"]]
    elif key == "MemberCount":
        out = [rec["MemberCount"]]
    elif key == "ContextType":
        out = [c["Type"] for c in rec.get("Contexts", [])]
    elif key.startswith("ProspectingCustomer"):
        out = [dig(p, ["Aws", "Customer", key[len("ProspectingCustomer"):]]) for p in payloads(rec, "ProspectingResult")]
    elif key.startswith("ProspectingInsights"):
        out = [dig(p, ["Aws", "Insights", key[len("ProspectingInsights"):]]) for p in payloads(rec, "ProspectingResult")]
    elif key == "LeadQualificationStatus":
        out = [p.get("QualificationStatus") for p in payloads(rec, "Lead")]
    elif key == "LeadReadinessScore":
        out = [dig(p, ["Insights", "LeadReadinessScore"]) for p in payloads(rec, "Lead")]
    elif key == "LeadCustomerCountryCode":
        out = [dig(p, ["Customer", "Address", "CountryCode"]) for p in payloads(rec, "Lead")]
    elif key.startswith("LeadCustomer"):
        out = [dig(p, ["Customer", key[len("LeadCustomer"):]]) for p in payloads(rec, "Lead")]
    elif key.startswith("LeadInteractions"):
        member = key[len("LeadInteractions"):]
        path = ["Contact", member[len("Contact"):]] if member.startswith("Contact") else [member]
        out = [dig(i, path) for p in payloads(rec, "Lead") for i in p.get("Interactions", [])]
    else:
        raise AssertionError(key)
    return [v for v in out if v is not None]


def holds(rec, node):
    if "AndAllFilters" in node:
        return all(holds(rec, n) for n in node["AndAllFilters"])
    if "OrAllFilters" in node:
        return any(holds(rec, n) for n in node["OrAllFilters"])
    if "NotFilter" in node:
        return not holds(rec, node["NotFilter"])
    (op, pred), = node.items()
    have = values(rec, pred["Key"])
    (kind, given), = pred["Value"].items()
    wanted = given if isinstance(given, list) else [given]
    if op == "ContainsAny":
        return any(w.lower() in h.lower() for w in wanted for h in have)
    if op == "ContainsAll":
        if len(wanted) > 1 and pred["Key"] not in MULTI:
            return False
        return all(any(h.lower() == w.lower() for h in have) for w in wanted)
    compare = {"EqualsTo": lambda h, w: h == w, "GreaterThan": lambda h, w: h > w,
               "GreaterThanOrEquals": lambda h, w: h >= w, "LessThan": lambda h, w: h < w,
               "LessThanOrEquals": lambda h, w: h <= w}[op]
    if pred["Key"] in DATES or pred["Key"] in NUMBERS:
        return any(compare(h, wanted[0]) for h in have)
    return any(h.lower() == wanted[0].lower() for h in have)


def order_value(rec, key, descending):
    """What a record sorts by: its smallest value ascending, its largest descending; text
    case-insensitively, then exactly."""
    have = values(rec, key)
    if not have:
        return None
    if key in DATES or key in NUMBERS:
        return max(have) if descending else min(have)
    texts = sorted(have, key=lambda t: (t.lower(), t))
    t = texts[-1] if descending else texts[0]
    return (t.lower(), t)


def expected(records, tree=None, keyword=None, sort=("CreatedAt", "DESCENDING")):
    import functools
    found = [r for r in records if tree is None or holds(r, tree)]
    if keyword:
        k = keyword.lower()
        found = [r for r in found if any(k in h.lower() for h in haystacks(r))]
    key, order = sort
    descending = order == "DESCENDING"

    def cmp(x, y):
        vx, vy = order_value(x, key, descending), order_value(y, key, descending)
        if vx is None or vy is None:
            if vx is None and vy is None:
                return (x["Id"] > y["Id"]) - (x["Id"] < y["Id"])
            return 1 if vx is None else -1     # missing values last, in both orders
        if vx != vy:
            c = (vx > vy) - (vx < vy)
            return -c if descending else c
        return (x["Id"] > y["Id"]) - (x["Id"] < y["Id"])     # ties by id, ascending

    return [r["Id"] for r in sorted(found, key=functools.cmp_to_key(cmp))]


def haystacks(rec):
    out = [rec.get("Title", ""), rec.get("Description", "")]
    for kind, path in (("Lead", ["Customer", "CompanyName"]), ("CustomerProject", ["Customer", "CompanyName"]),
                       ("CustomerAccount", ["Customer", "CompanyName"]),
                       ("ProspectingResult", ["Aws", "Customer", "AccountName"])):
        out += [v for v in (dig(p, path) for p in payloads(rec, kind)) if v]
    out += [m["CompanyName"] for m in rec["Members"]]
    return out


# ------------------------------------------------------------------ random trees

def random_leaf(rng, records):
    key = rng.choice(FILTER_KEYS)
    pool = [v for r in records for v in values(r, key)]
    if key in DATES:
        op = rng.choice(["EqualsTo", "GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals"])
        v = rng.choice(pool)
        return {op: {"Key": key, "Value": {"DateValue": v}}}
    if key in NUMBERS:
        op = rng.choice(["EqualsTo", "GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals"])
        return {op: {"Key": key, "Value": {"LongValue": rng.choice([0, 1, 2, 3])}}}
    op = rng.choice(["EqualsTo", "ContainsAny", "ContainsAll"])
    pick = lambda: (rng.choice(pool) if pool and rng.random() < 0.85 else "nothing-like-it")
    if op == "EqualsTo":
        v = pick()
        return {op: {"Key": key, "Value": {"StringValue": v.upper() if rng.random() < 0.3 else v}}}
    if op == "ContainsAny":
        subs = [pick()[:rng.randint(1, 4)].lower() for _ in range(rng.randint(1, 3))]
        return {op: {"Key": key, "Value": {"StringListValue": subs}}}
    return {op: {"Key": key, "Value": {"StringListValue": [pick() for _ in range(rng.randint(1, 2))]}}}


def random_tree(rng, records, depth=0):
    r = rng.random()
    if depth >= 3 or r < 0.45:
        return random_leaf(rng, records)
    if r < 0.65:
        return {"NotFilter": random_tree(rng, records, depth + 1)}
    kind = "AndAllFilters" if r < 0.85 else "OrAllFilters"
    return {kind: [random_tree(rng, records, depth + 1) for _ in range(rng.randint(1, 3))]}


def search_all(client, **kw):
    ids, token = [], None
    while True:
        page = client.search_engagements(Catalog="Sandbox", MaxResults=7, **kw, **({"NextToken": token} if token else {}))
        ids += [e["Id"] for e in page["EngagementSearchSummaries"]]
        token = page.get("NextToken")
        if not token:
            return ids


def test_the_seeded_set_covers_every_filter_key(seeded):
    _, _, records = seeded
    assert len(records) == 30
    empty = [k for k in FILTER_KEYS if not any(values(r, k) for r in records)]
    assert empty == [], empty


@pytest.mark.parametrize("seed", range(120))
def test_a_random_filter_tree_finds_what_a_straightforward_evaluation_finds(seeded, seed):
    _, a, records = seeded
    rng = random.Random(seed)
    tree = random_tree(rng, records)
    got = search_all(a, Filter=tree)
    assert got == expected(records, tree), tree


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
def test_every_sort_key_orders_as_documented(seeded, key, order):
    _, a, records = seeded
    got = search_all(a, Sort={"SortBy": key, "SortOrder": order})
    assert got == expected(records, sort=(key, order))


@pytest.mark.parametrize("keyword", ["acme", "DEAL 1", "urgent", "Partner 525252525252", "project co", "zzz"])
def test_the_keyword_narrows_with_the_filter(seeded, keyword):
    _, a, records = seeded
    assert search_all(a, Keyword=keyword) == expected(records, keyword=keyword)
    tree = {"EqualsTo": {"Key": "ContextType", "Value": {"StringValue": "Lead"}}}
    assert search_all(a, Keyword=keyword, Filter=tree) == expected(records, tree, keyword)


def test_the_summaries_and_what_others_see(seeded):
    s, a, records = seeded
    page = a.search_engagements(Catalog="Sandbox", MaxResults=1)["EngagementSearchSummaries"][0]
    first = next(r for r in records if r["Id"] == page["Id"])
    for member in ("Arn", "Title", "CreatedAt", "CreatedBy", "MemberCount", "ModifiedAt", "ModifiedBy", "Contexts"):
        assert page.get(member) == first.get(member), member
    # The other account sees only its own five; B only those it joined.
    assert len(search_all(s.client(account=OTHER), Keyword="acme")) <= 5
    joined = {r["Id"] for r in records if r["MemberCount"] == 2}
    assert set(search_all(s.client(account=B))) == joined
    assert search_all(a, Filter={"ContainsAll": {"Key": "PartnerId", "Value": {"StringListValue": [A, B]}}}) == \
        expected(records, {"ContainsAll": {"Key": "PartnerId", "Value": {"StringListValue": [A, B]}}})


@pytest.mark.parametrize("tree,field", [
    ({}, "Filter"),
    ({"EqualsTo": {"Key": "Title", "Value": {"StringValue": "x"}},
      "NotFilter": {"EqualsTo": {"Key": "Title", "Value": {"StringValue": "x"}}}}, "Filter"),
    ({"GreaterThan": {"Key": "Title", "Value": {"StringValue": "x"}}}, "Filter.GreaterThan"),
    ({"LessThan": {"Key": "LeadCustomerCompanyName", "Value": {"StringValue": "x"}}}, "Filter.LessThan"),
    ({"ContainsAny": {"Key": "MemberCount", "Value": {"LongValue": 1}}}, "Filter.ContainsAny"),
    ({"EqualsTo": {"Key": "MemberCount", "Value": {"StringValue": "2"}}}, "Filter.EqualsTo"),
    ({"EqualsTo": {"Key": "CreatedAt", "Value": {"StringValue": "2026-01-01"}}}, "Filter.EqualsTo"),
    ({"EqualsTo": {"Key": "Title", "Value": {}}}, "Filter.EqualsTo.Value"),
    ({"EqualsTo": {"Key": "Title", "Value": {"StringValue": "x", "LongValue": 1}}}, "Filter.EqualsTo.Value"),
    ({"AndAllFilters": [{"EqualsTo": {"Key": "Title", "Value": {"StringValue": "x"}}}, {}]},
     "Filter.AndAllFilters[1]"),
    ({"OrAllFilters": [{"NotFilter": {"GreaterThanOrEquals": {"Key": "ContextType",
                                                               "Value": {"StringValue": "Lead"}}}}]},
     "Filter.OrAllFilters[0].NotFilter.GreaterThanOrEquals"),
])
def test_malformed_trees_are_refused_naming_the_node(seeded, tree, field):
    _, a, _ = seeded
    raw = seeded[0].client(account=A, parameter_validation=False)
    with pytest.raises(raw.exceptions.ValidationException) as e:
        raw.search_engagements(Catalog="Sandbox", Filter=tree)
    r = e.value.response
    assert r["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert any(x["FieldName"].startswith(field) for x in r["ErrorList"]), r["ErrorList"]


def test_unknown_keys_and_sorts_are_refused(seeded):
    s, _, _ = seeded
    raw = s.client(account=A, parameter_validation=False)
    for body in ({"Filter": {"EqualsTo": {"Key": "Nope", "Value": {"StringValue": "x"}}}},
                 {"Sort": {"SortBy": "ContextType", "SortOrder": "ASCENDING"}},
                 {"Sort": {"SortBy": "Nope", "SortOrder": "ASCENDING"}}):
        with pytest.raises(raw.exceptions.ValidationException) as e:
            raw.search_engagements(Catalog="Sandbox", **body)
        assert e.value.response["ErrorList"][0]["FieldName"] in ("Filter.EqualsTo.Key", "Sort.SortBy"), body
