"""Bulk jobs (the nine customer-account and opportunity bulk operations) through boto3 against
the real binary: files uploaded to the control plane or served over https on this machine,
the background runner's statuses and counts, per-record results, the records they made
(read back with the API), events, ClientToken replays, the quota, report URLs and their
expiry, a restart in the middle of a job, other accounts and reset (README "A worked example:
bulk jobs", "Bulk jobs: files, columns, progress").

Every 200 answer of these clients is checked against the model's output shape by the
conftest hook (shapecheck); ``test_every_answer_conforms_to_the_model`` checks raw answers of
all nine operations too.
"""
import csv
import datetime
import http.client
import http.server
import io
import json
import os
import pathlib
import random
import re
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import (BIN, DATABASE_URL, OTHER_ACCOUNT, TARGET_CLOSE_DATE, Server, create_submitted, opportunity_input,
                      update_input)
from shapecheck import assert_conforms
from test_control_plane import admin
from test_invitations import account

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "bulk"
JOB_ID = re.compile(r"bulkjob-[0-9a-z]{13}")
OPP_ID = re.compile(r"O\d+")
CA_ID = re.compile(r"cust-acc-[0-9a-z]{13}")
DONE = ("COMPLETED", "FAILED")

# ------------------------------------------------------------------------------- helpers


def upload(server, key, data):
    status, _, body = admin(server, "PUT", "/files/" + urllib.parse.quote(key), data)
    assert status == 200, body
    assert body == {"key": key, "size": len(data), "uri": f"s3://partnercentral-local/{key}"}
    return f"s3://any-bucket/{key}"


def start_opp(c, uri, token=None):
    out = c.start_opportunity_bulk_job(Catalog="Sandbox", ClientToken=token or os.urandom(8).hex(),
                                       FileURI=uri, FileFormat="CSV")
    assert JOB_ID.fullmatch(out["JobId"]), out
    return out["JobId"]


def start_ca(c, uri, token=None):
    return c.start_customer_account_bulk_job(Catalog="Sandbox", ClientToken=token or os.urandom(8).hex(),
                                             FileUri=uri)


def opp_job(c, job, catalog="Sandbox"):
    found = c.list_opportunity_bulk_jobs(Catalog=catalog, JobId=job)["OpportunityBulkJobSummaries"]
    assert len(found) == 1, found
    return found[0]


def wait_opp(c, job, timeout=30):
    deadline = time.time() + timeout
    while True:
        summary = opp_job(c, job)
        if summary["Status"] in DONE:
            return summary
        assert time.time() < deadline, summary
        time.sleep(0.05)


def wait_ca(c, job, timeout=30):
    deadline = time.time() + timeout
    while True:
        got = c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=job)
        if got["Status"] in DONE:
            return got
        assert time.time() < deadline, got
        time.sleep(0.05)


def clean(doc):
    return {k: v for k, v in doc.items() if k != "ResponseMetadata"}


def opp_results(c, job, **kw):
    """Every result of an opportunity job, following NextToken."""
    out, token = [], None
    while True:
        page = c.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=job, MaxResults=100,
                                                   **kw, **({"NextToken": token} if token else {}))
        out += page["Results"]
        token = page.get("NextToken")
        if not token:
            return out


def ca_results(c, job, **kw):
    return c.list_customer_account_bulk_job_results(Catalog="Sandbox", Identifier=job, **kw)["Results"]


def opportunity_ids(c, catalog="Sandbox"):
    ids, token = [], None
    while True:
        page = c.list_opportunities(Catalog=catalog, MaxResults=100, **({"NextToken": token} if token else {}))
        ids += [s["Id"] for s in page["OpportunitySummaries"]]
        token = page.get("NextToken")
        if not token:
            return ids


def events(server, acct, detail_type, expect=0):
    """The opportunity ids of `acct`'s events of `detail_type`, oldest first. Events are published
    once their write has committed, as EventBridge delivers them after the fact: wait up to 3 s
    for at least `expect` of them (more than that is then still seen, and fails the caller)."""
    deadline = time.time() + 3
    while True:
        got = [e["detail"]["opportunity"]["identifier"] for e in admin(server, "GET", "/events")[2]["events"]
               if e["account"] == acct and e["detail-type"] == detail_type]
        if len(got) >= expect or time.time() > deadline:
            return got
        time.sleep(0.05)


def csv_bytes(rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def stamp(dt):
    """A boto3 timestamp as the service writes it (milliseconds, Z)."""
    return dt.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def server_now(server):
    now = admin(server, "GET", "/clock")[2]["now"]
    return datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))


def fetch(url):
    """(status, body) of a plain GET, without credentials."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# A CreateOpportunity AWS accepts, as CSV columns.
OPP_HEADER = [
    "RequestId", "Customer.Account.CompanyName", "Customer.Account.Industry",
    "Customer.Account.WebsiteUrl", "Customer.Account.Address.CountryCode",
    "Customer.Account.Address.StateOrRegion", "Customer.Account.Address.PostalCode",
    "Project.Title", "Project.CustomerBusinessProblem", "Project.CustomerUseCase",
    "Project.DeliveryModels", "Project.SalesActivities", "Project.ExpectedCustomerSpend[0].Amount",
    "Project.ExpectedCustomerSpend[0].CurrencyCode", "Project.ExpectedCustomerSpend[0].Frequency",
    "Project.ExpectedCustomerSpend[0].TargetCompany", "PrimaryNeedsFromAws", "LifeCycle.Stage",
    "LifeCycle.NextSteps", "LifeCycle.TargetCloseDate",
]


def opp_row(request_id, title, industry="Software and Internet", next_steps="Discovery call"):
    return [request_id, "Acme Corp", industry, "https://acme.example.com", "US", "Washington", "98101",
            title, "Quarter-end reports take three days.", "Migration / Database Migration",
            "SaaS or PaaS", "Initialized discussions with customer", "5000", "USD", "Monthly", "AWS",
            "Co-Sell - Technical Consultation", "Prospect", next_steps, TARGET_CLOSE_DATE]


def opp_file(n, bad_every=0):
    """A header and `n` records (`r-1`…), every `bad_every`-th with an industry AWS refuses."""
    rows = [OPP_HEADER]
    for i in range(1, n + 1):
        bad = bad_every and i % bad_every == 0
        rows.append(opp_row(f"r-{i}", f"Project {i}", "Not an industry" if bad else "Software and Internet"))
    return csv_bytes(rows)


INDUSTRY_ERROR = ("REQUEST_VALIDATION_FAILED: Customer.Account.Industry must be one of the 28 values of "
                  "Industry; got 'Not an industry'.")

# --------------------------------------------------------------- create jobs from uploads


def test_a_create_job_from_an_upload_applies_each_record_through_create_opportunity(server):
    acct = account()
    c = server.client(account=acct)
    uri = upload(server, f"crm/{acct}/opportunities.csv", (EXAMPLES / "opportunities.csv").read_bytes())
    job = start_opp(c, uri, token="nightly-2030-01-01")
    assert opp_job(c, job)["Status"] in ("SUBMITTED", "IN_PROGRESS", "COMPLETED")
    summary = wait_opp(c, job)
    times = {k: summary.pop(k) for k in ("CreatedAt", "StartedAt", "CompletedAt")}
    assert summary == {"JobId": job, "Status": "COMPLETED", "TotalRecords": 3, "ProcessedRecords": 3,
                       "SuccessCount": 2, "FailureCount": 1, "FileName": "opportunities.csv",
                       "OperationType": "BULK_CREATE"}
    assert times["CreatedAt"] <= times["StartedAt"] <= times["CompletedAt"]
    assert abs((times["CompletedAt"] - server_now(server)).total_seconds()) < 30

    results = opp_results(c, job)
    ids = [r.pop("ResourceIdentifier") for r in results[:2]]
    assert all(OPP_ID.fullmatch(i) for i in ids) and ids[0] != ids[1]
    assert results == [
        {"RequestId": "crm-0001", "Status": "SUCCEEDED"},
        {"RequestId": "crm-0002", "Status": "SUCCEEDED"},
        {"RequestId": "crm-0003", "Status": "FAILED", "ErrorCode": "ValidationException",
         "ErrorMessage": INDUSTRY_ERROR},
    ]
    assert sorted(opportunity_ids(c)) == sorted(ids)

    acme = c.get_opportunity(Catalog="Sandbox", Identifier=ids[0])
    assert acme["PartnerOpportunityIdentifier"] == "006A000001"
    assert acme["Customer"] == {
        "Account": {"CompanyName": "Acme Corp", "Industry": "Software and Internet",
                    "WebsiteUrl": "https://acme.example.com",
                    "Address": {"CountryCode": "US", "StateOrRegion": "Washington", "PostalCode": "98101"}},
        "Contacts": [{"Email": "ann@acme.example.com", "FirstName": "Ann", "LastName": "Lee"}]}
    assert acme["Project"] == {
        "Title": "Data platform", "CustomerBusinessProblem": "Quarter-end reports take three days.",
        "CustomerUseCase": "Migration / Database Migration", "DeliveryModels": ["SaaS or PaaS"],
        "SalesActivities": ["Initialized discussions with customer"],
        "ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                   "TargetCompany": "AWS"}]}
    assert acme["PrimaryNeedsFromAws"] == ["Co-Sell - Technical Consultation"]
    assert (acme["LifeCycle"]["Stage"], acme["LifeCycle"]["NextSteps"], acme["LifeCycle"]["TargetCloseDate"]) == (
        "Prospect", "Discovery call", "2030-06-30")
    globex = c.get_opportunity(Catalog="Sandbox", Identifier=ids[1])
    # An empty cell sets nothing (no StateOrRegion); `;` separates a list's values; a quoted cell
    # keeps its comma.
    assert globex["Customer"]["Account"]["Address"] == {"CountryCode": "DE", "PostalCode": "10115"}
    assert globex["Project"]["DeliveryModels"] == ["Professional Services", "Managed Services"]
    assert globex["Project"]["SalesActivities"] == ["Initialized discussions with customer",
                                                    "Customer has shown interest in solution"]
    assert globex["PrimaryNeedsFromAws"] == ["Co-Sell - Architectural Validation", "Co-Sell - Pricing Assistance"]
    assert globex["LifeCycle"]["NextSteps"] == "Workshop, then a pilot"
    assert globex["Project"]["ExpectedCustomerSpend"][0]["Amount"] == "12000"

    # Exactly one `Opportunity Created` per created record, none for the failed one.
    assert events(server, acct, "Opportunity Created", expect=2) == ids


def test_results_page_in_file_order_and_filter_by_status(server):
    acct = account()
    c = server.client(account=acct)
    job = start_opp(c, upload(server, f"paging/{os.urandom(4).hex()}.csv", opp_file(45, bad_every=3)))
    assert wait_opp(c, job)["SuccessCount"] == 30
    pages, token = [], None
    while True:
        page = c.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=job,
                                                   **({"NextToken": token} if token else {}))
        pages.append([r["RequestId"] for r in page["Results"]])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [20, 20, 5]  # default page: 20
    assert sum(pages, []) == [f"r-{i}" for i in range(1, 46)]

    first = c.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=job, Status="FAILED", MaxResults=10)
    rest = c.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=job, Status="FAILED", MaxResults=10,
                                               NextToken=first["NextToken"])
    failed = first["Results"] + rest["Results"]
    assert "NextToken" not in rest and len(first["Results"]) == 10
    assert [r["RequestId"] for r in failed] == [f"r-{i}" for i in range(3, 46, 3)]
    assert {(r["Status"], r["ErrorCode"], r["ErrorMessage"]) for r in failed} == {
        ("FAILED", "ValidationException", INDUSTRY_ERROR)}
    assert all("ResourceIdentifier" not in r for r in failed)
    ok = opp_results(c, job, Status="SUCCEEDED")
    assert [r["RequestId"] for r in ok] == [f"r-{i}" for i in range(1, 46) if i % 3]
    assert sorted(r["ResourceIdentifier"] for r in ok) == sorted(opportunity_ids(c))
    whole = c.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=job, MaxResults=1000)
    assert len(whole["Results"]) == 45 and "NextToken" not in whole
    raw = server.client(account=acct, parameter_validation=False)
    for bad in ({"MaxResults": 0}, {"MaxResults": 1001}, {"JobId": "bulkjob-x"}, {"Status": "DONE"}):
        with pytest.raises(raw.exceptions.ValidationException):
            raw.list_opportunity_bulk_job_results(**{"Catalog": "Sandbox", "JobId": job, **bad})


def test_results_name_rows_by_number_without_a_request_id(server):
    c = server.client(account=account())
    rows = [OPP_HEADER[1:]] + [opp_row("", f"P{i}")[1:] for i in range(3)]
    with_ids = [OPP_HEADER] + [opp_row("x-1", "A"), opp_row("", "B"), opp_row("x-3", "C")]
    job = start_opp(c, upload(server, f"noid/{os.urandom(4).hex()}.csv", csv_bytes(rows)))
    job2 = start_opp(c, upload(server, f"someid/{os.urandom(4).hex()}.csv", csv_bytes(with_ids)))
    wait_opp(c, job), wait_opp(c, job2)
    assert [r["RequestId"] for r in opp_results(c, job)] == ["1", "2", "3"]
    # An empty RequestId cell: the row number.
    assert [r["RequestId"] for r in opp_results(c, job2)] == ["x-1", "2", "x-3"]


def test_list_jobs_newest_first_with_filters_and_pages(server):
    acct = account()
    c = server.client(account=acct)
    good = upload(server, f"list/{os.urandom(4).hex()}.csv", opp_file(1))
    jobs = []
    for uri in (good, "s3://b/nothing/here.csv", good):
        jobs.append(start_opp(c, uri))
        wait_opp(c, jobs[-1])
        time.sleep(0.01)  # CreatedAt has millisecond precision
    listed = c.list_opportunity_bulk_jobs(Catalog="Sandbox")
    assert [s["JobId"] for s in listed["OpportunityBulkJobSummaries"]] == jobs[::-1]
    assert "NextToken" not in listed
    assert [s["Status"] for s in listed["OpportunityBulkJobSummaries"]] == ["COMPLETED", "FAILED", "COMPLETED"]
    failed = c.list_opportunity_bulk_jobs(Catalog="Sandbox", Status="FAILED")["OpportunityBulkJobSummaries"]
    assert [s["JobId"] for s in failed] == [jobs[1]]
    assert "OperationType" not in failed[0] and "FileName" not in failed[0] and failed[0]["TotalRecords"] == 0
    assert c.list_opportunity_bulk_jobs(Catalog="Sandbox", Status="IN_PROGRESS")["OpportunityBulkJobSummaries"] == []
    first = c.list_opportunity_bulk_jobs(Catalog="Sandbox", MaxResults=2)
    second = c.list_opportunity_bulk_jobs(Catalog="Sandbox", MaxResults=2, NextToken=first["NextToken"])
    assert [s["JobId"] for s in first["OpportunityBulkJobSummaries"] + second["OpportunityBulkJobSummaries"]] == jobs[::-1]
    assert "NextToken" not in second
    # Another catalog of the same account has none of them.
    assert c.list_opportunity_bulk_jobs(Catalog="AWS")["OpportunityBulkJobSummaries"] == []
    raw = server.client(account=acct, parameter_validation=False)
    for bad in ({"MaxResults": 0}, {"MaxResults": 101}, {"JobId": "job-1"}, {"Status": "DONE"}):
        with pytest.raises(raw.exceptions.ValidationException):
            raw.list_opportunity_bulk_jobs(Catalog="Sandbox", **bad)


# ------------------------------------------------------------------------------- update jobs


def test_an_update_job_lays_its_cells_over_each_opportunity(server):
    acct = account()
    c = server.client(account=acct)
    o1 = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    o2 = c.create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    foreign = server.client(account=account()).create_opportunity(Catalog="Sandbox", **opportunity_input())["Id"]
    submitted = create_submitted(c)
    body = update_input(c.get_opportunity(Catalog="Sandbox", Identifier=submitted))
    body["LifeCycle"]["NextSteps"] = "Changed while submitted"
    with pytest.raises(c.exceptions.ValidationException) as refused:
        c.update_opportunity(**body)
    before1 = clean(c.get_opportunity(Catalog="Sandbox", Identifier=o1))
    before2 = clean(c.get_opportunity(Catalog="Sandbox", Identifier=o2))
    current2 = stamp(before2["LastModifiedDate"])
    rows = [
        ["RequestId", "Identifier", "LastModifiedDate", "LifeCycle.NextSteps", "Project.AdditionalComments",
         "Customer.Contacts[0].Phone", "Project.DeliveryModels"],
        ["u1", o1, "", "Technical validation booked", "From the CRM", "+12065550199",
         "Professional Services;Managed Services"],
        ["u2", o2, "2020-01-01T00:00:00.000Z", "Stale", "", "", ""],
        ["u3", "O9999999", "", "Nothing to see", "", "", ""],
        ["u4", o2, current2, "Pilot agreed", "", "", ""],
        ["u5", o2, current2, "Read before u4 wrote", "", "", ""],  # u4 changed it since
        ["u6", foreign, "", "Not mine", "", "", ""],
        ["u7", submitted, "", "Changed while submitted", "", "", ""],
    ]
    job = start_opp(c, upload(server, f"upd/{acct}.csv", csv_bytes(rows)))
    summary = wait_opp(c, job)
    assert (summary["Status"], summary["OperationType"], summary["TotalRecords"], summary["SuccessCount"],
            summary["FailureCount"]) == ("COMPLETED", "BULK_UPDATE", 7, 2, 5)
    results = opp_results(c, job)
    assert [(r["RequestId"], r["Status"], r.get("ResourceIdentifier"), r.get("ErrorCode")) for r in results] == [
        ("u1", "SUCCEEDED", o1, None),
        ("u2", "FAILED", o2, "ConflictException"),
        ("u3", "FAILED", "O9999999", "ResourceNotFoundException"),
        ("u4", "SUCCEEDED", o2, None),
        ("u5", "FAILED", o2, "ConflictException"),
        ("u6", "FAILED", foreign, "ResourceNotFoundException"),
        ("u7", "FAILED", submitted, "ValidationException"),
    ]
    assert "O9999999" in results[2]["ErrorMessage"]
    # The record failed exactly as UpdateOpportunity refused the same change.
    assert results[6]["ErrorMessage"] == "BUSINESS_VALIDATION_FAILED: " + refused.value.response["Error"]["Message"]

    after1 = clean(c.get_opportunity(Catalog="Sandbox", Identifier=o1))
    assert after1["LastModifiedDate"] > before1["LastModifiedDate"]
    assert after1["LifeCycle"]["NextStepsHistory"][:len(before1["LifeCycle"]["NextStepsHistory"])] == \
        before1["LifeCycle"]["NextStepsHistory"]
    assert after1["LifeCycle"]["NextStepsHistory"][-1]["Value"] == "Technical validation booked"
    expected = json.loads(json.dumps(before1, default=str))
    expected["LifeCycle"]["NextSteps"] = "Technical validation booked"
    expected["Project"]["AdditionalComments"] = "From the CRM"
    expected["Project"]["DeliveryModels"] = ["Professional Services", "Managed Services"]
    expected["Customer"]["Contacts"][0]["Phone"] = "+12065550199"  # the item's other members kept
    for doc in (expected, after1):
        doc.pop("LastModifiedDate")
        doc["LifeCycle"].pop("NextStepsHistory")
    assert json.loads(json.dumps(after1, default=str)) == expected

    after2 = clean(c.get_opportunity(Catalog="Sandbox", Identifier=o2))
    assert after2["LifeCycle"]["NextSteps"] == "Pilot agreed"
    assert after2["Project"] == before2["Project"] and after2["Customer"] == before2["Customer"]
    other = server.client(account=OTHER_ACCOUNT)
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=job)
    # One `Opportunity Updated` per updated record; none for the failed ones (the submission's own
    # update of `submitted` came before the job).
    updated = events(server, acct, "Opportunity Updated", expect=3)
    assert updated == [submitted, o1, o2], (updated, submitted, o1, o2)


def test_an_update_record_without_a_valid_identifier_is_a_validation_failure(server):
    c = server.client(account=account())
    raw = server.client(account=account(), parameter_validation=False)
    for bad in ("", "not-an-id"):
        with pytest.raises(raw.exceptions.ValidationException):
            raw.update_opportunity(**dict(update_input(dict(opportunity_input(), Id=bad, Catalog="Sandbox")),
                                          LastModifiedDate=datetime.datetime.now()))
    rows = [["RequestId", "Identifier", "LifeCycle.NextSteps"], ["e-1", "", "x"], ["e-2", "not-an-id", "y"]]
    job = start_opp(c, upload(server, f"upd-bad/{os.urandom(4).hex()}.csv", csv_bytes(rows)))
    wait_opp(c, job)
    assert [(r["RequestId"], r["ErrorCode"]) for r in opp_results(c, job)] == [
        ("e-1", "ValidationException"), ("e-2", "ValidationException")]


# -------------------------------------------------------------------- customer-account jobs

CA_HEADER = ["RequestId", "PartnerAccountIdentifier", "Account.CompanyName", "Account.Domain",
             "Account.WebsiteUrl", "Account.Industry", "Account.Address.CountryCode", "Account.Address.City",
             "Tags[0].Key", "Tags[0].Value"]


def test_a_customer_account_job_by_id_and_arn(server):
    acct = account()
    c = server.client(account=acct)
    rows = [CA_HEADER,
            ["acct-1", "001A000001", "Acme Corp", "acme.example.com", "https://acme.example.com",
             "Software and Internet", "US", "Seattle", "crm", "sf"],
            ["acct-2", "001A000002", "Globex", "globex.example.com", "https://globex.example.com",
             "Manufacturing", "DE", "Berlin", "", ""],
            ["acct-3", "001A000003", "", "initech.example.com", "", "", "US", "", "", ""],
            ["acct-4", "001A000004", "Hooli", "", "", "", "XX", "", "", ""]]
    uri = upload(server, f"accounts/{acct}.csv", csv_bytes(rows))
    started = start_ca(c, uri, token="accounts-1")
    jid = started["Id"]
    arn = f"arn:aws:partnercentral:us-east-1:{acct}:catalog/Sandbox/customer-account-bulk-job/{jid}"
    assert JOB_ID.fullmatch(jid) and started["Arn"] == arn and started["Status"] == "SUBMITTED"
    done = clean(wait_ca(c, arn))
    times = (done.pop("CreatedAt"), done.pop("CompletedAt"))
    assert times[0] == started["CreatedAt"] and times[0] <= times[1]
    assert done == {"Arn": arn, "Id": jid, "Status": "COMPLETED", "FileName": f"{acct}.csv", "TotalRecords": 4,
                    "ProcessedRecords": 4, "SuccessCount": 2, "FailureCount": 2, "DeletedCount": 0}
    assert clean(c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=jid)) == \
        clean(c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=arn))

    results = ca_results(c, jid)
    assert ca_results(c, arn) == results
    assert [(r["RequestId"], r["Status"], r.get("ErrorCode")) for r in results] == [
        ("acct-1", "SUCCEEDED", None), ("acct-2", "SUCCEEDED", None),
        ("acct-3", "FAILED", "ValidationException"), ("acct-4", "FAILED", "ValidationException")]
    assert "Account.CompanyName" in results[2]["ErrorMessage"]
    assert "Account.Address.CountryCode" in results[3]["ErrorMessage"]
    created = [r["ResourceIdentifier"] for r in results[:2]]
    assert all(CA_ID.fullmatch(i) for i in created)
    assert [r["RequestId"] for r in ca_results(c, jid, Status="FAILED")] == ["acct-3", "acct-4"]
    page = c.list_customer_account_bulk_job_results(Catalog="Sandbox", Identifier=jid, MaxResults=3)
    assert len(page["Results"]) == 3
    assert c.list_customer_account_bulk_job_results(Catalog="Sandbox", Identifier=jid, MaxResults=3,
                                                    NextToken=page["NextToken"])["Results"] == results[3:]

    acme = c.get_customer_account(Catalog="Sandbox", Identifier=created[0])
    assert acme["Account"] == {"CompanyName": "Acme Corp", "Domain": "acme.example.com",
                               "WebsiteUrl": "https://acme.example.com", "Industry": "Software and Internet",
                               "Address": {"CountryCode": "US", "City": "Seattle"}}
    assert acme["PartnerAccountIdentifier"] == "001A000001" and acme["Tags"] == [{"Key": "crm", "Value": "sf"}]
    globex = c.get_customer_account(Catalog="Sandbox", Identifier=created[1])
    assert globex["Account"]["Address"] == {"CountryCode": "DE", "City": "Berlin"}
    assert globex.get("Tags", []) == []

    imported = c.search_customer_accounts(Catalog="Sandbox", Filter={"EqualsTo": {
        "Key": "IMPORT_ID", "Value": {"StringValue": jid}}})["CustomerAccountSummaries"]
    assert sorted(s["Id"] for s in imported) == sorted(created)
    c.create_customer_account(Catalog="Sandbox", Account={"CompanyName": "By hand"})
    again = c.search_customer_accounts(Catalog="Sandbox", Filter={"EqualsTo": {
        "Key": "IMPORT_ID", "Value": {"StringValue": jid}}})["CustomerAccountSummaries"]
    assert sorted(s["Id"] for s in again) == sorted(created)

    # A second job, failed; the list: newest first, filtered by id, ARN and status.
    failed = start_ca(c, "s3://b/no/such/file.csv")["Id"]
    assert wait_ca(c, failed)["Status"] == "FAILED"
    items = c.list_customer_account_bulk_jobs(Catalog="Sandbox")["items"]
    assert [i["Id"] for i in items] == [failed, jid]
    for f, want in (({"Identifier": jid}, [jid]), ({"Identifier": arn}, [jid]), ({"Status": "FAILED"}, [failed]),
                    ({"Status": "COMPLETED", "Identifier": failed}, []), ({"Status": "IN_PROGRESS"}, [])):
        assert [i["Id"] for i in c.list_customer_account_bulk_jobs(Catalog="Sandbox", Filter=f)["items"]] == want, f
    first = c.list_customer_account_bulk_jobs(Catalog="Sandbox", MaxResults=1)
    assert [i["Id"] for i in first["items"]] == [failed]
    assert [i["Id"] for i in c.list_customer_account_bulk_jobs(
        Catalog="Sandbox", MaxResults=1, NextToken=first["NextToken"])["items"]] == [jid]

    # Deleting an imported account counts once; deleting it again does not.
    for cid, want in ((created[0], 1), (created[0], 1), (created[1], 2)):
        c.delete_customer_account(Catalog="Sandbox", Identifier=cid)
        assert c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=jid)["DeletedCount"] == want

    # The two kinds of job are apart.
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=jid)
    assert c.list_opportunity_bulk_jobs(Catalog="Sandbox", JobId=jid)["OpportunityBulkJobSummaries"] == []
    opp_job_id = start_opp(c, upload(server, f"opp/{acct}.csv", opp_file(1)))
    for ident in (opp_job_id, arn.replace(jid, opp_job_id)):
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=ident)
    # An ARN of another resource type, or of another catalog, names no job here.
    with pytest.raises(c.exceptions.ValidationException):
        c.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=arn.replace("-bulk-job/", "/"))
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_customer_account_bulk_job(Catalog="AWS", Identifier=arn)
    wait_opp(c, opp_job_id)


# -------------------------------------------------------------------------------- the CLI


def test_the_cli_uploads_a_file_a_job_then_reads(server, tmp_path):
    c = server.client(account=account())
    path = tmp_path / "accounts.csv"
    path.write_bytes((EXAMPLES / "customer-accounts.csv").read_bytes())
    key = f"cli/{os.urandom(4).hex()}/accounts.csv"
    p = subprocess.run([BIN, "aws", "upload", str(path), "--key", key, "--endpoint", server.url],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out == {"key": key, "size": path.stat().st_size, "uri": f"s3://partnercentral-local/{key}"}
    listed = admin(server, "GET", "/files")[2]["files"]
    assert {"key": key, "size": path.stat().st_size, "uri": out["uri"]} in listed
    job = start_ca(c, out["uri"])["Id"]
    done = wait_ca(c, job)
    assert (done["Status"], done["FileName"], done["SuccessCount"], done["FailureCount"]) == (
        "COMPLETED", "accounts.csv", 2, 0)
    assert [r["RequestId"] for r in ca_results(c, job)] == ["acct-1", "acct-2"]


def test_the_uri_an_upload_answers_names_that_upload(server):
    c = server.client(account=account())
    key = f"odd/{os.urandom(4).hex()}/a?b.csv"
    status, _, body = admin(server, "PUT", "/files/" + urllib.parse.quote(key), opp_file(1))
    assert status == 200 and body["key"] == key
    done = wait_opp(c, start_opp(c, body["uri"]))
    assert done["Status"] == "COMPLETED", done.get("FailureReason")


# --------------------------------------------------------------------------- https sources


@pytest.fixture(scope="module")
def https_files(tmp_path_factory):
    """An https server on 127.0.0.1 with a self-signed certificate, serving a directory."""
    root = tmp_path_factory.mktemp("https")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    served = root / "www"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *_):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield served, f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_https_file_is_fetched_from_this_machine(server, https_files):
    served, base = https_files
    acct = account()
    c = server.client(account=acct)
    (served / "exports").mkdir(exist_ok=True)
    (served / "exports" / f"{acct}.csv").write_bytes(opp_file(2))
    job = start_opp(c, f"{base}/exports/{acct}.csv?X-Amz-Signature=abc")
    done = wait_opp(c, job)
    assert (done["Status"], done["FileName"], done["SuccessCount"], done["FailureCount"]) == (
        "COMPLETED", f"{acct}.csv", 2, 0)
    assert len(opportunity_ids(c)) == 2

    (served / f"{acct}-accounts.csv").write_bytes((EXAMPLES / "customer-accounts.csv").read_bytes())
    ca = start_ca(c, f"https://localhost:{base.rsplit(':', 1)[1]}/{acct}-accounts.csv")["Id"]
    assert wait_ca(c, ca)["SuccessCount"] == 2

    missing = wait_opp(c, start_opp(c, f"{base}/exports/none-{acct}.csv"))
    assert missing["Status"] == "FAILED" and missing["TotalRecords"] == 0
    assert missing["FailureReason"] == "Fetching the file answered HTTP 404."
    assert opp_results(c, missing["JobId"]) == []
    refused = wait_opp(c, start_opp(c, "https://127.0.0.1:1/x.csv"))
    assert refused["Status"] == "FAILED"
    assert refused["FailureReason"].startswith("The file could not be fetched: "), refused["FailureReason"]
    assert len(opportunity_ids(c)) == 2


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9/x.csv", "ftp://host/x.csv", "x.csv", ""])
def test_a_uri_aws_refuses_is_a_validation_exception_at_start(server, uri):
    c = server.client(account=account(), parameter_validation=False)
    with pytest.raises(c.exceptions.ValidationException) as e:
        start_opp(c, uri)
    assert "FileURI" in e.value.response["Error"]["Message"] + json.dumps(e.value.response.get("ErrorList"))
    with pytest.raises(c.exceptions.ValidationException) as e:
        start_ca(c, uri)
    assert "FileUri" in e.value.response["Error"]["Message"] + json.dumps(e.value.response.get("ErrorList"))
    assert c.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"] == []
    assert c.list_customer_account_bulk_jobs(Catalog="Sandbox")["items"] == []


# ------------------------------------------------------------------------------- bad files

GARBAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(7).randbytes(4096) + b"\xff\xfe\xc3\x28"
GOOD = csv_bytes([OPP_HEADER, opp_row("g-1", "Fine")])
BAD_FILES = {
    "missing": (None, "No file was uploaded under the key"),
    "empty": (b"", "The file is empty: it has no header row. Nothing was imported."),
    "blank-lines": (b"\n\r\n\n", "The file is empty: it has no header row."),
    "request-id-only": (b"RequestId\nr-1\n", "no column names a member of the request"),
    "unknown-column": (GOOD.replace(b"Project.Title", b"Project.Colour", 1),
                       "'Project.Colour' is not a member of the request"),
    "duplicate-column": (GOOD.replace(b"LifeCycle.NextSteps", b"Project.Title", 1),
                         "'Project.Title' appears more than once"),
    "catalog-column": (GOOD.replace(b"RequestId", b"Catalog", 1), "'Catalog' is set by the job, not by a column"),
    "token-column": (GOOD.replace(b"RequestId", b"ClientToken", 1), "'ClientToken' is set by the job"),
    "structure-column": (GOOD.replace(b"Customer.Account.CompanyName", b"Customer", 1), "'Customer' is a structure"),
    "list-of-structures": (GOOD.replace(b"Project.ExpectedCustomerSpend[0].Amount",
                                        b"Project.ExpectedCustomerSpend", 1), "is a list of structures"),
    "binary": (GARBAGE, "The file is not readable CSV text"),
    "invalid-utf8-in-a-later-row": (GOOD + csv_bytes([opp_row("g-2", "Fine too")]) + b"g-3,Caf\xe9 Corp\n" + GOOD[-200:],
                                    "The file is not readable CSV text"),
    "utf16": (GOOD.decode().encode("utf-16"), "The file is not readable CSV text"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_fails_the_job_before_any_record(server, case):
    data, reason = BAD_FILES[case]
    c = server.client(account=account())
    key = f"bad/{case}/{os.urandom(4).hex()}.csv"
    uri = upload(server, key, data) if data is not None else f"s3://b/{key}"
    done = wait_opp(c, start_opp(c, uri))
    assert done["Status"] == "FAILED", done
    assert reason in done["FailureReason"], done["FailureReason"]
    if data is not None:
        assert done["FailureReason"].endswith("Nothing was imported."), done["FailureReason"]
    assert (done["TotalRecords"], done["ProcessedRecords"], done["SuccessCount"], done["FailureCount"]) == (0, 0, 0, 0)
    assert "StartedAt" in done and done["CompletedAt"] >= done["StartedAt"]
    assert opp_results(c, done["JobId"]) == []
    assert opportunity_ids(c) == []


@pytest.mark.parametrize("suffix,file_name,reason", [
    ("dir/f.csv?versionId=3", "f.csv", None),
    ("dir/f.csv?x=1", None, "An s3:// file URI may carry only the versionId query parameter."),
    ("", None, "An s3:// file URI must name a bucket and a key: s3://bucket/key."),
    ("dir/", None, "No file was uploaded under the key 'dir/'"),
])
def test_s3_uris_name_an_upload_by_key(server, suffix, file_name, reason):
    acct = account()
    c = server.client(account=acct)
    upload(server, f"{acct}/dir/f.csv", opp_file(1))
    bucket = "b" if suffix else f"b-{acct}"
    done = wait_opp(c, start_opp(c, f"s3://{bucket}/{acct}/{suffix}" if suffix else f"s3://{bucket}"))
    if reason is None:
        assert (done["Status"], done["FileName"], done["SuccessCount"]) == ("COMPLETED", file_name, 1)
    else:
        assert done["Status"] == "FAILED" and "FileName" not in done
        assert done["FailureReason"].startswith(reason.replace("'dir/'", f"'{acct}/dir/'")), done["FailureReason"]


def test_a_job_that_failed_before_its_records_has_an_empty_report(server):
    c = server.client(account=account())
    job = wait_opp(c, start_opp(c, "s3://b/never/uploaded.csv"))["JobId"]
    ask = lambda: c.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=job, ReportFormat="CSV")
    assert ask()["ReportStatus"] == "IN_PROGRESS"
    ready = ask()
    assert ready["ReportStatus"] == "AVAILABLE"
    assert fetch(ready["Url"]) == (200, "RequestId,Status,ResourceIdentifier,ErrorCode,ErrorMessage\n")


def test_an_identifier_column_does_not_make_customer_accounts_update(server):
    c = server.client(account=account())
    data = b"Identifier,Account.CompanyName\ncust-acc-0000000000000,Acme\n"
    done = wait_ca(c, start_ca(c, upload(server, f"bad/ca/{os.urandom(4).hex()}.csv", data))["Id"])
    assert done["Status"] == "FAILED" and "'Identifier' is not a member of the request" in done["FailureReason"]
    assert c.search_customer_accounts(Catalog="Sandbox")["CustomerAccountSummaries"] == []


def test_a_file_over_100_mb_fails_the_job(server, tmp_path):
    c = server.client(account=account())
    path = tmp_path / "big.csv"
    rows = csv_bytes([opp_row(f"r-{i}", f"Project {i}") for i in range(200)])
    with open(path, "wb") as f:
        f.write(csv_bytes([OPP_HEADER]))
        while f.tell() < 110_000_000:  # over 100 MB however MB is counted (10^6 or 2^20)
            f.write(rows)
    size = path.stat().st_size
    key = f"big/{os.urandom(4).hex()}.csv"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60, blocksize=1 << 20)
        with open(path, "rb") as body:
            conn.request("PUT", f"/_admin/files/{key}", body=body, headers={"Content-Length": str(size)})
            resp = conn.getresponse()
            assert (resp.status, json.loads(resp.read())["size"]) == (200, size)
        conn.close()
        path.unlink()
        done = wait_opp(c, start_opp(c, f"s3://b/{key}"))
        assert done["Status"] == "FAILED"
        assert done["FailureReason"] == ("The file is larger than 100 MB, the most a bulk job reads. "
                                         "Nothing was imported.")
        assert (done["TotalRecords"], done["ProcessedRecords"]) == (0, 0)
        assert opp_results(c, done["JobId"]) == [] and opportunity_ids(c) == []
    finally:
        path.unlink(missing_ok=True)
        assert admin(server, "DELETE", f"/files/{key}")[0] == 200


def test_a_header_only_file_completes_with_no_records(server):
    c = server.client(account=account())
    done = wait_opp(c, start_opp(c, upload(server, f"hdr/{os.urandom(4).hex()}.csv", csv_bytes([OPP_HEADER]))))
    assert (done["Status"], done["TotalRecords"], done["ProcessedRecords"], done["SuccessCount"],
            done["FailureCount"], done["OperationType"]) == ("COMPLETED", 0, 0, 0, 0, "BULK_CREATE")
    assert "FailureReason" not in done and done["CompletedAt"] >= done["StartedAt"]
    assert opp_results(c, done["JobId"]) == []


def test_rows_of_the_wrong_width_fail_alone_and_quoting_is_csv(server):
    acct = account()
    c = server.client(account=acct)
    width = len(OPP_HEADER)
    text = ("\ufeff" + ",".join(OPP_HEADER) + "\r\n").encode()  # an editor's byte-order mark, CRLF
    text += csv_bytes([opp_row("w-1", "One")])
    text += csv_bytes([opp_row("w-2", "Two")[:5]])
    text += csv_bytes([opp_row("w-3", "Three", next_steps='He said "go"\nthen, we went')])
    text += csv_bytes([opp_row("w-4", "Four") + ["extra"]])
    text += csv_bytes([opp_row("w-5", "Five")])
    job = start_opp(c, upload(server, f"width/{acct}.csv", text))
    done = wait_opp(c, job)
    assert (done["Status"], done["TotalRecords"], done["SuccessCount"], done["FailureCount"]) == ("COMPLETED", 5, 3, 2)
    results = opp_results(c, job)
    assert [(r["RequestId"], r["Status"]) for r in results] == [
        ("w-1", "SUCCEEDED"), ("w-2", "FAILED"), ("w-3", "SUCCEEDED"), ("w-4", "FAILED"), ("w-5", "SUCCEEDED")]
    assert (results[1]["ErrorCode"], results[1]["ErrorMessage"]) == (
        "ValidationException", f"The row has 5 fields; the header has {width}.")
    assert (results[3]["ErrorCode"], results[3]["ErrorMessage"]) == (
        "ValidationException", f"The row has {width + 1} fields; the header has {width}.")
    assert "ResourceIdentifier" not in results[1]
    three = c.get_opportunity(Catalog="Sandbox", Identifier=results[2]["ResourceIdentifier"])
    assert three["LifeCycle"]["NextSteps"] == 'He said "go"\nthen, we went'
    assert three["Project"]["Title"] == "Three"
    assert sorted(opportunity_ids(c)) == sorted(r["ResourceIdentifier"] for r in results if r["Status"] == "SUCCEEDED")
    assert len(events(server, acct, "Opportunity Created", expect=3)) == 3


# -------------------------------------------------------------------------------- ClientToken


def test_a_client_token_replays_its_job_and_refuses_another_file(server):
    acct = account()
    c = server.client(account=acct)
    one = upload(server, f"tok/{acct}/one.csv", opp_file(1))
    two = upload(server, f"tok/{acct}/two.csv", opp_file(2))
    job = start_opp(c, one, token="t-1")
    assert start_opp(c, one, token="t-1") == job
    wait_opp(c, job)
    assert start_opp(c, one, token="t-1") == job  # finished: still the same job, not run again
    assert [s["JobId"] for s in c.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"]] == [job]
    assert len(opportunity_ids(c)) == 1
    with pytest.raises(c.exceptions.ConflictException):
        start_opp(c, two, token="t-1")
    # Another account, or the other kind of job, has tokens of its own.
    other = server.client(account=account())
    assert start_opp(other, one, token="t-1") != job
    ca = start_ca(c, upload(server, f"tok/{acct}/ca.csv", (EXAMPLES / "customer-accounts.csv").read_bytes()),
                  token="t-1")
    assert ca["Id"] != job and start_ca(c, ca and f"s3://any-bucket/tok/{acct}/ca.csv", token="t-1")["Id"] == ca["Id"]
    with pytest.raises(c.exceptions.ConflictException):
        start_ca(c, one, token="t-1")
    assert [s["JobId"] for s in c.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"]] == [job]
    wait_ca(c, ca["Id"])


# ------------------------------------------------------- unfinished jobs: quota and reports


@pytest.fixture
def slow_server():
    s = Server("--in-memory", "--bulk-record-delay-ms", "100").start()
    yield s
    assert s.stop() == 0


def test_the_eleventh_unfinished_job_exceeds_the_quota(slow_server):
    acct = account()
    c = slow_server.client(account=acct)
    uri = upload(slow_server, f"quota/{acct}.csv", opp_file(200))
    first = start_opp(c, uri, token="q-first")
    # 14 more at once: the writer takes them one at a time, so exactly 9 fit.
    outcomes = [None] * 14

    def go(i):
        cl = slow_server.client(account=acct)
        try:
            outcomes[i] = start_opp(cl, uri, token=f"q-{i}")
        except cl.exceptions.ServiceQuotaExceededException as e:
            outcomes[i] = e.response["Error"]["Message"]

    threads = [threading.Thread(target=go, args=(i,)) for i in range(14)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = [first] + [o for o in outcomes if JOB_ID.fullmatch(o)]
    refused = [o for o in outcomes if not JOB_ID.fullmatch(o)]
    assert (len(jobs), len(refused)) == (10, 5), outcomes
    assert all("10" in m for m in refused), refused
    assert start_opp(c, uri, token="q-first") == first  # a replay is no new job
    with pytest.raises(c.exceptions.ServiceQuotaExceededException):
        start_opp(c, uri, token="q-eleventh")
    listed = c.list_opportunity_bulk_jobs(Catalog="Sandbox", MaxResults=100)["OpportunityBulkJobSummaries"]
    assert sorted(j["JobId"] for j in listed) == sorted(jobs)
    # Other accounts are not limited by this one's jobs.
    assert JOB_ID.fullmatch(start_opp(slow_server.client(account=account()), uri))

    # The runner works on the oldest; reports wait until a job has finished.
    deadline = time.time() + 10
    while (running := opp_job(c, first))["ProcessedRecords"] < 3:
        assert time.time() < deadline, running
        time.sleep(0.05)
    assert running["Status"] == "IN_PROGRESS" and 3 <= running["ProcessedRecords"] < running["TotalRecords"] == 200
    assert running["SuccessCount"] + running["FailureCount"] == running["ProcessedRecords"]
    assert "CompletedAt" not in running and running["OperationType"] == "BULK_CREATE"
    waiting = [j for j in listed if j["JobId"] != first]
    assert {j["Status"] for j in waiting} == {"SUBMITTED"} and all("StartedAt" not in j for j in waiting)
    for jid, status in ((first, "IN_PROGRESS"), (waiting[0]["JobId"], "SUBMITTED")):
        with pytest.raises(c.exceptions.ConflictException) as e:
            c.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=jid, ReportFormat="CSV")
        assert status in e.value.response["Error"]["Message"]
    assert len(opportunity_ids(c)) >= 3


def test_accounts_deleted_while_their_job_runs_are_counted(slow_server):
    c = slow_server.client(account=account())
    rows = [CA_HEADER[:3]] + [[f"a-{i}", "", f"Company {i}"] for i in range(12)]
    started = start_ca(c, upload(slow_server, f"careport/{os.urandom(4).hex()}.csv", csv_bytes(rows)))
    deadline = time.time() + 10
    while len(made := ca_results(c, started["Id"])) < 2:
        assert time.time() < deadline
        time.sleep(0.05)
    with pytest.raises(c.exceptions.ConflictException) as e:
        c.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=started["Arn"])
    assert "IN_PROGRESS" in e.value.response["Error"]["Message"]
    for r in made[:2] + made[:1]:
        c.delete_customer_account(Catalog="Sandbox", Identifier=r["ResourceIdentifier"])
    done = wait_ca(c, started["Id"])
    assert (done["Status"], done["SuccessCount"], done["DeletedCount"]) == ("COMPLETED", 12, 2)
    assert len(c.search_customer_accounts(Catalog="Sandbox", MaxResults=100)["CustomerAccountSummaries"]) == 10


def test_a_reset_stops_a_running_job(slow_server):
    s = slow_server
    c = s.client()
    job = start_opp(c, upload(s, "running/opps.csv", opp_file(100)), token="t")
    while opp_job(c, job)["ProcessedRecords"] < 2:
        time.sleep(0.02)
    assert admin(s, "POST", "/reset")[0] == 200
    time.sleep(0.5)  # five records' worth
    assert c.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"] == []
    assert opportunity_ids(c) == []
    again = start_opp(c, upload(s, "running/two.csv", opp_file(2)), token="t")
    assert again != job
    assert wait_opp(c, again)["SuccessCount"] == 2 and len(opportunity_ids(c)) == 2


@pytest.fixture
def own_server():
    s = Server("--in-memory").start()
    yield s
    assert s.stop() == 0


def test_report_urls_are_generated_signed_and_expire(own_server):
    s = own_server
    c = s.client()
    job = start_opp(c, upload(s, "reports/opportunities.csv", (EXAMPLES / "opportunities.csv").read_bytes()))
    wait_opp(c, job)
    ask = lambda **kw: clean(c.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=job, ReportFormat="CSV", **kw))
    assert ask() == {"ReportStatus": "IN_PROGRESS", "ReportType": "FAILED_RECORDS", "ReportFormat": "CSV"}
    report = ask(ReportType="FAILED_RECORDS")
    url, expires = report.pop("Url"), report.pop("ExpiresAt")
    assert report == {"ReportStatus": "AVAILABLE", "ReportType": "FAILED_RECORDS", "ReportFormat": "CSV"}
    assert abs((expires - server_now(s)).total_seconds() - 900) < 10
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Expires"] == [str(int(expires.timestamp()))]
    assert url.startswith(f"{s.url}/_bulk-reports/111111111111/Sandbox/{job}/FAILED_RECORDS.csv?")
    assert fetch(url) == (200, "RequestId,Status,ResourceIdentifier,ErrorCode,ErrorMessage\n"
                               f"crm-0003,FAILED,,ValidationException,{INDUSTRY_ERROR}\n")
    with pytest.raises(c.exceptions.ValidationException) as e:
        ask(ReportType="ALL_RECORDS")
    assert "not supported" in e.value.response["Error"]["Message"]

    # A URL the server did not sign.
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    sig = query["Signature"]
    tampered = {
        "signature": dict(query, Signature=sig[:-1] + ("0" if sig[-1] != "0" else "1")),
        "expires": dict(query, Expires=str(int(query["Expires"]) + 3600)),
        "no signature": {"Expires": query["Expires"]},
    }
    for why, q in tampered.items():
        status, body = fetch(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q))))
        assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, why
    other_job = urllib.parse.urlunsplit(parts._replace(path=parts.path.replace("FAILED_RECORDS", "ALL_RECORDS")))
    assert fetch(other_job)[0] == 403

    # 16 minutes on: the URL has expired; a new one works.
    assert admin(s, "POST", "/clock", {"advance": "PT16M"})[0] == 200
    status, body = fetch(url)
    assert status == 403 and "<Code>AccessDenied</Code>" in body and "Request has expired" in body
    fresh = ask()
    assert fresh["ReportStatus"] == "AVAILABLE" and fetch(fresh["Url"])[0] == 200
    # Eight days on: the report itself has expired.
    assert admin(s, "POST", "/clock", {"advance": "P8D"})[0] == 200
    assert ask() == {"ReportStatus": "EXPIRED", "ReportType": "FAILED_RECORDS", "ReportFormat": "CSV"}


def test_customer_account_reports_have_all_records_or_the_failed_ones(own_server):
    s = own_server
    c = s.client()
    rows = [CA_HEADER[:3], ["a-1", "p1", "Acme Corp"], ["a-2", "p2", ""], ["a-3", "p3", "Globex"]]
    job = start_ca(c, upload(s, "careports/a.csv", csv_bytes(rows)))["Arn"]
    wait_ca(c, job)
    ids = [r.get("ResourceIdentifier", "") for r in ca_results(c, job)]
    message = ca_results(c, job, Status="FAILED")[0]["ErrorMessage"]
    for report_type, want in (
            ("ALL_RECORDS", [f"a-1,SUCCEEDED,{ids[0]},,", f"a-2,FAILED,,ValidationException,{message}",
                             f"a-3,SUCCEEDED,{ids[2]},,"]),
            ("FAILED_RECORDS", [f"a-2,FAILED,,ValidationException,{message}"])):
        first = clean(c.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=job,
                                                                 ReportType=report_type))
        assert first == {"ReportStatus": "IN_PROGRESS", "ReportType": report_type}
        ready = c.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=job, ReportType=report_type)
        assert ready["ReportStatus"] == "AVAILABLE"
        status, body = fetch(ready["Url"])
        assert status == 200
        assert list(csv.reader(io.StringIO(body))) == [
            ["RequestId", "Status", "ResourceIdentifier", "ErrorCode", "ErrorMessage"],
            *[next(csv.reader([w])) for w in want]]
    # The default is FAILED_RECORDS (asked above already: AVAILABLE).
    assert c.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=job)["ReportType"] == "FAILED_RECORDS"


def test_the_report_url_of_a_removed_job_is_no_such_key(own_server):
    c = own_server.client()
    job = wait_ca(c, start_ca(c, upload(own_server, "gone/a.csv", (EXAMPLES / "customer-accounts.csv").read_bytes()))["Id"])["Id"]
    c.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=job, ReportType="ALL_RECORDS")
    url = c.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=job, ReportType="ALL_RECORDS")["Url"]
    assert fetch(url)[1].count("\n") == 3
    assert admin(own_server, "POST", "/reset")[0] == 200
    status, body = fetch(url)
    assert (status, "<Code>NoSuchKey</Code>" in body) == (404, True)


# ---------------------------------------------------------------------------- a restart


def test_a_job_resumes_after_a_kill_without_duplicates(tmp_path):
    total = 300
    s = Server("--data-dir", str(tmp_path), "--bulk-record-delay-ms", "20").start()
    try:
        c = s.client()
        job = start_opp(c, upload(s, "restart/opps.csv", opp_file(total)))
        deadline = time.time() + 20
        while (seen := opp_job(c, job))["ProcessedRecords"] < 5:
            assert time.time() < deadline, seen
            time.sleep(0.02)
    finally:
        s.proc.kill()
        s.proc.wait(timeout=10)
    assert seen["Status"] == "IN_PROGRESS" and 0 < seen["ProcessedRecords"] < total
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        c = s.client()
        resumed = opp_job(c, job)
        assert resumed["ProcessedRecords"] >= seen["ProcessedRecords"]
        done = wait_opp(c, job, timeout=60)
        assert (done["Status"], done["TotalRecords"], done["ProcessedRecords"], done["SuccessCount"],
                done["FailureCount"]) == ("COMPLETED", total, total, total, 0)
        results = opp_results(c, job)
        assert [r["RequestId"] for r in results] == [f"r-{i}" for i in range(1, total + 1)]
        assert {r["Status"] for r in results} == {"SUCCEEDED"}
        made = [r["ResourceIdentifier"] for r in results]
        assert len(set(made)) == total
        assert sorted(opportunity_ids(c)) == sorted(made)
        for i in (1, seen["ProcessedRecords"], seen["ProcessedRecords"] + 1, total):
            assert c.get_opportunity(Catalog="Sandbox", Identifier=made[i - 1])["Project"]["Title"] == f"Project {i}"
        if DATABASE_URL:
            # PostgreSQL keeps the events with the records: every record's, once each.
            after = events(s, "111111111111", "Opportunity Created", expect=total)
            assert after == made
        else:
            # Events are this process's: exactly the records it applied, the tail of the file, once each.
            after = events(s, "111111111111", "Opportunity Created", expect=total - resumed["ProcessedRecords"])
            assert 0 < len(after) <= total - seen["ProcessedRecords"]
            assert after == made[total - len(after):]
        c.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=job, ReportFormat="CSV")
        url = c.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=job, ReportFormat="CSV")["Url"]
        assert fetch(url)[0] == 200
    finally:
        assert s.stop() == 0
    # A report URL does not outlive its server process; the report itself does.
    s = Server("--data-dir", str(tmp_path)).start()
    try:
        c = s.client()
        moved = url.replace(urllib.parse.urlsplit(url).netloc, f"127.0.0.1:{s.port}")
        status, body = fetch(moved)
        assert status == 403 and "SignatureDoesNotMatch" in body
        fresh = c.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=job, ReportFormat="CSV")
        assert fresh["ReportStatus"] == "AVAILABLE"
        assert fetch(fresh["Url"]) == (200, "RequestId,Status,ResourceIdentifier,ErrorCode,ErrorMessage\n")
    finally:
        assert s.stop() == 0


# ------------------------------------------------------------------ other accounts and reset


def test_jobs_are_the_callers_and_reset_removes_them(own_server):
    s = own_server
    a, b = s.client(account="111111111111"), s.client(account=OTHER_ACCOUNT)
    uri = upload(s, "reset/opps.csv", opp_file(2))
    opp = start_opp(a, uri)
    ca = start_ca(a, upload(s, "reset/ca.csv", (EXAMPLES / "customer-accounts.csv").read_bytes()))
    b_job = start_opp(b, uri)
    wait_opp(a, opp), wait_ca(a, ca["Id"]), wait_opp(b, b_job)
    a.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=opp, ReportFormat="CSV")
    url = a.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=opp, ReportFormat="CSV")["Url"]

    assert b.list_opportunity_bulk_jobs(Catalog="Sandbox", JobId=opp)["OpportunityBulkJobSummaries"] == []
    assert [j["JobId"] for j in b.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"]] == [b_job]
    assert b.list_customer_account_bulk_jobs(Catalog="Sandbox")["items"] == []
    for call in (lambda: b.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=opp),
                 lambda: b.get_opportunity_bulk_job_report_url(Catalog="Sandbox", JobId=opp, ReportFormat="CSV"),
                 lambda: b.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=ca["Id"]),
                 lambda: b.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=ca["Arn"]),
                 lambda: b.list_customer_account_bulk_job_results(Catalog="Sandbox", Identifier=ca["Id"]),
                 lambda: b.get_customer_account_bulk_job_report_url(Catalog="Sandbox", Identifier=ca["Id"])):
        with pytest.raises(b.exceptions.ResourceNotFoundException):
            call()
    # A's report URL names A's job; with B's account in its path it is not signed.
    assert fetch(url.replace("/111111111111/", f"/{OTHER_ACCOUNT}/"))[0] == 403

    # A reset of B leaves A's jobs; a full reset removes every job, and the uploads stay.
    assert admin(s, "POST", "/reset", {"accountId": OTHER_ACCOUNT})[0] == 200
    assert b.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"] == []
    assert [j["JobId"] for j in a.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"]] == [opp]
    assert admin(s, "POST", "/reset")[0] == 200
    assert a.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"] == []
    assert a.list_customer_account_bulk_jobs(Catalog="Sandbox")["items"] == []
    with pytest.raises(a.exceptions.ResourceNotFoundException):
        a.list_opportunity_bulk_job_results(Catalog="Sandbox", JobId=opp)
    with pytest.raises(a.exceptions.ResourceNotFoundException):
        a.get_customer_account_bulk_job(Catalog="Sandbox", Identifier=ca["Id"])
    assert {f["key"] for f in admin(s, "GET", "/files")[2]["files"]} == {"reset/opps.csv", "reset/ca.csv"}
    # The tokens went with the jobs: the same token starts a new job.
    again = start_opp(a, uri)
    assert again != opp and wait_opp(a, again)["SuccessCount"] == 2


# ------------------------------------------------------------------------------ shapes


def signed_call(server, acct, op, body):
    """One awsJson request signed with SigV4 by botocore's signer; (status, parsed body)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    data = json.dumps(dict(body, Catalog="Sandbox")).encode()
    req = AWSRequest(method="POST", url=server.url + "/", data=data, headers={
        "X-Amz-Target": f"AWSPartnerCentralSelling.{op}", "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(acct, "secret"), "partnercentral-selling", "us-east-1").add_auth(req)
    status, _, parsed = server.raw(data, dict(req.headers.items()))
    return status, parsed


def test_every_answer_conforms_to_the_model(server):
    acct = account()
    c = server.client(account=acct)
    uri = upload(server, f"shapes/{acct}.csv", (EXAMPLES / "opportunities.csv").read_bytes())
    ca_uri = upload(server, f"shapes/{acct}-ca.csv", (EXAMPLES / "customer-accounts.csv").read_bytes())
    opp = start_opp(c, uri)
    ca = start_ca(c, ca_uri)["Id"]
    failed = start_opp(c, "s3://b/shapes/missing.csv")
    wait_opp(c, opp), wait_ca(c, ca), wait_opp(c, failed)
    calls = [
        ("StartOpportunityBulkJob", {"ClientToken": "shape-1", "FileURI": uri, "FileFormat": "CSV"}),
        ("ListOpportunityBulkJobs", {}),
        ("ListOpportunityBulkJobResults", {"JobId": opp}),
        ("GetOpportunityBulkJobReportUrl", {"JobId": opp, "ReportFormat": "CSV"}),
        ("GetOpportunityBulkJobReportUrl", {"JobId": opp, "ReportFormat": "CSV"}),
        ("StartCustomerAccountBulkJob", {"ClientToken": "shape-2", "FileUri": ca_uri}),
        ("GetCustomerAccountBulkJob", {"Identifier": ca}),
        ("ListCustomerAccountBulkJobs", {}),
        ("ListCustomerAccountBulkJobResults", {"Identifier": ca}),
        ("GetCustomerAccountBulkJobReportUrl", {"Identifier": ca, "ReportType": "ALL_RECORDS"}),
        ("GetCustomerAccountBulkJobReportUrl", {"Identifier": ca, "ReportType": "ALL_RECORDS"}),
    ]
    seen = {}
    for op, body in calls:
        status, doc = signed_call(server, acct, op, body)
        assert status == 200, (op, doc)
        assert_conforms(op, doc)
        seen.setdefault(op, []).append(doc)
    assert len(seen) == 9
    assert [d["ReportStatus"] for d in seen["GetOpportunityBulkJobReportUrl"]] == ["IN_PROGRESS", "AVAILABLE"]
    assert [d["ReportStatus"] for d in seen["GetCustomerAccountBulkJobReportUrl"]] == ["IN_PROGRESS", "AVAILABLE"]
    # A FAILED job's summary (FailureReason, no FileName) and results conform too.
    summaries = seen["ListOpportunityBulkJobs"][0]["OpportunityBulkJobSummaries"]
    assert {"COMPLETED", "FAILED"} <= {s["Status"] for s in summaries}
    # Unset members are omitted, never null.
    assert "null" not in json.dumps(seen)


def test_opportunity_bulk_jobs_follow_the_accounts_feature_switch(server):
    """AWS enables opportunity bulk jobs account by account (AccessDenied Reason
    OPPORTUNITY_BULK_JOB_NOT_ENABLED); customer-account jobs have no such switch."""
    acct = account()
    c = server.client(account=acct)
    uri = upload(server, f"gate/{os.urandom(4).hex()}.csv", opp_file(1))
    assert admin(server, "PUT", f"/accounts/{acct}/features/OpportunityBulkJobs", {"enabled": False})[0] == 200
    try:
        with pytest.raises(c.exceptions.AccessDeniedException) as e:
            start_opp(c, uri)
        assert e.value.response["Reason"] == "OPPORTUNITY_BULK_JOB_NOT_ENABLED"
        assert c.list_opportunity_bulk_jobs(Catalog="Sandbox")["OpportunityBulkJobSummaries"] == []
        start_ca(c, uri)  # not gated
    finally:
        admin(server, "PUT", f"/accounts/{acct}/features/OpportunityBulkJobs", {"enabled": True})
    assert wait_opp(c, start_opp(c, uri))["Status"] == "COMPLETED"
